"""Directions from contrast pairs, without labels: PCA of differences (LAT) and CCS.

Both fit on pairs ``X[:, 0]`` (e.g. "... True") and ``X[:, 1]`` (the same prompt, "... False"),
shape ``[n_pairs, 2, d_model]``, and score single activations ``[n, d_model]``. Both are
deterministic: PCA uses a full SVD and fixes the sign so the first member scores higher on
average; CCS draws its restarts from `random_state`.

Example:
    >>> lat = PCAProbe().fit(torch.stack([pos_acts, neg_acts], dim=1))
    >>> lat.decision_function(test_acts)
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from probes.linear import activations, binary_labels
from probes.validation import check_width


def _pairs(X) -> torch.Tensor:
    x = activations(X, name="X (contrast pairs)", dims="n_pairs 2 d_model")
    if x.shape[1] != 2:
        raise ValueError(
            f"contrast pairs must have shape [n_pairs, 2, d_model], got {tuple(x.shape)}; "
            "stack the two members on axis 1, e.g. np.stack([pos, neg], axis=1)"
        )
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 contrast pairs, got {x.shape[0]}")
    if torch.equal(x[:, 0], x[:, 1]):
        raise ValueError("the two members of every contrast pair are identical: there is no contrast to find")
    return x


class _DirectionProbe(ClassifierMixin, BaseEstimator):
    """Scores ``(X - center_) @ direction_``; class 1 where the score is positive."""

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "direction_")
        x = activations(X).double()
        check_width(x, self.direction_.shape[0])
        return ((x - torch.from_numpy(self.center_)) @ torch.from_numpy(self.direction_)).numpy()

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X, y, sample_weight=None) -> float:
        predicted = self.predict(X)
        truth = binary_labels(y, len(predicted), name="y", both_classes=False).numpy()
        return float(np.average(predicted == truth, weights=sample_weight))

    def orient(self, X, y):
        """Flip the direction if that makes it agree with labels `y` on activations `X` more often."""
        if self.score(X, y) < 0.5:
            self.direction_ = -self.direction_
        return self


class PCAProbe(_DirectionProbe):
    """First principal component of the pair differences (representation engineering's LAT).

    `center=True` (default) subtracts the mean difference before the SVD: the direction of
    largest variance of the differences, which finds a feature whose sign varies across pairs
    (e.g. which member is true). `center=False` takes the top singular vector of the raw
    differences, close to their mean when every pair differs the same way (pos = honest).
    The sign is arbitrary until `orient(X, y)` aligns it with labels.
    """

    def __init__(self, center: bool = True):
        self.center = center

    def fit(self, X, y=None):
        pairs = _pairs(X).double()
        diffs = pairs[:, 0] - pairs[:, 1]
        if self.center:
            diffs = diffs - diffs.mean(0)
            if diffs.abs().max() <= 1e-5 * pairs.abs().max():  # float32 rounding of the members
                raise ValueError(
                    "every pair differs by the same vector, so the centered differences are zero and "
                    "have no direction of largest variance; use PCAProbe(center=False) for that vector"
                )
        _, _, vh = torch.linalg.svd(diffs, full_matrices=False)
        direction = vh[0]
        if ((pairs[:, 0] - pairs[:, 1]) @ direction).mean() < 0:
            direction = -direction
        self.direction_ = direction.numpy()
        self.center_ = pairs.reshape(-1, pairs.shape[-1]).mean(0).numpy()
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = pairs.shape[-1]
        return self


class CCSProbe(_DirectionProbe):
    """Contrast-consistent search (Burns et al. 2022) on unlabeled contrast pairs.

    Each side of the pairs is mean-centered (and scaled by its standard deviation with
    `normalize=True`); a logistic probe p is trained so that p(x+) ~ 1 - p(x-) (consistency)
    while avoiding p = 0.5 (confidence), from `n_tries` random starts; the lowest loss wins.
    The sign is not identifiable without labels: `orient(X, y)` aligns it with labels.
    """

    def __init__(
        self,
        n_tries: int = 10,
        n_epochs: int = 1000,
        lr: float = 1e-2,
        normalize: bool = True,
        random_state: int = 0,
    ):
        self.n_tries = n_tries
        self.n_epochs = n_epochs
        self.lr = lr
        self.normalize = normalize
        self.random_state = random_state

    def fit(self, X, y=None):
        for name in ("n_tries", "n_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, Real) or not 0 < self.lr < float("inf"):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        pairs = _pairs(X)
        pos, neg, self.pos_mean_, self.neg_mean_ = self._normalized(pairs)
        if (pos - neg).abs().max() <= 1e-5 * torch.cat([pos, neg]).abs().max():
            raise ValueError(
                "every pair differs by the same vector, which CCS's per-side centering removes, so nothing "
                "is left to separate; use PCAProbe(center=False) or a MeanDiffProbe for that vector"
            )
        generator = torch.Generator().manual_seed(self.random_state)
        best = (float("inf"), None)
        for _ in range(self.n_tries):
            w = torch.randn(pairs.shape[-1], generator=generator) / pairs.shape[-1] ** 0.5
            params = torch.cat([w, torch.zeros(1)]).requires_grad_(True)
            optimizer = torch.optim.AdamW([params], lr=self.lr, weight_decay=0.01)
            with torch.enable_grad():
                for _ in range(self.n_epochs):
                    optimizer.zero_grad()
                    loss = self._loss(params, pos, neg)
                    loss.backward()
                    optimizer.step()
            final = float(self._loss(params.detach(), pos, neg))
            if final < best[0]:
                best = (final, params.detach().clone())
        self.loss_, params = best
        if params is None:
            raise ValueError(
                f"CCS training gave a NaN loss in all {self.n_tries} tries; lower lr (got {self.lr})"
            )
        w = params[:-1].double() / self.scale_
        self.direction_ = (w / w.norm()).numpy()
        self.center_ = ((self.pos_mean_ + self.neg_mean_) / 2).numpy()
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = pairs.shape[-1]
        return self

    def _normalized(self, pairs: torch.Tensor):
        pos_mean, neg_mean = pairs[:, 0].mean(0), pairs[:, 1].mean(0)
        pos, neg = pairs[:, 0] - pos_mean, pairs[:, 1] - neg_mean
        scale = (
            torch.cat([pos, neg]).std(0).clamp_min(1e-8) if self.normalize else torch.ones(pairs.shape[-1])
        )
        self.scale_ = scale.double()
        return pos / scale, neg / scale, pos_mean.double(), neg_mean.double()

    @staticmethod
    def _loss(params: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        p_pos = torch.sigmoid(pos @ params[:-1] + params[-1])
        p_neg = torch.sigmoid(neg @ params[:-1] + params[-1])
        consistency = (p_pos - (1 - p_neg)) ** 2
        confidence = torch.minimum(p_pos, p_neg) ** 2
        return (consistency + confidence).mean()
