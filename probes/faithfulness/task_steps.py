"""The per-task steps of the faithfulness study: answers and CoTs, the Lanham tests, the biased contexts.

One task (e.g. ``arithmetic``) runs as three steps of :func:`probes.faithfulness.study.run`:

1. :func:`answer_task` (``<task>/answers``): no-CoT answers, four sets of greedy CoTs (plain,
   suggested answer, always-(A) unbiased and biased), answers forced after every sentence, accuracy;
   returns a :class:`TaskRun` that the next steps (and the pooled internal steps) read;
2. :func:`lanham_step` (``<task>/lanham``): early answering, adding mistakes, filler, paraphrasing;
3. :func:`bias_step` (``<task>/bias``): Turpin / Chen metrics and the bias's unverbalized influence.

The computations are those of the old ``benchmarks/faithfulness.py`` (same seeds, same order).

Example:
    >>> task = answer_task(model, "arithmetic", Config.quick(), progress="arithmetic")
    >>> task.metrics["accuracy"]["cot_forced"], lanham_step(model, task, Config.quick())["paraphrasing"]
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from hooks.forced import forced_answers, forced_answers_naive
from hooks.generation import generate
from hooks.kv_check import KVCacheError, require_kv_cache
from hooks.tokens import encode
from probes.chat import chat_prompt
from probes.constants import ANSWER_CUE
from probes.faithfulness.answers import chance_corrected, extract_answer, extract_answers
from probes.faithfulness.biased_context import BiasRecord, bias_metrics, keyword_judge
from probes.faithfulness.config import Config
from probes.faithfulness.drafts import OPTION_LETTERS as LETTERS
from probes.faithfulness.internal import unverbalized_influence
from probes.faithfulness.lanham import (
    adding_mistakes,
    early_answering,
    filler_tokens,
    paraphrasing,
    sentence_ends,
)
from probes.faithfulness.prompts import always_a, cot_prompt, plain, suggested_answer
from probes.faithfulness.tasks import REASONING_TASKS
from probes.study import Skip

log = logging.getLogger(__name__)

POOLED = ("task", "prompts", "cots", "final", "stated", "gold", "states", "lens", "forced", "text_readout")
"""What each task hands to the pooled internal, causal and cost steps (one entry per question)."""


@dataclass
class TaskRun:
    """One task's questions, prompts, CoTs and forced answers; `metrics` is its ``<task>/answers`` section."""

    task: str
    questions: list
    suggested: list  # BiasedItem, suggested answer (with CoT)
    few_shot: list  # BiasedItem, always (A) (with CoT)
    no_cot: list[list[str]]  # plain, suggested, always-(A) unbiased, biased
    prompts: dict[str, list[str]]
    cots: dict[str, list[str]]
    early: dict  # early answering on the plain CoTs (states and logit lens at every layer)
    early_other: dict[str, dict]
    stated: list
    metrics: dict = field(default_factory=dict)

    @property
    def gold(self) -> list[str]:
        return [q.gold for q in self.questions]

    @property
    def final(self) -> list[str]:
        return self.early["final"]

    def pooled(self) -> dict[str, list]:
        """The per-question values of :data:`POOLED` (the old script's ``keep``)."""
        text_readout = []
        for cot in self.cots["plain"]:
            ends = sentence_ends(cot)
            text_readout.append([None] + [extract_answer(cot[:e], LETTERS) for e in ends])
        forced = self.early["forced"]
        return {
            "task": [self.task] * len(self.questions),
            "prompts": self.prompts["plain"],
            "cots": self.cots["plain"],
            "final": self.final,
            "stated": self.stated,
            "gold": self.gold,
            "states": forced.states,  # per item [cut, layer, d_model]
            "lens": forced.lens,  # per item [cut, layer, letter]
            "forced": forced.answers(),
            "text_readout": text_readout,
        }


def label(progress: bool | str, text: str) -> bool | str:
    """A progress-bar label, or False when bars are off."""
    return text if progress else False


def kv_cache_works(model) -> bool:
    """Whether cached decoding reproduces a full pass on `model`; without it the study generates and
    forces answers by full passes (the same numbers, slower), and the cost step cannot run."""
    try:
        require_kv_cache(model)
    except KVCacheError as error:
        log.warning("faithfulness: no KV cache, full passes instead: %s", str(error).split(";")[0])
        return False
    return True


def direct_answers(
    model, message_sets, progress: bool | str = False, use_cache: bool = True, letters: str = LETTERS
) -> list[list[str]]:
    """No-CoT answers (the letter after "The answer is (" opening the reply, among `letters`), per
    list of chats.

    Each list is one call, so the solved examples a list's chats share are computed once.
    """
    name = progress if isinstance(progress, str) else "answers"
    out = []
    for k, messages in enumerate(message_sets):
        contexts = encode(model.tokenizer, [chat_prompt(model, list(m)) for m in messages]).ids
        forced = (forced_answers if use_cache else forced_answers_naive)(
            model,
            contexts,
            [[len(c)] for c in contexts],
            cue=ANSWER_CUE,
            letters=letters,
            progress=label(progress, f"{name}: no-CoT answers {k + 1}/{len(message_sets)}"),
        )
        out.append([a[0] for a in forced.answers()])
    return out


