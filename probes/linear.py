"""Linear probes on activations, following scikit-learn's estimator contract.

Both probes take activations ``[n, d_model]`` as torch tensors or numpy arrays and binary labels,
and expose a unit `direction_` in activation space plus `decision_function` scores (higher means
class 1). They work with ``sklearn.base.clone``, ``cross_val_score`` and pipelines.

Example:
    >>> probe = LogisticProbe(C=0.1).fit(acts[:, 12], labels)
    >>> probe.score(test_acts[:, 12], test_labels)        # accuracy
    >>> probe.direction_                                  # [d_model], unit norm
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from probes.solvers import fit_logistic
from probes.validation import as_activations, as_labels, check_width


class _LinearProbe(ClassifierMixin, BaseEstimator):
    """Shared scoring: ``decision = X @ coef_ + intercept_`` on raw activations."""

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        x = as_activations(X)
        check_width(x, self.coef_.shape[0])
        return (x.double() @ torch.from_numpy(self.coef_) + self.intercept_).numpy()

    def predict_proba(self, X) -> np.ndarray:
        p1 = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.stack([1 - p1, p1], axis=1)

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)

    @property
    def direction_(self) -> np.ndarray:
        """The unit vector in activation space along which the probe's score grows."""
        check_is_fitted(self, "coef_")
        return self.coef_ / np.linalg.norm(self.coef_)

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
        x = as_activations(X)
        labels = self._set_classes(as_labels(y, x.shape[0]))
        self.mean_ = x.mean(0).numpy()
        self.scale_ = np.maximum(x.std(0).numpy(), 1e-8)
        standardized = (x - torch.from_numpy(self.mean_)) / torch.from_numpy(self.scale_)
        w, b = fit_logistic(standardized[None], labels, C=self.C, max_iter=self.max_iter)
        self.coef_ = (w[0].double() / torch.from_numpy(self.scale_).double()).numpy()
        self.intercept_ = float(b[0]) - float(self.coef_ @ self.mean_.astype(np.float64))
        self.n_features_in_ = x.shape[1]
        return self


class MeanDiffProbe(_LinearProbe):
    """Difference-of-means ("mass-mean") probe: direction = mean(class 1) - mean(class 0).

    With ``whiten=True`` the direction is multiplied by the inverse of the shared within-class
    covariance (shrunk toward its diagonal by `shrinkage`), as in LDA: better in distribution,
    often worse out of it. The threshold sits halfway between the projected class means.
    """

    def __init__(self, whiten: bool = False, shrinkage: float = 0.1):
        self.whiten = whiten
        self.shrinkage = shrinkage

    def fit(self, X, y):
        x = as_activations(X).double()
        labels = self._set_classes(as_labels(y, x.shape[0]))
        if not 0 <= self.shrinkage <= 1:
            raise ValueError(f"shrinkage must lie in [0, 1], got {self.shrinkage}")
        mu0, mu1 = x[labels == 0].mean(0), x[labels == 1].mean(0)
        coef = mu1 - mu0
        if self.whiten:
            centered = torch.cat([x[labels == 0] - mu0, x[labels == 1] - mu1])
            cov = centered.T @ centered / max(len(x) - 2, 1)
            cov = (1 - self.shrinkage) * cov + self.shrinkage * torch.diag(torch.diag(cov))
            coef = torch.linalg.solve(cov + 1e-6 * torch.eye(len(coef), dtype=cov.dtype), coef)
        self.coef_ = coef.numpy()
        self.intercept_ = float(-coef @ (mu0 + mu1) / 2)
        self.n_features_in_ = x.shape[1]
        return self
