"""The deception study: can a linear probe on the residual stream tell a lie from an honest answer,
and how well does it hold up on new kinds of deception and on ordinary chat?

Datasets (:mod:`probes.deception.data`, seeded, no downloads): instructed pairs (an instruction to
be honest or to lie, then a true or a false fact about a city), the same with one identical true
statement after either instruction (``instructed_same``), role-play scenarios with honest and
deceptive answers, and a control set of benign chat. Activations (step ``activations``): every
token of the assistant's answer, all layers.

1. ``sweeps``: logistic probe on the mean answer activation of each deception set, layer chosen on
   validation (split by fact); the instructed-pairs probe, refitted at its layer, scores every
   answer token (per answer: mean / max / last token).
2. ``detection``: per evaluation set and reduction, AUROC honest vs deceptive, AUROC control vs
   deceptive, recall at 1% FPR with the threshold calibrated on the control set, and the FPR that
   threshold gives on the honest answers; bootstrap 95% CIs.
3. ``generalization``: train on each deception set, test on the test split of every one.
4. ``defection``: the difference between "Yes" and "No" after generic questions ("Are you doing
   something dangerous?") as a probe without task knowledge, next to the trained probe.
5. ``steering``: the mean deceptive-minus-honest answer activation added to prompts asking for a
   fact about a city; p(true country) against the multiplier, under either instruction.
6. ``on_policy``: the model completes "The city of X is in" itself after either instruction; an
   answer naming the true country is honest, another country deceptive; the probe scores them.
7. ``token_view``: per-token scores of a few answers (``tokens.html``, drawn with the plots); the
   probe and the vector (safetensors + GGUF) as artifacts.

Example:
    >>> from probes.deception import Config, run
    >>> result = run(model, Config.quick(), out="results/deception")
    >>> result.detection("roleplay")["auroc_honest_vs_deceptive"]["mean"]
"""

from __future__ import annotations

import logging
from pathlib import Path

import probes
from probes.constants import SPLIT_FRACTIONS
from probes.deception.config import Config
from probes.deception.data import control, instructed_pairs, roleplay
from probes.deception.facts import deception_vector, on_policy, steering_study, truth_choices
from probes.deception.probing import (
    answer_activations,
    defection_study,
    eval_sets,
    evaluate,
    generalization,
    group_splits,
    sweep_all,
    token_view_rows,
    train_probe,
)
from probes.deception.result import TOKEN_VIEW, DeceptionResult
from probes.study import Skip, Steps, describe_model

log = logging.getLogger(__name__)

Result = DeceptionResult
__all__ = ["DeceptionResult", "Result", "run"]


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True
) -> DeceptionResult:
    """Run the study on `model` (default `Config()`); with `out`, results.json is rewritten after
    every step and the plots, tokens.html, artifacts and report.md are written at the end."""
    config = Config() if config is None else config
    result = DeceptionResult(**describe_model(model), config=config.to_dict())
    steps = Steps(result, out, total=8, artifacts=artifacts)
    data = build_datasets(config)
    parts = group_splits(data, config.seed)
    result.metrics["datasets"] = {
        name: {"n": len(ds), "sha256": ds.sha256(), "n_deceptive": int(ds.labels.sum())}
        for name, ds in data.items()
    }
    result.metrics["split"] = {
        "fractions": list(SPLIT_FRACTIONS),
        "seed": config.seed,
        "by": "group (fact or scenario instance)",
    }
    spans = steps.run("activations", extract_all, model, data, config, progress, keep=False)
    if spans is None:
        return steps.finish()
    result.metrics["activations"] = {
        name: {"answers": len(s), "tokens": int(s.lengths.sum()), "layers": int(s.values.shape[1])}
        for name, s in spans.items()
    }
    pooled = {name: s.mean() for name, s in spans.items()}
    trained = steps.run("sweeps", probe_step, pooled, data, parts, config, keep=False)
    if trained is None:
        return steps.finish()
    sweeps, probe = trained
    result.metrics["sweeps"] = {name: s.to_dict() for name, s in sweeps.items()}
    result.metrics["probe_layer"] = probe.layer
    steps.checkpoint()
    sets = eval_sets(data, parts)
    detection = steps.run(
        "detection", evaluate, probe.scores, spans, data, sets, config.reductions, config.fpr
    )
    steps.run("defection", defection_study, model, spans, data, sets, probe.layer, detection, config)
    layers = {name: s.best_layer for name, s in sweeps.items()}
    steps.run("generalization", generalization, pooled, data, parts, layers, config.C)
    steered = steps.run(
        "steering", steering_step, model, pooled, data, parts, probe.layer, config, progress, keep=False
    )
    if steered is not None:
        result.metrics["steering"] = steered[1]
        steps.checkpoint()
    steps.run("on_policy", on_policy_step, model, data, parts, probe.scores, config, progress)
    steps.run("token_view", token_view_step, model, data, spans, probe.scores)
    result.pending_artifacts += artifact_writers(model, data, sweeps, probe, detection, steered, config)
    return steps.finish()


