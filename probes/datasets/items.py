"""The shared base of item sets: named, validated tuples of frozen items with groups.

:class:`ItemSet` holds what :class:`~probes.datasets.choices.ChoiceSet` and
:class:`~probes.deception.dialogues.DialogueSet` have in common: the items checks, indexing
(an int gives an item; a slice or a list of ints, a set of the same class), :attr:`~ItemSet.groups`
and the filter behind each subclass's ``where``. The split by group, the subset, equality and
:meth:`~ItemSet.sha256` are those of every data set (:class:`~probes.datasets.base.GroupedSet`,
shared with :class:`~probes.datasets.base.Dataset`); :func:`concat_items` joins sets of one
class and keeps their groups apart. A subclass names its item class and the words its
messages use.

Example:
    >>> @dataclass(frozen=True)
    ... class Note:
    ...     id: str
    ...     group: int
    >>> @dataclass(frozen=True, kw_only=True, eq=False, repr=False)
    ... class NoteSet(ItemSet):
    ...     item_type, item_word, concat_name = Note, "note", "concat_notes"
    >>> notes = NoteSet(name="notes", items=[Note(id="a", group=0), Note(id="b", group=1)])
    >>> other = NoteSet(name="other", items=[Note(id="c", group=0)])
    >>> notes[1:].groups.tolist(), concat_items([notes, other], "both", NoteSet).groups.tolist()
    ([1], [0, 1, 2])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, TypeVar

import numpy as np

from probes.datasets.base import DatasetError, GroupedSet, concat_sets

SetT = TypeVar("SetT", bound="ItemSet")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ItemSet(GroupedSet):
    """Named items (frozen dataclasses with `id` and `group`) with unique ids and JSON metadata.

    `items` may be any sequence of `item_type` objects; it is stored as a tuple. `info`
    records how the set was made; it is stored as its JSON round trip, so tuples become lists.
    :meth:`split` and :meth:`sha256` (of every item field, in order) come from
    :class:`~probes.datasets.base.GroupedSet`. Subclasses set the class attributes below,
    which name things in the error messages.

    Example:
        >>> choices = sycophancy_questions("capitals", n=10)     # a ChoiceSet
        >>> train, test = choices.split((0.8, 0.2))
    """

    item_type: ClassVar[type] = object
    """The class every item must be an instance of."""
    item_word: ClassVar[str] = "item"
    """What an item is called in messages ("no dialogue of 'x' has ...")."""
    id_hint: ClassVar[str] = "give each item its own id"
    """How to make ids unique, ending the duplicate-id message."""
    concat_name: ClassVar[str] = "concat_items"
    """The public concat function, named in its messages."""
    rows = "items"

    items: Sequence[Any]

    def _check_rows(self) -> None:
        kind, item_name = type(self).__name__, self.item_type.__name__
        items = tuple(self.items)
        if not items:
            raise DatasetError(f"{kind} {self.name!r} has no items; pass at least one {item_name}")
        for i, item in enumerate(items):
            if not isinstance(item, self.item_type):
                raise DatasetError(
                    f"{kind} {self.name!r}: item {i} is a {type(item).__name__}, expected a {item_name}"
                )
        repeated = [key for key, count in Counter(item.id for item in items).items() if count > 1]
        if repeated:
            raise DatasetError(
                f"{kind} {self.name!r}: item ids must be unique, got {repeated[:5]} more than once; "
                f"{self.id_hint}"
            )
        object.__setattr__(self, "items", items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            if not -len(self) <= index < len(self):
                raise IndexError(f"index {int(index)} is out of range for {len(self)} items of {self.name!r}")
            return self.items[int(index)]
        if isinstance(index, slice):
            index = range(len(self))[index]
        return self._subset(
            index,
            f"indexing {self.name!r}",
            accepts="an int, a slice or a 1-D sequence of integer indices",
            empty=f"selected no items; a {type(self).__name__} needs at least one",
        )

    def _same_rows(self, other: ItemSet) -> bool:
        return self.items == other.items

    def _payload(self) -> list[dict]:
        return [asdict(item) for item in self.items]

    def _take(self: SetT, index: np.ndarray, info: dict) -> SetT:
        return type(self)(name=self.name, items=[self.items[i] for i in index.tolist()], info=info)

    @classmethod
    def _joined(cls, sets: list[ItemSet], name: str, groups: list[np.ndarray], parts: list[dict]):
        # ids stay as they are unless one occurs in two sets; then each gets its set's name in front
        prefixed = any(count > 1 for count in Counter(item.id for one in sets for item in one).values())
        repeated = sorted(key for key, count in Counter(one.name for one in sets).items() if count > 1)
        if prefixed and repeated:
            raise DatasetError(
                f"{cls.concat_name}: {cls.item_word} ids collide and so do set names {repeated}; "
                "give the sets distinct names so their ids can be prefixed with them"
            )
        items = [
            replace(item, id=f"{one.name}/{item.id}" if prefixed else item.id, group=int(group))
            for one, new_groups in zip(sets, groups)
            for item, group in zip(one.items, new_groups.tolist())
        ]
        return cls(name=name, items=items, info={"parts": parts, "ids_prefixed": prefixed})

    def _present(self, field_name: str) -> tuple:
        """The distinct values of an item field, sorted (for properties such as ``conditions``)."""
        return tuple(sorted({getattr(item, field_name) for item in self.items}))

    @property
    def groups(self) -> np.ndarray:
        """Each item's group id, as a read-only int64 array of shape ``(len(self),)``."""
        return _frozen([item.group for item in self.items])

    def _where(self: SetT, filters: Sequence[tuple[str, Any, type]], check: str) -> SetT:
        """The items whose field matches each `(field, wanted, kind)` filter (wanted None: any).

        `kind` is str (names) or int (e.g. labels); `wanted` is one value or a list of them.
        `check` names the properties to look at when the combination matches nothing.
        """
        keep = np.ones(len(self), dtype=bool)
        chosen = {}
        # what counts as one value rather than a list: a name, and an integer too where a filter takes them
        single = (str, int, np.integer) if any(kind is int for _, _, kind in filters) else (str,)
        for what, wanted, kind in filters:
            if wanted is None:
                continue
            names = [wanted] if isinstance(wanted, single) else list(wanted)
            valid = [
                isinstance(name, kind if kind is str else (int, np.integer)) and not isinstance(name, bool)
                for name in names
            ]
            if not names or not all(valid):
                noun = "a name or a non-empty list of names" if kind is str else "0, 1 or a list of them"
                raise DatasetError(f"where: {what} must be {noun}, got {wanted!r}")
            if kind is int:
                names = [int(name) for name in names]
            present = self._present(what)
            missing = [name for name in names if name not in present]
            if missing:
                raise DatasetError(
                    f"where: {self.name!r} has no {what} {', '.join(repr(m) for m in missing)}; "
                    f"available: {', '.join(str(p) for p in present)}"
                )
            keep &= np.array([getattr(item, what) in names for item in self.items])
            chosen[what] = names
        if not keep.any():
            asked = " and ".join(f"{what} in {names}" for what, names in chosen.items())
            raise DatasetError(
                f"where: no {self.item_word} of {self.name!r} has {asked}; check the combination with {check}"
            )
        return self._take(np.flatnonzero(keep), {**self.info, "subset_of": self.sha256(), "where": chosen})


