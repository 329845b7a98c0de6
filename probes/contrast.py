"""Directions from contrast pairs, without labels: PCA of differences (LAT) and CCS.

A contrast pair is two activations of one prompt completed two ways (e.g. "... True" and
"... False"). Both probes take the pairs side by side, X of shape ``[n_pairs, 2 * d_model]``: the
first member in columns ``[:d_model]``, the second in ``[d_model:]``. Build X with
:func:`pair_features`; pairs stacked as ``[n_pairs, 2, d_model]`` are ``pairs.reshape(n_pairs, -1)``.
The same X goes to `fit`, `predict`, `decision_function`, `score` and `orient`.

``decision_function(X)`` scores each pair: how much further along `direction_` its first member
lies than its second, ``(first - second) @ direction_ + intercept_``, where ``intercept_`` removes
the average training pair's score for the centered methods (CCS, ``PCAProbe(center=True)``) and is
0 for ``PCAProbe(center=False)``. A score > 0 says the first member is the more "positive" one
(e.g. the true statement), and `predict` returns ``classes_[1]`` for it.

`fit(X)` needs no labels: ``classes_`` is ``[0, 1]``, 1 meaning "the first member is the positive
one". `fit(X, y)` with one label per pair takes ``classes_`` from `y` (any two labels) and uses `y`
only to fix the sign: the direction is flipped if that makes `predict` agree with `y` more often.
`orient(X, y)` does the same after an unlabeled fit. `statement_scores(acts)` scores single
activations ``[n, d_model]``. Both probes are deterministic: PCA uses a full SVD and fixes the sign
so the first member scores higher on average; CCS draws its restarts from `random_state`.

Example:
    >>> X = pair_features(yes_acts, no_acts)      # [n_pairs, 2 * d_model]: "... Yes" | "... No"
    >>> ccs = CCSProbe(random_state=0).fit(X)     # unsupervised; fit(X, y) also fixes the sign
    >>> ccs.decision_function(X)                  # > 0: "Yes" looks truer than "No"
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from probes.linear import _BinaryProbe, activations, check_rows, class_labels
from probes.validation import check_width

PAIR_DIMS = "n_pairs 2*d_model"


def pair_features(first, second):
    """X for :class:`PCAProbe` and :class:`CCSProbe`: row i holds ``first[i]`` then ``second[i]``.

    `first` and `second` are activations ``[n_pairs, d_model]`` (row i of one paired with row i of
    the other); the result is ``[n_pairs, 2 * d_model]``, a torch tensor if both are tensors, else a
    numpy array.

    Example:
        >>> X = pair_features(true_acts, false_acts)
    """
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
        _check_members(first, second)
        return torch.cat([first, second.to(first.device)], dim=-1)
    first, second = (
        x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x) for x in (first, second)
    )
    _check_members(first, second)
    return np.concatenate([first, second], axis=-1)


def _check_members(first, second) -> None:
    if first.ndim != 2 or tuple(first.shape) != tuple(second.shape):
        raise ValueError(
            "first and second must both have shape [n_pairs, d_model], row i of one paired with row i "
            f"of the other; got {tuple(first.shape)} and {tuple(second.shape)}"
        )


def _pairs(X) -> torch.Tensor:
    """Checked contrast pairs ``[n_pairs, 2 * d_model]`` as a float32 tensor."""
    if getattr(X, "ndim", None) == 3:
        raise ValueError(
            f"X (contrast pairs) must have shape [n_pairs, 2*d_model], got {tuple(X.shape)}; pairs "
            "stacked as [n_pairs, 2, d_model] become X with X.reshape(len(X), -1), or build X with "
            "pair_features(first, second)"
        )
    return activations(X, dims=PAIR_DIMS)


def _members(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The first and second members of pairs ``x [n_pairs, 2 * d_model]``."""
    width = x.shape[1]
    if width % 2:
        raise ValueError(
            f"X has {width} feature(s), an odd number; contrast pairs are X = [first | second] with "
            "2 * d_model columns: build X with pair_features(first, second)"
        )
    return x[:, : width // 2], x[:, width // 2 :]


class _DirectionProbe(_BinaryProbe):
    """Scores pairs by ``(first - second) @ direction_ + intercept_``; ``classes_[1]`` where > 0."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False  # unsupervised: fit(X) works, y only fixes the sign
        tags.classifier_tags.poor_score = True  # the direction is not fitted to y
        return tags

    def decision_function(self, X) -> np.ndarray:
        """Per pair, how much further along `direction_` the first member lies than the second
        (relative to the average training pair for the centered methods): > 0 means the first
        member is the more positive one."""
        check_is_fitted(self, "direction_")
        x = activations(X, dims=PAIR_DIMS)
        check_width(x, 2 * self.direction_.shape[0], estimator=type(self).__name__)
        first, second = _members(x.double())
        return ((first - second) @ torch.from_numpy(self.direction_) + self.intercept_).numpy()

    def statement_scores(self, acts) -> np.ndarray:
        """``(acts - center_) @ direction_`` for single activations ``[n, d_model]`` (higher: more
        like a positive first member)."""
        check_is_fitted(self, "direction_")
        x = activations(acts, name="acts").double()
        check_width(x, self.direction_.shape[0], name="acts")
        return ((x - torch.from_numpy(self.center_)) @ torch.from_numpy(self.direction_)).numpy()

    def orient(self, X, y):
        """Flip the direction if that makes `predict` agree with labels `y` on pairs `X` more often.

        `y` holds one label per pair, values of `classes_` (``classes_[1]``: the first member is
        the positive one).
        """
        if self.score(X, y) < 0.5:
            self._flip()
        return self

    def _flip(self) -> None:
        self.direction_ = -self.direction_
        self.intercept_ = -self.intercept_

    def _start(self, X, y) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Checked pairs [n_pairs, 2, d_model]; sets `classes_` and returns y as indices (or None)."""
        x = _pairs(X)
        check_rows(x, what="contrast pairs (rows of X)")
        if y is None:
            self.classes_, labels = np.array([0, 1]), None
        else:
            self.classes_, labels = class_labels(y, x.shape[0], name="y", estimator=type(self).__name__)
        first, second = _members(x)
        if torch.equal(first, second):
            raise ValueError(
                "the two members of every contrast pair are identical: there is no contrast to find"
            )
        self.n_features_in_ = x.shape[1]
        return torch.stack([first, second], dim=1), labels

    def _finish(self, pairs: torch.Tensor, labels: torch.Tensor | None, centered: bool):
        """Set `intercept_` (minus the mean training score if `centered`) and fix the sign by `y`."""
        pairs = pairs.double()
        diffs = (pairs[:, 0] - pairs[:, 1]) @ torch.from_numpy(self.direction_)
        self.intercept_ = -float(diffs.mean()) if centered else 0.0
        if labels is not None:
            agree = ((diffs + self.intercept_ > 0).long() == labels).double().mean()
            if agree < 0.5:
                self._flip()
        return self


class PCAProbe(_DirectionProbe):
    """First principal component of the pair differences (representation engineering's LAT).

    `center=True` (default) subtracts the mean difference before the SVD: the direction of
    largest variance of the differences, which finds a feature whose sign varies across pairs
    (e.g. which member is true); pairs are then scored relative to the mean difference.
    `center=False` takes the top singular vector of the raw differences, close to their mean when
    every pair differs the same way (pos = honest), and scores raw differences. Without `y` the
    sign makes the first member score higher on average; `fit(X, y)` or `orient(X, y)` aligns it
    with labels.
    """

    def __init__(self, center=True):
        self.center = center

    def fit(self, X, y=None):
        pairs, labels = self._start(X, y)
        pairs = pairs.double()
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
        return self._finish(pairs, labels, centered=bool(self.center))


class CCSProbe(_DirectionProbe):
    """Contrast-consistent search (Burns et al. 2022) on unlabeled contrast pairs.

    Each side of the pairs is mean-centered (and scaled by its standard deviation with
    `normalize=True`); a logistic probe p is trained so that p(x+) ~ 1 - p(x-) (consistency)
    while avoiding p = 0.5 (confidence), from `n_tries` random starts; the lowest loss wins.
    Pairs are scored relative to the mean difference (the per-side centering). The sign is not
    identifiable without labels: `fit(X, y)` or `orient(X, y)` aligns it with labels.
    """

    def __init__(self, n_tries=10, n_epochs=1000, lr=1e-2, normalize=True, random_state=0):
        self.n_tries = n_tries
        self.n_epochs = n_epochs
        self.lr = lr
        self.normalize = normalize
        self.random_state = random_state

    def fit(self, X, y=None):
        for name in ("n_tries", "n_epochs", "random_state"):
            value = getattr(self, name)
            low = 0 if name == "random_state" else 1
            if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, Real) or not 0 < self.lr < float("inf"):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        pairs, labels = self._start(X, y)
        pos, neg, self.pos_mean_, self.neg_mean_ = self._normalized(pairs)
        if (pos - neg).abs().max() <= 1e-5 * torch.cat([pos, neg]).abs().max():
            raise ValueError(
                "every pair differs by the same vector, which CCS's per-side centering removes, so nothing "
                "is left to separate; use PCAProbe(center=False) or a MeanDiffProbe for that vector"
            )
        generator = torch.Generator().manual_seed(int(self.random_state))
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
        return self._finish(pairs, labels, centered=True)

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
