"""Answer extraction and the early-answering curve, on hand-checked cases."""

from __future__ import annotations

import pytest

from probes.faithfulness.answers import (
    agreement_by_fraction,
    agreement_curve,
    chance_corrected,
    curve_ci,
    extract_answer,
    extract_answers,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("So the answer is (B).", "B"),
        ("Answer: C", "C"),
        ("The final answer is D", "D"),
        ("The answer is a bit tricky", None),
        ("First I thought (A), but the answer is (C).", "C"),
        ("Options (A) and (B); I pick (B)", "B"),
        ("A.", "A"),
        ("The answer is Paris.", None),  # 'P' is not an option letter
        ("I am not sure.", None),  # a lone 'I' / 'a' is not an answer
        ("", None),
    ],
)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


F_AND_G = [  # text, answer on options A-E or A-D (as before issue 14), answer on options A-G
    ("The answer is (F).", None, "F"),
    ("I considered (B), but the answer is (F).", None, "F"),
    ("So (G).", None, "G"),
    ("The answer is (B). (F) is out.", "B", None),
    ("Answer: F", None, "F"),
    ("F", None, "F"),
    ("The answer is (C), not (F).", "C", "C"),
]


@pytest.mark.parametrize("text, before, seven", F_AND_G)
def test_letters_past_e_parse_as_before_unless_they_are_options(text, before, seven):
    """Issue 14: LETTERS grew to "ABCDEFG"; a 4- or 5-option CoT parses as it did with "ABCDE"."""
    assert extract_answer(text) == extract_answer(text, "ABCDE") == extract_answer(text, "ABCD") == before
    assert extract_answer(text, "ABCDEFG") == seven


def test_unparseable_are_counted():
    answers, missing = extract_answers(["answer: A", "no idea", "(B)"])
    assert answers == ["A", None, "B"] and missing == 1


def test_agreement_curve_by_hand():
    # item 1: 2 sentences, truncations after 0 and 1 sentence -> fractions 0.0 and 0.5
    # item 2: 4 sentences -> fractions 0.0, 0.25, 0.5, 0.75
    curve = agreement_curve([["A", "B"], ["B", "B", "A", "A"]], ["B", "A"])
    assert curve["counts"][0] == 2 and curve["counts"][5] == 2 and curve["counts"][2] == 1
    assert curve["agreement"][0] == 0.0  # A vs B, B vs A
    assert curve["agreement"][5] == 1.0  # B vs B, A vs A
    assert curve["agreement"][2] == 0.0 and curve["agreement"][7] == 1.0
    # bins with data: 0 (0.0), 2 (0.0), 5 (1.0), 7 (1.0) -> area over = mean(1, 1, 0, 0)
    assert curve["aoc"] == pytest.approx(0.5)
    # bin 5: shown {B, A}, final {B, A}: chance = (1*1 + 1*1) / 4 = 0.5 -> (1 - 0.5) / 0.5 = 1
    assert curve["agreement_normalized"][5] == pytest.approx(1.0)
    assert curve["agreement_normalized"][0] == pytest.approx(-1.0)


def test_pooled_area_weighs_a_bin_by_its_count():
    # 99 items of 5 sentences agree after every cut; one item of 4 sentences disagrees after every
    # cut, alone in bins 5 and 7 (fractions 2/4 and 3/4), so the plain mean over bins jumps
    shown = [[(k / 5, "A") for k in range(5)]] * 99 + [[(k / 4, "B") for k in range(4)]]
    curve = agreement_by_fraction(shown, ["A"] * 100)
    assert curve["counts"][5] == 1 and curve["counts"][7] == 1
    assert curve["aoc"] == pytest.approx((0.01 + 0.01 + 1 + 1) / 7)  # bins 0, 2, 4, 6, 8 and 5, 7
    assert curve["aoc_pooled"] == pytest.approx(4 / 499)


def test_letter_prior_is_removed_and_skips_counted():
    # a model that always says A agrees with an all-A final answer by its prior alone
    curve = agreement_curve([["A", "A"], ["A", "A"], [None, "A"]], ["A", "A", None])
    assert curve["agreement"][0] == 1.0
    assert curve["agreement_normalized"][0] is None  # chance = 1: nothing left to measure
    assert curve["n_skipped"] == 1
    with pytest.raises(ValueError, match="truncation lists"):
        agreement_curve([["A"]], ["A", "B"])


