"""Linear probes on activations, following scikit-learn's estimator contract.

Both probes take activations ``[n, d_model]`` (torch tensors, numpy arrays or other array-likes)
and labels of two classes: 0/1, -1/1, booleans or strings. The sorted labels are `classes_`;
``classes_[1]`` is the positive class, the one that higher `decision_function` scores point to,
and `predict` returns values of `classes_`. Both expose a unit `direction_` in activation space.
They pass scikit-learn's ``parametrize_with_checks`` (binary-only, declared through
``__sklearn_tags__``) and work with ``sklearn.base.clone``, ``cross_val_score`` and pipelines.

Example:
    >>> probe = LogisticProbe(C=0.1).fit(acts[:, 12], labels)   # labels e.g. 0/1 or "false"/"true"
    >>> probe.score(test_acts[:, 12], test_labels)        # accuracy
    >>> probe.direction_                                  # [d_model], unit norm
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from probes.solvers import fit_logistic
from probes.validation import as_activations, check_width


def activations(X, name: str = "X", dims: str = "n d_model") -> torch.Tensor:
    """`as_activations` of a tensor, array or array-like (list, DataFrame, object array of numbers),
    refusing sparse matrices, complex numbers, strings and zero width."""
    if sparse.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix ({type(X).__name__}); probes take dense activations, "
            f"e.g. {name}.toarray()"
        )
    if isinstance(X, torch.Tensor):
        if X.is_complex():
            raise ValueError(_complex_message(name, X.dtype))
    else:
        if not isinstance(X, np.ndarray):  # lists, DataFrames, other array-likes
            try:
                X = np.asarray(X)
            except (TypeError, ValueError) as error:  # e.g. rows of different lengths
                raise ValueError(
                    f"{name} must be a tensor or array [{', '.join(dims.split())}]; "
                    f"a {type(X).__name__} did not convert: {error}"
                ) from error
        if X.dtype.kind == "c":
            raise ValueError(_complex_message(name, X.dtype))
        if X.dtype.kind == "O":
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as error:
                raise TypeError(
                    f"{name} must hold real numbers, got dtype object holding a non-number ({error}); "
                    "pass float activations"
                ) from error
        elif X.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}; pass float activations")
    expected = dims.split()
    if X.ndim != len(expected):
        hint = (
            f"; Reshape your data, e.g. {name}[None] for a single row" if X.ndim == len(expected) - 1 else ""
        )
        raise ValueError(f"{name} must have shape [{', '.join(expected)}], got {tuple(X.shape)}{hint}")
    x = as_activations(X, name=name, dims=dims)
    if x.shape[-1] == 0:
        raise ValueError(
            f"{name} has no features: 0 feature(s) (shape={tuple(x.shape)}) while a minimum of 1 is "
            "required; expected d_model >= 1 columns"
        )
    return x


def _complex_message(name: str, dtype) -> str:
    return (
        f"Complex data not supported: {name} must hold real numbers, got dtype {dtype}; "
        "pass float activations"
    )


def class_labels(
    y, n: int, name: str = "labels", estimator: str = "the probe"
) -> tuple[np.ndarray, torch.Tensor]:
    """The two classes of labels `y` (sorted: `classes_`) and `y` as indices into them (int64, 0/1).

    Any two distinct labels work: 0/1, -1/1, booleans, strings. A column ``[n, 1]`` is flattened
    with scikit-learn's DataConversionWarning; `n` is the number of rows of X.
    """
    if y is None:
        raise ValueError(
            f"{estimator} requires y to be passed, but the target y is None; pass one label per row of X"
        )
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y "
            "to (n_samples, ), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape [{n}] to match the activations, got {tuple(y.shape)}")
    try:
        kind = type_of_target(y, input_name=name)
    except ValueError as error:  # NaN or inf among float labels
        raise ValueError(f"{name} must be class labels: {error}") from error
    except TypeError as error:  # labels of mixed types, e.g. strings and numbers, do not sort
        raise TypeError(f"{name} must be labels of one type, got {y[:5].tolist()}: {error}") from error
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {kind}. {name} must hold class labels (two distinct values such as "
            f"0/1, -1/1, booleans or strings), got values {_first_values(y)}"
        )
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) > 2:
        raise ValueError(
            f"Only binary classification is supported. {name} hold {len(classes)} classes "
            f"{classes[:5].tolist()}; a probe separates two, e.g. y = (labels == 'yes')"
        )
    if len(classes) < 2:
        raise ValueError(f"{name} hold only class {classes[0]}; a probe needs examples of both classes")
    return classes, torch.from_numpy(encoded.reshape(-1).astype(np.int64))


def _first_values(y: np.ndarray) -> list:
    try:
        return np.unique(y)[:5].tolist()
    except TypeError:  # mixed types do not sort
        return y[:5].tolist()


def check_rows(x: torch.Tensor, minimum: int = 2, what: str = "rows, one of each class") -> None:
    if x.shape[0] < minimum:
        raise ValueError(f"X has {x.shape[0]} sample; a probe needs at least {minimum} {what}")


def binary_labels(y, n: int, name: str = "labels", both_classes: bool = True) -> torch.Tensor:
    """Labels of length `n` holding 0 and 1 (ints, floats equal to 0.0 / 1.0, or bools) as int64."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.array(y)  # a copy: datasets hand out read-only arrays
    if y.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be 0/1 numbers or booleans, got dtype {y.dtype} (e.g. {y.ravel()[:2].tolist()}); "
            "map them to 0/1 first, e.g. y = (labels == 'yes').astype(int)"
        )
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape [{n}] to match the activations, got {tuple(y.shape)}")
    values = np.unique(y).tolist()
    if not set(values) <= {0, 1}:
        raise ValueError(
            f"{name} must be 0 or 1, got values {values[:5]}; "
            "map them first, e.g. y = (labels == 1).astype(int)"
        )
    if both_classes and len(values) < 2:
        raise ValueError(f"{name} hold only class {values[0]}; a probe needs examples of both classes")
    return torch.from_numpy(y.astype(np.int64))


