"""hooks.generation.generate: padding parity, greedy = argmax chain, seeded sampling, KV cache = no cache."""

from __future__ import annotations

import pytest
import torch

from hooks import steer
from hooks.generation import generate
from hooks.tokens import encode
from probes import SteeringVector
from probes.chat import chat_prompt

PROMPTS = ["abc", "hello there, how are you", "x"]


def greedy_by_hand(model, prompt, n):
    ids = encode(model.tokenizer, [prompt]).ids[0]
    out = []
    with torch.no_grad():
        for _ in range(n):
            token = int(model(torch.tensor([ids + out]))[0, -1].argmax())
            if token == model.tokenizer.eos_token_id:
                break
            out.append(token)
    return out


def test_greedy_batched_equals_one_prompt_at_a_time(tiny):
    outs = generate(tiny, PROMPTS, max_new_tokens=6, batch_size=3, use_cache=False, progress=False)
    for prompt, out in zip(PROMPTS, outs):
        assert out.prompt == prompt
        assert list(out.token_ids) == greedy_by_hand(tiny, prompt, 6)
        assert out.text == tiny.tokenizer.decode(list(out.token_ids), skip_special_tokens=True)
        assert not out.stopped and len(out.token_ids) == 6


def test_sampling_is_seeded_and_differs_from_greedy(tiny):
    kwargs = dict(max_new_tokens=12, temperature=1.5, use_cache=False, progress=False)
    first = generate(tiny, PROMPTS, seed=1, **kwargs)
    assert [o.token_ids for o in first] == [o.token_ids for o in generate(tiny, PROMPTS, seed=1, **kwargs)]
    assert [o.token_ids for o in first] != [o.token_ids for o in generate(tiny, PROMPTS, seed=2, **kwargs)]
    greedy = generate(tiny, PROMPTS, max_new_tokens=12, use_cache=False, progress=False)
    assert [o.token_ids for o in first] != [o.token_ids for o in greedy]


def test_top_p_near_zero_is_greedy(tiny):
    nucleus = generate(
        tiny, PROMPTS, max_new_tokens=6, temperature=1.0, top_p=1e-6, use_cache=False, progress=False
    )
    greedy = generate(tiny, PROMPTS, max_new_tokens=6, use_cache=False, progress=False)
    assert [o.token_ids for o in nucleus] == [o.token_ids for o in greedy]


def test_stops_at_eos(tiny):
    tokens = generate(tiny, ["abc"], max_new_tokens=8, use_cache=False, progress=False)[0].token_ids
    k = next(k for k in range(1, 8) if tokens[k] not in tokens[:k])  # a token that first appears at k
    out = generate(tiny, ["abc"], max_new_tokens=8, eos_token_id=tokens[k], use_cache=False, progress=False)[
        0
    ]
    assert out.stopped and out.token_ids == tokens[:k]


def test_steering_applies_to_generation(tiny):
    vector = SteeringVector(
        torch.randn(tiny.cfg.d_model) * 20, "blocks.1.hook_resid_post", tiny.cfg.model_name
    )
    plain = generate(tiny, PROMPTS, max_new_tokens=6, use_cache=False, progress=False)
    with steer(tiny, vector):
        steered = generate(tiny, PROMPTS, max_new_tokens=6, use_cache=False, progress=False)
    assert [o.token_ids for o in plain] != [o.token_ids for o in steered]


def test_generation_builds_no_autograd_graph(tiny):
    """Every forward pass of generate runs without autograd: a graph through the KV cache would keep each
    step's tensors alive until the call ends (peak memory growing with every new token)."""
    grad_enabled = []
    hook = tiny.register_forward_hook(lambda module, args, out: grad_enabled.append(torch.is_grad_enabled()))
    try:
        generate(tiny, PROMPTS, max_new_tokens=3, use_cache=False, progress=False)
    finally:
        hook.remove()
    assert grad_enabled and not any(grad_enabled)


def test_bad_input(tiny):
    with pytest.raises(ValueError, match="non-empty list"):
        generate(tiny, "abc")
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(tiny, ["abc"], max_new_tokens=0)
    with pytest.raises(ValueError, match="temperature"):
        generate(tiny, ["abc"], temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        generate(tiny, ["abc"], top_p=0)
    with pytest.raises(ValueError, match="n_ctx"):
        generate(tiny, ["abc"], max_new_tokens=tiny.cfg.n_ctx)


@pytest.mark.integration
def test_kv_cache_matches_recomputation_on_smollm2(smol):
    prompts = [
        chat_prompt(smol, "What is 12 + 7 - 5?", assistant_prefix="Let's think step by step."),
        chat_prompt(smol, "Name a colour."),
    ]
    cached = generate(smol, prompts, max_new_tokens=24, progress=False)
    fresh = generate(smol, prompts, max_new_tokens=24, use_cache=False, progress=False)
    alone = [generate(smol, [p], max_new_tokens=24, progress=False)[0] for p in prompts]
    assert [o.token_ids for o in cached] == [o.token_ids for o in fresh] == [o.token_ids for o in alone]
    assert any(o.stopped for o in cached)  # "Name a colour." ends well within 24 tokens
