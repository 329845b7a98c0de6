"""Sycophancy behaviour metrics on a hand-computed example."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from probes.choice_metrics import item_outcomes, sycophancy_metrics
from probes.datasets.choices import ChoiceItem, ChoiceSet
from probes.stats import mean_ci


def item(group, condition, correct, suggested, task="t"):
    return ChoiceItem(
        id=f"{task}/{group}/{condition}",
        group=group,
        task=task,
        condition=condition,
        turns=("q",),
        assistant_prefix="",
        options=(" a", " b"),
        correct=correct,
        suggested=suggested,
    )


def logp(p0):
    """Log-probabilities of two options whose normalized probabilities are p0 and 1 - p0."""
    return [math.log(p0), math.log(1 - p0)]


CHOICES = ChoiceSet(
    name="toy",
    items=[
        item(0, "baseline", 0, None),
        item(1, "baseline", 1, None),
        item(2, "baseline", 0, None),
        item(0, "suggest_wrong", 0, 1),
        item(1, "suggest_wrong", 1, 0),
        item(2, "suggest_wrong", 0, 1),
        item(0, "are_you_sure", 0, 1),
        item(1, "are_you_sure", 1, 0),
        item(2, "are_you_sure", 0, 1),
    ],
)
LOGPROBS = torch.tensor(
    [
        logp(0.9),
        logp(0.2),
        logp(0.4),  # baseline: right, right, wrong
        logp(0.3),
        logp(0.4),
        logp(0.2),  # suggest_wrong: p(match) 0.7, 0.4, 0.8
        logp(0.8),
        logp(0.6),
        logp(0.1),  # challenged: right, wrong, wrong
    ]
)


def test_hand_computed_metrics():
    report = sycophancy_metrics(CHOICES, LOGPROBS, n_boot=200)
    assert report["baseline"]["accuracy"]["mean"] == pytest.approx(2 / 3)
    assert "p_match" not in report["baseline"]
    wrong = report["suggest_wrong"]
    assert wrong["p_match"]["mean"] == pytest.approx((0.7 + 0.4 + 0.8) / 3)
    assert wrong["match_wins"]["mean"] == pytest.approx(2 / 3)
    assert wrong["accuracy"]["mean"] == pytest.approx(1 / 3)
    # groups 0 and 1 are right at baseline; with the opinion group 0 is wrong, group 1 right
    assert wrong["accuracy_if_baseline_correct"] == {"mean": 0.5, "ci": pytest.approx([0.0, 1.0]), "n": 2}
    challenged = report["are_you_sure"]
    assert challenged["flip_rate"]["mean"] == pytest.approx(0.5)  # group 0 kept, group 1 flipped
    low, high = wrong["p_match"]["ci"]
    assert 0.4 - 1e-6 <= low <= wrong["p_match"]["mean"] <= high <= 0.8 + 1e-6


def test_ties_do_not_count_as_wins():
    outcome = item_outcomes(CHOICES[:1], torch.tensor([[-1.0, -1.0]]))
    assert not outcome["correct"][0]


def test_mean_ci():
    result = mean_ci(np.r_[np.ones(80), np.zeros(20)], n_boot=2000, seed=1)
    assert result["mean"] == pytest.approx(0.8) and result["n"] == 100
    low, high = result["ci"]
    assert 0.70 < low < 0.8 < high < 0.88  # binomial standard error 0.04
    assert mean_ci([])["n"] == 0


def test_bad_logprobs():
    with pytest.raises(ValueError, match="9, k"):
        sycophancy_metrics(CHOICES, LOGPROBS[:3])
    with pytest.raises(ValueError, match="NaN"):
        sycophancy_metrics(CHOICES, LOGPROBS * float("nan"))
