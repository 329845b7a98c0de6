"""probes.datasets deception: honest vs deceptive dialogues, instructed, roleplay and control sets."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from probes.datasets import DatasetError, capitals, cities, comparisons
from probes.deception import (
    DECEPTION_DATASETS,
    Dialogue,
    DialogueSet,
    concat_dialogues,
    control,
    instructed_pairs,
    load_deception,
    roleplay,
)
from probes.deception.templates import (
    CONTROL_TEMPLATES,
    FACT_REQUESTS,
    INSTRUCTION_PAIRS,
    ROLEPLAY_SCENARIOS,
)

DECEPTION_WORDS = re.compile(
    r"\b(lie|lies|lied|lying|liar|deceive|deceived|deceiving|deceptive|deception|dishonest|dishonesty|"
    r"honest|honestly|honesty|truth|truthful|truthfully|untrue|mislead|misleading|pretend)\b",
    re.IGNORECASE,
)
TRUTH_MAKERS = {
    "cities": lambda n, seed: cities(n=n, seed=seed, most_populous=True),
    "capitals": lambda n, seed: capitals(n=n, seed=seed),
    "comparisons": lambda n, seed: comparisons(n=n, seed=seed),
}
PAIRED = ("instructed", "instructed_same", "roleplay")


def _dialogue(**overrides) -> Dialogue:
    fields = {
        "id": "x/0/honest",
        "group": 0,
        "dataset": "x",
        "label": 0,
        "system": None,
        "turns": ("Is 7 prime?",),
        "answer": "Yes, 7 is prime.",
    }
    return Dialogue(**{**fields, **overrides})


def _by_group(ds: DialogueSet) -> dict[int, dict[int, Dialogue]]:
    """group -> label -> dialogue; fails if a group has two dialogues with one label."""
    out: dict[int, dict[int, Dialogue]] = {}
    for item in ds:
        assert item.label not in out.setdefault(item.group, {}), f"group {item.group} repeats a label"
        out[item.group][item.label] = item
    return out


def _instruction_of(item: Dialogue, request: str) -> str:
    """The instruction in front of the request in an instruction_in='user' dialogue."""
    (turn,) = item.turns
    assert turn.endswith(f" {request}")
    return turn[: -len(request) - 1]


# ---------------------------------------------------------------- generators


@pytest.mark.parametrize("name", DECEPTION_DATASETS)
def test_deterministic_for_a_seed_and_different_across_seeds(name):
    first, again, other = (load_deception(name, n=12, seed=s) for s in (3, 3, 4))
    assert first == again and first.sha256() == again.sha256()
    assert first != other and first.sha256() != other.sha256()


@pytest.mark.parametrize("name", PAIRED)
@pytest.mark.parametrize("n", [1, 7, 20])
def test_paired_sets_have_one_honest_and_one_deceptive_dialogue_per_group(name, n):
    ds = load_deception(name, n=n, seed=1)
    assert len(ds) == 2 * n and int(ds.labels.sum()) == n
    groups = _by_group(ds)
    assert sorted(groups) == list(range(n)) and all(set(pair) == {0, 1} for pair in groups.values())
    assert all(ds.groups[i] == ds.groups[i + 1] for i in range(0, len(ds), 2))  # adjacent
    first = [ds[i].label for i in range(0, len(ds), 2)]
    assert first.count(0) in {n // 2, n - n // 2} and ds.info["n_honest_first"] == first.count(0)
    assert len({item.id for item in ds}) == len(ds)
    assert all(item.id.endswith("/deceptive" if item.label else "/honest") for item in ds)


def test_control_is_n_benign_dialogues_over_every_template():
    ds = control(n=200, seed=0)
    assert len(ds) == 200 and int(ds.labels.sum()) == 0 and sorted(ds.groups.tolist()) == list(range(200))
    counts = Counter(item.scenario for item in ds)
    assert set(counts) == {t.name for t in CONTROL_TEMPLATES} and len(counts) >= 8
    assert max(counts.values()) - min(counts.values()) <= 1
    assert len({(item.turns, item.answer) for item in ds}) == 200  # no filling twice
    for item in ds:
        assert item.system is None and item.dataset == "control" and item.answer
        for text in (*item.turns, item.answer):
            assert not DECEPTION_WORDS.search(text), text
    sums = [item for item in ds if item.scenario == "addition"]
    for item in sums:
        a, b = map(int, re.fullmatch(r"What is (\d+) \+ (\d+)\?", item.turns[0]).groups())
        assert item.answer == f"{a} + {b} = {a + b}."
    assert len(control(n=2000)) == 2000  # past the small templates, the large ones take the rest
    with pytest.raises(DatasetError, match="pass n <= "):
        control(n=10**6)


@pytest.mark.parametrize("facts", ["cities", "capitals", "comparisons"])
def test_consistent_style_states_the_true_or_the_false_statement_of_the_truth_pair(facts):
    n, seed = 15, 2
    ds = instructed_pairs(n=n, seed=seed, facts=facts)
    truth = TRUTH_MAKERS[facts](n, seed)
    true = {int(g): p for p, g, label in zip(truth.prompts, truth.groups, truth.labels) if label == 1}
    false = {int(g): p for p, g, label in zip(truth.prompts, truth.groups, truth.labels) if label == 0}
    for group, pair in _by_group(ds).items():
        honest, deceptive = pair[0], pair[1]
        assert honest.answer == true[group] and honest.truth == 1
        assert deceptive.answer == false[group] and deceptive.truth == 0
        assert honest.scenario == deceptive.scenario == facts and honest.dataset == "instructed"
        assert honest.system is None and deceptive.system is None
        request = _request(ds, group)
        assert truth.info["group_names"][group].split(" vs ")[0] in request
        instructions = (_instruction_of(honest, request), _instruction_of(deceptive, request))
        assert instructions == INSTRUCTION_PAIRS[ds.info["pair_per_group"][group]]  # same pair and request
    assert ds.info["truth_source"]["sha256"] == truth.sha256()


def _request(ds: DialogueSet, group: int) -> str:
    """The user's request (after the instruction) of a group of an instructed set."""
    subject = ds.info["group_names"][group]
    return FACT_REQUESTS[ds.info["request_per_group"][group]].format(subject=subject)


