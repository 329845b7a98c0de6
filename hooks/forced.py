"""Forced answers after every truncation of a chain of thought, sharing the prefix work.

Early answering (Lanham et al. 2023) shows the model the first k sentences of its reasoning, appends
an answer cue such as "\\nThe answer is (" and reads the next-token distribution over the answer
letters. Done naively that is one forward pass per truncation over the whole prefix.
:func:`forced_answers` instead runs each full context once, keeps its KV cache, and for every cut
runs only the few cue tokens against the cached keys, masking out the cached positions past the
cut (explicit position ids keep the cue where it would be alone). :func:`forced_answers_naive`
computes the same numbers the naive way, for tests and for the cost comparison in
``benchmarks/faithfulness.py``.

Contexts are token-id lists (prompt + CoT) and cuts are token counts, so both versions see exactly
the same tokens: truncation k is ``context[:cut_k] + cue``. :func:`cot_context` builds them from a
prompt, a CoT text and sentence ends. Besides the letter log-probabilities (normalized over the whole
vocabulary), the same passes return, on request,

- ``states``: the residual stream (``hook_resid_post``) at every layer at the last token before each
  cut, the input of an answer probe read along the reasoning (cut 0 is the last prompt token, before
  any reasoning);
- ``lens``: the logit lens at the cue's last token, i.e. every layer's residual stream through the
  final norm and the letters' unembedding columns, log-softmax over the letters: the internal answer
  layer by layer.

Example:
    >>> ids, cuts = cot_context(model, prompt, cot, sentence_ends=[12, 40, len(cot)])
    >>> out = forced_answers(model, [ids], [cuts], cue="\\nThe answer is (", letters="ABCD")
    >>> out.answers()          # the forced answer after 0, 1, 2 and 3 sentences
    [['B', 'B', 'C', 'C']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from tqdm.auto import tqdm
from transformers import DynamicCache

from hooks.kv_check import require_kv_cache
from hooks.names import hook_name
from hooks.prefill import MIN_SHARED, layout, prefix_cache
from hooks.tokens import encode, left_pad, pad_id_of
from hooks.vllm_engine import is_served


@dataclass
class ForcedAnswers:
    """Per item, per cut: letter log-probabilities, and optionally states and logit-lens read-outs."""

    letters: str
    logprobs: list[Tensor]  # per item [cut, letter]
    states: list[Tensor] | None = None  # per item [cut, layer, d_model]
    lens: list[Tensor] | None = None  # per item [cut, layer, letter]

    def answers(self) -> list[list[str]]:
        """The most likely letter after each cut, per item."""
        return [[self.letters[int(j)] for j in lp.argmax(-1)] for lp in self.logprobs]


def letter_ids(tokenizer, letters: str) -> list[int]:
    """One token id per answer letter (as it follows "("); refuses letters that take two tokens."""
    ids = []
    for letter in letters:
        tokens = tokenizer(letter, add_special_tokens=False)["input_ids"]
        if len(tokens) != 1:
            raise ValueError(f"letter {letter!r} is {len(tokens)} tokens for this tokenizer; need exactly 1")
        ids.append(tokens[0])
    return ids


def cot_context(model, prompt: str, cot: str, sentence_ends: Sequence[int]) -> tuple[list[int], list[int]]:
    """Token ids of ``prompt + cot`` and the cuts: 0 sentences shown, then after each sentence.

    `sentence_ends` are character offsets into `cot` (trailing whitespace is not counted). A cut keeps
    the tokens that end at or before the offset, so a token straddling a sentence end is cut away.
    """
    encoded = encode(model.tokenizer, [prompt + cot])
    ids, offsets = encoded.ids[0], encoded.offsets[0]
    ends = [len(prompt)] + [len(prompt) + len(cot[:e].rstrip()) for e in sentence_ends]
    cuts = [sum(1 for _, end in offsets if end <= limit) for limit in ends]
    if cuts[0] < 1:
        raise ValueError("the prompt tokenizes to nothing; a forced answer needs a prompt")
    return ids, cuts


def forced_answers(
    model,
    contexts: Sequence[Sequence[int]],
    cuts: Sequence[Sequence[int]],
    *,
    cue: str = "\nThe answer is (",
    letters: str = "ABCD",
    layers: Sequence[int] | None = None,
    lens: bool = False,
    batch_size: int = 8,
    rows_per_pass: int = 32,
    share_prefix: bool = True,
    progress: bool | str = True,
) -> ForcedAnswers:
    """Forced answers after every cut, one pass per context plus one short cue pass per chunk of cuts.

    `layers` asks for the residual stream at the token before each cut (``states``); `lens` asks for
    the logit lens at every layer at the cue's last token. With `share_prefix`, tokens every context
    of a batch starts with (up to the earliest cut) are computed once (:mod:`hooks.prefill`).
    """
    cue_ids, targets = _check(model, contexts, cuts, cue, letters)
    if is_served(model):
        return _forced_served(model, contexts, cuts, cue_ids, targets, letters, layers, lens)
    require_kv_cache(model)
    device = next(model.parameters()).device
    n_layers = model.cfg.n_layers
    out = _Collect(len(contexts), layers, lens)
    order = sorted(range(len(contexts)), key=lambda i: len(contexts[i]))
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    for batch in tqdm(
        batches,
        desc=progress if isinstance(progress, str) else "forced answers (shared)",
        disable=not progress,
        leave=False,
    ):
        first_read = min(min(cuts[i]) for i in batch) - 1
        lay = layout(
            model,
            [contexts[i] for i in batch],
            min_shared=MIN_SHARED if share_prefix else None,
            keep_after=first_read,
        )
        want = [(r, lay.suffix_column(r, c - 1)) for r, i in enumerate(batch) for c in cuts[i]]
        past = prefix_cache(model, lay)
        with torch.no_grad(), _capture(model, layers, [w[0] for w in want], [w[1] for w in want]) as states:
            _, cache = model(
                lay.tokens,
                attention_mask=lay.mask,
                position_ids=lay.positions,
                past_key_values=past,
                return_type="logits_and_cache",
                logits_to_keep=1,
            )
        if layers is not None:
            _store(out.states, batch, cuts, torch.stack(states, 1).float().cpu())
        rows = [(r, c) for r, i in enumerate(batch) for c in cuts[i]]
        results = []
        for s in range(0, len(rows), rows_per_pass):
            chunk = rows[s : s + rows_per_pass]
            index = torch.tensor([r for r, _ in chunk], device=device)
            sub = DynamicCache()
            for layer, kv in enumerate(cache.layers):
                sub.update(kv.keys.index_select(0, index), kv.values.index_select(0, index), layer)
            attend = lay.mask.index_select(0, index).clone()
            for row, (r, c) in enumerate(chunk):
                attend[row, lay.column(r, c) :] = 0
            attend = torch.cat(
                [attend, torch.ones(len(chunk), len(cue_ids), dtype=attend.dtype, device=device)], 1
            )
            cue_positions = torch.tensor([c for _, c in chunk], device=device)[:, None] + torch.arange(
                len(cue_ids), device=device
            )
            cue_tokens = torch.tensor([cue_ids] * len(chunk), device=device)
            results.append(_read(model, cue_tokens, attend, cue_positions, targets, lens, n_layers, past=sub))
        logprobs = torch.cat([r[0] for r in results])
        _store(out.logprobs, batch, cuts, logprobs)
        if lens:
            _store(out.lens, batch, cuts, torch.cat([r[1] for r in results]))
    return out.done(letters)


def _forced_served(model, contexts, cuts, cue_ids, targets, letters, layers, lens) -> ForcedAnswers:
    """:func:`forced_answers` on a vLLM engine: each letter's log-probability after each cut + cue,
    read from the engine's prompt log-probabilities (its prefix cache shares the common tokens)."""
    sequences = [
        list(ids[:c]) + cue_ids + [t] for ids, cs in zip(contexts, cuts) for c in cs for t in targets
    ]
    read = torch.tensor([lp[-1] for lp in model.prompt_logprobs(sequences)]).reshape(-1, len(targets))
    logprobs = list(read.split([len(cs) for cs in cuts]))
    states = None
    if layers is not None:
        found = model.residuals(contexts, list(layers))  # per context [layer, seq, d_model]
        states = [act[:, [c - 1 for c in cs]].transpose(0, 1) for act, cs in zip(found, cuts)]
    lensed = None
    if lens:  # the cue's last token, where the letter is read
        ends = [list(ids[:c]) + cue_ids for ids, cs in zip(contexts, cuts) for c in cs]
        read = model.logit_lens(model.last_residuals(ends), targets)
        lensed = list(read.split([len(cs) for cs in cuts]))
    return ForcedAnswers(letters, logprobs, states, lensed)


