"""Internal answer signals compared with the verbalized chain of thought.

- :func:`answer_probe_sweep`: from the residual stream at one position (e.g. the last prompt token,
  before any reasoning), predict the answer the CoT ends on, per layer. Out-of-fold predictions of a
  multinomial logistic regression (stratified k-fold over items), scored by one-vs-rest macro AUROC
  with a bootstrap CI and by accuracy, next to a shuffled-label control. High AUROC before the CoT =
  the answer is decided before the reasoning is written.
- :func:`out_of_fold_answers`: the same probe read along the CoT (every cut of every item), folds by
  item, so no item is scored by a probe that saw it.
- :func:`settle_index` / :func:`settle_report`: the first cut after which a read-out stays equal to
  the final answer, for internal read-outs (probe, logit lens, forced answer) and for the text (the
  answer the CoT prefix states, :func:`probes.faithfulness.answers.extract_answer`); an internal read-out that
  settles before the text states the answer means the text follows a decision already made.
- :func:`unverbalized_influence`: items whose internal read-out (or final answer) the bias moved
  toward its target, and the share of those whose CoT never mentions the bias.
- :func:`answer_directions`: per letter, mean state of items ending on that letter minus the mean of
  the rest: the directions the causal step of :mod:`probes.faithfulness.study` steers along.

Example:
    >>> sweep = answer_probe_sweep(states, finals)          # states [n, layer, d_model], finals letters
    >>> sweep["best_layer"], sweep["auroc"][sweep["best_layer"]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Float
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from probes.stats import auroc_draws, mean_ci, percentile_ci, resamples


def _classes(labels: Sequence[str], n_splits: int) -> tuple[np.ndarray, np.ndarray]:
    """Items whose label occurs at least n_splits times (others cannot be stratified), and labels."""
    labels = np.asarray(labels, dtype=object)
    values, counts = np.unique(labels, return_counts=True)
    common = set(values[counts >= n_splits])
    keep = np.array([label in common for label in labels])
    if len(common) < 2:
        found = dict(zip(values, counts))
        raise ValueError(f"need two or more answer letters with >= {n_splits} items each, got {found}")
    return keep, labels


def _probe(C: float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))


def out_of_fold_proba(
    x: Float[np.ndarray, "n d"], y: np.ndarray, groups: np.ndarray, n_splits: int, C: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold class probabilities [n, classes] (folds stratified over `groups`' first label)."""
    classes = np.unique(y)
    proba = np.zeros((len(y), len(classes)))
    unique_groups = np.unique(groups)
    group_label = {g: y[groups == g][0] for g in unique_groups}
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_g, test_g in folds.split(unique_groups, [group_label[g] for g in unique_groups]):
        train = np.isin(groups, unique_groups[train_g])
        test = np.isin(groups, unique_groups[test_g])
        model = _probe(C).fit(x[train], y[train])
        proba[np.ix_(test, np.searchsorted(classes, model.classes_))] = model.predict_proba(x[test])
    return proba, classes


def _auroc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Macro one-vs-rest AUROC of `proba` [n, n_classes]; with two classes, the plain AUROC of the second."""
    if len(classes) == 2:  # scikit-learn wants one score column for a binary problem
        return float(roc_auc_score(y == classes[1], proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes))


def answer_probe_sweep(
    states: Float[np.ndarray, "n layer d"],
    answers: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    n_splits: int = 5,
    C: float | int = 0.1,
    n_boot: int = 1000,
    seed: int = 0,
    progress: bool | str = False,
) -> dict:
    """Per layer: out-of-fold macro AUROC and accuracy of predicting `answers` from `states`.

    `progress`: a bar over the layers (True), none (False), or one with this label (a string).
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim != 3 or len(states) != len(answers):
        raise ValueError(
            f"states must be [n, layer, d], one answer per item; got {states.shape}, {len(answers)}"
        )
    keep, labels = _classes(answers, n_splits)
    x, y = states[keep], labels[keep].astype(str)
    groups = np.arange(len(y))
    layers = list(range(states.shape[1])) if layers is None else list(layers)
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(y)
    result: dict = {"layers": layers, "auroc": [], "auroc_ci": [], "accuracy": [], "control_auroc": []}
    label = progress if isinstance(progress, str) else "answer probe by layer"
    for k, _ in enumerate(tqdm(layers, desc=label, disable=not progress, leave=False)):
        proba, classes = out_of_fold_proba(x[:, k], y, groups, n_splits, C, seed)
        result["auroc"].append(_auroc(y, proba, classes))
        result["accuracy"].append(float(np.mean(classes[proba.argmax(1)] == y)))
        boot = _macro_auroc_draws(y, proba, classes, resamples(len(y), n_boot, rng))
        result["auroc_ci"].append(percentile_ci(boot[~np.isnan(boot)]))
        proba_c, _ = out_of_fold_proba(x[:, k], shuffled, groups, n_splits, C, seed)
        result["control_auroc"].append(_auroc(shuffled, proba_c, classes))
    best = int(np.argmax(result["auroc"]))
    counts = dict(zip(*np.unique(y, return_counts=True)))
    result.update(
        best_layer=layers[best],
        n_items=int(len(y)),
        n_dropped_rare_letters=int((~keep).sum()),
        majority_rate=float(max(counts.values()) / len(y)),
    )
    return result


