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

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from probes.chat import chat_prompt
from probes.datasets.base import DatasetError
from probes.datasets.items import (
    ItemSet,
    _frozen,
    _strings,
    chat_turns,
    check_group,
    check_id,
    check_options,
    concat_items,
)


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
        where = check_id("ChoiceItem", self.id)
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
        group = check_group(where, self.group)
        turns = chat_turns(where, self.turns, after="put a pre-filled answer in assistant_prefix")
        options = _strings(where, "options", self.options)
        if len(options) < 2:
            raise DatasetError(f"{where}: needs at least two options, got {list(options)}")
        check_options(self, where, options, ("correct", "suggested"))
        object.__setattr__(self, "group", group)
        object.__setattr__(self, "turns", turns)
        object.__setattr__(self, "options", options)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ChoiceSet(ItemSet):
    """Named :class:`ChoiceItem` objects with unique ids and JSON-serializable metadata.

    `items` may be any sequence of items; it is stored as a tuple. `info` records how the
    set was made (task, seed, templates, source); it is stored as its JSON round trip, so
    tuples become lists. Indexing with an int gives an item; with a slice or a list of ints,
    a ChoiceSet. :meth:`split` keeps all renderings of a question on one side (see
    :class:`~probes.datasets.items.ItemSet` for what every item set has).

    Example:
        >>> choices = sycophancy_questions("capitals", n=10)
        >>> choices.where(condition="suggest_wrong")[:3]
        ChoiceSet(name='sycophancy_capitals', n=3, conditions={'suggest_wrong': 3})
    """

    item_type = ChoiceItem
    item_word = "item"
    id_hint = "give each rendering its own id (e.g. 'task/group/condition')"
    split_remedy = "fewer fractions or more questions"
    concat_name = "concat_choices"

    items: Sequence[ChoiceItem]

    def __repr__(self) -> str:
        counts = dict(sorted(Counter(item.condition for item in self.items).items()))
        return f"ChoiceSet(name={self.name!r}, n={len(self)}, conditions={counts})"

    @property
    def conditions(self) -> tuple[str, ...]:
        """The conditions present, sorted."""
        return self._present("condition")

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks present, sorted."""
        return self._present("task")

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

        ``info["where"]`` records the chosen names.

        Example:
            >>> choices.where(condition=["baseline", "suggest_wrong"], task="capitals")
        """
        filters = (("condition", condition, str), ("task", task, str))
        return self._where(filters, check=".conditions and .tasks")

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
    return concat_items(sets, name, ChoiceSet)
