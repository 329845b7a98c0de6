"""Dose-response sweeps: behaviour metrics under steering, over layers (vectors) and multipliers.

For each vector (typically one per layer) and each multiplier, every evaluation set (a
:class:`~probes.datasets.ChoiceSet`) is scored inside :func:`hooks.steer` and summarized by
:func:`probes.choice_metrics.sycophancy_metrics`. Multiplier 0 is the unsteered model: it is scored
once and shared by all vectors. Mode ``"project"`` has no multiplier: any non-zero multiplier
becomes one cell per vector, recorded with multiplier 1.

Steering applies at every position (``positions="all"``). Scoring reads the distribution at the
prompt's own positions, so ``"after_prompt"`` would steer nothing, and a first position would mean
a different token in every left-padded batch: both are refused. Every argument is checked before
anything is scored.

Example:
    >>> result = dose_response(model, {12: vec12, 16: vec16}, [-4, 0, 4],
    ...                        {"letter": letter_opinions, "capability": baseline_questions})
    >>> result.value("letter", "suggest_wrong", "p_match", layer=12, multiplier=-4)
    >>> result.plot("dose.png", [("letter", "suggest_wrong", "p_match")], layer=12)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hooks import steer
from hooks.scoring import option_logprobs
from probes.choice_metrics import sycophancy_metrics
from probes.datasets.choices import ChoiceSet
from probes.steering import SteeringVector, as_real


@dataclass
class DoseResponse:
    """Rows ``{"layer", "multiplier", "set", "condition", "metric", "mean", "ci", "n"}``.

    `layer` is the key of the vector in the sweep (None for the unsteered row at multiplier 0,
    which :meth:`value` returns for any layer).
    """

    mode: str
    positions: str
    layers: list
    multipliers: list[float]
    rows: list[dict] = field(default_factory=list)

    def value(self, set_name: str, condition: str, metric: str, *, layer, multiplier: float | int) -> dict:
        """The row for one cell: ``{"mean", "ci", "n", ...}``."""
        for row in self.rows:
            same_layer = row["layer"] == layer or (row["layer"] is None and multiplier == 0)
            if (row["set"], row["condition"], row["metric"], row["multiplier"]) == (
                set_name,
                condition,
                metric,
                float(multiplier),
            ) and same_layer:
                return row
        raise KeyError(f"no {set_name}/{condition}/{metric} at layer {layer}, multiplier {multiplier}")

    def curve(self, set_name: str, condition: str, metric: str, layer) -> tuple[list[float], list[dict]]:
        """Multipliers (sorted) and the rows of one metric at one layer."""
        rows = [self.value(set_name, condition, metric, layer=layer, multiplier=m) for m in self.multipliers]
        return list(self.multipliers), rows

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "positions": self.positions,
            "layers": self.layers,
            "multipliers": self.multipliers,
            "rows": self.rows,
        }

    def plot(
        self, path: str | Path, series: Sequence[tuple[str, str, str]], *, layer, title: str = ""
    ) -> Path:
        """Dose-response at one layer: each (set, condition, metric) against the multiplier, with CIs."""
        from probes.plots import plot_dose_response

        curves = {"/".join(s): self.curve(*s, layer) for s in series}
        return plot_dose_response(curves, path, title=title or f"layer {layer}, mode {self.mode}")


def dose_response(
    model,
    vectors: Any,  # Mapping[object, SteeringVector]; checked by hand
    multipliers: Any,  # a list of real numbers
    sets: Mapping[str, ChoiceSet],
    *,
    mode: str = "add",
    positions: Any = "all",
    batch_size: int = 16,
    n_boot: int = 1000,
    seed: int = 0,
    progress: bool = True,
) -> DoseResponse:
    """Score every set under every (vector, multiplier) cell; see the module docstring."""
    if not isinstance(vectors, Mapping):
        raise TypeError(
            f"vectors must be a mapping {{layer: SteeringVector}}, got {type(vectors).__name__}; "
            "e.g. dose_response(model, {12: vec}, ...)"
        )
    if not vectors:
        raise ValueError("no vectors given; pass e.g. {layer: SteeringVector}")
    for key, vector in vectors.items():
        if not isinstance(vector, SteeringVector):
            raise TypeError(f"vectors[{key!r}] must be a SteeringVector, got {type(vector).__name__}")
    if not (isinstance(positions, str) and positions == "all"):
        raise ValueError(
            f"dose_response steers positions='all' only, got {positions!r}: scoring reads the prompt's own "
            "positions, so 'after_prompt' would steer nothing, and a first position would mean another "
            "token in every (left-padded) batch"
        )
    if isinstance(multipliers, (str, bytes)) or not isinstance(multipliers, Sequence):
        kind = type(multipliers).__name__
        raise TypeError(
            f"multipliers must be a list of numbers such as [-4, 0, 4], got {kind} {multipliers!r}"
        )
    values = [as_real(m, "each multiplier") for m in multipliers]
    if not values:
        raise ValueError("no multipliers given")
    if not sets or any(len(s) == 0 for s in sets.values()):
        raise ValueError("every evaluation set must hold at least one item")
    with steer(model, list(vectors.values()), 1.0, mode=mode):  # refuses a vector that does not fit
        pass
    multipliers = sorted({m if mode != "project" or m == 0 else 1.0 for m in values})
    result = DoseResponse(mode=mode, positions=positions, layers=list(vectors), multipliers=multipliers)
    prompts = {name: (s.prompts(model), [item.options for item in s]) for name, s in sets.items()}

    def score_all(layer, multiplier):
        for name, choices in sets.items():
            logprobs = option_logprobs(model, *prompts[name], batch_size=batch_size, progress=False)
            report = sycophancy_metrics(choices, logprobs, n_boot=n_boot, seed=seed)
            for condition, metrics in report.items():
                for metric, summary in metrics.items():
                    result.rows.append(
                        {
                            "layer": layer,
                            "multiplier": multiplier,
                            "set": name,
                            "condition": condition,
                            "metric": metric,
                            **summary,
                        }
                    )

    cells = [(layer, m) for layer in vectors for m in multipliers if m != 0]
    if 0.0 in multipliers:
        score_all(None, 0.0)
    for layer, multiplier in tqdm(cells, desc=f"dose-response ({mode})", disable=not progress):
        with steer(model, vectors[layer], multiplier, mode=mode, positions=positions):
            score_all(layer, multiplier)
    return result
