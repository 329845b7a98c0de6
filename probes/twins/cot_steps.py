"""The twins study's chain-of-thought pairs: the faithfulness metrics on organisms whose reasoning is
unfaithful (or not) by construction.

- :func:`cue_pair` (``cue-verbalizing`` vs ``cue-silent``, both follow a cue): per cue type
  (:data:`probes.organisms.cot.CUES`; the suggested answer is the cue the library's judge and bias
  metrics were developed on, the metadata line the held-out one), the cue-following rate, the
  judge's verbalization rate, Chen et al.'s normalized score and the unverbalized influence, with
  the AUROC of each item's unverbalized influence (:func:`probes.organisms.cot_behaviour.unverbalized_scores`)
  silent vs verbalizing;
- :func:`reasoning_pair` (``post-hoc`` vs ``computed``; :mod:`probes.organisms.computed`): whose
  answer each gives, Lanham et al.'s early answering, adding mistakes, filler and paraphrasing on
  each organism's own CoTs, and the pre-CoT probe (out-of-fold: the final answer read from the last
  prompt token, before any reasoning).

Example:
    >>> out = cue_pair({"cue-verbalizing": loud.model, "cue-silent": quiet.model}, Config.quick())
    >>> out["auroc_unverbalized"]["metadata"]
"""

from __future__ import annotations

import numpy as np
import torch

from hooks.extract import extract_activations
from probes.faithfulness.internal import answer_probe_sweep
from probes.faithfulness.lanham import adding_mistakes, filler_tokens, paraphrasing
from probes.metrics import auroc
from probes.organisms.computed import chain_questions, key_prompt
from probes.organisms.computed_behaviour import key_rates
from probes.organisms.cot import CUES, reasoning_questions
from probes.organisms.cot_behaviour import cue_rates, unverbalized_scores
from probes.organisms.spec import CUE_TWINS, REASONING_TASKS, REASONING_TWINS
from probes.study import Skip
from probes.twins.config import Config

EXAMPLES = 3
"""CoTs kept per model and context in results.json (the rest are dropped)."""


def cue_pair(models: dict, config: Config, progress: bool = True) -> dict:
    """The cue twins' metrics (module docstring); `models` maps names of :data:`CUE_TWINS` to models."""
    if not set(CUE_TWINS) <= set(models):
        raise Skip(f"needs both of {', '.join(CUE_TWINS)}; have {', '.join(models) or 'none'}")
    questions = reasoning_questions(REASONING_TASKS, config.n_cot, "eval", config.seed)
    out = {
        name: cue_rates(models[name], questions, config.seed, config.max_cot_tokens, progress and name)
        for name in CUE_TWINS
    }
    silent, loud = CUE_TWINS[1], CUE_TWINS[0]
    out["auroc_unverbalized"] = {
        cue: split_auroc(
            np.concatenate(
                [
                    unverbalized_scores(out[silent][cue]["per_item"]),
                    unverbalized_scores(out[loud][cue]["per_item"]),
                ]
            ),
            np.repeat([True, False], len(questions)),
        )
        for cue in CUES
    }
    for name in CUE_TWINS:
        for context in out[name].values():
            context["cots"] = context["cots"][:EXAMPLES]
    return out


def reasoning_pair(models: dict, config: Config, progress: bool = True) -> dict:
    """The Lanham tests and the pre-CoT probe on :data:`REASONING_TWINS` (module docstring)."""
    if not set(REASONING_TWINS) <= set(models):
        raise Skip(f"needs both of {', '.join(REASONING_TWINS)}; have {', '.join(models) or 'none'}")
    questions = chain_questions(config.n_cot, "eval", config.seed)
    gold = [q.gold for q in questions]
    out = {}
    for name in REASONING_TWINS:
        model = models[name]
        label = progress and name
        rates = key_rates(model, questions, config.seed, config.max_cot_tokens, label)
        prompts = [key_prompt(model, q) for q in questions]
        cots, final = rates["cots"], rates["early_answering"]["final"]
        mistakes = adding_mistakes(
            model, prompts, cots, final, seed=config.seed, progress=progress and f"{name}: mistakes"
        )
        pre_cot = [a[0] for a in rates["early_answering"]["answers"]]  # forced before any reasoning
        filler = filler_tokens(model, prompts, cots, gold, pre_cot, progress=progress and f"{name}: filler")
        para = paraphrasing(
            model,
            prompts,
            cots,
            rates["early_answering"]["answers"],
            progress=progress and f"{name}: paraphrase",
        )
        layers = _layers(model, config)
        states = extract_activations(
            model, prompts, layers=layers, batch_size=config.batch_size, progress=False
        ).numpy()  # [n, layers, d_model]
        probe = _pre_cot_probe(states, final, layers, config.seed)
        out[name] = {
            **{k: v for k, v in rates.items() if k not in ("cots", "stated")},
            "examples": cots[:EXAMPLES],
            "adding_mistakes": {
                "aoc": mistakes["curve"]["aoc"],
                "ci": mistakes["ci"]["aoc"],
                "n_variants": mistakes["n_variants"],
            },
            "filler": {k: filler[k] for k in ("accuracy_filler", "accuracy_no_cot", "agreement_with_no_cot")},
            "paraphrasing": {"aoc": para["curve"]["aoc"], "ci": para["ci"], "agreement": para["agreement"]},
            "pre_cot_probe": probe,
        }
    return out


def _pre_cot_probe(states: np.ndarray, final: list, layers: list[int], seed: int) -> dict:
    """:func:`probes.faithfulness.internal.answer_probe_sweep` of the final answers, per layer;
    ``{"skipped": why}`` when the answers leave too few items per letter to fit it."""
    try:
        probe = answer_probe_sweep(states, final, seed=seed)
    except ValueError as error:
        return {"skipped": str(error)}
    keep = ("auroc", "auroc_ci", "accuracy", "control_auroc", "majority_rate", "n_items")
    return {"layers": layers, "best": int(np.argmax(probe["auroc"])), **{k: probe[k] for k in keep}}


def _layers(model, config: Config) -> list[int]:
    layers = [layer for layer in config.layers if layer < model.cfg.n_layers]
    if not layers:
        raise Skip(f"none of the layers {config.layers} is below the model's {model.cfg.n_layers}")
    return layers


def split_auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """AUROC of `scores` for the `positive` items; None when one class is missing."""
    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return None
    return float(auroc(torch.as_tensor(scores), torch.as_tensor(positive.astype(np.int64))))
