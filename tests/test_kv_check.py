"""The KV-cache compatibility shim and the once-per-model check that cached decoding is right."""

from __future__ import annotations

import pytest
import torch
from transformer_lens.model_bridge.generalized_components.attention import AttentionBridge

from hooks import compat, kv_check
from hooks.kv_check import KVCacheError, require_kv_cache


def test_shim_is_installed_once():
    assert getattr(AttentionBridge._update_kv_cache, compat._MARK, False)
    assert compat.install() is False


def test_model_without_cache_is_refused_with_the_fix(tiny):
    kv_check._checked.pop(tiny, None)
    with pytest.raises(KVCacheError, match="use_cache=False"):
        require_kv_cache(tiny)


@pytest.mark.integration
def test_cached_decoding_passes_on_smollm2(smol):
    kv_check._checked.pop(smol, None)
    require_kv_cache(smol)
    assert kv_check._checked[smol]


@pytest.mark.integration
def test_a_cache_that_is_never_written_is_refused(smol, monkeypatch):
    """The transformers 5.24 failure, simulated on any version: attention never updates the cache."""
    monkeypatch.setattr(AttentionBridge, "_update_kv_cache", lambda self, k, v, **kwargs: (k, v))
    kv_check._checked.pop(smol, None)
    with pytest.raises(KVCacheError, match="differs from recomputation"):
        require_kv_cache(smol)
    kv_check._checked.pop(smol, None)


@pytest.mark.integration
def test_check_sets_steering_hooks_aside(smol):
    """A hook that would make cached and full passes differ must not fail the check."""
    calls = []

    def shift(resid, hook):
        calls.append(resid.shape[1])
        return resid + torch.randn_like(resid)

    kv_check._checked.pop(smol, None)
    with smol.hooks(fwd_hooks=[("blocks.3.hook_resid_post", shift)]):
        require_kv_cache(smol)
    assert calls == []