def build_datasets(config: Config) -> dict:
    return {
        "instructed": instructed_pairs(config.n_instructed, config.seed),
        "instructed_same": instructed_pairs(config.n_instructed, config.seed, style="same_statement"),
        "roleplay": roleplay(config.n_roleplay, config.seed),
        "control": control(config.n_control, config.seed),
    }


def extract_all(model, data: dict, config: Config, progress: bool) -> dict:
    """Every answer token at every layer, per set: SpanActivations ``[tokens, layer, d_model]``."""
    return {
        name: answer_activations(
            model, ds, batch_size=config.batch_size, progress=progress and f"deception: activations {name}"
        )
        for name, ds in data.items()
    }


def probe_step(pooled: dict, data: dict, parts: dict, config: Config):
    """Sweeps of every deception set, and the instructed probe refitted at its validation layer."""
    sweeps = sweep_all(pooled, data, config.C, config.seed)
    labels, train = data["instructed"].labels, parts["instructed"][0]
    return sweeps, train_probe(sweeps["instructed"], pooled["instructed"], labels, train, config.C)


def steering_step(model, pooled, data, parts, layer: int, config: Config, progress: bool):
    train, _, test = parts["instructed"]
    vec = deception_vector(model, pooled["instructed"], data["instructed"], train, layer)
    choices = truth_choices(data["instructed"], test)
    return vec, steering_study(model, vec, choices, config.multipliers, seed=config.seed, progress=progress)


def on_policy_step(model, data, parts, scorer, config: Config, progress: bool) -> dict:
    if config.on_policy == 0:
        raise Skip("on_policy=0: no on-policy answers asked for")
    test = parts["instructed"][2]
    return on_policy(
        model,
        data["instructed"],
        test,
        scorer,
        config.on_policy,
        batch_size=config.batch_size,
        progress=progress,
    )


def token_view_step(model, data, spans, scorer) -> dict:
    return {"file": TOKEN_VIEW, "rows": token_view_rows(model, data, spans, scorer)}


def artifact_writers(model, data, sweeps, probe, detection, steered, config: Config) -> list:
    """Writers ``folder -> path``: the instructed probe; the deception vector (safetensors, GGUF)."""
    layer, hook = probe.layer, f"blocks.{probe.layer}.hook_resid_post"

    def write_probe(folder):
        return probes.save(
            probe.probe,
            Path(folder) / f"deception_instructed_logistic_L{layer}.safetensors",
            hook=hook,
            model=model,
            dataset=data["instructed"],
            metrics={
                "sweep": sweeps["instructed"].best(),
                "roleplay_mean": detection["roleplay"]["mean"] if detection else None,
            },
            info={"position": "mean over answer tokens", "C": config.C},
        )

    writers = [write_probe]
    if steered is None:
        return writers
    vec, summary = steered

    def write_vector(folder):
        return probes.save(
            vec,
            Path(folder) / f"deception_vector_L{layer}.safetensors",
            dataset=data["instructed"],
            metrics=summary["p_true_by_multiplier"],
        )

    def write_gguf(folder):
        return probes.export_gguf(vec, Path(folder) / f"deception_vector_L{layer}.gguf")

    writers.append(write_vector)
    if layer >= 1:  # llama.cpp control vectors add to the output of block L >= 1
        writers.append(write_gguf)
    else:
        log.warning("deception: no GGUF vector at layer 0 (llama.cpp applies control vectors from layer 1)")
    return writers
