"""BIG-Bench-Hard tasks from their BIG-bench source files, as :class:`MCQuestion` objects.

The BIG-bench source (``bigbench`` 1.0.0 on PyPI, Apache-2.0) holds each task's examples in
``bigbench/benchmark_tasks/<task>/task.json``: ``{"task_prefix"?, "example_input_prefix"?,
"examples": [{"input", "target_scores": {option: 0 or 1}}]}``. BBH (Suzgun et al. 2022) took 250
examples of 23 such tasks and reworded some; :func:`bbh_task` reads all the source examples of the
multiple-choice ones (:data:`BBH_TASKS`), not BBH's own files.

Where the data comes from: the PyPI release is a 358 MB source archive (1.9 GB unpacked) that
pip cannot install or even download (it declares a direct-URL dependency, which pip refuses for
packages from PyPI). So `path` is one of: the archive ``bigbench-1.0.0.tar.gz`` itself (read
without unpacking: 7-8 s here, the gzip stream is read up to the task), a directory holding
``benchmark_tasks/`` (e.g. the unpacked archive or a BIG-bench checkout), or one ``task.json``.
Without `path`, an installed ``bigbench`` distribution is used, else the path in the environment
variable ``PROBES_BIGBENCH``, else the BBH task files that ``make install`` fetched into the cache
(``python -m probes.datasets.fetch bigbench``: the archive is downloaded from PyPI, its sha256
checked, and only the 19 tasks' ``task.json`` files kept, 30 MB).

Example:
    >>> task = bbh_task("snarks", path="bigbench-1.0.0.tar.gz")
    >>> len(task), task[0].options, task.info["sha256"][:12]
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from probes.constants import LETTERS
from probes.datasets.base import DatasetError, json_info
from probes.datasets.mcq import MCQuestion
from probes.datasets.published import Skips, Unreadable

BIGBENCH = "bigbench"
BIGBENCH_VERSION = "1.0.0"
BIGBENCH_ARCHIVE_SHA256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"
"""sha256 of ``bigbench-1.0.0.tar.gz`` (358,249,635 bytes), as published on PyPI."""
ENV_VAR = "PROBES_BIGBENCH"

_OBJECTS = ("three", "five", "seven")
BBH_TASKS = {
    "causal_judgement": "causal_judgment",
    "date_understanding": "date_understanding",
    "disambiguation_qa": "disambiguation_qa",
    "formal_fallacies": "formal_fallacies_syllogisms_negation",
    "hyperbaton": "hyperbaton",
    **{f"logical_deduction_{k}_objects": f"logical_deduction/{k}_objects" for k in _OBJECTS},
    "movie_recommendation": "movie_recommendation",
    "navigate": "navigate",
    "penguins_in_a_table": "penguins_in_a_table",
    "ruin_names": "ruin_names",
    "salient_translation_error_detection": "salient_translation_error_detection",
    "snarks": "snarks",
    "sports_understanding": "sports_understanding",
    "temporal_sequences": "temporal_sequences",
    **{f"tracking_shuffled_objects_{k}_objects": f"tracking_shuffled_objects/{k}_objects" for k in _OBJECTS},
}
"""BBH's multiple-choice task names -> their folder under ``bigbench/benchmark_tasks``. Left out:
the tasks BBH made free-form (boolean_expressions, dyck_languages, multistep_arithmetic_two,
object_counting, word_sorting, web_of_lies) and those whose source items have several correct
options (geometric_shapes, reasoning_about_colored_objects)."""

_BARE = re.compile(r"\(?([A-Za-z])\)?")


@dataclass(frozen=True)
class MCTask:
    """A task's questions (a tuple of :class:`MCQuestion`) with how they were read in `info`.

    Iterating, ``len`` and indexing go to the questions, so it stands in for a list.

    Example:
        >>> task = bbh_task("navigate", path=archive)
        >>> [q.gold for q in task[:3]], task.info["skipped"]["count"]
    """

    name: str
    questions: tuple[MCQuestion, ...]
    info: dict

    def __post_init__(self):
        object.__setattr__(self, "questions", tuple(self.questions))
        object.__setattr__(self, "info", json_info(f"MCTask {self.name!r}", self.info))

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[MCQuestion]:
        return iter(self.questions)

    def __getitem__(self, index):
        return self.questions[index]


def bbh_task(name: str, path=None, *, shuffle: bool = True, seed: int = 0, on_error: str = "raise") -> MCTask:
    """The multiple-choice questions of a BBH task, read from the BIG-bench source task file.

    Per example: question = ``task_prefix + example_input_prefix + input`` (stripped); options =
    the keys of ``target_scores`` (when they are bare letters such as ``"(a)"``, as in snarks and
    hyperbaton, the option texts are taken from the input and the question is the text before
    them); correct = the option scored 1. The source often lists the correct option first
    (date_understanding: 364 of 369; temporal_sequences: always), so ``shuffle=True`` permutes
    each question's options with ``default_rng((seed, i))`` for example i (``shuffle=False``
    keeps the source order). Ids are ``"{name}/{i}"``, i the example's index in the file.

    Up to ``len(LETTERS)`` (7) options are read: 6 in date_understanding and
    salient_translation_error_detection, 7 in the seven-object tasks. An example that is not a valid
    :class:`MCQuestion` (several correct options, more than 7 options) raises, or with
    ``on_error="skip"`` is left out and counted in ``info["skipped"]``.

    Example:
        >>> task = bbh_task("logical_deduction_three_objects", path="bigbench-1.0.0.tar.gz")
        >>> len(task), task.info["version"]
        (300, '1.0.0')
    """
    if not isinstance(name, str) or not name:
        raise DatasetError(f"bbh_task: name must be a non-empty string, got {name!r}")
    data, source = _read_task(name, path)
    skips = Skips(on_error, source["file"])
    try:
        task = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{source['file']} is not UTF-8 JSON ({error})") from error
    examples = task.get("examples") if isinstance(task, dict) else None
    if not isinstance(examples, list) or not examples:
        raise DatasetError(
            f"{source['file']}: expected a BIG-bench task object with a non-empty 'examples' list"
        )
    prefix = str(task.get("task_prefix") or "") + str(task.get("example_input_prefix") or "")
    questions = []
    for i, example in enumerate(examples):
        try:
            question = _question(example, f"{name}/{i}", name, prefix)
        except Unreadable as error:
            skips.fail(f"example {i}", *error.args)
            continue
        except DatasetError as error:
            skips.fail(f"example {i}", "not a valid MCQuestion", str(error))
            continue
        if shuffle:
            question = question.reordered(np.random.default_rng((seed, i)).permutation(len(question.options)))
        questions.append(question)
    if not questions:
        raise skips.none_left(len(examples), "question")
    info = {
        "source": BIGBENCH,
        **source,
        "task": name,
        "licence": {
            "package": "Apache-2.0 (BIG-bench repository; the archive states none)",
            "data": "Apache-2.0",
        },
        "format": "BIG-bench task.json: examples with input and target_scores",
        "question": "task_prefix + example_input_prefix + input",
        "shuffle": {"seed": seed} if shuffle else None,
        "n_read": len(examples),
        "n": len(questions),
        "options": {str(k): v for k, v in sorted(_counts(len(q.options) for q in questions).items())},
        **skips.info(),
    }
    return MCTask(name=name, questions=tuple(questions), info=info)


def _question(example, item_id: str, task: str, prefix: str) -> MCQuestion:
    if not isinstance(example, dict) or not isinstance(example.get("input"), str):
        raise Unreadable("not an object with an 'input' string")
    scores = example.get("target_scores")
    if not isinstance(scores, dict) or not scores:
        raise Unreadable("no 'target_scores' object (a free-form example)")
    correct = [j for j, score in enumerate(scores.values()) if score == 1]
    if len(correct) != 1 or any(score not in (0, 1) for score in scores.values()):
        raise Unreadable("not exactly one option scored 1", f"scores {list(scores.values())}")
    if len(scores) > len(LETTERS):
        raise Unreadable(
            f"more than {len(LETTERS)} options (MCQuestion's letters {LETTERS})", f"{len(scores)}"
        )
    options, text = [option.strip() for option in scores], example["input"]
    letters = [_BARE.fullmatch(option) for option in options]
    if all(letters):
        order = sorted(range(len(options)), key=lambda j: letters[j].group(1).lower())
        text, options = _lettered(text, [letters[j].group(1).lower() for j in order])
        correct = [order.index(correct[0])]
    return MCQuestion(item_id, task, (prefix + text).strip(), options, correct[0])


def _lettered(text: str, letters: list[str]) -> tuple[str, list[str]]:
    """The text before the options and the options of an input listing "(a) x (b) y" or 'a " x " b " y "'."""
    styles = (
        (r"\({}\)\s*(.+?)", r"\s*\Z"),
        (r"(?<!\w){}\s*\"\s*(.+?)\s*\"", r"\s*\??\s*\Z"),
    )
    for marker, end in styles:
        found = re.search(r"\s*".join(marker.format(letter) for letter in letters) + end, text, re.DOTALL)
        if found:
            return text[: found.start()].strip(), [group.strip() for group in found.groups()]
    raise Unreadable("the options are bare letters and the input does not list them", f"{letters}")


def _read_task(name: str, path) -> tuple[bytes, dict]:
    """The bytes of the task's task.json and where they came from (package, version, file, sha256)."""
    folder = BBH_TASKS.get(name)
    relative = f"bigbench/benchmark_tasks/{folder}/task.json"
    source = {"package": None, "version": None}
    if path is None:
        path, source = _installed(name, folder, relative)
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        data, file = path.read_bytes(), str(path)
    else:
        if folder is None:
            raise DatasetError(
                f"unknown BBH task {name!r}; expected one of {', '.join(BBH_TASKS)} "
                "(or pass path= to a task.json)"
            )
        if path.is_dir():
            candidates = [path / relative, path / relative.split("/", 1)[1], path / folder / "task.json"]
            candidates += sorted(path.glob(f"bigbench-*/{relative}"))
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise DatasetError(f"{path} has no {relative} (nor benchmark_tasks/{folder}/task.json)")
            data, file = found.read_bytes(), str(found)
        elif path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
            data, file = _from_archive(path, relative), f"{path}:{relative}"
            source = {"package": BIGBENCH, "version": _archive_version(path)}
        else:
            raise DatasetError(
                f"{path} does not exist or is not a task.json, a directory or a bigbench .tar.gz archive"
            )
    if source["version"] is None:  # an unpacked archive: "bigbench-1.0.0/bigbench/benchmark_tasks/..."
        versions = [v for v in (_archive_version(Path(part)) for part in Path(file).parts) if v]
        source = {"package": BIGBENCH, "version": versions[-1]} if versions else source
    return data, {**source, "file": file, "sha256": hashlib.sha256(data).hexdigest(), "n_bytes": len(data)}


