"""Figures for studies: accuracy by layer, heat maps, dose-response curves. PNG files (Agg backend).

Example:
    >>> plot_sweep(result, "results/truth/accuracy_by_layer.png")
    >>> plot_dose_response({"p(match)": (multipliers, rows)}, "results/sycophancy/dose.png")
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_sweep(result, path: str | Path, title: str | None = None) -> Path:
    """Test accuracy and AUROC by layer with 95% bootstrap bands, validation accuracy, the chosen
    layer and chance. `result` is a SweepResult or anything with its fields (e.g. its ``to_dict()``
    as a namespace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    layers = np.asarray(result.layers)
    fig, ax = plt.subplots(figsize=(7, 4))
    low = 0.4
    for name, values, ci in (
        ("test accuracy", result.test_accuracy, result.test_accuracy_ci),
        ("test AUROC", result.test_auroc, result.test_auroc_ci),
    ):
        (line,) = ax.plot(layers, values, marker="o", markersize=3, label=name)
        ci = np.asarray(ci, dtype=float)
        ax.fill_between(
            layers, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.2, label=f"{name}: 95% bootstrap CI"
        )
        low = min(low, float(np.nanmin(ci[:, 0])))
    ax.plot(layers, result.val_accuracy, linestyle="--", color="gray", label="validation accuracy")
    ax.axvline(
        result.best_layer, color="black", linewidth=0.8, label=f"chosen on validation: {result.best_layer}"
    )
    ax.axhline(0.5, color="gray", linewidth=0.6, linestyle=":", label="chance (0.5)")
    ax.set(
        xlabel="layer",
        ylabel="accuracy / AUROC (held-out test)",
        ylim=(max(0.0, low - 0.05), 1.01),
        title=title or f"{result.probe} probe by layer",
    )
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_matrix(
    matrix,
    rows: list[str],
    cols: list[str],
    path: str | Path,
    title: str,
    label: str = "accuracy",
    axes: tuple[str, str] = ("tested on", "trained on"),
    limits: tuple[float, float] = (0.0, 1.0),
) -> Path:
    """A heat map with the value written in each cell (e.g. train-on-row, test-on-column)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 2, 1.0 * len(rows) + 1.5))
    image = ax.imshow(matrix, vmin=limits[0], vmax=limits[1], cmap="viridis")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set(xlabel=axes[0], ylabel=axes[1], title=title)
    middle = limits[0] + 0.6 * (limits[1] - limits[0])
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value < middle else "black")
    fig.colorbar(image, ax=ax, label=label)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_dose_response(curves: dict, path: str | Path, title: str = "") -> Path:
    """One line per metric against the steering multiplier, with its 95% CI as a band.

    `curves` maps a label to ``(multipliers, rows)``, each row holding ``mean`` and ``ci``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, (multipliers, rows) in curves.items():
        means = np.array([np.nan if r["mean"] is None else r["mean"] for r in rows], dtype=float)
        ci = np.array([[np.nan if c is None else c for c in r["ci"]] for r in rows], dtype=float)
        (line,) = ax.plot(multipliers, means, marker="o", markersize=3, label=label)
        ax.fill_between(multipliers, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.2)
    ax.axvline(0, color="gray", linewidth=0.5)
    ax.axhline(0.5, color="gray", linewidth=0.5, linestyle=":")
    ax.set(xlabel="steering multiplier", ylabel="score", ylim=(-0.02, 1.02), title=title)
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
