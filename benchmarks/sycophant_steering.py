"""The twins study's steering step alone, on a grid of layers and multipliers of your choice.

The base model's CAA vector (user's answer minus the other) is added to the shipped sycophant: the
layer is chosen on half of the fresh facts (the largest drop of p(user's wrong answer) within the
capability cost), and the dose-response is reported on the other half, exactly as in
:func:`probes.twins.study.steering`; only the grid differs. The full study
(``python -m probes run twins``) also runs the behaviour and probe steps, about 20 minutes more.

    python benchmarks/sycophant_steering.py --layers 12 18 --multipliers 0 -4 -5 -6 -7 -8 \\
        --out benchmarks/results/steering/sycophant
"""

from __future__ import annotations

from pathlib import Path

from common import load, model_parser, parse, write_results


def main(argv: list[str] | None = None) -> int:
    parser = model_parser(__doc__)
    parser.add_argument("--layers", type=int, nargs="+", default=[12, 18])
    parser.add_argument("--multipliers", type=float, nargs="+", default=[0.0, -4.0, -5.0, -6.0, -7.0, -8.0])
    parser.add_argument("--n", type=int, default=200, help="fresh known facts (half choose, half test)")
    parser.add_argument("--n-fit", type=int, default=200, help="training facts of the CAA vector")
    parser.add_argument("--n-capability", type=int, default=200, help="opinion-free questions")
    parser.add_argument("--out", type=Path, default=Path("results/sycophant_steering"))
    args = parse(parser, argv)

    import time

    from probes.organisms.data import fact_questions, known_questions
    from probes.organisms.shipped import load as load_organism
    from probes.organisms.spec import FACT_TASKS
    from probes.twins.config import Config
    from probes.twins.study import steering

    config = Config(
        pairs=("sycophancy",),
        n=args.n,
        n_fit=args.n_fit,
        n_capability=args.n_capability,
        layers=tuple(args.layers),
        multipliers=tuple(args.multipliers),
    )
    base = load(args)
    sycophant = load_organism("sycophant", base).model
    started = time.perf_counter()
    items = known_questions(base, FACT_TASKS, config.n, "eval", config.seed)
    fit = fact_questions(FACT_TASKS, config.n_fit, "train", config.seed)
    found = steering(base, sycophant, fit, items, config)
    unsteered = found["test"]["0.0"]
    for m, point in found["test"].items():
        drop = unsteered["p_match"]["mean"] - point["p_match"]["mean"]
        cost = unsteered["capability"]["mean"] - point["capability"]["mean"]
        print(f"layer {found['layer']}, multiplier {m}: drop {drop:.3f}, capability cost {cost:.3f}")
    results = {"config": config.to_dict(), "steering": found, "seconds": time.perf_counter() - started}
    print(write_results(args.out, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