@pytest.mark.parametrize("instruction_in", ["user", "system"])
def test_same_statement_style_differs_only_in_the_instruction(instruction_in):
    ds = instructed_pairs(n=12, seed=0, style="same_statement", instruction_in=instruction_in)
    assert ds.datasets == ("instructed_same",) and int(ds.labels.sum()) == 12
    truth = cities(n=12, seed=0, most_populous=True)
    true_statements = {p for p, label in zip(truth.prompts, truth.labels) if label == 1}
    for pair in _by_group(ds).values():
        honest, deceptive = pair[0], pair[1]
        assert honest.answer == deceptive.answer and honest.answer in true_statements
        assert honest.truth == deceptive.truth == 1
        if instruction_in == "system":
            assert honest.turns == deceptive.turns and (honest.system, deceptive.system) in INSTRUCTION_PAIRS
        else:
            assert honest.system is None and deceptive.system is None
            assert honest.turns != deceptive.turns
            request = _request(ds, honest.group)
            instructions = (_instruction_of(honest, request), _instruction_of(deceptive, request))
            assert instructions in INSTRUCTION_PAIRS


def test_instruction_in_system_moves_the_instruction_out_of_the_user_turn():
    user = instructed_pairs(n=8, seed=5)
    system = instructed_pairs(n=8, seed=5, instruction_in="system")
    assert system.name.endswith("_system") and not user.name.endswith("_system")
    for a, b in zip(user, system):
        assert a.id == b.id and a.answer == b.answer and a.label == b.label
        assert b.system is not None and a.system is None
        assert a.turns[0] == f"{b.system} {b.turns[0]}"
        assert not any(b.system in pair_text for pair_text in b.turns)
        assert b.turns[0].split(" ", 1)[0] in {r.split(" ", 1)[0] for r in FACT_REQUESTS}
    honest_system = {item.system for item in system.where(label=0)}
    assert honest_system <= {pair[0] for pair in INSTRUCTION_PAIRS}


