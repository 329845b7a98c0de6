"""Multiple-choice items, each a chat with answer options and, optionally, the user's own view.

A :class:`ChoiceItem` is one rendering of a question: the chat turns (user, assistant, user,
...), a pre-filled start of the assistant's answer and the answer options that follow it
directly, with the index of the true option (`correct`, None when unknown) and of the option
the user pushes towards (`suggested`, None when the user gives no view). All renderings of
one base question (asked plainly, with a wrong suggestion, with a right one...) share a
`group`, so :meth:`ChoiceSet.split` keeps them on one side and a probe is never tested on a
question it saw. Item ids are unique within a set.

Example:
    >>> item = ChoiceItem(
    ...     id="capitals/0/suggest_wrong", group=0, task="capitals", condition="suggest_wrong",
    ...     turns=("What is the capital of France? I think the answer is Lyon.",),
    ...     assistant_prefix="The capital of France is", options=(" Paris", " Lyon"),
    ...     correct=0, suggested=1,
    ... )
    >>> choices = ChoiceSet(name="toy", items=[item])
    >>> choices.correct.tolist(), choices.suggested.tolist()
    ([0], [1])
    >>> choices.prompts(tokenizer)[0].endswith("The capital of France is")
    True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from probes.chat import chat_prompt
from probes.datasets.base import DatasetError
from probes.splits import group_split


@dataclass(frozen=True, kw_only=True)
class ChoiceItem:
    """One multiple-choice chat: turns, a pre-filled answer start, options, truth and suggestion.

    `turns` alternate user / assistant, starting and ending with the user; the options are
    appended directly after `assistant_prefix`, so they carry their own leading space
    (``" Paris"``) where the prefix ends in a word. `correct` and `suggested` are option
    indices or None. Lists are stored as tuples, numpy integers as ints.

    Example:
        >>> ChoiceItem(id="q/0/baseline", group=0, task="q", condition="baseline",
        ...            turns=["Is 7 prime?"], assistant_prefix="", options=["Yes", "No"],
        ...            correct=0, suggested=None).options
        ('Yes', 'No')
    """

    id: str
    group: int | np.integer
    task: str
    condition: str
    turns: Sequence[str]
    assistant_prefix: str
    options: Sequence[str]
    correct: int | np.integer | None
    suggested: int | np.integer | None
    template: str = ""

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id:
            raise DatasetError(f"ChoiceItem id must be a non-empty string, got {self.id!r}")
        where = f"ChoiceItem {self.id!r}"
        for name in ("task", "condition"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise DatasetError(f"{where}: {name} must be a non-empty string, got {value!r}")
        for name in ("assistant_prefix", "template"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise DatasetError(
                    f"{where}: {name} must be a string (use '' for none), got {type(value).__name__}"
                )
        if isinstance(self.group, bool) or not isinstance(self.group, (int, np.integer)):
            raise DatasetError(f"{where}: group must be an integer, got {self.group!r}")
        turns = _strings(where, "turns", self.turns)
        if not turns:
            raise DatasetError(f"{where}: turns is empty; give at least one user message")
        if len(turns) % 2 == 0:
            raise DatasetError(
                f"{where}: got {len(turns)} turns; alternate user/assistant and end with a user turn "
                "(put a pre-filled answer in assistant_prefix)"
            )
        options = _strings(where, "options", self.options)
        if len(options) < 2:
            raise DatasetError(f"{where}: needs at least two options, got {list(options)}")
        if any(not option for option in options):
            raise DatasetError(f"{where}: options must be non-empty strings, got {list(options)}")
        repeated = sorted(option for option, count in Counter(options).items() if count > 1)
        if repeated:
            raise DatasetError(f"{where}: options must be distinct, got {repeated} more than once")
        for name in ("correct", "suggested"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise DatasetError(f"{where}: {name} must be an option index or None, got {value!r}")
            if not 0 <= value < len(options):
                raise DatasetError(
                    f"{where}: {name}={int(value)} is out of range for {len(options)} options "
                    f"(indices 0..{len(options) - 1}); use None when there is no {name} option"
                )
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "group", int(self.group))
        object.__setattr__(self, "turns", turns)
        object.__setattr__(self, "options", options)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ChoiceSet:
    """Named :class:`ChoiceItem` objects with unique ids and JSON-serializable metadata.

    `items` may be any sequence of items; it is stored as a tuple. `info` records how the
    set was made (task, seed, templates, source); it is stored as its JSON round trip, so
    tuples become lists. Indexing with an int gives an item; with a slice or a list of ints,
    a ChoiceSet.

    Example:
        >>> choices = sycophancy_questions("capitals", n=10)
        >>> choices.where(condition="suggest_wrong")[:3]
        ChoiceSet(name='sycophancy_capitals', n=3, conditions={'suggest_wrong': 3})
    """

    name: str
    items: Sequence[ChoiceItem]
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise DatasetError(f"ChoiceSet name must be a non-empty string, got {self.name!r}")
        items = tuple(self.items)
        if not items:
            raise DatasetError(f"ChoiceSet {self.name!r} has no items; pass at least one ChoiceItem")
        for i, item in enumerate(items):
            if not isinstance(item, ChoiceItem):
                raise DatasetError(
                    f"ChoiceSet {self.name!r}: item {i} is a {type(item).__name__}, expected a ChoiceItem"
                )
        repeated = [key for key, count in Counter(item.id for item in items).items() if count > 1]
        if repeated:
            raise DatasetError(
                f"ChoiceSet {self.name!r}: item ids must be unique, got {repeated[:5]} more than once; "
                "give each rendering its own id (e.g. 'task/group/condition')"
            )
        if not isinstance(self.info, dict):
            raise DatasetError(
                f"ChoiceSet {self.name!r}: info must be a dict, got {type(self.info).__name__}"
            )
        try:
            info = json.loads(json.dumps(self.info))
        except (TypeError, ValueError) as error:
            raise DatasetError(
                f"ChoiceSet {self.name!r}: info must be JSON-serializable ({error}); convert numpy "
                "values with .tolist() or int(), and paths with str()"
            ) from error
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "info", info)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ChoiceItem]:
        return iter(self.items)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            if not -len(self) <= index < len(self):
                raise IndexError(f"index {int(index)} is out of range for {len(self)} items of {self.name!r}")
            return self.items[int(index)]
        if isinstance(index, slice):
            return self._subset(range(len(self))[index])
        return self._subset(index)

    def __repr__(self) -> str:
        counts = dict(sorted(Counter(item.condition for item in self.items).items()))
        return f"ChoiceSet(name={self.name!r}, n={len(self)}, conditions={counts})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChoiceSet):
            return False
        return self.name == other.name and self.items == other.items and self.info == other.info

    __hash__ = None  # holds a mutable info dict: not hashable

    @property
    def conditions(self) -> tuple[str, ...]:
        """The conditions present, sorted."""
        return tuple(sorted({item.condition for item in self.items}))

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks present, sorted."""
        return tuple(sorted({item.task for item in self.items}))

    @property
    def groups(self) -> np.ndarray:
        """Each item's group id, as a read-only int64 array."""
        return _frozen([item.group for item in self.items])

    @property
    def correct(self) -> np.ndarray:
        """Each item's correct option index, -1 where unknown, as a read-only int64 array."""
        return _frozen([-1 if item.correct is None else item.correct for item in self.items])

    @property
    def suggested(self) -> np.ndarray:
        """Each item's suggested option index, -1 where the user gives no view (read-only int64)."""
        return _frozen([-1 if item.suggested is None else item.suggested for item in self.items])

    def where(
        self, condition: str | Iterable[str] | None = None, task: str | Iterable[str] | None = None
    ) -> ChoiceSet:
        """The items with one of the given conditions and tasks (None: any), in order.

        Example:
            >>> choices.where(condition=["baseline", "suggest_wrong"], task="capitals")
        """
        keep = np.ones(len(self), dtype=bool)
        chosen = {}
        for what, wanted, present in (("condition", condition, self.conditions), ("task", task, self.tasks)):
            if wanted is None:
                continue
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            if not names or not all(isinstance(name, str) for name in names):
                raise DatasetError(
                    f"where: {what} must be a name or a non-empty list of names, got {wanted!r}"
                )
            missing = [name for name in names if name not in present]
            if missing:
                raise DatasetError(
                    f"where: {self.name!r} has no {what} {', '.join(repr(m) for m in missing)}; "
                    f"available: {', '.join(present)}"
                )
            keep &= np.array([getattr(item, what) in names for item in self.items])
            chosen[what] = names
        if not keep.any():
            asked = " and ".join(f"{what} in {names}" for what, names in chosen.items())
            raise DatasetError(
                f"where: no item of {self.name!r} has {asked}; "
                "check the combination with .conditions and .tasks"
            )
        out = self._subset(np.flatnonzero(keep))
        return ChoiceSet(name=self.name, items=out.items, info={**out.info, "where": chosen})

    def split(
        self, fractions: Sequence[float | int] = (0.6, 0.2, 0.2), seed: int = 0
    ) -> tuple[ChoiceSet, ...]:
        """Split by group into ``len(fractions)`` non-empty parts; no question is on two sides.

        The same seeded group assignment as :meth:`Dataset.split` and :func:`probes.sweep`
        (:func:`probes.splits.group_split`): all renderings of one question land in one part.
        Within a part, items keep their order. Each part's ``info["split"]`` records the part
        index, fractions, seed and the parent's sha256.

        Example:
            >>> train, val, test = choices.split((0.6, 0.2, 0.2), seed=0)
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
        groups = self.groups
        n_groups = len(np.unique(groups))
        if n_groups < len(fractions):
            raise DatasetError(
                f"cannot split {self.name!r} into {len(fractions)} non-empty parts: it has only "
                f"{n_groups} group(s); use fewer fractions or more questions (each part needs a group)"
            )
        parent = self.sha256()
        parts = []
        for part, index in enumerate(group_split(groups, fractions, seed)):
            split_info = {"part": part, "fractions": fractions, "seed": seed, "parent_sha256": parent}
            parts.append(
                ChoiceSet(
                    name=self.name,
                    items=[self.items[i] for i in index.tolist()],
                    info={**self.info, "split": split_info},
                )
            )
        return tuple(parts)

    def sha256(self) -> str:
        """Hex digest of the items (every field, in order): identifies the data in artifact metadata.

        Example:
            >>> sycophancy_questions("arithmetic", n=10).sha256()[:12]   # same on any machine
        """
        payload = json.dumps(
            [asdict(item) for item in self.items], ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def prompts(self, model_or_tokenizer, system: str | None = None) -> list[str]:
        """Each item rendered with the model's chat template, ending with its assistant prefix.

        The options follow each prompt directly, so ``prompt + item.options[k]`` is the text of
        answer k. `system=None` keeps the template's own default system prompt.

        Example:
            >>> text = choices.prompts(model)[0]
            >>> text.endswith(choices[0].assistant_prefix)
            True
        """
        return [
            chat_prompt(
                model_or_tokenizer, list(item.turns), system=system, assistant_prefix=item.assistant_prefix
            )
            for item in self.items
        ]

    def _subset(self, indices) -> ChoiceSet:
        index = np.asarray(indices)
        if index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
            raise DatasetError(
                f"indexing {self.name!r} needs an int, a slice or a 1-D sequence of integer indices, got "
                f"{index.dtype} array of shape {index.shape}; for a boolean mask use np.flatnonzero(mask)"
            )
        if index.size == 0:
            raise DatasetError(f"indexing {self.name!r} selected no items; a ChoiceSet needs at least one")
        out = (index < -len(self)) | (index >= len(self))
        if out.any():
            raise DatasetError(
                f"indexing {self.name!r}: indices {index[out][:5].tolist()} are out of range for "
                f"{len(self)} items"
            )
        return ChoiceSet(
            name=self.name,
            items=[self.items[i] for i in index.astype(np.int64).tolist()],
            info={**self.info, "subset_of": self.sha256()},
        )


def concat_choices(sets: Sequence[ChoiceSet], name: str) -> ChoiceSet:
    """One set with the items of all `sets`, in order; their groups are kept apart.

    Groups are shifted so that groups from different sets never merge: set k's group g
    becomes ``g + info["parts"][k]["group_offset"]``. If an item id occurs in more than one
    set, every id is prefixed with its set's name (``"sycophancy_capitals/capitals/0/baseline"``).
    ``info["parts"]`` lists each input's name, size, sha256, group offset and info.

    Example:
        >>> both = concat_choices([sycophancy_questions("capitals"), false_claims()], name="mixed")
        >>> len(np.unique(both.groups))
        200
    """
    sets = list(sets)
    if not sets:
        raise DatasetError("concat_choices got no sets; pass a non-empty list of ChoiceSet objects")
    for i, choice_set in enumerate(sets):
        if not isinstance(choice_set, ChoiceSet):
            raise DatasetError(
                f"concat_choices: item {i} is a {type(choice_set).__name__}, expected a ChoiceSet"
            )
    ids = Counter(item.id for choice_set in sets for item in choice_set)
    prefixed = any(count > 1 for count in ids.values())
    if prefixed:
        names = Counter(choice_set.name for choice_set in sets)
        repeated = sorted(set_name for set_name, count in names.items() if count > 1)
        if repeated:
            raise DatasetError(
                f"concat_choices: item ids collide and so do set names {repeated}; "
                "give the sets distinct names so their ids can be prefixed with them"
            )
    items, parts, offset = [], [], 0
    for choice_set in sets:
        groups = choice_set.groups
        shift = offset - int(groups.min())
        for item in choice_set:
            items.append(
                ChoiceItem(
                    id=f"{choice_set.name}/{item.id}" if prefixed else item.id,
                    group=item.group + shift,
                    task=item.task,
                    condition=item.condition,
                    turns=item.turns,
                    assistant_prefix=item.assistant_prefix,
                    options=item.options,
                    correct=item.correct,
                    suggested=item.suggested,
                    template=item.template,
                )
            )
        parts.append(
            {
                "name": choice_set.name,
                "n_items": len(choice_set),
                "sha256": choice_set.sha256(),
                "group_offset": shift,
                "info": choice_set.info,
            }
        )
        offset += int(groups.max()) - int(groups.min()) + 1
    return ChoiceSet(name=name, items=items, info={"parts": parts, "ids_prefixed": prefixed})


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
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array
