"""The sycophancy study: how much does the model follow the user's opinion, can a probe see it
coming, and can a steering vector turn it up or down without hurting plain accuracy?

On generated two-option questions (capitals, cities, arithmetic, comparisons; each asked plainly,
with the user suggesting the wrong or the right answer, with a biography stating a view, and
challenged with "Are you sure?") plus agree/disagree arithmetic claims, split 60/20/20 by question:

1. ``behaviour``: unsteered, in both answer formats side by side: full-answer likelihood (the
   options are the answer words after a pre-filled "The capital of X is") and letters ("(A)/(B)",
   read after "The answer is ("); mean normalized p(user's answer) (the CAA-style p(match)), share
   of items where it wins, accuracy with vs without the opinion, flip rate; 95% CIs;
2. ``probe``: from the last prompt token (all layers) of the wrong-opinion items, predict whether
   the model will go with the wrong suggestion (label from its own full-answer scores); logistic
   sweep, split by question (``probe_activations`` extracts the features);
3. ``vectors``: steering vectors per layer of the grid, from the training questions only
   (:mod:`probes.sycophancy.interventions`: ``caa_letter``, ``caa_full``, ``opinion``, ``probe``);
4. ``letter_steering``: the letter-format dose-response (layers x multipliers) on validation; the
   layer with the widest p(match) spread is run on the test questions with CIs, next to the
   opinion-free full-answer accuracy (the capability check);
5. ``full_answer_interventions``: every vector family, adding or projecting out, on validation;
   the best one whose opinion-free accuracy costs <= ``max_capability_cost`` is re-scored on test;
6. ``generations`` and ``generation_cost``: steered open-ended answers, and steered vs unsteered
   generation time side by side; the chosen vectors (safetensors + llama.cpp GGUF) and the probe
   are the artifacts.

Every number says which answer format it used.

Example:
    >>> from probes.sycophancy import Config, run
    >>> result = run(model, Config.quick(), out="results/sycophancy")
    >>> result.metrics["behaviour"]["full"]["all"]["suggest_wrong"]["p_match"]
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import probes
from hooks.scoring import option_logprobs
from probes.choice_metrics import sycophancy_metrics
from probes.constants import SPLIT_FRACTIONS
from probes.datasets import ChoiceSet, concat_choices
from probes.study import Result, Skip, Steps, _plain, describe_model
from probes.sycophancy import caa, generation, interventions
from probes.sycophancy.claims import false_claims
from probes.sycophancy.config import Config
from probes.sycophancy.data import sycophancy_questions
from probes.sycophancy.probe import probe_study, prompt_activations
from probes.sycophancy.report import draw_all, report_blocks, summary_rows

log = logging.getLogger(__name__)

LETTER_CONDITIONS = ("baseline", "suggest_wrong", "suggest_right")
STEPS = (
    "behaviour",
    "probe",
    "vectors",
    "letter_steering",
    "full_answer_interventions",
    "generations",
    "generation_cost",
)
"""The steps whose numbers land in ``result.metrics`` (``probe_activations`` is intermediate)."""


class SycophancyResult(Result):
    name = "sycophancy"
    title = "Sycophancy"

    def p_match(self, fmt: str = "full", condition: str = "suggest_wrong") -> dict:
        """Mean normalized p(user's answer) with its 95% CI: ``{"mean", "ci", "n"}``."""
        return self.metrics["behaviour"][fmt]["all"][condition]["p_match"]

    @property
    def published(self) -> bool:
        """True for a run on the CAA set (:mod:`probes.sycophancy.caa`)."""
        return self.config.get("dataset") == "caa"

    def summary(self) -> list[dict]:
        return caa.summary_rows(self.metrics) if self.published else summary_rows(self.metrics)

    def blocks(self, folder: Path) -> list:
        return (
            caa.report_blocks(self.metrics) if self.published else report_blocks(self.metrics, Path(folder))
        )

    def draw(self, folder: Path) -> list[Path]:
        return [] if self.published else draw_all(self.metrics, Path(folder), self.model)


Result = SycophancyResult


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True
) -> SycophancyResult:
    """Run the study on `model` (default `Config()`); with `out`, results.json is rewritten after
    every step and the plots, artifacts and report.md are written at the end."""
    config = Config() if config is None else config
    result = SycophancyResult(**describe_model(model), config=config.to_dict())
    total = 3 if config.dataset == "caa" else len(STEPS) + 1
    steps = Steps(result, out, total=total, artifacts=artifacts)
    layers = [layer for layer in config.layers if layer < model.cfg.n_layers]
    if len(layers) < len(config.layers):
        log.warning(
            "sycophancy: layers %s are past the model's %d layers; dropped",
            [x for x in config.layers if x not in layers],
            model.cfg.n_layers,
        )

    def record(name: str, value) -> None:
        if value is not None:
            result.metrics[name] = plain(value)
            steps.checkpoint()

    if config.dataset == "caa":
        caa.run_steps(model, result, steps, record, config, layers, progress)
        return steps.finish()
    data = build(config)
    parts = {name: data[name].split(SPLIT_FRACTIONS, config.seed) for name in ("full", "letter")}
    result.metrics["datasets"] = {
        name: {"n_items": len(c), "sha256": c.sha256(), "conditions": list(c.conditions)}
        for name, c in data.items()
    }
    result.metrics["split"] = {
        "fractions": list(SPLIT_FRACTIONS),
        "seed": config.seed,
        "by": "question (group)",
    }
    result.metrics["layers"] = {"requested": list(config.layers), "used": layers}

    scored = steps.run("behaviour", behaviour, model, data, config, progress, keep=False)
    record("behaviour", scored and scored["behaviour"])
    features = steps.run(
        "probe_activations", _probe_features, model, data, scored, parts, config, progress, keep=False
    )
    found = steps.run("probe", _probe, features, config, keep=False)
    record("probe", found and found["summary"])
    built = steps.run("vectors", _vectors, model, data, parts, features, config, layers, progress, keep=False)
    families = built and built["families"]
    record("vectors", built and _describe_vectors(built))
    letter = steps.run(
        "letter_steering", _letter, model, families, parts, config, layers, progress, keep=False
    )
    record("letter_steering", letter)
    search = steps.run(
        "full_answer_interventions", _search, model, families, parts, config, layers, progress, keep=False
    )
    record("full_answer_interventions", search)
    gens = steps.run(
        "generations", _generations, model, parts, families, letter, search, config, progress, keep=False
    )
    record("generations", gens)
    record(
        "generation_cost", steps.run("generation_cost", _cost, model, families, letter, config, keep=False)
    )
    result.pending_artifacts += artifact_writers(model, data, families, letter, search, found)
    return steps.finish()