def test_instruction_pairs_and_requests_are_dealt_evenly():
    ds = instructed_pairs(n=40, seed=3)
    pairs, requests = Counter(ds.info["pair_per_group"]), Counter(ds.info["request_per_group"])
    assert set(pairs) == set(range(len(INSTRUCTION_PAIRS))) and max(pairs.values()) - min(pairs.values()) <= 2
    assert set(requests) == set(range(len(FACT_REQUESTS)))
    assert max(requests.values()) - min(requests.values()) <= 2


def test_instructed_errors():
    with pytest.raises(DatasetError, match="unknown facts 'planets'; expected one of cities, capitals"):
        instructed_pairs(n=2, facts="planets")
    with pytest.raises(DatasetError, match="unknown style"):
        instructed_pairs(n=2, style="mixed")
    with pytest.raises(DatasetError, match="unknown instruction_in"):
        instructed_pairs(n=2, instruction_in="assistant")
    with pytest.raises(DatasetError, match="n must be a positive integer"):
        instructed_pairs(n=0)
    with pytest.raises(DatasetError, match="pass n <="):
        instructed_pairs(n=10**5, facts="capitals")


def test_roleplay_covers_every_scenario_without_instructing_to_lie():
    n = 60
    ds = roleplay(n=n, seed=0)
    counts = Counter(item.scenario for item in ds.where(label=1))
    assert set(counts) == {s.name for s in ROLEPLAY_SCENARIOS} and len(counts) >= 8
    assert max(counts.values()) - min(counts.values()) <= 1
    for pair in _by_group(ds).values():
        honest, deceptive = pair[0], pair[1]
        assert honest.system == deceptive.system and honest.turns == deceptive.turns
        assert honest.scenario == deceptive.scenario and honest.dataset == "roleplay"
        assert honest.answer != deceptive.answer
        assert 0.6 < len(honest.answer) / len(deceptive.answer) < 1.7  # similar length
        assert not DECEPTION_WORDS.search(honest.system), honest.system
        for text in (*honest.turns, honest.answer, deceptive.answer):
            assert not DECEPTION_WORDS.search(text) and "{" not in text, text
    fillings = [(item.system, item.turns) for item in ds.where(label=0)]
    assert len(set(fillings)) == n  # no situation twice
    openers = Counter((item.label, item.answer.split(",")[0].split(".")[0]) for item in ds)
    assert openers[(0, "No")] > 0 and openers[(1, "Yes")] > 0  # "Yes" is not always the lie


def test_roleplay_templates_fill_every_slot():
    for scenario in ROLEPLAY_SCENARIOS:
        assert all(len(slot) >= 4 for slot in scenario.slots), scenario.name
        fillings = scenario.fillings()
        for text in (scenario.system, scenario.user, scenario.honest, scenario.deceptive):
            for filling in fillings[:3] + fillings[-3:]:
                assert "{" not in text.format(**filling)
        assert not DECEPTION_WORDS.search(scenario.system)
    with pytest.raises(DatasetError, match="pass n <="):
        roleplay(n=10**5)


def test_load_deception_dispatch_and_errors():
    assert load_deception("instructed", n=3).datasets == ("instructed",)
    assert load_deception("instructed_same", n=3).datasets == ("instructed_same",)
    assert len(load_deception("roleplay")) == 240 and len(load_deception("control")) == 200
    assert load_deception("roleplay", n=5, seed=2) == roleplay(n=5, seed=2)
    with pytest.raises(DatasetError, match="unknown deception dataset 'sandbagging'; expected one of instr"):
        load_deception("sandbagging")


# ---------------------------------------------------------------- Dialogue and DialogueSet


def test_dialogue_converts_lists_and_numpy_integers():
    item = _dialogue(turns=["a", "b", "c"], group=np.int64(3), label=np.int64(1), truth=np.int64(0))
    assert item.turns == ("a", "b", "c") and type(item.group) is int and item.group == 3
    assert type(item.label) is int and item.label == 1 and type(item.truth) is int
    assert _dialogue(answer=None).answer is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"id": ""}, "id must be a non-empty string"),
        ({"dataset": ""}, "dataset must be a non-empty string"),
        ({"label": 2}, r"label must be 1 \(deceptive\) or 0 \(honest\), got 2"),
        ({"label": True}, "label must be"),
        ({"truth": 3}, "truth must be"),
        ({"turns": ()}, "turns is empty"),
        ({"turns": ("q", "a")}, "got 2 turns; alternate user/assistant"),
        ({"turns": ("q", "", "r")}, r"turns \[1\] are empty"),
        ({"turns": "one string"}, "wrap it in a list"),
        ({"system": ""}, "system must be a non-empty string, or None"),
        ({"answer": ""}, "answer must be a non-empty string, or None"),
    ],
)
def test_dialogue_validation_messages(overrides, message):
    with pytest.raises(DatasetError, match=message):
        _dialogue(**overrides)


