"""Named sets of grouped rows with one split / subset / sha256 / concat, and :class:`Dataset`.

:class:`GroupedSet` is the base of every data container: a name, JSON metadata (`info`) and
rows that each carry a group id. Rows that share a group (e.g. the true and the false
statement about one city) always land in the same part of :meth:`GroupedSet.split`, so a probe
is never tested on a fact it saw. The split, the subset by indices, :meth:`GroupedSet.sha256`,
equality and :func:`concat_sets` exist once, here; a subclass says only how its rows are stored.

:class:`Dataset` holds prompts with 0/1 labels (1 = a true statement, or the positive class)
as columns; :class:`~probes.datasets.items.ItemSet` holds frozen items (the multiple-choice
sets, the deception dialogues).

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
from typing import Any, ClassVar, TypeVar

import numpy as np

from probes.constants import SPLIT_FRACTIONS
from probes.splits import group_split

SetT = TypeVar("SetT", bound="GroupedSet")


class DatasetError(ValueError):
    """A dataset could not be built, loaded or split; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class GroupedSet:
    """A name, JSON-serializable `info` and rows with group ids: the part all data sets share.

    `info` records how the set was made; it is stored as its JSON round trip, so tuples become
    lists. A subclass declares its row fields, ``groups`` (one id per row: a read-only int64
    array of shape ``(len(self),)``), ``__len__`` and the ``_``-hooks below, which say how its
    rows are stored; the class attributes name things in the messages.

    Example:
        >>> train, test = cities(n=100).split((0.8, 0.2), seed=0)       # a Dataset
        >>> train, test = roleplay(n=20).split((0.8, 0.2), seed=0)      # an ItemSet, same code
    """

    rows: ClassVar[str] = "rows"
    """What the rows are called ("prompts", "items"): in messages and as ``n_<rows>`` in concat's info."""
    split_remedy: ClassVar[str] = "fewer fractions or more groups"
    """What to do when there are fewer groups than parts of a split."""
    concat_name: ClassVar[str] = "concat_sets"
    """The public concat function, named in its messages."""
    concat_noun: ClassVar[str] = "sets"
    """What the inputs of concat are called ("concat got no datasets")."""
    concat_renumbers: ClassVar[bool] = False
    """How concat keeps groups apart: True maps each input's groups onto the next consecutive
    ids; False shifts them by one offset per input (``info["parts"][k]["group_offset"]``)."""

    name: str
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        kind = type(self).__name__
        if not isinstance(self.name, str) or not self.name:
            raise DatasetError(f"{kind} name must be a non-empty string, got {self.name!r}")
        self._check_rows()
        object.__setattr__(self, "info", json_info(f"{kind} {self.name!r}", self.info))

    def __eq__(self, other: object) -> bool:
        same = isinstance(other, type(self))
        return same and self.name == other.name and self._same_rows(other) and self.info == other.info

    __hash__ = None  # mutable-looking contents (lists, arrays, the info dict): not hashable

    def _check_rows(self) -> None:
        """Validate the row fields and store them normalized (tuples, read-only arrays)."""
        raise NotImplementedError

    def _take(self: SetT, index: np.ndarray, info: dict) -> SetT:
        """A set of this class and name with the rows at `index` (int64, shape (k,)) and `info`."""
        raise NotImplementedError

    def _payload(self) -> Any:
        """The JSON-serializable content :meth:`sha256` hashes (the rows, in order)."""
        raise NotImplementedError

    def _same_rows(self, other) -> bool:
        """Whether `other` (of this class) holds equal rows."""
        raise NotImplementedError

    @classmethod
    def _joined(cls: type[SetT], sets: list, name: str, groups: list[np.ndarray], parts: list[dict]) -> SetT:
        """The concatenation of `sets` named `name`, with their renumbered `groups` and ``info["parts"]``."""
        raise NotImplementedError

    def sha256(self) -> str:
        """Hex digest of the rows, in order: identifies the data in artifact metadata.

        Example:
            >>> cities(n=10).sha256()[:12]    # same for the same n and seed, on any machine
        """
        payload = json.dumps(self._payload(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _subset(self: SetT, indices, where: str, accepts: str, empty: str) -> SetT:
        """The rows at `indices` (in that order) with this info and ``info["subset_of"]``.

        `where`, `accepts` and `empty` word the messages (see :func:`check_indices`).
        """
        index = check_indices(indices, len(self), where, accepts=accepts, empty=empty, unit=self.rows)
        return self._take(index, {**self.info, "subset_of": self.sha256()})

    def split(
        self: SetT, fractions: Sequence[float | int] = SPLIT_FRACTIONS, seed: int = 0
    ) -> tuple[SetT, ...]:
        """Split by group into ``len(fractions)`` non-empty parts; no group is on two sides.

        Groups (not rows) are shuffled with `seed` and cut in proportion to `fractions`
        (:func:`probes.splits.group_split`, the split :func:`probes.sweep` uses), so part sizes
        in rows follow the fractions only roughly when groups differ in size. Within a part,
        rows keep their original order. Each part's ``info["split"]`` records the part index,
        fractions (as floats), seed and the parent's sha256.

        Example:
            >>> train, val, test = ds.split((0.6, 0.2, 0.2), seed=0)
            >>> train, test = ds.split((0.8, 0.2))
        """
        fractions = [float(f) for f in fractions]
        if len(fractions) < 2:
            raise DatasetError(f"split needs at least two fractions, got {fractions}; e.g. (0.8, 0.2)")
        if any(not math.isfinite(f) or f <= 0 for f in fractions) or not math.isclose(
            sum(fractions), 1.0, abs_tol=1e-6
        ):
            raise DatasetError(
                f"split fractions must be positive and sum to 1, got {fractions} "
                f"(sum {sum(fractions):.6g}); e.g. (0.6, 0.2, 0.2)"
            )
        n_groups = len(np.unique(self.groups))
        if n_groups < len(fractions):
            raise DatasetError(
                f"cannot split {self.name!r} into {len(fractions)} non-empty parts: it has only "
                f"{n_groups} group(s); use {self.split_remedy} (each part needs a group)"
            )
        parent, parts = self.sha256(), []
        for part, index in enumerate(group_split(self.groups, fractions, seed)):
            split = {"part": part, "fractions": fractions, "seed": seed, "parent_sha256": parent}
            parts.append(self._take(index, {**self.info, "split": split}))
        return tuple(parts)


def concat_sets(sets: Sequence[SetT], name: str, cls: type[SetT]) -> SetT:
    """One `cls` set with the rows of all `sets`, in order; groups of different sets never merge.

    The one concat behind :func:`concat` and :func:`~probes.datasets.items.concat_items`.
    With ``cls.concat_renumbers`` each input's groups map onto the next consecutive ids (group
    0 of ``cities`` and group 0 of ``capitals`` become 0 and 50); otherwise they are shifted by
    ``info["parts"][k]["group_offset"]``. ``info["parts"]`` lists each input's name, size
    (``n_<rows>``), sha256, group offset (when shifted) and info.

    Example:
        >>> concat_sets([cities(n=50), capitals(n=20)], "geography", Dataset).groups.max()
        69
    """
    caller, kind = cls.concat_name, cls.__name__
    sets = list(sets)
    if not sets:
        raise DatasetError(f"{caller} got no {cls.concat_noun}; pass a non-empty list of {kind} objects")
    for i, one in enumerate(sets):
        if not isinstance(one, cls):
            raise DatasetError(f"{caller}: item {i} is a {type(one).__name__}, expected a {kind}")
    groups, parts, offset = [], [], 0
    for one in sets:
        part = {"name": one.name, f"n_{cls.rows}": len(one), "sha256": one.sha256()}
        if cls.concat_renumbers:
            unique, inverse = np.unique(one.groups, return_inverse=True)
            groups.append(inverse.reshape(-1).astype(np.int64) + offset)
            offset += len(unique)
        else:
            low, high = int(one.groups.min()), int(one.groups.max())
            groups.append(one.groups + (offset - low))
            part["group_offset"] = offset - low
            offset += high - low + 1
        parts.append({**part, "info": one.info})
    return cls._joined(sets, name, groups, parts)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Dataset(GroupedSet):
    """Prompts with 0/1 labels, group ids and JSON-serializable metadata.

    `prompts` may be any sequence of strings; it is stored as a list. `labels` and `groups`
    may be given as lists; they are stored as read-only int64 arrays of shape ``(n,)``.
    `groups=None` puts every prompt in its own group. `info` records how the dataset was made
    (templates, seed, source, n); it is stored as its JSON round trip, so tuples become lists.
    :meth:`split` and :meth:`sha256` come from :class:`GroupedSet`.

    Example:
        >>> ds = Dataset(name="toy", prompts=["a", "b", "c"], labels=[1, 0, 1], groups=[0, 0, 1])
        >>> ds.subset([2]).prompts
        ['c']
    """

    rows = "prompts"
    split_remedy = "fewer fractions or a larger dataset"
    concat_name, concat_noun, concat_renumbers = "concat", "datasets", True

    prompts: Sequence[str]
    labels: np.ndarray | Sequence[int | np.integer]
    groups: np.ndarray | Sequence[int | np.integer] | None = None

    def _check_rows(self) -> None:
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
        labels.setflags(write=False)
        groups.setflags(write=False)
        object.__setattr__(self, "prompts", prompts)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "groups", groups)

    def __len__(self) -> int:
        return len(self.prompts)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n={len(self)}, positives={int(self.labels.sum())}, "
            f"groups={len(np.unique(self.groups))})"
        )

    def _same_rows(self, other: Dataset) -> bool:
        return (
            self.prompts == other.prompts
            and np.array_equal(self.labels, other.labels)
            and np.array_equal(self.groups, other.groups)
        )

    def _payload(self) -> list:
        return [self.prompts, self.labels.tolist()]

    def _take(self, index: np.ndarray, info: dict) -> Dataset:
        return type(self)(
            name=self.name,
            prompts=[self.prompts[i] for i in index.tolist()],
            labels=self.labels[index],
            groups=self.groups[index],
            info=info,
        )

    @classmethod
    def _joined(cls, sets: list[Dataset], name: str, groups: list[np.ndarray], parts: list[dict]) -> Dataset:
        return cls(
            name=name,
            prompts=[p for ds in sets for p in ds.prompts],
            labels=np.concatenate([ds.labels for ds in sets]),
            groups=np.concatenate(groups),
            info={"parts": parts},
        )

    def subset(self, indices: Sequence[int | np.integer] | np.ndarray) -> Dataset:
        """The prompts at `indices` (in that order), with their labels, groups and this info.

        ``info["subset_of"]`` is this dataset's sha256.

        Example:
            >>> ds.subset([0, 2]).prompts
        """
        return self._subset(
            indices,
            f"subset of {self.name!r}",
            accepts="a 1-D sequence of integer indices",
            empty="got no indices; a dataset needs at least one prompt",
        )


def concat(datasets: Sequence[Dataset], name: str) -> Dataset:
    """One dataset with the prompts of all `datasets`, in order; their groups are kept apart.

    Group ids are renumbered so that groups from different datasets never merge (group 0 of
    ``cities`` and group 0 of ``capitals`` become different groups). ``info["parts"]`` lists
    each input's name, size (``n_prompts``), sha256 and info. See :func:`concat_sets`.

    Example:
        >>> both = concat([cities(n=100), capitals(n=100)], name="geography")
        >>> len(both)
        400
    """
    return concat_sets(datasets, name, Dataset)


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
