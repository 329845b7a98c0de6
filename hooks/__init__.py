"""Hook-based modules: the only code in this library that registers hooks on a model.

Example:
    >>> from hooks import extract_activations, Span, steer
    >>> acts = extract_activations(model, prompts, layers=range(model.cfg.n_layers))
    >>> with steer(model, -4.0 * vec):
    ...     text = model.generate(prompt, max_new_tokens=40)
"""

from hooks.extract import extract_activations
from hooks.names import SITES, hook_name
from hooks.positions import Position, Span
from hooks.spans import SpanActivations
from hooks.steer import steer
from hooks.store import ActivationStore

__all__ = [
    "SITES",
    "ActivationStore",
    "Position",
    "Span",
    "SpanActivations",
    "extract_activations",
    "hook_name",
    "steer",
]
