"""The truth-probe study: where does a model represent whether a statement is true?

On generated true/false statements (cities, negated cities, capitals, comparisons, arithmetic) it
extracts last-token residual activations at every layer, then:

1. sweeps a logistic and a difference-of-means probe over layers on a split by group (60/20/20,
   seeded; a city's true and false statement stay together), picks the layer on validation and
   reports held-out test accuracy and AUROC with 95% bootstrap intervals;
2. tests negation: a probe trained on affirmative cities only, scored on negated ones, versus one
   trained on both forms, scored on each held-out form;
3. fills the transfer matrix: train on each dataset (at its validation-chosen layer), test on the
   test split of every dataset;
4. times the batched sweep against a loop of scikit-learn fits on the same data, side by side;
5. saves the cities probes as artifacts.

Run:
    python benchmarks/truth_probes.py --out results/truth_probes
    python benchmarks/truth_probes.py --device cuda --dtype bfloat16 --model Qwen/Qwen2.5-1.5B-Instruct
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import model_parser, parse, probe_study_options

from hooks.names import SITES


def parse_args() -> argparse.Namespace:
    parser = model_parser(__doc__)
    parser.add_argument(
        "--format",
        default="plain",
        choices=("plain", "chat"),
        help="statements as plain text or inside the chat template",
    )
    parser.add_argument(
        "--n-cities", type=int, default=400, help="cities (two statements each) (default: %(default)s)"
    )
    parser.add_argument(
        "--city-pick",
        default="top",
        choices=("top", "random"),
        help="the n most populous cities of the pool (default), or a seeded random draw from it",
    )
    parser.add_argument(
        "--n-capitals",
        type=int,
        default=150,
        help="capital statements (transfer test) (default: %(default)s)",
    )
    parser.add_argument(
        "--n-other",
        type=int,
        default=300,
        help="comparison and arithmetic statements (transfer tests) (default: %(default)s)",
    )
    parser.add_argument(
        "--site", default="resid_post", choices=SITES, help="residual-stream site read at every layer"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the data draws and splits (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=32, help="prompts per forward pass (default: %(default)s)"
    )
    parser.add_argument(
        "--speed-n",
        type=int,
        default=2000,
        help="prompts in the extraction speed check (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/truth_probes"),
        help="folder for results.json and plots (default: %(default)s)",
    )
    probe_study_options(parser)
    return parse(parser)


if __name__ == "__main__":
    parse_args()  # --help and an unusable --device answer here, before the slow imports below

import json
import time

import numpy as np
import torch
from common import artifact_folder, load, write_results
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import probes
from hooks import extract_activations
from probes import datasets
from probes.plots import plot_matrix
from probes.splits import group_split

FRACTIONS = (0.6, 0.2, 0.2)


def build_datasets(args) -> dict:
    return {
        "cities": datasets.cities(n=args.n_cities, seed=args.seed, most_populous=args.city_pick == "top"),
        "neg_cities": datasets.cities(
            n=args.n_cities, seed=args.seed, negated=True, most_populous=args.city_pick == "top"
        ),
        "capitals": datasets.capitals(n=args.n_capitals, seed=args.seed),
        "comparisons": datasets.comparisons(n=args.n_other, seed=args.seed),
        "arithmetic": datasets.arithmetic(n=args.n_other, seed=args.seed),
    }


def render(model, statements: list[str], fmt: str) -> list[str]:
    if fmt == "plain":
        return statements
    return [probes.chat_prompt(model, f"Is this statement true or false?\n{s}") for s in statements]


def extract_all(model, data: dict, args) -> dict[str, torch.Tensor]:
    return {
        name: extract_activations(
            model,
            render(model, list(ds.prompts), args.format),
            layers=None,
            site=args.site,
            batch_size=args.batch_size,
            progress=not args.quiet,
        )
        for name, ds in data.items()
    }


def splits(data: dict, seed: int) -> dict[str, tuple[np.ndarray, ...]]:
    return {name: group_split(ds.groups, FRACTIONS, seed) for name, ds in data.items()}


def fit_at(acts: torch.Tensor, labels: np.ndarray, layer: int, C: float) -> probes.LogisticProbe:
    return probes.LogisticProbe(C=C).fit(acts[:, layer], labels)


def negation_study(acts, data, parts, layer: int, C: float) -> dict:
    """Affirmative-only vs both forms, scored on each held-out form at one layer."""
    if not np.array_equal(data["cities"].groups, data["neg_cities"].groups):
        raise RuntimeError("cities and neg_cities must share city groups so their splits align")
    train, test = parts["cities"][0], parts["cities"][2]  # same groups, same seed: the same cities
    affirmative = fit_at(acts["cities"][train], data["cities"].labels[train], layer, C)
    both_x = torch.cat([acts["cities"][train], acts["neg_cities"][train]])
    both_y = np.concatenate([data["cities"].labels[train], data["neg_cities"].labels[train]])
    both = fit_at(both_x, both_y, layer, C)
    scored = {}
    for name, probe in (("trained_on_affirmative", affirmative), ("trained_on_both", both)):
        scored[name] = {
            form: probe.score(acts[form][test][:, layer], data[form].labels[test])
            for form in ("cities", "neg_cities")
        }
    return {"layer": layer, **scored}


def transfer_matrix(acts, data, parts, sweeps: dict) -> dict:
    """Each dataset's swept logistic probe at its validation layer, scored on every test split."""
    names = list(data)
    best_layers = {name: sweeps[name]["logistic"].best_layer for name in names}
    matrix = np.zeros((len(names), len(names)))
    for i, train_name in enumerate(names):
        layer = best_layers[train_name]
        probe = probes.probe_at(sweeps[train_name]["logistic"], layer)  # fitted on its train split
        for j, test_name in enumerate(names):
            test = parts[test_name][2]
            matrix[i, j] = probe.score(acts[test_name][test][:, layer], data[test_name].labels[test])
    return {
        "names": names,
        "accuracy": matrix.round(4).tolist(),
        "layers": {name: best_layers[name] for name in names},
    }


