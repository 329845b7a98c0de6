"""Prefill a batch of prompts with a KV cache, computing the tokens they all share only once.

Few-shot prompts repeat the same solved examples before every question, so most of their tokens
are common to the whole batch. :func:`layout` finds the longest common token prefix; when it is
long enough (``min_shared`` tokens) :func:`prefix_cache` runs it once and repeats its keys and
values for every row, and the caller runs only the rows' own suffixes against that cache.

The cache then holds, per row, ``[shared prefix | left padding | own suffix]``: the attention mask
hides the padding and explicit position ids continue the prefix, so every row computes what it
would alone (tested token for token against unshared prefill). Without a shared prefix the layout
is the usual left-padded batch. ``Layout.column(row, t)`` maps token ``t`` of a row to its column in
the cache, ``Layout.suffix_column`` to its column in the suffix pass.

Sharing is skipped while any forward hook is attached to the model (e.g. :func:`hooks.steer`
with ``positions="after_prompt"`` counts positions per pass and would see a split prompt).

Example:
    >>> lay = layout(model, ids)                          # ids: list of token-id lists
    >>> logits, cache = model(lay.tokens, attention_mask=lay.mask, position_ids=lay.positions,
    ...                       past_key_values=prefix_cache(model, lay),
    ...                       return_type="logits_and_cache", logits_to_keep=1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from jaxtyping import Int
from torch import Tensor
from transformers import DynamicCache

from hooks.kv_check import require_kv_cache
from hooks.tokens import left_pad, pad_id_of

MIN_SHARED = 64
"""Shortest common prefix worth a separate pass (tokens)."""


@dataclass
class Layout:
    """A batch split into a prefix every row shares and left-padded per-row suffixes."""

    prefix: list[int]  # the shared tokens (empty: nothing shared)
    tokens: Int[Tensor, "batch width"]  # the suffixes, left-padded
    mask: Int[Tensor, "batch total"]  # over prefix + suffix columns (the cache after the pass)
    positions: Int[Tensor, "batch width"]  # position ids of the suffix tokens
    pads: list[int]  # left padding of each row's suffix

    @property
    def shared(self) -> int:
        return len(self.prefix)

    def column(self, row: int, t: int) -> int:
        """Column of token `t` of `row` in the cache."""
        return t if t < self.shared else t + self.pads[row]

    def suffix_column(self, row: int, t: int) -> int:
        """Column of token `t` of `row` in the suffix pass (`t` must not be in the shared prefix)."""
        if t < self.shared:
            raise ValueError(f"token {t} is in the shared prefix ({self.shared} tokens)")
        return t - self.shared + self.pads[row]


def layout(
    model,
    ids: Sequence[Sequence[int]],
    *,
    min_shared: int | None = MIN_SHARED,
    keep_after: int | None = None,
) -> Layout:
    """Split `ids` into their common prefix and per-row suffixes (each row keeps at least one token).

    `min_shared=None` never shares. `keep_after` caps the prefix so that tokens from that index on
    stay in the suffix pass (e.g. positions whose residual stream a hook must see).
    """
    device = next(model.parameters()).device
    shared = 0
    if min_shared is not None and len(ids) > 1 and not _hooked(model):
        shared = _common_length(ids)
        shared = min(shared, min(len(row) for row in ids) - 1)
        if keep_after is not None:
            shared = min(shared, keep_after)
        if shared < min_shared:
            shared = 0
    tokens, suffix_mask = left_pad([row[shared:] for row in ids], pad_id_of(model.tokenizer), device)
    positions = shared + (suffix_mask.cumsum(-1) - 1).clamp(min=0)
    mask = torch.cat([torch.ones(len(ids), shared, dtype=suffix_mask.dtype, device=device), suffix_mask], 1)
    pads = [tokens.shape[1] - (len(row) - shared) for row in ids]
    return Layout(list(ids[0][:shared]), tokens, mask, positions, pads)


@torch.no_grad()
def prefix_cache(model, lay: Layout) -> DynamicCache | None:
    """The shared prefix's keys and values, repeated for every row; None when nothing is shared."""
    if not lay.shared:
        return None
    require_kv_cache(model)
    device = lay.tokens.device
    tokens = torch.tensor([lay.prefix], device=device)
    _, cache = model(tokens, return_type="logits_and_cache", logits_to_keep=1)
    batch = lay.tokens.shape[0]
    out = DynamicCache()
    for index, kv in enumerate(cache.layers):
        out.update(kv.keys.repeat(batch, 1, 1, 1), kv.values.repeat(batch, 1, 1, 1), index)
    return out


def _common_length(ids: Sequence[Sequence[int]]) -> int:
    first, n = ids[0], min(len(row) for row in ids)
    for t in range(n):
        if any(row[t] != first[t] for row in ids[1:]):
            return t
    return n


def _hooked(model) -> bool:
    return any(getattr(point, "fwd_hooks", None) for point in getattr(model, "hook_dict", {}).values())