def forced_answers_naive(
    model,
    contexts: Sequence[Sequence[int]],
    cuts: Sequence[Sequence[int]],
    *,
    cue: str = "\nThe answer is (",
    letters: str = "ABCD",
    layers: Sequence[int] | None = None,
    lens: bool = False,
    batch_size: int = 8,
    progress: bool | str = True,
) -> ForcedAnswers:
    """The same numbers as :func:`forced_answers`, by a full forward pass per truncation."""
    cue_ids, targets = _check(model, contexts, cuts, cue, letters)
    device = next(model.parameters()).device
    out = _Collect(len(contexts), layers, lens)
    rows = [(i, c) for i in range(len(contexts)) for c in cuts[i]]
    sequences = [list(contexts[i][:c]) + cue_ids for i, c in rows]
    order = sorted(range(len(rows)), key=lambda j: len(sequences[j]))
    values: dict[int, tuple] = {}
    for s in tqdm(
        range(0, len(order), batch_size),
        desc=progress if isinstance(progress, str) else "forced answers (naive)",
        disable=not progress,
    ):
        batch = order[s : s + batch_size]
        tokens, mask = left_pad([sequences[j] for j in batch], pad_id_of(model.tokenizer), device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        before_cue = tokens.shape[1] - len(cue_ids) - 1
        with _capture(model, layers, list(range(len(batch))), [before_cue] * len(batch)) as states:
            logprobs, lensed = _read(model, tokens, mask, positions, targets, lens, model.cfg.n_layers)
        for row, j in enumerate(batch):
            state = torch.stack([s[row] for s in states]).float().cpu() if layers is not None else None
            values[j] = (logprobs[row], lensed[row] if lens else None, state)
    start = 0
    for i in range(len(contexts)):
        picked = [values[j] for j in range(start, start + len(cuts[i]))]
        start += len(cuts[i])
        out.logprobs[i] = torch.stack([p[0] for p in picked])
        if lens:
            out.lens[i] = torch.stack([p[1] for p in picked])
        if layers is not None:
            out.states[i] = torch.stack([p[2] for p in picked])
    return out.done(letters)


@torch.no_grad()
def _read(model, tokens, mask, positions, targets, lens, n_layers, past=None):
    """Letter log-probs at the last position, and the logit lens there if asked."""
    hooks, kept = [], {}
    if lens:
        for layer in range(n_layers):
            hooks.append((hook_name(layer), _keeper(kept, layer)))
    with model.hooks(fwd_hooks=hooks):
        logits = model(
            tokens, attention_mask=mask, position_ids=positions, past_key_values=past, logits_to_keep=1
        )
    logprobs = logits[:, -1].float().log_softmax(-1)[:, targets].cpu()
    if not lens:
        return logprobs, None
    resid = torch.stack([kept[layer] for layer in range(n_layers)], 1)  # [rows, layer, d_model]
    unembed = model.W_U[:, targets], model.b_U[targets]
    lensed = (model.ln_final(resid) @ unembed[0] + unembed[1]).float().log_softmax(-1).cpu()
    return logprobs, lensed


def _keeper(kept: dict, layer: int):
    def keep(act: Tensor, hook) -> None:
        kept[layer] = act[:, -1].detach()

    return keep


class _capture:
    """Keep ``hook_resid_post`` at (rows[m], cols[m]) for each requested layer during one pass."""

    def __init__(self, model, layers, rows, cols):
        self.model, self.layers, self.rows, self.cols = model, layers, rows, cols
        self.states: list = []

    def __enter__(self) -> list:
        hooks = []
        if self.layers is not None:
            rows, cols = torch.tensor(self.rows), torch.tensor(self.cols)
            self.states.extend([None] * len(self.layers))
            for k, layer in enumerate(self.layers):
                hooks.append((hook_name(layer), self._keep(k, rows, cols)))
        self._scope = self.model.hooks(fwd_hooks=hooks)
        self._scope.__enter__()
        return self.states

    def _keep(self, k, rows, cols):
        def keep(act: Tensor, hook) -> None:
            if act.shape[1] > int(cols.max()):  # the long pass, not a cue pass
                self.states[k] = act[rows.to(act.device), cols.to(act.device)].detach()

        return keep

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)


