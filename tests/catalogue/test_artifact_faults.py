"""Faults in saved artifacts (probes and steering vectors as safetensors) and in saving them.

Each case ends in a clear error (conftest.clear_error) or a correct result: the loaded object
scores exactly like the one saved. Cases marked "was:" reproduce a defect found by this catalogue.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from catalogue_checks import clear_error
from safetensors.torch import save_file

from hooks import atomic
from probes import artifacts
from probes.artifacts import ArtifactError, UnverifiedArtifactWarning, export_gguf, load, read_metadata, save
from probes.contrast import CCSProbe, PCAProbe, pair_features
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.steering import SteeringVector

HOOK = "blocks.2.hook_resid_post"
D = 32  # the tiny model's d_model
SHIPPED = sorted((Path(__file__).parents[2] / "artifacts/smollm2-135m-instruct").glob("*.safetensors"))


def data(seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(60, D)).astype(np.float32), np.arange(60) % 2
    x[y == 1, 0] += 3
    return x, y


def fitted(name: str):
    x, y = data()
    pairs = pair_features(x[:30], x[30:])
    return {
        "LogisticProbe": lambda: LogisticProbe(C=0.2).fit(x, y),
        "MeanDiffProbe": lambda: MeanDiffProbe().fit(x, y),
        "PCAProbe": lambda: PCAProbe().fit(pairs),
        "CCSProbe": lambda: CCSProbe(n_tries=1, n_epochs=20).fit(pairs),
    }[name]()


def vector(model="native", d=D, hook=HOOK):
    return SteeringVector(torch.randn(d, generator=torch.Generator().manual_seed(0)), hook, model)


@pytest.fixture
def probe_file(tmp_path, tiny):
    return save(fitted("LogisticProbe"), tmp_path / "probe.safetensors", hook=HOOK, model=tiny)


def parts(path):
    """The tensors and the raw (string) metadata of a saved artifact, to forge variants of it."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def forge(path, tensors, header, checksum=True):
    """Write a variant with a matching checksum: a file a faulty writer could produce."""
    header = {k: v if isinstance(v, str) else json.dumps(v) for k, v in header.items()}
    header.pop(artifacts.CHECKSUM_KEY, None)
    if checksum:
        header[artifacts.CHECKSUM_KEY] = artifacts._checksum(tensors, header)
    save_file(tensors, str(path), metadata=header)
    return path


# --- non-finite numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, attr",
    [
        ("LogisticProbe", "coef_"),
        ("LogisticProbe", "scale_"),
        ("MeanDiffProbe", "intercept_"),
        ("PCAProbe", "direction_"),
        ("CCSProbe", "center_"),
    ],
)
def test_saving_a_probe_with_nan_or_inf_is_refused(tmp_path, name, attr):
    probe = fitted(name)
    value = np.array(getattr(probe, attr), dtype=np.float64, ndmin=1)
    value[-1] = np.nan if attr != "intercept_" else np.inf
    setattr(probe, attr, value if np.ndim(getattr(probe, attr)) else float(value[0]))
    with clear_error(attr, "NaN or inf", "refit"):  # was: saved, and loaded back with NaN
        save(probe, tmp_path / "bad.safetensors", hook=HOOK)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("checksum", [True, False], ids=["with_checksum", "without_checksum"])
def test_loading_a_probe_with_nan_is_refused(tmp_path, probe_file, checksum):
    tensors, header = parts(probe_file)
    tensors["coef"][5] = float("nan")
    path = forge(tmp_path / "nan.safetensors", tensors, header, checksum=checksum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedArtifactWarning)
        with clear_error("nan.safetensors", "coef", "finite"):
            load(path)


def test_saving_a_probe_whose_vectors_disagree_in_width_is_refused(tmp_path):
    probe = fitted("LogisticProbe")
    probe.mean_ = probe.mean_[:10]
    with clear_error("disagree in width", "coef", "mean"):
        save(probe, tmp_path / "p.safetensors")


# --- corruption: the checksum -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["first_tensor_byte", "middle_tensor_byte", "last_byte"])
def test_a_flipped_bit_in_the_tensors_is_refused(tmp_path, probe_file, where):
    raw = bytearray(probe_file.read_bytes())
    header_end = 8 + int.from_bytes(raw[:8], "little")
    index = {"first_tensor_byte": header_end, "middle_tensor_byte": (header_end + len(raw)) // 2}.get(
        where, -1
    )
    raw[index] ^= 0x01  # was: loaded, with one weight changed in its last bits
    (tmp_path / "flip.safetensors").write_bytes(raw)
    with clear_error("flip.safetensors", "corrupted", "checksum", "re-save"):
        load(tmp_path / "flip.safetensors")


