"""The deception study's figures that the shared :mod:`probes.plots` has no form for.

Example:
    >>> plot_steering({"honest instruction": (multipliers, rows)}, "steering_truth.png",
    ...               title="deception vector at layer 15", ylabel="p(true country)")
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_steering(
    curves: dict, path: str | Path, *, title: str, ylabel: str, chance: float | None = 0.5
) -> Path:
    """One line per label against the steering multiplier, its 95% bootstrap interval as a band.

    `curves` maps a readable label to ``(multipliers, rows)``, each row ``{"mean", "ci"}``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    low, high = 0.0, 1.0
    for label, (multipliers, rows) in curves.items():
        means = np.array([np.nan if r["mean"] is None else r["mean"] for r in rows], dtype=float)
        ci = np.array([[np.nan if c is None else c for c in (r.get("ci") or (None, None))] for r in rows])
        ci = ci.astype(float)
        (line,) = ax.plot(multipliers, means, marker="o", markersize=3, label=label)
        ax.fill_between(
            multipliers,
            ci[:, 0],
            ci[:, 1],
            color=line.get_color(),
            alpha=0.2,
            label=f"{label}: 95% bootstrap CI",
        )
        if np.isfinite(ci).any():
            low, high = min(low, float(np.nanmin(ci))), max(high, float(np.nanmax(ci)))
    ax.axvline(0, color="gray", linewidth=0.6, label="no steering (multiplier 0)")
    if chance is not None:
        ax.axhline(chance, color="gray", linewidth=0.6, linestyle=":", label=f"chance ({chance:g})")
    ax.set(
        xlabel="steering multiplier (times the deception vector)",
        ylabel=ylabel,
        ylim=(low - 0.02, high + 0.02),
        title=title,
    )
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
