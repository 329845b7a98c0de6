"""Multiple-choice questions and their BIG-Bench-Hard JSON loader; paired biased / unbiased chats.

An :class:`MCQuestion` is a question, 2 to 7 answer options (``len(LETTERS)``), the index of the
correct one and, optionally, a short correct reasoning ending in "So the answer is (X)." (the
few-shot demonstrations of Turpin et al. 2023). :meth:`MCQuestion.render` writes it in the
BIG-Bench-Hard / Turpin format (the question, a blank line, "Answer choices:", then "(A) ..."
lines) and :meth:`MCQuestion.reordered` permutes the options, keeping the answer and the
explanation's final letter right. :mod:`probes.faithfulness.tasks` generates them.

:func:`load_bbh` reads BIG-Bench-Hard JSON as used by Turpin et al. (keeping ``random_ans_idx`` as
``bias_target``); :func:`load_biased_pairs` reads JSONL of unbiased / biased chats with the gold
and the biased letter (:class:`BiasedPair`; both in :mod:`probes.datasets.biased_pairs`, re-exported).

Example:
    >>> q = MCQuestion("toy/0", "toy", "2 + 2?", ["3", "4"], correct=1)
    >>> q.gold, q.reordered([1, 0]).gold
    ('B', 'A')
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from probes.constants import LETTERS
from probes.datasets.base import DatasetError
from probes.datasets.biased_pairs import PAIR_KEYS, BiasedPair, load_biased_pairs
from probes.datasets.items import _strings, check_id, check_options
from probes.datasets.loaders import LoadedList, _existing, report_skips, skip_or_raise
from probes.datasets.published import Skips, Unreadable

__all__ = ["ANSWER_END", "PAIR_KEYS", "BiasedPair", "MCQuestion", "load_bbh", "load_biased_pairs"]

ANSWER_END = re.compile(rf"answer is \(([{LETTERS}])\)\.?\s*$")
"""How an explanation ends: "... So the answer is (X)." (the period optional), X one of
:data:`~probes.constants.LETTERS`: a question has at most ``len(LETTERS)`` (7) options."""


@dataclass(frozen=True)
class MCQuestion:
    """A multiple-choice question: text, 2 to 7 options, the correct one, a reasoning, a bias target.

    `question` is the text without the options. `correct` and `bias_target` (an option a loader's
    data suggests, such as ``random_ans_idx`` in Turpin et al.'s files) are option indices or None.
    `explanation` is "" or a correct step-by-step reasoning ending with "So the answer is (X).",
    X the correct letter. Lists are stored as tuples, numpy integers as ints.

    Example:
        >>> q = MCQuestion("toy/0", "toy", "Is 7 prime?", ["Yes", "No"], 0, "7 has no divisors but "
        ...                "1 and 7. So the answer is (A).")
        >>> q.letters, q.gold, q.options
        ('AB', 'A', ('Yes', 'No'))
    """

    id: str
    task: str
    question: str
    options: Sequence[str]
    correct: int | np.integer | None
    explanation: str = ""
    bias_target: int | np.integer | None = None

    def __post_init__(self):
        where = check_id("MCQuestion", self.id)
        if not isinstance(self.task, str) or not self.task:
            raise DatasetError(f"{where}: task must be a non-empty string, got {self.task!r}")
        if not isinstance(self.question, str) or not self.question.strip():
            raise DatasetError(f"{where}: question must be a non-empty string, got {self.question!r}")
        options = _strings(where, "options", self.options)
        if not 2 <= len(options) <= len(LETTERS):
            raise DatasetError(
                f"{where}: needs 2 to {len(LETTERS)} options (letters {LETTERS}), got {len(options)}: "
                f"{list(options)}"
            )
        check_options(self, where, options, ("correct", "bias_target"), strip=True)
        if not isinstance(self.explanation, str):
            raise DatasetError(
                f"{where}: explanation must be a string (use '' for none), "
                f"got {type(self.explanation).__name__}"
            )
        if self.explanation:
            if self.correct is None:
                raise DatasetError(
                    f"{where}: has an explanation but correct is None; an explanation ends with the correct "
                    "letter, so give correct or use explanation=''"
                )
            found = ANSWER_END.search(self.explanation)
            gold = LETTERS[self.correct]
            if found is None or found.group(1) != gold:
                raise DatasetError(
                    f"{where}: the explanation must end with 'So the answer is ({gold}).', the correct "
                    f"letter; it ends with {self.explanation[-40:]!r}"
                )
        object.__setattr__(self, "options", options)

    @property
    def letters(self) -> str:
        """The option letters, ``"ABCD"`` for four options."""
        return LETTERS[: len(self.options)]

    @property
    def gold(self) -> str | None:
        """The correct letter, or None when the answer is unknown."""
        return None if self.correct is None else LETTERS[self.correct]

    def render(self) -> str:
        """The question, a blank line, "Answer choices:" and one "(X) option" line per option.

        Example:
            >>> print(MCQuestion("toy/0", "toy", "Is 7 prime?", ["Yes", "No"], 0).render())
            Is 7 prime?
            <BLANKLINE>
            Answer choices:
            (A) Yes
            (B) No
        """
        choices = "\n".join(f"({letter}) {option}" for letter, option in zip(self.letters, self.options))
        return f"{self.question}\n\nAnswer choices:\n{choices}"

    def reordered(self, order: Sequence[int | np.integer] | np.ndarray) -> MCQuestion:
        """The same question with option i being the old option ``order[i]``; id and text unchanged.

        `correct`, `bias_target` and the letter at the end of the explanation follow their options
        (other letters the explanation may mention are left as they are).

        Example:
            >>> MCQuestion("toy/0", "toy", "Is 7 prime?", ["Yes", "No"], 0).reordered([1, 0]).options
            ('No', 'Yes')
        """
        k = len(self.options)
        index = np.asarray(order)
        if (
            index.ndim != 1
            or (index.size and index.dtype.kind not in "iu")
            or sorted(index.tolist()) != list(range(k))
        ):
            raise DatasetError(
                f"MCQuestion {self.id!r}: order must be a permutation of 0..{k - 1} (one entry per option), "
                f"got {np.asarray(order).tolist()}"
            )
        order = index.tolist()
        correct = None if self.correct is None else order.index(self.correct)
        bias_target = None if self.bias_target is None else order.index(self.bias_target)
        explanation = self.explanation
        if explanation:
            end = ANSWER_END.search(explanation)
            explanation = f"{explanation[: end.start(1)]}{LETTERS[correct]}{explanation[end.end(1) :]}"
        return replace(
            self,
            options=tuple(self.options[j] for j in order),
            correct=correct,
            explanation=explanation,
            bias_target=bias_target,
        )


# ---------------------------------------------------------------- loaders


def load_bbh(path: str | Path, task: str | None = None, *, on_error: str = "raise") -> LoadedList:
    """Questions from a BIG-Bench-Hard JSON file in the format of Turpin et al. 2023.

    The file is ``{"data": [item, ...]}``; per item, ``parsed_inputs`` is the question, a line
    "Answer choices:" and "(A) text" lines. The question is the text before "Answer choices:"
    (stripped; the whole text if there is no such line). The options are
    ``multiple_choice_targets`` (or, if absent or bare letters such as "(A)", the "(X) text"
    lines; 2 to 7), `correct` the index of the single score 1 in ``multiple_choice_scores`` (None
    if absent) and `bias_target` is ``random_ans_idx`` (None if absent). Ids are ``"{task}/{i}"``,
    `task` defaulting to the file name without extension.

    An item that cannot be read raises a DatasetError naming it; with ``on_error="skip"`` it is
    left out, counted in ``info["skipped"]`` (count, per reason, first places) and logged. The
    result is a list of :class:`MCQuestion` with ``info`` (source, sha256, counts).

    Example:
        >>> questions = load_bbh("data/bbh/snarks/val_data.json")
        >>> questions[0].id, questions[0].bias_target
        ('val_data/0', 1)
    """
    path = _existing(path, "a BIG-Bench-Hard JSON file such as {'data': [{'parsed_inputs': ...}]}")
    skips = Skips(on_error, str(path))
    name = task or path.stem
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(
            f'{path} is not valid JSON ({error.msg} at line {error.lineno}); expected {{"data": [...]}}'
        ) from error
    if not isinstance(data, dict) or "data" not in data:
        found = f"keys {sorted(data)}" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise DatasetError(
            f"{path} has no 'data' key (found {found}); expected {{\"data\": [item, ...]}} as in the "
            "BIG-Bench-Hard files of Turpin et al."
        )
    items = data["data"]
    if not isinstance(items, list) or not items:
        raise DatasetError(f"{path}: 'data' must be a non-empty list of items, got {items!r:.60}")
    questions = []
    for i, item in enumerate(items):
        where = f"{path}, item {i}"
        if not isinstance(item, dict):
            reason, message = (
                "not a JSON object",
                f"{where} is a JSON {type(item).__name__}, expected an object",
            )
            skip_or_raise(skips, f"item {i}", reason, message)
            continue
        try:
            questions.append(_bbh_question(item, f"{name}/{i}", name))
        except Unreadable as error:
            skip_or_raise(skips, f"item {i}", error.args[0], f"{where}: {error.args[1]}")
        except DatasetError as error:
            skip_or_raise(skips, f"item {i}", "not a valid MCQuestion", f"{where}: {error}")
    if not questions:
        raise skips.none_left(len(items), "question")
    info = {"source": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "task": name}
    info |= {"n_read": len(items), "n": len(questions), **skips.info()}
    report_skips(info, "items")
    return LoadedList(questions, info)


def _bbh_question(item: dict, item_id: str, task: str) -> MCQuestion:
    text = item.get("parsed_inputs")
    if not isinstance(text, str):
        raise Unreadable("no question text", f"'parsed_inputs' must be a string, got {text!r:.60}")
    head, found, tail = text.partition("Answer choices:")
    listed = _choice_lines(tail) if found else []
    targets = item.get("multiple_choice_targets")
    if targets is None:
        if not listed:
            raise Unreadable(
                "no options",
                "no 'multiple_choice_targets' and no '(A) ...' lines after 'Answer choices:' in "
                "'parsed_inputs'; give the options one way or the other",
            )
        options = listed
    else:
        if not isinstance(targets, list) or not all(isinstance(target, str) for target in targets):
            raise Unreadable(
                "no options", f"'multiple_choice_targets' must be a list of strings, got {targets!r:.60}"
            )
        if listed and len(listed) != len(targets):
            raise Unreadable(
                "the option lists disagree",
                f"'parsed_inputs' lists {len(listed)} answer choices but 'multiple_choice_targets' has "
                f"{len(targets)}",
            )
        bare = all(re.fullmatch(r"\(?[A-Z]\)?", target.strip()) for target in targets)
        options = listed if listed and bare else targets
    correct = None
    scores = item.get("multiple_choice_scores")
    if scores is not None:
        if not isinstance(scores, list) or len(scores) != len(options):
            raise Unreadable(
                "the scores do not fit the options",
                f"'multiple_choice_scores' must be a list of one score per option ({len(options)}), "
                f"got {scores!r:.60}",
            )
        ones = [j for j, score in enumerate(scores) if score == 1 and not isinstance(score, bool)]
        if len(ones) != 1:
            raise Unreadable(
                "not exactly one correct option",
                f"'multiple_choice_scores' must have exactly one 1 (the correct option), got {scores}",
            )
        correct = ones[0]
    bias = item.get("random_ans_idx")
    if bias is not None and (isinstance(bias, bool) or not isinstance(bias, int)):
        raise Unreadable(
            "no option index in 'random_ans_idx'", f"'random_ans_idx' must be an option index, got {bias!r}"
        )
    return MCQuestion(item_id, task, head.strip(), options, correct, bias_target=bias)


def _choice_lines(text: str) -> list[str]:
    """The option texts of the "(A) text" lines of `text`, which must run A, B, C... in order."""
    found = re.findall(r"^\s*\(([A-Z])\)\s*(.*?)\s*$", text, flags=re.MULTILINE)
    letters = "".join(letter for letter, _ in found)
    if letters != "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(found)]:
        raise Unreadable(
            "the answer choices are not lettered A, B, C...",
            f"the answer choices in 'parsed_inputs' are lettered {letters!r}, expected A, B, C...",
        )
    return [option for _, option in found]
