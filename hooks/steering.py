"""Scoped steering: add a vector to (or project it out of) the residual stream inside a `with` block.

``steer(model, vector, multiplier)`` registers one forward hook per vector at the vector's own
hook (``vector.hook``, e.g. ``blocks.12.hook_resid_post``; a residual-stream site of
:data:`hooks.names.SITES`) and removes exactly those hooks when the block ends, also when it ends
with an exception; hooks the caller added are left alone.

Modes, for an activation ``x`` and the vector ``v`` (``u = v / |v|``):

- ``"add"``:              ``x + multiplier * v``  (contrastive activation addition)
- ``"project"``:          ``x - (x . u) u``  (the direction is removed; `multiplier` must stay 1)
- ``"project_then_add"``: ``x - (x . u) u + multiplier * v``  (the component is set to ``multiplier * v``)

Several vectors at the same hook are applied in the order given; nested blocks apply the outer
block's vectors first.

Positions: ``"all"`` steers every position of every forward pass; ``"after_prompt"`` leaves the
prompt unsteered and steers every token generated after it (what generation under steering
needs); an int, or an int tensor ``[batch]`` (per row, in padded coordinates), is the first
steered position. Positions count the tokens of one *generation* (a prompt, then the tokens
generated after it), so a prompt is steered the same whatever ran before it in the block: alone,
in a batch, or in any batch order. Before each forward pass the block reads the pass's input ids
and its KV cache (``past_key_values``):

- a pass given a non-empty KV cache starts at the cache's length: a one-token pass is a
  decoding step of the current generation, a longer pass is the rest of a prompt whose start
  is in the cache (a shared prefix);
- a pass without a cache whose input ids are the previous pass's plus one token is a decoding
  step without a cache (generation that reruns the whole sequence, ``use_cache=False``);
- any other pass (also a fresh one-token pass) starts a new generation: all of it is prompt.

A new prompt that is exactly the previous pass plus one token cannot be told apart from an
uncached decoding step; score such a prompt in its own ``with steer`` block.

Example:
    >>> with steer(model, vec, -4.0):
    ...     text = model.generate(prompt, max_new_tokens=40, do_sample=False)
    >>> with steer(model, [vec_a, vec_b], [2.0, -1.0], mode="project_then_add", positions="after_prompt"):
    ...     outs = generate(model, prompts, max_new_tokens=40)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from hooks.names import HOOK_PATTERN, SITES
from hooks.vector import Direction, as_real
from hooks.vllm_engine import is_served, served_steering, steered_block

Mode = Literal["add", "project", "project_then_add"]
MODES = ("add", "project", "project_then_add")
POSITIONS = "'all', 'after_prompt', a first position (int >= 0), or a [batch] int tensor of them"


@contextmanager
def steer(
    model,
    vectors: Any,  # Direction | list[Direction] (a probes.SteeringVector); checked by hand
    multiplier: Any = 1.0,  # a real number (Python, NumPy, 0-d tensor), or a list: one per vector
    *,
    mode: Any = "add",  # Mode
    positions: Any = "all",  # "all" | "after_prompt" | int | Int[Tensor, " batch"]
    check_model: bool = True,
) -> Iterator[None]:
    """Steer `model` with `vectors` (one multiplier, or one per vector) inside the block.

    `check_model=False` allows a vector made on another model of the same width (e.g. a
    fine-tune of it). Every argument is checked before any hook is added.

    Example:
        >>> with steer(model, 4.0 * vec):       # same as steer(model, vec, 4.0)
        ...     logits = model(tokens)
    """
    vectors = _vector_list(vectors)
    multipliers = _multipliers(multiplier, len(vectors))
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "project" and any(m != 1.0 for m in multipliers):
        raise ValueError("mode='project' only removes the direction; use 'project_then_add' to also add")
    positions = check_positions(positions)
    for vector in vectors:
        if is_served(model):
            steered_block(vector.hook)  # the engine adds at block outputs only
        _check_fits(model, vector, check_model)
        if mode != "add" and not vector.direction.any():
            raise ValueError(f"mode={mode!r} projects onto the vector's direction, but the vector is zero")
    if is_served(model):
        with served_steering(model, vectors, multipliers, mode, positions):
            yield
        return
    tracker = None if isinstance(positions, str) and positions == "all" else _Generation()
    hooks = [
        (vector.hook, _SteeringHook(vector.direction, m, mode, positions, tracker))
        for vector, m in zip(vectors, multipliers)
    ]
    handle = model.register_forward_pre_hook(tracker.announce, with_kwargs=True) if tracker else None
    try:
        with model.hooks(fwd_hooks=hooks):
            yield
    finally:
        if handle is not None:
            handle.remove()


class _Generation:
    """Where the current forward pass lies in its generation (module docstring); one per block.

    A forward pre-hook on the model announces each pass with its input ids and cache length; the
    first steering hook to run in the pass places it.
    """

    def __init__(self):
        self.passes = 0  # passes announced
        self.placed = 0  # the pass that `offset` and `prompt_end` describe
        self.hooks_run: set[int] = set()  # steering hooks that ran in the current pass
        self.input: tuple[Tensor | None, int] = (None, 0)  # input ids (or None) and cache length
        self.previous: Tensor | None = None  # input ids of the previous uncached pass
        self.offset = 0  # position of the pass's first token in its generation
        self.prompt_end: int | None = None  # position of the first generated token

    def announce(self, module, args, kwargs) -> None:
        ids = args[0] if args else kwargs.get("input")
        if not (isinstance(ids, Tensor) and ids.ndim == 2 and not ids.is_floating_point()):
            ids = None  # text input: it can only start a new generation or continue a cache
        self.input = (ids, _cache_length(kwargs.get("past_key_values")))
        self.passes += 1
        self.hooks_run.clear()

    def place(self, hook: object, seq: int) -> tuple[int, int]:
        """``(offset, prompt_end)`` of the current pass of `seq` positions, as seen by `hook`."""
        if id(hook) in self.hooks_run:  # a pass that bypassed the pre-hook (model.forward called directly)
            self.announce(None, (), {})
        self.hooks_run.add(id(hook))
        if self.placed != self.passes:
            self.placed = self.passes
            ids, cached = self.input
            if cached and seq == 1:  # a decoding step with the cache
                self.offset = cached
                self.prompt_end = cached if self.prompt_end is None else self.prompt_end
            elif cached:  # the rest of a prompt after a cached prefix
                self.offset, self.prompt_end = cached, cached + seq
            elif not self._extends(ids):  # a new generation
                self.offset, self.prompt_end = 0, seq
            else:  # a decoding step that reruns the sequence without a cache
                self.offset = 0
            self.previous = None if (cached or ids is None) else ids.detach().clone()
        return self.offset, self.prompt_end

    def _extends(self, ids: Tensor | None) -> bool:
        previous = self.previous
        return (
            ids is not None
            and previous is not None
            and ids.shape == (previous.shape[0], previous.shape[1] + 1)
            and torch.equal(ids[:, :-1], previous.to(ids.device))
        )


def _cache_length(cache) -> int:
    if cache is None:
        return 0
    if hasattr(cache, "get_seq_length"):
        return int(cache.get_seq_length())
    if isinstance(cache, (tuple, list)) and cache and isinstance(cache[0][0], Tensor):
        return cache[0][0].shape[-2]  # legacy tuple of (keys, values) per layer
    raise TypeError(
        f"steer cannot read the length of a past_key_values of type {type(cache).__name__}; "
        "pass a transformers Cache (e.g. DynamicCache), or use positions='all'"
    )


class _SteeringHook:
    """The forward hook for one vector."""

    def __init__(
        self, direction: Float[Tensor, " d_model"], multiplier: float, mode: str, positions, tracker
    ):
        self.direction = direction
        self.multiplier = multiplier
        self.mode = mode
        self.positions = positions
        self.tracker: _Generation | None = tracker
        self._cache: dict = {}

    def __call__(self, act: Float[Tensor, "batch seq d_model"], hook) -> Float[Tensor, "batch seq d_model"]:
        if self.tracker is None:  # positions="all"
            return self._steered(act)
        batch, seq = act.shape[:2]
        offset, prompt_end = self.tracker.place(self, seq)
        start = self._start(batch, prompt_end)
        if isinstance(start, int) and start <= offset:
            return self._steered(act)
        absolute = torch.arange(offset, offset + seq, device=act.device)
        inside = absolute[None, :] >= torch.as_tensor(start, device=act.device).reshape(-1, 1)
        if not inside.any():
            return act
        return torch.where(inside[..., None], self._steered(act), act)

    def _start(self, batch: int, prompt_end: int) -> int | Tensor:
        if isinstance(self.positions, str):  # "after_prompt"
            return prompt_end
        if isinstance(self.positions, Tensor):
            if self.positions.shape != (batch,):
                raise ValueError(
                    f"positions has {self.positions.shape[0]} first positions but the batch has {batch} "
                    "rows; give one per row"
                )
        return self.positions

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


def _vector_list(vectors: Any) -> list[Direction]:
    if isinstance(vectors, Direction):
        return [vectors]
    if isinstance(vectors, Tensor):
        raise TypeError(
            "steer expects a probes.SteeringVector (or a list of them), got a bare tensor; wrap it as "
            "SteeringVector(direction, 'blocks.<layer>.hook_resid_post', model.cfg.model_name)"
        )
    if not isinstance(vectors, (list, tuple)):
        raise TypeError(
            f"steer expects a probes.SteeringVector or a list of them, got {type(vectors).__name__}"
        )
    if not vectors:
        raise ValueError("no steering vectors given: pass a SteeringVector or a non-empty list of them")
    for i, vector in enumerate(vectors):
        if not isinstance(vector, Direction):
            raise TypeError(f"vectors[{i}] must be a probes.SteeringVector, got {type(vector).__name__}")
    return list(vectors)


def _multipliers(multiplier: Any, n: int) -> list[float]:
    if isinstance(multiplier, (list, tuple)) or (
        isinstance(multiplier, (Tensor, np.ndarray)) and multiplier.ndim == 1
    ):
        multipliers = [as_real(m, "each multiplier") for m in multiplier]
        if len(multipliers) != n:
            raise ValueError(
                f"got {len(multipliers)} multipliers for {n} vectors; give one, or one per vector"
            )
        return multipliers
    return [as_real(multiplier, "multiplier")] * n


def check_positions(positions: Any) -> str | int | Tensor:
    """`positions` checked (module docstring): the string, the int, or an int tensor on the CPU."""
    if isinstance(positions, str):
        if positions not in ("all", "after_prompt"):
            raise ValueError(f"positions must be {POSITIONS}, got {positions!r}")
        return positions
    if isinstance(positions, Tensor):
        if positions.ndim != 1 or positions.is_floating_point() or positions.dtype == torch.bool:
            shape = tuple(positions.shape)
            raise ValueError(
                f"positions must be {POSITIONS}, got a {positions.dtype} tensor of shape {shape}"
            )
        if (positions < 0).any():
            raise ValueError(f"positions must be >= 0, got {positions.tolist()}")
        return positions.detach().to("cpu", torch.long).clone()
    if isinstance(positions, numbers.Integral) and not isinstance(positions, (bool, np.bool_)):
        if positions < 0:
            raise ValueError(f"positions must be {POSITIONS}, got {positions}")
        return int(positions)
    raise TypeError(f"positions must be {POSITIONS}, got {type(positions).__name__} {positions!r}")


def _check_fits(model, vector: Direction, check_model: bool) -> None:
    site = HOOK_PATTERN.match(vector.hook).group(2)
    if site not in SITES:
        raise ValueError(
            f"steer adds vectors to the residual stream, at sites {', '.join(SITES)}; "
            f"the vector's hook {vector.hook!r} is not one of them"
        )
    if vector.layer >= model.cfg.n_layers:
        raise ValueError(
            f"vector hook {vector.hook} is beyond the model's {model.cfg.n_layers} layers "
            f"(valid layers: 0..{model.cfg.n_layers - 1})"
        )
    if vector.hook not in model.hook_dict:
        raise ValueError(f"the model has no hook {vector.hook!r}")
    if vector.d_model != model.cfg.d_model:
        raise ValueError(
            f"vector for {vector.hook} has d_model {vector.d_model}, the model has {model.cfg.d_model}; "
            "use a vector made on this model"
        )
    if check_model and vector.model_name != str(model.cfg.model_name):
        raise ValueError(
            f"vector was made on {vector.model_name!r}, this model is {model.cfg.model_name!r}; "
            "pass check_model=False to apply it anyway"
        )