def speed_comparison(acts: torch.Tensor, labels: np.ndarray, groups: np.ndarray, C: float, seed: int) -> dict:
    """Batched sweep vs a scikit-learn loop on the same split, same C, same standardization."""
    start = time.perf_counter()
    ours = probes.sweep(acts, labels, probe="logistic", groups=groups, C=C, seed=seed)
    ours_s = time.perf_counter() - start
    train, val, test = group_split(groups, FRACTIONS, seed)
    start = time.perf_counter()
    sk_val_auroc, sk_val_acc, sk_test = [], [], []
    for layer in range(acts.shape[1]):
        x = acts[:, layer].numpy().astype(np.float64)
        mean, scale = x[train].mean(0), x[train].std(0, ddof=1) + 1e-8
        model = LogisticRegression(C=C, max_iter=1000).fit((x[train] - mean) / scale, labels[train])
        val_x = (x[val] - mean) / scale
        sk_val_auroc.append(roc_auc_score(labels[val], model.decision_function(val_x)))
        sk_val_acc.append(model.score(val_x, labels[val]))
        sk_test.append(model.score((x[test] - mean) / scale, labels[test]))
    sk_s = time.perf_counter() - start
    sk_best = int(np.lexsort((-np.array(sk_val_acc), -np.array(sk_val_auroc)))[0])  # the sweep's rule
    return {
        "n_examples": int(acts.shape[0]),
        "n_layers": int(acts.shape[1]),
        "batched_sweep_s": ours_s,
        "sklearn_loop_s": sk_s,
        "speedup": sk_s / ours_s,
        "batched_includes": "fits, scoring and 1000-sample bootstrap CIs for every layer",
        "batched_best_layer": ours.best_layer,
        "batched_test_accuracy": ours.best()["test_accuracy"],
        "sklearn_best_layer": sk_best,
        "sklearn_test_accuracy": sk_test[sk_best],
        "max_abs_accuracy_difference_per_layer": float(
            np.max(np.abs(np.array(sk_test) - ours.test_accuracy))
        ),
    }


