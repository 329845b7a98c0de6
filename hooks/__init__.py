"""Hook-based modules: the only code in this library that registers hooks on a model.

Example:
    >>> from hooks import extract_activations, Span, steer
    >>> acts = extract_activations(model, prompts, layers=range(model.cfg.n_layers))
    >>> with steer(model, -4.0 * vec):
    ...     text = model.generate(prompt, max_new_tokens=40)
"""

from hooks import compat

compat.install()

from hooks.extract import extract_activations  # noqa: E402
from hooks.kv_check import KVCacheError, require_kv_cache  # noqa: E402
from hooks.names import SITES, hook_name  # noqa: E402
from hooks.positions import Position, Span  # noqa: E402
from hooks.spans import SpanActivations  # noqa: E402
from hooks.steer import steer  # noqa: E402
from hooks.store import ActivationStore  # noqa: E402

__all__ = [
    "SITES",
    "ActivationStore",
    "KVCacheError",
    "Position",
    "Span",
    "SpanActivations",
    "extract_activations",
    "hook_name",
    "require_kv_cache",
    "steer",
]
