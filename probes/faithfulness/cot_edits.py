"""Text operations on a chain of thought for the Lanham et al. (2023) faithfulness tests.

Every test edits the CoT and asks the model to answer (or continue) from the edited text:

- early answering: :func:`sentence_prefixes` gives the CoT truncated after 0, 1, ..., n of its n
  sentences (:func:`split_sentences` documents what a sentence is);
- adding a mistake: :func:`mistake_variants` gives, per sentence k, the CoT up to sentence k with a
  mistake written into sentence k, for the model to continue; the default corruptor
  :func:`add_mistake` is rule-based (Lanham et al. had a model write the mistake; any
  :data:`Corruptor` plugs in);
- filler tokens: :func:`filler` gives " ..." repeated to the CoT's token count;
- paraphrasing: :func:`paraphrase_prefixes` gives the paraphrase of the first k sentences; the
  default :func:`rule_paraphrase` only swaps a few stock phrases, a weak stand-in for the model-based
  paraphraser researchers should plug in (any :data:`Paraphraser`).

Everything is deterministic: randomness comes from the `numpy.random.Generator` passed in.

Example:
    >>> cot = "There are 3 boxes. Each holds 4.5 kg, e.g. apples.\\nSo the answer is (B)."
    >>> [cot[s:e] for s, e in split_sentences(cot)]
    ['There are 3 boxes. ', 'Each holds 4.5 kg, e.g. apples.\\n', 'So the answer is (B).']
    >>> add_mistake("There are 3 boxes.", np.random.default_rng(0))
    'There are 11 boxes.'
    >>> rule_paraphrase("So the answer is (B).")
    'Therefore the answer is (B).'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from probes.faithfulness.drafts import OPTION_LETTERS

Corruptor = Callable[[str, np.random.Generator], str | None]
"""Writes a mistake into one sentence (given without surrounding whitespace), or returns None."""

Paraphraser = Callable[[str], str]
"""Rewrites a text keeping its meaning (and its numbers, option letters and answer statement)."""

ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "cf.", "approx.", "fig.", "eq."}
)
"""Words whose final period does not end a sentence (compared lower-cased)."""

_CLOSERS = "\"')]}\u2019\u201d"
_OPENERS = "\"'([{\u2018\u201c"


def split_sentences(text: Any) -> list[tuple[int, int]]:  # a str; checked by hand
    """Character spans ``[start, end)`` of the sentences of `text`, covering it exactly.

    Rules:

    - a sentence ends after a run of ".", "!" or "?" (plus any closing quotes or brackets) that is
      followed by whitespace or the end of the text, and after every newline;
    - the whitespace after a sentence end (a blank-line run included) belongs to that sentence, and
      leading whitespace to the first sentence, so the spans joined give back `text`;
    - a period does not end a sentence after an abbreviation of :data:`ABBREVIATIONS` ("e.g.",
      "i.e.", "Mr.", "Dr.", "vs.", ...), nor after an enumeration number at the start of a line
      ("1. First step" is one sentence); a decimal point ("3.5") is never followed by whitespace,
      and an option "(A)" holds no sentence end, so neither is split;
    - text after the last sentence end is a sentence of its own (no final period needed).

    Empty or whitespace-only text has no sentences.

    Example:
        >>> split_sentences("1. Add 2.5 and 1.\\n2. Done")
        [(0, 18), (18, 25)]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (a chain of thought), got {type(text).__name__}")
    n = len(text)
    i = n - len(text.lstrip())
    if i == n:
        return []
    spans, start = [], 0
    while i < n:
        if text[i] == "\n":
            end = i + 1
        elif text[i] in ".!?":
            end = i + 1
            while end < n and text[end] in ".!?":
                end += 1
            while end < n and text[end] in _CLOSERS:
                end += 1
            if (end < n and not text[end].isspace()) or (end == i + 1 and not _period_ends(text, i)):
                i = end
                continue
        else:
            i += 1
            continue
        while end < n and text[end].isspace():
            end += 1
        spans.append((start, end))
        start = i = end
    if start < n:
        spans.append((start, n))
    return spans


def _period_ends(text: str, i: int) -> bool:
    """Whether the lone "." at `i` ends a sentence (not an abbreviation or a line's enumeration)."""
    first = i
    while first > 0 and not text[first - 1].isspace():
        first -= 1
    word = text[first : i + 1].lstrip(_OPENERS)
    if word.lower() in ABBREVIATIONS:
        return False
    line_start = text.rfind("\n", 0, first) + 1
    return not (word[:-1].isdigit() and not text[line_start:first].strip())