def p_letter(logprobs: torch.Tensor, letter: str) -> float:
    """Probability of `letter`, normalized over the answer letters (`logprobs` [letter])."""
    return float(logprobs.softmax(-1)[LETTERS.index(letter)])


def answer_task(
    model, task: str, config: Config, progress: bool | str = True, use_cache: bool = True
) -> TaskRun:
    """No-CoT answers, the four sets of CoTs, answers forced after every sentence, and accuracy."""
    name = task if progress is True else progress
    drawn = REASONING_TASKS[task](config.n + config.few_shot, seed=config.seed)
    questions, demos = drawn[: config.n], drawn[config.n :]  # one fixed set of solved examples per task
    plain_cot, plain_direct = plain(questions, cot=True), plain(questions, cot=False)
    sug = suggested_answer(questions, cot=True, seed=config.seed)
    sug_direct = suggested_answer(questions, cot=False, seed=config.seed)
    few = always_a(questions, cot=True, seed=config.seed, demos=demos)
    few_direct = always_a(questions, cot=False, seed=config.seed, demos=demos)
    gold = [q.gold for q in questions]

    no_cot = direct_answers(
        model,
        [
            plain_direct,
            [i.biased for i in sug_direct],
            [i.unbiased for i in few_direct],
            [i.biased for i in few_direct],
        ],
        progress=name,
        use_cache=use_cache,
    )
    chats = {
        "plain": list(plain_cot),
        "suggested": [i.biased for i in sug],
        "few_unbiased": [i.unbiased for i in few],
        "few_biased": [i.biased for i in few],
    }
    prompts = {k: [cot_prompt(model, m) for m in v] for k, v in chats.items()}
    t0 = time.perf_counter()
    generations, cots = [], {}
    for key, v in prompts.items():  # one call per set: a set's few-shot examples are prefilled once
        out = generate(
            model,
            v,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.batch_size,
            progress=label(progress, f"{name}: CoTs ({key})"),
            use_cache=use_cache,
        )
        generations += out
        cots[key] = [g.text for g in out]
    gen_seconds = time.perf_counter() - t0
    stopped = [g.stopped for g in generations]

    early = early_answering(
        model,
        prompts["plain"],
        cots["plain"],
        layers=range(model.cfg.n_layers),
        lens=True,
        progress=label(progress, f"{name}: early answering (plain)"),
        use_cache=use_cache,
    )
    early_other = {
        key: early_answering(
            model,
            prompts[key],
            cots[key],
            progress=label(progress, f"{name}: early answering ({key})"),
            use_cache=use_cache,
        )
        for key in ("suggested", "few_unbiased", "few_biased")
    }
    final = early["final"]
    stated, unparseable = extract_answers(cots["plain"], LETTERS)
    metrics: dict = {
        "n_questions": len(questions),
        "generation": {
            "n": len(generations),
            "seconds": gen_seconds,
            "stopped_at_eos": float(np.mean(stopped)),
            "mean_new_tokens": float(np.mean([len(g.token_ids) for g in generations])),
        },
        "accuracy": {
            "no_cot": float(np.mean([a == g for a, g in zip(no_cot[0], gold)])),
            "cot_forced": float(np.mean([a == g for a, g in zip(final, gold)])),
            "cot_stated": float(np.mean([a == g for a, g in zip(stated, gold)])),
            "stated_unparseable": unparseable,
            "stated_agrees_with_forced": float(
                np.mean([s == f for s, f in zip(stated, final) if s is not None])
                if unparseable < len(stated)
                else 0
            ),
            "no_cot_agrees_with_cot": chance_corrected(no_cot[0], final),
        },
        "letter_distribution": {
            "gold": {x: gold.count(x) for x in LETTERS},
            "cot_forced": {x: final.count(x) for x in LETTERS},
            "no_cot": {x: no_cot[0].count(x) for x in LETTERS},
        },
        "examples": [
            {"question": q.render(), "gold": q.gold, "cot": c, "forced_final": f}
            for q, c, f in list(zip(questions, cots["plain"], final))[:3]
        ],
    }
    accuracy = metrics["accuracy"]
    log.info("[%s] accuracy no-CoT %.2f, CoT %.2f", task, accuracy["no_cot"], accuracy["cot_forced"])
    return TaskRun(task, questions, sug, few, no_cot, prompts, cots, early, early_other, stated, metrics)


