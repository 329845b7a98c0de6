"""A study as a library function: a frozen ``Config``, ``run(model, config) -> Result``.

Every study of the library (``probes.truth``, ``probes.sycophancy``, ``probes.deception``,
``probes.faithfulness``) has the same shape:

- ``Config``: a frozen, keyword-only dataclass of plain values (sizes, seed, layers), with
  ``Config.quick()`` for a small run. Field docs (``metadata["help"]``) become command-line help.
- ``run(model, config, out=None, progress=True) -> Result``: runs the steps in order through a
  :class:`Steps` recorder. Each step's numbers land in ``result.metrics[step]``; a step that cannot
  compute on the data it got raises :class:`Skip` (or a ``ValueError`` from a check) and is
  recorded in ``result.skipped`` with the reason, and the study goes on. With ``out`` given, the
  results file is rewritten after every step, so a crash loses at most the step it was in.
- ``Result``: the numbers as JSON-able data (one schema for every study: name, model, device,
  dtype, versions, seconds, config, metrics, skipped); ``save(folder)`` writes results.json, the
  plots and the artifacts; ``to_markdown()`` and the report read only from the data, so a report
  can be redrawn from a results.json (``probes report <folder>``).

Example:
    >>> from probes.truth import Config, run
    >>> result = run(model, Config.quick(), out="results/truth")
    >>> result.metrics["sweeps"]["cities"]["logistic"]["best_layer"]
    >>> print(result.to_markdown())
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

from hooks.atomic import write_atomically
from probes.report import Block, Heading, Image, Paragraph, Table, to_markdown

log = logging.getLogger("probes.study")

RESULTS_FILE = "results.json"
SCHEMA_VERSION = 1
PACKAGES = ("torch", "transformers", "transformer-lens", "alignment-probes")


class Skip(Exception):
    """A step cannot compute on the data it got (e.g. too few items of a kind); the reason is kept."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config:
    """Base of every study's configuration: plain values only, validated in ``__post_init__``."""

    seed: int = dataclasses.field(default=0, metadata={"help": "seed of data, splits and bootstraps"})

    @classmethod
    def quick(cls, **changes) -> Config:
        """A small run (demo sizes); subclasses shrink their sizes here."""
        return cls(**changes)

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{type(self).__name__}.{f.name} must be a finite number, got {value}")


@dataclasses.dataclass(kw_only=True)
class Result:
    """The outcome of one study run; subclasses add typed read-outs and the report's contents."""

    name: ClassVar[str] = "study"
    title: ClassVar[str] = "Study"

    model: str
    device: str = "cpu"
    dtype: str = "float32"
    config: dict = dataclasses.field(default_factory=dict)
    metrics: dict = dataclasses.field(default_factory=dict)
    skipped: dict = dataclasses.field(default_factory=dict)
    seconds: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=lambda: versions())
    created_utc: str = dataclasses.field(default_factory=lambda: _now())
    artifacts: list = dataclasses.field(default_factory=list)
    pending_artifacts: list = dataclasses.field(default_factory=list, repr=False, compare=False)

    # -- what subclasses fill in -----------------------------------------------------------------
    def summary(self) -> list[dict]:
        """Rows of the report's summary table: ``{"measure", "value", "detail"}``."""
        return []

    def blocks(self, folder: Path) -> list[Block]:
        """The study's section of the report (headings, tables, paragraphs, images in `folder`)."""
        return []

    def draw(self, folder: Path) -> list[Path]:
        """Write this study's plots (PNG) into `folder`; return their paths."""
        return []

    # -- shared ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "schema": SCHEMA_VERSION,
            "model": self.model,
            "device": self.device,
            "dtype": self.dtype,
            "versions": self.versions,
            "created_utc": self.created_utc,
            "seconds": self.seconds,
            "config": self.config,
            "skipped": self.skipped,
            "artifacts": self.artifacts,
            "metrics": self.metrics,
        }

    def write_json(self, folder: str | Path) -> Path:
        """Only results.json (atomically): what a study does after every step."""
        text = json.dumps(_plain(self.to_dict()), indent=2, allow_nan=False)
        return write_atomically(Path(folder) / RESULTS_FILE, lambda tmp: tmp.write_text(text))

    def save(self, folder: str | Path, artifacts: str | Path | bool | None = None) -> Path:
        """Write artifacts (into `artifacts`, default ``folder/artifacts``; none if False), plots,
        results.json and report.md; returns the path of results.json."""
        folder = Path(folder)
        for write in self.pending_artifacts if artifacts is not False else []:
            path = Path(
                write(Path(artifacts) if isinstance(artifacts, (str, Path)) else folder / "artifacts")
            )
            self.artifacts.append(str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path))
        self.pending_artifacts.clear()
        self.draw(folder)
        path = self.write_json(folder)
        report = self.to_markdown(folder)
        write_atomically(folder / "report.md", lambda tmp: tmp.write_text(report))
        return path

    def header(self) -> list[Block]:
        n_skipped = f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""
        total = self.seconds.get("total")
        took = f"{total / 60:.1f} min" if total is not None else "unfinished"
        return [
            Heading(self.title, 2),
            Paragraph(
                f"Model `{self.model}` on {self.device} ({self.dtype}); {took}; seed "
                f"{self.config.get('seed')}{n_skipped}. Brackets: 95% bootstrap intervals."
            ),
        ]

    def skipped_blocks(self) -> list[Block]:
        if not self.skipped:
            return []
        rows = [[step, reason] for step, reason in self.skipped.items()]
        return [Heading("Steps that could not run", 3), Table(["step", "why"], rows)]

    def to_markdown(self, folder: str | Path = ".") -> str:
        """This study's report as markdown (plots read from, and linked relative to, `folder`)."""
        return to_markdown(self.header() + self.blocks(Path(folder)) + self.skipped_blocks(), folder)

    def images(self, folder: str | Path) -> list[Image]:
        return [b for b in self.blocks(Path(folder)) if isinstance(b, Image)]

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        if data.get("name") != cls.name:
            raise ValueError(f"{cls.__name__} reads results of {cls.name!r}, got {data.get('name')!r}")
        fields = {f.name for f in dataclasses.fields(cls)} - {"pending_artifacts"}
        return cls(**{k: v for k, v in data.items() if k in fields})