def test_agreement_by_fraction_bins_and_skips_by_hand():
    shown = [
        [(0.0, "A"), (0.05, "B"), (0.5, "B"), (1, "B")],  # final B; fraction 1 (an int) goes to bin 9
        [(0.0, "A"), (0.1, None), (0.99, "A")],  # final A; the None answer is skipped and counted
        [(0.2, "C")],  # final None: the whole item is skipped (counted once)
        [],  # no truncations: skipped (counted once)
    ]
    curve = agreement_by_fraction(shown, ["B", "A", None, "A"])
    assert curve["fractions"] == pytest.approx([i / 10 for i in range(10)])
    # bin 0: (A, B), (B, B), (A, A); bin 5: (B, B); bin 9: (B, B), (A, A); bin 1 only had the None
    assert curve["counts"] == [3, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert curve["n_skipped"] == 3
    assert curve["agreement"][0] == pytest.approx(2 / 3)
    assert curve["agreement"][5] == 1.0 and curve["agreement"][9] == 1.0
    assert all(curve["agreement"][i] is None for i in (1, 2, 3, 4, 6, 7, 8))
    # area over = mean(1 - 2/3, 1 - 1, 1 - 1) = 1/9
    assert curve["aoc"] == pytest.approx(1 / 9)
    assert curve["aoc_pooled"] == pytest.approx(1 / 6)  # 1 of the 6 binned answers disagrees
    # bin 0: shown [A, B, A], final [B, B, A]: agree 2/3; P(shown) A 2/3, B 1/3; P(final) A 1/3, B 2/3
    # chance = 2/3 * 1/3 + 1/3 * 2/3 = 4/9 -> kappa = (2/3 - 4/9) / (1 - 4/9) = (2/9) / (5/9) = 0.4
    assert curve["agreement_normalized"][0] == pytest.approx(0.4)
    assert curve["agreement_normalized"][5] is None  # one pair B/B: chance 1
    # bin 9: shown [B, A], final [B, A]: chance 1/2, kappa (1 - 1/2) / (1/2) = 1
    assert curve["agreement_normalized"][9] == pytest.approx(1.0)
    # normalized area over the bins with a value: mean(1 - 0.4, 1 - 1) = 0.3
    assert curve["aoc_normalized"] == pytest.approx(0.3)


@pytest.mark.parametrize(
    "fraction, bin_",
    [(0.0, 0), (0.0999, 0), (0.1, 1), (0.25, 2), (0.3, 3), (0.7, 7), (0.9, 9), (0.95, 9), (1.0, 9), (0, 0)],
)
def test_agreement_by_fraction_bin_edges(fraction, bin_):
    curve = agreement_by_fraction([[(fraction, "A")]], ["A"])
    assert curve["counts"] == [int(i == bin_) for i in range(10)]


@pytest.mark.parametrize("fraction", [-0.1, 1.01, 2])
def test_agreement_by_fraction_rejects_fractions_outside_unit_interval(fraction):
    with pytest.raises(ValueError, match=r"fractions must be in \[0, 1\]"):
        agreement_by_fraction([[(0.5, "A"), (fraction, "B")]], ["A"])
    with pytest.raises(ValueError, match="answer lists"):
        agreement_by_fraction([[(0.5, "A")]], ["A", "B"])


def test_chance_corrected_is_cohens_kappa():
    # agree at positions 0, 2, 3 -> 3/4; P(a): A 1/2, B 1/2; P(b): A 1/4, B 3/4
    # chance = 1/2 * 1/4 + 1/2 * 3/4 = 1/2 -> kappa = (3/4 - 1/2) / (1 - 1/2) = 0.5
    agree, kappa = chance_corrected(["A", "A", "B", "B"], ["A", "B", "B", "B"])
    assert agree == pytest.approx(0.75) and kappa == pytest.approx(0.5)
    # symmetric in its two arguments
    assert chance_corrected(["A", "B", "B", "B"], ["A", "A", "B", "B"]) == pytest.approx((0.75, 0.5))
    # a letter only one side uses adds nothing to chance: a=[A, C], b=[A, B]: agree 1/2,
    # chance = P(a=A) P(b=A) = 1/2 * 1/2 = 1/4 -> kappa = (1/2 - 1/4) / (3/4) = 1/3
    assert chance_corrected(["A", "C"], ["A", "B"]) == pytest.approx((0.5, 1 / 3))


def test_chance_corrected_degenerate_cases():
    assert chance_corrected(["A", "A", "A"], ["A", "A", "A"]) == (1.0, None)  # both constant, equal
    # both constant but different: agree 0, chance 0 -> kappa 0
    assert chance_corrected(["A", "A"], ["B", "B"]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="equally long"):
        chance_corrected(["A"], ["A", "B"])
    with pytest.raises(ValueError, match="non-empty"):
        chance_corrected([], [])


def _mixed_items(n: int = 24) -> tuple[list, list]:
    """Items whose early answers agree with the final one about half the time, later ones always."""
    letters = "ABCD"
    shown, final = [], []
    for i in range(n):
        last = letters[i % 4]
        early = last if i % 3 == 0 else letters[(i + 1) % 4]
        middle = last if i % 2 == 0 else letters[(i + 2) % 4]
        shown.append([(0.0, early), (0.5, middle), (0.9, last)])
        final.append(last)
    return shown, final


def test_curve_ci_contains_the_point_and_is_deterministic():
    shown, final = _mixed_items()
    point = agreement_by_fraction(shown, final)
    ci = curve_ci(shown, final, n_boot=300, seed=1)
    for key in ("aoc", "aoc_normalized"):
        low, high = ci[key]
        assert low < point[key] < high, (key, ci[key], point[key])
    assert curve_ci(shown, final, n_boot=300, seed=1) == ci
    assert curve_ci(shown, final, n_boot=300, seed=2) != ci
    # a wider level gives an interval at least as wide
    wide = curve_ci(shown, final, n_boot=300, level=0.99, seed=1)
    assert wide["aoc"][0] <= ci["aoc"][0] and wide["aoc"][1] >= ci["aoc"][1]


def test_curve_ci_degenerate_all_agree():
    # every truncated answer equals the final one: every resample has agreement 1 in every bin, so the
    # area over is 0; with two final letters per bin kappa is 1 (or None when a resample has one letter)
    shown = [[(0.0, x), (0.5, x)] for x in "ABAB"]
    ci = curve_ci(shown, list("ABAB"), n_boot=200, seed=0)
    assert ci["aoc"] == [0.0, 0.0]
    assert ci["aoc_normalized"] == [0.0, 0.0]
    # one letter only: kappa is never defined -> no interval
    only_a = curve_ci([[(0.0, "A")], [(0.3, "A")]], ["A", "A"], n_boot=50)
    assert only_a["aoc"] == [0.0, 0.0] and only_a["aoc_normalized"] is None
