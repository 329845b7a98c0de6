"""Seeded train / validation / test splits that keep each group on one side.

Example:
    >>> train, val, test = group_split(groups=np.repeat(np.arange(100), 2), fractions=(0.6, 0.2, 0.2))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from probes.constants import SPLIT_FRACTIONS


def group_split(
    groups: Sequence[int] | np.ndarray, fractions: Sequence[float] = SPLIT_FRACTIONS, seed: int = 0
) -> tuple[np.ndarray, ...]:
    """Index arrays, one per fraction; every group's items land in the same part.

    Groups are shuffled with `seed` and cut by cumulative fraction of groups.
    """
    groups = np.asarray(groups)
    if abs(sum(fractions) - 1) > 1e-9 or min(fractions) <= 0:
        raise ValueError(f"fractions must be positive and sum to 1, got {tuple(fractions)}")
    unique = np.unique(groups)
    if len(unique) < len(fractions):
        raise ValueError(f"{len(unique)} groups cannot fill {len(fractions)} non-empty parts")
    order = np.random.default_rng(seed).permutation(unique)
    cuts = np.round(np.cumsum(fractions)[:-1] * len(unique)).astype(int)
    cuts = np.clip(cuts, np.arange(1, len(cuts) + 1), len(unique) - np.arange(len(cuts), 0, -1))
    return tuple(np.flatnonzero(np.isin(groups, part)) for part in np.split(order, cuts))
