"""The truth study as a library function: ``Config.quick()`` on a tiny random Llama."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import probes
from probes.runner import load_result
from probes.truth import Config, run


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, one_thread):
    from conftest import study_model

    out = tmp_path_factory.mktemp("truth")
    model = study_model()
    start = time.perf_counter()
    result = run(model, Config.quick(), out=out, progress=False)
    return result, out, time.perf_counter() - start


def test_quick_run_is_fast_and_complete(quick_run):
    result, out, seconds = quick_run
    assert seconds < 120  # ~4 s on two idle cores; the bound catches gross slowdowns, busy or not
    assert result.skipped == {}
    assert {"datasets", "sweeps", "best", "negation", "transfer", "sweep_speed"} <= result.metrics.keys()
    assert result.metrics["datasets"]["cities"]["n"] == 2 * Config.quick().n_cities
    for per in result.metrics["best"].values():
        for best in per.values():
            assert 0 <= best["test_accuracy"] <= 1 and 0 <= best["test_auroc"] <= 1
            low, high = best["test_accuracy_ci"]
            assert low <= best["test_accuracy"] <= high
    matrix = np.array(result.metrics["transfer"]["accuracy"])
    assert matrix.shape == (5, 5) and ((0 <= matrix) & (matrix <= 1)).all()
    assert result.seconds["total"] > 0 and set(result.seconds) >= {"activations", "sweeps", "total"}


def test_saved_files_reload_to_the_same_report(quick_run):
    result, out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert {"name", "model", "device", "dtype", "versions", "seconds", "config", "metrics"} <= data.keys()
    assert data["config"] == Config.quick().to_dict()
    again = load_result(out)
    assert type(again) is type(result)
    assert again.to_markdown(out) == result.to_markdown(out)
    assert (out / "report.md").read_text() == result.to_markdown(out)
    for image in result.images(out):
        assert image.path.is_file(), image.path


def test_artifacts_are_the_swept_probes(quick_run):
    result, out, _ = quick_run
    assert len(result.artifacts) == 2
    for relative in result.artifacts:
        probe = probes.load(out / relative)
        kind = "logistic" if "logistic" in relative else "mean_diff"
        best = result.best("cities", kind)
        assert f"_L{best['layer']}" in relative
        if kind == "logistic":  # the sweep's standardization travels with it
            assert probe.mean_.shape == probe.coef_.shape and probe.C == Config.quick().C


def test_config_is_checked():
    with pytest.raises(ValueError, match="n_cities"):
        Config(n_cities=3)
    with pytest.raises(ValueError, match="C must be > 0"):
        Config(C=0.0)
    assert Config.quick(n_cities=50).n_cities == 50