def check_C(C) -> float:
    if isinstance(C, bool) or not isinstance(C, Real) or not math.isfinite(C) or C <= 0:
        raise ValueError(
            f"C (inverse regularization strength) must be a finite number > 0, got {C!r}; e.g. C=1.0"
        )
    return float(C)


def fit_logistic_checked(x: torch.Tensor, y: torch.Tensor, C, max_iter: int = 50, names=None):
    """`fit_logistic` on ``x [problem, n, d]``, refusing a solution whose loss is worse than at the start.

    The solver's line search keeps every step downhill, so this is a safety net: a solution worse
    than zero weights (as plain Newton gave on separable data at a very large C: huge weights,
    chance accuracy) is refused rather than returned.
    """
    C = check_C(C)
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    w, b = fit_logistic(x, y, C=C, max_iter=int(max_iter))
    z = torch.einsum("pnd,pd->pn", x.double(), w.double()) + b.double()[:, None]
    loss = C * (F.softplus(z) - y.double() * z).sum(1) + 0.5 * (w.double() ** 2).sum(1)
    start = C * y.shape[0] * math.log(2)  # the loss at zero weights
    # worse than zero weights beyond rounding (a diverged fit is worse by orders of magnitude)
    bad = (~torch.isfinite(loss) | (loss > start * (1 + 1e-3))).nonzero().flatten().tolist()
    if bad:
        where = "" if names is None else f" at layer(s) {[names[i] for i in bad]}"
        raise ValueError(
            f"the logistic fit diverged{where}: loss {float(loss[bad[0]]):.3g} after fitting, "
            f"{start:.3g} at zero weights, with C={C:g}; use a smaller C (e.g. C <= 1e4) or report "
            "this as a bug with the data that caused it"
        )
    return w, b


