"""Bad inputs to the linear and contrast probes, the layer sweep and the metrics.

Each case ends in a clear error (see conftest.clear_error) or a result checked against synthetic
data with a planted direction. Cases marked "was:" reproduce a defect found by this catalogue.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from catalogue_checks import clear_error
from scipy import sparse
from sklearn.exceptions import DataConversionWarning, NotFittedError

from probes.contrast import CCSProbe, PCAProbe, pair_features
from probes.deception.metrics import detection_report
from probes.layer_sweep import probe_at, sweep
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.metrics import accuracy, auroc
from probes.stats import bootstrap_ci

D, N = 8, 200


def planted(n=N, d=D, strength=2.0, seed=0):
    """Float32 activations whose classes differ along a known unit direction, plus an offset."""
    direction = np.random.default_rng(99).normal(size=d)
    direction /= np.linalg.norm(direction)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, d)) + np.outer(2 * y - 1, direction) * strength + 3.0
    return x.astype(np.float32), y, direction


def separable(n=40):
    """Two classes split by the sign of feature 0 with a wide margin: any good separator scores 1.0."""
    rng = np.random.default_rng(1)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2))
    x[:, 0] += (2 * y - 1) * 4
    return x.astype(np.float32), y


PROBES = {"logistic": lambda: LogisticProbe(C=0.1), "mean_diff": MeanDiffProbe}
X, Y, DIRECTION = planted()


# --- activations X handed to fit -------------------------------------------------------------------


def _with(value, row, col):
    x = X.copy()
    x[row, col] = value
    return x


BAD_X = {
    "nan": (lambda: _with(np.nan, 3, 2), ["NaN or inf", "row 3"]),
    "inf": (lambda: _with(-np.inf, 7, 0), ["NaN or inf", "row 7"]),
    "float64_overflows_float32": (lambda: X.astype(np.float64) * 1e300, ["NaN or inf"]),
    "one_dimensional": (lambda: X[:, 0], [r"\[n, d_model\]", r"\(200,\)"]),
    "three_dimensional": (lambda: X[:, None], [r"\[n, d_model\]", r"\(200, 1, 8\)"]),
    "no_features": (lambda: X[:, :0], ["no features", r"\(200, 0\)"]),  # was: fitted
    "ragged_list": (
        lambda: [[1.0, 2.0]] * 100 + [[1.0]] * 100,
        ["tensor or array", "list", "did not convert"],
    ),
    "complex": (lambda: X.astype(np.complex64), ["Complex data not supported", "real numbers"]),  # was: cast
    "strings": (lambda: X.astype(str), ["real numbers"]),
    "objects_not_numbers": (lambda: _with_object({"a": 1}), ["real numbers", "object", "not 'dict'"]),
    "sparse": (lambda: sparse.csr_matrix(X), ["sparse", "toarray"]),
}


def _with_object(value):
    x = X.astype(object)
    x[4, 1] = value
    return x


@pytest.mark.parametrize("case", BAD_X)
@pytest.mark.parametrize("probe", PROBES)
def test_bad_activations_fail_clearly(probe, case):
    make, words = BAD_X[case]
    with clear_error(*words):
        PROBES[probe]().fit(make(), Y)


@pytest.mark.parametrize("probe", PROBES)
def test_empty_activations_fail_clearly(probe):
    with clear_error("no rows"):
        PROBES[probe]().fit(X[:0], Y[:0])


# --- labels y handed to fit ------------------------------------------------------------------------

BAD_Y = {
    "short": (lambda: Y[:5], ["shape", r"\[200\]", r"\(5,\)"]),
    "long": (lambda: np.tile(Y, 2), ["shape", r"\[200\]", r"\(400,\)"]),
    "two_columns": (lambda: np.stack([Y, Y], 1), ["shape", r"\(200, 2\)"]),
    "one_class": (lambda: np.ones(N, int), ["only class 1", "both classes"]),
    "none": (lambda: None, ["requires y", "None"]),
    "three_classes": (lambda: np.arange(N) % 3, ["Only binary classification", r"\[0, 1, 2\]"]),
    "fractions": (lambda: Y * 0.5, ["Unknown label type", "continuous", "0.5"]),  # a regression target
    "nan": (lambda: np.where(Y == 1, np.nan, 0.0), ["labels", "NaN"]),
    "mixed_types": (lambda: np.array([0, "yes"] * (N // 2), dtype=object), ["Unknown label type"]),
    "mixed_types_string_first": (lambda: np.array(["yes", 0] * (N // 2), dtype=object), ["one type"]),
}


@pytest.mark.parametrize("case", BAD_Y)
@pytest.mark.parametrize("probe", PROBES)
def test_bad_labels_fail_clearly(probe, case):
    make, words = BAD_Y[case]
    with clear_error(*words):
        PROBES[probe]().fit(X, make())


# any two labels work: classes_ holds them sorted, predict maps back through it ------------------------

OTHER_LABELS = {
    "strings": lambda: np.where(Y == 1, "yes", "no"),  # was refused: "map them to 0/1 first"
    "string_list": lambda: ["no", "yes"] * (N // 2),
    "one_two": lambda: Y + 1,
    "minus_one_one": lambda: 2 * Y - 1,
    "object_strings": lambda: np.where(Y == 1, "yes", "no").astype(object),
    "column": lambda: (2 * Y - 1)[:, None],  # flattened, with scikit-learn's DataConversionWarning
}


@pytest.mark.parametrize("case", OTHER_LABELS)
@pytest.mark.parametrize("probe", PROBES)
def test_any_two_labels_are_accepted_and_predicted_back(probe, case):
    labels = np.asarray(OTHER_LABELS[case]())
    with warnings.catch_warnings():
        warnings.simplefilter("error" if case != "column" else "ignore", DataConversionWarning)
        fitted = PROBES[probe]().fit(X, labels)
    reference = PROBES[probe]().fit(X, Y)
    np.testing.assert_allclose(fitted.coef_, reference.coef_, rtol=1e-6, atol=1e-9)
    assert fitted.classes_.tolist() == sorted(set(labels.ravel().tolist()))
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[reference.predict(X)])
    assert fitted.score(X, labels) == reference.score(X, Y)


def test_a_label_column_warns_like_scikit_learn():
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        LogisticProbe().fit(X, Y[:, None])


# --- other encodings of the same data are accepted and give the same probe --------------------------

SAME_DATA = {
    "y_float": lambda: (X, Y.astype(np.float64)),
    "y_bool": lambda: (X, Y.astype(bool)),
    "y_list": lambda: (X, Y.tolist()),
    "y_torch": lambda: (X, torch.from_numpy(Y)),
    "x_torch": lambda: (torch.from_numpy(X), Y),
    "x_torch_requires_grad": lambda: (torch.from_numpy(X).requires_grad_(True), Y),
    "x_float64": lambda: (X.astype(np.float64), Y),
    "x_fortran_order": lambda: (np.asfortranarray(X), Y),
    "x_list": lambda: (X.tolist(), Y),  # was refused: "tensor or numpy array"
    "x_objects": lambda: (X.astype(object), Y),  # object arrays of numbers, as scikit-learn takes them
    "x_read_only": lambda: (_read_only(X), Y),
}


def _read_only(x):
    x = x.copy()
    x.flags.writeable = False
    return x


@pytest.mark.parametrize("case", SAME_DATA)
@pytest.mark.parametrize("probe", PROBES)
def test_equivalent_inputs_give_the_same_probe(probe, case):
    reference = PROBES[probe]().fit(X, Y)
    fitted = PROBES[probe]().fit(*SAME_DATA[case]())
    np.testing.assert_allclose(fitted.coef_, reference.coef_, rtol=1e-5, atol=1e-7)
    assert abs(fitted.direction_ @ DIRECTION) > 0.9
    assert fitted.score(X, Y) > 0.9


@pytest.mark.parametrize("probe", PROBES)
def test_boolean_activations_work_like_their_float_values(probe):
    bits = X > 3.0
    fitted = PROBES[probe]().fit(bits, Y)
    reference = PROBES[probe]().fit(bits.astype(np.float32), Y)
    np.testing.assert_allclose(fitted.decision_function(bits), reference.decision_function(bits))
    assert fitted.score(bits, Y) > 0.7  # the signs of the planted direction still carry the class


# --- using a fitted (or unfitted) probe ------------------------------------------------------------


UNFITTED = {
    "logistic-predict_proba": lambda: LogisticProbe().predict_proba(X),
    "logistic-direction": lambda: LogisticProbe().direction_,
    "mean_diff-predict": lambda: MeanDiffProbe().predict(X),
    "mean_diff-score": lambda: MeanDiffProbe().score(X, Y),
    "pca-decision_function": lambda: PCAProbe().decision_function(X),
    "ccs-orient": lambda: CCSProbe().orient(X, Y),
}


@pytest.mark.parametrize("case", UNFITTED)
def test_unfitted_probe_raises_not_fitted(case):
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        UNFITTED[case]()


PREDICT_CASES = {
    "wider": (lambda p: p.predict(np.zeros((3, D + 1), np.float32)), ["width 9", "fitted on width 8"]),
    "narrower": (lambda p: p.decision_function(X[:, :3]), ["width 3", "fitted on width 8"]),
    "single_row_1d": (lambda p: p.predict(X[0]), [r"\[n, d_model\]", r"\(8,\)", "Reshape your data"]),
    "nan_row": (lambda p: p.predict(_with(np.nan, 5, 1)), ["NaN or inf", "row 5"]),
    # was: 0.5, silently: -1 never matched a prediction
    "score_minus_one_one": (lambda p: p.score(X, 2 * Y - 1), ["not among", "classes_", r"\[0, 1\]", "-1"]),
    "score_short_y": (lambda p: p.score(X, Y[:10]), [r"\[200\]", r"\(10,\)"]),
    "score_strings": (lambda p: p.score(X, np.where(Y == 1, "a", "b")), ["not among", r"\['a', 'b'\]"]),
}


@pytest.mark.parametrize("case", PREDICT_CASES)
@pytest.mark.parametrize("probe", PROBES)
def test_bad_inputs_to_a_fitted_probe_fail_clearly(probe, case):
    fitted = PROBES[probe]().fit(X, Y)
    call, words = PREDICT_CASES[case]
    with clear_error(*words):
        call(fitted)


@pytest.mark.parametrize("probe", PROBES)
def test_score_accepts_a_single_class_and_torch_inputs(probe):
    fitted = PROBES[probe]().fit(X, Y)
    ones = Y == 1
    expected = np.mean(fitted.predict(X[ones]) == 1)
    assert fitted.score(X[ones], np.ones(ones.sum(), int)) == pytest.approx(expected)
    assert fitted.score(torch.from_numpy(X), torch.from_numpy(Y)) == fitted.score(X, Y)


# --- LogisticProbe hyper-parameters and the Newton solver -------------------------------------------


# (a str, None or bool C is refused by the annotation C: float under the test suite's beartype hook;
# the library's own check below covers the same values without the hook)
@pytest.mark.parametrize("C", [0.0, -1.0, float("nan"), float("inf")])
def test_logistic_refuses_a_bad_C(C):
    with clear_error("C", "> 0", "got"):
        LogisticProbe(C=C).fit(X, Y)


@pytest.mark.parametrize("max_iter", [0, -3])
def test_logistic_refuses_a_bad_max_iter(max_iter):
    with clear_error("max_iter", "integer >= 1", "got"):
        LogisticProbe(max_iter=max_iter).fit(X, Y)


def test_a_diverged_solution_is_refused(monkeypatch):
    """The safety net behind the line search: a solution worse than zero weights is not returned."""
    from probes import linear

    def diverged(x, y, C, max_iter):  # huge weights pointing the wrong way, as plain Newton gave
        return -1e6 * torch.ones(x.shape[0], x.shape[2]), torch.zeros(x.shape[0])

    monkeypatch.setattr(linear, "fit_logistic", diverged)
    x, y = separable()
    with clear_error("diverged", r"C=1e\+10", "smaller C"):
        LogisticProbe(C=1e10).fit(x, y)


# was: accuracy 0.50 with |coef| ~1e11 at C=1e10, silently (Newton without a line search, float32)
@pytest.mark.parametrize("C", [1e2, 1e4, 1e6, 1e10, 1e14])
def test_logistic_large_C_on_separable_data_finds_a_separator(C):
    x, y = separable()
    fitted = LogisticProbe(C=C).fit(x, y)
    assert fitted.score(x, y) == 1.0 and np.all(np.isfinite(fitted.coef_))
    assert abs(fitted.direction_[0]) > 0.9  # the margin lies along feature 0


@pytest.mark.parametrize("C", [1e-4, 1.0, 1e4])
@pytest.mark.parametrize("seed", range(3))
def test_logistic_on_classes_without_any_difference_fits_at_chance(C, seed):
    # every row appears once in each class: the optimum is zero weights, accuracy exactly 0.5
    x = np.random.default_rng(seed).normal(size=(50, D)).astype(np.float32)
    fitted = LogisticProbe(C=C).fit(np.concatenate([x, x[::-1]]), np.repeat([0, 1], 50))
    assert fitted.score(np.concatenate([x, x]), np.repeat([0, 1], 50)) == 0.5
    assert np.abs(fitted.coef_).max() < 1e-4


def test_logistic_refuses_constant_activations():
    with clear_error("constant", "variation"):  # was: coef 0 and a NaN direction_
        LogisticProbe().fit(np.ones((20, D), np.float32), np.arange(20) % 2)


# --- MeanDiffProbe -------------------------------------------------------------------------------

SAME_MEANS = {
    "same_rows": lambda: (np.concatenate([X[:100], X[:100]]), np.repeat([0, 1], 100)),
    "permuted_rows": lambda: (np.concatenate([X[:100], X[:100][::-1]]), np.repeat([0, 1], 100)),
    "constant_x": lambda: (np.ones((20, D), np.float32), np.arange(20) % 2),
}


@pytest.mark.parametrize("whiten", [False, True])
@pytest.mark.parametrize("case", SAME_MEANS)
def test_mean_diff_refuses_identical_class_means(case, whiten):
    # was: a NaN direction_ (0 / 0), or a direction made of rounding noise
    with clear_error("class means are identical", "labels"):
        MeanDiffProbe(whiten=whiten).fit(*SAME_MEANS[case]())


@pytest.mark.parametrize("shrinkage", [-0.1, 1.5, float("nan")])
def test_mean_diff_refuses_a_bad_shrinkage(shrinkage):
    with clear_error("shrinkage", r"\[0, 1\]", "got"):
        MeanDiffProbe(whiten=True, shrinkage=shrinkage).fit(X, Y)


def test_probe_without_a_direction_says_so():
    result = sweep(np.ones((60, 1, D), np.float32), np.arange(60) % 2, probe="mean_diff", n_boot=10)
    assert result.test_auroc == [0.5]  # a constant layer carries nothing: chance, not an error
    with clear_error("norm 0", "no direction"):
        _ = probe_at(result, 0).direction_


# --- contrast pairs (PCA / CCS) -------------------------------------------------------------------


def contrast_pairs(n=60, seed=0):
    """Pairs whose first member is the true one for half of them; the planted direction separates."""
    rng = np.random.default_rng(seed)
    first_true = np.arange(n) % 2
    base = rng.normal(size=(n, D))
    sign = np.outer(2 * first_true - 1, DIRECTION) * 2
    return np.stack([base + sign, base - sign], axis=1).astype(np.float32), first_true


PAIRS, FIRST_TRUE = contrast_pairs()  # [n_pairs, 2, d_model]
XP = pair_features(PAIRS[:, 0], PAIRS[:, 1])  # X for the contrast probes: [n_pairs, 2 * d_model]
CONTRAST = {"pca": PCAProbe, "ccs": lambda: CCSProbe(n_tries=1, n_epochs=200)}

BAD_PAIRS = {
    "stacked": (lambda: (PAIRS,), [r"\[n_pairs, 2\*d_model\]", r"\(60, 2, 8\)", "reshape", "pair_features"]),
    "one_member": (lambda: (PAIRS[:, 0, :-1],), ["7 feature", "odd number", "pair_features"]),
    "one_dimensional": (lambda: (XP[0],), [r"\[n_pairs, 2\*d_model\]", r"\(16,\)"]),
    "four_dimensional": (lambda: (PAIRS[None],), [r"\[n_pairs, 2\*d_model\]"]),
    "one_pair": (lambda: (XP[:1],), ["at least 2 contrast pairs", "1 sample"]),
    "identical_members": (lambda: (pair_features(PAIRS[:, 0], PAIRS[:, 0]),), ["identical", "no contrast"]),
    "nan": (lambda: (np.where(XP > 2.5, np.nan, XP),), ["NaN or inf"]),
    "complex": (lambda: (XP.astype(np.complex64),), ["real numbers"]),
    "y_short": (lambda: (XP, FIRST_TRUE[:5]), ["y", r"\[60\]", r"\(5,\)"]),
    "y_three_classes": (lambda: (XP, np.arange(60) % 3), ["Only binary classification"]),
    "y_one_class": (lambda: (XP, np.ones(60, int)), ["only class 1", "both classes"]),
}


@pytest.mark.parametrize("case", BAD_PAIRS)
@pytest.mark.parametrize("probe", CONTRAST)
def test_bad_contrast_pairs_fail_clearly(probe, case):
    make, words = BAD_PAIRS[case]
    with clear_error(*words):
        CONTRAST[probe]().fit(*make())


def constant_difference_pairs(n=40):
    base = np.random.default_rng(2).normal(size=(n, D))
    return pair_features(base + DIRECTION, base - DIRECTION).astype(np.float32)


@pytest.mark.parametrize("probe", [PCAProbe, lambda: CCSProbe(n_tries=1, n_epochs=20)], ids=["pca", "ccs"])
def test_pairs_that_all_differ_by_one_vector_fail_clearly(probe):
    # was: PCA's centered differences are zero, so the SVD returned an arbitrary direction
    with clear_error("same vector", "center=False"):
        probe().fit(constant_difference_pairs())


def test_uncentered_pca_recovers_a_constant_difference():
    fitted = PCAProbe(center=False).fit(constant_difference_pairs())
    assert fitted.direction_ @ DIRECTION > 0.999
    assert fitted.intercept_ == 0 and (fitted.predict(constant_difference_pairs()) == 1).all()


@pytest.mark.parametrize(
    "params, words",
    [
        ({"n_tries": 0}, ["n_tries", ">= 1"]),  # was: TypeError 'NoneType' object is not subscriptable
        ({"n_epochs": 0}, ["n_epochs", ">= 1"]),  # was: an untrained, random direction
        ({"lr": 0.0}, ["lr", "> 0"]),
        ({"lr": float("nan")}, ["lr", "> 0"]),
    ],
    ids=["n_tries_0", "n_epochs_0", "lr_0", "lr_nan"],
)
def test_ccs_refuses_bad_hyper_parameters(params, words):
    with clear_error(*words):
        CCSProbe(**params).fit(PAIRS)


ORIENT_CASES = {
    "short_y": (lambda p, x, y: p.orient(x, y[:5]), [r"\[60\]", r"\(5,\)"]),  # was: broadcast error
    # was: a silent flip; an unlabeled fit has classes_ [0, 1]
    "string_y": (lambda p, x, y: p.orient(x, np.where(y == 1, "t", "f")), ["not among", "classes_"]),
    "score_minus_one_one": (lambda p, x, y: p.score(x, 2 * y - 1), ["not among", "-1"]),
    "wider_x": (lambda p, x, y: p.predict(np.zeros((2, 2 * D + 1))), ["width 17", "fitted on width 16"]),
    # the layout before pairs went side by side: single statements to decision_function
    "statements": (lambda p, x, y: p.decision_function(PAIRS[:, 0]), ["width 8", "fitted on width 16"]),
    "pairs_as_statements": (
        lambda p, x, y: p.statement_scores(x),
        ["acts has width 16", "fitted on width 8"],
    ),
}


@pytest.mark.parametrize("case", ORIENT_CASES)
@pytest.mark.parametrize("probe", CONTRAST)
def test_bad_inputs_to_a_fitted_contrast_probe_fail_clearly(probe, case):
    fitted = CONTRAST[probe]().fit(XP)
    call, words = ORIENT_CASES[case]
    with clear_error(*words):
        call(fitted, XP, FIRST_TRUE)


@pytest.mark.parametrize("probe", CONTRAST)
def test_contrast_probes_agree_on_torch_and_numpy_and_find_the_direction(probe):
    from_numpy = CONTRAST[probe]().fit(XP)
    from_torch = CONTRAST[probe]().fit(torch.from_numpy(XP))
    np.testing.assert_allclose(from_torch.direction_, from_numpy.direction_, atol=1e-6)
    assert abs(from_numpy.direction_ @ DIRECTION) > 0.9
    assert from_numpy.orient(XP, FIRST_TRUE).score(XP, FIRST_TRUE) > 0.9
    np.testing.assert_allclose(
        CONTRAST[probe]().fit(XP, FIRST_TRUE).decision_function(XP), from_numpy.decision_function(XP)
    )


# --- the layer sweep --------------------------------------------------------------------------------


def layered(n=120, n_layers=3, signal_layer=1, seed=0):
    """[n, layer, d] activations with the class signal at one layer only."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    acts = rng.normal(size=(n, n_layers, D))
    acts[:, signal_layer] += np.outer(2 * y - 1, DIRECTION) * 3
    return acts.astype(np.float32), y


