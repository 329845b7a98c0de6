"""Steering against sycophancy: the vector families, the letter dose-response, the full-answer search.

- :func:`build_vectors`: per layer of the grid, from the training questions only: CAA at the answer
  letter (``caa_letter``) and at the last answer token (``caa_full``), the opinion-presence
  direction (wrong-opinion minus no-opinion prompt, ``opinion``) and the follows-the-wrong-answer
  probe's direction (``probe``, scaled to the caa_full norm);
- :func:`letter_dose`: the caa_letter dose-response (layers x multipliers) on validation; the layer
  with the widest p(match) spread is re-run on the test questions, next to the opinion-free
  full-answer accuracy (the capability check);
- :func:`full_search`: every family, adding or projecting out, on validation; the best one whose
  opinion-free accuracy costs at most ``max_capability_cost`` is re-scored on the test questions.

Example:
    >>> families = build_vectors(model, data, parts, probe_data, config, layers=[8, 12])
    >>> letter = letter_dose(model, families, parts, config, layers=[8, 12])
    >>> letter["chosen_layer"], letter["test"]["p_match_by_multiplier"]
"""

from __future__ import annotations

import logging

import numpy as np

import probes
from probes.dose import dose_response
from probes.sycophancy.config import Config
from probes.vectors import answer_contrast, mean_difference

log = logging.getLogger(__name__)

OPINION = ("suggest_wrong", "suggest_right")
WRONG_OPINION = ("suggest_wrong", "biography_wrong")
FAMILIES = ("caa_letter", "caa_full", "opinion", "probe")


def build_vectors(model, data, parts, probe_data, config: Config, layers: list[int], progress=True) -> dict:
    """``{family: {layer: SteeringVector}}`` from the training questions; ``not_built`` says why a
    family is missing (``opinion`` and ``probe`` need the prompt activations of the probe step)."""
    full_train, letter_train = parts["full"][0], parts["letter"][0]
    name = str(model.cfg.model_name)

    def contrast(choices, label):
        return answer_contrast(
            model,
            choices.prompts(model),
            [it.options for it in choices],
            choices.suggested,
            1 - choices.suggested,
            layers,
            batch_size=config.batch_size,
            progress=progress and f"sycophancy: {label} contrast",
        )

    letter_diff = contrast(letter_train.where(condition=OPINION), "letter")
    full_diff = contrast(full_train.where(condition=OPINION), "full-answer")
    families: dict = {f: {} for f in FAMILIES}
    not_built: dict[str, str] = {}
    opinion_diff = opinion_rows = None
    if probe_data is None:
        not_built["opinion"] = not_built["probe"] = "no prompt activations (the probe step was skipped)"
    else:
        acts, conditions, train = probe_data["acts"], probe_data["conditions"], probe_data["train"]
        wrong = train & (conditions == "suggest_wrong")
        plain = train & (conditions == "baseline")
        opinion_diff = mean_difference(acts[wrong][:, layers], acts[plain][:, layers])
        opinion_rows = train & (conditions != "baseline")
    for j, layer in enumerate(layers):
        hook = f"blocks.{layer}.hook_resid_post"
        common = {"layer": layer, "dataset_sha256": data["full"].sha256(), "split_seed": config.seed}
        families["caa_letter"][layer] = probes.SteeringVector(
            letter_diff[j],
            hook,
            name,
            {"method": "caa_letter", "note": "user-matching minus other letter", **common},
        )
        families["caa_full"][layer] = probes.SteeringVector(
            full_diff[j],
            hook,
            name,
            {"method": "caa_full", "note": "user-matching minus other answer", **common},
        )
        if opinion_diff is None:
            continue
        families["opinion"][layer] = probes.SteeringVector(
            opinion_diff[j],
            hook,
            name,
            {"method": "opinion", "note": "wrong-opinion minus no-opinion prompt", **common},
        )
        if "probe" in not_built:
            continue
        try:
            labels = probe_data["labels"]
            probe = probes.LogisticProbe(C=config.C).fit(acts[opinion_rows][:, layer], labels[opinion_rows])
        except ValueError as error:  # e.g. one class only among the training items
            not_built["probe"] = f"{type(error).__name__}: {error}"
            log.warning("sycophancy: no probe vectors: %s", error)
            continue
        families["probe"][layer] = probes.SteeringVector.from_probe(
            probe,
            hook=hook,
            model=model,
            norm=float(full_diff[j].norm()),
            info={"method": "probe", "note": "follows-wrong-suggestion probe direction", **common},
        )
    if "probe" in not_built:
        families["probe"] = {}
    return {"families": {f: v for f, v in families.items() if v}, "not_built": not_built}


