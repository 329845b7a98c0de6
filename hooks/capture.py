"""Run one padded batch with hooks that keep only the requested positions, then stop early.

Each hook reduces its activation to the positions asked for as soon as it fires, so nothing of
shape ``[batch, seq, d_model]`` is kept; the deepest hook raises an exception that ends the
forward pass, so later blocks and the unembedding are never computed.

Example:
    >>> acts = capture_batch(model, tokens, mask, ["blocks.3.hook_resid_post"], start, end, "last")
    >>> acts[0].shape   # [batch, d_model]
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor

from hooks.positions import Reduce


class _StopForward(Exception):
    """Raised by the deepest hook: everything needed has been captured."""


def select_positions(
    act: Float[Tensor, "batch seq d_model"],
    start: Int[Tensor, " batch"],
    end: Int[Tensor, " batch"],
    reduce: Reduce,
) -> Float[Tensor, "rows d_model"]:
    """Reduce each row's token range ``[start, end)`` (padded coordinates) to float32.

    Returns ``[batch, d_model]``, or ``[sum(end - start), d_model]`` token by token when
    `reduce` is None (rows in prompt order, tokens in order within a prompt).
    """
    rows = torch.arange(act.shape[0], device=act.device)
    if reduce == "last":
        return act[rows, end - 1].float()
    if reduce is None:
        counts = end - start
        row_index = torch.repeat_interleave(rows, counts)
        first = torch.repeat_interleave(start - torch.cumsum(counts, 0) + counts, counts)
        col_index = first + torch.arange(int(counts.sum()), device=act.device)
        return act[row_index, col_index].float()
    cols = torch.arange(act.shape[1], device=act.device)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    if reduce == "max":
        return act.float().masked_fill(~inside[..., None], float("-inf")).amax(dim=1)
    weights = inside.float() / (end - start).float()[:, None]
    return torch.einsum("bt,btd->bd", weights, act.float())


def capture_batch(
    model,
    tokens: Int[Tensor, "batch seq"],
    attention_mask: Int[Tensor, "batch seq"],
    names: list[str],
    start: Int[Tensor, " batch"],
    end: Int[Tensor, " batch"],
    reduce: Reduce,
    stop_after: str | None = None,
) -> list[Float[Tensor, "rows d_model"]]:
    """Activations at hooks `names`, reduced by :func:`select_positions`, in the order of `names`.

    The forward pass ends right after hook `stop_after` (the deepest of `names`) has fired.
    """
    captured: dict[str, Tensor] = {}

    def keeper(name: str):
        def keep(act: Tensor, hook) -> None:
            captured[name] = select_positions(act, start, end, reduce)
            if name == stop_after:
                raise _StopForward

        return keep

    with torch.no_grad(), model.hooks(fwd_hooks=[(name, keeper(name)) for name in names]):
        try:
            model(tokens, attention_mask=attention_mask)
        except _StopForward:
            pass
    missing = [name for name in names if name not in captured]
    if missing:
        raise RuntimeError(f"hooks {missing} never fired; the model does not run these sites")
    return [captured[name] for name in names]


FINAL_NORM_HOOK = "ln_final.hook_out"


def final_normalized(
    model,
    tokens: Int[Tensor, "batch seq"],
    attention_mask: Int[Tensor, "batch seq"],
    rows: Int[Tensor, " m"],
    cols: Int[Tensor, " m"],
) -> Float[Tensor, "m d_model"]:
    """The final-norm output (the unembedding's input) at positions ``(rows[i], cols[i])``.

    The forward pass stops there, so logits are computed only where they are needed:
    ``model.unembed(final_normalized(...))`` equals ``model(tokens)[rows, cols]``.
    """
    captured: dict[str, Tensor] = {}

    def keep(act: Tensor, hook) -> None:
        captured["act"] = act[rows, cols]
        raise _StopForward

    with torch.no_grad(), model.hooks(fwd_hooks=[(FINAL_NORM_HOOK, keep)]):
        try:
            model(tokens, attention_mask=attention_mask)
        except _StopForward:
            pass
    if "act" not in captured:
        raise RuntimeError(f"hook {FINAL_NORM_HOOK} never fired; this model has no final norm hook")
    return captured["act"]