def _installed(name: str, folder: str | None, relative: str) -> tuple[Path, dict]:
    """The installed bigbench distribution's file, or the PROBES_BIGBENCH path, or the folder that
    ``python -m probes.datasets.fetch bigbench`` fills (``make install`` runs it), or a DatasetError."""
    from probes.datasets.fetch import COMMAND, default_folder  # fetch imports this module

    try:
        dist = importlib.metadata.distribution(BIGBENCH)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None and folder is not None:
        path = Path(str(dist.locate_file(relative)))
        if path.is_file():
            return path, {"package": BIGBENCH, "version": dist.version}
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), {"package": None, "version": None}
    if default_folder().is_dir():
        return default_folder(), {"package": None, "version": None}
    raise DatasetError(
        f"BBH task {name!r}: the BIG-bench data was not found. Run `{COMMAND}` (`make install` runs "
        f"it): it downloads the source archive {BIGBENCH}-{BIGBENCH_VERSION}.tar.gz (358 MB) from PyPI, "
        f"checks its sha256 {BIGBENCH_ARCHIVE_SHA256} and keeps the BBH task files in "
        f"{default_folder()}. `pip install --no-deps {BIGBENCH}=={BIGBENCH_VERSION}` does not work "
        "(pip refuses the archive's direct-URL dependency). With the archive at hand, run the command "
        f"with --archive PATH, or pass path= to it (or to its unpacked folder), or set {ENV_VAR} to that path"
    )


def _from_archive(path: Path, relative: str) -> bytes:
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.split("/", 1)[-1] == relative:
                return archive.extractfile(member).read()
    raise DatasetError(f"{path} has no member .../{relative}")


def _archive_version(path: Path) -> str | None:
    found = re.fullmatch(r"bigbench-(\d[^/]*?)(\.tar\.gz|\.tgz)?", path.name)
    return found.group(1) if found else None


def _counts(values) -> dict:
    out: dict = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out