def letter_dose(model, families, parts, config: Config, layers: list[int], progress=True) -> dict:
    """Dose-response of the letter CAA vectors on validation, then the chosen layer on test."""
    multipliers = list(config.multipliers)

    def sets(split):
        return {
            "letter": parts["letter"][split].where(condition=OPINION),
            "capability": parts["full"][split].where(condition="baseline"),
        }

    val = dose_response(
        model,
        families["caa_letter"],
        multipliers,
        sets(1),
        batch_size=config.batch_size,
        seed=config.seed,
        progress=progress,
    )
    lo, hi = min(multipliers), max(multipliers)
    spread = {
        layer: val.value("letter", "suggest_wrong", "p_match", layer=layer, multiplier=hi)["mean"]
        - val.value("letter", "suggest_wrong", "p_match", layer=layer, multiplier=lo)["mean"]
        for layer in layers
    }
    chosen = max(spread, key=spread.get)
    test = dose_response(
        model,
        {chosen: families["caa_letter"][chosen]},
        multipliers,
        sets(2),
        batch_size=config.batch_size,
        seed=config.seed,
        progress=progress,
    )
    unsteered = test.value("letter", "suggest_wrong", "p_match", layer=chosen, multiplier=0)["mean"]
    cap0 = test.value("capability", "baseline", "accuracy", layer=chosen, multiplier=0)["mean"]
    curve = {
        m: test.value("letter", "suggest_wrong", "p_match", layer=chosen, multiplier=m)["mean"]
        for m in test.multipliers
    }
    return {
        "chosen_layer": chosen,
        "rule": "layer with the largest p(match) spread between the extreme multipliers on validation",
        "validation_spread": spread,
        "test": {
            "p_match_unsteered": unsteered,
            "p_match_by_multiplier": curve,
            "p_match_drop_at_most_negative": unsteered - curve[lo],
            "p_match_rise_at_most_positive": curve[hi] - unsteered,
            "monotonic": all(a <= b for a, b in zip(list(curve.values()), list(curve.values())[1:])),
            "capability_accuracy_unsteered": cap0,
            "capability_drop_by_multiplier": {
                m: cap0 - test.value("capability", "baseline", "accuracy", layer=chosen, multiplier=m)["mean"]
                for m in test.multipliers
            },
        },
        "validation_rows": val.to_dict(),
        "test_rows": test.to_dict(),
    }


def full_search(model, families, parts, config: Config, layers: list[int], progress=True) -> dict:
    """Which intervention best restores full-answer accuracy under a wrong opinion?"""

    def sets(split):
        return {
            "opinion": parts["full"][split].where(condition=WRONG_OPINION),
            "capability": parts["full"][split].where(condition="baseline"),
        }

    trials = [(family, "add", list(config.full_multipliers)) for family in ("caa_full", "probe")]
    trials += [("opinion", "add", [-1.0]), ("opinion", "project", [1.0]), ("caa_full", "project", [1.0])]
    trials = [trial for trial in trials if trial[0] in families]
    table, val_sets = [], sets(1)
    base = None

    def wrong_accuracy(result, layer, multiplier) -> float:
        """Accuracy pooled over the wrong-opinion conditions (equal sizes: the mean of the two)."""
        values = [
            result.value("opinion", c, "accuracy", layer=layer, multiplier=multiplier)["mean"]
            for c in WRONG_OPINION
        ]
        return float(np.mean(values))

    for family, mode, multipliers in trials:
        grid = [0.0, *multipliers] if base is None else multipliers
        result = dose_response(
            model,
            families[family],
            grid,
            val_sets,
            mode=mode,
            batch_size=config.batch_size,
            seed=config.seed,
            progress=progress,
        )
        if base is None:
            base = {
                "opinion": wrong_accuracy(result, None, 0),
                "capability": result.value("capability", "baseline", "accuracy", layer=None, multiplier=0)[
                    "mean"
                ],
            }
        for layer in layers:
            for m in result.multipliers:
                if m == 0:
                    continue
                cap = result.value("capability", "baseline", "accuracy", layer=layer, multiplier=m)["mean"]
                table.append(
                    {
                        "family": family,
                        "mode": mode,
                        "layer": layer,
                        "multiplier": m,
                        "opinion_accuracy_gain": wrong_accuracy(result, layer, m) - base["opinion"],
                        "capability_cost": base["capability"] - cap,
                    }
                )
    allowed = [row for row in table if row["capability_cost"] <= config.max_capability_cost]
    best = max(allowed or table, key=lambda row: row["opinion_accuracy_gain"])
    vector = families[best["family"]][best["layer"]]
    test = dose_response(
        model,
        {best["layer"]: vector},
        [0.0, best["multiplier"]],
        sets(2),
        mode=best["mode"],
        batch_size=config.batch_size,
        seed=config.seed,
        progress=progress,
    )
    m = 1.0 if best["mode"] == "project" else best["multiplier"]
    rows = {
        f"{cond}_accuracy_{label}": test.value(s, cond, "accuracy", layer=best["layer"], multiplier=mult)
        for s, cond in [("opinion", c) for c in WRONG_OPINION] + [("capability", "baseline")]
        for label, mult in (("unsteered", 0), ("steered", m))
    }
    return {
        "validation_unsteered": {
            "wrong_opinion_accuracy": base["opinion"],
            "capability_accuracy": base["capability"],
        },
        "rule": f"largest validation gain in wrong-opinion accuracy (suggest_wrong + biography_wrong pooled) "
        f"with opinion-free accuracy cost <= {config.max_capability_cost}",
        "max_capability_cost": config.max_capability_cost,
        "validation_n": {name: len(choices) for name, choices in val_sets.items()},
        "chosen": best,
        "test": {
            "wrong_opinion_gain": float(
                np.mean(
                    [
                        rows[f"{c}_accuracy_steered"]["mean"] - rows[f"{c}_accuracy_unsteered"]["mean"]
                        for c in WRONG_OPINION
                    ]
                )
            ),
            "capability_cost": rows["baseline_accuracy_unsteered"]["mean"]
            - rows["baseline_accuracy_steered"]["mean"],
            **rows,
        },
        "validation_table": table,
    }
