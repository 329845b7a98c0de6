"""Probes, steering vectors and faithfulness tests for language models, on TransformerLens 4.

Example:
    >>> import probes
    >>> from hooks import extract_activations
    >>> model = probes.load_model()        # SmolLM2-135M-Instruct, offline
    >>> acts = extract_activations(model, [probes.chat_prompt(model, "Hi!")], layers=range(30))

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
    "LogisticProbe": "probes.linear",
    "MeanDiffProbe": "probes.linear",
    "DEFAULT_MODEL": "probes.constants",
    "ModelLoadError": "probes.models",
    "cache_dir": "probes.models",
    "load_model": "probes.models",
    "SteeringVector": "probes.steering",
    "SweepResult": "probes.sweep",
    "probe_at": "probes.sweep",
    "sweep": "probes.sweep",
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
    "probe_at",
    "read_metadata",
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
