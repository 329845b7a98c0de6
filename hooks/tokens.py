"""Tokenization for extraction: per-prompt token ids with character offsets, and left padding.

Prompts are tokenized with the tokenizer's own convention (`add_special_tokens=True`), except
that a prompt which already starts with the BOS token text (a chat-template rendering, say) does
not get a second one.

Example:
    >>> enc = encode(model.tokenizer, ["The city of Paris is in France."])
    >>> tokens, mask = left_pad(enc.ids, pad_id=0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Int
from torch import Tensor


@dataclass(frozen=True)
class Encoded:
    """Token ids of each prompt (unpadded) and, for text prompts, each token's (start, end) chars."""

    ids: list[list[int]]
    offsets: list[list[tuple[int, int]]] | None

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.ids]


def encode(tokenizer, prompts: Sequence) -> Encoded:
    """Tokenize text prompts (with offsets), or pass through prompts given as token-id lists."""
    if prompt_kind(prompts) == "text":
        return _encode_text(tokenizer, list(prompts))
    return Encoded(ids=[[int(t) for t in p] for p in prompts], offsets=None)


def prompt_kind(prompts: Sequence) -> str:
    """``"text"`` if every prompt is a string, ``"ids"`` if every prompt is a list of token ids
    (ints, a 1-D integer tensor or array); anything else is refused, naming the first bad prompt."""
    kinds = []
    for i, prompt in enumerate(prompts):
        kind = "text" if isinstance(prompt, str) else "ids" if _is_token_list(prompt) else None
        if kind is None:
            raise TypeError(
                f"prompt {i} is {_describe(prompt)}; each prompt must be a string or a list of int "
                "token ids (bytes: decode them to str first)"
            )
        kinds.append(kind)
    if len(set(kinds)) > 1:
        raise TypeError(
            f"prompts mix strings (prompt {kinds.index('text')}) and token-id lists (prompt "
            f"{kinds.index('ids')}); pass all prompts as text or all as token ids"
        )
    return kinds[0] if kinds else "text"


def _is_token_list(prompt) -> bool:
    if isinstance(prompt, Tensor):
        not_ids = prompt.is_floating_point() or prompt.is_complex() or prompt.dtype == torch.bool
        return prompt.ndim == 1 and not not_ids
    if isinstance(prompt, np.ndarray):
        return prompt.ndim == 1 and np.issubdtype(prompt.dtype, np.integer)
    if isinstance(prompt, (str, bytes, bytearray)) or not isinstance(prompt, Sequence):
        return False
    return all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in prompt)


def _describe(value) -> str:
    if isinstance(value, (Tensor, np.ndarray)):
        return f"a {type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return f"{text[:60] + '...' if len(text) > 60 else text} ({type(value).__name__})"


def _encode_text(tokenizer, prompts: list[str]) -> Encoded:
    if tokenizer is None:
        raise ValueError("the model has no tokenizer; pass prompts as lists of token ids instead")
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("a fast (Rust) tokenizer is needed for character offsets")
    bos = tokenizer.bos_token
    ids: list[list[int]] = [None] * len(prompts)  # type: ignore[list-item]
    offsets: list[list[tuple[int, int]]] = [None] * len(prompts)  # type: ignore[list-item]
    # Two groups, so a prompt that already carries the BOS text does not get a second BOS.
    for add_special in (True, False):
        group = [i for i, p in enumerate(prompts) if (bool(bos) and p.startswith(bos)) != add_special]
        if not group:
            continue
        batch = tokenizer(
            [prompts[i] for i in group],
            add_special_tokens=add_special,
            return_offsets_mapping=True,
            return_attention_mask=False,
        )
        for row, i in enumerate(group):
            ids[i] = list(batch["input_ids"][row])
            offsets[i] = [tuple(pair) for pair in batch["offset_mapping"][row]]
    return Encoded(ids=ids, offsets=offsets)


def left_pad(
    ids: Sequence[Sequence[int]], pad_id: int, device: torch.device | str = "cpu"
) -> tuple[Int[Tensor, "batch seq"], Int[Tensor, "batch seq"]]:
    """Left-pad token-id lists into one tensor; returns (tokens, attention_mask)."""
    width = max(len(row) for row in ids)
    tokens = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        if row:
            tokens[i, width - len(row) :] = torch.as_tensor(row, dtype=torch.long)
            mask[i, width - len(row) :] = 1
    return tokens.to(device), mask.to(device)


def pad_id_of(tokenizer) -> int:
    """The id used for padding: the tokenizer's pad token, else EOS, else 0 (masked out anyway)."""
    for attr in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None) if tokenizer is not None else None
        if value is not None:
            return int(value)
    return 0