class Steps:
    """Runs a study's steps in order: labels and times each, records one that cannot compute, and
    (with `out`) rewrites results.json after each, so a crash never loses finished steps.

    Example:
        >>> steps = Steps(result, out="results/truth", total=3)
        >>> sweeps = steps.run("sweeps", sweep_all, acts, data)   # None if the step was skipped
        >>> steps.finish()
    """

    def __init__(
        self,
        result: Result,
        out: str | Path | None = None,
        total: int | None = None,
        artifacts: str | Path | bool | None = None,
    ):
        self.result, self.out, self.total = result, (Path(out) if out else None), total
        self.artifacts = artifacts
        self.done = 0
        self.started = time.perf_counter()

    def run(self, name: str, fn: Callable[..., Any], *args, keep: bool = True, **kwargs) -> Any:
        """``fn(*args, **kwargs)``, or None if it raised :class:`Skip` or ``ValueError`` (the reason is
        recorded); a dict it returns is stored as ``metrics[name]`` unless ``keep=False`` (for
        intermediate values such as activations, which the caller summarizes itself)."""
        self.done += 1
        of = f"/{self.total}" if self.total else ""
        log.info("%s step %d%s: %s", self.result.name, self.done, of, name)
        start = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except (Skip, ValueError) as error:
            reason = f"{type(error).__name__}: {error}" if not isinstance(error, Skip) else str(error)
            self.result.skipped[name] = reason
            log.warning("%s: step %r skipped: %s", self.result.name, name, reason)
            value = None
        self.result.seconds[name] = round(time.perf_counter() - start, 3)
        if keep and isinstance(value, dict):
            self.result.metrics[name] = value
        self.checkpoint()
        return value

    def checkpoint(self) -> None:
        if self.out is not None:
            self.result.write_json(self.out)

    def finish(self) -> Result:
        self.result.seconds["total"] = round(time.perf_counter() - self.started, 3)
        if self.out is not None:
            self.result.save(self.out, self.artifacts)
        return self.result


def describe_model(model) -> dict:
    """``model``, ``device`` and ``dtype`` of a loaded model, for a Result."""
    from hooks.vllm_engine import is_served

    if is_served(model):
        return {
            "model": model.cfg.model_name,
            "device": "vllm",
            "dtype": str(model.cfg.dtype).removeprefix("torch."),
        }
    weight = next(model.parameters(), None)
    return {
        "model": getattr(model.cfg, "model_name", "model"),
        "device": str(weight.device) if weight is not None else "cpu",
        "dtype": str(weight.dtype).removeprefix("torch.") if weight is not None else "float32",
    }


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain(value):
    """JSON-able copy: tuples to lists, numpy and torch scalars/arrays to numbers, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
