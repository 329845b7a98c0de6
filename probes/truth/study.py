"""The truth-probe study: where does a model represent whether a statement is true?

On generated true/false statements (cities, negated cities, capitals, comparisons, arithmetic) it
extracts last-token residual activations at every layer, then:

1. ``sweeps``: a logistic and a difference-of-means probe at every layer on a split by group
   (60/20/20, seeded; a city's true and false statement stay together); the layer is chosen on
   validation, test accuracy and AUROC come with 95% bootstrap intervals;
2. ``negation``: a probe trained on affirmative cities only, scored on negated ones, versus one
   trained on both forms, scored on each held-out form;
3. ``transfer``: train on each dataset (at its validation-chosen layer), test on every test split,
   accuracy with a 95% bootstrap interval per cell;
4. ``sweep_speed``: the batched sweep against a loop of scikit-learn fits on the same data;
5. the cities probes as artifacts.

``Config(published=("truthfulqa",))`` adds TruthfulQA's answers as statements (489, one group per
question; :func:`probes.datasets.truthfulqa_statements`): they are swept like the others (a probe
trained on TruthfulQA itself) and join the transfer matrix (the cities probe tested on TruthfulQA).

Example:
    >>> from probes.truth import Config, run
    >>> result = run(model, Config.quick(), out="results/truth")
    >>> result.best("cities")["test_accuracy"]
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import probes
from hooks import extract_activations
from probes import datasets
from probes.constants import SPLIT_FRACTIONS
from probes.layer_sweep import probe_at, sweep
from probes.plots import plot_matrix, plot_sweep
from probes.report import Heading, Image, Paragraph, Table, fmt, with_interval
from probes.splits import group_split
from probes.stats import mean_ci
from probes.study import Result, Steps, describe_model
from probes.truth.config import Config

KINDS = ("logistic", "mean_diff")


class TruthResult(Result):
    name = "truth"
    title = "Truth probes"

    def best(self, dataset: str = "cities", kind: str = "logistic") -> dict:
        """Layer chosen on validation and its test accuracy / AUROC with 95% intervals."""
        return self.metrics["best"][dataset][kind]

    def summary(self) -> list[dict]:
        if "best" not in self.metrics:
            return []
        best = self.best("cities")
        rows = [
            {
                "measure": "cities: logistic probe test accuracy",
                "value": with_interval(best["test_accuracy"], best["test_accuracy_ci"]),
                "detail": f"layer {best['layer']} (chosen on validation), AUROC {best['test_auroc']:.3f}",
            }
        ]
        if "negation" in self.metrics:
            neg = self.metrics["negation"]
            rows.append(
                {
                    "measure": "negated cities, probe trained on affirmative only",
                    "value": fmt(neg["trained_on_affirmative"]["neg_cities"]),
                    "detail": f"vs {fmt(neg['trained_on_both']['neg_cities'])} trained on both forms",
                }
            )
        rows += self._published_rows()
        return rows

    def _published_rows(self) -> list[dict]:
        """Per published set: the cities probe tested on it and a probe trained on it."""
        t, rows = self.metrics.get("transfer"), []
        for name in self.metrics.get("best", {}):
            if t is None or name not in PUBLISHED or name not in t["names"]:
                continue
            i, j = t["names"].index("cities"), t["names"].index(name)
            own = self.best(name)
            rows.append(
                {
                    "measure": f"{name}: cities probe test accuracy (transfer)",
                    "value": with_interval(t["accuracy"][i][j], t["accuracy_ci"][i][j]),
                    "detail": f"layer {t['layers']['cities']}, {t['n_test'][name]} test statements; a probe "
                    f"trained on {name}: {with_interval(own['test_accuracy'], own['test_accuracy_ci'])} "
                    f"(layer {own['layer']})",
                }
            )
        return rows

    def blocks(self, folder: Path) -> list:
        out: list = []
        if "best" in self.metrics:
            rows = [
                [
                    name,
                    kind,
                    b["layer"],
                    with_interval(b["test_accuracy"], b["test_accuracy_ci"]),
                    with_interval(b["test_auroc"], b["test_auroc_ci"]),
                ]
                for name, per in self.metrics["best"].items()
                for kind, b in per.items()
            ]
            sizes = ", ".join(f"{k} {v['n']}" for k, v in self.metrics["datasets"].items())
            out += [
                Heading("Held-out accuracy at the layer chosen on validation", 3),
                Paragraph(f"Prompts: {sizes}; split 60/20/20 by group; position: last token."),
                Table(["dataset", "probe", "layer", "test accuracy", "test AUROC"], rows),
                Image(folder / "sweep_cities.png", "cities: logistic probe by layer"),
            ]
        if "negation" in self.metrics:
            neg = self.metrics["negation"]
            rows = [
                [k.replace("_", " "), fmt(v["cities"]), fmt(v["neg_cities"])]
                for k, v in neg.items()
                if k != "layer"
            ]
            out += [
                Heading(f"Negation (layer {neg['layer']})", 3),
                Table(["probe", "affirmative test acc", "negated test acc"], rows),
            ]
        if "transfer" in self.metrics:
            t = self.metrics["transfer"]
            rows = [
                [train, t["layers"][train], *(self._cell(t, i, j) for j in range(len(t["names"])))]
                for i, train in enumerate(t["names"])
            ]
            out += [
                Heading("Transfer: train on a row, test on a column", 3),
                Table(["trained on", "layer", *t["names"]], rows),
                Image(folder / "transfer.png", "transfer accuracy"),
            ]
        if "sweep_speed" in self.metrics:
            s = self.metrics["sweep_speed"]
            out.append(
                Paragraph(
                    f"Sweep speed: batched {s['batched_sweep_s']:.2f} s vs a scikit-learn loop "
                    f"{s['sklearn_loop_s']:.2f} s ({s['speedup']:.1f}x) on {s['n_examples']} examples x "
                    f"{s['n_layers']} layers; test accuracy {s['batched_test_accuracy']:.3f} vs "
                    f"{s['sklearn_test_accuracy']:.3f}."
                )
            )
        return out

    @staticmethod
    def _cell(t: dict, i: int, j: int) -> str:
        """One transfer accuracy, with its interval when the results file has one (not before round 2)."""
        ci = t.get("accuracy_ci")
        return with_interval(t["accuracy"][i][j], ci[i][j]) if ci else fmt(t["accuracy"][i][j])

    def draw(self, folder: Path) -> list[Path]:
        paths = []
        n = {k: v["n"] for k, v in self.metrics.get("datasets", {}).items()}
        for name, per in self.metrics.get("sweeps", {}).items():
            title = f"{self.model.split('/')[-1]}: {name} (n={n.get(name)}), logistic probe by layer"
            paths.append(plot_sweep(SimpleNamespace(**per["logistic"]), folder / f"sweep_{name}.png", title))
        if "transfer" in self.metrics:
            t = self.metrics["transfer"]
            title = f"{self.model.split('/')[-1]}: train on row (its validation layer), test on column"
            paths.append(plot_matrix(t["accuracy"], t["names"], t["names"], folder / "transfer.png", title))
        return paths


Result = TruthResult


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True
) -> TruthResult:
    """Run the study on `model` (default `Config()`); with `out`, results.json is rewritten after
    every step and the plots, artifacts and report.md are written at the end."""
    config = Config() if config is None else config
    result = TruthResult(**describe_model(model), config=config.to_dict())
    steps = Steps(result, out, total=6, artifacts=artifacts)
    data = build_datasets(config)
    acts = steps.run("activations", extract_all, model, data, config, progress, keep=False)
    result.metrics["datasets"] = {name: {"n": len(ds), "sha256": ds.sha256()} for name, ds in data.items()}
    parts = {name: group_split(ds.groups, SPLIT_FRACTIONS, config.seed) for name, ds in data.items()}
    sweeps = steps.run("sweeps", sweep_all, acts, data, config, keep=False)
    if sweeps is not None:
        result.metrics["sweeps"] = {n: {k: r.to_dict() for k, r in per.items()} for n, per in sweeps.items()}
        result.metrics["best"] = {n: {k: r.best() for k, r in per.items()} for n, per in sweeps.items()}
        steps.checkpoint()
        layer = sweeps["cities"]["logistic"].best_layer
        steps.run("negation", negation_study, acts, data, parts, layer, config.C)
        steps.run("transfer", transfer_matrix, acts, data, parts, sweeps)
        result.pending_artifacts += artifact_writers(model, data, sweeps, config)
    steps.run(
        "sweep_speed", speed_comparison, *speed_inputs(acts, data, config.speed_n), config.C, config.seed
    )
    return steps.finish()


def build_datasets(config: Config) -> dict:
    top = config.city_pick == "top"
    return {
        "cities": datasets.cities(n=config.n_cities, seed=config.seed, most_populous=top),
        "neg_cities": datasets.cities(n=config.n_cities, seed=config.seed, negated=True, most_populous=top),
        "capitals": datasets.capitals(n=config.n_capitals, seed=config.seed),
        "comparisons": datasets.comparisons(n=config.n_other, seed=config.seed),
        "arithmetic": datasets.arithmetic(n=config.n_other, seed=config.seed),
        **{name: PUBLISHED[name]() for name in config.published},
    }


PUBLISHED = {"truthfulqa": lambda: datasets.truthfulqa_statements(on_error="skip")}
"""The loaders of :data:`probes.truth.config.PUBLISHED` (one empty answer in the file is skipped)."""


def render(model, statements: list[str], fmt: str) -> list[str]:
    if fmt == "plain":
        return statements
    return [probes.chat_prompt(model, f"Is this statement true or false?\n{s}") for s in statements]


def extract_all(model, data: dict, config: Config, progress: bool) -> dict[str, torch.Tensor]:
    """Last-token activations at every layer: dataset -> [n, layer, d_model]."""
    return {
        name: extract_activations(
            model,
            render(model, list(ds.prompts), config.format),
            layers=None,
            site=config.site,
            batch_size=config.batch_size,
            progress=progress and f"activations: {name}",
        )
        for name, ds in data.items()
    }


def sweep_all(acts: dict, data: dict, config: Config) -> dict:
    return {
        name: {
            kind: sweep(acts[name], ds.labels, probe=kind, groups=ds.groups, C=config.C, seed=config.seed)
            for kind in KINDS
        }
        for name, ds in data.items()
    }


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
    """Each dataset's swept logistic probe at its validation layer, scored on every test split
    (accuracy and its 95% bootstrap interval over the test statements)."""
    names = list(data)
    best_layers = {name: sweeps[name]["logistic"].best_layer for name in names}
    matrix = np.zeros((len(names), len(names)))
    intervals = [[None] * len(names) for _ in names]
    n_test = {name: len(parts[name][2]) for name in names}
    for i, train_name in enumerate(names):
        layer = best_layers[train_name]
        probe = probe_at(sweeps[train_name]["logistic"], layer)  # fitted on its train split
        for j, test_name in enumerate(names):
            test = parts[test_name][2]
            right = probe.predict(acts[test_name][test][:, layer]) == data[test_name].labels[test]
            cell = mean_ci(right.astype(float))
            matrix[i, j], intervals[i][j] = cell["mean"], [round(x, 4) for x in cell["ci"]]
    return {
        "names": names,
        "accuracy": matrix.round(4).tolist(),
        "accuracy_ci": intervals,
        "n_test": n_test,
        "layers": best_layers,
    }


def speed_inputs(acts, data, n: int):
    """Up to `n` examples pooled from the generated datasets, with groups kept distinct per dataset."""
    acts = {name: x for name, x in acts.items() if name not in PUBLISHED}
    data = {name: ds for name, ds in data.items() if name not in PUBLISHED}
    x = torch.cat(list(acts.values()))
    y = np.concatenate([ds.labels for ds in data.values()])
    g = np.concatenate([ds.groups + 1_000_000 * i for i, ds in enumerate(data.values())])
    keep = np.random.default_rng(0).permutation(len(y))[:n]
    return x[keep], y[keep], g[keep]


def speed_comparison(acts: torch.Tensor, labels: np.ndarray, groups: np.ndarray, C: float, seed: int) -> dict:
    """Batched sweep vs a scikit-learn loop on the same split, same C, same standardization."""
    start = time.perf_counter()
    ours = sweep(acts, labels, probe="logistic", groups=groups, C=C, seed=seed)
    ours_s = time.perf_counter() - start
    train, val, test = group_split(groups, SPLIT_FRACTIONS, seed)
    start = time.perf_counter()
    sk_val_auroc, sk_val_acc, sk_test = [], [], []
    for layer in range(acts.shape[1]):
        x = acts[:, layer].numpy().astype(np.float64)
        mean, scale = x[train].mean(0), x[train].std(0, ddof=1) + 1e-8
        fitted = LogisticRegression(C=C, max_iter=1000).fit((x[train] - mean) / scale, labels[train])
        val_x = (x[val] - mean) / scale
        sk_val_auroc.append(roc_auc_score(labels[val], fitted.decision_function(val_x)))
        sk_val_acc.append(fitted.score(val_x, labels[val]))
        sk_test.append(fitted.score((x[test] - mean) / scale, labels[test]))
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


def artifact_writers(model, data, sweeps, config: Config) -> list:
    """One writer per cities probe (logistic, mean_diff) at its validation layer: folder -> path."""
    suffix = "" if config.site == "resid_post" else f"_{config.site}"
    writers = []
    for kind in KINDS:
        swept = sweeps["cities"][kind]
        layer = swept.best_layer

        def write(folder, kind=kind, swept=swept, layer=layer):
            return probes.save(
                probe_at(swept, layer),
                Path(folder) / f"truth_cities_{kind}_L{layer}{suffix}.safetensors",
                hook=f"blocks.{layer}.hook_{config.site}",
                model=model,
                dataset=data["cities"],
                metrics=swept.best(),
                info={"format": config.format, "position": "last token", "split": swept.split, "C": config.C},
            )

        writers.append(write)
    return writers