ACTS, LABELS = layered()
GROUPS = np.arange(120) // 2

BAD_SWEEPS = {
    # was: groups of the wrong length silently dropped rows (short) or hit an IndexError (long)
    "groups_short": (dict(groups=GROUPS[:60]), ["groups", r"\[120\]", r"\(60,\)"]),
    "groups_long": (dict(groups=np.arange(240) // 2), ["groups", r"\[120\]", r"\(240,\)"]),
    "groups_column": (dict(groups=GROUPS[:, None]), ["groups", r"\(120, 1\)"]),
    "groups_nan": (dict(groups=np.where(LABELS == 1, np.nan, GROUPS)), ["groups", "NaN"]),  # was: dropped
    "groups_none": (dict(groups=np.array([None] * 120)), ["groups", "None"]),
    "labels_short": (dict(labels=LABELS[:60]), ["labels", r"\[120\]", r"\(60,\)"]),
    "labels_strings": (dict(labels=np.where(LABELS == 1, "t", "f")), ["0/1", "<U1"]),
    "labels_one_two": (dict(labels=LABELS + 1), ["0 or 1", r"\[1, 2\]"]),
    "labels_one_class": (dict(labels=np.zeros(120, int)), ["only class 0"]),
    "layers_too_few": (dict(layers=[0, 1]), ["names 2 layers", "acts has 3"]),
    "layers_repeated": (dict(layers=[5, 5, 6]), ["distinct", r"\[5, 5, 6\]"]),  # was: ambiguous
    "acts_2d": (dict(acts=ACTS[:, 0]), [r"\[n, layer, d_model\]", r"\(120, 8\)"]),
    "acts_no_layers": (dict(acts=ACTS[:, :0]), ["no layers"]),  # was: RuntimeError from torch
    "acts_nan": (dict(acts=np.where(ACTS > 3, np.nan, ACTS)), ["NaN or inf"]),
    "probe_unknown": (dict(probe="svm"), ["unknown probe", "logistic"]),
    "fractions_negative": (dict(fractions=(1.2, -0.1, -0.1)), ["positive"]),
    "fractions_sum": (dict(fractions=(0.6, 0.3, 0.3)), ["sum to 1"]),
    "n_boot_zero": (dict(n_boot=0), ["n_boot", ">= 1"]),  # was: torch's "quantile() input ... empty"
    "C_zero": (dict(C=0.0), ["C", "> 0"]),
    "too_few_groups": (dict(groups=np.arange(120) % 2), ["2 groups cannot fill 3"]),
}


@pytest.mark.parametrize("case", BAD_SWEEPS)
def test_bad_sweeps_fail_clearly(case):
    overrides, words = BAD_SWEEPS[case]
    arguments = dict(acts=ACTS, labels=LABELS, groups=GROUPS, n_boot=20) | overrides
    with clear_error(*words):
        sweep(arguments.pop("acts"), arguments.pop("labels"), **arguments)


@pytest.mark.parametrize("C", [1e4, 1e10])
def test_sweep_separates_a_separable_layer_at_any_C(C):
    x, y = separable(120)
    acts = np.stack([np.random.default_rng(0).normal(size=x.shape).astype(np.float32), x], axis=1)
    assert sweep(acts, y, C=C, layers=[10, 11], n_boot=20).train_accuracy[1] == 1.0  # was 0.6 at 1e10


def test_sweep_agrees_on_torch_and_numpy_and_finds_the_signal_layer():
    from_numpy = sweep(ACTS, LABELS, groups=GROUPS, layers=[4, 5, 6], n_boot=50)
    from_torch = sweep(
        torch.from_numpy(ACTS), torch.from_numpy(LABELS), groups=GROUPS, layers=[4, 5, 6], n_boot=50
    )
    assert from_numpy.to_dict() == from_torch.to_dict()
    assert from_numpy.best_layer == 5 and from_numpy.test_accuracy[1] > 0.9
    assert sum(from_numpy.split["sizes"].values()) == 120  # no row dropped


def test_sweep_with_string_group_ids_keeps_every_row_and_every_group_together():
    names = np.array([f"prompt-{g}" for g in GROUPS])
    result = sweep(ACTS, LABELS, groups=names, n_boot=20)
    assert sum(result.split["sizes"].values()) == 120


def test_probe_at_an_unswept_layer_fails_clearly():
    result = sweep(ACTS, LABELS, layers=[4, 5, 6], n_boot=20)
    with clear_error("layer 7", "not swept", r"\[4, 5, 6\]"):  # was: "7 is not in list"
        probe_at(result, 7)


# --- metrics and the detection report ---------------------------------------------------------------

SCORES = torch.linspace(-1, 1, 10)
TRUTH = (SCORES > 0).long()

BAD_METRICS = {
    # was: accuracy against {-1, 1} labels silently counted every -1 as wrong
    "accuracy_minus_one_one": (lambda: accuracy(SCORES, 2 * TRUTH - 1), ["0 or 1", r"\[-1, 1\]"]),
    "auroc_minus_one_one": (lambda: auroc(SCORES, 2 * TRUTH - 1), ["0 or 1"]),
    "accuracy_nan_scores": (lambda: accuracy(SCORES.clone().fill_(float("nan")), TRUTH), ["NaN or inf"]),
    "auroc_nan_scores": (lambda: auroc(torch.where(TRUTH == 1, float("nan"), SCORES), TRUTH), ["NaN"]),
    "bootstrap_n_boot_zero": (lambda: bootstrap_ci(auroc, SCORES, TRUTH, n_boot=0), ["n_boot", ">= 1"]),
    "bootstrap_level": (lambda: bootstrap_ci(auroc, SCORES, TRUTH, level=1.5), ["level", r"\(0, 1\)"]),
    "report_strings": (lambda: detection_report(["a", "b"], [1.0, 2.0], [0.0, 1.0]), ["honest", "numbers"]),
    "report_n_boot_zero": (
        lambda: detection_report([0.0, 1.0], [1.0, 2.0], [0.0, 1.0], n_boot=0),
        ["n_boot"],
    ),
    "report_level": (lambda: detection_report([0.0, 1.0], [1.0, 2.0], [0.0, 1.0], level=0.0), ["level"]),
    "report_2d": (lambda: detection_report(np.zeros((2, 2)), [1.0, 2.0], [0.0, 1.0]), ["1-D", r"\(2, 2\)"]),
}


@pytest.mark.parametrize("case", BAD_METRICS)
def test_bad_metric_inputs_fail_clearly(case):
    with clear_error(*BAD_METRICS[case][1]):
        BAD_METRICS[case][0]()


def test_metrics_on_known_scores():
    assert float(accuracy(SCORES, TRUTH)) == 1.0 and float(auroc(SCORES, TRUTH)) == 1.0
    assert float(accuracy(-SCORES, TRUTH)) == 0.0 and float(auroc(-SCORES, TRUTH)) == 0.0
    report = detection_report(torch.zeros(5), torch.ones(5), np.zeros(20), n_boot=20)
    assert report["recall"]["mean"] == 1.0 and report["honest_fpr"]["mean"] == 0.0  # ties are not flagged
