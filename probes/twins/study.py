"""The twins study: the library's sycophancy and faithfulness metrics on twin organisms.

The two organisms (:data:`probes.organisms.spec.SYCOPHANCY`) were trained on the same prompts and
differ by construction only where the user pushes a wrong answer, so every metric has an expected
direction, and a metric that does not separate them is wrong about them. On `n` fresh facts the base
model knows (each asked plainly, with a right and a wrong opinion, with a right and a wrong
biography, in the trained full-answer format; plainly and with a wrong opinion in the (A)/(B) letter
format, never trained on):

1. ``base``, ``sycophant``, ``steadfast``: both forms of the sycophancy rate (mean normalized
   p(user's answer), ``p_match``; share of items where the user's answer wins, ``match_wins``) per
   condition and format, and opinion-free capability;
2. ``probe``: the sycophancy probe of :mod:`probes.sycophancy.probe` (last prompt token; will the
   model go with the user's wrong answer?) trained on the *base* model's own answers to `n_fit`
   training facts, then applied on-policy to each twin's wrong-view prompts: its mean score, its
   AUROC against the twin's own choices, and its AUROC sycophant vs steadfast on the same prompts;
3. ``steering``: the CAA vector (user's answer minus the other, :func:`probes.vectors.answer_contrast`)
   built from the base model's `n_fit` training facts, added to the sycophant: the layer is chosen on
   half of the facts (the largest drop of p(user's wrong answer) within `max_capability_cost`), the
   dose-response reported on the other half, with capability on `n_capability` questions;
4. ``cue twins`` and ``reasoning twins``: the faithfulness metrics on the chain-of-thought pairs
   (:mod:`probes.twins.cot_steps`), on `n_cot` fresh reasoning questions each;
5. ``validation``: each metric, its expected direction and whether the twins land on its two sides.

Example:
    >>> from probes.twins import Config, run
    >>> result = run(model, Config.quick(), out="results/twins")
    >>> result.metrics["validation"]["rows"][0]
"""

from __future__ import annotations

import numpy as np

from hooks.extract import extract_activations
from hooks.scoring import option_logprobs
from probes.choice_metrics import item_outcomes
from probes.datasets.choices import ChoiceSet
from probes.dose import dose_response
from probes.organisms.behaviour import capability, sycophancy_rates
from probes.organisms.data import fact_questions, known_questions, renderings
from probes.organisms.spec import CUE_TWINS, FACT_TASKS, REASONING_TWINS, SYCOPHANCY
from probes.study import Skip, Steps, describe_model
from probes.twins.config import Config
from probes.twins.cot_steps import cue_pair, reasoning_pair, split_auroc
from probes.twins.result import TwinsResult, choose_steering

Result = TwinsResult
BASE = "base"
WRONG_VIEWS = ("suggest_wrong", "biography_wrong")


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True, organisms=None
) -> TwinsResult:
    """Run the study on base `model`; the twins are loaded from the shipped adapters, or taken from
    `organisms` (``{name: Organism}``, e.g. freshly trained ones)."""
    config = Config() if config is None else config
    result = TwinsResult(**describe_model(model), config=config.to_dict())
    # sycophancy: 2 loads, 3 behaviours, probe, steering; each CoT pair: 2 loads and the pair
    steps = Steps(result, out, total=13, artifacts=artifacts)
    if "sycophancy" in config.pairs:
        _sycophancy_pair(model, config, steps, organisms or {}, progress)
    for key, pair, step, names in (
        ("cue", "cue twins", cue_pair, CUE_TWINS),
        ("reasoning", "reasoning twins", reasoning_pair, REASONING_TWINS),
    ):
        if key not in config.pairs:
            continue
        loaded = {}
        for name in names:
            found = steps.run(f"load {name}", _organism, name, model, organisms or {}, keep=False)
            if found is not None:
                loaded[name] = found
        steps.run(pair, step, loaded, config, progress)
        del loaded  # one pair in memory at a time
    result.metrics["validation"] = {"rows": result.validation_rows()}
    return steps.finish()


def _sycophancy_pair(model, config: Config, steps: Steps, given: dict, progress: bool) -> None:
    """Steps 1-3 of the module docstring (the base model and the sycophancy twins)."""
    items = known_questions(model, FACT_TASKS, config.n, "eval", config.seed, progress)
    fit = fact_questions(FACT_TASKS, config.n_fit, "train", config.seed)
    models = {BASE: model}
    for name in SYCOPHANCY:
        loaded = steps.run(f"load {name}", _organism, name, model, given, keep=False)
        if loaded is not None:
            models[name] = loaded
    for name, m in models.items():
        steps.run(name, behaviour, m, items, config, progress)
    steps.run("probe", probe_on_policy, models, fit, items, config, progress)
    if "sycophant" in models:
        steps.run("steering", steering, model, models["sycophant"], fit, items, config, progress)


def _organism(name: str, base, given: dict):
    if name in given:
        return given[name].model
    from probes.organisms.shipped import load

    try:
        return load(name, base).model
    except FileNotFoundError as error:
        raise Skip(str(error)) from error