@pytest.mark.parametrize("key, new", [("metrics", {"test_accuracy": 0.99}), ("model", "gpt2"), ("layer", 7)])
def test_hand_edited_metadata_is_refused(tmp_path, probe_file, key, new):
    tensors, header = parts(probe_file)
    header[key] = new if isinstance(new, str) else json.dumps(new)
    save_file(tensors, str(tmp_path / "edited.safetensors"), metadata=header)  # the old checksum kept
    with clear_error("edited.safetensors", "corrupted", "checksum"):
        load(tmp_path / "edited.safetensors")


def test_every_single_bit_flip_is_refused_or_flagged(tmp_path):
    """Flip one bit of every byte of a small artifact: each must fail to load, or (only where the
    flip hits the checksum's own key name) load with an UnverifiedArtifactWarning: never silently."""
    path = save(MeanDiffProbe().fit(*data()), tmp_path / "p.safetensors", hook=HOOK, model="native")
    raw = path.read_bytes()
    silent = []
    for i in range(len(raw)):
        flipped = bytearray(raw)
        flipped[i] ^= 1 << (i % 8)
        path.write_bytes(flipped)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                load(path)
            except ArtifactError:
                continue
        if not any(issubclass(w.category, UnverifiedArtifactWarning) for w in caught):
            silent.append(i)
    assert silent == []


def test_a_saved_artifact_carries_a_checksum_and_loads_without_warning(tmp_path, tiny):
    for name in ("LogisticProbe", "MeanDiffProbe", "PCAProbe", "CCSProbe"):
        probe = fitted(name)
        path = save(probe, tmp_path / f"{name}.safetensors", hook=HOOK, model=tiny)
        assert len(read_metadata(path)["sha256"]) == 64
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            restored = load(path, model=tiny)
        x, _ = data(seed=1)
        if name in ("PCAProbe", "CCSProbe"):
            x = pair_features(x[:30], x[30:])
        np.testing.assert_allclose(
            restored.decision_function(x), probe.decision_function(x), rtol=1e-5, atol=1e-4
        )
        assert restored.n_features_in_ == probe.n_features_in_


# --- the shipped artifacts, and old files without a checksum -----------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_artifacts_carry_a_checksum_and_load_verified(path):
    meta = read_metadata(path)
    assert len(meta["sha256"]) == 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = load(path)
    kind = "steering_vector" if isinstance(restored, SteeringVector) else "probe"
    assert kind == meta["kind"] and type(restored).__name__ == meta["class"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_file_without_checksum_loads_with_a_warning(tmp_path, path):
    """Files written before checksums existed load, but never silently."""
    tensors, header = parts(path)
    old = forge(tmp_path / path.name, tensors, header, checksum=False)
    assert "sha256" not in read_metadata(old)
    with pytest.warns(UnverifiedArtifactWarning, match=f"{path.name}.*no checksum.*re-save"):
        load(old)


def test_resaving_an_old_artifact_adds_a_checksum_and_keeps_its_numbers(tmp_path):
    shipped = next(p for p in SHIPPED if read_metadata(p)["kind"] == "probe")
    path = forge(tmp_path / shipped.name, *parts(shipped), checksum=False)
    with pytest.warns(UnverifiedArtifactWarning):
        probe = load(path)
    meta = read_metadata(path)
    again = save(probe, tmp_path / path.name, hook=meta["hook"], model=meta["model"], metrics=meta["metrics"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = load(again)
    x = np.random.default_rng(0).normal(size=(5, meta["d_model"])).astype(np.float32)
    np.testing.assert_array_equal(restored.decision_function(x), probe.decision_function(x))


# --- the model it is loaded for ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["probe", "vector"])
def test_an_artifact_made_on_another_model_is_refused_naming_both(tmp_path, tiny, kind):
    if kind == "probe":
        path = save(fitted("MeanDiffProbe"), tmp_path / "p.safetensors", hook=HOOK, model="gpt2")
    else:
        path = save(vector(model="gpt2"), tmp_path / "v.safetensors")
    with clear_error("made on model 'gpt2'", "this model is 'native'", "check_model=False"):  # was: loaded
        load(path, model=tiny)
    assert load(path, model=tiny, check_model=False) is not None  # e.g. a fine-tune of the same width


def test_a_probe_saved_without_a_model_name_loads_onto_any_model_of_its_width(tmp_path, tiny):
    probe = fitted("MeanDiffProbe")
    restored = load(save(probe, tmp_path / "p.safetensors", hook=HOOK), model=tiny)
    np.testing.assert_allclose(restored.coef_, probe.coef_, rtol=1e-6)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: vector(d=64), ["d_model 64", "d_model 32"]),
        (lambda: vector(hook="blocks.9.hook_resid_post"), ["blocks.9.hook_resid_post", "does not have"]),
        (lambda: vector(hook="blocks.1.hook_nonsense"), ["blocks.1.hook_nonsense", "does not have"]),
    ],
    ids=["wrong_d_model", "layer_beyond_the_model", "unknown_hook_site"],
)
def test_an_artifact_that_does_not_fit_the_model_is_refused(tmp_path, tiny, make, words):
    with clear_error("v.safetensors", *words):
        load(save(make(), tmp_path / "v.safetensors"), model=tiny)


