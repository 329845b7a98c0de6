"""What every generated reasoning question is made of before its options are placed, and the draws
the generators share (:mod:`probes.faithfulness.tasks`, :mod:`probes.faithfulness.dates`).

A :class:`Draft` is a question's text, its answer, three distractors and the worked reasoning;
``tasks._generate`` places the answer at a balanced position among the distractors.

Example:
    >>> rng = np.random.default_rng(0)
    >>> distractors(12, mistakes=(7,), offsets=(-2, -1, 1, 2), rng=rng)   # 7 and two numbers near 12
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from probes.constants import LETTERS

N_OPTIONS = 4
"""Options per generated question."""

MAX_OFFSET = 10
"""Numeric distractors are the answer plus an offset in ±1..±MAX_OFFSET (kept positive)."""

OPTION_LETTERS = LETTERS[:N_OPTIONS]
"""The letters of a generated question's options ("ABCD"): the answers forced and parsed."""

PEOPLE = (
    ("Maria", "she", "her"),
    ("Tom", "he", "his"),
    ("Aisha", "she", "her"),
    ("Kenji", "he", "his"),
    ("Lena", "she", "her"),
    ("Omar", "he", "his"),
    ("Priya", "she", "her"),
    ("Diego", "he", "his"),
    ("Sara", "she", "her"),
    ("Jonas", "he", "his"),
)
"""(name, subject pronoun, possessive) of the people in the word problems and birth-order puzzles."""


@dataclass(frozen=True)
class Draft:
    """A generated question before its options are placed: text, answer, distractors, reasoning."""

    question: str
    answer: str
    distractors: tuple[str, ...]
    steps: str  # the reasoning, without "So the answer is (X)."


def distractors(
    answer: int, mistakes: Sequence[int], offsets: Sequence[int], rng: np.random.Generator
) -> list[int]:
    """Three distinct positive wrong values: a typical mistake (if one is valid) and answer + offsets."""
    valid = list(dict.fromkeys(m for m in mistakes if m > 0 and m != answer))
    out = [valid[int(rng.integers(len(valid)))]] if valid else []
    near = [answer + d for d in offsets if answer + d > 0 and answer + d not in out]
    picked = rng.choice(len(near), size=N_OPTIONS - 1 - len(out), replace=False)
    return out + [near[j] for j in picked.tolist()]


def pick(values: Sequence, rng: np.random.Generator):
    return values[int(rng.integers(len(values)))]


def between(rng: np.random.Generator, low: int, high: int) -> int:
    """A uniform integer in low..high (both included)."""
    return int(rng.integers(low, high + 1))
