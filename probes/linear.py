"""Linear probes on activations, following scikit-learn's estimator contract.

Both probes take activations ``[n, d_model]`` as torch tensors or numpy arrays and binary labels
(0/1 as ints, floats or bools; anything else is refused: map string labels to 0/1 first), and
expose a unit `direction_` in activation space plus `decision_function` scores (higher means
class 1). They work with ``sklearn.base.clone``, ``cross_val_score`` and pipelines.

Example:
    >>> probe = LogisticProbe(C=0.1).fit(acts[:, 12], labels)
    >>> probe.score(test_acts[:, 12], test_labels)        # accuracy
    >>> probe.direction_                                  # [d_model], unit norm
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from probes.solvers import fit_logistic
from probes.validation import as_activations, check_width


def activations(X, name: str = "X", dims: str = "n d_model") -> torch.Tensor:
    """`as_activations`, also refusing non-real dtypes (complex, strings, objects) and zero width."""
    complex_tensor = isinstance(X, torch.Tensor) and X.is_complex()
    if complex_tensor or isinstance(X, np.ndarray) and X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}; pass float activations")
    x = as_activations(X, name=name, dims=dims)
    if x.shape[-1] == 0:
        raise ValueError(f"{name} has no features (shape {tuple(x.shape)}); expected d_model >= 1 columns")
    return x


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


class _LinearProbe(ClassifierMixin, BaseEstimator):
    """Shared scoring: ``decision = X @ coef_ + intercept_`` on raw activations."""

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        x = activations(X)
        check_width(x, self.coef_.shape[0])
        return (x.double() @ torch.from_numpy(self.coef_) + self.intercept_).numpy()

    def predict_proba(self, X) -> np.ndarray:
        p1 = expit(self.decision_function(X))
        return np.stack([1 - p1, p1], axis=1)

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on activations `X` against 0/1 labels `y` (one class is enough here)."""
        predicted = self.predict(X)
        truth = binary_labels(y, len(predicted), name="y", both_classes=False).numpy()
        return float(np.average(predicted == truth, weights=sample_weight))

    @property
    def direction_(self) -> np.ndarray:
        """The unit vector in activation space along which the probe's score grows."""
        check_is_fitted(self, "coef_")
        norm = np.linalg.norm(self.coef_)
        if not norm > 0:
            raise ValueError(f"the {type(self).__name__}'s coef_ has norm {norm}: it has no direction")
        return self.coef_ / norm

    def _set_classes(self, y) -> torch.Tensor:
        self.classes_ = np.array([0, 1])
        return y


class LogisticProbe(_LinearProbe):
    """L2-regularized logistic regression on standardized activations.

    The standardization (per-feature mean and standard deviation of the training data) is part of
    the fitted probe: `mean_` and `scale_`; `coef_` and `intercept_` act on raw activations.
    `C` is scikit-learn's inverse regularization strength.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 50):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X, y):
        x = activations(X)
        labels = self._set_classes(binary_labels(y, x.shape[0]))
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
    """Difference-of-means ("mass-mean") probe: direction = mean(class 1) - mean(class 0).

    With ``whiten=True`` the direction is multiplied by the inverse of the shared within-class
    covariance (shrunk toward its diagonal by `shrinkage`), as in LDA: better in distribution,
    often worse out of it. The threshold sits halfway between the projected class means.
    Identical class means (up to rounding) have no direction and are refused.
    """

    def __init__(self, whiten: bool = False, shrinkage: float = 0.1):
        self.whiten = whiten
        self.shrinkage = shrinkage

    def fit(self, X, y):
        x = activations(X).double()
        labels = self._set_classes(binary_labels(y, x.shape[0]))
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