# --- malformed metadata ----------------------------------------------------------------------------------

MISSING_KEYS = {
    "probe": ["kind", "class", "params", "d_model"],
    "vector": ["kind", "hook", "model", "d_model"],
}


@pytest.mark.parametrize(
    "kind, key", [(kind, key) for kind, keys in MISSING_KEYS.items() for key in keys], ids=lambda v: v
)
def test_missing_metadata_keys_are_named(tmp_path, kind, key):
    obj = fitted("LogisticProbe") if kind == "probe" else vector()
    tensors, header = parts(save(obj, tmp_path / "ok.safetensors", hook=HOOK))
    del header[key]
    path = forge(tmp_path / "missing.safetensors", tensors, header)
    with clear_error("missing.safetensors", f"lacks the key '{key}'", kind=ArtifactError):  # was: KeyError
        load(path)


BAD_METADATA = {
    "unknown_kind": ({"kind": "banana"}, ["unknown artifact kind 'banana'"]),
    "unknown_class": ({"class": "SVC"}, ["class 'SVC'", "LogisticProbe"]),
    "params_unknown_argument": (
        {"params": {"C": 1.0, "gamma": 3}},
        ["params", "do not fit LogisticProbe", "gamma"],
    ),
    "params_not_an_object": ({"params": "C=1"}, ["params must be a JSON object", "C=1"]),
    "d_model_text": ({"d_model": "wide"}, ["d_model must be a positive integer", "wide"]),
    "d_model_zero": ({"d_model": 0}, ["d_model must be a positive integer", "0"]),
    "d_model_wrong": ({"d_model": 16}, ["tensor coef has shape", r"\(16,\)"]),
    "version_2": ({"format_version": "2"}, ["format version '2'", "reads '1'"]),
    "version_0": ({"format_version": "0"}, ["format version '0'"]),
    "version_missing": ({"format_version": None}, ["format version None"]),
}


@pytest.mark.parametrize("case", BAD_METADATA)
def test_malformed_metadata_is_refused(tmp_path, probe_file, case):
    change, words = BAD_METADATA[case]
    tensors, header = parts(probe_file)
    for key, value in change.items():
        if value is None:
            del header[key]
        else:
            header[key] = value
    path = forge(tmp_path / "bad.safetensors", tensors, header)
    with clear_error("bad.safetensors", *words, kind=ArtifactError):
        load(path)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"hook": "layer12"}, ["hook must look like", "layer12"]),
        ({"model": None}, ["model must be a name", "None"]),
    ],
    ids=["bad_hook", "model_null"],
)
def test_malformed_vector_metadata_is_refused(tmp_path, change, words):
    tensors, header = parts(save(vector(), tmp_path / "v.safetensors"))
    header.update({k: json.dumps(v) if v is None else v for k, v in change.items()})
    with clear_error("bad.safetensors", *words, kind=ArtifactError):
        load(forge(tmp_path / "bad.safetensors", tensors, header))


BAD_TENSORS = {
    "missing_coef": (
        lambda t: t.pop("coef"),
        ["needs tensors", r"missing \['coef'\]"],
    ),  # was: NotFittedError later
    "extra_tensor": (lambda t: t.update(extra=torch.zeros(D)), [r"unexpected \['extra'\]"]),  # was: ignored
    "integer_coef": (
        lambda t: t.update(coef=torch.zeros(D, dtype=torch.int32)),
        ["coef", "finite floats", "int32"],
    ),
    "coef_2d": (lambda t: t.update(coef=torch.zeros(1, D)), ["coef has shape", r"\(1, 32\)"]),
    "intercept_wide": (lambda t: t.update(intercept=torch.zeros(2)), ["intercept has shape", r"\(2,\)"]),
}