def test_set_indexing_repr_and_properties():
    ds = roleplay(n=3, seed=0)
    assert isinstance(ds[0], Dialogue) and ds[-1] is ds.items[-1]
    picked = ds[[4, 0]]
    assert isinstance(picked, DialogueSet) and [item.id for item in picked] == [ds[4].id, ds[0].id]
    assert picked.info["subset_of"] == ds.sha256() and len(ds[1:3]) == 2
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(DatasetError, match="selected no items"):
        ds[2:2]
    assert repr(ds) == "DialogueSet(name='deception_roleplay', n=6, deceptive=3, datasets={'roleplay': 6})"
    for array in (ds.labels, ds.groups):
        assert array.dtype == np.int64 and not array.flags.writeable
    assert ds.groups.tolist() == [0, 0, 1, 1, 2, 2] and ds.datasets == ("roleplay",)
    assert ds.scenarios == tuple(sorted({item.scenario for item in ds})) and len(ds.scenarios) == 3
    assert list(iter(ds)) == list(ds.items) and ds.answers == [item.answer for item in ds]
    with pytest.raises(DatasetError, match="ids must be unique"):
        DialogueSet(name="dup", items=[_dialogue(), _dialogue(group=1)])
    with pytest.raises(DatasetError, match="has no items"):
        DialogueSet(name="empty", items=[])
    with pytest.raises(DatasetError, match="JSON-serializable"):
        DialogueSet(name="info", items=[_dialogue()], info={"x": object()})
    assert DialogueSet(name="one", items=[_dialogue()], info={"t": (1, 2)}).info == {"t": [1, 2]}


def test_where_filters_and_errors():
    ds = concat_dialogues([roleplay(n=20, seed=0), control(n=10, seed=0)], name="mixed")
    lies = ds.where(label=1)
    assert len(lies) == 20 and lies.datasets == ("roleplay",) and (lies.labels == 1).all()
    sellers = ds.where(dataset="roleplay", label=[0], scenario=["seller", "landlord"])
    assert len(sellers) == 4 and set(sellers.scenarios) == {"seller", "landlord"}
    assert (sellers.labels == 0).all() and sellers.info["where"]["label"] == [0]
    assert len(ds.where(dataset="control")) == 10
    with pytest.raises(DatasetError, match="no dataset 'sandbagging'; available: control, roleplay"):
        ds.where(dataset="sandbagging")
    with pytest.raises(DatasetError, match="no scenario 'pirate'"):
        ds.where(scenario="pirate")
    with pytest.raises(DatasetError, match="no label 1; available: 0"):
        control(n=5).where(label=1)
    with pytest.raises(DatasetError, match="no label 2; available: 0, 1"):
        ds.where(label=2)
    assert len(ds.where(label=np.int64(0))) == 30
    with pytest.raises(DatasetError, match="no dialogue of 'mixed' has"):
        ds.where(dataset="control", label=1)


def test_split_keeps_groups_together_and_follows_fractions():
    ds = roleplay(n=50, seed=0)
    parts = ds.split((0.6, 0.2, 0.2), seed=1)
    group_sets = [set(part.groups.tolist()) for part in parts]
    assert [len(groups) for groups in group_sets] == [30, 10, 10]
    assert [len(part) for part in parts] == [60, 20, 20]
    assert all(int(part.labels.sum()) * 2 == len(part) for part in parts)  # both versions together
    assert set().union(*group_sets) == set(range(50))
    assert all(a.isdisjoint(b) for i, a in enumerate(group_sets) for b in group_sets[i + 1 :])
    assert parts == ds.split((0.6, 0.2, 0.2), seed=1)
    assert group_sets[0] != set(ds.split((0.6, 0.2, 0.2), seed=2)[0].groups.tolist())
    assert parts[2].info["split"]["part"] == 2 and parts[2].info["split"]["parent_sha256"] == ds.sha256()
    with pytest.raises(DatasetError, match="sum to 1"):
        ds.split((0.5, 0.2))
    with pytest.raises(DatasetError, match="only 2 group"):
        roleplay(n=2).split()


