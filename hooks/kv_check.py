"""Refuse to decode with a KV cache that does not reproduce a full forward pass.

A broken cache gives no error, only wrong tokens (transformers 5.24 with TransformerLens 4.3 left
every layer of the cache empty: see :mod:`hooks.compat`). :func:`require_kv_cache` runs one short
sequence both ways, once per model, and raises :class:`KVCacheError` if the last logits differ:
a prefill of 6 tokens then two cached one-token steps, against one uncached pass over all 8.
Forward hooks (e.g. an active :func:`hooks.steer`) are set aside during the check, so it measures
the model alone. Cost: three forward passes of at most 8 tokens, the first time only.

Example:
    >>> require_kv_cache(model)       # returns None, or raises KVCacheError naming the versions
"""

from __future__ import annotations

import contextlib
import weakref

import torch

from hooks.vllm_engine import is_served

PREFIX, STEPS = 6, 2
_checked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class KVCacheError(RuntimeError):
    """Cached decoding does not match recomputation on this model."""


def require_kv_cache(model) -> None:
    """Raise :class:`KVCacheError` unless cached decoding matches a full pass (checked once per model).

    A vLLM-served model passes: its paged KV cache is the engine's, checked by the parity tests.
    """
    if is_served(model) or _checked.get(model):
        return
    from hooks import compat

    compat.install()
    gap, scale = _cache_gap(model)
    if gap > _tolerance(model) * (1.0 + scale):
        raise KVCacheError(
            f"KV-cached decoding on this model differs from recomputation by {gap:.3g} in the logits "
            f"(largest logit {scale:.3g}); cached generation would give wrong tokens. "
            f"Versions: {_versions()}. Install the tested versions with `make install` (the lock "
            "file), or pass use_cache=False to decode without the cache."
        )
    _checked[model] = True


@torch.no_grad()
def _cache_gap(model) -> tuple[float, float]:
    device = next(model.parameters()).device
    vocab = model.cfg.d_vocab
    tokens = (torch.arange(PREFIX + STEPS, device=device) * 7919 + 11) % vocab
    tokens = tokens[None]  # [1, PREFIX + STEPS]
    with _hooks_set_aside(model):
        full = model(tokens)[:, -1].float()
        logits, cache = model(tokens[:, :PREFIX], return_type="logits_and_cache")
        if cache is None:
            raise KVCacheError(
                f"{getattr(model.cfg, 'model_name', 'this model')} returns no KV cache "
                "(e.g. a TransformerLens boot_native model); pass use_cache=False"
            )
        for t in range(PREFIX, PREFIX + STEPS):
            logits, cache = model(tokens[:, t : t + 1], past_key_values=cache, return_type="logits_and_cache")
    cached = logits[:, -1].float()
    return float((cached - full).abs().max()), float(full.abs().max())


def _tolerance(model) -> float:
    dtype = next(model.parameters()).dtype
    return 1e-3 if dtype in (torch.float32, torch.float64) else 5e-2


@contextlib.contextmanager
def _hooks_set_aside(model):
    saved = []
    for module in model.modules():
        if module._forward_hooks or module._forward_pre_hooks:
            saved.append((module, dict(module._forward_hooks), dict(module._forward_pre_hooks)))
            module._forward_hooks.clear()
            module._forward_pre_hooks.clear()
    try:
        yield
    finally:
        for module, forward, pre in saved:
            module._forward_hooks.update(forward)
            module._forward_pre_hooks.update(pre)


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("transformers", "transformer-lens", "torch"))