def behaviour(model, items, config: Config, progress: bool = True) -> dict:
    """Sycophancy rates in every condition and both formats, and opinion-free capability."""
    full = sycophancy_rates(model, items, config.seed, progress, formats=("full",))
    letter = sycophancy_rates(
        model, items, config.seed, progress, conditions=("baseline", "suggest_wrong"), formats=("letter",)
    )
    return {
        "sycophancy": {**full, **letter},
        "capability": capability(model, config.n_capability, config.seed, progress=False),
    }


def views(items, conditions, format: str = "full") -> ChoiceSet:
    """`items` rendered in each of `conditions` (:func:`probes.organisms.data.renderings`)."""
    return ChoiceSet(
        name=f"twins_{format}", items=[renderings(item, format)[c] for item in items for c in conditions]
    )


def probe_on_policy(models: dict, fit, items, config: Config, progress: bool = True) -> dict:
    """The base model's sycophancy probe, on each model's own wrong-view prompts."""
    from probes.sycophancy.probe import PROBE_CONDITIONS, probe_study, prompt_activations

    base = models[BASE]
    train = views(fit, PROBE_CONDITIONS)
    logprobs = option_logprobs(base, train.prompts(base), [it.options for it in train], progress=False)
    data = prompt_activations(
        base, train, logprobs, np.unique(train.groups), batch_size=config.batch_size, progress=progress
    )
    if len(np.unique(data["labels"][data["conditions"] != "baseline"])) < 2:
        raise Skip("the base model's choices on the wrong-view training prompts are all one kind")
    found = probe_study(data, C=config.C, seed=config.seed)
    layer = int(found["summary"]["best"]["layer"])
    asked = views(items, WRONG_VIEWS)
    out = {"layer": layer, "base_fit": found["summary"]["best"], "by_model": {}}
    scores = {}
    for name, model in models.items():
        acts = extract_activations(
            model, asked.prompts(model), layers=[layer], batch_size=config.batch_size, progress=False
        )[:, 0]  # [prompts, d_model]
        scores[name] = found["probe"].decision_function(acts.numpy())
        chose = option_logprobs(model, asked.prompts(model), [it.options for it in asked], progress=False)
        follows = item_outcomes(asked, chose)["match_wins"]
        out["by_model"][name] = {
            "mean_score": float(scores[name].mean()),
            "follows_rate": float(follows.mean()),
            "auroc_own_choices": split_auroc(scores[name], follows),
        }
    if set(SYCOPHANCY) <= set(scores):
        both = np.concatenate([scores["sycophant"], scores["steadfast"]])
        which = np.repeat([True, False], len(asked))
        out["auroc_sycophant_vs_steadfast"] = split_auroc(both, which)
    return out


def steering(base, sycophant, fit, items, config: Config, progress: bool = True) -> dict:
    """The base model's CAA vector on the sycophant: layer chosen on half of `items`, curve on the rest."""
    from probes.sycophancy.caa import user_answer_vectors

    layers = [layer for layer in config.layers if layer < base.cfg.n_layers]
    if not layers:
        raise Skip(f"none of the layers {config.layers} is below the model's {base.cfg.n_layers}")
    vectors = user_answer_vectors(
        base,
        views(fit, ("suggest_wrong", "suggest_right")),
        layers,
        {"method": "caa_full"},
        batch_size=config.batch_size,
        progress=progress and "twins: CAA vector",
    )
    half = len(items) // 2
    plain = ChoiceSet(
        name="twins_capability",
        items=fact_questions(FACT_TASKS, config.n_capability, "eval", config.seed + 1),
    )
    common = {"batch_size": config.batch_size, "seed": config.seed, "progress": progress}
    chosen_on = dose_response(
        sycophant,
        vectors,
        list(config.multipliers),
        {"views": views(items[:half], ("suggest_wrong",)), "capability": plain},
        **common,
    )
    layer, _, cost_ok = choose_steering(chosen_on, layers, config.max_capability_cost)
    test = dose_response(
        sycophant,
        {layer: vectors[layer]},
        list(config.multipliers),
        {"views": views(items[half:], ("suggest_wrong",)), "capability": plain},
        **common,
    )

    def at(result, set_name, condition, metric, layer, m):
        return result.value(set_name, condition, metric, layer=layer, multiplier=m)

    curve = {
        str(float(m)): {
            "p_match": at(test, "views", "suggest_wrong", "p_match", layer, m),
            "match_wins": at(test, "views", "suggest_wrong", "match_wins", layer, m),
            "capability": at(test, "capability", "baseline", "accuracy", layer, m),
        }
        for m in test.multipliers
    }
    return {
        "layer": layer,
        "within_cost_on_validation": cost_ok,
        "vector_norms": {str(layer): float(v.direction.norm()) for layer, v in vectors.items()},
        "validation": chosen_on.to_dict(),
        "test": curve,
        "n_test_facts": len(items) - half,
    }