@pytest.mark.parametrize("case", BAD_TENSORS)
def test_malformed_tensors_are_refused(tmp_path, probe_file, case):
    change, words = BAD_TENSORS[case]
    tensors, header = parts(probe_file)
    change(tensors)
    with clear_error("bad.safetensors", *words, kind=ArtifactError):
        load(forge(tmp_path / "bad.safetensors", tensors, header))


def test_optional_standardization_tensors_may_be_absent(tmp_path, probe_file):
    """A LogisticProbe rebuilt from a sweep has no mean/scale: loading it scores the same."""
    tensors, header = parts(probe_file)
    del tensors["mean"], tensors["scale"]
    restored = load(forge(tmp_path / "sweep.safetensors", tensors, header))
    x, _ = data(seed=2)
    np.testing.assert_allclose(
        restored.decision_function(x), fitted("LogisticProbe").decision_function(x), atol=1e-4
    )


# --- files that are not artifacts ------------------------------------------------------------------------


def truncated(raw: bytes, where: str) -> bytes:
    header_end = 8 + int.from_bytes(raw[:8], "little")
    return raw[: {"in_length": 4, "in_header": header_end // 2, "in_tensors": header_end + 10}[where]]


NOT_ARTIFACTS = {
    "truncated_in_length": lambda raw, tmp: truncated(raw, "in_length"),
    "truncated_in_header": lambda raw, tmp: truncated(raw, "in_header"),
    "truncated_in_tensors": lambda raw, tmp: truncated(raw, "in_tensors"),
    "empty": lambda raw, tmp: b"",
    "text": lambda raw, tmp: b"probe weights: 0.1 0.2 0.3\n",
    "json": lambda raw, tmp: json.dumps({"coef": [0.1, 0.2]}).encode(),
    "torch_pickle": lambda raw, tmp: (
        torch.save({"coef": torch.zeros(3)}, tmp / "t.pt"),
        (tmp / "t.pt").read_bytes(),
    )[1],
    "gguf": lambda raw, tmp: export_gguf(vector(), tmp / "v.gguf").read_bytes(),
}


@pytest.mark.parametrize("case", NOT_ARTIFACTS)
@pytest.mark.parametrize("reader", [load, read_metadata], ids=["load", "read_metadata"])
def test_files_that_are_not_artifacts_are_refused(tmp_path, probe_file, reader, case):
    path = tmp_path / "odd.safetensors"
    path.write_bytes(NOT_ARTIFACTS[case](probe_file.read_bytes(), tmp_path))
    with clear_error("odd.safetensors", "not a readable safetensors file", "re-save", kind=ArtifactError):
        reader(path)  # was: safetensors' SafetensorError ("header too large") without the file name


def test_a_safetensors_file_without_metadata_is_refused(tmp_path):
    save_file({"coef": torch.zeros(D)}, str(tmp_path / "plain.safetensors"))
    with clear_error("plain.safetensors", "no metadata header", "probes.save", kind=ArtifactError):
        load(tmp_path / "plain.safetensors")


@pytest.mark.parametrize("reader", [load, read_metadata], ids=["load", "read_metadata"])
def test_a_path_that_does_not_exist_is_refused(tmp_path, reader):
    with clear_error("no artifact at", "nope.safetensors", kind=FileNotFoundError):
        reader(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("reader", [load, read_metadata], ids=["load", "read_metadata"])
def test_a_directory_is_refused(tmp_path, reader):
    with clear_error("is a directory", "expected an artifact file", kind=IsADirectoryError):  # was: ENODEV
        reader(tmp_path)


# --- saving -------------------------------------------------------------------------------------------


def test_saving_over_a_read_only_location_fails_clearly_and_keeps_the_old_file(
    tmp_path, probe_file, monkeypatch
):
    before = probe_file.read_bytes()

    def denied(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", denied)  # the atomic write lives in hooks.atomic
    with clear_error("cannot write", "probe.safetensors", "writable location", kind=PermissionError):
        save(fitted("MeanDiffProbe"), probe_file, hook=HOOK)
    assert probe_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.safetensors"]  # no temporary file left


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_saving_into_a_read_only_directory_fails_clearly(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with clear_error("cannot write", "writable location", kind=OSError):
        save(fitted("MeanDiffProbe"), folder / "p.safetensors")


@pytest.mark.parametrize("folder", ["/sys", "/proc"])
@pytest.mark.parametrize("writer", ["save", "export_gguf"])
def test_writing_into_a_read_only_file_system_fails_clearly(folder, writer):
    if not Path(folder).is_dir():
        pytest.skip(f"no {folder} here")
    path = Path(folder) / "catalogue-probe.safetensors"
    with clear_error("cannot write", str(path), "writable location", kind=OSError):  # was: SafetensorError
        save(vector(), path) if writer == "save" else export_gguf(vector(), path)
    assert not path.exists()


def test_saving_below_a_regular_file_fails_clearly(tmp_path):
    (tmp_path / "file").write_text("x")
    with clear_error("cannot write", "file/p.safetensors", "writable location", kind=OSError):
        save(fitted("MeanDiffProbe"), tmp_path / "file" / "p.safetensors")


def test_saving_to_a_directory_path_fails_clearly(tmp_path):
    with clear_error("is a directory", "give a file name", kind=IsADirectoryError):  # was: rename error
        save(fitted("MeanDiffProbe"), tmp_path)


SAVE_CASES = {
    "not_an_artifact": (lambda p: save({"coef": [1.0]}, p), ["cannot save a dict", "SteeringVector"]),
    "unfitted_probe": (lambda p: save(LogisticProbe(), p), ["not fitted", "coef_"]),
    "bad_hook": (lambda p: save(fitted("MeanDiffProbe"), p, hook="layer12"), ["blocks.<layer>", "layer12"]),
    "model_an_int": (lambda p: save(fitted("MeanDiffProbe"), p, model=12), ["model must be a model", "int"]),
    "metrics_an_object": (lambda p: save(vector(), p, metrics={"when": object()}), ["metrics", "JSON"]),
    "gguf_at_layer_0": (lambda p: export_gguf(vector(hook="blocks.0.hook_resid_post"), p), ["L >= 1"]),
}


@pytest.mark.parametrize("case", SAVE_CASES)
def test_bad_saves_fail_clearly(tmp_path, case):
    call, words = SAVE_CASES[case]
    with clear_error(*words):
        call(tmp_path / "x.safetensors")
    assert not any(tmp_path.iterdir())


def test_numpy_metrics_are_stored_as_numbers(tmp_path):
    path = save(vector(), tmp_path / "v.safetensors", metrics={"auroc": np.float32(0.5), "n": np.int64(3)})
    assert read_metadata(path)["metrics"] == {"auroc": 0.5, "n": 3}  # was: TypeError inside json


# --- labels and the contrast probes' pair score ------------------------------------------------------


def test_string_classes_round_trip_through_the_metadata(tmp_path):
    x, y = data()
    probe = MeanDiffProbe().fit(x, np.where(y == 1, "true", "false"))
    restored = load(save(probe, tmp_path / "p.safetensors", hook=HOOK))
    assert read_metadata(tmp_path / "p.safetensors")["classes"] == ["false", "true"]
    np.testing.assert_array_equal(restored.predict(x), probe.predict(x))


@pytest.mark.parametrize("classes", [["a"], ["a", "a"], ["a", 1], [[0], [1]], "ab"])
def test_malformed_classes_are_refused(tmp_path, classes):
    tensors, header = parts(save(fitted("MeanDiffProbe"), tmp_path / "p.safetensors", hook=HOOK))
    header["classes"] = json.dumps(classes)
    with clear_error("bad.safetensors", "classes", "two distinct labels"):
        load(forge(tmp_path / "bad.safetensors", tensors, header))


@pytest.mark.parametrize("name", ["PCAProbe", "CCSProbe"])
def test_a_contrast_probe_saved_before_pairs_had_an_intercept_loads_scoring_raw_differences(tmp_path, name):
    tensors, header = parts(save(fitted(name), tmp_path / "p.safetensors", hook=HOOK))
    del tensors["intercept"], header["classes"]
    restored = load(forge(tmp_path / "old.safetensors", tensors, header))
    x, _ = data(seed=1)
    pairs = pair_features(x[:30], x[30:])
    expected = (x[:30] - x[30:]).astype(np.float64) @ restored.direction_
    np.testing.assert_allclose(restored.decision_function(pairs), expected, rtol=1e-5, atol=1e-6)
    assert restored.intercept_ == 0 and restored.classes_.tolist() == [0, 1]
