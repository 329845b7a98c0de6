"""Honest and deceptive assistant answers, for deception probes (RepE and Apollo style).

A :class:`Dialogue` is a chat (optional system prompt, user/assistant turns ending with the
user) and the assistant's answer, labelled 1 when the answer is deceptive and 0 when it is
honest. The honest and deceptive versions of one scenario or fact share a `group`, sit next
to each other (in a seeded order) and differ only where they must, so
:meth:`DialogueSet.split` keeps them on one side and a probe can only use the difference.
`answer=None` leaves the answer to the model (on-policy): generate it from
:meth:`DialogueSet.prefixes` and attach it with :meth:`DialogueSet.with_answers`.

Datasets (:data:`DECEPTION_DATASETS`, via :func:`load_deception`; `n` is the number of groups):

- ``instructed`` (:func:`instructed_pairs`, ``style="consistent"``): the user (or, with
  ``instruction_in="system"``, the system prompt) asks for the truth or for a lie, then
  "Tell me a fact about {subject}."; the honest answer is the TRUE statement of a
  :mod:`probes.datasets.truth` pair, the deceptive one the FALSE statement of the same pair
  (``Dialogue.truth`` records which). Facts: ``cities`` ("The city of {city} is in
  {country}.", the most populous cities), ``capitals`` ("The capital of {country} is
  {capital}."), ``comparisons`` ("{x} is larger than {y}.").
- ``instructed_same`` (``style="same_statement"``): both versions state the same TRUE
  statement; only the instruction differs (the RepE honesty setup).
- ``roleplay`` (:func:`roleplay`): a system prompt sets a role, a hidden fact and an incentive
  (it never asks for a lie), the user asks about the fact, the honest answer admits it and
  the deceptive one denies or hides it, in the same style and at a similar length.
- ``control`` (:func:`control`): ordinary helpful chat with no deception context, label 0,
  one dialogue per group (n dialogues), for calibrating false positives.

The instructions (:data:`INSTRUCTION_PAIRS`) and requests (:data:`FACT_REQUESTS`), the roleplay
scenarios (:data:`ROLEPLAY_SCENARIOS`) and the control templates (:data:`CONTROL_TEMPLATES`) are
listed and described in :mod:`probes.datasets.deception_templates`; they are importable from here too.

Balance: every generator but :func:`control` gives ``2 * n`` dialogues, exactly `n` of them
deceptive, one honest and one deceptive per group; the honest one comes first in ``n // 2``
or ``n - n // 2`` groups (the seed picks). Instruction pairs and requests are dealt out in
turn, so each is used about equally. Roleplay groups (and control groups) are dealt evenly
over the scenarios (templates): counts differ by at most one while every scenario still has
unused slot fillings; no filling is used twice in a set. Everything is drawn from
``numpy.random.default_rng(seed)``.

Example:
    >>> ds = instructed_pairs(n=200, seed=0)                 # 400 dialogues, 200 deceptive
    >>> prefixes, texts = ds.prefixes(model), ds.texts(model)
    >>> acts = extract_activations(model, texts, position=Span.after(prefixes))   # mean over the answer
    >>> plays = roleplay(n=40)
    >>> prompts = plays.prefixes(model)           # generate the model's own answers from these
    >>> on_policy = plays.with_answers(answers)   # same ids, groups and labels
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from probes.chat import chat_prompt
from probes.datasets.base import Dataset, DatasetError
from probes.datasets.deception_templates import (  # all importable from here, as before the move
    CONTROL_MAX_CITIES,  # noqa: F401
    CONTROL_TEMPLATES,
    FACT_REQUESTS,
    INSTRUCTION_PAIRS,
    PERSONAS,  # noqa: F401
    ROLEPLAY_SCENARIOS,
    ControlTemplate,  # noqa: F401
    RoleplayScenario,  # noqa: F401
)
from probes.datasets.geography import source
from probes.datasets.items import ItemSet, _frozen, _strings, chat_turns, check_group, check_id, concat_items
from probes.datasets.sycophancy import _balanced_positions, _dealt
from probes.datasets.truth import capitals, cities, comparisons

DECEPTION_DATASETS = ("instructed", "instructed_same", "roleplay", "control")
"""Every name :func:`load_deception` accepts."""

FACTS = ("cities", "capitals", "comparisons")
"""The fact sources of :func:`instructed_pairs` (truth datasets)."""

STYLES = ("consistent", "same_statement")
INSTRUCTION_PLACES = ("user", "system")


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


# ---------------------------------------------------------------- instructed


def instructed_pairs(
    n: int = 200,
    seed: int = 0,
    facts: str = "cities",
    style: str = "consistent",
    instruction_in: str = "user",
) -> DialogueSet:
    """`n` facts, each stated after an instruction to be honest and after one to lie: 2n dialogues.

    The facts are the true/false statement pairs of the truth dataset `facts` (same `n` and
    `seed`; ``cities`` takes the most populous). ``style="consistent"``: the honest version
    states the true statement (label 0, ``truth=1``), the deceptive one the false statement
    (label 1, ``truth=0``). ``style="same_statement"``: both state the true statement, only
    the instruction differs. ``instruction_in="system"`` puts the instruction in the system
    prompt and leaves the user turn as the bare request. Ids are
    ``"{dataset}/{group}/honest|deceptive"`` with dataset ``instructed`` or ``instructed_same``;
    ``scenario`` is `facts`. ``info`` records the instruction pair and request per group.

    Example:
        >>> ds = instructed_pairs(n=2, facts="capitals")
        >>> ds.where(label=1)[0].answer   # the false statement of the pair
    """
    _check_n("instructed_pairs", n)
    _check_choice("facts", facts, FACTS)
    _check_choice("style", style, STYLES)
    _check_choice("instruction_in", instruction_in, INSTRUCTION_PLACES)
    truth_set = {
        "cities": lambda: cities(n=n, seed=seed, most_populous=True),
        "capitals": lambda: capitals(n=n, seed=seed),
        "comparisons": lambda: comparisons(n=n, seed=seed),
    }[facts]()
    statements = _true_false_pairs(truth_set)
    rng = np.random.default_rng(seed)
    honest_second = _balanced_positions(n, rng)
    pair_index = _dealt(len(INSTRUCTION_PAIRS), honest_second, rng)
    request_index = _dealt(len(FACT_REQUESTS), honest_second, rng)
    dataset = "instructed" if style == "consistent" else "instructed_same"
    subjects = []
    items = []
    for group, (label_name, (true, false)) in enumerate(zip(truth_set.info["group_names"], statements)):
        subject = _subject(facts, label_name, rng)
        subjects.append(subject)
        request = FACT_REQUESTS[request_index[group]].format(subject=subject)
        versions = []
        for label, instruction in enumerate(INSTRUCTION_PAIRS[pair_index[group]]):
            stated_true = label == 0 or style == "same_statement"
            system, user = (None, f"{instruction} {request}")
            if instruction_in == "system":
                system, user = instruction, request
            versions.append(
                Dialogue(
                    id=f"{dataset}/{group}/{'deceptive' if label else 'honest'}",
                    group=group,
                    dataset=dataset,
                    label=label,
                    system=system,
                    turns=(user,),
                    answer=true if stated_true else false,
                    scenario=facts,
                    truth=int(stated_true),
                )
            )
        items.extend(reversed(versions) if honest_second[group] else versions)
    info = {
        "generator": "instructed_pairs",
        "n": n,
        "seed": seed,
        "facts": facts,
        "style": style,
        "instruction_in": instruction_in,
        "instruction_pairs": [list(pair) for pair in INSTRUCTION_PAIRS],
        "requests": list(FACT_REQUESTS),
        "pair_per_group": pair_index,
        "request_per_group": request_index,
        "n_honest_first": int((honest_second == 0).sum()),
        "truth_source": {"name": truth_set.name, "sha256": truth_set.sha256(), "info": truth_set.info},
        "group_names": subjects,
    }
    name = f"deception_{dataset}_{facts}" + ("_system" if instruction_in == "system" else "")
    return DialogueSet(name=name, items=items, info=info)


def _true_false_pairs(truth_set: Dataset) -> list[tuple[str, str]]:
    """(true, false) statement per group of a truth dataset, in group order."""
    pairs: dict[int, dict[int, str]] = {}
    for prompt, label, group in zip(truth_set.prompts, truth_set.labels.tolist(), truth_set.groups.tolist()):
        pairs.setdefault(group, {})[label] = prompt
    return [(pairs[group][1], pairs[group][0]) for group in sorted(pairs)]


def _subject(facts: str, label_name: str, rng: np.random.Generator) -> str:
    if facts == "cities":
        return f"the city of {label_name}"
    if facts == "capitals":
        return f"the capital of {label_name}"
    numbers = label_name.split(" vs ")  # "40 vs 49", the smaller first
    if rng.integers(2):
        numbers.reverse()
    return f"the numbers {numbers[0]} and {numbers[1]}"


# ---------------------------------------------------------------- roleplay


def roleplay(n: int = 120, seed: int = 0) -> DialogueSet:
    """`n` roleplay situations, each answered honestly (admitting) and deceptively (denying): 2n dialogues.

    Groups are dealt evenly over :data:`ROLEPLAY_SCENARIOS` and each group gets a distinct
    filling of its scenario's slots. Within a group, the system prompt and user turn are
    identical; only the answer differs. Ids are ``"roleplay/{group}/honest|deceptive"``,
    ``scenario`` the scenario name. ``info`` records the templates and each group's filling.

    Example:
        >>> ds = roleplay(n=10)
        >>> ds.scenarios[:3]
        ('agent_task', 'broken_vase', 'employee_mistake')
    """
    _check_n("roleplay", n)
    rng = np.random.default_rng(seed)
    fillings = [scenario.fillings() for scenario in ROLEPLAY_SCENARIOS]
    per_group = _allocate(n, [len(f) for f in fillings], rng, "roleplay", "slot fillings")
    chosen = _draw_fillings(per_group, fillings, rng)
    honest_second = _balanced_positions(n, rng)
    items, group_names = [], []
    for group, (which, filling) in enumerate(zip(per_group, chosen)):
        scenario = ROLEPLAY_SCENARIOS[which]
        system, user = scenario.system.format(**filling), scenario.user.format(**filling)
        versions = [
            Dialogue(
                id=f"roleplay/{group}/{'deceptive' if label else 'honest'}",
                group=group,
                dataset="roleplay",
                label=label,
                system=system,
                turns=(user,),
                answer=template.format(**filling),
                scenario=scenario.name,
            )
            for label, template in enumerate((scenario.honest, scenario.deceptive))
        ]
        items.extend(reversed(versions) if honest_second[group] else versions)
        group_names.append({"scenario": scenario.name, **filling})
    info = {
        "generator": "roleplay",
        "n": n,
        "seed": seed,
        "scenarios": {
            s.name: {"system": s.system, "user": s.user, "honest": s.honest, "deceptive": s.deceptive}
            for s in ROLEPLAY_SCENARIOS
        },
        "n_honest_first": int((honest_second == 0).sum()),
        "group_names": group_names,
    }
    return DialogueSet(name="deception_roleplay", items=items, info=info)


# ---------------------------------------------------------------- control


def control(n: int = 200, seed: int = 0) -> DialogueSet:
    """`n` benign question-and-answer chats with no deception context, all label 0: n dialogues.

    One dialogue per group, dealt evenly over :data:`CONTROL_TEMPLATES` (a template whose
    fillings run out leaves the rest to the others), each with a distinct filling. Ids are
    ``"control/{group}"``, ``scenario`` the template name.

    Example:
        >>> ds = control(n=20)
        >>> int(ds.labels.sum()), len(ds.scenarios)
        (0, 10)
    """
    _check_n("control", n)
    rng = np.random.default_rng(seed)
    dialogues = [template.dialogues() for template in CONTROL_TEMPLATES]
    per_group = _allocate(n, [len(d) for d in dialogues], rng, "control", "template fillings")
    chosen = _draw_fillings(per_group, dialogues, rng)
    items = []
    for group, (which, (user, answer)) in enumerate(zip(per_group, chosen)):
        items.append(
            Dialogue(
                id=f"control/{group}",
                group=group,
                dataset="control",
                label=0,
                system=None,
                turns=(user,),
                answer=answer,
                scenario=CONTROL_TEMPLATES[which].name,
            )
        )
    info = {
        "generator": "control",
        "n": n,
        "seed": seed,
        "templates": {t.name: {"users": list(t.users), "answer": t.answer} for t in CONTROL_TEMPLATES},
        "source": source(),
    }
    return DialogueSet(name="deception_control", items=items, info=info)


# ---------------------------------------------------------------- loading


def load_deception(name: str, n: int | None = None, seed: int = 0) -> DialogueSet:
    """The deception set `name` with `n` groups (the generator's default if None).

    ``instructed`` and ``instructed_same`` use city facts with the instruction in the user turn;
    call :func:`instructed_pairs` for other facts or a system-prompt instruction.

    Example:
        >>> load_deception("roleplay", n=30).name
        'deception_roleplay'
    """
    makers: dict[str, Callable[..., DialogueSet]] = {
        "instructed": instructed_pairs,
        "instructed_same": lambda **kw: instructed_pairs(style="same_statement", **kw),
        "roleplay": roleplay,
        "control": control,
    }
    if name not in makers:
        raise DatasetError(
            f"unknown deception dataset {name!r}; expected one of {', '.join(DECEPTION_DATASETS)}"
        )
    return makers[name](seed=seed) if n is None else makers[name](n=n, seed=seed)


# ---------------------------------------------------------------- helpers


def _allocate(n: int, capacities: list[int], rng: np.random.Generator, name: str, what: str) -> list[int]:
    """A template index per group, in random order: dealt in turn, skipping full templates.

    The turn order is a seeded permutation, so counts differ by at most one among the
    templates that still have room.
    """
    total = sum(capacities)
    if n > total:
        raise DatasetError(
            f"{name}: asked for n={n} groups but only {total} distinct {what} exist; pass n <= {total}"
        )
    counts = np.zeros(len(capacities), dtype=np.int64)
    order = rng.permutation(len(capacities)).tolist()
    while counts.sum() < n:
        for which in order:
            if counts.sum() < n and counts[which] < capacities[which]:
                counts[which] += 1
    return rng.permutation(np.repeat(np.arange(len(capacities)), counts)).tolist()


def _draw_fillings(per_group: list[int], fillings: list[list], rng: np.random.Generator) -> list:
    """A distinct filling of its template for each group."""
    counts = Counter(per_group)
    drawn = {
        which: iter(rng.choice(len(fillings[which]), size=counts[which], replace=False).tolist())
        for which in sorted(counts)
    }
    return [fillings[which][next(drawn[which])] for which in per_group]


def _check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise DatasetError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def _check_n(name: str, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DatasetError(f"{name}: n must be a positive integer (the number of groups), got {n!r}")
