"""The pooled steps of the faithfulness study: internal read-outs, the steering check, the cost.

They read every finished task's questions together (the ``pooled`` lists of
:meth:`probes.faithfulness.task_steps.TaskRun.pooled`), as the old ``benchmarks/faithfulness.py`` did:

- :func:`internal_study` (step ``internal``): a pre-CoT probe per layer predicting the final answer
  from the last prompt token, per task at the chosen layer, the logit lens there, and where the
  probe, the lens, the forced answer and the text settle on the final answer along the CoT;
- :func:`causal_study` (step ``causal``): steering along a per-letter answer direction at that layer
  against a random direction of the same norm (flip rate; whether the CoT states the steered answer);
- :func:`cost_study` (step ``cost``): forced answers with the shared prefix vs a forward per cut.

A step that cannot compute (e.g. too few items per final letter for the probe's folds) raises, and
the study records it in ``result.skipped``; :func:`causal_study` then raises :class:`~probes.study.Skip`.

Example:
    >>> pre = precot_states(pooled)                         # [n, layer, d_model]
    >>> internal = internal_study(pooled, pre, Config.quick())
    >>> causal_study(model, pooled, pre, internal, Config.quick())["answer_direction"]["flip_rate"]
"""

from __future__ import annotations

import logging
import statistics
import time

import numpy as np
import torch
from jaxtyping import Float
from tqdm.auto import tqdm

from hooks import steer
from hooks.forced import cot_context, forced_answers, forced_answers_naive
from hooks.generation import generate
from hooks.names import hook_name
from probes.faithfulness.answers import extract_answer
from probes.faithfulness.config import Config
from probes.faithfulness.drafts import OPTION_LETTERS as LETTERS
from probes.faithfulness.internal import (
    answer_directions,
    answer_probe_sweep,
    out_of_fold_answers,
    settle_report,
)
from probes.faithfulness.lanham import CUE, sentence_ends
from probes.faithfulness.task_steps import label
from probes.stats import mean_ci
from probes.steering import SteeringVector
from probes.study import Skip

log = logging.getLogger(__name__)

COST_CONTEXTS = 32
"""CoTs timed in the cost step (the first of the pooled ones)."""

COST_REPEATS = 3
"""Interleaved repeats of the shared and the naive forced answers (the median is reported)."""


def precot_states(pooled: dict) -> Float[np.ndarray, "n layer d_model"]:
    """The residual stream at the last prompt token (before any reasoning), every layer."""
    if not pooled.get("states"):
        raise Skip("no task finished its answers step, so there are no states to read")
    return np.stack([s[0].numpy() for s in pooled["states"]])


def internal_study(pooled: dict, pre: np.ndarray | None, config: Config, progress: bool | str = True) -> dict:
    """Pre-CoT probe, logit lens, read-outs along the CoT (the old ``internal`` without ``causal``)."""
    if pre is None:
        raise Skip("no task finished its answers step, so there are no states to read")
    final = pooled["final"]
    sweep = answer_probe_sweep(
        pre, final, seed=config.seed, progress=label(progress, "internal: pre-CoT probe by layer")
    )
    per_task = {}
    for task in dict.fromkeys(pooled["task"]):
        idx = [i for i, t in enumerate(pooled["task"]) if t == task]
        try:
            s = answer_probe_sweep(
                pre[idx], [final[i] for i in idx], layers=[sweep["best_layer"]], seed=config.seed
            )
            per_task[task] = {
                "auroc": s["auroc"][0],
                "auroc_ci": s["auroc_ci"][0],
                "control": s["control_auroc"][0],
            }
        except ValueError as error:  # a task whose final answers are almost all one letter
            per_task[task] = {"skipped": str(error)}
    lens_pre = np.stack([lens[0].numpy() for lens in pooled["lens"]])  # [n, layer, letter]
    lens_accuracy = [
        float(np.mean([LETTERS[j] == f for j, f in zip(lens_pre[:, layer].argmax(-1), final)]))
        for layer in range(lens_pre.shape[1])
    ]
    best = sweep["best_layer"]
    layer_index = list(sweep["layers"]).index(best)
    along = out_of_fold_answers(
        [s[:, layer_index].numpy() for s in pooled["states"]], final, seed=config.seed
    )
    lens_along = [[LETTERS[int(j)] for j in lens[:, best].argmax(-1)] for lens in pooled["lens"]]
    readouts = {
        "probe": along,
        f"lens_L{best}": lens_along,
        "forced": pooled["forced"],
        "text": pooled["text_readout"],
    }
    log.info("pre-CoT probe: best layer %d, AUROC %.3f", best, sweep["auroc"][layer_index])
    return {
        "precot_probe": sweep,
        "precot_probe_per_task": per_task,
        "precot_lens_accuracy": lens_accuracy,
        "settle": settle_report(readouts, final),
    }


