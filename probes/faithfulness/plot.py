"""The faithfulness study's figure, drawn from the metrics only (so a report can be redrawn from JSON).

Six panels: the Lanham early-answering and adding-a-mistake curves (agreement with the full-CoT
answer, 95% Wilson intervals per bin; then the same corrected for the letter prior, Cohen's kappa,
which can fall below 0), the pre-CoT answer probe by layer, and bias-following per task and bias
with 95% bootstrap intervals. Empty bins are gaps, never joined across; a panel whose step did not
run says so.

Example:
    >>> draw_figure(result.metrics, result.config, result.skipped, result.model, Path("results/faith.png"))
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from probes.faithfulness.report import BIASES, has_plot, steps_of  # noqa: E402

Z95 = 1.959963984540054
LANHAM = (("early_answering", "Early answering"), ("adding_mistakes", "Adding a mistake"))
XLABEL = {
    "early_answering": "fraction of the CoT shown before the forced answer",
    "adding_mistakes": "position of the mistake (fraction of the CoT)",
}


def wilson(p: float, n: int) -> tuple[float, float]:
    """95% Wilson interval of a proportion `p` observed on `n` items."""
    if n == 0:
        return math.nan, math.nan
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _values(curve: dict, key: str) -> np.ndarray:
    """A curve's per-bin values with NaN for empty bins (matplotlib leaves a gap there)."""
    return np.array([math.nan if v is None else v for v in curve[key]], dtype=float)


def draw_figure(metrics: dict, config: dict, skipped: dict, model: str, path: Path) -> Path | None:
    """Write the figure to `path`; None (nothing written) when no plotted step finished."""
    if not has_plot(metrics):
        return None
    lanham = steps_of(metrics, "lanham")
    fig, axes = plt.subplots(2, 3, figsize=(17, 9))
    for col, (key, name) in enumerate(LANHAM):
        _agreement(axes[0, col], axes[1, col], lanham, key, name)
    _probe(axes[0, 2], metrics.get("internal"), skipped.get("internal"))
    _bias(axes[1, 2], steps_of(metrics, "bias"))
    tasks = ", ".join(config.get("tasks", []))
    fig.suptitle(
        f"{model.split('/')[-1]}: chain-of-thought faithfulness on {tasks} "
        f"(n={config.get('n')} questions per task, CoT up to {config.get('max_new_tokens')} tokens)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _agreement(raw_ax, kappa_ax, lanham: dict, key: str, name: str) -> None:
    if not lanham:
        for ax in (raw_ax, kappa_ax):
            ax.text(
                0.5, 0.5, "the Lanham steps did not run", ha="center", va="center", transform=ax.transAxes
            )
            ax.set(title=name, xticks=[], yticks=[])
        return
    low, defined, seen = 0.0, False, False
    for k, (task, lan) in enumerate(lanham.items()):
        curve, interval = lan[key]["curve"], lan[key]["ci"]
        x = np.array(curve["fractions"]) + 0.05 + 0.012 * (k - (len(lanham) - 1) / 2)  # bin centres
        raw = _values(curve, "agreement")
        seen = seen or not np.all(np.isnan(raw))
        bounds = np.array(
            [wilson(p, n) if not math.isnan(p) else (math.nan,) * 2 for p, n in zip(raw, curve["counts"])]
        )
        errors = np.nan_to_num(np.abs(np.stack([raw - bounds[:, 0], bounds[:, 1] - raw])))
        raw_ax.errorbar(
            x, raw, yerr=errors, marker="o", capsize=3, color=f"C{k}", label=task + _aoc(curve, interval)
        )
        kappa = _values(curve, "agreement_normalized")
        kappa_ax.plot(x, kappa, marker="o", color=f"C{k}", label=task)
        if not np.all(np.isnan(kappa)):
            low, defined = min(low, float(np.nanmin(kappa))), True
    handles, labels = raw_ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="gray", marker="|", linestyle="none", markersize=10))
    labels.append("bars: 95% Wilson interval per bin")
    raw_ax.legend(handles, labels, fontsize=8, loc="best")
    raw_ax.set(
        title=f"{name}: agreement with the full-CoT answer",
        xlabel=XLABEL[key],
        ylabel="share agreeing with the final answer",
        xlim=(0, 1),
        ylim=(-0.02, 1.02),
    )
    kappa_ax.axhline(0, color="black", linewidth=0.8, linestyle=":", label="chance agreement (kappa = 0)")
    if not seen:
        note = "no answers in any bin" + (
            " (no mistake could be written)" if key == "adding_mistakes" else ""
        )
        for ax in (raw_ax, kappa_ax):
            ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=9, transform=ax.transAxes)
    elif not defined:
        note = "undefined in every bin: both answer sets\nare one letter, so chance agreement is 1"
        kappa_ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=9, transform=kappa_ax.transAxes)
    kappa_ax.legend(fontsize=8, loc="best")
    kappa_ax.set(
        title=f"{name}: agreement corrected for the letter prior",
        xlabel=XLABEL[key],
        ylabel="chance-corrected agreement (Cohen's kappa)",
        xlim=(0, 1),
        ylim=(min(-0.1, low - 0.05), 1.05),
    )


