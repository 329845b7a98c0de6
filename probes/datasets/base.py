"""A labelled set of prompts with groups that keep related prompts on the same side of a split.

Each prompt has a 0/1 label (1 = a true statement, or the positive class) and a group id;
prompts that share a group (e.g. the true and the false statement about one city) always
land in the same part of :meth:`Dataset.split`, so a probe is never tested on a fact it saw.

Example:
    >>> ds = Dataset(name="toy", prompts=["2 > 1.", "1 > 2."], labels=[1, 0], groups=[0, 0])
    >>> len(ds), ds.labels.tolist()
    (2, [1, 0])
    >>> train, val, test = cities(n=400).split()     # by city: no city on two sides
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from probes.constants import SPLIT_FRACTIONS
from probes.splits import group_split


class DatasetError(ValueError):
    """A dataset could not be built, loaded or split; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Dataset:
    """Prompts with 0/1 labels, group ids and JSON-serializable metadata.

    `prompts` may be any sequence of strings; it is stored as a list. `labels` and `groups`
    may be given as lists; they are stored as read-only int64 arrays. `groups=None` puts
    every prompt in its own group. `info` records how the dataset was made (templates, seed,
    source, n); it is stored as its JSON round trip, so tuples become lists.

    Example:
        >>> ds = Dataset(name="toy", prompts=["a", "b", "c"], labels=[1, 0, 1], groups=[0, 0, 1])
        >>> ds.subset([2]).prompts
        ['c']
    """

    name: str
    prompts: Sequence[str]
    labels: np.ndarray | Sequence[int | np.integer]
    groups: np.ndarray | Sequence[int | np.integer] | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise DatasetError(f"Dataset name must be a non-empty string, got {self.name!r}")
        if isinstance(self.prompts, str):
            raise DatasetError(
                f"Dataset {self.name!r}: prompts must be a list of strings, got one string "
                f"({self.prompts[:40]!r}...); wrap it in a list"
            )
        prompts = list(self.prompts)
        for i, prompt in enumerate(prompts):
            if not isinstance(prompt, str):
                raise DatasetError(
                    f"Dataset {self.name!r}: prompt {i} must be a string, got {type(prompt).__name__} "
                    f"({prompt!r})"
                )
        if not prompts:
            raise DatasetError(f"Dataset {self.name!r} has no prompts; pass at least one")
        n = len(prompts)
        labels = _int_column(self.name, "labels", self.labels, n)
        bad = np.flatnonzero((labels != 0) & (labels != 1))
        if bad.size:
            raise DatasetError(
                f"Dataset {self.name!r}: labels must be 0 or 1, got {labels[bad[:5]].tolist()} at "
                f"indices {bad[:5].tolist()}; map your classes to 1 (true/positive) and 0"
            )
        if self.groups is None:
            groups = np.arange(n, dtype=np.int64)
        else:
            groups = _int_column(self.name, "groups", self.groups, n)
        info = json_info(f"Dataset {self.name!r}", self.info)
        labels.setflags(write=False)
        groups.setflags(write=False)
        object.__setattr__(self, "prompts", prompts)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "info", info)

    def __len__(self) -> int:
        return len(self.prompts)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n={len(self)}, positives={int(self.labels.sum())}, "
            f"groups={len(np.unique(self.groups))})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return False
        return (
            self.name == other.name
            and self.prompts == other.prompts
            and np.array_equal(self.labels, other.labels)
            and np.array_equal(self.groups, other.groups)
            and self.info == other.info
        )

    __hash__ = None  # mutable-looking contents (lists, arrays): not hashable

    def sha256(self) -> str:
        """Hex digest of the prompts and labels, in order: identifies the data in artifact metadata.

        Example:
            >>> cities(n=10).sha256()[:12]    # same for the same n and seed, on any machine
        """
        payload = json.dumps([self.prompts, self.labels.tolist()], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def subset(self, indices: Sequence[int | np.integer] | np.ndarray) -> Dataset:
        """The prompts at `indices` (in that order), with their labels, groups and this info.

        Example:
            >>> ds.subset([0, 2]).prompts
        """
        index = check_indices(
            indices,
            len(self),
            f"subset of {self.name!r}",
            accepts="a 1-D sequence of integer indices",
            empty="got no indices; a dataset needs at least one prompt",
            unit="prompts",
        )
        return Dataset(
            name=self.name,
            prompts=[self.prompts[i] for i in index.tolist()],
            labels=self.labels[index],
            groups=self.groups[index],
            info={**self.info, "subset_of": self.sha256()},
        )

    def split(self, fractions: Sequence[float] = SPLIT_FRACTIONS, seed: int = 0) -> tuple[Dataset, ...]:
        """Split by group into ``len(fractions)`` non-empty parts; no group is on two sides.

        Groups (not prompts) are shuffled with `seed` and cut in proportion to `fractions`
        (:func:`probes.splits.group_split`, the split :func:`probes.sweep` uses), so part sizes
        in prompts follow the fractions only roughly when groups differ in size. Within a part,
        prompts keep their original order. Each part's ``info["split"]`` records the part
        index, fractions, seed and the parent's sha256.

        Example:
            >>> train, val, test = ds.split((0.6, 0.2, 0.2), seed=0)
            >>> train, test = ds.split((0.8, 0.2))
        """
        fractions, indices = split_indices(
            self.name, self.groups, fractions, seed, "fewer fractions or a larger dataset"
        )
        parent = self.sha256()
        parts = []
        for part, index in enumerate(indices):
            split_info = {"part": part, "fractions": fractions, "seed": seed, "parent_sha256": parent}
            parts.append(
                Dataset(
                    name=self.name,
                    prompts=[self.prompts[i] for i in index.tolist()],
                    labels=self.labels[index],
                    groups=self.groups[index],
                    info={**self.info, "split": split_info},
                )
            )
        return tuple(parts)


def concat(datasets: Sequence[Dataset], name: str) -> Dataset:
    """One dataset with the prompts of all `datasets`, in order; their groups are kept apart.

    Group ids are renumbered so that groups from different datasets never merge (group 0 of
    ``cities`` and group 0 of ``capitals`` become different groups). ``info["parts"]`` lists
    each input's name, size, sha256 and info.

    Example:
        >>> both = concat([cities(n=100), capitals(n=100)], name="geography")
        >>> len(both)
        400
    """
    datasets = list(datasets)
    if not datasets:
        raise DatasetError("concat got no datasets; pass a non-empty list of Dataset objects")
    for i, ds in enumerate(datasets):
        if not isinstance(ds, Dataset):
            raise DatasetError(f"concat: item {i} is a {type(ds).__name__}, expected a Dataset")
    groups, offset = [], 0
    for ds in datasets:
        unique, inverse = np.unique(ds.groups, return_inverse=True)
        groups.append(inverse.reshape(-1).astype(np.int64) + offset)
        offset += len(unique)
    return Dataset(
        name=name,
        prompts=[p for ds in datasets for p in ds.prompts],
        labels=np.concatenate([ds.labels for ds in datasets]),
        groups=np.concatenate(groups),
        info={
            "parts": [
                {"name": ds.name, "n_prompts": len(ds), "sha256": ds.sha256(), "info": ds.info}
                for ds in datasets
            ]
        },
    )


def json_info(where: str, info) -> dict:
    """`info` as its JSON round trip (tuples become lists), or a DatasetError opening with `where`.

    Example:
        >>> json_info("Dataset 'toy'", {"seed": 0, "templates": ("a", "b")})
        {'seed': 0, 'templates': ['a', 'b']}
    """
    if not isinstance(info, dict):
        raise DatasetError(f"{where}: info must be a dict, got {type(info).__name__}")
    try:
        return json.loads(json.dumps(info))
    except (TypeError, ValueError) as error:
        raise DatasetError(
            f"{where}: info must be JSON-serializable ({error}); convert numpy "
            "values with .tolist() or int(), and paths with str()"
        ) from error


def check_indices(indices, n: int, where: str, accepts: str, empty: str, unit: str) -> np.ndarray:
    """`indices` as a 1-D int64 array of valid positions into `n` entries, or a DatasetError.

    `where` opens each message (``"subset of 'cities'"``), `accepts` says what is expected,
    `empty` what is wrong when nothing is selected and `unit` what the `n` entries are.

    Example:
        >>> check_indices([2, -1], 3, "subset of 'toy'", "integer indices", "got none", "prompts")
        array([ 2, -1])
    """
    index = np.asarray(indices)
    if index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
        raise DatasetError(
            f"{where} needs {accepts}, got {index.dtype} array of shape {index.shape}; "
            "for a boolean mask use np.flatnonzero(mask)"
        )
    if index.size == 0:
        raise DatasetError(f"{where} {empty}")
    out = (index < -n) | (index >= n)
    if out.any():
        raise DatasetError(f"{where}: indices {index[out][:5].tolist()} are out of range for {n} {unit}")
    return index.astype(np.int64)


def split_indices(
    name: str, groups: np.ndarray, fractions: Sequence[float | int], seed: int, remedy: str
) -> tuple[list[float], tuple[np.ndarray, ...]]:
    """The checked fractions (as floats) and the indices of each part of a split by group.

    The seeded assignment of :func:`probes.splits.group_split`, shared by :meth:`Dataset.split`
    and the item sets, so ``ds.split(seed=s)`` matches ``probes.sweep(..., seed=s)``. `remedy`
    completes the message when there are fewer groups than parts (``"use {remedy} (each
    part needs a group)"``).

    Example:
        >>> fractions, (train, test) = split_indices("toy", np.array([0, 0, 1, 2]), (0.5, 0.5), 0, "more")
    """
    fractions = [float(f) for f in fractions]
    if len(fractions) < 2:
        raise DatasetError(f"split needs at least two fractions, got {fractions}; e.g. (0.8, 0.2)")
    if any(not math.isfinite(f) or f <= 0 for f in fractions) or not math.isclose(
        sum(fractions), 1.0, abs_tol=1e-6
    ):
        raise DatasetError(
            f"split fractions must be positive and sum to 1, got {fractions} (sum {sum(fractions):.6g}); "
            "e.g. (0.6, 0.2, 0.2)"
        )
    n_groups = len(np.unique(groups))
    if n_groups < len(fractions):
        raise DatasetError(
            f"cannot split {name!r} into {len(fractions)} non-empty parts: it has only "
            f"{n_groups} group(s); use {remedy} (each part needs a group)"
        )
    return fractions, tuple(group_split(groups, fractions, seed))


def _int_column(name: str, what: str, values, n: int) -> np.ndarray:
    """`values` as a fresh 1-D int64 array of length `n`, or a DatasetError saying what is wrong."""
    array = np.array(values)
    if array.ndim != 1 or len(array) != n:
        raise DatasetError(
            f"Dataset {name!r}: {what} must be one value per prompt ({n}), got shape {array.shape}"
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise DatasetError(f"Dataset {name!r}: {what} must be integers, got non-integer floats")
    elif array.dtype.kind not in "biu":
        raise DatasetError(
            f"Dataset {name!r}: {what} must be integers, got dtype {array.dtype} "
            f"(e.g. {array[:3].tolist()}); convert them first"
        )
    return array.astype(np.int64)


def check_names(names, allowed: tuple[str, ...], where: str, what: str) -> tuple[str, ...]:
    """`names` (one string or several) as a tuple, refusing an empty list, unknown names or repeats.

    Example:
        >>> check_names("capitals", ("capitals", "cities"), "sycophancy_questions", "task")
        ('capitals',)
    """
    names = (names,) if isinstance(names, str) else tuple(names)
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise DatasetError(
            f"{where}: unknown {what}(s) {unknown or list(names)!r}; expected a non-empty list from "
            f"{', '.join(allowed)}"
        )
    if len(set(names)) != len(names):
        raise DatasetError(f"{where}: {list(names)} names a {what} more than once; list each once")
    return names