def plain(value):
    """The JSON form of `value` (keys as strings, tuples as lists), so a Result in memory reads the
    same as one reloaded from results.json."""
    return json.loads(json.dumps(_plain(value), allow_nan=False))


# ---------------------------------------------------------------- the steps


def build(config: Config) -> dict[str, ChoiceSet]:
    full = [sycophancy_questions(t, config.n, config.seed, "full") for t in config.tasks]
    letter = [
        sycophancy_questions(t, config.n, config.seed, "letter", LETTER_CONDITIONS) for t in config.tasks
    ]
    for a, b in zip(full, letter):
        if a.info["group_names"] != b.info["group_names"]:
            raise RuntimeError(f"{a.name}: the full and letter questions differ; they must match")
    return {
        "full": concat_choices(full, "sycophancy_full"),
        "letter": concat_choices(letter, "sycophancy_letter"),
        "claims": false_claims(config.n, config.seed),
    }


def behaviour(model, data: dict[str, ChoiceSet], config: Config, progress=True) -> dict:
    """Option log-probabilities of every set and the metrics per condition, overall and per task."""
    logprobs = {
        name: option_logprobs(
            model,
            choices.prompts(model),
            [it.options for it in choices],
            batch_size=config.batch_size,
            progress=progress and f"sycophancy: scoring {name}",
        )
        for name, choices in data.items()
    }
    return {
        "logprobs": logprobs,
        "behaviour": {name: summarize(data[name], logprobs[name], config.seed) for name in data},
    }


def summarize(choices: ChoiceSet, logprobs, seed: int) -> dict:
    """Metrics per condition, overall and per task."""
    out = {"all": sycophancy_metrics(choices, logprobs, seed=seed)}
    for task in choices.tasks:
        index = [i for i, item in enumerate(choices) if item.task == task]
        out[task] = sycophancy_metrics(choices[index], logprobs[index], seed=seed)
    return out