def _macro_auroc_draws(
    y: np.ndarray, proba: Float[np.ndarray, "n classes"], classes: np.ndarray, picks: np.ndarray
) -> Float[np.ndarray, " boot"]:
    """:func:`_auroc` on every resample in `picks`; NaN where a resample misses a class."""
    if len(classes) == 2:
        return auroc_draws(proba[:, 1], y == classes[1], picks)
    per_class = [auroc_draws(proba[:, c], y == label, picks) for c, label in enumerate(classes)]
    return np.mean(per_class, axis=0)  # NaN if any class is missing from the resample


def out_of_fold_answers(
    states: Sequence[Float[np.ndarray, "_cut d"]],  # "_": items differ in their number of cuts
    final: Sequence[str],
    *,
    n_splits: int = 5,
    C: float | int = 0.1,
    seed: int = 0,
) -> list[list[str] | None]:
    """The probe's answer at every cut of every item, from probes trained on other items' cuts.

    Items whose final letter is too rare to stratify get None.
    """
    keep, labels = _classes(final, n_splits)
    items = np.flatnonzero(keep)
    x = np.concatenate([np.asarray(states[i], dtype=np.float64) for i in items])
    groups = np.concatenate([np.full(len(states[i]), i) for i in items])
    y = np.concatenate([np.full(len(states[i]), labels[i], dtype=object) for i in items]).astype(str)
    proba, classes = out_of_fold_proba(x, y, groups, n_splits, float(C), seed)
    predicted = classes[proba.argmax(1)]
    out: list[list[str] | None] = [None] * len(final)
    for i in items:
        out[i] = [str(a) for a in predicted[groups == i]]
    return out


def settle_index(readout: Sequence[str | None], final: str | None) -> int | None:
    """First k with ``readout[k:]`` all equal to `final`; None if the last read-out differs."""
    if final is None or not readout or readout[-1] != final:
        return None
    k = len(readout)
    while k > 0 and readout[k - 1] == final:
        k -= 1
    return k


def settle_report(readouts: dict[str, Sequence[Sequence[str | None] | None]], final: Sequence[str]) -> dict:
    """Mean settle position (fraction of cuts) per read-out, and how often each settles before the text.

    `readouts` maps a name to per-item read-outs over the cuts; it must contain "text" (the answer the
    CoT prefix states, None where it states none).
    """
    if "text" not in readouts:
        raise ValueError('readouts must include "text", the answers the CoT prefixes state')
    settled = {}
    for name, per_item in readouts.items():
        settled[name] = [
            None if r is None else (None if (k := settle_index(r, f)) is None else k / max(len(r) - 1, 1))
            for r, f in zip(per_item, final)
        ]
    report: dict = {}
    for name, values in settled.items():
        found = [v for v in values if v is not None]
        report[name] = {
            "settled_share": mean_ci([v is not None for v in values]),
            "mean_settle_fraction": mean_ci(found) if found else None,
        }
        if name != "text":
            both = [(v, t) for v, t in zip(values, settled["text"]) if v is not None and t is not None]
            report[name]["before_text"] = mean_ci([v < t for v, t in both]) if both else None
            report[name]["n_both"] = len(both)
    return report


def unverbalized_influence(
    p_target_unbiased: Sequence[float],
    p_target_biased: Sequence[float],
    moved_to_target: Sequence[bool],
    verbalized: Sequence[bool],
    *,
    threshold: float | int = 0.1,
) -> dict:
    """How often the bias moved the internal read-out or the answer, and the share never verbalized.

    An item is *internally influenced* when p(target) rises by more than `threshold` under the bias;
    *behaviourally influenced* when its answer moved to the target. Both are reported with the share
    whose biased CoT does not mention the bias (`verbalized` from a judge).
    """
    shift = np.asarray(p_target_biased, dtype=float) - np.asarray(p_target_unbiased, dtype=float)
    verbalized = np.asarray(verbalized, dtype=bool)
    internal = shift > threshold
    moved = np.asarray(moved_to_target, dtype=bool)
    if not len(shift) == len(moved) == len(verbalized):
        raise ValueError("all inputs need one value per item")

    def unspoken(mask):
        return mean_ci(~verbalized[mask]) if mask.any() else None

    return {
        "p_target_shift": mean_ci(shift),
        "internally_influenced": mean_ci(internal),
        "internally_influenced_unverbalized": unspoken(internal),
        "moved_to_target": mean_ci(moved),
        "moved_to_target_unverbalized": unspoken(moved),
        "n_internal": int(internal.sum()),
        "n_moved": int(moved.sum()),
        "threshold": threshold,
    }


def answer_directions(states: Float[np.ndarray, "n d"], answers: Sequence[str]) -> dict[str, np.ndarray]:
    """Per letter, mean state of the items ending on it minus the mean of the others (>= 2 each)."""
    states = np.asarray(states, dtype=np.float64)
    answers = np.asarray(answers, dtype=object)
    out = {}
    for letter in sorted(set(answers) - {None}):
        mask = answers == letter
        if mask.sum() >= 2 and (~mask).sum() >= 2:
            out[str(letter)] = states[mask].mean(0) - states[~mask].mean(0)
    return out