def _aoc(curve: dict, interval: dict) -> str:
    """`` (AOC 0.12 [0.05, 0.20])`` for a legend, or nothing when the area is undefined."""
    aoc, bounds = curve.get("aoc"), interval.get("aoc") or [None, None]
    if aoc is None:
        return ""
    return f" (AOC {aoc:.2f}" + (f" [{bounds[0]:.2f}, {bounds[1]:.2f}])" if None not in bounds else ")")


def _probe(ax, internal: dict | None, why: str | None) -> None:
    title = "Final answer from the last prompt token\n(before the CoT)"
    if internal is None:
        text = "the internal step did not run" + (":\n" + "\n".join(textwrap.wrap(why, 48)) if why else "")
        ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9, transform=ax.transAxes)
        ax.set(title=title, xticks=[], yticks=[])
        return
    sweep = internal["precot_probe"]
    layers = sweep["layers"]
    ci = np.array([c if c else (math.nan, math.nan) for c in sweep["auroc_ci"]], dtype=float)
    (line,) = ax.plot(layers, sweep["auroc"], marker="o", label="answer probe AUROC (out-of-fold)")
    ax.fill_between(
        layers, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.2, label="probe: 95% bootstrap CI"
    )
    ax.plot(layers, sweep["control_auroc"], ls=":", label="shuffled-label control AUROC")
    lens = internal["precot_lens_accuracy"]
    ax.plot(range(len(lens)), lens, ls="--", label="logit-lens accuracy (share = final answer)")
    ax.axhline(0.5, color="gray", linewidth=0.6, label="chance AUROC (0.5)")
    ax.axvline(sweep["best_layer"], color="black", linewidth=0.8, label=f"best layer {sweep['best_layer']}")
    ax.set(
        title=f"{title}, {sweep['n_items']} items",
        xlabel="layer",
        ylabel="AUROC / accuracy",
        ylim=(0, 1.02),
    )
    ax.legend(loc="best", fontsize=7)


def _bias(ax, bias: dict) -> None:
    title = "Bias-following: P(target | biased) - P(target | unbiased)"
    if not bias:
        ax.text(0.5, 0.5, "the bias steps did not run", ha="center", va="center", transform=ax.transAxes)
        ax.set(title=title, xticks=[], yticks=[])
        return
    tasks = list(bias)
    series = [(key, mode) for key in BIASES for mode in ("cot", "no_cot")]
    width = 0.8 / len(series)
    low, high = 0.0, 0.0
    for j, (key, mode) in enumerate(series):
        means, errors = [], [[], []]
        for task in tasks:
            stat = bias[task].get(key, {}).get("forced", {}).get(mode, {}).get("bias_following") or {}
            mean, (lo, hi) = stat.get("mean"), stat.get("ci") or (None, None)
            means.append(math.nan if mean is None else mean)
            errors[0].append(0 if lo is None or mean is None else mean - lo)
            errors[1].append(0 if hi is None or mean is None else hi - mean)
            low = min(low, lo if lo is not None else 0)
            high = max(high, hi if hi is not None else 0)
        x = np.arange(len(tasks)) + (j - (len(series) - 1) / 2) * width
        hatch = None if mode == "cot" else "//"
        label = f"{BIASES[key]}, {'with' if mode == 'cot' else 'without'} CoT"
        ax.bar(
            x,
            means,
            width,
            yerr=errors,
            capsize=3,
            color=f"C{list(BIASES).index(key) + 3}",
            hatch=hatch,
            label=label,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(tasks)), tasks)
    ax.set(
        title=title,
        xlabel="task (error bars: 95% bootstrap intervals)",
        ylabel="bias-following (difference of shares)",
        ylim=(min(-0.1, low - 0.05), max(0.1, high + 0.05)),
    )
    ax.legend(fontsize=8, loc="best")
