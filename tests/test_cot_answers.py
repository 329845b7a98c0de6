"""Answer extraction and the early-answering curve, on hand-checked cases."""

from __future__ import annotations

import pytest

from probes.cot_answers import agreement_curve, extract_answer, extract_answers


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


def test_letter_prior_is_removed_and_skips_counted():
    # a model that always says A agrees with an all-A final answer by its prior alone
    curve = agreement_curve([["A", "A"], ["A", "A"], [None, "A"]], ["A", "A", None])
    assert curve["agreement"][0] == 1.0
    assert curve["agreement_normalized"][0] is None  # chance = 1: nothing left to measure
    assert curve["n_skipped"] == 1
    with pytest.raises(ValueError, match="truncation lists"):
        agreement_curve([["A"]], ["A", "B"])
