"""The model's own statements of city facts: steering with the deception vector and on-policy lies
(steps 5-6 of :mod:`probes.deception.study`).

- :func:`steering_study`: the mean deceptive-minus-honest answer activation at the probe layer,
  added to the instructed test prompts cut at "The city of X is in"; p(true country) against the
  multiplier, under the honest and the lying instruction.
- :func:`on_policy`: the model completes "The city of X is in" itself after either instruction;
  an answer naming the true country is honest, another country deceptive; the probe scores them.

Example:
    >>> vec = deception_vector(model, pooled, data["instructed"], train, layer)
    >>> steering_study(model, vec, truth_choices(data["instructed"], test), [-8, 0, 8])
"""

from __future__ import annotations

import logging
import os
import re

import numpy as np
import torch
from torch import Tensor

import probes
from hooks import KVCacheError, generate, require_kv_cache
from probes.datasets import ChoiceItem, ChoiceSet
from probes.datasets.geography import city_pool
from probes.deception.dialogues import DialogueSet
from probes.deception.probing import answer_activations
from probes.dose import dose_response
from probes.metrics import auroc

log = logging.getLogger(__name__)

CONDITIONS = ("honest_instruction", "lie_instruction")
ON_POLICY_TOKENS = 8
"""New tokens the model writes after "The city of X is in" (enough for a country name)."""


def truth_choices(ds: DialogueSet, index: np.ndarray) -> ChoiceSet:
    """The instructed prompts as two-option questions: after "The city of X is in", the true or the
    false country. `suggested` is set to the true option so that p_match reads p(true)."""
    items = []
    by_group: dict[int, dict[int, object]] = {}
    for i in index:
        item = ds[int(i)]
        by_group.setdefault(item.group, {})[item.label] = item
    for group, pair in sorted(by_group.items()):
        if set(pair) != {0, 1}:
            continue
        true_text, false_text = pair[0].answer, pair[1].answer
        cut = os.path.commonprefix([true_text, false_text]).rstrip()
        cut = cut[: cut.rfind(" ")] if not cut.endswith(" in") else cut
        options = (true_text[len(cut) :].rstrip("."), false_text[len(cut) :].rstrip("."))
        for label, item in pair.items():
            items.append(
                ChoiceItem(
                    id=item.id,
                    group=group,
                    task="cities",
                    condition="lie_instruction" if label else "honest_instruction",
                    turns=item.turns,
                    assistant_prefix=cut,
                    options=options,
                    correct=0,
                    suggested=0,
                )
            )
    return ChoiceSet(name="instructed_truth", items=items)


def deception_vector(
    model, pooled: Tensor, ds: DialogueSet, train: np.ndarray, layer: int
) -> probes.SteeringVector:
    """Mean deceptive minus mean honest answer activation (train split) at `layer`."""
    labels = ds.labels[train]
    diff = pooled[train][labels == 1, layer].mean(0) - pooled[train][labels == 0, layer].mean(0)
    return probes.SteeringVector(
        diff,
        f"blocks.{layer}.hook_resid_post",
        str(model.cfg.model_name),
        {
            "method": "mean_difference",
            "note": "deceptive minus honest answer, mean over tokens",
            "dataset_sha256": ds.sha256(),
            "layer": layer,
        },
    )


def steering_study(
    model,
    vec: probes.SteeringVector,
    choices: ChoiceSet,
    multipliers,
    *,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """p(true country) under each instruction against the multiplier; ``rows`` is the whole
    dose-response (so the plot can be redrawn)."""
    if len(choices) == 0:
        raise ValueError("no test fact has both an honest and a lying version; use a larger n_instructed")
    layer = vec.info["layer"]
    result = dose_response(
        model, {layer: vec}, list(multipliers), {"truth": choices}, seed=seed, progress=progress
    )
    curves = {
        cond: {
            str(m): result.value("truth", cond, "p_match", layer=layer, multiplier=m)["mean"]
            for m in result.multipliers
        }
        for cond in CONDITIONS
    }
    return {"layer": layer, "p_true_by_multiplier": curves, "rows": result.to_dict()}


def _cache_works(model) -> bool:
    """Whether cached decoding is usable; without it generation recomputes (same tokens, slower)."""
    try:
        require_kv_cache(model)
    except KVCacheError as error:
        log.warning("deception on-policy: generating without the KV cache (%s)", error)
        return False
    return True


def on_policy(
    model, ds: DialogueSet, test: np.ndarray, scorer, n: int, *, batch_size: int = 16, progress=True
) -> dict:
    """Answer the first `n` instructed test prompts, label each by the country named, score them."""
    if n < 1:
        raise ValueError(f"on_policy must be >= 1 to generate answers, got {n}")
    subset = ds[[int(i) for i in test[:n]]]
    truth = {}
    for item in ds:
        if item.label == 0:
            truth[item.group] = item.answer.rsplit(" in ", 1)[-1].rstrip(".")
    starts, prompts = [], []
    for item in subset:  # the answer starts "The city of X is in" and the model names the country
        honest = [d for d in ds if d.group == item.group and d.label == 0][0]
        start = honest.answer.rsplit(" in ", 1)[0] + " in"
        starts.append(start)
        prompts.append(
            probes.chat_prompt(model, list(item.turns), system=item.system, assistant_prefix=start)
        )
    label = progress and "deception: on-policy answers"
    outs = generate(
        model,
        prompts,
        max_new_tokens=ON_POLICY_TOKENS,
        batch_size=batch_size,
        use_cache=_cache_works(model),
        progress=label,
    )
    answers = [start + out.text for start, out in zip(starts, outs)]
    generated = subset.with_answers(answers)
    countries = sorted({c.country for c in city_pool()}, key=len, reverse=True)
    labels, kept = [], []
    for i, (item, answer) in enumerate(zip(generated, answers)):
        named = [c for c in countries if re.search(rf"\b{re.escape(c)}\b", answer)]
        if not named:
            continue
        labels.append(int(truth[item.group] not in named))
        kept.append(i)
    spans = answer_activations(
        model, generated, batch_size=batch_size, progress=progress and "deception: on-policy activations"
    )
    scores = spans.per_prompt(scorer(spans.values), "mean")[kept]
    labels = np.asarray(labels)
    instruction = np.asarray([generated[i].label for i in kept])

    def false_rate(told_to_lie: int) -> float | None:
        chosen = labels[instruction == told_to_lie]
        return float(chosen.mean()) if len(chosen) else None

    result = {
        "n_generated": len(answers),
        "n_labelled": len(kept),
        "n_honest": int((labels == 0).sum()),
        "n_deceptive": int((labels == 1).sum()),
        "by_instruction": {
            "lie_instruction_false_rate": false_rate(1),
            "honest_instruction_false_rate": false_rate(0),
        },
        "examples": [
            {"instruction": "lie" if generated[i].label else "honest", "answer": answers[i]}
            for i in range(min(6, len(answers)))
        ],
    }
    if 0 < labels.sum() < len(labels):
        result["auroc_vs_content"] = float(auroc(torch.as_tensor(scores), torch.as_tensor(labels)))
    if 0 < instruction.sum() < len(instruction):  # does the probe flag the lying context itself?
        result["auroc_vs_instruction"] = float(auroc(torch.as_tensor(scores), torch.as_tensor(instruction)))
    return result