def concat_items(sets: Sequence[SetT], name: str, cls: type[SetT]) -> SetT:
    """One `cls` set with the items of all `sets`, in order; their groups are kept apart.

    Groups are shifted so that groups from different sets never merge: set k's group g
    becomes ``g + info["parts"][k]["group_offset"]``. If an item id occurs in more than one
    set, every id is prefixed with its set's name (``"deception_roleplay/roleplay/0/honest"``).
    ``info["parts"]`` lists each input's name, size (``n_items``), sha256, group offset and
    info. The same concat as :func:`probes.datasets.concat` (:func:`~probes.datasets.base.concat_sets`).

    Example:
        >>> both = concat_items([roleplay(n=10), control(n=5)], name="mixed", cls=DialogueSet)
        >>> len(np.unique(both.groups))
        15
    """
    return concat_sets(sets, name, cls)


def check_id(kind: str, item_id: Any) -> str:
    """`"{kind} {item_id!r}"`, the start of an item's messages, once `item_id` is a non-empty string."""
    if not isinstance(item_id, str) or not item_id:
        raise DatasetError(f"{kind} id must be a non-empty string, got {item_id!r}")
    return f"{kind} {item_id!r}"


def check_group(where: str, group: Any) -> int:
    """`group` as an int, or a DatasetError if it is not an integer (bools are not)."""
    if isinstance(group, bool) or not isinstance(group, (int, np.integer)):
        raise DatasetError(f"{where}: group must be an integer, got {group!r}")
    return int(group)


def chat_turns(where: str, turns: Any, after: str) -> tuple[str, ...]:
    """`turns` as a tuple of strings alternating user / assistant and ending with the user.

    `after` says where the assistant's reply goes instead (closes the even-count message).
    """
    turns = _strings(where, "turns", turns)
    if not turns:
        raise DatasetError(f"{where}: turns is empty; give at least one user message")
    if len(turns) % 2 == 0:
        raise DatasetError(
            f"{where}: got {len(turns)} turns; alternate user/assistant and end with a user turn ({after})"
        )
    return turns


def _strings(where: str, what: str, values) -> tuple[str, ...]:
    """`values` as a tuple of strings, or a DatasetError saying what is wrong."""
    if isinstance(values, str):
        raise DatasetError(
            f"{where}: {what} must be a list of strings, got one string ({values[:40]!r}); wrap it in a list"
        )
    try:
        values = tuple(values)
    except TypeError as error:
        raise DatasetError(
            f"{where}: {what} must be a list of strings, got {type(values).__name__}"
        ) from error
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise DatasetError(
                f"{where}: {what}[{i}] must be a string, got {type(value).__name__} ({value!r})"
            )
    return values


def _frozen(values: list[int]) -> np.ndarray:
    """`values` as a read-only int64 array."""
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array


def check_options(
    item, where: str, options: tuple[str, ...], indices: Sequence[str], strip: bool = False
) -> None:
    """Options must be distinct non-empty strings (blank ones too when `strip`); the `indices` fields
    of `item` must be option indices or None, and are stored as plain ints."""
    if any(not (option.strip() if strip else option) for option in options):
        raise DatasetError(f"{where}: options must be non-empty strings, got {list(options)}")
    repeated = sorted(option for option, count in Counter(options).items() if count > 1)
    if repeated:
        raise DatasetError(f"{where}: options must be distinct, got {repeated} more than once")
    for name in indices:
        value = getattr(item, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise DatasetError(f"{where}: {name} must be an option index or None, got {value!r}")
        if not 0 <= value < len(options):
            raise DatasetError(
                f"{where}: {name}={int(value)} is out of range for {len(options)} options "
                f"(indices 0..{len(options) - 1}); use None when there is none"
            )
        object.__setattr__(item, name, int(value))
