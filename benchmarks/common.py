"""What every benchmark script shares: the model options, loading, and the versions it records.

Scripts run as ``python benchmarks/<name>.py``, which puts this folder on ``sys.path``. Each parses
its arguments with :func:`parse` before importing torch or the library, so ``--help`` answers at once
and a ``--device`` this machine does not have is refused in one line before any model is loaded.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from probes.constants import DEFAULT_MODEL

DTYPES = ("float32", "bfloat16", "float16")
PACKAGES = ("torch", "transformers", "transformer-lens", "alignment-probes")


def model_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: --model, --device, --dtype."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=formatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model name (default: %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default: %(default)s)")
    parser.add_argument("--dtype", default="float32", choices=DTYPES, help="weights (default: %(default)s)")
    return parser


def probe_study_options(parser: argparse.ArgumentParser) -> None:
    """Options of the studies that train probes and save artifacts: --C, --artifacts, --no-save, --quiet."""
    parser.add_argument(
        "--C",
        type=float,
        default=0.1,
        help="inverse L2 strength of the logistic probes (default: %(default)s)",
    )
    parser.add_argument("--artifacts", type=Path, default=None, help="default: artifacts/<model slug>/")
    parser.add_argument("--no-save", action="store_true", help="do not write probe or vector artifacts")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def parse(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line, then refuse a device this machine lacks (exit 2, one line)."""
    args = parser.parse_args(argv)
    problem = device_problem(args.device)
    if problem:
        parser.error(problem)
    return args


def device_problem(device: str) -> str | None:
    """Why `device` cannot be used here, or None when it can."""
    import torch

    try:
        where = torch.device(device)
    except (RuntimeError, ValueError):
        return f"--device {device!r} is not a device; use cpu, cuda, cuda:N or mps"
    if where.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            return (
                f"--device {device}: no CUDA GPU here (torch {torch.__version__}, {build}); use --device cpu"
            )
        if where.index is not None and where.index >= count:
            return f"--device {device}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}"
    elif where.type == "mps" and not torch.backends.mps.is_available():
        return f"--device {device}: MPS is not available here; use --device cpu"
    elif where.type not in ("cpu", "cuda", "mps"):
        return f"--device {device}: unsupported device type {where.type!r}; use cpu, cuda or mps"
    return None


def torch_dtype(name: str):
    import torch

    return getattr(torch, name)


def load(args: argparse.Namespace):
    import probes

    return probes.load_model(args.model, device=args.device, dtype=torch_dtype(args.dtype))


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
