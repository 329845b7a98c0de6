"""Steering-vector values and the safetensors / GGUF artifact format."""

from __future__ import annotations

import json

import gguf
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from probes.artifacts import ArtifactError, export_gguf, load, read_metadata, save
from probes.contrast import CCSProbe, PCAProbe, pair_features
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.steering import SteeringVector

HOOK = "blocks.2.hook_resid_post"


def vector(d=32, seed=0, hook=HOOK, model="tiny-native"):
    return SteeringVector(torch.randn(d, generator=torch.Generator().manual_seed(seed)), hook, model)


def test_arithmetic_and_constructors(tiny):
    a, b = vector(seed=0), vector(seed=1)
    combo = 2 * a - b / 2
    torch.testing.assert_close(combo.direction, 2 * a.direction - b.direction / 2)
    assert (combo.hook, combo.layer, combo.d_model) == (HOOK, 2, 32)
    with pytest.raises(ValueError, match="cannot combine"):
        a + vector(hook="blocks.3.hook_resid_post")
    pos, neg = torch.randn(10, 32), torch.randn(10, 32)
    caa = SteeringVector.from_contrast(pos, neg, hook=HOOK, model=tiny)
    torch.testing.assert_close(caa.direction, (pos - neg).mean(0))
    assert caa.model_name == str(tiny.cfg.model_name) and caa.info["n_pairs"] == 10
    with pytest.raises(ValueError, match="row by row"):
        SteeringVector.from_contrast(pos, neg[:5], hook=HOOK, model=tiny)
    with pytest.raises(ValueError, match="blocks.<layer>"):
        SteeringVector(torch.zeros(4), "resid_post", "m")


def fitted_probes():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 32)).astype(np.float32), np.arange(60) % 2
    x[y == 1, 0] += 3
    pairs = pair_features(x[:30], x[30:])  # the contrast probes' X: [30, 2 * 32]
    fitted = [
        LogisticProbe(C=0.2).fit(x, y),
        MeanDiffProbe(whiten=True).fit(x, y),
        PCAProbe().fit(pairs),
        CCSProbe(n_tries=1, n_epochs=20).fit(pairs),
    ]
    return x, pairs, fitted


@pytest.mark.parametrize("index", range(4))
def test_probes_round_trip_with_metadata(tmp_path, tiny, index):
    x, pairs, probes_ = fitted_probes()
    probe = probes_[index]
    if isinstance(probe, (PCAProbe, CCSProbe)):
        x = pairs

    class Data:
        name = "synthetic"

        def sha256(self):
            return "abc123"

    path = save(
        probe, tmp_path / "p.safetensors", hook=HOOK, model=tiny, dataset=Data(), metrics={"auroc": 0.9}
    )
    restored = load(path, model=tiny)
    assert type(restored) is type(probe) and restored.get_params() == probe.get_params()
    np.testing.assert_allclose(
        restored.decision_function(x), probe.decision_function(x), rtol=1e-5, atol=1e-4
    )
    meta = read_metadata(path)
    assert meta["kind"] == "probe" and meta["layer"] == 2 and meta["d_model"] == 32
    assert meta["dataset"] == {"name": "synthetic", "sha256": "abc123"} and meta["metrics"] == {"auroc": 0.9}
    assert {"format_version", "model", "hook", "dtype", "library_version", "created_utc"} <= set(meta)
    assert [p.name for p in tmp_path.iterdir()] == ["p.safetensors"]  # no temporary file left


def test_vectors_round_trip_and_are_refused_by_a_model_they_do_not_fit(tmp_path, tiny):
    # made on the tiny model itself: load(model=) now also checks the model name ("native")
    vec = SteeringVector(torch.randn(32), HOOK, str(tiny.cfg.model_name), {"method": "mean_difference"})
    restored = load(save(vec, tmp_path / "v.safetensors"), model=tiny)
    assert torch.equal(restored.direction, vec.direction) and restored.info == vec.info
    wide = SteeringVector(torch.randn(64), HOOK, "other-model")
    with pytest.raises(ArtifactError, match="d_model 64 .*other-model.* d_model 32"):
        load(save(wide, tmp_path / "w.safetensors"), model=tiny)
    deep = SteeringVector(torch.randn(32), "blocks.40.hook_resid_post", "tiny-native")
    with pytest.raises(ArtifactError, match="blocks.40.hook_resid_post"):
        load(save(deep, tmp_path / "d.safetensors"), model=tiny)


def test_malformed_files_are_refused(tmp_path):
    path = tmp_path / "odd.safetensors"
    save_file({"direction": torch.zeros(4)}, str(path), metadata={"format_version": "99", "d_model": "4"})
    with pytest.raises(ArtifactError, match="format version"):
        load(path)
    save_file(
        {"direction": torch.zeros(4)},
        str(path),
        metadata={
            "format_version": "1",
            "d_model": "8",
            "kind": json.dumps("steering_vector"),
            "hook": HOOK,
            "model": "m",
        },
    )
    with pytest.raises(ArtifactError, match="d_model 8"):
        load(path)
    with pytest.raises(TypeError, match="cannot save"):
        save({"not": "an artifact"}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="not fitted"):
        save(LogisticProbe(), tmp_path / "x.safetensors", hook=HOOK)


def test_gguf_control_vector_layout(tmp_path):
    vec = vector(d=16)
    path = export_gguf(vec, tmp_path / "v.gguf")
    reader = gguf.GGUFReader(str(path))
    assert [t.name for t in reader.tensors] == ["direction.2"]
    tensor = reader.tensors[0]
    assert tensor.tensor_type == gguf.GGMLQuantizationType.F32
    np.testing.assert_array_equal(np.asarray(tensor.data).reshape(-1), vec.direction.numpy())
    assert bytes(reader.fields["general.architecture"].parts[-1]).decode() == "controlvector"
    with pytest.raises(ValueError, match="L >= 1"):
        export_gguf(vector(hook="blocks.0.hook_resid_post"), tmp_path / "v0.gguf")
    with pytest.raises(ValueError, match="resid_post"):
        export_gguf(vector(hook="blocks.3.hook_mlp_out"), tmp_path / "v1.gguf")


@pytest.mark.integration
def test_shipped_truth_probe_fits_the_default_model_and_reads_truth(smol):
    from pathlib import Path

    from hooks import extract_activations
    from probes import datasets
    from probes.splits import group_split

    path = Path(__file__).parents[1] / "artifacts/smollm2-135m-instruct/truth_cities_logistic_L15.safetensors"
    probe = load(path, model=smol)
    meta = read_metadata(path)
    assert meta["hook"] == "blocks.15.hook_resid_post" and meta["model"] == str(smol.cfg.model_name)
    ds = datasets.cities(n=400, seed=0, most_populous=True)
    assert meta["dataset"]["sha256"] == ds.sha256()  # the data it was trained on is reproducible
    test = group_split(ds.groups, (0.6, 0.2, 0.2), seed=0)[2]
    acts = extract_activations(smol, [ds.prompts[i] for i in test], layers=[15], progress=False)
    accuracy = probe.score(acts[:, 0], ds.labels[test])
    assert accuracy == pytest.approx(meta["metrics"]["test_accuracy"], abs=0.02)
    assert accuracy > 0.85
