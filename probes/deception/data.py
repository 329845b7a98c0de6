"""The deception datasets: honest and deceptive answers, generated offline (RepE and Apollo style).

Each generator returns a :class:`~probes.deception.dialogues.DialogueSet` of
:class:`~probes.deception.dialogues.Dialogue` chats, labelled 1 when the answer is deceptive.
The honest and deceptive versions of one scenario or fact share a `group`, sit next to each
other (in a seeded order) and differ only where they must.

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
listed and described in :mod:`probes.deception.templates`.

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
from collections.abc import Callable

import numpy as np

from probes.datasets.balance import balanced_positions, dealt
from probes.datasets.base import Dataset, DatasetError
from probes.datasets.geography import source
from probes.datasets.truth import capitals, cities, comparisons
from probes.deception.dialogues import Dialogue, DialogueSet
from probes.deception.templates import CONTROL_TEMPLATES, FACT_REQUESTS, INSTRUCTION_PAIRS, ROLEPLAY_SCENARIOS

DECEPTION_DATASETS = ("instructed", "instructed_same", "roleplay", "control")
"""Every name :func:`load_deception` accepts."""

FACTS = ("cities", "capitals", "comparisons")
"""The fact sources of :func:`instructed_pairs` (truth datasets)."""

STYLES = ("consistent", "same_statement")
INSTRUCTION_PLACES = ("user", "system")


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
    honest_second = balanced_positions(n, rng)
    pair_index = dealt(len(INSTRUCTION_PAIRS), honest_second, rng)
    request_index = dealt(len(FACT_REQUESTS), honest_second, rng)
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
    honest_second = balanced_positions(n, rng)
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
