"""Seeded balance for generated data: where the correct answer goes, which template each item gets.

Shared by the sycophancy questions and the deception pairs, so neither position nor template is
confounded with the label.

Example:
    >>> rng = np.random.default_rng(0)
    >>> correct_at = balanced_positions(10, rng)            # five 0s and five 1s, shuffled
    >>> templates = dealt(4, correct_at, rng)               # counts differ by at most one
"""

from __future__ import annotations

import numpy as np


def balanced_positions(n: int, rng: np.random.Generator) -> np.ndarray:
    """0/1 per group: where the correct answer goes; n // 2 or n - n // 2 zeros (the seed picks)."""
    zeros = n // 2 + (int(rng.integers(2)) if n % 2 else 0)
    return rng.permutation(np.arange(n) >= zeros).astype(np.int64)


def dealt(n_templates: int, strata: np.ndarray, rng: np.random.Generator) -> list[int]:
    """A template index per group, dealt in turn from a shuffled cycle, stratum after stratum.

    The cycle runs through all groups of stratum 0 (in random order), then of stratum 1, so
    template counts differ by at most one, within each stratum and overall.
    """
    cycle = rng.permutation(n_templates)
    out = np.empty(len(strata), dtype=np.int64)
    position = 0
    for stratum in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == stratum))
        out[members] = cycle[(position + np.arange(len(members))) % n_templates]
        position += len(members)
    return out.tolist()