def save_artifacts(model, data, acts, parts, sweeps, args) -> list[str]:
    folder = artifact_folder(args)
    saved, suffix = [], "" if args.site == "resid_post" else f"_{args.site}"
    for kind in ("logistic", "mean_diff"):
        result = sweeps["cities"][kind]
        layer = result.best_layer
        probe = probes.probe_at(result, layer)
        if kind == "logistic":  # refit to keep the standardization in the artifact
            train = parts["cities"][0]
            probe = fit_at(acts["cities"][train], data["cities"].labels[train], layer, args.C)
        path = probes.save(
            probe,
            folder / f"truth_cities_{kind}_L{layer}{suffix}.safetensors",
            hook=f"blocks.{layer}.hook_{args.site}",
            model=model,
            dataset=data["cities"],
            metrics=result.best(),
            info={"format": args.format, "position": "last token", "split": result.split, "C": args.C},
        )
        saved.append(str(path))
    return saved


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    model = load(args)
    data = build_datasets(args)
    acts = extract_all(model, data, args)
    extracted = time.perf_counter()
    parts = splits(data, args.seed)
    sweeps = {
        name: {
            kind: probes.sweep(acts[name], ds.labels, probe=kind, groups=ds.groups, C=args.C, seed=args.seed)
            for kind in ("logistic", "mean_diff")
        }
        for name, ds in data.items()
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for name in data:
        sweeps[name]["logistic"].plot(
            args.out / f"sweep_{name}.png", title=f"{name}: logistic probe by layer"
        )
    negation = negation_study(acts, data, parts, sweeps["cities"]["logistic"].best_layer, args.C)
    transfer = transfer_matrix(acts, data, parts, sweeps)
    plot_matrix(
        transfer["accuracy"],
        transfer["names"],
        transfer["names"],
        args.out / "transfer.png",
        "train on row (its validation layer), test on column",
    )
    speed = speed_comparison(*speed_inputs(acts, data, args.speed_n), C=args.C, seed=args.seed)
    saved = [] if args.no_save else save_artifacts(model, data, acts, parts, sweeps, args)
    results = {
        "benchmark": "truth_probes",
        "model": args.model,
        "device": args.device,
        "dtype": args.dtype,
        "format": args.format,
        "city_pick": args.city_pick,
        "position": "last token",
        "site": args.site,
        "C": args.C,
        "seed": args.seed,
        "split": {"fractions": FRACTIONS, "by": "group (city / country / number pair)", "seed": args.seed},
        "datasets": {name: {"n": len(ds), "sha256": ds.sha256()} for name, ds in data.items()},
        "sweeps": {name: {kind: r.to_dict() for kind, r in per.items()} for name, per in sweeps.items()},
        "best": {name: {kind: r.best() for kind, r in per.items()} for name, per in sweeps.items()},
        "negation": negation,
        "transfer": transfer,
        "sweep_speed": speed,
        "artifacts": saved,
        "extraction_s": extracted - started,
        "total_s": time.perf_counter() - started,
    }
    write_results(args.out, results)
    print_summary(results)
    print(f"wrote {args.out / 'results.json'} and plots in {args.out}")


def speed_inputs(acts, data, n: int):
    """Up to `n` examples pooled from all datasets, with groups kept distinct per dataset."""
    x = torch.cat(list(acts.values()))
    y = np.concatenate([ds.labels for ds in data.values()])
    g = np.concatenate([ds.groups + 1_000_000 * i for i, ds in enumerate(data.values())])
    keep = np.random.default_rng(0).permutation(len(y))[:n]
    return x[keep], y[keep], g[keep]


def print_summary(results: dict) -> None:
    print(f"\n{results['model']} ({results['format']} statements, last token, {results['site']})")
    print(f"{'dataset':<12} {'probe':<10} {'layer':>5} {'test acc':>9} {'95% CI':>15} {'AUROC':>7}")
    for name, per in results["best"].items():
        for kind, best in per.items():
            ci = best["test_accuracy_ci"]
            print(
                f"{name:<12} {kind:<10} {best['layer']:>5} {best['test_accuracy']:>9.3f} "
                f"{f'[{ci[0]:.3f}, {ci[1]:.3f}]':>15} {best['test_auroc']:>7.3f}"
            )
    print("negation:", json.dumps(results["negation"]))
    print("transfer (rows train, columns test):", results["transfer"]["names"])
    for name, row in zip(results["transfer"]["names"], results["transfer"]["accuracy"]):
        print(f"  {name:<12} " + " ".join(f"{v:.2f}" for v in row))
    speed = results["sweep_speed"]
    print(
        f"sweep speed: batched {speed['batched_sweep_s']:.2f} s vs scikit-learn loop "
        f"{speed['sklearn_loop_s']:.2f} s ({speed['speedup']:.1f}x); test accuracy "
        f"{speed['batched_test_accuracy']:.3f} vs {speed['sklearn_test_accuracy']:.3f}"
    )


if __name__ == "__main__":
    main()
