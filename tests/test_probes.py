"""Probe estimators, metrics, splits and layer sweeps on synthetic data with a planted direction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score

from probes.contrast import CCSProbe, PCAProbe, pair_features
from probes.layer_sweep import probe_at, sweep
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.metrics import accuracy, auroc
from probes.splits import group_split
from probes.stats import bootstrap_ci

D = 24


def planted(n=400, strength=1.5, seed=0, offset=5.0):
    """Activations with class signal along one unit direction, noise elsewhere, a shared offset."""
    direction = np.random.default_rng(123).normal(size=D)  # the same direction for every seed
    direction /= np.linalg.norm(direction)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, D)) + np.outer(2 * y - 1, direction) * strength + offset
    return x.astype(np.float32), y, direction


@pytest.mark.parametrize("probe", [LogisticProbe(C=0.1), MeanDiffProbe(), MeanDiffProbe(whiten=True)])
def test_supervised_probes_recover_the_planted_direction(probe):
    x, y, direction = planted()
    fitted = clone(probe).fit(torch.from_numpy(x), y)
    assert abs(fitted.direction_ @ direction) > 0.9
    assert np.isclose(np.linalg.norm(fitted.direction_), 1)
    x_test, y_test, _ = planted(seed=1)
    assert fitted.score(x_test, y_test) > 0.9
    assert cross_val_score(clone(probe), x, y, cv=3).mean() > 0.9


def test_logistic_probe_matches_scikit_learn_on_standardized_data():
    x, y, _ = planted(strength=0.5)
    ours = LogisticProbe(C=0.05).fit(x, y)
    standardized = (x - x.mean(0)) / x.std(0, ddof=1)
    reference = LogisticRegression(C=0.05, tol=1e-8, max_iter=10_000).fit(standardized, y)
    np.testing.assert_allclose(ours.coef_ * ours.scale_, reference.coef_[0], atol=2e-3)
    assert np.array_equal(ours.predict(x), reference.predict(standardized))


def test_estimator_contract():
    probe = LogisticProbe(C=0.3)
    assert probe.get_params() == {"C": 0.3, "max_iter": 50}
    with pytest.raises(NotFittedError):
        probe.predict(np.zeros((2, D)))
    x, y, _ = planted()
    assert probe.fit(x, y) is probe and probe.predict_proba(x).shape == (len(x), 2)


@pytest.mark.parametrize(
    "probe", [LogisticProbe(), MeanDiffProbe(), PCAProbe(), CCSProbe(n_tries=1, n_epochs=5)]
)
def test_bad_inputs_fail_clearly(probe):
    x, y, _ = planted(n=20)
    pairs = pair_features(x[:10], x[10:])
    fit = (
        (lambda xx, yy: probe.fit(pair_features(xx[:10], xx[10:])))
        if probe.__class__ in (PCAProbe, CCSProbe)
        else probe.fit
    )
    broken = x.copy()
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        fit(broken, y)
    if not isinstance(probe, (PCAProbe, CCSProbe)):
        with pytest.raises(ValueError, match="only class"):
            probe.fit(x, np.ones(20, dtype=int))
        with pytest.raises(ValueError, match="shape \\[20\\]"):
            probe.fit(x, y[:5])
        with pytest.raises(ValueError, match="Only binary classification"):
            probe.fit(x, np.arange(20) % 3)
    else:
        with pytest.raises(ValueError, match="odd number"):
            probe.fit(x[:, :-1])
        with pytest.raises(ValueError, match="n_pairs, 2\\*d_model.*reshape"):
            probe.fit(np.stack([x[:10], x[10:]], axis=1))
        probe.fit(pairs)
    fitted = probe if hasattr(probe, "direction_") else probe.fit(x, y)
    with pytest.raises(ValueError, match="width"):
        fitted.decision_function(np.zeros((2, D + 1)))


def contrast_pairs(n=200, seed=0):
    """Pairs whose first member is the true one for half of them, plus a shared side offset."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=D)
    direction /= np.linalg.norm(direction)
    first_true = rng.integers(0, 2, n)
    base = rng.normal(size=(n, D)) * 2
    sign = np.outer(2 * first_true - 1, direction) * 1.5
    pairs = np.stack([base + sign + rng.normal(size=D), base - sign], axis=1)
    return pairs.astype(np.float32), first_true, direction