def check_score_labels(y, classes: np.ndarray, n: int, name: str = "y") -> np.ndarray:
    """Labels `y` to score predictions against: shape [n], values among the probe's `classes`."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape [{n}] to match the activations, got {tuple(y.shape)}")
    try:
        known = np.isin(y, classes)
    except TypeError:  # labels that do not compare with the classes
        known = np.zeros(len(y), bool)
    if not known.all():
        raise ValueError(
            f"{name} holds labels {_first_values(y[~known])} that are not among the probe's classes_ "
            f"{classes.tolist()}; score against labels of the kind it was fitted on"
        )
    return y


class _BinaryProbe(ClassifierMixin, BaseEstimator):
    """Binary classification through `decision_function`: ``classes_[1]`` where the score is > 0."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # one direction separates two classes
        return tags

    def predict(self, X) -> np.ndarray:
        positive = self.decision_function(X) > 0  # first: it refuses an unfitted probe
        return self.classes_[positive.astype(np.int64)]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on `X` against labels `y` of the fitted `classes_` (one class is enough here)."""
        predicted = self.predict(X)
        truth = check_score_labels(y, self.classes_, len(predicted))
        return float(np.average(predicted == truth, weights=sample_weight))


class _LinearProbe(_BinaryProbe):
    """Shared scoring: ``decision = X @ coef_ + intercept_`` on raw activations."""

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        x = activations(X)
        check_width(x, self.coef_.shape[0], estimator=type(self).__name__)
        return (x.double() @ torch.from_numpy(np.asarray(self.coef_, np.float64)) + self.intercept_).numpy()

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``: the sigmoid of `decision_function`."""
        p1 = expit(self.decision_function(X))
        return np.stack([1 - p1, p1], axis=1)

    @property
    def direction_(self) -> np.ndarray:
        """The unit vector in activation space along which the probe's score grows."""
        check_is_fitted(self, "coef_")
        norm = np.linalg.norm(self.coef_)
        if not norm > 0:
            raise ValueError(f"the {type(self).__name__}'s coef_ has norm {norm}: it has no direction")
        return self.coef_ / norm

    def _labelled(self, X, y) -> tuple[torch.Tensor, torch.Tensor]:
        """Checked activations and labels as indices into the `classes_` this sets."""
        x = activations(X)
        check_rows(x)
        self.classes_, labels = class_labels(y, x.shape[0], estimator=type(self).__name__)
        return x, labels


class LogisticProbe(_LinearProbe):
    """L2-regularized logistic regression on standardized activations.

    The standardization (per-feature mean and standard deviation of the training data) is part of
    the fitted probe: `mean_` and `scale_`; `coef_` and `intercept_` act on raw activations.
    `C` is scikit-learn's inverse regularization strength; `max_iter` bounds the Newton steps.
    """

    def __init__(self, C=1.0, max_iter=50):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X, y):
        x, labels = self._labelled(X, y)
        std = x.std(0).numpy()  # at least 2 rows: both classes are present
        if not (std > 0).any():
            raise ValueError(
                f"every feature of X is constant over its {x.shape[0]} rows; a probe needs variation"
            )
        self.mean_ = x.mean(0).numpy()
        self.scale_ = np.maximum(std, 1e-8)
        standardized = (x - torch.from_numpy(self.mean_)) / torch.from_numpy(self.scale_)
        w, b = fit_logistic_checked(standardized[None], labels, C=self.C, max_iter=self.max_iter)
        self.coef_ = (w[0].double() / torch.from_numpy(self.scale_).double()).numpy()
        self.intercept_ = float(b[0]) - float(self.coef_ @ self.mean_.astype(np.float64))
        self.n_features_in_ = x.shape[1]
        return self


class MeanDiffProbe(_LinearProbe):
    """Difference-of-means ("mass-mean") probe: direction = mean(classes_[1]) - mean(classes_[0]).

    With ``whiten=True`` the direction is multiplied by the inverse of the shared within-class
    covariance (shrunk toward its diagonal by `shrinkage`), as in LDA: better in distribution,
    often worse out of it. The threshold sits halfway between the projected class means.
    Identical class means (up to rounding) have no direction and are refused.
    """

    def __init__(self, whiten=False, shrinkage=0.1):
        self.whiten = whiten
        self.shrinkage = shrinkage

    def fit(self, X, y):
        x, labels = self._labelled(X, y)
        x = x.double()
        if (
            isinstance(self.shrinkage, bool)
            or not isinstance(self.shrinkage, Real)
            or not 0 <= self.shrinkage <= 1
        ):
            raise ValueError(f"shrinkage must lie in [0, 1], got {self.shrinkage!r}")
        mu0, mu1 = x[labels == 0].mean(0), x[labels == 1].mean(0)
        coef = mu1 - mu0
        if coef.abs().max() <= 1e-9 * x.abs().max():
            raise ValueError(
                "the class means are identical (up to rounding), so there is no direction between them; "
                "check that the labels match the rows of X"
            )
        if self.whiten:
            centered = torch.cat([x[labels == 0] - mu0, x[labels == 1] - mu1])
            cov = centered.T @ centered / max(len(x) - 2, 1)
            cov = (1 - self.shrinkage) * cov + self.shrinkage * torch.diag(torch.diag(cov))
            coef = torch.linalg.solve(cov + 1e-6 * torch.eye(len(coef), dtype=cov.dtype), coef)
        self.coef_ = coef.numpy()
        self.intercept_ = float(-coef @ (mu0 + mu1) / 2)
        self.n_features_in_ = x.shape[1]
        return self
