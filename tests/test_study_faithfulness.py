"""The faithfulness study as a library function: ``Config.quick()`` on a tiny random Llama (structure only).

A second run with the smallest sizes (``SMALL``) has 4 questions, so no answer letter can reach
the 5 items the pre-CoT probe's folds need: the old ``--quick --tasks arithmetic`` crash, now a
skipped step.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from probes.faithfulness import Config, run
from probes.faithfulness.config import TASKS
from probes.faithfulness.pooled_steps import causal_study, internal_study, precot_states
from probes.faithfulness.study import FAMILIES, POOLED_STEPS, FaithfulnessResult
from probes.runner import load_result
from probes.study import Steps

SMALL = {
    "tasks": ("arithmetic",),
    "n": 4,
    "max_new_tokens": 4,
    "mistake_tokens": 2,
    "few_shot": 1,
    "n_causal": 2,
    "mistake_positions": 1,
}
"""Sizes too small for the pre-CoT probe; every other step still runs."""


@pytest.fixture(scope="module")
def model(one_thread):
    from conftest import study_model

    return study_model()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, model):
    out = tmp_path_factory.mktemp("faithfulness")
    config = Config.quick()
    start = time.perf_counter()
    result = run(model, config, out=out, progress=False)
    return result, config, out, time.perf_counter() - start


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, model):
    out = tmp_path_factory.mktemp("faithfulness_small")
    config = Config.quick(**SMALL)
    return run(model, config, out=out, progress=False), config, out


DIFFERENCES = {"accuracy_drop", "bias_following", "accuracy_gain", "p_target_shift"}
"""Interval statistics that are differences of shares (in [-1, 1]); every other one is a share."""


def _rates(section, key=""):
    """``(name, {"mean", "ci", "n"})`` of every share under `section` (differences left out)."""
    if isinstance(section, dict):
        if {"mean", "ci", "n"} <= section.keys():
            if key not in DIFFERENCES:
                yield key, section
            return
        for name, value in section.items():
            yield from _rates(value, name)


def test_every_step_is_in_metrics_or_skipped_with_a_reason(quick_run):
    result, config, _, seconds = quick_run
    expected = [f"{task}/{family}" for task in config.tasks for family in FAMILIES] + list(POOLED_STEPS)
    for step in expected:
        assert (step in result.metrics) != (step in result.skipped), step
        if step in result.skipped:
            assert result.skipped[step].strip(), step
        assert step in result.seconds
    assert result.seconds["total"] > 0 and seconds < 120  # ~24 s on two idle cores; guards gross slowdowns
    assert result.metrics["decoding"] == {"kv_cache": True}
    assert {"internal", "causal", "cost"} <= result.metrics.keys(), result.skipped


def test_task_sections_keep_the_old_keys_and_rates_lie_in_0_1(quick_run):
    result, config, _, _ = quick_run
    for task in config.tasks:
        answers = result.task(task)
        assert {"n_questions", "generation", "accuracy", "letter_distribution", "examples"} <= answers.keys()
        assert answers["n_questions"] == config.n
        for key in ("no_cot", "cot_forced", "cot_stated", "stated_agrees_with_forced"):
            assert 0 <= answers["accuracy"][key] <= 1
        lanham = result.task(task, "lanham")
        assert set(lanham) == {"early_answering", "adding_mistakes", "filler_tokens", "paraphrasing"}
        for test in ("early_answering", "adding_mistakes"):
            curve = lanham[test]["curve"]
            assert all(v is None or 0 <= v <= 1 for v in curve["agreement"])
            assert curve["aoc"] is None or 0 <= curve["aoc"] <= 1
        bias = result.task(task, "bias")
        assert set(bias) == {"suggested_answer", "always_a"}
        for name, stat in [*_rates(lanham), *_rates(bias)]:
            if stat["mean"] is not None:
                assert 0 <= stat["mean"] <= 1, name
                low, high = stat["ci"]
                assert low - 1e-9 <= stat["mean"] <= high + 1e-9, name


def test_reload_gives_the_same_report_and_the_plot_exists(quick_run):
    result, config, out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == "faithfulness" and data["config"] == config.to_dict()
    again = load_result(out)
    assert type(again) is type(result)
    assert again.to_markdown(out) == result.to_markdown(out)
    assert (out / "report.md").read_text() == result.to_markdown(out)
    assert (out / "faithfulness.png").is_file()
    assert [image.path.name for image in result.images(out)] == ["faithfulness.png"]
    markdown = result.to_markdown(out)
    assert "## Chain-of-thought faithfulness" in markdown and "### Accuracy" in markdown
    for step in result.skipped:
        assert f"| {step} |" in markdown  # the skipped steps are listed with their reason
    rows = result.summary()
    assert rows and rows[0]["measure"].startswith("accuracy without / with chain of thought")


def test_a_report_redrawn_without_the_pooled_steps_has_no_key_error(quick_run, tmp_path):
    result, _, _, _ = quick_run
    partial = type(result).from_dict({**result.to_dict(), "metrics": {"decoding": {"kv_cache": False}}})
    assert partial.summary() == []
    assert "### Accuracy" not in partial.to_markdown(tmp_path)
    assert partial.draw(tmp_path) == []  # nothing to plot, no file, no error
    only_tasks = {k: v for k, v in result.metrics.items() if k not in POOLED_STEPS}
    shown = type(result).from_dict({**result.to_dict(), "metrics": only_tasks})
    assert [p.name for p in shown.draw(tmp_path)] == ["faithfulness.png"]


def test_the_old_crash_is_a_skipped_step_and_the_study_goes_on(small_run):
    """The old ``--quick --tasks arithmetic`` run died in the internal read-out after 49 minutes
    (``ValueError: need two or more answer letters with >= 5 items each``) and lost the run. Now the
    step is recorded in ``result.skipped``, the later steps still run, and the report is drawn."""
    result, _, out = small_run
    assert "need two or more answer letters with >= 5 items each" in result.skipped["internal"]
    assert "internal" in result.skipped["causal"]
    assert {"arithmetic/answers", "arithmetic/lanham", "arithmetic/bias"} <= result.metrics.keys()
    assert {"internal", "causal", "cost"} <= result.seconds.keys() and "total" in result.seconds
    assert (out / "report.md").is_file() and (out / "faithfulness.png").is_file()
    assert load_result(out).skipped == result.skipped


def test_internal_and_steps_after_it_on_pooled_data_with_one_letter(tmp_path):
    """The same failure without a model: pooled read-outs whose final answers are all (A)."""
    rng = np.random.default_rng(0)
    n, cuts, layers, d = 12, 3, 2, 4
    pooled = {
        "task": ["arithmetic"] * n,
        "final": ["A"] * n,
        "states": [_tensor(rng.standard_normal((cuts, layers, d))) for _ in range(n)],
        "lens": [_tensor(rng.standard_normal((cuts, layers, 4))) for _ in range(n)],
        "forced": [["A"] * cuts] * n,
        "text_readout": [[None, "A", "A"]] * n,
    }
    result = FaithfulnessResult(model="none")
    steps = Steps(result, out=tmp_path)
    pre = precot_states(pooled)
    assert pre.shape == (n, layers, d)
    internal = steps.run("internal", internal_study, pooled, pre, Config.quick(), False)
    causal = steps.run("causal", causal_study, None, pooled, pre, internal, Config.quick(), False)
    after = steps.run("later", lambda: {"ran": True})
    assert internal is None and causal is None and after == {"ran": True}
    assert "need two or more answer letters" in result.skipped["internal"]
    assert result.metrics == {"later": {"ran": True}}
    assert json.loads((tmp_path / "results.json").read_text())["skipped"] == result.skipped


def _tensor(array):
    import torch

    return torch.tensor(array, dtype=torch.float32)


def test_config_checks_and_quick_sizes():
    quick = Config.quick()
    assert quick.tasks == ("arithmetic", "dates") and (quick.cost_contexts, quick.cost_repeats) == (8, 1)
    assert (quick.n, quick.max_new_tokens, quick.mistake_tokens, quick.n_causal, quick.few_shot) == (
        12,
        32,
        16,
        6,
        1,
    )
    assert Config().tasks == TASKS and Config.quick(tasks=("dates",)).tasks == ("dates",)
    with pytest.raises(ValueError, match="unknown"):
        Config(tasks=("trivia",))
    with pytest.raises(ValueError, match="more than once"):
        Config(tasks=("dates", "dates"))
    with pytest.raises((TypeError, ValueError), match="tuple"):  # the type check, or ours without it
        Config(tasks="dates")
    with pytest.raises(ValueError, match="few_shot"):
        Config(few_shot=0)
    with pytest.raises(ValueError, match="finite"):
        Config(steer_multiplier=math.inf)


def test_task_names_match_the_generators():
    from probes.faithfulness.tasks import REASONING_TASKS

    assert tuple(REASONING_TASKS) == TASKS
