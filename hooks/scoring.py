"""Score answer options by their likelihood after a prompt: full answers and single letters alike.

``option_logprobs(model, prompts, options)`` returns, for prompt ``i`` and option ``j``, the
summed log-probability of the option's tokens following the prompt. A one-token option (a
letter "A", or " Paris") is read straight from the next-token distribution at the end of the
prompt, so the letter format and the full-answer format go through the same code. Prompts are
tokenized like :func:`hooks.extract_activations` (the tokenizer's BOS, none doubled); options
are tokenized on their own, without special tokens, and appended as token ids, so a prompt
ending in "(" followed by option "A" is exactly the tokens "(" and "A". Rows that share all
tokens but the option's last one share one forward pass, so k one-token options cost a single
pass per prompt.

Run it inside :func:`hooks.steer` to score under steering.

Example:
    >>> lp = option_logprobs(model, [chat_prompt(model, "Capital of France?", assistant_prefix="It is")],
    ...                      [[" Paris", " Lyon"]])
    >>> lp.softmax(-1)        # [1, 2] normalized probability of each option
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from jaxtyping import Float
from torch import Tensor
from tqdm.auto import tqdm

from hooks.capture import final_normalized
from hooks.tokens import encode, left_pad, pad_id_of
from hooks.vllm_engine import is_served


def option_ids(model, prompts: Sequence[str], options: Sequence[Sequence[str]]) -> list[list[list[int]]]:
    """Token ids of ``prompt + option`` for every prompt and option: ``[n][k][tokens]``."""
    if len(prompts) != len(options):
        raise ValueError(
            f"got {len(prompts)} prompts but {len(options)} option lists; give one list per prompt"
        )
    if not prompts:
        raise ValueError("no prompts given")
    for i, opts in enumerate(options):
        if isinstance(opts, str) or len(opts) < 2:
            raise ValueError(f"options[{i}] must be a list of at least two answer strings, got {opts!r}")
        if any(not isinstance(o, str) or not o for o in opts):
            raise ValueError(f"options[{i}] holds an empty or non-string answer: {opts!r}")
    prompt_ids = encode(model.tokenizer, list(prompts)).ids
    vocabulary = sorted({o for opts in options for o in opts})
    tokenized = model.tokenizer(vocabulary, add_special_tokens=False)["input_ids"]
    answer_ids = dict(zip(vocabulary, tokenized))
    for option, ids in answer_ids.items():
        if not ids:
            raise ValueError(f"option {option!r} tokenizes to no tokens")
    return [[ids + answer_ids[o] for o in opts] for ids, opts in zip(prompt_ids, options)]


def option_logprobs(
    model,
    prompts: Sequence[str],
    options: Sequence[Sequence[str]],
    *,
    batch_size: int = 16,
    progress: bool | str = True,
) -> Float[Tensor, "n k"]:
    """Summed log-probability of each option after its prompt, float32 on the CPU.

    All prompts must have the same number of options. ``logprobs.softmax(-1)`` is each option's
    probability normalized over the options, the quantity sycophancy metrics use.
    """
    widths = {len(opts) for opts in options}
    if len(widths) > 1:
        raise ValueError(f"every prompt needs the same number of options, got {sorted(widths)}")
    ids = option_ids(model, prompts, options)
    n_prompt = [len(p) for p in encode(model.tokenizer, list(prompts)).ids]
    # One forward row per distinct prefix (prompt + all option tokens but the last).
    rows: dict[tuple[int, ...], int] = {}
    wanted = []  # (row, first answer position in the row, answer token ids), per (i, j)
    for i, per_option in enumerate(ids):
        for full in per_option:
            key = tuple(full[:-1])
            rows.setdefault(key, len(rows))
            wanted.append((rows[key], n_prompt[i], full[n_prompt[i] :]))
    n_ctx = model.cfg.n_ctx
    keys = list(rows)
    too_long = [len(k) for k in keys if len(k) > n_ctx]
    if too_long:
        raise ValueError(f"{len(too_long)} prompt+option sequences exceed the model's n_ctx={n_ctx}")
    if is_served(model):
        return _served_scores(model, ids, n_prompt).reshape(len(prompts), len(options[0]))
    needs: list[list[int]] = [[] for _ in keys]  # indices into `wanted` served by each row
    for index, (row, _, _) in enumerate(wanted):
        needs[row].append(index)
    scores = torch.empty(len(wanted))
    order = sorted(range(len(keys)), key=lambda r: len(keys[r]))
    device = model.cfg.device
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    with torch.no_grad():
        for batch in tqdm(
            batches,
            desc=progress if isinstance(progress, str) else "scoring options",
            disable=not progress,
            leave=False,
        ):
            tokens, mask = left_pad([keys[r] for r in batch], pad_id_of(model.tokenizer), device)
            served, rows, cols, targets = [], [], [], []
            for row, r in enumerate(batch):
                pad = tokens.shape[1] - len(keys[r])
                for index in needs[r]:
                    _, start, answer = wanted[index]
                    served.append((index, len(answer)))
                    rows += [row] * len(answer)
                    cols += range(pad + start - 1, pad + start - 1 + len(answer))
                    targets += answer
            states = final_normalized(
                model, tokens, mask, torch.tensor(rows, device=device), torch.tensor(cols, device=device)
            )
            logprobs = model.unembed(states).float().log_softmax(-1)
            picked = logprobs[torch.arange(len(targets), device=device), torch.tensor(targets, device=device)]
            sums = picked.cpu().split([n for _, n in served])
            for (index, _), value in zip(served, sums):
                scores[index] = value.sum()
    return scores.reshape(len(prompts), len(options[0]))


def _served_scores(model, ids: list[list[list[int]]], n_prompt: list[int]) -> Float[Tensor, " n_times_k"]:
    """Option scores from a vLLM engine's prompt log-probabilities (it batches by itself)."""
    full = [seq for per_option in ids for seq in per_option]
    starts = [n_prompt[i] for i, per_option in enumerate(ids) for _ in per_option]
    logprobs = model.prompt_logprobs(full)  # entry t - 1 is log p(token t | tokens < t)
    return torch.tensor([sum(lp[start - 1 :]) for lp, start in zip(logprobs, starts)])
