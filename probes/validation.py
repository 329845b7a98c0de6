"""Checks on activations and labels handed to probes, with errors that say how to fix them."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def as_activations(x, name: str = "X", dims: str = "n d_model") -> Tensor:
    """A float32 CPU tensor with the named `dims` and only finite values, from a tensor or array."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x if x.flags.writeable else x.copy())  # e.g. a read-only memmap
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch tensor or numpy array, got {type(x).__name__}")
    if x.ndim != len(dims.split()):
        raise ValueError(f"{name} must have shape [{', '.join(dims.split())}], got {tuple(x.shape)}")
    x = x.detach().to("cpu", torch.float32)
    if x.shape[0] == 0:
        raise ValueError(f"{name} has no rows")
    bad = ~torch.isfinite(x)
    if bad.any():
        row = int(bad.reshape(x.shape[0], -1).any(1).nonzero()[0])
        raise ValueError(
            f"{name} contains NaN or inf (first in row {row}); check the extraction or drop the row"
        )
    return x


def as_labels(y, n: int) -> Tensor:
    """Binary labels as an int64 tensor of length `n`, with both classes present."""
    y = torch.as_tensor(np.array(y))  # a copy: datasets hand out read-only arrays
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels must have shape [{n}] to match the activations, got {tuple(y.shape)}")
    values = set(torch.unique(y).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"labels must be 0 or 1, got values {sorted(values)[:5]}")
    if len(values) < 2:
        raise ValueError(f"labels hold only class {values.pop()}; a probe needs examples of both classes")
    return y.long()


def check_width(x: Tensor, d_model: int, name: str = "X", estimator: str | None = None) -> None:
    """Refuse `x` unless its last axis has `d_model` entries (the width the probe was fitted on).

    With `estimator` (a class name) the message also reads as scikit-learn's
    ("X has 9 features, but LogisticProbe is expecting 8 features as input").
    """
    width = x.shape[-1]
    if width == d_model:
        return
    if estimator is None:
        raise ValueError(f"{name} has width {width} but the probe was fitted on width {d_model}")
    raise ValueError(
        f"{name} has {width} features, but {estimator} is expecting {d_model} features as input: "
        f"it was fitted on width {d_model}, {name} has width {width}"
    )
