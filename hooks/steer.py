"""Scoped steering: add a vector to (or project it out of) the residual stream inside a `with` block.

``steer(model, vector, multiplier)`` registers one forward hook per vector at the vector's own
hook (``vector.hook``, e.g. ``blocks.12.hook_resid_post``) and removes exactly those hooks when
the block ends, also when it ends with an exception; hooks the caller added are left alone.

Modes, for an activation ``x`` and the vector ``v`` (``u = v / |v|``):

- ``"add"``:              ``x + multiplier * v``  (contrastive activation addition)
- ``"project"``:          ``x - (x . u) u``  (the direction is removed; `multiplier` must stay 1)
- ``"project_then_add"``: ``x - (x . u) u + multiplier * v``  (the component is set to ``multiplier * v``)

Positions: ``"all"`` steers every position of every forward pass; ``"after_prompt"`` leaves the
first forward pass of the block unsteered (the prompt) and steers every later position, which
is what ``model.generate`` needs (newly generated tokens are steered, with or without a KV cache);
an int, or an int tensor ``[batch]`` (per row, in padded coordinates), is the first steered
position. Positions are counted per forward pass: a pass over a single token that follows
another pass in the same block continues that sequence (a KV-cache decoding step); any other
pass starts at position 0.

Example:
    >>> with steer(model, vec, -4.0):
    ...     text = model.generate(prompt, max_new_tokens=40, do_sample=False)
    >>> with steer(model, [vec_a, vec_b], [2.0, -1.0], mode="project_then_add", positions="after_prompt"):
    ...     logits = model(tokens)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import torch
from jaxtyping import Float, Int
from torch import Tensor

from probes.steering import SteeringVector

Mode = Literal["add", "project", "project_then_add"]
MODES = ("add", "project", "project_then_add")


@contextmanager
def steer(
    model,
    vectors: SteeringVector | Sequence[SteeringVector],
    multiplier: float | int | Sequence[float | int] = 1.0,
    *,
    mode: Mode = "add",
    positions: str | int | Int[Tensor, " batch"] = "all",  # "all" | "after_prompt" | first position
    check_model: bool = True,
) -> Iterator[None]:
    """Steer `model` with `vectors` (one multiplier, or one per vector) inside the block.

    `check_model=False` allows a vector made on another model of the same width (e.g. a
    fine-tune of it). Several vectors at the same hook are applied in the order given.

    Example:
        >>> with steer(model, 4.0 * vec):       # same as steer(model, vec, 4.0)
        ...     logits = model(tokens)
    """
    vectors = [vectors] if isinstance(vectors, SteeringVector) else list(vectors)
    multipliers = _multipliers(multiplier, len(vectors))
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "project" and any(m != 1.0 for m in multipliers):
        raise ValueError("mode='project' only removes the direction; use 'project_then_add' to also add")
    _check_positions(positions)
    for vector in vectors:
        _check_fits(model, vector, check_model)
    hooks = [
        (vector.hook, _SteeringHook(vector.direction, float(m), mode, positions))
        for vector, m in zip(vectors, multipliers)
    ]
    with model.hooks(fwd_hooks=hooks):
        yield


class _SteeringHook:
    """The forward hook for one vector; tracks absolute positions across KV-cache steps."""

    def __init__(self, direction: Float[Tensor, " d_model"], multiplier: float, mode: Mode, positions):
        self.direction = direction
        self.multiplier = multiplier
        self.mode = mode
        self.positions = positions
        self.seen: int | None = None  # positions processed so far in the current sequence
        self.prompt_length: int | None = None  # length of the first pass ("after_prompt")
        self._cache: dict = {}

    def __call__(self, act: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        seq = act.shape[1]
        offset = self.seen if (seq == 1 and self.seen is not None) else 0
        self.seen = offset + seq
        if self.prompt_length is None:
            self.prompt_length = seq
        start = self._start(act.shape[0], act.device)
        if isinstance(start, int) and start <= offset:
            return self._steered(act)
        absolute = torch.arange(offset, offset + seq, device=act.device)
        inside = absolute[None, :] >= torch.as_tensor(start, device=act.device).reshape(-1, 1)
        if not inside.any():
            return act
        return torch.where(inside[..., None], self._steered(act), act)

    def _start(self, batch: int, device) -> int | Tensor:
        if self.positions == "all":
            return 0
        if self.positions == "after_prompt":
            return self.prompt_length
        if isinstance(self.positions, Tensor):
            if self.positions.shape != (batch,):
                raise ValueError(
                    f"positions has shape {tuple(self.positions.shape)} but the batch has {batch} rows"
                )
            return self.positions.to(device)
        return int(self.positions)

    def _steered(self, act: Tensor) -> Tensor:
        key = (act.dtype, act.device)
        if key not in self._cache:
            unit = self.direction / self.direction.norm().clamp_min(torch.finfo(torch.float32).tiny)
            delta = self.multiplier * self.direction
            self._cache[key] = (unit.to(act.device, act.dtype), delta.to(act.device, act.dtype))
        unit, delta = self._cache[key]
        if self.mode != "add":
            act = act - (act @ unit)[..., None] * unit
        if self.mode != "project":
            act = act + delta
        return act


def _multipliers(multiplier, n: int) -> list[float]:
    if n == 0:
        raise ValueError("no steering vectors given")
    if isinstance(multiplier, (int, float)):
        return [float(multiplier)] * n
    multipliers = [float(m) for m in multiplier]
    if len(multipliers) != n:
        raise ValueError(f"got {len(multipliers)} multipliers for {n} vectors; give one, or one per vector")
    return multipliers


def _check_positions(positions) -> None:
    expected = "'all', 'after_prompt', a first position >= 0, or a [batch] tensor of them"
    if isinstance(positions, str):
        if positions not in ("all", "after_prompt"):
            raise ValueError(f"positions must be {expected}, got {positions!r}")
    elif isinstance(positions, Tensor):
        if positions.ndim != 1 or positions.is_floating_point():
            raise ValueError(f"positions must be {expected}, got a tensor of shape {tuple(positions.shape)}")
    elif not isinstance(positions, int) or positions < 0:
        raise ValueError(f"positions must be {expected}, got {positions!r}")


def _check_fits(model, vector: SteeringVector, check_model: bool) -> None:
    if not isinstance(vector, SteeringVector):
        raise TypeError(f"expected probes.SteeringVector, got {type(vector).__name__}")
    if vector.d_model != model.cfg.d_model:
        raise ValueError(
            f"vector for {vector.hook} has d_model {vector.d_model}, the model has {model.cfg.d_model}"
        )
    if vector.layer >= model.cfg.n_layers:
        raise ValueError(f"vector hook {vector.hook} is beyond the model's {model.cfg.n_layers} layers")
    if vector.hook not in model.hook_dict:
        raise ValueError(f"the model has no hook {vector.hook!r}")
    if check_model and vector.model_name != str(model.cfg.model_name):
        raise ValueError(
            f"vector was made on {vector.model_name!r}, this model is {model.cfg.model_name!r}; "
            "pass check_model=False to apply it anyway"
        )