def _check(model, contexts, cuts, cue, letters):
    if not contexts or len(contexts) != len(cuts):
        raise ValueError(
            f"need one cut list per context, got {len(contexts)} contexts and {len(cuts)} cut lists"
        )
    for i, (ids, cs) in enumerate(zip(contexts, cuts)):
        if not cs:
            raise ValueError(f"context {i} has no cuts")
        if any(c < 1 or c > len(ids) for c in cs):
            raise ValueError(f"context {i}: cuts must be in 1..{len(ids)} tokens, got {list(cs)}")
    cue_ids = model.tokenizer(cue, add_special_tokens=False)["input_ids"]
    if not cue_ids:
        raise ValueError("the answer cue tokenizes to nothing")
    longest = max(len(ids) for ids in contexts) + len(cue_ids)
    if longest > model.cfg.n_ctx:
        raise ValueError(f"a context plus the cue is {longest} tokens > n_ctx={model.cfg.n_ctx}")
    return cue_ids, letter_ids(model.tokenizer, letters)


class _Collect:
    """Per-item results filled batch by batch, frozen into a :class:`ForcedAnswers` at the end."""

    def __init__(self, n: int, layers, lens: bool):
        self.logprobs: list = [None] * n
        self.states = [None] * n if layers is not None else None
        self.lens = [None] * n if lens else None

    def done(self, letters: str) -> ForcedAnswers:
        return ForcedAnswers(letters, self.logprobs, self.states, self.lens)


def _store(target: list, batch: Sequence[int], cuts, flat: Tensor) -> None:
    start = 0
    for i in batch:
        target[i] = flat[start : start + len(cuts[i])]
        start += len(cuts[i])
