"""Keep TransformerLens 4.3's KV cache working with transformers >= 5.24.

transformers 5.24 renamed the keyword that a decoder layer hands its attention module from
``past_key_values`` to ``cache`` (the old name is deprecated until 5.40). TransformerLens 4.3's
``AttentionBridge._update_kv_cache`` reads only ``past_key_values`` (or ``layer_past``), so with
5.24 it never writes the cache: every decoding step then attends to itself alone and cached
generation silently produces garbage. :func:`install` wraps that method so a ``cache`` keyword is
read as ``past_key_values`` when the latter is absent; with older transformers, or a TransformerLens
that reads ``cache`` itself, the wrapper changes nothing.

The wrapper is installed when :mod:`hooks` is imported. Whatever the versions, cached decoding is
also checked against recomputation once per model (:func:`hooks.kv_check.require_kv_cache`).
"""

from __future__ import annotations

import functools

_MARK = "_probes_cache_keyword"


def install() -> bool:
    """Wrap ``AttentionBridge._update_kv_cache``; returns False when it was already wrapped."""
    from transformer_lens.model_bridge.generalized_components.attention import AttentionBridge
    from transformers.cache_utils import Cache

    original = getattr(AttentionBridge, "_update_kv_cache", None)
    if original is None or getattr(original, _MARK, False):
        return False  # already wrapped, or a TransformerLens without this method (kv_check guards)

    @functools.wraps(original)
    def update(self, k, v, **kwargs):
        if kwargs.get("past_key_values") is None and isinstance(kwargs.get("cache"), Cache):
            kwargs["past_key_values"] = kwargs["cache"]
        return original(self, k, v, **kwargs)

    setattr(update, _MARK, True)
    AttentionBridge._update_kv_cache = update
    return True
