"""The sycophancy study's plots, drawn from ``result.metrics`` only (so a report can be redrawn
from results.json): the probe sweep, the letter dose-response with its capability check, the
validation grid of the letter vectors, and every full-answer intervention.

Example:
    >>> draw_all(result.metrics, Path("results/sycophancy"), "HuggingFaceTB/SmolLM2-135M-Instruct")
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from probes.plots import plot_matrix, plot_sweep

SERIES = {
    ("letter", "suggest_wrong", "p_match"): "p(user's letter), wrong suggestion (letter format)",
    ("letter", "suggest_right", "p_match"): "p(user's letter), right suggestion (letter format)",
    ("letter", "suggest_wrong", "match_wins"): "user's letter wins, wrong suggestion (letter format)",
    ("capability", "baseline", "accuracy"): "accuracy without an opinion (full answer format)",
}


def draw_all(m: dict, folder: Path, model: str) -> list[Path]:
    """Every plot whose step ran; returns their paths."""
    name = model.split("/")[-1]
    paths = []
    if "probe" in m:
        p = m["probe"]
        title = (
            f"{name}: will it follow the wrong suggestion? Probe on the last prompt token\n"
            f"(full answer format, n={p['n_items']} wrong-opinion prompts, split by question)"
        )
        paths.append(plot_sweep(SimpleNamespace(**p["sweep"]), folder / "probe_sweep.png", title))
    if "letter_steering" in m:
        letter = m["letter_steering"]
        paths.append(plot_letter_dose(letter, folder / "dose_response_letter.png", name))
        paths.append(plot_letter_grid(letter, folder / "letter_p_match_grid.png", name))
    if "full_answer_interventions" in m:
        s = m["full_answer_interventions"]
        paths.append(plot_full_search(s, folder / "full_answer_interventions.png", name))
    return paths


def _rows(dose: dict):
    from probes.dose import DoseResponse

    return DoseResponse(**dose)


def plot_letter_dose(letter: dict, path: Path, model: str) -> Path:
    """p(user's letter) and the opinion-free accuracy against the multiplier at the chosen layer,
    on the test questions, with 95% bootstrap bands."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    test, layer = _rows(letter["test_rows"]), letter["chosen_layer"]
    n_letter = test.value("letter", "suggest_wrong", "p_match", layer=layer, multiplier=0)["n"]
    n_cap = test.value("capability", "baseline", "accuracy", layer=layer, multiplier=0)["n"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    low, high = 0.0, 1.0
    for key, label in SERIES.items():
        multipliers, rows = test.curve(*key, layer)
        means = np.array([np.nan if r["mean"] is None else r["mean"] for r in rows], dtype=float)
        band = np.array([[np.nan if c is None else c for c in r["ci"]] for r in rows], dtype=float)
        (line,) = ax.plot(multipliers, means, marker="o", markersize=3, label=label)
        ax.fill_between(multipliers, band[:, 0], band[:, 1], color=line.get_color(), alpha=0.15)
        low, high = min(low, np.nanmin(band)), max(high, np.nanmax(band))
    ax.axvline(0, color="gray", linewidth=0.5)
    ax.axhline(0.5, color="gray", linewidth=0.6, linestyle=":", label="indifferent / chance (0.5)")
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Patch(color="gray", alpha=0.3, label="95% bootstrap CI (bands)"))
    ax.set(
        xlabel="steering multiplier (caa_letter vector)",
        ylabel="probability / share of test questions",
        ylim=(low - 0.03, high + 0.03),
        title=f"{model}: caa_letter at layer {layer}, test questions\n"
        f"(letter format n={n_letter} wrong-suggestion prompts; full answer format n={n_cap})",
    )
    ax.legend(handles=handles, loc="best", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_letter_grid(letter: dict, path: Path, model: str) -> Path:
    """Validation p(user's letter) under a wrong suggestion, for every layer and multiplier."""
    val = _rows(letter["validation_rows"])
    layers = [int(layer) for layer in val.layers]
    grid = [
        [
            val.value("letter", "suggest_wrong", "p_match", layer=layer, multiplier=m)["mean"]
            for m in val.multipliers
        ]
        for layer in layers
    ]
    n = val.value("letter", "suggest_wrong", "p_match", layer=layers[0], multiplier=0)["n"]
    return plot_matrix(
        grid,
        [f"L{layer}" for layer in layers],
        [f"{m:+g}" for m in val.multipliers],
        path,
        f"{model}: p(user's letter), wrong suggestion\n(letter format, validation, n={n} prompts)",
        label="p(user's letter)",
        axes=("steering multiplier (caa_letter)", "layer"),
    )


def plot_full_search(search: dict, path: Path, model: str) -> Path:
    """Each validation (family, mode, layer, multiplier): accuracy lost without an opinion against
    accuracy gained under a wrong one; the allowed cost as a line, the chosen one circled."""
    import matplotlib.pyplot as plt

    table, chosen = search["validation_table"], search["chosen"]
    limit, n = search["max_capability_cost"], search["validation_n"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for key in sorted({(r["family"], r["mode"]) for r in table}):
        rows = [r for r in table if (r["family"], r["mode"]) == key]
        verb = "added" if key[1] == "add" else "projected out"
        ax.scatter(
            [r["capability_cost"] for r in rows],
            [r["opinion_accuracy_gain"] for r in rows],
            label=f"{key[0]} vector, {verb}",
            s=18,
        )
    ax.scatter(
        [chosen["capability_cost"]],
        [chosen["opinion_accuracy_gain"]],
        s=120,
        facecolors="none",
        edgecolors="black",
        label=f"chosen: {chosen['family']} {chosen['mode']} L{chosen['layer']} x{chosen['multiplier']:+g}",
    )
    ax.axvline(limit, color="gray", linestyle="--", linewidth=0.8, label=f"allowed accuracy cost ({limit:g})")
    ax.axhline(0, color="gray", linewidth=0.5, label="no change")
    unsteered = search["validation_unsteered"]
    ax.set(
        xlabel="accuracy lost without an opinion (full answer format, validation)",
        ylabel="accuracy gained under a wrong opinion",
        title=f"{model}: full-answer interventions, each point a (layer, multiplier)\n"
        f"validation: {n['opinion']} wrong-opinion prompts (unsteered accuracy "
        f"{unsteered['wrong_opinion_accuracy']:.2f}),\n{n['capability']} without an opinion (accuracy "
        f"{unsteered['capability_accuracy']:.2f})",
    )
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
