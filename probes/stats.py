"""Bootstrap confidence intervals: the one place the library resamples.

- :func:`mean_ci`: the mean of per-item values with a percentile interval (behaviour rates);
  :func:`cluster_mean_ci` resamples groups of items instead (items that share a question).
- :func:`bootstrap_ci`: a metric of scores against 0/1 labels, resampled within each class (probe
  accuracy and AUROC, batched over layers).
- :func:`bootstrap_draws` + :func:`percentile_ci`: any statistic of resampled items (curves), for
  callers that need their own generator.
- :func:`resamples` + :func:`auroc_draws`: the same draws as an array, and the AUROC on all of them
  at once (thousands of times faster than one ``roc_auc_score`` per draw).

Example:
    >>> mean_ci([1, 0, 1, 1])["mean"]
    0.75
    >>> percentile_ci(bootstrap_draws(lambda pick: float(pick.mean()), 10, 200, np.random.default_rng(0)))
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

import numpy as np
import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor


def check_bootstrap(n_boot, level) -> None:
    """Refuse a sample count that is not a positive integer or a level outside (0, 1)."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 1:
        raise ValueError(f"n_boot (bootstrap samples) must be an integer >= 1, got {n_boot!r}; e.g. 1000")
    if isinstance(level, bool) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}; e.g. 0.95")


def mean_ci(values, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Mean of `values` with a percentile bootstrap interval: ``{"mean", "ci", "n"}``.

    Empty input gives ``{"mean": None, "ci": [None, None], "n": 0}`` (nothing to estimate).

    Example:
        >>> mean_ci([1, 0, 1, 1])["mean"]
        0.75
    """
    check_bootstrap(n_boot, level)
    x = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if x.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        return {"mean": None, "ci": [None, None], "n": 0}
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(x.numel(), (n_boot, x.numel()), generator=generator)
    means = x[draws].mean(1)
    alpha = (1 - level) / 2
    low, high = torch.quantile(means, torch.tensor([alpha, 1 - alpha], dtype=torch.float64)).tolist()
    return {"mean": float(x.mean()), "ci": [low, high], "n": int(x.numel())}


def bootstrap_ci(
    metric,
    scores: Float[Tensor, "*batch n"],
    labels: Int[Tensor, " n"],
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Float[Tensor, "*batch 2"]:
    """Percentile confidence interval of `metric(scores, labels)`, resampling items with
    replacement within each class (so both classes are always present)."""
    check_bootstrap(n_boot, level)
    generator = torch.Generator().manual_seed(seed)
    index = torch.empty(n_boot, labels.shape[0], dtype=torch.long)
    for cls in (0, 1):
        members = (labels == cls).nonzero().squeeze(1)
        draws = torch.randint(len(members), (n_boot, len(members)), generator=generator)
        index[:, labels == cls] = members[draws]
    resampled = scores[..., index]  # [*batch, boot, n]; labels at resampled positions are unchanged
    values = metric(resampled, labels)
    alpha = (1 - level) / 2
    return torch.quantile(values, torch.tensor([alpha, 1 - alpha]), dim=-1).movedim(0, -1)


def bootstrap_draws(
    statistic: Callable[[np.ndarray], object], n_items: int, n_boot: int, rng: np.random.Generator
) -> list:
    """`statistic(pick)` on `n_boot` resamples of item indices (with replacement); a None is dropped
    (a resample on which the statistic is undefined, e.g. one class missing)."""
    values = (statistic(pick) for pick in resamples(n_items, n_boot, rng))
    return [value for value in values if value is not None]


def percentile_ci(values, level: float = 0.95) -> list[float] | None:
    """``[low, high]`` percentiles of bootstrap `values`; None when there are none."""
    check_bootstrap(1, level)
    if len(values) == 0:
        return None
    tail = (1 - level) / 2 * 100
    return [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]


def cluster_mean_ci(values, groups, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Mean of `values` with a bootstrap interval that resamples whole groups (clusters) of items:
    ``{"mean", "ci", "n", "n_groups"}``. Use it when items share a source (many paraphrases of one
    question), where resampling items would give intervals that are too narrow.

    Example:
        >>> cluster_mean_ci([1, 1, 0, 0], groups=[0, 0, 1, 1])["n_groups"]
        2
    """
    check_bootstrap(n_boot, level)
    x, g = np.asarray(values, dtype=np.float64), np.asarray(groups)
    if x.ndim != 1 or g.shape != x.shape:
        raise ValueError(f"values and groups must be 1-D and of one length, got {x.shape} and {g.shape}")
    if x.size == 0:
        return {"mean": None, "ci": [None, None], "n": 0, "n_groups": 0}
    _, index = np.unique(g, return_inverse=True)
    sums, counts = np.bincount(index, weights=x), np.bincount(index)
    picks = resamples(len(sums), n_boot, np.random.default_rng(seed))
    means = sums[picks].sum(1) / counts[picks].sum(1)
    low, high = percentile_ci(means, level)
    return {"mean": float(x.mean()), "ci": [low, high], "n": int(x.size), "n_groups": len(sums)}


def resamples(n_items: int, n_boot: int, rng: np.random.Generator) -> Int[np.ndarray, "boot n"]:
    """The item indices of `n_boot` resamples with replacement, one row each (the draws of
    :func:`bootstrap_draws`, which applies a statistic to each row).

    Example:
        >>> resamples(3, 2, np.random.default_rng(0)).shape
        (2, 3)
    """
    check_bootstrap(n_boot, 0.5)
    return rng.integers(0, n_items, (n_boot, n_items))


def auroc_draws(
    scores: Float[np.ndarray, " n"], positive: Bool[np.ndarray, " n"], picks: Int[np.ndarray, "boot n"]
) -> Float[np.ndarray, " boot"]:
    """AUROC of `scores` for the `positive` items on every resample in `picks`, at once.

    Mann-Whitney form: the share of (positive, negative) pairs that the scores order correctly,
    ties counting 1/2, which equals the trapezoidal area under the ROC curve (scikit-learn's
    ``roc_auc_score``). Each resample weighs item pairs by how often it drew them. NaN where a
    resample has no positive or no negative item. Memory: one ``n x n`` matrix (fine to a few
    thousand items).

    Example:
        >>> picks = resamples(4, 1000, np.random.default_rng(0))
        >>> auroc_draws(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True]), picks)
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_boot, n = picks.shape
    counts = np.bincount((picks + n * np.arange(n_boot)[:, None]).ravel(), minlength=n_boot * n)
    counts = counts.reshape(n_boot, n).astype(np.float64)
    wins = (scores[:, None] > scores[None, :]) + 0.5 * (scores[:, None] == scores[None, :])
    pos, neg = counts * positive, counts * ~positive
    pairs = pos.sum(1) * neg.sum(1)
    ordered = ((pos @ wins[:, ~positive]) * neg[:, ~positive]).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, ordered / pairs, np.nan)