def sentence_prefixes(text: Any) -> list[str]:  # a str; checked by split_sentences
    """The n + 1 truncations of a CoT of n sentences: "" (nothing shown), then after each sentence.

    Prefix k is ``text[:end of sentence k - 1]`` (trailing whitespace included); the last is `text`.

    Example:
        >>> sentence_prefixes("A is 1. B is 2.")
        ['', 'A is 1. ', 'A is 1. B is 2.']
    """
    return [""] + [text[:end] for _, end in split_sentences(text)]


_INTEGER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?!\w|\.\d)")
_ENUMERATION = re.compile(r"\s*\d+[.)]\s")
_OPTION = re.compile(r"\(([A-E])\)")
_OPPOSITES = {
    "larger": "smaller",
    "bigger": "smaller",
    "smaller": "larger",
    "largest": "smallest",
    "biggest": "smallest",
    "smallest": "largest",
    "greater": "less",
    "more": "less",
    "less": "more",
    "fewer": "more",
    "most": "least",
    "least": "most",
    "before": "after",
    "after": "before",
    "earlier": "later",
    "later": "earlier",
    "older": "younger",
    "younger": "older",
    "oldest": "youngest",
    "youngest": "oldest",
    "higher": "lower",
    "lower": "higher",
    "highest": "lowest",
    "lowest": "highest",
    "taller": "shorter",
    "shorter": "longer",
    "longer": "shorter",
    "heavier": "lighter",
    "lighter": "heavier",
    "faster": "slower",
    "slower": "faster",
    "above": "below",
    "below": "above",
}
"""Comparison words and the opposite :func:`add_mistake` writes in their place."""
_COMPARISON = re.compile(r"\b(" + "|".join(sorted(_OPPOSITES, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def add_mistake(sentence: str, rng: np.random.Generator) -> str | None:
    """`sentence` with one rule-based mistake written in, or None when no rule applies.

    The first rule that finds something applies, to one occurrence chosen with `rng`:

    1. an integer (digits, optionally grouped "1,000"; not part of a decimal or a word, nor the
       enumeration number of "1. ..." / "1) ...") becomes a different nearby integer, never negative:
       ±1..9 or doubled;
    2. an option letter "(X)" becomes "(Y)", another letter among A-D;
    3. a comparison word (larger/smaller, more/less, before/after, older/younger, ...; see
       ``_OPPOSITES``) becomes its opposite, with the same capitalization.

    The rest of the sentence is kept byte for byte.

    Example:
        >>> add_mistake("Tom is older than Ann.", np.random.default_rng(0))
        'Tom is younger than Ann.'
    """
    enumeration = _ENUMERATION.match(sentence)
    skip = enumeration.end() if enumeration else 0
    integers = [m for m in _INTEGER.finditer(sentence) if m.start() >= skip]
    if integers:
        match = integers[int(rng.integers(len(integers)))]
        value = int(match.group().replace(",", ""))
        candidates = sorted(({value + d for d in range(-9, 10) if value + d >= 0} | {2 * value}) - {value})
        new = int(candidates[int(rng.integers(len(candidates)))])
        written = f"{new:,}" if "," in match.group() else str(new)
        return sentence[: match.start()] + written + sentence[match.end() :]
    options = list(_OPTION.finditer(sentence))
    if options:
        match = options[int(rng.integers(len(options)))]
        others = [letter for letter in OPTION_LETTERS if letter != match.group(1)]
        new = others[int(rng.integers(len(others)))]
        return sentence[: match.start(1)] + new + sentence[match.end(1) :]
    words = list(_COMPARISON.finditer(sentence))
    if words:
        match = words[int(rng.integers(len(words)))]
        opposite = _same_case(match.group(), _OPPOSITES[match.group().lower()])
        return sentence[: match.start()] + opposite + sentence[match.end() :]
    return None


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[0].isupper() else word


def mistake_variants(
    text: str,
    rng: np.random.Generator,
    corrupt: Corruptor = add_mistake,
    max_positions: int | None = None,
) -> list[tuple[int, str]]:
    """``[(k, prefix), ...]``: the CoT up to sentence k, with a mistake written into sentence k.

    Sentences 0..k-1 are unchanged; sentence k is passed to `corrupt` without its surrounding
    whitespace, which is put back (so ``prefix`` ends like ``sentence_prefixes(text)[k + 1]``; strip
    it before generation if a trailing space confuses the tokenizer). The model then continues from
    ``prefix``. With `max_positions`, at most that many positions are tried: one drawn with `rng`
    from each of `max_positions` equal consecutive blocks of sentences, so they spread over the CoT.
    Positions where `corrupt` returns None (or the sentence unchanged) are skipped, so fewer may come
    back. Positions are increasing.

    Example:
        >>> mistake_variants("It has 2 legs. So (A).", np.random.default_rng(0))
        [(0, 'It has 10 legs. '), (1, 'It has 2 legs. So (C).')]
    """
    spans = split_sentences(text)
    n = len(spans)
    if max_positions is not None and max_positions < 1:
        raise ValueError(
            f"max_positions must be at least 1 (or None for every sentence), got {max_positions}"
        )
    if max_positions is None or max_positions >= n:
        positions = list(range(n))
    else:
        edges = [b * n // max_positions for b in range(max_positions + 1)]
        positions = [int(rng.integers(lo, hi)) for lo, hi in zip(edges[:-1], edges[1:])]
    variants = []
    for k in positions:
        start, end = spans[k]
        sentence = text[start:end]
        core = sentence.strip()
        lead = sentence[: len(sentence) - len(sentence.lstrip())]
        corrupted = corrupt(core, rng)
        if corrupted is None or corrupted == core:
            continue
        variants.append((k, text[:start] + lead + corrupted + sentence[len(lead) + len(core) :]))
    return variants


def filler(text: str, tokenizer: Callable, unit: str = " ...") -> str:
    """`unit` repeated to as many tokens as `text` has under `tokenizer` (a Hugging Face tokenizer).

    Tokens are counted as ``len(tokenizer(s, add_special_tokens=False)["input_ids"])``. The repeat
    count is the largest whose token count does not exceed the text's: exactly the text's count when
    `unit` is one token (and repeats do not merge), else the closest count not above it, possibly
    "" when one `unit` is already too long. Empty text gives "".

    Example:
        >>> filler("Two plus two is four.", model.tokenizer)     # 6 tokens for SmolLM2
        ' ... ... ... ... ... ...'
    """

    def count(s: str) -> int:
        return len(tokenizer(s, add_special_tokens=False)["input_ids"]) if s else 0

    target = count(text)
    per_unit = count(unit)
    if per_unit == 0:
        raise ValueError(f"the filler unit {unit!r} has no tokens")
    if target == 0:
        return ""
    fits, too_many = 0, max(1, -(-target // per_unit))  # repeats known to fit / to exceed
    while count(unit * too_many) <= target:
        fits, too_many = too_many, 2 * too_many
        if too_many > 1 << 24:
            raise ValueError(f"repeating {unit!r} never exceeds {target} tokens under this tokenizer")
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        if count(unit * middle) <= target:
            fits = middle
        else:
            too_many = middle
    return unit * fits


_PARAPHRASES = {
    "So": "Therefore",
    "Therefore": "Thus",
    "First,": "To begin,",
    "Firstly,": "To begin,",
    "Next,": "After that,",
    "Finally,": "Lastly,",
    "However,": "That said,",
    "we get": "this gives",
    "We get": "This gives",
    "which means": "so",
    "means that": "implies that",
    "Let's": "Let us",
    "let's": "let us",
    "Let\u2019s": "Let us",
    "let\u2019s": "let us",
    "because": "since",
    "Because": "Since",
    "I think": "I believe",
    "we need to": "we have to",
    "We need to": "We have to",
    "step by step": "one step at a time",
    "In total,": "Altogether,",
    "is equal to": "equals",
}
"""The phrases :func:`rule_paraphrase` rewrites (case-sensitive, whole words, in one pass)."""
_PHRASES = "|".join(re.escape(phrase) for phrase in sorted(_PARAPHRASES, key=len, reverse=True))
_PARAPHRASE = re.compile(rf"(?<![\w'\u2019])({_PHRASES})(?!\w)")


def rule_paraphrase(text: str) -> str:
    """`text` with the stock phrases of ``_PARAPHRASES`` rewritten ("So" -> "Therefore", ...).

    Deterministic, one pass (a rewrite is never rewritten again). Numbers, option letters "(X)" and
    the final-answer statement ("the answer is (X)") are never touched, nor is any other word. This
    is a weak stand-in that changes wording only: plug a model-based :data:`Paraphraser` into
    :func:`paraphrase_prefixes` for the real test.

    Example:
        >>> rule_paraphrase("First, we get 12 because 3 * 4 = 12.")
        'To begin, this gives 12 since 3 * 4 = 12.'
    """
    return _PARAPHRASE.sub(lambda m: _PARAPHRASES[m.group(1)], text)


def paraphrase_prefixes(text: str, paraphraser: Paraphraser = rule_paraphrase) -> list[str]:
    """For k = 0..n, the paraphrase of the first k of the n sentences (Lanham et al.: paraphrase the
    shown part, then force the answer).

    Entry 0 is "" (the paraphraser is not called); each prefix of :func:`sentence_prefixes` is
    paraphrased without its trailing whitespace, which is put back after.
    """
    out = [""]
    for prefix in sentence_prefixes(text)[1:]:
        body = prefix.rstrip()
        out.append(paraphraser(body) + prefix[len(body) :])
    return out
