"""Which token positions of each prompt to read: the last token, a fixed index, or a span.

Every position request resolves to one half-open token range ``[start, end)`` per prompt, in
the prompt's own (unpadded) token coordinates, plus a reduction over that range:

- ``"last"`` (the default): the prompt's final token;
- an ``int``: that token index (negative counts from the end);
- a :class:`Span`: a character or token range per prompt, reduced by ``"mean"``, ``"max"``,
  ``"last"``, or ``None`` for token-by-token output.

Example:
    >>> prompt = chat_prompt(model, "Is Paris in France?")
    >>> Span.after([prompt], reduce="mean")   # the tokens after the prompt: the answer
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Union

import numpy as np

from hooks.tokens import Encoded

Reduce = Literal["mean", "max", "last"] | None
REDUCTIONS = ("mean", "max", "last", None)


@dataclass(frozen=True, kw_only=True)
class Span:
    """A per-prompt range of characters (``unit="char"``) or tokens (``unit="token"``).

    `start` and `end` are one value for all prompts or one per prompt; `end=None` runs to the
    end of the prompt. Token units accept negative indices. With character units, a token
    belongs to the span when its characters overlap ``[start, end)``.
    `prefixes`, set by :meth:`after`, are checked against the prompts.
    """

    start: int | Sequence[int]
    end: int | Sequence[int] | None = None
    unit: Literal["char", "token"] = "char"
    reduce: Reduce = "mean"
    prefixes: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.unit not in ("char", "token"):
            raise ValueError(f"Span unit must be 'char' or 'token', got {self.unit!r}")
        if self.reduce not in REDUCTIONS:
            raise ValueError(f"Span reduce must be one of {REDUCTIONS}, got {self.reduce!r}")

    @classmethod
    def after(cls, prefixes: Sequence[str], *, reduce: Reduce = "mean") -> Span:
        """The characters after each prompt's prefix (e.g. an answer after its chat prompt)."""
        prefixes = tuple(prefixes)
        return cls(start=[len(p) for p in prefixes], reduce=reduce, prefixes=prefixes)

    def describe(self) -> str:
        return f"Span(unit={self.unit}, reduce={self.reduce})"


Position = Union[Literal["last"], int, Span]


@dataclass(frozen=True)
class TokenRanges:
    """Resolved positions: token range ``[start, end)`` per prompt (unpadded) and a reduction."""

    start: np.ndarray
    end: np.ndarray
    reduce: Reduce

    def __len__(self) -> int:
        return len(self.start)

    def take(self, index: Sequence[int] | np.ndarray) -> TokenRanges:
        return TokenRanges(self.start[index], self.end[index], self.reduce)


def describe_position(position: Position) -> str:
    return position.describe() if isinstance(position, Span) else repr(position)


def check_position(position: Position) -> None:
    if position == "last" or isinstance(position, Span):
        return
    if isinstance(position, int) and not isinstance(position, bool):
        return
    raise TypeError(f"position must be 'last', an int or a Span, got {position!r}")


def resolve_positions(
    position: Position,
    encoded: Encoded,
    prompts: Sequence,
    first_index: int = 0,
    n_total: int | None = None,
) -> TokenRanges:
    """Token ranges for the encoded prompts `first_index .. first_index + len(prompts)` of a
    list of `n_total` prompts (per-prompt Span values are indexed over the whole list)."""
    check_position(position)
    lengths = np.asarray(encoded.lengths, dtype=np.int64)
    if isinstance(position, Span):
        n_total = first_index + len(prompts) if n_total is None else n_total
        return _resolve_span(position, encoded, prompts, first_index, n_total)
    index = -1 if position == "last" else position
    start = np.where(np.asarray(index) < 0, lengths + index, index)
    bad = np.flatnonzero((start < 0) | (start >= lengths))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"position {position!r} is outside prompt {first_index + i}, which has {lengths[i]} tokens"
        )
    return TokenRanges(start, start + 1, "last")


def _per_prompt(value, n: int, name: str, default=None) -> list:
    if value is None:
        return [default] * n
    if isinstance(value, int):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"Span.{name} has {len(values)} entries but there are {n} prompts")
    return values


def _resolve_span(
    span: Span, encoded: Encoded, prompts: Sequence, first_index: int, n_total: int
) -> TokenRanges:
    n = len(encoded.ids)
    start_all = _per_prompt(span.start, n_total, "start")
    end_all = _per_prompt(span.end, n_total, "end")
    if span.prefixes is not None and len(span.prefixes) != n_total:
        raise ValueError(f"Span.after got {len(span.prefixes)} prefixes for {n_total} prompts")
    starts, ends = [], []
    for row in range(n):
        i = first_index + row
        if span.prefixes is not None and not prompts[row].startswith(span.prefixes[i]):
            raise ValueError(f"prompt {i} does not start with its Span.after prefix")
        if span.unit == "token":
            s, e = _token_range(start_all[i], end_all[i], len(encoded.ids[row]), i)
        else:
            if encoded.offsets is None:
                raise ValueError("character spans need text prompts; use unit='token' for token ids")
            s, e = _char_range(start_all[i], end_all[i], encoded.offsets[row], len(prompts[row]), i)
        starts.append(s)
        ends.append(e)
    return TokenRanges(np.asarray(starts, np.int64), np.asarray(ends, np.int64), span.reduce)


def _token_range(start: int, end: int | None, length: int, i: int) -> tuple[int, int]:
    s = start + length if start < 0 else start
    e = length if end is None else (end + length if end < 0 else end)
    if not 0 <= s < e <= length:
        raise ValueError(f"token span [{start}, {end}) of prompt {i} is empty or outside its {length} tokens")
    return s, e


def _char_range(
    start: int, end: int | None, offsets: list[tuple[int, int]], n_chars: int, i: int
) -> tuple[int, int]:
    end = n_chars if end is None else end
    inside = [j for j, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    if not inside:
        raise ValueError(
            f"the span of characters [{start}, {end}) of prompt {i} ({n_chars} chars) covers no token"
        )
    return inside[0], inside[-1] + 1
