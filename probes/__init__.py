"""Probes, steering vectors and faithfulness tests for language models, on TransformerLens 4.

Example:
    >>> import probes
    >>> from hooks import extract_activations
    >>> model = probes.load_model()        # SmolLM2-135M-Instruct, offline
    >>> acts = extract_activations(model, [probes.chat_prompt(model, "Hi!")], layers=range(30))
"""

from probes.chat import chat_prompt
from probes.models import DEFAULT_MODEL, ModelLoadError, cache_dir, load_model

__version__ = "0.1.0"

__all__ = ["DEFAULT_MODEL", "ModelLoadError", "__version__", "cache_dir", "chat_prompt", "load_model"]
