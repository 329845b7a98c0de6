"""The sycophancy probe: from the prompt alone, will the model go with the user's wrong answer?

The label comes from the model's own full-answer scores (1 = the user's wrong answer scores higher
than the true one); the features are the last prompt token's residual stream at every layer, for
the wrong-opinion items (``suggest_wrong``, ``biography_wrong``); a logistic sweep over layers,
split by question. :func:`probe_controls` says what the probe adds beyond the prompt's surface.

Example:
    >>> data = prompt_activations(model, choices, logprobs, train_groups, batch_size=16)
    >>> found = probe_study(data, C=0.1, seed=0)
    >>> found["summary"]["best"]["test_auroc"]
"""

from __future__ import annotations

import numpy as np
import torch

import probes
from hooks import extract_activations
from probes.choice_metrics import item_outcomes
from probes.constants import SPLIT_FRACTIONS
from probes.datasets.choices import ChoiceSet
from probes.metrics import auroc
from probes.splits import group_split

PROBE_CONDITIONS = ("baseline", "suggest_wrong", "biography_wrong")
LABEL = "1 = the user's wrong answer scores higher than the true one (full-answer format)"


def prompt_activations(
    model, full: ChoiceSet, full_logprobs: torch.Tensor, train_groups, *, batch_size: int, progress=True
) -> dict:
    """Last-prompt-token activations at every layer of the no-opinion and wrong-opinion items, with
    their labels: ``acts`` [n, layer, d_model], ``labels``, ``conditions``, ``tasks``, ``groups``,
    ``train`` (the question is in the training split)."""
    keep = [i for i, it in enumerate(full) if it.condition in PROBE_CONDITIONS]
    subset = full[keep]
    acts = extract_activations(
        model,
        subset.prompts(model),
        layers=None,
        batch_size=batch_size,
        progress=progress and "sycophancy: prompt activations",
    )
    outcome = item_outcomes(subset, full_logprobs[keep])
    return {
        "acts": acts,
        "labels": outcome["match_wins"].astype(int),
        "conditions": np.array([it.condition for it in subset]),
        "tasks": np.array([it.task for it in subset]),
        "groups": subset.groups,
        "train": np.isin(subset.groups, train_groups),
    }


def probe_study(data: dict, *, C: float, seed: int) -> dict:
    """Predict from the prompt whether the model will follow the wrong suggestion: ``probe`` (fitted
    at the validation-chosen layer) and ``summary`` (JSON-able, the old results' ``probe`` section)."""
    acts, labels, conditions = data["acts"], data["labels"], data["conditions"]
    opinion_rows = conditions != "baseline"
    result = probes.sweep(
        acts[opinion_rows], labels[opinion_rows], groups=data["groups"][opinion_rows], C=C, seed=seed
    )
    probe = probes.probe_at(result, result.best_layer)
    controls = probe_controls(
        probe.decision_function(acts[opinion_rows][:, result.best_layer].numpy()),
        labels[opinion_rows],
        conditions[opinion_rows],
        data["tasks"][opinion_rows],
        data["groups"][opinion_rows],
        seed,
    )
    return {
        "probe": probe,
        "summary": {
            "n_items": int(opinion_rows.sum()),
            "positive_rate": float(labels[opinion_rows].mean()),
            "label": LABEL,
            "best": result.best(),
            "controls": controls,
            "sweep": result.to_dict(),
        },
    }


def probe_controls(scores, labels, conditions, tasks, groups, seed) -> dict:
    """What the probe adds beyond the prompt's surface: the test AUROC of a predictor that knows only
    the (task, condition) cell's training base rate, and the probe's AUROC within each condition."""
    train, _, test = group_split(groups, SPLIT_FRACTIONS, seed)
    cells = list(zip(tasks, conditions))
    rate = {}
    for cell in set(cells):
        members = [i for i in train if cells[i] == cell]
        rate[cell] = float(np.mean(labels[members])) if members else float(labels[train].mean())
    surface = torch.tensor([rate[cells[i]] for i in test])

    def auc(score, label):
        label = torch.as_tensor(label)
        return (
            float(auroc(torch.as_tensor(score, dtype=torch.float32), label))
            if 0 < label.sum() < len(label)
            else None
        )

    within = {
        str(condition): auc(
            scores[test][conditions[test] == condition], labels[test][conditions[test] == condition]
        )
        for condition in sorted(set(conditions))
    }
    return {
        "surface_baseline_test_auroc": auc(surface, labels[test]),
        "probe_test_auroc": auc(scores[test], labels[test]),
        "probe_test_auroc_within_condition": within,
    }