def lanham_step(
    model, run: TaskRun | None, config: Config, progress: bool | str = True, use_cache: bool = True
) -> dict:
    """The four Lanham et al. tests on the plain CoTs (the old ``tasks.<task>.lanham``)."""
    if run is None:
        raise Skip("needs the task's answers step, which did not finish")
    name = run.task if progress is True else progress
    early, prompts, cots = run.early, run.prompts["plain"], run.cots["plain"]
    lanham = {
        "early_answering": {
            "curve": early["curve"],
            "ci": early["ci"],
            "mean_sentences": float(np.mean(early["n_sentences"])),
        }
    }
    lanham["adding_mistakes"] = adding_mistakes(
        model,
        prompts,
        cots,
        run.final,
        max_positions=config.mistake_positions,
        max_new_tokens=config.mistake_tokens,
        seed=config.seed,
        batch_size=config.batch_size,
        progress=label(progress, f"{name}: adding mistakes"),
        use_cache=use_cache,
    )
    filler = filler_tokens(
        model,
        prompts,
        cots,
        run.gold,
        run.no_cot[0],
        progress=label(progress, f"{name}: filler tokens"),
        use_cache=use_cache,
    )
    filler.pop("answers")
    lanham["filler_tokens"] = filler
    lanham["paraphrasing"] = paraphrasing(
        model,
        prompts,
        cots,
        early["forced"].answers(),
        progress=label(progress, f"{name}: paraphrasing"),
        use_cache=use_cache,
    )
    return lanham


def bias_step(run: TaskRun | None, config: Config) -> dict:
    """Both biases (the old ``tasks.<task>.biased_context``)."""
    if run is None:
        raise Skip("needs the task's answers step, which did not finish")
    other = run.early_other
    return {
        "suggested_answer": bias_study(
            f"{run.task}: suggested answer",
            run.suggested,
            (run.cots["plain"], run.cots["suggested"]),
            run.early,
            other["suggested"],
            (run.no_cot[0], run.no_cot[1]),
            config.seed,
        ),
        "always_a": bias_study(
            f"{run.task}: always (A)",
            run.few_shot,
            (run.cots["few_unbiased"], run.cots["few_biased"]),
            other["few_unbiased"],
            other["few_biased"],
            (run.no_cot[2], run.no_cot[3]),
            config.seed,
        ),
    }


def bias_records(items, unbiased, biased, no_cot, cots, task: str = "") -> list[BiasRecord]:
    """One :class:`BiasRecord` per BiasedItem: its answers without / with the bias (`unbiased`,
    `biased`), the no-CoT pair ``no_cot = (unbiased, biased)`` and the biased CoT."""
    return [
        BiasRecord(
            it.id,
            gold=it.gold,
            target=it.target,
            unbiased=u,
            biased=b,
            unbiased_no_cot=nu,
            biased_no_cot=nb,
            cot=c,
            n_options=len(it.letters),
            task=task,
        )
        for it, u, b, nu, nb, c in zip(items, unbiased, biased, no_cot[0], no_cot[1], cots)
    ]


def bias_study(name, items, cots, early_unbiased, early_biased, no_cot, seed: int) -> dict:
    """Turpin / Chen metrics on forced and on stated answers, and the unverbalized influence."""
    unbiased_cot, biased_cot = cots
    stated_u, bad_u = extract_answers(unbiased_cot, LETTERS)
    stated_b, bad_b = extract_answers(biased_cot, LETTERS)
    out = {"n_items": len(items), "unparseable_stated": {"unbiased": bad_u, "biased": bad_b}}
    for kind, (ans_u, ans_b) in {
        "forced": (early_unbiased["final"], early_biased["final"]),
        "stated": (stated_u, stated_b),
    }.items():
        records = bias_records(items, ans_u, ans_b, no_cot, biased_cot)
        out[kind] = bias_metrics(records, seed=seed)
    targets = [it.target for it in items]
    out["unverbalized_influence"] = unverbalized_influence(
        [p_letter(f[0], t) for f, t in zip(early_unbiased["forced"].logprobs, targets)],
        [p_letter(f[0], t) for f, t in zip(early_biased["forced"].logprobs, targets)],
        [b == t and u != t for u, b, t in zip(early_unbiased["final"], early_biased["final"], targets)],
        [
            keyword_judge(BiasRecord(it.id, gold=it.gold, target=it.target, cot=c))
            for it, c in zip(items, biased_cot)
        ],
    )
    out["examples"] = [
        {"id": it.id, "gold": it.gold, "target": it.target, "biased_cot": c, "forced": f}
        for it, c, f in list(zip(items, biased_cot, early_biased["final"]))[:3]
    ]
    following = out["forced"]["cot"].get("bias_following", {}).get("mean")
    log.info("%s: bias-following (forced, CoT) %s", name, "-" if following is None else f"{following:.3f}")
    return out
