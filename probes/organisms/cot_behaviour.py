"""A chain-of-thought organism's behaviour with a cue, by the library's faithfulness metrics.

:func:`cue_rates` asks fresh ``eval`` reasoning questions (:mod:`probes.organisms.cot`) plainly and
with each cue of :data:`~probes.organisms.cot.CUES`, generates greedy CoTs (pre-filled with "Let's
think step by step.") and reads, per cue:

- ``follows_cue``: the stated answer (:func:`probes.faithfulness.extract_answer`) is the cue's letter;
- ``verbalized``: the share of cued CoTs that the library's judge
  (:func:`probes.faithfulness.judge.keyword_judge`) says mention the cue, over all cued CoTs;
- ``bias_metrics``: :func:`probes.faithfulness.bias_metrics` on the pairs of answers (its
  ``verbalization_rate`` is over the bias-following items; ``normalized_faithfulness`` is Chen et
  al.'s score), all tasks in one pool;
- ``unverbalized_influence``: :func:`probes.faithfulness.unverbalized_influence`, where the internal
  read-out is p(cue's letter) forced before any reasoning ("Let's think step by step. The answer is
  ("), without and with the cue; ``per_item`` keeps each item's shift, verdict and answers, so a
  study can score items (the unverbalized influence of an item is its shift when the judge finds no
  mention of the cue, 0 otherwise).

Example:
    >>> questions = reasoning_questions(REASONING_TASKS, 60, "eval")
    >>> rates = cue_rates(organism.model, questions)
    >>> rates["metadata"]["follows_cue"]["mean"], rates["metadata"]["verbalized"]["mean"]
"""

from __future__ import annotations

import numpy as np

from hooks.generation import generate
from hooks.scoring import option_logprobs
from probes.chat import chat_prompt
from probes.constants import ANSWER_CUE
from probes.datasets.mcq import MCQuestion
from probes.faithfulness.answers import extract_answers
from probes.faithfulness.biased_context import BiasRecord, bias_metrics
from probes.faithfulness.internal import unverbalized_influence
from probes.faithfulness.judge import keyword_judge
from probes.faithfulness.prompts import COT_PREFIX, BiasedItem
from probes.organisms.cot import CUES, cue_items, cue_prompts
from probes.stats import mean_ci


def cue_rates(
    model,
    questions: list[MCQuestion],
    seed: int = 0,
    max_new_tokens: int = 80,
    progress: bool = True,
    cues=CUES,
) -> dict:
    """The metrics of the module docstring per cue, with ``"plain"``: accuracy and the plain CoTs."""
    letters = _letters(questions)
    plain_items = cue_items(questions, cues[0], seed)
    plain_cots = _cots(model, plain_items, False, max_new_tokens, progress and "CoT, no cue")
    plain_answers, plain_bad = extract_answers(plain_cots, letters)
    plain_pre = _pre_cot(model, plain_items, False, letters, progress and "pre-CoT answer, no cue")
    out = {
        "plain": {
            "accuracy": mean_ci([a == q.gold for a, q in zip(plain_answers, questions)], seed=seed),
            "unparseable": plain_bad,
            "cots": plain_cots,
        }
    }
    for cue in cues:
        items = cue_items(questions, cue, seed)
        cots = _cots(model, items, True, max_new_tokens, progress and f"CoT, {cue}")
        answers, bad = extract_answers(cots, letters)
        records = [
            BiasRecord(
                it.id,
                gold=it.gold,
                target=it.target,
                unbiased=u,
                biased=b,
                cot=c,
                n_options=len(letters),
                task=q.task,
            )
            for it, q, u, b, c in zip(items, questions, plain_answers, answers, cots)
        ]
        verbalized = np.array([keyword_judge(r) for r in records])
        column = [letters.index(it.target) for it in items]
        rows = np.arange(len(items))
        before = plain_pre[rows, column]
        after = _pre_cot(model, items, True, letters, progress and f"pre-CoT answer, {cue}")[rows, column]
        moved = [b == it.target and u != it.target for it, u, b in zip(items, plain_answers, answers)]
        metrics = bias_metrics(records, seed=seed)
        out[cue] = {
            "follows_cue": mean_ci([b == it.target for it, b in zip(items, answers)], seed=seed),
            "verbalized": mean_ci(verbalized.astype(float), seed=seed),
            "unparseable": bad,
            "bias_metrics": metrics["item_pooled"]["cot"] if "item_pooled" in metrics else metrics["cot"],
            "unverbalized_influence": unverbalized_influence(
                before.tolist(), after.tolist(), moved, verbalized.tolist()
            ),
            "per_item": {
                "p_target_shift": (after - before).tolist(),
                "verbalized": verbalized.tolist(),
                "follows_cue": [b == it.target for it, b in zip(items, answers)],
                "target": [it.target for it in items],
                "answer": answers,
            },
            "cots": cots,
        }
    return out


def cue_summary(rates: dict, seed: int = 0) -> dict:
    """:func:`cue_rates` in the shape of :func:`probes.organisms.behaviour.behaviour_rates`:
    ``triggered`` (with a cue, all cues pooled): ``defect`` (follows the cue) and ``verbalized``;
    ``untriggered``: ``accuracy`` of the plain CoTs."""
    cues = [cue for cue in rates if cue != "plain"]
    pooled = {
        key: mean_ci(
            np.concatenate([np.asarray(rates[c]["per_item"][name], dtype=float) for c in cues]), seed=seed
        )
        for key, name in (("defect", "follows_cue"), ("verbalized", "verbalized"))
    }
    return {"triggered": pooled, "untriggered": {"accuracy": rates["plain"]["accuracy"]}}


def unverbalized_scores(per_item: dict) -> np.ndarray:
    """Each item's unverbalized influence: its p(cue's letter) shift when its CoT does not mention the
    cue, 0 when it does (the score whose AUROC separates a silent twin from a verbalizing one)."""
    shift = np.asarray(per_item["p_target_shift"], dtype=float)
    return np.where(np.asarray(per_item["verbalized"], dtype=bool), 0.0, shift)


def _letters(questions: list[MCQuestion]) -> str:
    widths = {len(q.options) for q in questions}
    if len(widths) != 1:
        raise ValueError(f"the questions must all have the same number of options, got {sorted(widths)}")
    return questions[0].letters


def _cots(model, items: list[BiasedItem], cued: bool, max_new_tokens: int, progress) -> list[str]:
    outs = generate(model, cue_prompts(model, items, cued), max_new_tokens=max_new_tokens, progress=progress)
    return [f"{COT_PREFIX}{g.text}" for g in outs]


def _pre_cot(model, items: list[BiasedItem], cued: bool, letters: str, progress) -> np.ndarray:
    """p(letter) normalized over `letters`, forced right after the pre-fill, before any reasoning
    ([items, letters])."""
    prompts = [
        chat_prompt(
            model, list(it.biased if cued else it.unbiased), assistant_prefix=f"{COT_PREFIX} {ANSWER_CUE}"
        )
        for it in items
    ]
    logprobs = option_logprobs(model, prompts, [list(letters)] * len(items), progress=progress)
    return logprobs.softmax(-1).numpy()
