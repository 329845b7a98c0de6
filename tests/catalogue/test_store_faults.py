"""Faults in the streaming activation store: each ends in a clear error naming the file, or a result
bit-identical to a clean run.

A store of 10 prompts in shards of 3 (4 shards: 3, 3, 3 and 1 prompts) is built on the tiny model,
then damaged, resumed with another request, read with odd layer orders, or killed mid-run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from catalogue_checks import clear_error
from safetensors.torch import load_file, save_file

from hooks import ActivationStore, Span, extract_activations

TESTS = Path(__file__).parents[1]
PROMPTS = [f"prompt number {i}" + "!" * (i % 3) for i in range(10)]
SETTINGS = {"layers": [0, 2], "batch_size": 3, "shard_size": 3, "progress": False}  # a batch per shard


def tiny_model():
    """A fresh tiny model (same weights as the `tiny` fixture) that a test may change."""
    spec = importlib.util.spec_from_file_location("tests_root_conftest", TESTS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tiny_model()


def extract(model, out_dir, prompts=PROMPTS, **kwargs):
    return extract_activations(model, prompts, out_dir=out_dir, **{**SETTINGS, **kwargs})


def count_calls(model, name: str = "blocks.0.hook_resid_post") -> list[int]:
    calls = [0]
    model.add_hook(name, lambda act, hook: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.fixture(autouse=True)
def _remove_user_hooks(tiny):
    yield
    tiny.reset_hooks()


@pytest.fixture(scope="module")
def clean(tiny, tmp_path_factory):
    """The activations of an undisturbed run (shards of 3, so batches match every other run)."""
    return extract(tiny, tmp_path_factory.mktemp("clean")).load()


@pytest.fixture
def store(tiny, tmp_path):
    return extract(tiny, tmp_path)


@pytest.fixture(scope="module")
def shared(tiny, tmp_path_factory):
    """A store that tests only read (or are refused from writing to)."""
    return extract(tiny, tmp_path_factory.mktemp("shared"))


def shard(root: Path, k: int) -> Path:
    return root / f"shard-{k:05d}.safetensors"


# ---------------------------------------------------------------- resuming with another request


def _other_weights():
    """The same model with one deep MLP matrix edited, as a targeted weight edit would."""
    model = tiny_model()
    last_mlp = [param for name, param in model.named_parameters() if ".mlp." in name][-1]
    with torch.no_grad():
        last_mlp.add_(1e-3)
    return model


def _renamed():
    model = tiny_model()
    model.cfg.model_name = "tiny-other"
    return model


OTHER_REQUESTS = [
    ("other-weights-same-name", _other_weights, {}, ["weights"]),
    ("other-dtype-same-name", lambda: tiny_model().to(torch.float64), {}, ["dtype", "float64"]),
    ("other-model-name", _renamed, {}, ["model", "tiny-other"]),
    ("other-last-prompt", None, {"prompts": PROMPTS[:-1] + ["changed"]}, ["prompts_sha256"]),
    ("fewer-prompts", None, {"prompts": PROMPTS[:-1]}, ["n_prompts", "10", "9"]),
    ("same-prompts-as-token-ids", None, {"prompts": "ids"}, ["prompts_sha256"]),
    ("other-layers", None, {"layers": [0, 3]}, ["layers"]),
    ("layers-reordered", None, {"layers": [2, 0]}, ["layers"]),
    ("other-site", None, {"site": "resid_pre"}, ["site", "resid_pre"]),
    ("other-position", None, {"position": -2}, ["position"]),
    ("other-span", None, {"position": Span(start=1, unit="token")}, ["position"]),
    ("other-shard-size", None, {"shard_size": 4}, ["shard_size", "3", "4"]),
]


@pytest.mark.parametrize("make_model, kwargs, words", [pytest.param(*c[1:], id=c[0]) for c in OTHER_REQUESTS])
def test_resuming_with_another_request_is_refused(tiny, shared, make_model, kwargs, words):
    model = tiny if make_model is None else make_model()
    if kwargs.get("prompts") == "ids":
        kwargs = {"prompts": [tiny.tokenizer(p, add_special_tokens=False).input_ids for p in PROMPTS]}
    calls = count_calls(model)
    with clear_error("different extraction", *words, "another out_dir or delete"):
        extract(model, shared.root, **kwargs)
    assert calls[0] == 0  # refused before any forward pass


def test_a_long_numpy_span_is_fingerprinted_beyond_what_repr_shows(tiny, tmp_path):
    prompts = ["ab"] * 1200
    start = np.zeros(1200, dtype=np.int64)
    extract(
        tiny,
        tmp_path,
        prompts=prompts,
        position=Span(start=start, unit="token"),
        batch_size=600,
        shard_size=600,
    )
    moved = start.copy()
    moved[1100] = 1  # np.array's repr hides this element ("...")
    assert repr(moved) == repr(start)
    with clear_error("different extraction", "position"):
        extract(
            tiny,
            tmp_path,
            prompts=prompts,
            position=Span(start=moved, unit="token"),
            batch_size=600,
            shard_size=600,
        )


def test_the_same_request_resumes_without_recomputing(tiny, store, clean):
    calls = count_calls(tiny)
    again = extract(tiny, store.root)
    assert calls[0] == 0 and torch.equal(again.load(), clean)


def test_a_store_from_an_older_format_is_refused(tiny, store):
    path = store.root / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "format_version": 1}))
    with clear_error("manifest.json", "format version 1", "delete"):
        extract(tiny, store.root)
    with clear_error("manifest.json", "format version 1", "delete"):
        ActivationStore.load_dir(store.root)


# ---------------------------------------------------------------- damaged shards


def _flip(offset):
    def damage(root):
        path = shard(root, 1)
        data = bytearray(path.read_bytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))

    return damage


def _truncate(root):
    path = shard(root, 1)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _swap(root):
    a, b = shard(root, 0), shard(root, 1)
    a_bytes = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(a_bytes)


def _from_another_store(root):
    other = root.parent / (root.name + "-other")
    extract_activations(_renamed(), [p.upper() for p in PROMPTS], out_dir=other, **SETTINGS)
    shard(root, 1).write_bytes(shard(other, 1).read_bytes())


def _rewrite(change):
    def damage(root):
        tensors = load_file(shard(root, 1))
        save_file(change(tensors), shard(root, 1))

    return damage


DAMAGE = [
    ("flipped-byte-in-data", _flip(-3)),
    ("flipped-byte-in-header", _flip(20)),
    ("truncated-to-half", _truncate),
    ("emptied", lambda root: shard(root, 1).write_bytes(b"")),
    ("swapped-with-shard-0", _swap),
    ("from-another-store", _from_another_store),
    ("half-its-rows", _rewrite(lambda t: {"activations": t["activations"][:1]})),
    ("same-shape-other-values", _rewrite(lambda t: {"activations": t["activations"] * 1.001})),
    ("a-tensor-added", _rewrite(lambda t: {**t, "extra": torch.zeros(1)})),
]


@pytest.mark.parametrize("damage", [pytest.param(d, id=i) for i, d in DAMAGE])
def test_a_damaged_shard_is_named_on_load_and_recomputed_by_a_rerun(tiny, store, clean, damage):
    damage(store.root)
    for reader in (store, ActivationStore.load_dir(store.root)):
        with clear_error(r"shard-0000[01]\.safetensors", "checksum", "rerun"):
            reader.load()
    with pytest.warns(UserWarning, match=r"shard-0000[01]\.safetensors.*recomputing"):
        repaired = extract(tiny, store.root)
    assert torch.equal(repaired.load(), clean)


def test_a_missing_shard_makes_the_store_incomplete_until_a_rerun(tiny, store, clean):
    shard(store.root, 2).unlink()
    with clear_error("incomplete", "shard-00002", "rerun"):
        ActivationStore.load_dir(store.root).load()
    calls = count_calls(tiny)
    assert torch.equal(extract(tiny, store.root).load(), clean)
    assert calls[0] == 1  # only shard 2's three prompts ran, in one batch


def test_a_shard_written_but_not_recorded_is_recomputed(tiny, store, clean):
    """As after a kill between renaming a shard into place and recording it in the manifest."""
    path = store.root / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["shards"][3] = None
    path.write_text(json.dumps(manifest))
    shard(store.root, 3).write_bytes(b"half-written")
    with clear_error("incomplete", "shard-00003"):
        ActivationStore.load_dir(store.root).load()
    calls = count_calls(tiny)
    with pytest.warns(UserWarning, match="shard-00003.safetensors was not recorded"):
        assert torch.equal(extract(tiny, store.root).load(), clean)
    assert calls[0] == 1


def test_leftover_temporary_files_are_ignored(tiny, store, clean):
    (store.root / ".shard-00001.safetensors.tmp-99999").write_bytes(b"partial")
    (store.root / ".manifest.json.tmp-99999").write_text("{")
    assert torch.equal(ActivationStore.load_dir(store.root).load(), clean)


def test_a_shard_of_the_wrong_size_is_never_written(store):
    with clear_error("shard 0", "3 prompts", "got 2"):
        store.write_shard(0, torch.zeros(2, 2, 32))


# ---------------------------------------------------------------- damaged manifest

MANIFEST_DAMAGE = [
    ("garbage-bytes", lambda text: b"\x00\xff\xfe garbage"),
    ("empty", lambda text: b""),
    ("truncated-json", lambda text: text[: len(text) // 2].encode()),
    ("json-list", lambda text: b"[]"),
    ("keys-missing", lambda text: json.dumps({"format_version": 2}).encode()),
    ("shard-records-missing", lambda text: json.dumps({**json.loads(text), "shards": None}).encode()),
]


@pytest.mark.parametrize("damage", [pytest.param(d, id=i) for i, d in MANIFEST_DAMAGE])
def test_a_damaged_manifest_names_itself_and_says_what_to_delete(tiny, store, clean, damage):
    path = store.root / "manifest.json"
    path.write_bytes(damage(path.read_text()))
    with clear_error("manifest.json", "delete"):
        ActivationStore.load_dir(store.root)
    with clear_error("manifest.json", "delete"):
        extract(tiny, store.root)
    path.unlink()  # as the message says: every shard is then recomputed
    with pytest.warns(UserWarning, match="not recorded as finished"):
        assert torch.equal(extract(tiny, store.root).load(), clean)


def test_a_directory_without_a_manifest_is_not_a_store(tmp_path):
    with clear_error("not an activation store", "manifest.json", kind=FileNotFoundError):
        ActivationStore.load_dir(tmp_path)


def test_an_incomplete_store_refuses_to_load(tiny, store):
    (store.root / "manifest.json").unlink()
    shard(store.root, 0).unlink()
    ActivationStore.open(store.root, store.manifest["key"], 10, 3, [0, 2], "resid_post")
    with clear_error("incomplete", "shard-00000", "rerun"):
        ActivationStore.load_dir(store.root).load()


def test_out_dir_that_is_a_file_is_refused(tiny, tmp_path):
    path = tmp_path / "acts"
    path.write_text("not a directory")
    with clear_error("out_dir", "not a directory", str(path)):
        extract(tiny, path)


# ---------------------------------------------------------------- reading layers


@pytest.mark.parametrize(
    "layers, columns",
    [
        pytest.param([2, 0], [1, 0], id="descending"),
        pytest.param((2, 0), [1, 0], id="tuple-descending"),
        pytest.param(np.array([2, 0]), [1, 0], id="numpy-descending"),
        pytest.param([2], [1], id="last-only"),
        pytest.param([0], [0], id="first-only"),
        pytest.param(2, [1], id="int"),
        pytest.param(None, [0, 1], id="all"),
    ],
)
def test_load_returns_layers_in_the_order_asked(shared, clean, layers, columns):
    assert torch.equal(shared.load(layers=layers), clean[:, columns])
    assert torch.equal(torch.cat(list(shared.iter_shards(layers))), clean[:, columns])


def test_token_by_token_store_returns_layers_in_the_order_asked(tiny, tmp_path):
    span = Span(start=-3, unit="token", reduce=None)
    expected = extract_activations(tiny, PROMPTS, position=span, **SETTINGS)
    loaded = extract(tiny, tmp_path, position=span).load(layers=[2, 0])
    assert torch.equal(loaded.values, expected.values[:, [1, 0]])
    assert torch.equal(loaded.lengths, expected.lengths) and torch.equal(loaded.token_ids, expected.token_ids)


@pytest.mark.parametrize(
    "layers, words",
    [
        pytest.param([1], [r"\[1\]", "not in this store", r"\[0, 2\]"], id="not-stored"),
        pytest.param([-1], [r"\[-1\]", "not in this store"], id="negative"),
        pytest.param([2, 5], [r"\[5\]", "not in this store"], id="one-missing"),
        pytest.param([], ["empty"], id="empty"),
        pytest.param([0, 0], ["duplicates"], id="duplicates"),
        pytest.param(["0"], ["ints", "str"], id="string"),
        pytest.param([True], ["ints", "bool"], id="bool"),
        pytest.param(1.5, ["layers", "float"], id="float"),
        pytest.param({0, 2}, ["layers", "ordered", "set"], id="set"),
    ],
)
def test_load_with_bad_layers_is_a_clear_error(shared, layers, words):
    with clear_error(*words):
        shared.load(layers=layers)


# ---------------------------------------------------------------- kill -9 mid-run, then resume

CHILD = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("tests_root_conftest", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from hooks import extract_activations
model = module.tiny_model()
model.add_hook("blocks.0.hook_resid_post", lambda act, hook: time.sleep(0.4))  # slow enough to kill
prompts, settings = json.loads(sys.argv[3]), json.loads(sys.argv[4])
extract_activations(model, prompts, out_dir=sys.argv[2], **settings)
"""


def test_sigkill_mid_run_then_resume_is_bit_identical_to_a_clean_run(tiny, tmp_path, clean):
    out = tmp_path / "killed"
    args = [str(TESTS / "conftest.py"), str(out), json.dumps(PROMPTS), json.dumps(SETTINGS)]
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=TESTS.parent, env=env)
    try:
        deadline = time.monotonic() + 300
        while not shard(out, 1).exists():
            assert child.poll() is None, f"the child exited early with code {child.returncode}"
            assert time.monotonic() < deadline, "the child wrote no shard in time"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert not shard(out, 3).exists()  # killed mid-run
    with clear_error("incomplete"):
        ActivationStore.load_dir(out).load()
    resumed = extract(tiny, out)
    assert resumed.complete and torch.equal(resumed.load(), clean)
