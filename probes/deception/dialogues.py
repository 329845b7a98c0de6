"""Honest and deceptive assistant answers as data: :class:`Dialogue` and :class:`DialogueSet`.

A :class:`Dialogue` is a chat (optional system prompt, user/assistant turns ending with the
user) and the assistant's answer, labelled 1 when the answer is deceptive and 0 when it is
honest. The honest and deceptive versions of one scenario or fact share a `group`, so
:meth:`DialogueSet.split` keeps them on one side and a probe can only use the difference.
`answer=None` leaves the answer to the model (on-policy): generate it from
:meth:`DialogueSet.prefixes` and attach it with :meth:`DialogueSet.with_answers`. The generated
sets (instructed, roleplay, control) are made in :mod:`probes.deception.data`.

Example:
    >>> ds = instructed_pairs(n=200, seed=0)                 # 400 dialogues, 200 deceptive
    >>> prefixes, texts = ds.prefixes(model), ds.texts(model)
    >>> acts = extract_activations(model, texts, position=Span.after(prefixes))   # mean over the answer
    >>> on_policy = ds.with_answers(answers)      # same ids, groups and labels
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from probes.chat import chat_prompt
from probes.datasets.base import DatasetError
from probes.datasets.items import ItemSet, _frozen, _strings, chat_turns, check_group, check_id, concat_items


@dataclass(frozen=True, kw_only=True)
class Dialogue:
    """One chat and the assistant's answer, labelled 1 when the answer is deceptive.

    `turns` alternate user / assistant, starting and ending with the user; `answer` is the
    assistant's next message (None: to be generated on-policy). `system=None` keeps the chat
    template's default system prompt. `truth` (instructed items) says whether the stated fact
    is true (1) or false (0). Lists are stored as tuples, numpy integers as ints.

    Example:
        >>> Dialogue(id="x/0/honest", group=0, dataset="x", label=0, system=None,
        ...          turns=["Is 7 prime?"], answer="Yes, 7 is prime.").turns
        ('Is 7 prime?',)
    """

    id: str
    group: int | np.integer
    dataset: str
    label: int | np.integer
    system: str | None
    turns: Sequence[str]
    answer: str | None
    scenario: str = ""
    truth: int | np.integer | None = None

    def __post_init__(self):
        where = check_id("Dialogue", self.id)
        if not isinstance(self.dataset, str) or not self.dataset:
            raise DatasetError(f"{where}: dataset must be a non-empty string, got {self.dataset!r}")
        if not isinstance(self.scenario, str):
            raise DatasetError(
                f"{where}: scenario must be a string (use '' for none), got {type(self.scenario).__name__}"
            )
        group = check_group(where, self.group)
        for name, meaning in (("label", "1 (deceptive) or 0 (honest)"), ("truth", "1 (true), 0 (false)")):
            value = getattr(self, name)
            if value is None and name == "truth":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value not in (0, 1):
                extra = " or None" if name == "truth" else ""
                raise DatasetError(f"{where}: {name} must be {meaning}{extra}, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.system is not None and (not isinstance(self.system, str) or not self.system):
            raise DatasetError(
                f"{where}: system must be a non-empty string, or None for the chat template's default, "
                f"got {self.system!r}"
            )
        turns = chat_turns(where, self.turns, after="the assistant's reply goes in answer")
        empty = [i for i, turn in enumerate(turns) if not turn]
        if empty:
            raise DatasetError(f"{where}: turns {empty} are empty; every message needs text")
        if self.answer is not None and (not isinstance(self.answer, str) or not self.answer):
            raise DatasetError(
                f"{where}: answer must be a non-empty string, or None to generate it on-policy, "
                f"got {self.answer!r}"
            )
        object.__setattr__(self, "group", group)
        object.__setattr__(self, "turns", turns)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class DialogueSet(ItemSet):
    """Named :class:`Dialogue` objects with unique ids and JSON-serializable metadata.

    `items` may be any sequence of dialogues; it is stored as a tuple. `info` records how the
    set was made; it is stored as its JSON round trip, so tuples become lists. Indexing with
    an int gives a dialogue; with a slice or a list of ints, a DialogueSet. :meth:`split`
    keeps the honest and deceptive versions of a group on one side (see
    :class:`~probes.datasets.items.ItemSet` for what every item set has).

    Example:
        >>> ds = roleplay(n=20)
        >>> ds.where(label=1, scenario="seller")
        DialogueSet(name='deception_roleplay', n=2, deceptive=2, datasets={'roleplay': 2})
    """

    item_type = Dialogue
    item_word = "dialogue"
    id_hint = "give each dialogue its own id (e.g. 'dataset/group/honest')"
    split_remedy = "fewer fractions or more groups"
    concat_name = "concat_dialogues"

    items: Sequence[Dialogue]

    def __repr__(self) -> str:
        counts = dict(sorted(Counter(item.dataset for item in self.items).items()))
        deceptive = sum(item.label for item in self.items)
        return f"DialogueSet(name={self.name!r}, n={len(self)}, deceptive={deceptive}, datasets={counts})"

    @property
    def labels(self) -> np.ndarray:
        """Each dialogue's label (1 = deceptive), as a read-only int64 array."""
        return _frozen([item.label for item in self.items])

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets present, sorted."""
        return self._present("dataset")

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The scenarios present, sorted ('' for dialogues without one)."""
        return self._present("scenario")

    @property
    def answers(self) -> list[str | None]:
        """Each dialogue's answer (None where it is to be generated)."""
        return [item.answer for item in self.items]

    def where(
        self,
        dataset: str | Iterable[str] | None = None,
        label: int | np.integer | Iterable[int | np.integer] | None = None,
        scenario: str | Iterable[str] | None = None,
    ) -> DialogueSet:
        """The dialogues with one of the given datasets, labels and scenarios (None: any), in order.

        ``info["where"]`` records the chosen values.

        Example:
            >>> roleplay(n=20).where(label=0, scenario=["seller", "landlord"])
        """
        filters = (("dataset", dataset, str), ("label", label, int), ("scenario", scenario, str))
        return self._where(filters, check=".datasets, .scenarios and .labels")

    def prefixes(self, model_or_tokenizer) -> list[str]:
        """Each chat rendered with the model's chat template, up to where the assistant answers.

        Use them as generation prompts for on-policy answers, or with ``Span.after(prefixes)``
        to read activations over the answer of :meth:`texts`.

        Example:
            >>> ds.prefixes(model)[0].endswith("<|im_start|>assistant\\n")
            True
        """
        return [chat_prompt(model_or_tokenizer, list(item.turns), system=item.system) for item in self.items]

    def texts(self, model_or_tokenizer) -> list[str]:
        """Each prefix followed by its answer: ``prefixes(model)[i] + items[i].answer``.

        Example:
            >>> texts = ds.texts(model)
            >>> texts[0] == ds.prefixes(model)[0] + ds[0].answer
            True
        """
        missing = [item.id for item in self.items if item.answer is None]
        if missing:
            raise DatasetError(
                f"texts: {len(missing)} dialogue(s) of {self.name!r} have no answer (answer=None, to be "
                f"generated on-policy), first {missing[0]!r}; generate answers from prefixes() and attach "
                "them with with_answers(answers)"
            )
        return [prefix + item.answer for prefix, item in zip(self.prefixes(model_or_tokenizer), self.items)]

    def with_answers(self, answers: Sequence[str], name: str | None = None) -> DialogueSet:
        """A copy with the answers replaced (e.g. by the model's own), same ids, groups and labels.

        Labels keep what the scenario asks for (a deceptive instruction stays label 1), so check
        on-policy answers before training on them. ``info["on_policy"]`` is True and
        ``info["answers_for"]`` the sha256 of this set.

        Example:
            >>> answered = ds.with_answers(["Paris is in France."] * len(ds), name="on_policy")
        """
        answers = _strings(f"with_answers for {self.name!r}", "answers", answers)
        if len(answers) != len(self):
            raise DatasetError(
                f"with_answers: got {len(answers)} answers for {len(self)} dialogues of {self.name!r}; "
                "pass one answer per dialogue, in order"
            )
        empty = [i for i, answer in enumerate(answers) if not answer]
        if empty:
            raise DatasetError(
                f"with_answers: answers {empty[:5]} are empty; drop those dialogues first "
                "(e.g. ds[kept_indices]) or regenerate them"
            )
        return DialogueSet(
            name=self.name if name is None else name,
            items=[replace(item, answer=answer) for item, answer in zip(self.items, answers)],
            info={**self.info, "on_policy": True, "answers_for": self.sha256()},
        )


def concat_dialogues(sets: Sequence[DialogueSet], name: str) -> DialogueSet:
    """One set with the dialogues of all `sets`, in order; their groups are kept apart.

    Groups are shifted so that groups from different sets never merge: set k's group g
    becomes ``g + info["parts"][k]["group_offset"]``. If a dialogue id occurs in more than one
    set, every id is prefixed with its set's name (``"deception_roleplay/roleplay/0/honest"``).
    ``info["parts"]`` lists each input's name, size, sha256, group offset and info.

    Example:
        >>> both = concat_dialogues([instructed_pairs(n=100), control(n=50)], name="mixed")
        >>> len(np.unique(both.groups))
        150
    """
    return concat_items(sets, name, DialogueSet)
