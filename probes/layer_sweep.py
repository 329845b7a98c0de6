"""Fit a probe at every layer on a seeded split; pick the layer on validation, report test.

All layers are fitted at once in torch (batched Newton steps for the logistic probe, a closed
form for difference of means), not in a Python loop of scikit-learn fits.

Example:
    >>> result = sweep(acts, ds.labels, groups=ds.groups, probe="logistic", C=0.1)
    >>> result.best_layer, result.test_accuracy[result.best_layer]
    >>> result.plot("results/truth/accuracy_by_layer.png")
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from numbers import Integral

import numpy as np
import torch
from torch import Tensor

from probes.constants import SPLIT_FRACTIONS
from probes.linear import LogisticProbe, MeanDiffProbe, activations, binary_labels, fit_logistic_checked
from probes.metrics import accuracy, auroc
from probes.splits import group_split
from probes.stats import bootstrap_ci

PROBES = ("logistic", "mean_diff")


@dataclass(frozen=True, kw_only=True)
class SweepResult:
    """Per-layer metrics (index = position in `layers`); CIs are 95% stratified bootstrap."""

    probe: str
    layers: list[int]
    best_layer: int
    train_accuracy: list[float]
    val_accuracy: list[float]
    val_auroc: list[float]
    test_accuracy: list[float]
    test_auroc: list[float]
    test_accuracy_ci: list[list[float]]
    test_auroc_ci: list[list[float]]
    split: dict
    C: float | None = None  # the logistic probe's inverse L2 strength
    coef: np.ndarray = field(repr=False)
    intercept: np.ndarray = field(repr=False)
    # the logistic probe's standardization per layer (None for mean_diff), and the split itself
    mean: np.ndarray | None = field(default=None, repr=False)
    scale: np.ndarray | None = field(default=None, repr=False)
    indices: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        """The per-layer numbers (JSON-able); weights, standardization and split indices left out."""
        out = asdict(self)
        for key in ("coef", "intercept", "mean", "scale", "indices"):
            out.pop(key)
        return out

    def best(self) -> dict:
        i = self.layers.index(self.best_layer)
        return {
            "layer": self.best_layer,
            "test_accuracy": self.test_accuracy[i],
            "test_auroc": self.test_auroc[i],
            "test_accuracy_ci": self.test_accuracy_ci[i],
            "test_auroc_ci": self.test_auroc_ci[i],
        }

    def plot(self, path, title: str | None = None):
        from probes.plots import plot_sweep

        return plot_sweep(self, path, title)


def sweep(
    acts,
    labels,
    *,
    probe: str = "logistic",
    groups=None,
    fractions: tuple[float, float, float] = SPLIT_FRACTIONS,
    seed: int = 0,
    C: float = 1.0,
    layers: list[int] | None = None,
    n_boot: int = 1000,
) -> SweepResult:
    """Fit `probe` ("logistic" or "mean_diff") at each layer of ``acts [n, layer, d_model]``.

    The split is by `groups` (items sharing a group stay together; default: each item alone),
    seeded; `best_layer` maximizes validation AUROC (ties: validation accuracy). `layers` names
    the layer each column of `acts` came from (default 0..n_layer-1).
    """
    x = activations(acts, name="acts", dims="n layer d_model")
    y = binary_labels(labels, x.shape[0])
    if probe not in PROBES:
        raise ValueError(f"unknown probe {probe!r}; expected one of {PROBES}")
    if x.shape[1] == 0:
        raise ValueError(f"acts has no layers (shape {tuple(x.shape)}); expected [n, layer, d_model]")
    layers = list(range(x.shape[1])) if layers is None else list(layers)
    if len(layers) != x.shape[1]:
        raise ValueError(f"layers names {len(layers)} layers but acts has {x.shape[1]}")
    if not all(isinstance(layer, Integral) for layer in layers) or len(set(layers)) != len(layers):
        raise ValueError(f"layers must be distinct integers, one per column of acts, got {layers}")
    layers = [int(layer) for layer in layers]
    if len(fractions) != 3:
        raise ValueError(f"fractions must be 3 numbers (train, validation, test), got {tuple(fractions)}")
    train, val, test = group_split(_groups(groups, len(y)), fractions, seed)
    for name, part in (("train", train), ("validation", val), ("test", test)):
        if len(torch.unique(y[part])) < 2:
            raise ValueError(f"the {name} split holds one class only; use more data or another seed")
    per_layer = x.transpose(0, 1)  # [layer, n, d]
    coef, intercept, mean, scale = _fit(per_layer[:, train], y[train], probe, C, layers)
    scores = torch.einsum("lnd,ld->ln", per_layer.double(), coef) + intercept[:, None]
    val_auroc, val_acc = auroc(scores[:, val], y[val]), accuracy(scores[:, val], y[val])
    best = int(np.lexsort((-val_acc.numpy(), -val_auroc.numpy()))[0])
    test_scores = scores[:, test]
    return SweepResult(
        probe=probe,
        layers=layers,
        best_layer=layers[best],
        train_accuracy=accuracy(scores[:, train], y[train]).tolist(),
        val_accuracy=val_acc.tolist(),
        val_auroc=val_auroc.tolist(),
        test_accuracy=accuracy(test_scores, y[test]).tolist(),
        test_auroc=auroc(test_scores, y[test]).tolist(),
        test_accuracy_ci=bootstrap_ci(accuracy, test_scores, y[test], n_boot, seed=seed).tolist(),
        test_auroc_ci=bootstrap_ci(auroc, test_scores, y[test], n_boot, seed=seed).tolist(),
        split={
            "fractions": list(fractions),
            "seed": seed,
            "by": "group",
            "sizes": {"train": len(train), "val": len(val), "test": len(test)},
        },
        C=C if probe == "logistic" else None,
        coef=coef.numpy(),
        intercept=intercept.numpy(),
        mean=None if mean is None else mean.numpy(),
        scale=None if scale is None else scale.numpy(),
        indices={"train": np.asarray(train), "val": np.asarray(val), "test": np.asarray(test)},
    )


def _groups(groups, n: int) -> np.ndarray:
    """One group id per item (default: each item alone), refusing ids that would drop items."""
    if groups is None:
        return np.arange(n)
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(
            f"groups must have shape [{n}], one id per item of acts, got {tuple(groups.shape)}; "
            "pass the groups of exactly these items, in their order"
        )
    if groups.dtype.kind == "f" and np.isnan(groups).any() or groups.dtype.kind == "O":
        raise ValueError(
            f"groups must be ids (ints or strings) without NaN or None, got {groups[:5].tolist()}"
        )
    return groups


def _fit(x: Tensor, y: Tensor, probe: str, C: float, layers: list[int]):
    """Per-layer coef [layer, d] and intercept [layer] acting on raw activations (float64), and
    the logistic probe's standardization, mean and scale [layer, d] (None for mean_diff)."""
    x = x.double()
    if probe == "mean_diff":
        mu0, mu1 = x[:, y == 0].mean(1), x[:, y == 1].mean(1)
        coef = mu1 - mu0
        return coef, -(coef * (mu0 + mu1) / 2).sum(-1), None, None
    mean, scale = x.mean(1, keepdim=True), x.std(1, keepdim=True).clamp_min(1e-8)
    w, b = fit_logistic_checked(((x - mean) / scale).float(), y, C=C, names=layers)
    coef = w.double() / scale.squeeze(1)
    return coef, b.double() - (coef * mean.squeeze(1)).sum(-1), mean.squeeze(1), scale.squeeze(1)


def probe_at(result: SweepResult, layer: int) -> LogisticProbe | MeanDiffProbe:
    """The fitted probe of `result` at `layer`, as a scikit-learn-style estimator."""
    if layer not in result.layers:
        raise ValueError(f"layer {layer!r} was not swept; pick one of {result.layers}")
    i = result.layers.index(layer)
    fitted = LogisticProbe(C=result.C) if result.probe == "logistic" else MeanDiffProbe()
    fitted.coef_, fitted.intercept_ = result.coef[i].astype(np.float64), float(result.intercept[i])
    fitted.classes_, fitted.n_features_in_ = np.array([0, 1]), result.coef.shape[1]
    if result.mean is not None:  # the logistic probe's standardization, as LogisticProbe.fit keeps it
        fitted.mean_, fitted.scale_ = result.mean[i], result.scale[i]
    return fitted
