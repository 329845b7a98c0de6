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
from typing import Literal, Union, no_type_check

import numpy as np

from hooks.tokens import Encoded

Reduce = Literal["mean", "max", "last"] | None
REDUCTIONS = ("mean", "max", "last", None)


@no_type_check  # checked by __post_init__, so users meet the same errors with or without beartype
@dataclass(frozen=True, kw_only=True)
class Span:
    """A per-prompt range of characters (``unit="char"``) or tokens (``unit="token"``).

    `start` and `end` are one value for all prompts or one per prompt (a list, tuple or integer
    array, stored as a tuple of ints); `end=None` runs to the end of the prompt. Token units
    accept negative indices; character units count from 0. With character units, a token
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
        object.__setattr__(self, "start", _indices(self.start, "start"))
        object.__setattr__(self, "end", None if self.end is None else _indices(self.end, "end"))
        if self.unit == "char":
            for name in ("start", "end"):
                value = getattr(self, name)
                if any(v is not None and v < 0 for v in _as_tuple(value)):
                    raise ValueError(
                        f"Span.{name} has a negative character index ({value!r}); character "
                        "spans count from 0 at the prompt's start; for positions from the end "
                        "use unit='token' (e.g. Span(start=-3, unit='token'))"
                    )

    @classmethod
    def after(cls, prefixes: Sequence[str], *, reduce: Reduce = "mean") -> Span:
        """The characters after each prompt's prefix (e.g. an answer after its chat prompt)."""
        if not isinstance(prefixes, str):
            prefixes = tuple(prefixes)
        if isinstance(prefixes, str) or not all(isinstance(p, str) for p in prefixes):
            raise TypeError(
                f"Span.after takes one prefix string per prompt, got {prefixes!r:.80}; "
                "wrap a single prefix in a list: Span.after([prefix])"
            )
        return cls(start=[len(p) for p in prefixes], reduce=reduce, prefixes=prefixes)

    def describe(self) -> str:
        return f"Span(unit={self.unit}, reduce={self.reduce})"


Position = Union[Literal["last"], int, Span]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _indices(value, name: str) -> int | tuple[int | None, ...]:
    """A Span bound as an int or a tuple of per-prompt ints (None allowed inside `end`)."""
    if _is_int(value):
        return int(value)
    if not isinstance(value, (str, bytes)) and isinstance(value, (Sequence, np.ndarray)):
        values = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
        allowed = (lambda v: _is_int(v) or v is None) if name == "end" else _is_int
        if all(allowed(v) for v in values):
            return tuple(v if v is None else int(v) for v in values)
    raise TypeError(
        f"Span.{name} must be an int or one int per prompt (a list, tuple or integer array), "
        f"got {value!r:.80} ({type(value).__name__})"
    )


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


def check_position(position) -> Position:
    """The position, checked; a numpy integer becomes an int."""
    if isinstance(position, Span) or (isinstance(position, str) and position == "last"):
        return position
    if _is_int(position):
        return int(position)
    raise TypeError(
        f"position must be 'last', an int token index or a Span, got {position!r:.80} "
        f"({type(position).__name__}); for a range of tokens use Span(start=..., end=..., unit='token')"
    )


def resolve_positions(
    position: Position,
    encoded: Encoded,
    prompts: Sequence,
    first_index: int = 0,
    n_total: int | None = None,
) -> TokenRanges:
    """Token ranges for the encoded prompts `first_index .. first_index + len(prompts)` of a
    list of `n_total` prompts (per-prompt Span values are indexed over the whole list)."""
    position = check_position(position)
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
            f"position {position!r} is outside prompt {first_index + i}, which has {lengths[i]} tokens; "
            f"use an index in -{lengths[i]}..{lengths[i] - 1} or drop the prompt"
        )
    return TokenRanges(start, start + 1, "last")


def _per_prompt(value, n: int, name: str, default=None) -> list:
    if value is None:
        return [default] * n
    if isinstance(value, int):
        return [value] * n
    if len(value) != n:
        raise ValueError(
            f"Span.{name} has {len(value)} entries but there are {n} prompts; "
            "give one value per prompt or a single int for all"
        )
    return list(value)


def _resolve_span(
    span: Span, encoded: Encoded, prompts: Sequence, first_index: int, n_total: int
) -> TokenRanges:
    n = len(encoded.ids)
    if span.prefixes is not None and len(span.prefixes) != n_total:
        raise ValueError(
            f"Span.after got {len(span.prefixes)} prefixes for {n_total} prompts; give one per prompt"
        )
    start_all = _per_prompt(span.start, n_total, "start")
    end_all = _per_prompt(span.end, n_total, "end")
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
        raise ValueError(
            f"token span [{start}, {end}) of prompt {i} is empty or outside its {length} tokens; "
            f"give start < end within -{length}..{length}"
        )
    return s, e


def _char_range(
    start: int, end: int | None, offsets: list[tuple[int, int]], n_chars: int, i: int
) -> tuple[int, int]:
    end = n_chars if end is None else end
    if start > n_chars or end > n_chars:
        raise ValueError(
            f"the span of characters [{start}, {end}) runs past the end of prompt {i}, which has "
            f"{n_chars} characters; check that the span was computed for this prompt"
        )
    if end < start:
        raise ValueError(
            f"the span of characters [{start}, {end}) of prompt {i} ends before it starts; give end >= start"
        )
    inside = [j for j, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    if not inside:
        raise ValueError(
            f"the span of characters [{start}, {end}) of prompt {i} ({n_chars} chars) covers no "
            "token; widen the span or drop the prompt"
        )
    return inside[0], inside[-1] + 1
