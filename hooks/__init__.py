"""Running the model: the only code in this library that registers hooks or calls a forward pass.

Capture (extract, spans, streaming store), steering, batched generation with a shared-prefix
prefill, option scoring and forced answers. Nothing here imports :mod:`probes`.

Example:
    >>> from hooks import extract_activations, Span, steer
    >>> acts = extract_activations(model, prompts, layers=range(model.cfg.n_layers))
    >>> with steer(model, -4.0 * vec):
    ...     text = model.generate(prompt, max_new_tokens=40)

`import hooks` is instant; each name loads its module on first use. Loading any of them also
installs :mod:`hooks.compat` (the KV cache with transformers >= 5.24).
"""

import importlib

_WHERE = {
    "extract_activations": "hooks.extract",
    "forced_answers": "hooks.forced",
    "generate": "hooks.generation",
    "Generation": "hooks.generation",
    "option_logprobs": "hooks.scoring",
    "KVCacheError": "hooks.kv_check",
    "require_kv_cache": "hooks.kv_check",
    "SITES": "hooks.names",
    "hook_name": "hooks.names",
    "Position": "hooks.positions",
    "Span": "hooks.positions",
    "SpanActivations": "hooks.spans",
    "steer": "hooks.steering",
    "ActivationStore": "hooks.store",
    "VLLMModel": "hooks.vllm_engine",
    "BackendError": "hooks.vllm_engine",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        from hooks import compat

        compat.install()
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hooks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
