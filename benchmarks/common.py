"""What every benchmark script shares: the model options, loading, and the versions it records.

Scripts run as ``python benchmarks/<name>.py``, which puts this folder on ``sys.path``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import torch

import probes

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
PACKAGES = ("torch", "transformers", "transformer-lens", "alignment-probes")


def model_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: --model, --device, --dtype."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=formatter)
    parser.add_argument("--model", default=probes.DEFAULT_MODEL)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    return parser


def load(args: argparse.Namespace):
    return probes.load_model(args.model, device=args.device, dtype=DTYPES[args.dtype])


def versions() -> dict:
    return {"python": platform.python_version(), **{name: version(name) for name in PACKAGES}}


def artifact_folder(args: argparse.Namespace) -> Path:
    """`--artifacts` if given, else ``artifacts/<model name, lower case, unsafe characters as ->``."""
    if args.artifacts:
        return Path(args.artifacts)
    return Path("artifacts") / re.sub(r"[^a-z0-9.-]+", "-", args.model.split("/")[-1].lower())


def write_results(out: Path, results: dict) -> Path:
    """Add library versions and a UTC timestamp, write ``out/results.json``; returns its path."""
    results.update(versions=versions(), created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    path.write_text(json.dumps(results, indent=2, default=float))
    return path
