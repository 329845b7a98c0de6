"""Load labelled prompts from formats researchers already have.

- :func:`from_csv`: Geometry-of-Truth style CSV, columns ``statement`` and ``label`` (others
  ignored); one group per row.
- :func:`from_model_written_evals`: Anthropic model-written-evals JSONL.
- :func:`from_caa_json`: Contrastive Activation Addition A/B JSON (a list of objects).
- :func:`choices_from_ab`: either A/B format as a :class:`~probes.datasets.choices.ChoiceSet`
  (one item per question, the two answers as options), for the sycophancy pipeline.

The A/B loaders read objects with ``question``, ``answer_matching_behavior`` and
``answer_not_matching_behavior`` (a string such as ``" (A)"``, or a list whose first element
is used). In a Dataset, each item gives two prompts sharing a group: ``question +
answer_matching_behavior`` (label 1), then ``question + answer_not_matching_behavior`` (label
0). The strings are joined as they are, with no separator added.

Example:
    >>> ds = from_csv("cities.csv")                         # name "cities"
    >>> ds = from_model_written_evals("corrigible-neutral-HHH.jsonl")
    >>> train, test = ds.split((0.8, 0.2))                  # both answers to a question together
    >>> choices = choices_from_ab("sycophancy_on_nlp_survey.jsonl")   # options (" (A)", " (B)")
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from probes.datasets.base import Dataset, DatasetError
from probes.datasets.choices import ChoiceItem, ChoiceSet
from probes.datasets.published import Skips

log = logging.getLogger(__name__)

CSV_COLUMNS = ("statement", "label")
ROLES = ("system", "user", "assistant")
AB_KEYS = ("question", "answer_matching_behavior", "answer_not_matching_behavior")
_TRUE = {"1", "true", "1.0"}
_FALSE = {"0", "false", "0.0"}


def from_csv(path: str | Path, name: str | None = None) -> Dataset:
    """A dataset from a CSV with a header naming ``statement`` and ``label`` columns.

    Labels may be 0/1, "0"/"1" or true/false (any case). Group = row index, so every
    statement is its own group. `name` defaults to the file name without extension.

    Example:
        >>> ds = from_csv("data/cities.csv")
        >>> ds.name, ds.prompts[0], ds.labels[0]
        ('cities', 'The city of Krasnodar is in Russia.', 1)
    """
    path = _existing(path, "a CSV file with 'statement' and 'label' columns")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        if not header:
            raise DatasetError(
                f"{path} is empty; expected a CSV with a header row naming {', '.join(CSV_COLUMNS)}"
            )
        missing = [column for column in CSV_COLUMNS if column not in header]
        if missing:
            raise DatasetError(
                f"{path}: the header has no {' or '.join(repr(m) for m in missing)} column; "
                f"expected {', '.join(CSV_COLUMNS)}, found {header}. Rename the columns in the header row"
            )
        prompts, labels = [], []
        for row in reader:
            line = reader.line_num
            statement, label = row.get("statement"), row.get("label")
            if statement is None or label is None:
                raise DatasetError(f"{path}, line {line}: the row is too short; it has no statement or label")
            if not statement.strip():
                raise DatasetError(
                    f"{path}, line {line}: the statement is empty; remove the row or fill it in"
                )
            prompts.append(statement)
            labels.append(_parse_label(label, f"{path}, line {line}"))
    if not prompts:
        raise DatasetError(f"{path} has a header but no rows; expected at least one statement")
    return Dataset(
        name=name or path.stem,
        prompts=prompts,
        labels=labels,
        groups=list(range(len(prompts))),
        info={"source": str(path), "format": "csv", "n": len(prompts), "columns": list(header)},
    )


def from_model_written_evals(path: str | Path, name: str | None = None) -> Dataset:
    """A dataset from Anthropic model-written-evals JSONL: one JSON object per line.

    Blank lines are skipped. Each object gives a matching (label 1) and a non-matching
    (label 0) prompt in one group. `name` defaults to the file name without extension.

    Example:
        >>> ds = from_model_written_evals("sycophancy_on_nlp_survey.jsonl")
        >>> ds.prompts[0].endswith(" (A)"), ds.labels[:2].tolist()
        (True, [1, 0])
    """
    path = _existing(path, "a JSONL file with one JSON object per line")
    items = read_jsonl(path)
    return _ab_dataset(items, name=name or path.stem, source=path, fmt="model_written_evals")


def from_caa_json(path: str | Path, name: str | None = None) -> Dataset:
    """A dataset from a CAA A/B JSON file: a list of objects with the A/B keys.

    Each object gives a matching (label 1) and a non-matching (label 0) prompt in one group.
    `name` defaults to the file name without extension.

    Example:
        >>> ds = from_caa_json("generate_dataset.json")
        >>> len(ds) == 2 * len(json.load(open("generate_dataset.json")))
        True
    """
    path = _existing(path, "a JSON file holding a list of objects")
    items = _read_caa(path)
    return _ab_dataset(items, name=name or path.stem, source=path, fmt="caa")


def choices_from_ab(path: str | Path, name: str | None = None) -> ChoiceSet:
    """A :class:`ChoiceSet` from an A/B file: model-written-evals ``.jsonl`` or CAA ``.json``.

    Each object becomes one item in its own group: task = `name` (default: the file name
    without extension), condition ``"loaded"``, turns = (question,), no assistant prefix,
    options = (answer_matching_behavior, answer_not_matching_behavior) as given (e.g.
    ``" (A)"``, ``" (B)"``), ``suggested`` = 0 (the behaviour-matching answer is the one the
    user pushes) and ``correct`` = None. The file is read and checked as by
    :func:`from_model_written_evals` and :func:`from_caa_json`.

    Example:
        >>> choices = choices_from_ab("sycophancy_on_nlp_survey.jsonl")
        >>> choices[0].options, choices[0].suggested
        ((' (A)', ' (B)'), 0)
    """
    path = Path(path)
    suffix = path.suffix.casefold()
    if suffix == ".jsonl":
        path = _existing(path, "a JSONL file with one JSON object per line")
        items, fmt = read_jsonl(path), "model_written_evals"
    elif suffix == ".json":
        path = _existing(path, "a JSON file holding a list of objects")
        items, fmt = _read_caa(path, hint="for one object per line name the file .jsonl"), "caa"
    else:
        raise DatasetError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; expected '.jsonl' "
            "(model-written evals, one object per line) or '.json' (CAA, a list of objects)"
        )
    task = name or path.stem
    choices = []
    for group, (where, question, matching, not_matching) in enumerate(_ab_triples(items)):
        if matching == not_matching:
            raise DatasetError(
                f"{where}: answer_matching_behavior and answer_not_matching_behavior are both "
                f"{matching!r}; the two answers must differ"
            )
        choices.append(
            ChoiceItem(
                id=f"{task}/{group}",
                group=group,
                task=task,
                condition="loaded",
                turns=(question,),
                assistant_prefix="",
                options=(matching, not_matching),
                correct=None,
                suggested=0,
            )
        )
    return ChoiceSet(
        name=task,
        items=choices,
        info={"source": str(path), "format": fmt, "n": len(items), "keys": list(AB_KEYS)},
    )


def read_jsonl(
    path: Path, keys: Sequence[str] = AB_KEYS, skips: Skips | None = None
) -> list[tuple[str, object]]:
    """(where, object) for each non-blank line of a JSONL file; `where` is "<path>, line <n>".

    A line that is not JSON raises, or with `skips` (a :class:`~probes.datasets.published.Skips`)
    goes to ``skips.fail`` (raised or counted as "not valid JSON", as ``skips.on_error`` says).
    """
    items = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {line_number}"
            try:
                items.append((where, json.loads(line)))
            except json.JSONDecodeError as error:
                message = f"{where} is not valid JSON ({error.msg}); expected one object per line"
                if skips is None:
                    raise DatasetError(message) from error
                skip_or_raise(skips, f"line {line_number}", "not valid JSON", message)
    if not items and not (skips and skips.reasons):
        raise DatasetError(f"{path} is empty; expected one JSON object per line with keys {', '.join(keys)}")
    return items


class LoadedList(list):
    """A loader's items as a plain list, with how they were read in ``info`` (source, sha256, counts,
    and with ``on_error="skip"`` what was skipped: ``info["skipped"]`` = count, reasons, first places).

    Example:
        >>> pairs = load_biased_pairs("pairs.jsonl", on_error="skip")
        >>> len(pairs), pairs.info["skipped"]["count"], pairs.info["skipped"]["reasons"]
        (815, 2, {"'biased_option' is not a single capital letter": 1, ...})
    """

    def __init__(self, items=(), info: dict | None = None):
        super().__init__(items)
        self.info = dict(info or {})


def report_skips(info: dict, what: str) -> None:
    """Log a warning naming the skipped count and reasons, so that skipping is never silent."""
    skipped = info.get("skipped", {})
    if skipped.get("count"):
        log.warning(
            "%s: skipped %d of %d %s (%s); see info['skipped']",
            info.get("source"),
            skipped["count"],
            info.get("n_read", 0),
            what,
            ", ".join(f"{reason}: {n}" for reason, n in skipped["reasons"].items()),
        )


def skip_or_raise(skips: Skips, place: str, reason: str, message: str) -> None:
    """Raise a DatasetError with `message` (``on_error="raise"``) or count `reason` at `place`.

    `message` names the file and the place; with ``on_error="skip"`` it is kept (without the file)
    among the first few examples of ``info["skipped"]``.
    """
    if skips.on_error == "raise":
        raise DatasetError(
            f"{message}; pass on_error='skip' to leave such entries out (counted in info['skipped'])"
        )
    skips.fail(place, reason, message.removeprefix(f"{skips.source}, "))


def check_chat(where: str, messages: Any) -> tuple[dict, ...]:
    """`messages` as a tuple of plain ``{"role", "content"}`` dicts, or a DatasetError saying why not."""
    if isinstance(messages, (str, dict)) or not isinstance(messages, Sequence) or not messages:
        raise DatasetError(
            f"{where} must be a non-empty list of {{'role', 'content'}} messages, got {messages!r:.60}"
        )
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise DatasetError(f"{where}, message {i} is a {type(message).__name__}, expected an object")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise DatasetError(f"{where}, message {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise DatasetError(
                f"{where}, message {i} must have non-empty string content, got {content!r:.60}"
            )
        out.append({"role": role, "content": content})
    return tuple(out)


def check_letter(where: str, value: Any) -> str:
    """`value` if it is one capital letter such as "A", else a DatasetError."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]", value):
        raise DatasetError(f"{where} must be a single capital letter such as 'A', got {value!r}")
    return value


