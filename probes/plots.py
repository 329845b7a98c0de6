"""Figures for studies: accuracy by layer, transfer heat maps. Writes PNG files (Agg backend).

Example:
    >>> plot_sweep(result, "results/truth/accuracy_by_layer.png")
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_sweep(result, path: str | Path, title: str | None = None) -> Path:
    """Test accuracy and AUROC by layer with 95% CIs, validation accuracy, and the chosen layer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    layers = np.asarray(result.layers)
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values, ci in (
        ("test accuracy", result.test_accuracy, result.test_accuracy_ci),
        ("test AUROC", result.test_auroc, result.test_auroc_ci),
    ):
        (line,) = ax.plot(layers, values, marker="o", markersize=3, label=name)
        ci = np.asarray(ci)
        ax.fill_between(layers, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.2)
    ax.plot(layers, result.val_accuracy, linestyle="--", color="gray", label="validation accuracy")
    ax.axvline(
        result.best_layer, color="black", linewidth=0.8, label=f"chosen on validation: {result.best_layer}"
    )
    ax.axhline(0.5, color="gray", linewidth=0.5)
    ax.set(xlabel="layer", ylabel="score", ylim=(0.4, 1.01), title=title or f"{result.probe} probe by layer")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_matrix(
    matrix, rows: list[str], cols: list[str], path: str | Path, title: str, label: str = "accuracy"
) -> Path:
    """A heat map with the value written in each cell (e.g. train-on-row, test-on-column)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 2, 1.0 * len(rows) + 1.5))
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set(xlabel="tested on", ylabel="trained on", title=title)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value < 0.6 else "black")
    fig.colorbar(image, ax=ax, label=label)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
