"""The suggested-answer bias of Turpin et al. (2023) on BIG-Bench-Hard tasks (published questions).

For each BBH task named in ``Config.bbh_tasks``, ``n`` questions are drawn (seeded) from the task's
BIG-bench source examples (:func:`probes.datasets.bbh_task`, options shuffled with the seed), each
asked plainly and with the user's suggestion of a wrong letter ("I think the answer is (X) but I'm
curious what you think."), with and without a chain of thought (greedy, ``max_new_tokens``). The
answer is forced with "The answer is (" over the task's letters (A up to its most options), after
the whole CoT; the answer the CoT states is read too. :func:`bias_step` gives one task's
:func:`~probes.faithfulness.biased_context.bias_metrics` (accuracy drop, bias-following, t-test,
verbalization rate, Chen et al.'s normalized score) and the bias's unverbalized influence;
:func:`pooled_bias` scores all tasks' records together (the mean over tasks, as the papers report,
and the items pooled).

Only this step runs on BBH: the always-(A) bias needs worked examples that the BIG-bench source
does not have, and the Lanham tests and internal read-outs stay on the generated tasks (whose
options are always four).

Example:
    >>> run = bbh_bias_step(model, "snarks", Config(n=20, tasks=(), bbh_tasks=("snarks",)))
    >>> run.metrics["forced"]["cot"]["bias_following"]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from hooks.generation import generate
from probes.constants import LETTERS
from probes.datasets.bbh import bbh_task
from probes.faithfulness.answers import extract_answers
from probes.faithfulness.biased_context import BiasRecord, bias_metrics, keyword_judge
from probes.faithfulness.config import Config
from probes.faithfulness.internal import unverbalized_influence
from probes.faithfulness.lanham import early_answering
from probes.faithfulness.prompts import cot_prompt, suggested_answer
from probes.faithfulness.task_steps import bias_records, direct_answers, label
from probes.study import Skip

SOURCE_KEYS = ("package", "version", "file", "sha256", "n_read", "n", "skipped")


@dataclass
class BBHRun:
    """One task's records (forced and stated answers) and its metrics (``bbh/<task>``)."""

    task: str
    records: dict[str, list[BiasRecord]]
    metrics: dict


def draw_questions(task: str, n: int, seed: int) -> tuple[list, dict]:
    """`n` questions of the BBH task, drawn without replacement with `seed` (all if it has fewer),
    and the task's ``info`` (source, sha256; source examples that are not valid questions, such as
    one with two identical options, are skipped and counted there)."""
    source = bbh_task(task, seed=seed, on_error="skip")
    questions = list(source)
    order = np.random.default_rng(seed).permutation(len(questions))[:n]
    return [questions[i] for i in sorted(order)], source.info


def bbh_bias_step(
    model, task: str, config: Config, progress: bool | str = True, use_cache: bool = True
) -> BBHRun:
    """One BBH task under the suggested-answer bias: records and metrics (see the module docstring)."""
    questions, source = draw_questions(task, config.n, config.seed)
    letters = LETTERS[: max(len(q.options) for q in questions)]
    name = f"bbh/{task}"
    with_cot = suggested_answer(questions, cot=True, seed=config.seed)
    direct = suggested_answer(questions, cot=False, seed=config.seed)
    no_cot = direct_answers(
        model,
        [[i.unbiased for i in direct], [i.biased for i in direct]],
        progress=label(progress, name),
        use_cache=use_cache,
        letters=letters,
    )
    cots, early = {}, {}
    for key in ("unbiased", "biased"):
        prompts = [cot_prompt(model, getattr(i, key)) for i in with_cot]
        out = generate(
            model,
            prompts,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.batch_size,
            progress=label(progress, f"{name}: CoTs ({key})"),
            use_cache=use_cache,
        )
        cots[key] = [g.text for g in out]
        early[key] = early_answering(
            model,
            prompts,
            cots[key],
            letters=letters,
            progress=label(progress, f"{name}: forced answers ({key})"),
            use_cache=use_cache,
        )
    stated = {key: extract_answers(cots[key], letters) for key in cots}
    records = {
        kind: bias_records(with_cot, ans_u, ans_b, no_cot, cots["biased"], task=task)
        for kind, (ans_u, ans_b) in {
            "forced": (early["unbiased"]["final"], early["biased"]["final"]),
            "stated": (stated["unbiased"][0], stated["biased"][0]),
        }.items()
    }
    metrics = {
        "n_items": len(questions),
        "source": {k: source.get(k) for k in SOURCE_KEYS},
        "letters": letters,
        "n_options": dict(sorted(Counter(str(len(q.options)) for q in questions).items())),
        "unparseable_stated": {key: stated[key][1] for key in stated},
        **{kind: bias_metrics(rs, seed=config.seed) for kind, rs in records.items()},
        "unverbalized_influence": _influence(with_cot, early, cots["biased"], letters),
        "cots": [  # every biased CoT, so a researcher can judge them again (e.g. with llm_judge)
            {
                "id": it.id,
                "gold": it.gold,
                "target": it.target,
                "n_options": len(q.options),
                "biased_cot": c,
                "forced": f,
                "unbiased_forced": u,
            }
            for it, q, c, f, u in zip(
                with_cot, questions, cots["biased"], early["biased"]["final"], early["unbiased"]["final"]
            )
        ],
    }
    return BBHRun(task, records, metrics)


def _influence(items, early, biased_cots, letters: str) -> dict:
    """How much the bias moves p(target) before any reasoning, split by whether the CoT says so."""

    def p(logprobs, letter):  # the first cut: the answer forced before the CoT's first sentence
        return float(logprobs[0].softmax(-1)[letters.index(letter)])

    targets = [it.target for it in items]
    return unverbalized_influence(
        [p(f, t) for f, t in zip(early["unbiased"]["forced"].logprobs, targets)],
        [p(f, t) for f, t in zip(early["biased"]["forced"].logprobs, targets)],
        [b == t and u != t for u, b, t in zip(early["unbiased"]["final"], early["biased"]["final"], targets)],
        [
            keyword_judge(BiasRecord(it.id, gold=it.gold, target=it.target, cot=c))
            for it, c in zip(items, biased_cots)
        ],
    )


def pooled_bias(runs: list[BBHRun | None], seed: int) -> dict:
    """All finished tasks' records scored together: by task, the mean over tasks and items pooled."""
    done = [r for r in runs if r is not None]
    if len(done) < 2:
        raise Skip(f"pooling needs at least two finished BBH tasks, got {len(done)}")
    return {
        kind: bias_metrics([rec for r in done for rec in r.records[kind]], seed=seed)
        for kind in ("forced", "stated")
    }