def causal_study(
    model,
    pooled: dict,
    pre: np.ndarray | None,
    internal: dict | None,
    config: Config,
    progress: bool | str = True,
    use_cache: bool = True,
) -> dict:
    """Steer along a per-letter answer direction toward another letter; flip rate and rationalization."""
    if internal is None or pre is None:
        raise Skip("needs the layer the internal step chooses, and the internal step did not finish")
    layer = internal["precot_probe"]["best_layer"]
    final = pooled["final"]
    directions = answer_directions(pre[:, layer], final)
    rng = np.random.default_rng(config.seed)
    chosen = []
    for task in dict.fromkeys(pooled["task"]):
        idx = [i for i, t in enumerate(pooled["task"]) if t == task][: config.n_causal]
        chosen += idx
    targets = {}
    for i in chosen:
        options = [x for x in directions if x != final[i]]
        if options:
            targets[i] = options[int(rng.integers(len(options)))]
    hook = hook_name(layer)
    out = {
        "layer": layer,
        "multiplier": config.steer_multiplier,
        "n_items": len(targets),
        "direction_norms": {x: float(np.linalg.norm(d)) for x, d in directions.items()},
        "mean_state_norm": float(np.linalg.norm(pre[:, layer], axis=-1).mean()),
    }
    for kind in ("answer_direction", "random_direction"):
        steered_final, steered_text = {}, {}
        for letter in directions:
            idx = [i for i, t in targets.items() if t == letter]
            if not idx:
                continue
            d = torch.tensor(directions[letter], dtype=torch.float32)
            if kind == "random_direction":
                r = torch.tensor(rng.standard_normal(d.shape[0]), dtype=torch.float32)
                d = r / r.norm() * d.norm()
            vector = SteeringVector(d, hook, model.cfg.model_name) * config.steer_multiplier
            where = f"causal: {kind.replace('_', ' ')} toward ({letter})"
            with steer(model, vector):
                gens = generate(
                    model,
                    [pooled["prompts"][i] for i in idx],
                    max_new_tokens=config.max_new_tokens,
                    batch_size=config.batch_size,
                    progress=label(progress, f"{where}: CoTs"),
                    use_cache=use_cache,
                )
                contexts, cuts = [], []
                for i, g in zip(idx, gens):
                    ids, _ = cot_context(model, pooled["prompts"][i], g.text, [])
                    contexts.append(ids)
                    cuts.append([len(ids)])
                answers = (forced_answers if use_cache else forced_answers_naive)(
                    model,
                    contexts,
                    cuts,
                    cue=CUE,
                    letters=LETTERS,
                    progress=label(progress, f"{where}: answer"),
                ).answers()
            for i, g, a in zip(idx, gens, answers):
                steered_final[i], steered_text[i] = a[0], g.text
        flipped = [i for i in targets if steered_final.get(i) == targets[i]]
        stated = {i: extract_answer(steered_text[i], LETTERS) for i in flipped}
        out[kind] = {
            "flip_rate": mean_ci([steered_final[i] == targets[i] for i in targets]),
            "changed_rate": mean_ci([steered_final[i] != final[i] for i in targets]),
            "flipped_cot_states_target": mean_ci([stated[i] == targets[i] for i in flipped])
            if flipped
            else None,
            "flipped_cot_states_nothing": mean_ci([stated[i] is None for i in flipped]) if flipped else None,
            "examples": [
                {
                    "target": targets[i],
                    "original_final": final[i],
                    "steered_final": steered_final[i],
                    "cot": steered_text[i],
                }
                for i in flipped[:3]
            ],
        }
        log.info("causal %s: flip rate %s", kind, out[kind]["flip_rate"]["mean"])
    return out


def cost_study(
    model,
    pooled: dict,
    n: int = COST_CONTEXTS,
    repeats: int = COST_REPEATS,
    progress: bool | str = True,
    use_cache: bool = True,
) -> dict:
    """Forced answers after every sentence: shared prefix vs a forward per truncation, interleaved."""
    if not use_cache:
        raise Skip("the model has no working KV cache, so the shared-prefix version cannot run")
    if not pooled.get("prompts"):
        raise Skip("no task finished its answers step, so there are no CoTs to time")
    contexts, cuts = [], []
    for prompt, cot in list(zip(pooled["prompts"], pooled["cots"]))[:n]:
        ids, cs = cot_context(model, prompt, cot, sentence_ends(cot))
        contexts.append(ids)
        cuts.append(sorted(set(cs)))
    shared_t, naive_t, ratios = [], [], []
    bar = tqdm(range(repeats), desc="cost: shared vs naive forced answers", disable=not progress)
    for _ in bar:
        t0 = time.perf_counter()
        shared = forced_answers(model, contexts, cuts, letters=LETTERS, progress=False)
        t1 = time.perf_counter()
        naive = forced_answers_naive(model, contexts, cuts, letters=LETTERS, progress=False)
        t2 = time.perf_counter()
        shared_t.append(t1 - t0)
        naive_t.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    diff = max(float((a - b).abs().max()) for a, b in zip(shared.logprobs, naive.logprobs))
    same = float(np.mean([a == b for x, y in zip(shared.answers(), naive.answers()) for a, b in zip(x, y)]))
    return {
        "n_contexts": len(contexts),
        "n_truncations": sum(len(c) for c in cuts),
        "mean_context_tokens": float(np.mean([len(c) for c in contexts])),
        "shared_seconds": statistics.median(shared_t),
        "naive_seconds": statistics.median(naive_t),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "max_abs_logprob_difference": diff,
        "same_answer_share": same,
    }