def test_concat_renumbers_groups_and_prefixes_colliding_ids():
    a, b = instructed_pairs(n=4, seed=0), instructed_pairs(n=3, seed=0, facts="capitals")
    rest = control(n=5)
    both = concat_dialogues([a, b, rest], name="all")
    assert len(both) == len(a) + len(b) + len(rest) and len(np.unique(both.groups)) == 4 + 3 + 5
    offsets = [part["group_offset"] for part in both.info["parts"]]
    assert offsets == [0, 4, 7] and both.info["ids_prefixed"]
    start = 0
    for part, offset in zip((a, b, rest), offsets):
        assert np.array_equal(both.groups[start : start + len(part)], part.groups + offset)
        assert np.array_equal(both.labels[start : start + len(part)], part.labels)
        start += len(part)
    assert both[0].id == f"deception_instructed_cities/{a[0].id}"
    kept = concat_dialogues([a, rest], name="kept")
    assert not kept.info["ids_prefixed"] and kept[0].id == a[0].id
    with pytest.raises(DatasetError, match="distinct names"):
        concat_dialogues([a, a], name="twice")
    with pytest.raises(DatasetError, match="got no sets"):
        concat_dialogues([], name="none")


def test_sha256_is_stable_and_depends_on_the_items():
    ds = roleplay(n=5, seed=0)
    digest = ds.sha256()
    assert len(digest) == 64 and digest == roleplay(n=5, seed=0).sha256()
    assert DialogueSet(name="other", items=ds.items, info={"x": 1}).sha256() == digest  # the items alone
    assert ds.with_answers(["Fine."] * len(ds)).sha256() != digest
    assert ds[:-1].sha256() != digest


# ---------------------------------------------------------------- rendering and answers


def test_texts_are_prefix_plus_answer_and_render_system_prompts(tiny):
    ds = concat_dialogues([roleplay(n=2), instructed_pairs(n=2), control(n=2)], name="mixed")
    prefixes, texts = ds.prefixes(tiny), ds.texts(tiny)
    assert len(prefixes) == len(texts) == len(ds)
    for prefix, text, item in zip(prefixes, texts, ds):
        assert text == prefix + item.answer
        assert prefix.endswith("<|im_start|>assistant\n") and item.turns[0] in prefix
        if item.system is None:
            assert "<|im_start|>system" not in prefix
        else:
            assert prefix.startswith(f"<|im_start|>system\n{item.system}<|im_end|>")
    unanswered = ds.with_answers(["x"] * len(ds))
    items = list(unanswered.items)
    items[3] = replace(items[3], answer=None)
    missing = DialogueSet(name="missing", items=items)
    assert missing.prefixes(tiny) == prefixes
    with pytest.raises(DatasetError, match=f"first {items[3].id!r}; generate answers"):
        missing.texts(tiny)


def test_with_answers_keeps_ids_groups_and_labels():
    ds = roleplay(n=4, seed=1)
    answers = [f"answer {i}" for i in range(len(ds))]
    answered = ds.with_answers(answers)
    assert answered.answers == answers and answered.name == ds.name
    assert [item.id for item in answered] == [item.id for item in ds]
    assert np.array_equal(answered.labels, ds.labels) and np.array_equal(answered.groups, ds.groups)
    assert all(a.system == b.system and a.turns == b.turns for a, b in zip(answered, ds))
    assert answered.info["on_policy"] is True and answered.info["answers_for"] == ds.sha256()
    assert "on_policy" not in ds.info and ds.with_answers(answers, name="mine").name == "mine"
    with pytest.raises(DatasetError, match="got 2 answers for 8 dialogues"):
        ds.with_answers(["a", "b"])
    with pytest.raises(DatasetError, match=r"answers \[1\] are empty"):
        ds.with_answers(["a", ""] + ["b"] * 6)
    with pytest.raises(DatasetError, match="wrap it in a list"):
        ds.with_answers("one answer")
