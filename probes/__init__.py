"""Probes, steering vectors and faithfulness tests for language models, on TransformerLens 4.

Example:
    >>> import probes
    >>> from hooks import extract_activations
    >>> model = probes.load_model()        # SmolLM2-135M-Instruct, offline
    >>> acts = extract_activations(model, [probes.chat_prompt(model, "Hi!")], layers=range(30))

The studies are sub-packages with the same shape (``Config``, ``run(model, config) -> Result``):
``probes.truth``, ``probes.sycophancy``, ``probes.deception``, ``probes.faithfulness``; the
``probes`` command runs them (``probes run all --quick``).

`import probes` is instant: each name below loads its module (and torch) on first use, so command
lines can answer `--help` without loading the deep-learning stack.
"""

import importlib

__version__ = "0.1.0"

_WHERE = {
    "ArtifactError": "probes.artifacts",
    "export_gguf": "probes.artifacts",
    "load": "probes.artifacts",
    "read_metadata": "probes.artifacts",
    "save": "probes.artifacts",
    "chat_prompt": "probes.chat",
    "CCSProbe": "probes.contrast",
    "PCAProbe": "probes.contrast",
    "pair_features": "probes.contrast",
    "LogisticProbe": "probes.linear",
    "MeanDiffProbe": "probes.linear",
    "DEFAULT_MODEL": "probes.constants",
    "ModelLoadError": "probes.models",
    "cache_dir": "probes.models",
    "load_model": "probes.models",
    "SteeringVector": "probes.steering",
    "SweepResult": "probes.layer_sweep",
    "load_result": "probes.runner",
    "run_studies": "probes.runner",
    "probe_at": "probes.layer_sweep",
    "sweep": "probes.layer_sweep",
}

__all__ = [
    "ArtifactError",
    "CCSProbe",
    "DEFAULT_MODEL",
    "LogisticProbe",
    "MeanDiffProbe",
    "ModelLoadError",
    "PCAProbe",
    "SteeringVector",
    "SweepResult",
    "__version__",
    "cache_dir",
    "chat_prompt",
    "export_gguf",
    "load",
    "load_model",
    "load_result",
    "pair_features",
    "probe_at",
    "read_metadata",
    "run_studies",
    "save",
    "sweep",
]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    try:  # a submodule, e.g. probes.datasets after a bare `import probes`
        return importlib.import_module(f"probes.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"probes.{name}":
            raise
    raise AttributeError(f"module 'probes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
