"""The deception study as a library function: ``Config.quick()`` on a tiny random Llama."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from conftest import STUDY_LAYERS

import probes
from probes.deception import Config, run
from probes.runner import load_result

STEPS = (
    "activations",
    "sweeps",
    "detection",
    "defection",
    "generalization",
    "steering",
    "on_policy",
    "token_view",
)
RATES = ("auroc_honest_vs_deceptive", "auroc_control_vs_deceptive", "recall", "honest_fpr", "control_fpr")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """The tiny model's matrices are too small to share out; on a busy machine threads only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, _one_thread):
    from conftest import study_model

    out = tmp_path_factory.mktemp("deception")
    model = study_model()
    start = time.perf_counter()
    result = run(model, Config.quick(), out=out, progress=False)
    return result, out, time.perf_counter() - start


def _in_unit(value) -> bool:
    return value is None or 0 <= value <= 1


def test_quick_run_is_fast_and_complete(quick_run):
    result, out, seconds = quick_run
    assert seconds < 120  # ~4 s on two idle cores; the bound catches gross slowdowns, busy or not
    for step in STEPS:
        assert step in result.seconds
        assert step in result.metrics or result.skipped.get(step), f"step {step} neither ran nor says why"
    quick = Config.quick()
    assert result.metrics["datasets"]["instructed"]["n"] == 2 * quick.n_instructed
    assert result.metrics["datasets"]["control"]["n_deceptive"] == 0
    layer = result.probe_layer
    assert 0 <= layer < STUDY_LAYERS and result.metrics["sweeps"]["instructed"]["best_layer"] == layer
    for name, by in result.metrics["detection"].items():
        assert set(by) == set(quick.reductions)
        for report in by.values():
            for key in RATES:
                assert _in_unit(report[key]["mean"]), (name, key)
                low, high = report[key]["ci"]
                assert 0 <= low <= high <= 1, (name, key)
    assert result.detection("roleplay")["recall"]["n"] == quick.n_roleplay
    matrix = np.array(result.metrics["generalization"]["auroc"])
    assert matrix.shape == (3, 3) and ((0 <= matrix) & (matrix <= 1)).all()
    defection = result.metrics["defection"]
    assert len(defection["auroc_by_layer"]) == STUDY_LAYERS
    for per_layer in defection["auroc_by_layer"].values():
        assert all(0 <= v <= 1 for v in per_layer.values())
    for row in defection["comparison"].values():
        assert all(_in_unit(v) for v in row.values())
    steering = result.metrics["steering"]["p_true_by_multiplier"]
    assert set(steering) == {"honest_instruction", "lie_instruction"}
    for curve in steering.values():
        assert [float(m) for m in curve] == list(quick.multipliers)
        assert all(0 <= p <= 1 for p in curve.values())
    policy = result.metrics["on_policy"]
    assert policy["n_generated"] == quick.on_policy and policy["n_labelled"] <= policy["n_generated"]
    rows = result.metrics["token_view"]["rows"]
    assert len(rows) == 8 and all(len(r["tokens"]) == len(r["scores"]) > 0 for r in rows)
    assert result.summary() and result.summary()[0]["measure"].startswith("deception probe")


def test_saved_files_reload_to_the_same_report(quick_run):
    result, out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == "deception" and data["config"] == Config.quick().to_dict()
    again = load_result(out)
    assert type(again) is type(result)
    assert again.to_markdown(out) == result.to_markdown(out)
    assert again.summary() == result.summary()
    assert (out / "report.md").read_text() == result.to_markdown(out)
    images = result.images(out)
    assert {i.path.name for i in images} == {
        "sweep_instructed.png",
        "generalization.png",
        "steering_truth.png",
    }
    for image in images:
        assert image.path.is_file() and image.path.stat().st_size > 0, image.path
    assert "<span" in (out / "tokens.html").read_text()


def test_artifacts_are_the_probe_and_the_vector(quick_run):
    result, out, _ = quick_run
    layer = result.probe_layer
    names = sorted(p.split("/")[-1] for p in result.artifacts)
    expected = [
        f"deception_instructed_logistic_L{layer}.safetensors",
        f"deception_vector_L{layer}.safetensors",
    ]
    assert names == sorted(expected + ([f"deception_vector_L{layer}.gguf"] if layer >= 1 else []))
    probe = probes.load(out / "artifacts" / expected[0])
    assert probe.C == Config.quick().C
    vector = probes.load(out / "artifacts" / expected[1])
    assert vector.hook == f"blocks.{layer}.hook_resid_post" and vector.direction.shape == (32,)


def test_a_step_with_too_little_data_is_skipped_and_the_run_goes_on(tmp_path):
    from conftest import tiny_model

    config = Config.quick(n_instructed=3, n_roleplay=3, n_control=2, on_policy=0, multipliers=(0.0, 8.0))
    result = run(tiny_model(), config, out=tmp_path, progress=False)
    assert "detection" in result.skipped and "at least 2 honest" in result.skipped["detection"]
    assert "on_policy=0" in result.skipped["on_policy"]
    assert {"sweeps", "generalization", "steering", "token_view"} <= result.metrics.keys()
    assert "total" in result.seconds and (tmp_path / "report.md").is_file()
    assert load_result(tmp_path).skipped == result.skipped
    assert "Steps that could not run" in result.to_markdown(tmp_path)


def test_config_is_checked():
    with pytest.raises(ValueError, match="n_instructed must be >= 3"):
        Config(n_instructed=2)
    with pytest.raises(ValueError, match="fpr"):
        Config(fpr=1.5)
    with pytest.raises(ValueError, match="reductions"):
        Config(reductions=("max", "median"))
    with pytest.raises(ValueError, match="on_policy"):
        Config(on_policy=-1)
    quick = Config.quick()
    assert (quick.n_instructed, quick.n_roleplay, quick.n_control, quick.on_policy) == (60, 40, 100, 10)
    assert quick.multipliers == (-8.0, 0.0, 8.0)


def test_span_pooling_helpers_match_a_plain_loop():
    from hooks import SpanActivations

    lengths = torch.tensor([3, 1, 4])
    values = torch.randn(8, 2, 5)
    spans = SpanActivations(values=values, lengths=lengths, token_ids=torch.arange(8))
    expected = torch.stack([spans[i].mean(0) for i in range(3)])
    assert torch.allclose(spans.mean(), expected, atol=1e-6)
    scores = values[:, 1, 0]
    for how, pick in (("mean", lambda s: s.mean()), ("max", lambda s: s.max()), ("last", lambda s: s[-1])):
        got = spans.per_prompt(scores, how)
        assert got.dtype == np.float64 and got.tolist() == [
            float(pick(scores[a:b])) for a, b in ((0, 3), (3, 4), (4, 8))
        ]
    with pytest.raises(ValueError, match="one value per token"):
        spans.per_prompt(scores[:5], "mean")