@pytest.mark.parametrize("probe", [PCAProbe(), CCSProbe(n_tries=3, n_epochs=300)])
def test_unsupervised_contrast_probes_find_the_direction_and_are_deterministic(probe):
    pairs, first_true, direction = contrast_pairs()
    X = pair_features(pairs[:, 0], pairs[:, 1])
    assert np.array_equal(X, pairs.reshape(len(pairs), -1))  # the same layout
    fitted = clone(probe).fit(X)
    assert abs(fitted.direction_ @ direction) > 0.9
    again = clone(probe).fit(X)
    assert np.array_equal(fitted.direction_, again.direction_)
    fitted.orient(X, first_true)
    assert fitted.score(X, first_true) > 0.95  # within a pair the shared noise cancels
    # a pair's score: how much further along the direction its first member lies than its second
    statements = fitted.statement_scores(pairs[:, 0]) - fitted.statement_scores(pairs[:, 1])
    np.testing.assert_allclose(fitted.decision_function(X), statements + fitted.intercept_, atol=1e-9)
    assert fitted.intercept_ != 0  # the shared offset on the first members is removed


@pytest.mark.parametrize("probe", [PCAProbe(), CCSProbe(n_tries=3, n_epochs=300)])
def test_contrast_probes_fix_their_sign_with_labels_of_any_two_values(probe):
    pairs, first_true, _ = contrast_pairs()
    X = torch.from_numpy(pair_features(pairs[:, 0], pairs[:, 1]))
    named = np.where(first_true == 1, "first", "second")  # sorted: classes_[1] = "second"
    fitted = clone(probe).fit(X, named)
    assert fitted.classes_.tolist() == ["first", "second"]
    assert np.mean(fitted.predict(X) == named) > 0.95  # "second" where the second member is the true one
    unlabeled = clone(probe).fit(X)
    assert unlabeled.classes_.tolist() == [0, 1]
    assert abs(unlabeled.direction_ @ fitted.direction_) == pytest.approx(1.0)  # y only fixes the sign


def test_pair_features_keeps_the_type_and_refuses_mismatched_members():
    a, b = np.ones((3, 4), np.float32), np.zeros((3, 4), np.float32)
    assert pair_features(a, b).shape == (3, 8) and isinstance(pair_features(a, b), np.ndarray)
    both = pair_features(torch.from_numpy(a), torch.from_numpy(b))
    assert isinstance(both, torch.Tensor) and both[:, :4].eq(1).all() and both[:, 4:].eq(0).all()
    with pytest.raises(ValueError, match=r"\[n_pairs, d_model\].*\(3, 4\) and \(2, 4\)"):
        pair_features(a, b[:2])


@pytest.mark.parametrize("probe", [LogisticProbe(C=0.1), MeanDiffProbe()])
@pytest.mark.parametrize(
    "encode",
    [lambda y: 2 * y - 1, lambda y: np.where(y == 1, "yes", "no"), lambda y: y + 1.0, lambda y: y == 1],
)
def test_any_two_labels_give_the_same_probe_and_come_back_from_predict(probe, encode):
    x, y, _ = planted()
    labels = encode(y)
    reference = clone(probe).fit(x, y)
    fitted = clone(probe).fit(x, labels)
    np.testing.assert_allclose(fitted.coef_, reference.coef_, rtol=1e-6, atol=1e-9)
    assert fitted.classes_.tolist() == sorted(set(labels.tolist()))
    np.testing.assert_array_equal(fitted.predict(x), fitted.classes_[reference.predict(x)])
    assert fitted.score(x, labels) == reference.score(x, y)


