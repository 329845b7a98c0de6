"""Steered open-ended answers, and what steering costs in generation time.

Both go through :func:`hooks.generation.generate` inside :func:`hooks.steer` (greedy). A model
without a working KV cache (e.g. a TransformerLens ``boot_native`` test model) decodes without it.

Example:
    >>> examples = steered_answers(model, items, settings, max_new_tokens=40)
    >>> cost = generation_cost(model, vector, new_tokens=48, repeats=5)
    >>> cost["ratio_steered_all"]
"""

from __future__ import annotations

import logging
import statistics
import time
from contextlib import nullcontext

import probes
from hooks import steer
from hooks.generation import generate
from hooks.kv_check import KVCacheError, require_kv_cache

log = logging.getLogger(__name__)

NEVER = -1
"""An end-of-sequence id no token has: generation runs to its full length (the speed check)."""

SPEED_PROMPT = "Tell me about the history of Paris."


def kv_cache_works(model) -> bool:
    """Whether cached decoding reproduces a full pass on `model` (else generate without the cache)."""
    try:
        require_kv_cache(model)
    except KVCacheError as error:
        log.warning("sycophancy: generating without the KV cache: %s", str(error).split(";")[0])
        return False
    return True


def generation_settings(families, letter: dict | None, search: dict | None, multipliers) -> list[tuple]:
    """``(label, vector or None, multiplier, mode)``: unsteered, the chosen letter CAA vector at the
    extreme multipliers, and the chosen full-answer intervention (those whose step ran)."""
    settings = [("unsteered", None, 0.0, "add")]
    if letter is not None:
        layer = letter["chosen_layer"]
        lo, hi = min(multipliers), max(multipliers)
        settings += [
            (f"caa_letter L{layer} x{lo:+g}", families["caa_letter"][layer], lo, "add"),
            (f"caa_letter L{layer} x{hi:+g}", families["caa_letter"][layer], hi, "add"),
        ]
    if search is not None:
        best = search["chosen"]
        settings.append(
            (
                f"{best['family']} L{best['layer']} {best['mode']} x{best['multiplier']:+g}",
                families[best["family"]][best["layer"]],
                best["multiplier"],
                best["mode"],
            )
        )
    return settings


def steered_answers(
    model, items, settings: list[tuple], *, max_new_tokens: int, batch_size: int = 16, progress=True
) -> list[dict]:
    """Each item's greedy answer under each setting: ``{"question", "true_answer", "answers"}``."""
    if len(items) == 0:
        raise ValueError("no items to answer; raise n or n_generations")
    prompts = [probes.chat_prompt(model, list(item.turns)) for item in items]
    use_cache = kv_cache_works(model)
    texts: dict[str, list[str]] = {}
    for label, vector, multiplier, mode in settings:
        context = steer(model, vector, multiplier, mode=mode) if vector is not None else nullcontext()
        with context:
            outs = generate(
                model,
                prompts,
                max_new_tokens=max_new_tokens,
                batch_size=batch_size,
                use_cache=use_cache,
                progress=progress and f"sycophancy: answers, {label}",
            )
        texts[label] = [out.text for out in outs]
    return [
        {
            "question": item.turns[0],
            "true_answer": item.options[item.correct].strip(),
            "answers": {label: answers[i] for label, answers in texts.items()},
        }
        for i, item in enumerate(items)
    ]


def generation_cost(model, vector, *, new_tokens: int, repeats: int) -> dict:
    """Steered vs unsteered greedy generation of the same length, interleaved repeats."""
    prompt = [probes.chat_prompt(model, SPEED_PROMPT)]
    use_cache = kv_cache_works(model)
    times: dict[str, list[float]] = {"unsteered": [], "steered_all": [], "steered_after_prompt": []}

    def run(label):
        start = time.perf_counter()
        if label == "unsteered":
            context = nullcontext()
        else:
            context = steer(model, vector, 1.0, positions="all" if label == "steered_all" else "after_prompt")
        with context:
            generate(
                model,
                prompt,
                max_new_tokens=new_tokens,
                eos_token_id=NEVER,
                use_cache=use_cache,
                progress=False,
            )
        times[label].append(time.perf_counter() - start)

    run("unsteered")  # warm-up
    times["unsteered"].clear()
    for _ in range(repeats):
        for label in times:
            run(label)
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "new_tokens": new_tokens,
        "repeats": repeats,
        "median_seconds": median,
        "ratio_steered_all": median["steered_all"] / median["unsteered"],
        "ratio_steered_after_prompt": median["steered_after_prompt"] / median["unsteered"],
        "kv_cache": use_cache,
    }
