"""Probes, steering vectors and faithfulness tests for language models, on TransformerLens 4.

Example:
    >>> import probes
    >>> from hooks import extract_activations
    >>> model = probes.load_model()        # SmolLM2-135M-Instruct, offline
    >>> acts = extract_activations(model, [probes.chat_prompt(model, "Hi!")], layers=range(30))
"""

from probes.artifacts import ArtifactError, export_gguf, load, read_metadata, save
from probes.chat import chat_prompt
from probes.contrast import CCSProbe, PCAProbe
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.models import DEFAULT_MODEL, ModelLoadError, cache_dir, load_model
from probes.steering import SteeringVector
from probes.sweep import SweepResult, probe_at, sweep

__version__ = "0.1.0"

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