def _read_caa(
    path: Path, hint: str = "for one object per line use from_model_written_evals"
) -> list[tuple[str, object]]:
    """(where, object) for each element of a JSON list."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DatasetError(f"{path} is empty; expected a JSON list of objects with keys {', '.join(AB_KEYS)}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno}); expected a list of objects"
        ) from error
    if not isinstance(data, list):
        raise DatasetError(
            f"{path} holds a JSON {type(data).__name__}, expected a list of objects with keys "
            f"{', '.join(AB_KEYS)}; {hint}"
        )
    if not data:
        raise DatasetError(f"{path} holds an empty list; expected at least one object")
    return [(f"{path}, item {i}", item) for i, item in enumerate(data)]


def _ab_triples(items: list[tuple[str, object]]) -> Iterator[tuple[str, str, str, str]]:
    """(where, question, matching answer, non-matching answer) per (where, item), checked."""
    for where, item in items:
        if not isinstance(item, dict):
            raise DatasetError(
                f"{where} is a JSON {type(item).__name__}, expected an object with keys {', '.join(AB_KEYS)}"
            )
        missing = [key for key in AB_KEYS if key not in item]
        if missing:
            raise DatasetError(
                f"{where} has no {' or '.join(repr(m) for m in missing)} key; expected keys "
                f"{', '.join(AB_KEYS)}, found {sorted(item)}"
            )
        question = item["question"]
        if not isinstance(question, str):
            raise DatasetError(f"{where}: 'question' must be a string, got {type(question).__name__}")
        matching, not_matching = (
            _answer(item[key], f"{where}, {key!r}")
            for key in ("answer_matching_behavior", "answer_not_matching_behavior")
        )
        yield where, question, matching, not_matching


def _ab_dataset(items: list[tuple[str, object]], *, name: str, source: Path, fmt: str) -> Dataset:
    """Two prompts per (where, item): question + matching answer (1), question + other answer (0)."""
    prompts, labels, groups = [], [], []
    for group, (_, question, matching, not_matching) in enumerate(_ab_triples(items)):
        for answer, label in ((matching, 1), (not_matching, 0)):
            prompts.append(question + answer)
            labels.append(label)
            groups.append(group)
    return Dataset(
        name=name,
        prompts=prompts,
        labels=labels,
        groups=groups,
        info={"source": str(source), "format": fmt, "n": len(items), "keys": list(AB_KEYS)},
    )


def _answer(value: object, where: str) -> str:
    """An answer string, or the first of a list of them."""
    if isinstance(value, list):
        if not value:
            raise DatasetError(f"{where} is an empty list; expected an answer string such as ' (A)'")
        value = value[0]
    if not isinstance(value, str):
        raise DatasetError(f"{where} is a {type(value).__name__}, expected a string such as ' (A)'")
    return value


def _parse_label(value: object, where: str) -> int:
    """0 or 1 from 0/1, "0"/"1", True/False or "true"/"false" (any case)."""
    text = str(value).strip().casefold()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise DatasetError(
        f"{where}: label {value!r} is not 0/1 or true/false; expected 1 for a true statement, 0 for false"
    )


def _existing(path: str | Path, expected: str) -> Path:
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"{path} {what}; expected {expected}")
    return path
