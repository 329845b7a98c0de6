"""Steering vectors as values: a direction, the hook it applies at, and the model it came from.

Vectors support arithmetic (``2 * a - b``) between vectors of the same hook and model, and are
built from contrasting activations or from a probe's direction.

Example:
    >>> vec = SteeringVector.from_contrast(pos_acts, neg_acts, hook="blocks.12.hook_resid_post", model=model)
    >>> (-4.0 * vec).direction.norm()
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from hooks.names import HOOK_PATTERN
from hooks.vector import as_real
from probes.validation import as_activations


@dataclass(frozen=True)
class SteeringVector:
    """`direction` (float32, [d_model]) added at hook `hook` of model `model_name`.

    `info` records how it was made (method, dataset, layer choice, metrics); it is carried along
    by arithmetic only when both operands agree on it.
    """

    direction: Float[Tensor, " d_model"]
    hook: str
    model_name: str
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.hook, str) or not HOOK_PATTERN.match(self.hook):
            raise ValueError(f"hook must look like 'blocks.<layer>.hook_<site>', got {self.hook!r}")
        if not isinstance(self.model_name, str):
            raise TypeError(f"model_name must be a str (the model's cfg.model_name), got {self.model_name!r}")
        try:
            direction = torch.as_tensor(self.direction).detach()
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"direction must be a 1-D float tensor or array, got {type(self.direction).__name__}"
            ) from error
        if direction.dtype == torch.bool or direction.is_complex():
            raise TypeError(f"direction must hold real numbers, got dtype {direction.dtype}")
        if direction.is_meta:
            raise ValueError("direction is a meta tensor (no values); compute it on a real device first")
        direction = direction.to("cpu", torch.float32)
        if direction.ndim != 1 or direction.numel() == 0:
            raise ValueError(f"direction must be a non-empty 1-D vector, got shape {tuple(direction.shape)}")
        bad = int((~torch.isfinite(direction)).sum())
        if bad:
            raise ValueError(
                f"direction must be finite, got {bad} NaN/inf values of {direction.numel()} "
                "(in float32: a scale too large overflows)"
            )
        object.__setattr__(self, "direction", direction)

    @property
    def layer(self) -> int:
        return int(HOOK_PATTERN.match(self.hook).group(1))

    @property
    def d_model(self) -> int:
        return self.direction.shape[0]

    @classmethod
    def from_contrast(
        cls, pos_acts, neg_acts, *, hook: str, model, info: dict | None = None
    ) -> SteeringVector:
        """Mean of ``pos_acts - neg_acts`` (contrastive activation addition), [n, d_model] each."""
        pos, neg = as_activations(pos_acts, "pos_acts"), as_activations(neg_acts, "neg_acts")
        if pos.shape != neg.shape:
            raise ValueError(
                f"pos_acts {tuple(pos.shape)} and neg_acts {tuple(neg.shape)} must pair up row by row"
            )
        info = {"method": "mean_difference", "n_pairs": pos.shape[0], **(info or {})}
        return cls((pos - neg).mean(0), hook, _model_name(model), info)

    @classmethod
    def from_probe(
        cls, probe, *, hook: str, model, norm: float = 1.0, info: dict | None = None
    ) -> SteeringVector:
        """A fitted probe's unit `direction_`, scaled to length `norm`."""
        direction = torch.from_numpy(np.asarray(probe.direction_, dtype=np.float32)) * norm
        info = {"method": f"probe:{type(probe).__name__}", **(info or {})}
        return cls(direction, hook, _model_name(model), info)

    def _check_compatible(self, other: SteeringVector) -> None:
        if (self.hook, self.model_name, self.d_model) != (other.hook, other.model_name, other.d_model):
            raise ValueError(
                f"cannot combine a vector for {self.model_name} at {self.hook} (d_model {self.d_model}) "
                f"with one for {other.model_name} at {other.hook} (d_model {other.d_model})"
            )

    def __add__(self, other: object) -> SteeringVector:
        if not isinstance(other, SteeringVector):
            return NotImplemented
        self._check_compatible(other)
        info = self.info if self.info == other.info else {"method": "combination"}
        return replace(self, direction=self.direction + other.direction, info=info)

    def __sub__(self, other: SteeringVector) -> SteeringVector:
        return self + (-1.0) * other

    def __mul__(self, scale: Any) -> SteeringVector:  # any real number: checked by as_real
        return replace(self, direction=self.direction * as_real(scale, "scale"))

    __rmul__ = __mul__

    def __neg__(self) -> SteeringVector:
        return -1.0 * self

    def __truediv__(self, scale: Any) -> SteeringVector:
        scale = as_real(scale, "divisor")
        if scale == 0:
            raise ValueError("cannot divide a steering vector by 0")
        return self * (1.0 / scale)


def _model_name(model) -> str:
    return model if isinstance(model, str) else str(model.cfg.model_name)