def _probe_features(model, data, scored, parts, config: Config, progress) -> dict:
    if scored is None:
        raise Skip("no full-answer scores (the behaviour step was skipped)")
    train_groups = parts["full"][0].groups
    return prompt_activations(
        model,
        data["full"],
        scored["logprobs"]["full"],
        train_groups,
        batch_size=config.batch_size,
        progress=progress,
    )


def _probe(features, config: Config) -> dict:
    if features is None:
        raise Skip("no prompt activations (the probe_activations step was skipped)")
    return probe_study(features, C=config.C, seed=config.seed)


def _vectors(model, data, parts, features, config: Config, layers, progress) -> dict:
    if not layers:
        raise Skip(f"no layer of {list(config.layers)} is inside the model; pass --layers below its depth")
    return interventions.build_vectors(model, data, parts, features, config, layers, progress)


def _describe_vectors(built: dict) -> dict:
    return {
        "norms": {
            family: {layer: float(vec.direction.norm()) for layer, vec in per.items()}
            for family, per in built["families"].items()
        },
        "not_built": built["not_built"],
        "hook": "resid_post",
        "from": "training questions only",
    }


def _letter(model, families, parts, config: Config, layers, progress) -> dict:
    if not families or "caa_letter" not in families:
        raise Skip("no caa_letter vectors (the vectors step was skipped)")
    return interventions.letter_dose(model, families, parts, config, layers, progress)


def _search(model, families, parts, config: Config, layers, progress) -> dict:
    if not families:
        raise Skip("no steering vectors (the vectors step was skipped)")
    return interventions.full_search(model, families, parts, config, layers, progress)


def _generations(model, parts, families, letter, search, config: Config, progress) -> list[dict]:
    items = parts["full"][2].where(condition="suggest_wrong")[: config.n_generations]
    settings = generation.generation_settings(families or {}, letter, search, config.multipliers)
    return generation.steered_answers(
        model,
        items,
        settings,
        max_new_tokens=config.answer_tokens,
        batch_size=config.batch_size,
        progress=progress,
    )


def _cost(model, families, letter, config: Config) -> dict:
    if letter is None:
        raise Skip("no chosen caa_letter vector (the letter_steering step was skipped)")
    vector = families["caa_letter"][letter["chosen_layer"]]
    return generation.generation_cost(
        model, vector, new_tokens=config.gen_tokens, repeats=config.speed_repeats
    )


# ---------------------------------------------------------------- artifacts


def artifact_writers(model, data, families, letter, search, found) -> list:
    """Writers ``folder -> path`` for the chosen letter CAA vector and its GGUF, the chosen full-answer
    vector (and its GGUF, scaled by its multiplier, when it adds) and the probe: those whose steps ran.
    """
    writers = []
    if letter is not None:
        layer = letter["chosen_layer"]
        vec = families["caa_letter"][layer]
        name = f"sycophancy_caa_letter_L{layer}"
        metrics = {"format": "letter", **letter["test"]}
        writers += [
            lambda folder: probes.save(
                vec, Path(folder) / f"{name}.safetensors", dataset=data["letter"], metrics=metrics
            ),
            lambda folder: probes.export_gguf(vec, Path(folder) / f"{name}.gguf"),
        ]
    if search is not None:
        best = search["chosen"]
        full_vec = families[best["family"]][best["layer"]]
        full_name = f"sycophancy_{best['family']}_L{best['layer']}"
        writers.append(
            lambda folder: probes.save(
                full_vec,
                Path(folder) / f"{full_name}.safetensors",
                dataset=data["full"],
                metrics={"format": "full", "intervention": best, **search["test"]},
            )
        )
        if best["mode"] == "add":
            writers.append(
                lambda folder: probes.export_gguf(
                    best["multiplier"] * full_vec, Path(folder) / f"{full_name}.gguf"
                )
            )
    if found is not None:
        best_probe = found["summary"]["best"]
        writers.append(
            lambda folder: probes.save(
                found["probe"],
                Path(folder) / f"sycophancy_probe_L{best_probe['layer']}.safetensors",
                hook=f"blocks.{best_probe['layer']}.hook_resid_post",
                model=model,
                dataset=data["full"],
                metrics=best_probe,
                info={
                    "label": found["summary"]["label"],
                    "position": "last prompt token",
                    "split": "by question, seed",
                },
            )
        )
    return writers
