"""What steering needs of a vector, and checked multipliers; hooks/ knows no class of probes/.

:func:`hooks.steer` accepts any object with a ``direction`` tensor ``[d_model]``, a ``hook`` name
and a ``model_name`` (:class:`Direction`), such as :class:`probes.SteeringVector`.

Example:
    >>> isinstance(probes.SteeringVector(torch.ones(4), "blocks.1.hook_resid_post", "m"), Direction)
    True
    >>> as_real(np.float32(2.0), "multiplier")
    2.0
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Protocol, runtime_checkable

import numpy as np
from torch import Tensor


@runtime_checkable
class Direction(Protocol):
    """A steering direction: added at `hook` of the model named `model_name`."""

    direction: Tensor  # [d_model]
    hook: str
    model_name: str


def as_real(value: Any, name: str) -> float:
    """`value` as a finite float: an int or float (Python or NumPy), or a 0-d tensor or array of one.

    Booleans, strings and arrays of several values are refused (TypeError), NaN and inf too (ValueError).
    """
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number (int, float, or a 0-d tensor), got {kind} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)
