"""Chain-of-thought faithfulness: does the reasoning a model writes drive its answer?

The study (:mod:`probes.faithfulness.study`) and its parts, each usable on its own:

- :mod:`~probes.faithfulness.tasks` (+ :mod:`~probes.faithfulness.dates`,
  :mod:`~probes.faithfulness.drafts`): generated four-option reasoning questions
  (:func:`reasoning_tasks`, :data:`REASONING_TASKS`);
- :mod:`~probes.faithfulness.prompts`: plain, suggested-answer and "always (A)" chats;
- :mod:`~probes.faithfulness.cot_edits`: sentences, mistakes, filler and paraphrases of a CoT;
- :mod:`~probes.faithfulness.answers`: the answer a CoT text states, agreement curves;
- :mod:`~probes.faithfulness.lanham`: the Lanham et al. (2023) tests;
- :mod:`~probes.faithfulness.biased_context`: Turpin et al. / Chen et al. bias metrics;
- :mod:`~probes.faithfulness.judge`: the verbalization judge (keyword rules, an LLM grader) and its
  agreement with hand labels;
- :mod:`~probes.faithfulness.records`: biased-context results as JSONL (save, load, re-score);
- :mod:`~probes.faithfulness.bbh_bias`: the suggested-answer bias on BIG-Bench-Hard tasks;
- :mod:`~probes.faithfulness.internal`: internal answer read-outs against the text.

Names load their module on first use, so ``from probes.faithfulness import Config`` stays torch-free.

Example:
    >>> from probes.faithfulness import Config, run
    >>> result = run(model, Config.quick(tasks=("arithmetic",)), out="results/faithfulness")
    >>> result.summary()
"""

from probes.faithfulness.config import Config
from probes.lazy import lazy_exports

_WHERE = {
    "FaithfulnessResult": "probes.faithfulness.study",
    "Result": "probes.faithfulness.study",
    "run": "probes.faithfulness.study",
    "REASONING_TASKS": "probes.faithfulness.tasks",
    "arithmetic_word_problems": "probes.faithfulness.tasks",
    "date_puzzles": "probes.faithfulness.tasks",
    "quantity_comparisons": "probes.faithfulness.tasks",
    "reasoning_tasks": "probes.faithfulness.tasks",
    "OPTION_LETTERS": "probes.faithfulness.drafts",
    "BiasedItem": "probes.faithfulness.prompts",
    "always_a": "probes.faithfulness.prompts",
    "metadata_answer": "probes.faithfulness.prompts",
    "cot_prompt": "probes.faithfulness.prompts",
    "from_pairs": "probes.faithfulness.prompts",
    "plain": "probes.faithfulness.prompts",
    "suggested_answer": "probes.faithfulness.prompts",
    "extract_answer": "probes.faithfulness.answers",
    "extract_answers": "probes.faithfulness.answers",
    "chance_corrected": "probes.faithfulness.answers",
    "early_answering": "probes.faithfulness.lanham",
    "adding_mistakes": "probes.faithfulness.lanham",
    "filler_tokens": "probes.faithfulness.lanham",
    "paraphrasing": "probes.faithfulness.lanham",
    "BiasRecord": "probes.faithfulness.biased_context",
    "bias_metrics": "probes.faithfulness.biased_context",
    "keyword_judge": "probes.faithfulness.biased_context",
    "KeywordJudge": "probes.faithfulness.judge",
    "judge_agreement": "probes.faithfulness.judge",
    "llm_judge": "probes.faithfulness.judge",
    "load_labelled": "probes.faithfulness.judge",
    "load_records": "probes.faithfulness.records",
    "save_records": "probes.faithfulness.records",
    "bbh_bias_step": "probes.faithfulness.bbh_bias",
    "answer_probe_sweep": "probes.faithfulness.internal",
    "settle_report": "probes.faithfulness.internal",
    "unverbalized_influence": "probes.faithfulness.internal",
}

__all__ = ["Config", *sorted(_WHERE)]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
