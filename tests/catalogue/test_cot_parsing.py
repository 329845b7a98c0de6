"""Answer letters out of chain-of-thought text: every phrasing ends in the right letter or in None.

None means "unparseable" and is counted by :func:`extract_answers`; a guess (the last letter seen,
an option echoed from the question) would be a silent wrong result. The expected letter of each
case is fixed by the rules in the :mod:`probes.cot_answers` docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from catalogue_checks import clear_error

from probes.faithfulness.answers import extract_answer, extract_answers
from probes.faithfulness.cot_edits import sentence_prefixes, split_sentences

# (id, text, expected letter or None); the options are A-E unless a case says otherwise.
CASES = [
    # plain statements
    ("answer-colon-bare", "Answer: C", "C"),
    ("answer-is-paren-lowercase", "the answer is (c)", "C"),
    ("answer-is-paren", "So the answer is (B).", "B"),
    ("answer-is-bare-period", "So the answer is B.", "B"),
    ("final-answer-bare-end", "The final answer is D", "D"),
    ("best-answer-colon-paren", "Therefore, the best answer is: (D).", "D"),
    ("correct-answer-because", "The correct answer is (B) because 2 > 1.", "B"),
    ("answer-equals", "Answer = C", "C"),
    ("answer-upper-case-cue", "ANSWER: E", "E"),
    ("answer-square-brackets", "Answer: [B]", "B"),
    ("answer-would-be", "I think the answer would be (A).", "A"),
    ("answer-is-clearly", "The answer is clearly (E).", "E"),
    ("answer-is-option", "The answer is option C.", "C"),
    ("answer-is-therefore-comma", "The answer is therefore, (A).", "A"),
    ("pick-option", "Options (A) and (B); I pick (B)", "B"),
    ("go-with", "I'd go with (C).", "C"),
    ("choose-option", "Let's choose option (D).", "D"),
    ("paren-is-correct", "(B) is correct.", "B"),
    ("paren-is-the-correct-answer", "Looking again, (D) is the correct answer.", "D"),
    ("not-correct-then-correct", "(A) is not correct; (B) is correct.", "B"),
    ("curly-apostrophe", "Hmm. It\u2019s (B).", "B"),
    # markdown
    ("bold-paren", "**(B)**", "B"),
    ("bold-bare", "**B**", "B"),
    ("bold-answer-label", "**Answer:** (B)", "B"),
    ("bold-letter-after-cue", "Final answer: **C**", "C"),
    ("answer-on-next-line", "Let me think.\nAnswer:\n\n**(C)**", "C"),
    # the whole text is the answer
    ("whole-letter", "B", "B"),
    ("whole-letter-period", "A.", "A"),
    ("whole-paren", "(B)", "B"),
    ("whole-paren-lowercase", "(b)", "B"),
    ("whole-letter-with-spaces", "  C \n", "C"),
    ("whole-lowercase-word-a", "a", None),
    ("whole-lowercase-letter-b", "b", None),
    ("whole-pronoun-i", "I", None),
    ("whole-letter-not-option", "F", None),
    # a letter at the end, with no statement
    ("so-paren-end", "2 + 2 = 4, so (B).", "B"),
    ("not-then-paren-end", "Not (A), but (B).", "B"),
    ("paren-not-at-end", "(A) is wrong.", None),
    ("enumeration-lowercase", "We check (a) the speed and (b) the time.", None),
    # negations
    ("not-paren", "not (A)", None),
    ("answer-is-not", "The answer is not (B).", None),
    ("answer-isnt", "The answer isn't (A).", None),
    ("definitely-not", "Definitely not (D).", None),
    ("answer-colon-not-bare", "Answer: not A", None),
    ("would-not-pick", "I would not pick (A).", None),
    ("not-then-statement", "It's not (A), so the answer is (C).", "C"),
    ("not-statement-then-statement", "The answer is not (B), it is (C).", "C"),
    ("would-not-then-choose", "I would not choose (A). I choose (B).", "B"),
    ("statement-then-negated-other", "The answer is (B), not (A).", "B"),
    ("unsure-before-cue", "I am not sure the answer is (B).", None),
    ("dont-think-its", "I don't think it's (A).", None),
    ("all-negated-then-it-is", "It is not (A) and it is not (B), so it is (C).", "C"),
    # two named answers
    ("paren-or-paren", "(A) or (B)", None),
    ("answer-paren-or-paren", "The answer is (A) or (B).", None),
    ("answer-either-or", "The answer is either (A) or (B).", None),
    ("answer-bare-or-bare", "Answer: A or B", None),
    ("answer-paren-and-paren", "The answer is (A) and (C).", None),
    ("answer-adjacent-parens", "The answer is (A)(B).", None),
    ("answer-same-letter-twice", "The answer is (B), i.e. (B).", "B"),
    ("answers-plural", "The answers are (A) and (C).", None),
    ("correct-or-correct", "(A) is correct or (B) is correct.", None),
    ("answer-or-it-is", "The answer is (A), or it is (B).", None),
    ("cannot-decide-between", "I can't decide between (A) and (B).", None),
    ("between-then-choose", "Between (A) and (B), I choose (B).", "B"),
    # echoed option lists
    ("options-list", "Options: (A) 3 (B) 4 (C) 5", None),
    ("options-five-lines", "(A) 3\n(B) 4\n(C) 5\n(D) 6\n(E) 7", None),
    ("answer-choices-label", "Answer choices: (A) yes (B) no", None),
    ("answer-colon-echoed-list", "Answer: (A) 3 (B) 4 (C) 5", None),
    ("options-then-answer", "The options are (A) 3 and (B) 4. The answer is (B).", "B"),
    ("answer-then-new-question", "The answer is (B).\nQuestion: Which is larger? (A) 1 (B) 2", None),
    # self-corrections
    ("wait-actually-it-is", "The answer is (A). Wait, actually it is (C).", "C"),
    ("actually-the-answer-is", "The answer is (A). Actually, the answer is (C).", "C"),
    ("no-wait-bare-paren", "The answer is (A). No wait, (C).", None),
    ("retracted", "The answer is (A). Hmm, that's wrong; it's not (A).", None),
    ("first-thought-then-answer", "First I thought (A), but the answer is (C).", "C"),
    ("statement-then-discusses-other", "The answer is (B), since (A) is too small.", None),
    # letters that are not options or not letters
    ("paren-past-e", "The answer is (F).", None),
    ("mentioned-then-non-option", "I considered (B), but the answer is (F).", None),
    ("paren-end-past-e", "So (G).", None),
    ("answer-is-a-word", "The answer is Paris.", None),
    ("answer-is-a-bit-tricky", "The answer is a bit tricky", None),
    ("answer-is-because-word", "The answer is Because of the rain.", None),
    ("answer-is-two-capitals", "The answer is AB.", None),
    ("answer-is-number", "I first thought (A). The answer is 42.", None),
    ("pronoun-after-answer-colon", "Answer: I think it is (B).", "B"),
    ("bare-letter-then-word", "The answer is B because 2 > 1.", None),
    ("it-is-clear-that", "It is clear that (A) is wrong.", None),
    ("it-is-x-that-is-wrong", "It is (A) that is wrong.", None),
    ("sentence-start-a", "A train leaves at 3.", None),
    ("lone-i-sentence", "I am not sure.", None),
    # position in the text and lines
    ("answer-in-the-middle", "The answer is (B). Let me double-check: 2 + 2 = 4. Yes.", "B"),
    ("answer-at-the-start", "(C) is right. 5 is larger than 3, and nothing else fits.", "C"),
    ("many-lines", "Step 1: 2 + 2 = 4.\nStep 2: 4 > 3.\nSo the answer is (D)\n", "D"),
    ("empty", "", None),
    ("whitespace", " \n\t", None),
    ("no-letters", "I do not know.", None),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


LETTER_CASES = [
    ("past-e-is-an-option", "The answer is (G).", "ABCDEFGH", "G"),
    ("i-is-an-option-bare", "Answer: I", "ABCDEFGHIJ", "I"),
    ("i-is-an-option-but-a-pronoun", "Answer: I think it is (B).", "ABCDEFGHIJ", "B"),
    ("e-not-among-four", "The answer is (E).", "ABCD", None),
    ("echo-of-four-options", "(A) 1 (B) 2 (C) 3 (D) 4. So (D).", "ABCD", None),
    ("non-option-mention-ignored", "The answer is (B). See figure (Z).", "ABCD", "B"),
]


@pytest.mark.parametrize(
    "text, letters, expected", [pytest.param(t, s, e, id=i) for i, t, s, e in LETTER_CASES]
)
def test_extract_answer_with_other_letters(text, letters, expected):
    assert extract_answer(text, letters) == expected


@dataclass
class FakeGeneration:
    text: str


ERRORS = [
    ("text-none", lambda: extract_answer(None), TypeError, ["text", "str", "NoneType"]),
    ("text-bytes", lambda: extract_answer(b"Answer: B"), TypeError, ["str", "bytes", "decode"]),
    ("text-int", lambda: extract_answer(3), TypeError, ["str", "int"]),
    (
        "text-generation-object",
        lambda: extract_answer(FakeGeneration("(B)")),
        TypeError,
        ["FakeGeneration", r"\.text"],
    ),
    (
        "texts-single-str",
        lambda: extract_answers("Answer: B"),
        TypeError,
        ["list of str", "str", r"\[text\]"],
    ),
    ("texts-none-inside", lambda: extract_answers(["(A)", None]), TypeError, [r"texts\[1\]", "NoneType"]),
    ("texts-none", lambda: extract_answers(None), TypeError, ["list of str", "NoneType"]),
    ("letters-empty", lambda: extract_answer("(A)", ""), ValueError, ["letters", "capital", "''"]),
    (
        "letters-lowercase",
        lambda: extract_answer("(A)", "abcd"),
        ValueError,
        ["letters", "capital", "'abcd'"],
    ),
    ("letters-duplicated", lambda: extract_answer("(A)", "AAB"), ValueError, ["distinct", "'AAB'"]),
    ("letters-range-syntax", lambda: extract_answer("(A)", "A-D"), ValueError, ["letters", "'A-D'"]),
    ("split-sentences-none", lambda: split_sentences(None), TypeError, ["text", "str", "NoneType"]),
    ("sentence-prefixes-bytes", lambda: sentence_prefixes(b"A. B."), TypeError, ["str", "bytes"]),
]


@pytest.mark.parametrize("call, kind, words", [pytest.param(c, k, w, id=i) for i, c, k, w in ERRORS])
def test_bad_input_is_refused(call, kind, words):
    with clear_error(*words, kind=kind):
        call()


def test_unparseable_are_counted_not_guessed():
    texts = ["The answer is (B).", "Options: (A) 3 (B) 4", "not (A)", "(A) or (C)", "", "Answer: D"]
    answers, missing = extract_answers(texts)
    assert answers == ["B", None, None, None, None, "D"]
    assert missing == 4


def test_tuple_of_texts_is_a_list_of_texts():
    assert extract_answers(("(A)", "Answer: B")) == (["A", "B"], 0)


def test_prefix_readout_never_reads_an_echoed_list():
    """Read-outs on CoT prefixes: the option list alone is no answer; the stated one is, once stated."""
    cot = "The options are (A) 3 and (B) 4. 3 + 1 = 4. So the answer is (B)."
    readout = [extract_answer(prefix) for prefix in sentence_prefixes(cot)]
    assert readout == [None, None, None, "B"]
