"""Batched text generation with a KV cache: greedy or sampled, steerable, parity-tested.

:func:`generate` continues many prompts at once. Prompts are sorted by length, left-padded with an
explicit attention mask and explicit position ids (so a padded row computes what it would alone),
and decoded token by token with the model's KV cache. A row stops at the end-of-sequence token (the
chat template's end of turn for instruct models) or after `max_new_tokens`; whether it stopped is
recorded, so truncated reasoning is visible rather than silently parsed. ``temperature=0`` is greedy;
otherwise tokens are sampled (optionally nucleus, `top_p`) from a generator seeded by `seed`, so a
sampled run is reproducible on one device.

Run it inside :func:`hooks.steer` to generate under steering: the prompt pass and every decoding
step go through the steering hooks (``positions="after_prompt"`` steers only the new tokens).

Example:
    >>> outs = generate(model, [chat_prompt(model, "What is 2 + 3?")], max_new_tokens=20)
    >>> outs[0].text, outs[0].stopped
    ('2 + 3 = 5.', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from jaxtyping import Float, Int
from torch import Tensor
from tqdm.auto import tqdm

from hooks.kv_check import require_kv_cache
from hooks.prefill import MIN_SHARED, layout, prefix_cache
from hooks.tokens import encode, left_pad, pad_id_of
from hooks.vllm_engine import is_served


@dataclass(frozen=True)
class Generation:
    """One continuation: its text (special tokens removed), token ids, and whether EOS ended it."""

    prompt: str
    text: str
    token_ids: tuple[int, ...]
    stopped: bool


@torch.no_grad()  # both paths: without it autograd keeps every step's KV cache alive until the call ends
def generate(
    model,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = 128,
    temperature: float | int = 0.0,
    top_p: float | int | None = None,
    seed: int = 0,
    batch_size: int = 16,
    eos_token_id: int | None = None,
    use_cache: bool = True,
    share_prefix: bool = True,
    progress: bool | str = True,
) -> list[Generation]:
    """Continue every prompt; returns one :class:`Generation` per prompt, in order.

    ``use_cache=False`` reruns the whole sequence at every step (same tokens, slower): for models
    without a KV cache, such as TransformerLens ``boot_native`` test models. With `share_prefix`,
    tokens that every prompt of a batch starts with (e.g. few-shot examples) are computed once
    (:mod:`hooks.prefill`).
    """
    if isinstance(prompts, str) or not prompts:
        raise ValueError("prompts must be a non-empty list of strings")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    tokenizer = model.tokenizer
    eos = tokenizer.eos_token_id if eos_token_id is None else eos_token_id
    ids = encode(tokenizer, list(prompts)).ids
    longest = max(len(row) for row in ids) + max_new_tokens
    if longest > model.cfg.n_ctx:
        raise ValueError(
            f"prompt plus {max_new_tokens} new tokens reaches {longest} > n_ctx={model.cfg.n_ctx}"
        )
    if is_served(model):
        return _generate_served(model, prompts, ids, max_new_tokens, temperature, top_p, seed, eos, progress)
    if use_cache:
        require_kv_cache(model)
    device = next(model.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    results: list[Generation | None] = [None] * len(ids)
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    for batch in tqdm(
        batches, desc=progress if isinstance(progress, str) else "generate", disable=not progress
    ):
        new, stopped = _generate_batch(
            model,
            [ids[i] for i in batch],
            max_new_tokens,
            temperature,
            top_p,
            eos,
            rng,
            device,
            use_cache,
            share_prefix,
        )
        for row, i in enumerate(batch):
            text = tokenizer.decode(new[row], skip_special_tokens=True)
            results[i] = Generation(prompts[i], text, tuple(new[row]), stopped[row])
    return results  # type: ignore[return-value]


def _generate_served(model, prompts, ids, max_new_tokens, temperature, top_p, seed, eos, progress):
    """:func:`generate` on a vLLM engine: it batches by itself; chunks only feed the progress bar."""
    results = []
    chunk = 256
    label = progress if isinstance(progress, str) else "generate"
    for first in tqdm(range(0, len(ids), chunk), desc=label, disable=not progress):
        done = model.complete(
            ids[first : first + chunk],
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed + first,
            eos_token_id=eos,
        )
        for i, (new, stopped) in enumerate(done, start=first):
            text = model.tokenizer.decode(new, skip_special_tokens=True)
            results.append(Generation(prompts[i], text, tuple(new), stopped))
    return results


def _generate_batch(model, ids, max_new_tokens, temperature, top_p, eos, rng, device, use_cache, share):
    if use_cache:
        lay = layout(model, ids, min_shared=MIN_SHARED if share else None)
        tokens, mask, positions = lay.tokens, lay.mask, lay.positions
        logits, cache = model(
            tokens,
            attention_mask=mask,
            position_ids=positions,
            past_key_values=prefix_cache(model, lay),
            return_type="logits_and_cache",
            logits_to_keep=1,
        )
    else:
        tokens, mask = left_pad(ids, pad_id_of(model.tokenizer), device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        logits = model(tokens, attention_mask=mask, position_ids=positions)
    batch = tokens.shape[0]
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    stopped = [False] * batch
    new: list[list[int]] = [[] for _ in range(batch)]
    next_position = positions[:, -1] + 1
    for step in range(max_new_tokens):
        token = _pick(logits[:, -1], temperature, top_p, rng)
        for row in range(batch):
            if done[row]:
                continue
            if int(token[row]) == eos:
                stopped[row] = True
            else:
                new[row].append(int(token[row]))
        done |= token == eos
        if bool(done.all()) or step == max_new_tokens - 1:
            break
        mask = torch.cat([mask, (~done).long()[:, None]], dim=1)
        if not use_cache:
            tokens = torch.cat([tokens, token[:, None]], dim=1)
            positions = torch.cat([positions, next_position[:, None]], dim=1)
            logits = model(tokens, attention_mask=mask, position_ids=positions)
            next_position = next_position + 1
            continue
        logits, cache = model(
            token[:, None],
            attention_mask=mask,
            position_ids=next_position[:, None],
            past_key_values=cache,
            return_type="logits_and_cache",
        )
        next_position = next_position + 1
    return new, stopped


def _pick(
    logits: Float[Tensor, "batch vocab"], temperature: float, top_p: float | None, rng: torch.Generator
) -> Int[Tensor, " batch"]:
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p is not None and top_p < 1:
        sorted_probs, index = probs.sort(dim=-1, descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < top_p  # always keeps the most likely token
        sorted_probs = sorted_probs * keep
        probs = torch.zeros_like(probs).scatter(-1, index, sorted_probs)
    return torch.multinomial(probs, 1, generator=rng).squeeze(-1)
