"""What every benchmark script shares: the model options, loading, and the versions it records.

Scripts run as ``python benchmarks/<name>.py``, which puts this folder on ``sys.path``. Each parses
its arguments with :func:`parse` before importing torch or the library, so ``--help`` answers at once
and a ``--device`` this machine does not have is refused in one line before any model is loaded.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

from probes.cli import add_model_options, device_problem, load_from_args
from probes.study import versions


def model_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: --model, --device, --dtype."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=formatter)
    add_model_options(parser)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line, then refuse a device this machine lacks (exit 2, one line)."""
    args = parser.parse_args(argv)
    problem = device_problem(args.device)
    if problem:
        parser.error(problem)
    return args


def torch_dtype(name: str):
    import torch

    return getattr(torch, name)


def load(args: argparse.Namespace):
    return load_from_args(args)


def write_results(out: Path, results: dict) -> Path:
    """Add library versions and a UTC timestamp, write ``out/results.json``; returns its path."""
    results.update(versions=versions(), created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    path.write_text(json.dumps(results, indent=2, default=float))
    return path
