"""The sycophancy study as a library function: ``Config.quick()`` on a tiny random Llama (structure only).

The quick sizes run unchanged except the layers: the quick (8, 16) do not exist in the 5-layer tiny
model, so the run names two that do (``QUICK``). The step that must be skipped runs on the 4-layer
character-level model with smaller sizes (``SMALL``), where it takes a few seconds.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import probes
from probes.runner import load_result
from probes.sycophancy import Config, run
from probes.sycophancy.study import STEPS

QUICK = Config.quick(layers=(2, 4))
"""``Config.quick()`` with layers inside the tiny model (the quick layers 8 and 16 are past its depth)."""

SMALL = {  # for the 4-layer character-level tiny model
    "tasks": ("arithmetic", "comparisons"),
    "n": 6,
    "layers": (1, 2),
    "multipliers": (-4.0, 0.0, 4.0),
    "full_multipliers": (-4.0,),
    "n_generations": 1,
    "answer_tokens": 6,
    "gen_tokens": 4,
    "speed_repeats": 1,
}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, one_thread):
    from conftest import study_model

    out = tmp_path_factory.mktemp("sycophancy")
    model = study_model()
    start = time.perf_counter()
    result = run(model, QUICK, out=out, progress=False)
    return result, out, time.perf_counter() - start


def _probabilities(metrics: dict):
    """Every ``{"mean", "ci", "n"}`` of the behaviour section (all probabilities or shares)."""
    for per_format in metrics.values():
        for per_task in per_format.values():
            for per_condition in per_task.values():
                yield from per_condition.values()


def test_every_step_ran_or_says_why(small_run):
    result, _, seconds = small_run
    assert seconds < 120  # ~17 s on two idle cores; the bound catches gross slowdowns, busy or not
    assert "total" in result.seconds
    for step in STEPS:
        assert step in result.metrics or result.skipped.get(step), step
    assert set(result.skipped) <= set(STEPS) | {"probe_activations"}
    assert all(isinstance(why, str) and why for why in result.skipped.values())
    assert {"datasets", "split", "layers", "behaviour"} <= result.metrics.keys()
    assert result.metrics["datasets"]["full"]["n_items"] == 4 * 8 * 6


def test_probabilities_are_probabilities(small_run):
    result, _, _ = small_run
    for stat in _probabilities(result.metrics["behaviour"]):
        if stat["mean"] is not None:
            assert 0 <= stat["ci"][0] <= stat["mean"] <= stat["ci"][1] <= 1
    if "probe" in result.metrics:
        best = result.metrics["probe"]["best"]
        assert 0 <= best["test_auroc"] <= 1 and 0 <= best["test_accuracy"] <= 1
        assert 0 <= result.metrics["probe"]["positive_rate"] <= 1
    if "letter_steering" in result.metrics:
        curve = result.metrics["letter_steering"]["test"]["p_match_by_multiplier"]
        assert set(curve) == {str(m) for m in QUICK.multipliers}
        assert all(0 <= v <= 1 for v in curve.values())
    if "full_answer_interventions" in result.metrics:
        chosen = result.metrics["full_answer_interventions"]["chosen"]
        assert chosen["layer"] in QUICK.layers and -1 <= chosen["opinion_accuracy_gain"] <= 1


def test_results_reload_to_the_same_report_with_plots(small_run):
    result, out, _ = small_run
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == "sycophancy" and data["config"] == QUICK.to_dict()
    again = load_result(out)
    assert type(again) is type(result)
    assert again.to_markdown(out) == result.to_markdown(out)
    assert (out / "report.md").read_text() == result.to_markdown(out)
    assert again.summary() == result.summary() and result.summary()
    images = result.images(out)
    assert images and all(image.path.is_file() for image in images)


def test_artifacts_load(small_run):
    result, out, _ = small_run
    assert result.artifacts
    for relative in result.artifacts:
        if relative.endswith(".gguf"):
            assert (out / relative).stat().st_size > 0
            continue
        loaded = probes.load(out / relative)
        if "_probe_" in relative:
            assert f"_L{result.metrics['probe']['best']['layer']}" in relative
            assert np.isfinite(loaded.direction_).all()
        else:
            assert isinstance(loaded, probes.SteeringVector) and loaded.layer in QUICK.layers


def test_a_step_without_enough_data_is_skipped_and_the_run_goes_on(tmp_path, monkeypatch):
    """A model that never follows the user leaves the probe one class: the probe step is recorded as
    skipped, the probe vectors are not built, and the other steps still run."""
    from conftest import tiny_model

    import probes.sycophancy.probe as probe_module

    real = probe_module.item_outcomes

    def never_follows(choices, logprobs):
        outcome = real(choices, logprobs)
        return {**outcome, "match_wins": np.zeros_like(outcome["match_wins"])}

    monkeypatch.setattr(probe_module, "item_outcomes", never_follows)
    config = Config.quick(**{**SMALL, "tasks": ("arithmetic",), "layers": (1,), "multipliers": (0.0, 4.0)})
    result = run(tiny_model(), config, out=tmp_path, progress=False)
    assert "only class 0" in result.skipped["probe"]
    assert "probe" not in result.metrics and "probe" in result.metrics["vectors"]["not_built"]
    assert "letter_steering" in result.metrics and "generations" in result.metrics
    assert not any("_probe_" in path for path in result.artifacts)
    assert load_result(tmp_path).skipped == result.skipped


def test_config_is_checked():
    assert Config(multipliers=(-2.0, 2.0)).multipliers == (0.0, -2.0, 2.0)
    quick = Config.quick()
    assert (quick.n, quick.layers, quick.multipliers) == (8, (8, 16), (-8.0, -4.0, 0.0, 4.0, 8.0))
    assert (quick.full_multipliers, quick.n_generations, quick.speed_repeats) == ((-8.0,), 1, 1)
    assert (quick.answer_tokens, quick.gen_tokens) == (24, 24)
    with pytest.raises(ValueError, match="tasks must be distinct names"):
        Config(tasks=("capitals", "nope"))
    with pytest.raises(ValueError, match="n must be >= 5"):
        Config(n=2)
    with pytest.raises(ValueError, match="C must be > 0"):
        Config(C=0.0)
    with pytest.raises(ValueError, match="layers must be distinct"):
        Config(layers=(4, 4))
