"""Paired biased / unbiased chats (:class:`BiasedPair`) and their JSONL loader, :func:`load_biased_pairs`.

Published biased-context data sets (Turpin et al. 2023; Chua et al. 2024) come as one question per
line asked in an unbiased and a biased chat, with the gold letter and the letter the bias points to.
:func:`probes.faithfulness.prompts.from_pairs` turns the pairs into faithfulness test items.
Re-exported by :mod:`probes.datasets.mcq` and :mod:`probes.datasets`.

Example:
    >>> pairs = load_biased_pairs("suggested_answer.jsonl", on_error="skip")
    >>> pairs[0].gold, pairs[0].target, pairs.info["skipped"]["reasons"]
    ('A', 'C', {"'biased_option' is not a single capital letter": 1})
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from probes.datasets.base import DatasetError
from probes.datasets.items import check_id
from probes.datasets.loaders import (
    LoadedList,
    _existing,
    check_chat,
    check_letter,
    read_jsonl,
    report_skips,
    skip_or_raise,
)
from probes.datasets.published import Skips, Unreadable


@dataclass(frozen=True)
class BiasedPair:
    """One question as an unbiased and a biased chat, with the gold letter and the biased letter.

    `unbiased` and `biased` are chats: messages ``{"role": ..., "content": ...}`` with roles
    system / user / assistant and non-empty content, stored as tuples of plain dicts (other keys
    dropped). `gold` (the correct answer) and `target` (the answer the bias points to) are single
    capital letters; they may be equal.

    Example:
        >>> pair = BiasedPair("p/0", "toy", [{"role": "user", "content": "Q? (A) x (B) y"}],
        ...                   [{"role": "user", "content": "Q? (A) x (B) y I think it is (B)."}], "A", "B")
        >>> pair.biased[0]["role"], pair.target
        ('user', 'B')
    """

    id: str
    task: str
    unbiased: Sequence[dict]
    biased: Sequence[dict]
    gold: str
    target: str

    def __post_init__(self):
        where = check_id("BiasedPair", self.id)
        if not isinstance(self.task, str) or not self.task:
            raise DatasetError(f"{where}: task must be a non-empty string, got {self.task!r}")
        object.__setattr__(self, "unbiased", check_chat(f"{where}: unbiased", self.unbiased))
        object.__setattr__(self, "biased", check_chat(f"{where}: biased", self.biased))
        check_letter(f"{where}: gold", self.gold)
        check_letter(f"{where}: target", self.target)


PAIR_KEYS = ("unbiased_question", "biased_question", "ground_truth", "biased_option")
"""The keys every line of a :func:`load_biased_pairs` file has."""


def load_biased_pairs(path: str | Path, *, on_error: str = "raise") -> LoadedList:
    """Pairs of unbiased / biased chats from JSONL, one object per line (blank lines skipped).

    Each line has ``unbiased_question`` and ``biased_question`` (lists of ``{"role", "content"}``
    messages), ``ground_truth`` and ``biased_option`` (letters); optional ``id`` (default
    ``"{file stem}/{i}"``, i counting the non-blank lines from 0) and ``task`` or
    ``original_dataset`` (default the file stem). Ids must be unique.

    A line that cannot be read (not JSON, a key missing, an empty question, a bias target such as
    "NOT D", a repeated id) raises a DatasetError naming the line; with ``on_error="skip"`` it is
    left out, counted in ``info["skipped"]`` (count, per reason, first places) and logged. The
    result is a list of :class:`BiasedPair` with ``info`` (source, sha256, counts).

    Example:
        >>> pairs = load_biased_pairs("suggested_answer.jsonl", on_error="skip")
        >>> pairs[0].gold, pairs[0].target, pairs.info["skipped"]["count"]
        ('A', 'C', 2)
    """
    path = _existing(path, f"a JSONL file with keys {', '.join(PAIR_KEYS)}")
    skips = Skips(on_error, str(path))
    lines = read_jsonl(path, PAIR_KEYS, skips)
    pairs, first_seen = [], {}
    for i, (where, item) in enumerate(lines):
        try:
            pair = _pair(item, where, f"{path.stem}/{i}", path.stem, first_seen)
        except Unreadable as error:
            skip_or_raise(skips, where.rsplit(", ", 1)[-1], *error.args)
            continue
        first_seen[pair.id] = where
        pairs.append(pair)
    n_read = len(lines) + skips.reasons["not valid JSON"]
    if not pairs:
        raise skips.none_left(n_read, "pair")
    info = {"source": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    info |= {"format": "biased pairs JSONL", "n_read": n_read, "n": len(pairs), **skips.info()}
    report_skips(info, "lines")
    return LoadedList(pairs, info)


def _pair(item, where: str, default_id: str, stem: str, first_seen: dict) -> BiasedPair:
    """One line's pair; an Unreadable (reason, message) says why it cannot be read."""
    if not isinstance(item, dict):
        raise Unreadable("not a JSON object", f"{where} is a JSON {type(item).__name__}, expected an object")
    missing = [key for key in PAIR_KEYS if key not in item]
    if missing:
        raise Unreadable(
            "a key is missing",
            f"{where} has no {' or '.join(repr(m) for m in missing)} key; expected keys "
            f"{', '.join(PAIR_KEYS)}, found {sorted(item)}",
        )
    pair_id = item.get("id", default_id)
    if isinstance(pair_id, int) and not isinstance(pair_id, bool):
        pair_id = str(pair_id)
    task = item.get("task", item.get("original_dataset", stem))
    for key, value in (("id", pair_id), ("task", task)):
        if not isinstance(value, str) or not value:
            raise Unreadable(
                f"{key!r} is not a non-empty string",
                f"{where}: {key!r} must be a non-empty string, got {value!r}",
            )
    if pair_id in first_seen:
        earlier = first_seen[pair_id].rsplit(", ", 1)[-1]
        raise Unreadable(
            "an id is used twice", f"{where}: id {pair_id!r} is already used on {earlier}; ids must be unique"
        )
    fields = []
    for key, check, what in (
        ("unbiased_question", check_chat, "not a chat of non-empty messages"),
        ("biased_question", check_chat, "not a chat of non-empty messages"),
        ("ground_truth", check_letter, "not a single capital letter"),
        ("biased_option", check_letter, "not a single capital letter"),
    ):
        try:
            fields.append(check(f"{where}: {key!r}", item[key]))
        except DatasetError as error:
            raise Unreadable(f"{key!r} is {what}", str(error)) from None
    return BiasedPair(pair_id, task, *fields)
