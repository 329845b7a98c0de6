"""Probe metrics, batched over leading dimensions (layers, bootstrap samples), in torch.

Intervals for them: :func:`probes.stats.bootstrap_ci`.

Example:
    >>> auroc(torch.tensor([[0.1, 0.9, 0.4]]), torch.tensor([0, 1, 1]))
    tensor([1.])
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor


def _check(scores: Tensor, labels: Tensor) -> None:
    """Scores are finite and pair up with 0/1 labels along the last axis."""
    if scores.shape[-1:] != labels.shape:
        raise ValueError(
            f"scores {tuple(scores.shape)} and labels {tuple(labels.shape)} must share the last axis"
        )
    if not ((labels == 0) | (labels == 1)).all():
        raise ValueError(f"labels must be 0 or 1, got values {labels.unique()[:5].tolist()}")
    if not torch.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf; check the probe and the activations it scored")


def auroc(scores: Float[Tensor, "*batch n"], labels: Int[Tensor, " n"]) -> Float[Tensor, "*batch"]:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties) along the last axis."""
    _check(scores, labels)
    positive = labels.bool()
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError(f"AUROC needs both classes; got {n1} positives and {n0} negatives")
    scores = scores.double()
    ordered = scores.sort(dim=-1).values.contiguous()
    below = torch.searchsorted(ordered, scores.contiguous(), side="left")
    at_or_below = torch.searchsorted(ordered, scores.contiguous(), side="right")
    ranks = (below + at_or_below + 1).double() / 2
    rank_sum = (ranks * positive.double()).sum(-1)
    return ((rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)).float()


def accuracy(scores: Float[Tensor, "*batch n"], labels: Int[Tensor, " n"]) -> Float[Tensor, "*batch"]:
    """Share of items where ``score > 0`` agrees with the label."""
    _check(scores, labels)
    return ((scores > 0).long() == labels).float().mean(-1)