def test_auroc_matches_scikit_learn_with_ties_and_batches():
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(4, 60, generator=generator).round(decimals=1)  # many ties
    labels = torch.randint(0, 2, (60,), generator=generator)
    expected = [roc_auc_score(labels.numpy(), s.numpy()) for s in scores]
    np.testing.assert_allclose(auroc(scores, labels).numpy(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="both classes"):
        auroc(scores, torch.zeros(60, dtype=torch.long))


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_data():
    scores, labels = torch.randn(2000), torch.randint(0, 2, (2000,))
    scores = scores + labels  # AUROC ~0.76
    wide = bootstrap_ci(auroc, scores[:100], labels[:100], n_boot=500)
    narrow = bootstrap_ci(auroc, scores, labels, n_boot=500)
    assert narrow[0] < auroc(scores, labels) < narrow[1]
    assert (narrow[1] - narrow[0]) < (wide[1] - wide[0])
    assert accuracy(torch.tensor([1.0, -1.0]), torch.tensor([1, 1])) == 0.5


def test_group_split_keeps_groups_together_and_is_seeded():
    groups = np.repeat(np.arange(50), 2)
    parts = group_split(groups, (0.6, 0.2, 0.2), seed=3)
    assert sum(len(p) for p in parts) == 100
    sides = [set(groups[p]) for p in parts]
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    assert [len(s) for s in sides] == [30, 10, 10]
    assert all(np.array_equal(a, b) for a, b in zip(parts, group_split(groups, (0.6, 0.2, 0.2), seed=3)))
    assert not np.array_equal(parts[0], group_split(groups, (0.6, 0.2, 0.2), seed=4)[0])
    with pytest.raises(ValueError, match="groups cannot fill"):
        group_split([0, 0, 1], (0.6, 0.2, 0.2))


@pytest.mark.parametrize("probe", ["logistic", "mean_diff"])
def test_sweep_finds_the_layer_with_signal(probe, tmp_path):
    rng = np.random.default_rng(0)
    n, layers = 600, 6
    y = rng.integers(0, 2, n)
    direction = rng.normal(size=D) / np.sqrt(D)
    strength = np.array([0.0, 0.0, 0.2, 3.0, 0.5, 0.0])
    acts = rng.normal(size=(n, layers, D)) + np.einsum("n,l,d->nld", 2 * y - 1, strength, direction)
    result = sweep(
        torch.from_numpy(acts.astype(np.float32)),
        y,
        probe=probe,
        groups=np.arange(n) // 2,
        layers=[10, 11, 12, 13, 14, 15],
        n_boot=200,
    )
    assert result.best_layer == 13
    best = result.best()
    assert best["test_accuracy"] > 0.9 and best["test_accuracy_ci"][0] <= best["test_accuracy"]
    assert result.test_auroc[0] < 0.65  # no signal, no score
    assert result.split["sizes"] == {"train": 360, "val": 120, "test": 120}
    refit = probe_at(result, 13)
    assert refit.score(acts[:, 3], y) == pytest.approx(
        np.mean((acts[:, 3] @ result.coef[3] + result.intercept[3] > 0) == y)
    )
    assert result.plot(tmp_path / "sweep.png").stat().st_size > 10_000


def test_sweep_rejects_mismatched_inputs():
    acts = torch.randn(20, 3, D)
    with pytest.raises(ValueError, match="unknown probe"):
        sweep(acts, np.arange(20) % 2, probe="svm")
    with pytest.raises(ValueError, match="layer, d_model"):
        sweep(acts[:, 0], np.arange(20) % 2)
    with pytest.raises(ValueError, match="names 2 layers"):
        sweep(acts, np.arange(20) % 2, layers=[0, 1])


def test_logistic_fit_survives_a_change_of_thread_count():
    """torch 2.13 + oneMKL: after set_num_threads(1) and back, batched LU fails; the fit uses Cholesky."""
    from probes.solvers import fit_logistic

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_num_threads(max(2, threads))
    try:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(4, 120, 300, generator=g)
        y = (x[0, :, 0] > 0).long()
        w, b = fit_logistic(x, y, C=0.1)
        assert torch.isfinite(w).all() and torch.isfinite(b).all()
        assert ((x[0] @ w[0] + b[0] > 0).long() == y).float().mean() > 0.9
    finally:
        torch.set_num_threads(threads)
