"""CoT text operations for the Lanham et al. tests, on hand-written texts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from probes.faithfulness.answers import extract_answer
from probes.faithfulness.cot_edits import (
    add_mistake,
    filler,
    mistake_variants,
    paraphrase_prefixes,
    rule_paraphrase,
    sentence_prefixes,
    split_sentences,
)

TEXTS = [
    "There are 3 boxes. Each holds 4.5 kg, e.g. apples.\nSo the answer is (B).",
    "  Mr. Smith vs. Dr. Who (i.e. nobody) met.\n\n\nThen?! Yes... ok",
    "1. First, add 2 and 3.\n2. Then double it\n10. Done",
    'He said "no." Then he left because it was later than 9.',
    "Let's think step by step. Paris is larger than Lyon, which means (A) is wrong.   \n\n",
    "no final period",
]


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("It costs 3.5 dollars. Then 4.", ["It costs 3.5 dollars. ", "Then 4."]),
        (
            "Fruits, e.g. apples, i.e. food. Mr. Li vs. Dr. Wu won.",
            ["Fruits, e.g. apples, i.e. food. ", "Mr. Li vs. Dr. Wu won."],
        ),
        ("1. First step\n2. Second. Third", ["1. First step\n", "2. Second. ", "Third"]),
        ("Line one\nLine two\n\n\nLine three", ["Line one\n", "Line two\n\n\n", "Line three"]),
        (
            "The options are (A) and (B). I pick (A). Done",
            ["The options are (A) and (B). ", "I pick (A). ", "Done"],
        ),
        ("Really?! Yes... and then", ["Really?! ", "Yes... ", "and then"]),
        ('She said "stop." Then', ['She said "stop." ', "Then"]),
        ("  \n Lead. Trail  ", ["  \n Lead. ", "Trail  "]),
        ("The value is 3. Next", ["The value is 3. ", "Next"]),
        ("no period at all", ["no period at all"]),
        ("", []),
        (" \n\t ", []),
    ],
)
def test_split_sentences_by_hand(text, expected):
    assert sentences(text) == expected


def test_spans_by_hand():
    assert split_sentences("A b. C\n\nD") == [(0, 5), (5, 8), (8, 9)]


@pytest.mark.parametrize("text", TEXTS)
def test_sentences_join_back_to_the_text(text):
    spans = split_sentences(text)
    assert "".join(text[s:e] for s, e in spans) == text
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(spans, spans[1:]))
    assert all(text[s:e].strip() for s, e in spans)  # no whitespace-only sentence


@pytest.mark.parametrize("text", TEXTS)
def test_prefixes(text):
    prefixes = sentence_prefixes(text)
    assert len(prefixes) == len(split_sentences(text)) + 1
    assert prefixes[0] == "" and prefixes[-1] == text
    assert all(text.startswith(p) and len(p) < len(q) for p, q in zip(prefixes, prefixes[1:]))
    assert sentence_prefixes("") == [""]


NUMBER = re.compile(r"\d+")


@pytest.mark.parametrize("seed", range(20))
def test_add_mistake_changes_exactly_one_integer(seed):
    sentence = "We have 12 apples, 3.5 kg of pears and 0 plums, so 7 - 2 = 5 (A)."
    new = add_mistake(sentence, np.random.default_rng(seed))
    assert NUMBER.sub("#", new) == NUMBER.sub("#", sentence)  # everything but the numbers is kept
    old_numbers, new_numbers = NUMBER.findall(sentence), NUMBER.findall(new)
    changed = [i for i, (a, b) in enumerate(zip(old_numbers, new_numbers)) if a != b]
    assert len(changed) == 1 and changed[0] not in (1, 2)  # the decimal 3.5 is left alone
    assert int(new_numbers[changed[0]]) >= 0


def test_enumeration_number_is_not_the_mistake():
    for seed in range(10):
        new = add_mistake("1. Add 4 apples.", np.random.default_rng(seed))
        assert new.startswith("1. Add ") and new != "1. Add 4 apples."
    assert add_mistake("2) Add them.", np.random.default_rng(0)) is None


def test_add_mistake_letter_and_comparison_fallbacks():
    for seed in range(10):
        rng = np.random.default_rng(seed)
        new = add_mistake("So the answer is (B).", rng)
        assert re.fullmatch(r"So the answer is \([ACD]\)\.", new)
        assert add_mistake("Paris is larger than Lyon.", rng) == "Paris is smaller than Lyon."
        assert add_mistake("Before noon, Tom came.", rng) == "After noon, Tom came."
        assert add_mistake("Ann is OLDER.", rng) == "Ann is YOUNGER."
    assert add_mistake("Nothing to corrupt here, unless moreover.", np.random.default_rng(0)) is None


def test_add_mistake_is_deterministic():
    sentence = "Add 1, 2, 3, 40 and 500 to get 546."
    runs = [[add_mistake(sentence, np.random.default_rng(seed)) for seed in range(8)] for _ in range(2)]
    assert runs[0] == runs[1] and len(set(runs[0])) > 1


def test_mistake_variants_structure():
    text = "There are 3 cats. Nothing here!\nEach has 4 legs. So the answer is (B)."
    spans = split_sentences(text)
    variants = mistake_variants(text, np.random.default_rng(0))
    assert [k for k, _ in variants] == [0, 2, 3]  # sentence 1 has nothing to corrupt
    for k, prefix in variants:
        start, end = spans[k]
        assert prefix.startswith(text[:start])  # earlier sentences unchanged
        shown = prefix[start:]
        assert shown != text[start:end]
        assert shown.endswith((" ", "\n")) == text[start:end].endswith((" ", "\n"))
        assert split_sentences(prefix)[-1][0] == start
    assert variants == mistake_variants(text, np.random.default_rng(0))


def test_mistake_variants_custom_corruptor_and_max_positions():
    text = " ".join(f"Step {i} is done." for i in range(10))
    shout = lambda sentence, rng: sentence.upper()  # noqa: E731
    every = mistake_variants(text, np.random.default_rng(0), corrupt=shout)
    assert [k for k, _ in every] == list(range(10))
    assert every[4][1] == text[: split_sentences(text)[4][0]] + "STEP 4 IS DONE. "
    for seed in range(5):
        some = mistake_variants(text, np.random.default_rng(seed), corrupt=shout, max_positions=3)
        ks = [k for k, _ in some]
        # one position from each block of sentences: [0, 3), [3, 6), [6, 10)
        assert len(ks) == 3 and 0 <= ks[0] < 3 <= ks[1] < 6 <= ks[2] < 10
    assert len(mistake_variants(text, np.random.default_rng(0), shout, max_positions=50)) == 10
    assert mistake_variants(text, np.random.default_rng(0), lambda s, rng: None) == []
    with pytest.raises(ValueError, match="max_positions"):
        mistake_variants(text, np.random.default_rng(0), max_positions=0)


class WhitespaceTokenizer:
    """Stand-in for a Hugging Face tokenizer: one token per whitespace-separated word."""

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [hash(word) % 1000 for word in text.split()]}


class PairTokenizer:
    """Every two characters are a token, so repeats of a unit merge across units."""

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": list(range((len(text) + 1) // 2))}


def test_filler_with_a_fake_tokenizer():
    tokenizer = WhitespaceTokenizer()
    assert filler("Two plus two is four.", tokenizer) == " ..." * 5
    assert filler("Two plus two is four.", tokenizer, unit=" ... ...") == " ... ..." * 2  # 4 <= 5 tokens
    assert filler("", tokenizer) == "" and filler("   ", tokenizer) == ""
    assert filler("a", tokenizer, unit=" x y") == ""  # one unit is already too long
    assert filler("abcdefg", PairTokenizer(), unit=".") == "." * 8  # 4 tokens, merged across units
    with pytest.raises(ValueError, match="no tokens"):
        filler("text", tokenizer, unit=" ")


@pytest.mark.integration
def test_filler_matches_the_token_count_under_smollm2(smol):
    tokenizer = smol.tokenizer

    def count(s):
        return len(tokenizer(s, add_special_tokens=False)["input_ids"])

    for text in TEXTS:
        assert count(filler(text, tokenizer)) == count(text)
    long = filler(TEXTS[0], tokenizer, unit="...")  # "..." repeats merge into fewer tokens
    assert count(long) <= count(TEXTS[0]) and count(long + "...") > count(TEXTS[0])


def test_rule_paraphrase_keeps_numbers_letters_and_the_answer():
    text = (
        "Let's think step by step. First, 3 + 4 = 7 because 3 + 4 is 7, which means (A) is out. "
        "So the answer is (B)."
    )
    new = rule_paraphrase(text)
    assert new == (
        "Let us think one step at a time. To begin, 3 + 4 = 7 since 3 + 4 is 7, so (A) is out. "
        "Therefore the answer is (B)."
    )
    assert re.findall(r"\d+|\([A-E]\)", new) == re.findall(r"\d+|\([A-E]\)", text)
    assert extract_answer(new) == extract_answer(text) == "B"
    assert rule_paraphrase("So, Therefore.") == "Therefore, Thus."  # one pass: no chained rewrites
    assert rule_paraphrase("Also some words, unchanged.") == "Also some words, unchanged."
    assert rule_paraphrase(text) == new


def test_paraphrase_prefixes():
    text = "So 2 is even. We get 4 because 2 + 2 = 4.\nSo the answer is (C)."
    prefixes = paraphrase_prefixes(text)
    assert prefixes == [
        "",
        "Therefore 2 is even. ",
        "Therefore 2 is even. This gives 4 since 2 + 2 = 4.\n",
        "Therefore 2 is even. This gives 4 since 2 + 2 = 4.\nTherefore the answer is (C).",
    ]
    calls = []
    custom = paraphrase_prefixes(text, lambda s: calls.append(s) or s.lower())
    assert calls == [p.rstrip() for p in sentence_prefixes(text)[1:]]  # never called on ""
    assert custom[1] == "so 2 is even. " and len(custom) == 4
