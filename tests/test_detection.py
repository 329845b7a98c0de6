"""Deception detection metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from probes.deception.metrics import detection_report, flagged_share, threshold_at_fpr


def test_threshold_flags_the_requested_share_of_controls():
    control = torch.arange(100.0)
    threshold = threshold_at_fpr(control, fpr=0.05)
    assert float(flagged_share(control, threshold)) == pytest.approx(0.05)
    assert float(threshold_at_fpr(control, fpr=0.5)) == pytest.approx(49.5)
    with pytest.raises(ValueError, match="fpr"):
        threshold_at_fpr(control, fpr=0.0)


def test_hand_computed_report():
    control = np.arange(10.0)  # threshold at fpr 0.1: 90th percentile of 0..9 = 8.1
    honest = np.array([1.0, 3.0, 8.5, 9.5])  # 2 of 4 above 8.1
    deceptive = np.array([2.0, 8.2, 12.0, 20.0, 30.0])  # 4 of 5 above 8.1
    report = detection_report(honest, deceptive, control, fpr=0.1, n_boot=300)
    assert report["threshold"]["mean"] == pytest.approx(8.1)
    assert report["recall"]["mean"] == pytest.approx(0.8)
    assert report["honest_fpr"]["mean"] == pytest.approx(0.5)
    assert report["control_fpr"]["mean"] == pytest.approx(0.1)
    # honest vs deceptive: pairs (h < d) counted by hand = 16 of 20 (ties: none)
    wins = sum(float(d > h) for h in honest for d in deceptive)
    assert report["auroc_honest_vs_deceptive"]["mean"] == pytest.approx(wins / 20)
    wins = sum(float(d > c) + 0.5 * float(d == c) for c in control for d in deceptive)  # a tie at 2.0
    assert report["auroc_control_vs_deceptive"]["mean"] == pytest.approx(wins / 50)
    for name in ("recall", "honest_fpr", "auroc_honest_vs_deceptive"):
        low, high = report[name]["ci"]
        assert low <= report[name]["mean"] <= high
    assert report["recall"]["n"] == 5 and report["honest_fpr"]["n"] == 4


def test_separable_scores_and_bad_input():
    rng = np.random.default_rng(0)
    report = detection_report(
        rng.normal(0, 1, 200), rng.normal(10, 1, 200), rng.normal(0, 1, 400), n_boot=200
    )
    assert report["auroc_honest_vs_deceptive"]["mean"] == 1.0 and report["recall"]["mean"] == 1.0
    assert report["honest_fpr"]["mean"] < 0.05
    with pytest.raises(ValueError, match="NaN"):
        detection_report([0.0, np.nan], [1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="at least 2"):
        detection_report([0.0], [1.0, 2.0], [0.0, 1.0])


@pytest.mark.integration
def test_shipped_deception_probe_separates_instructed_pairs(smol):
    """The shipped probe, loaded from disk, scores fresh instructed lies above honest answers."""
    from pathlib import Path

    import probes
    from hooks import Span, extract_activations
    from probes.deception import instructed_pairs
    from probes.metrics import auroc

    path = next(Path("artifacts/smollm2-135m-instruct").glob("deception_instructed_logistic_L*.safetensors"))
    probe = probes.load(path, model=smol)
    layer = probes.read_metadata(path)["layer"]
    pairs = instructed_pairs(n=8, seed=99)
    acts = extract_activations(
        smol, pairs.texts(smol), layers=[layer], position=Span.after(pairs.prefixes(smol)), progress=False
    )
    scores = torch.as_tensor(probe.decision_function(acts[:, 0].numpy()))
    assert float(auroc(scores, torch.tensor(pairs.labels))) > 0.9
