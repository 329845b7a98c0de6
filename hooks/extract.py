"""Batched, early-stopping extraction of activations at chosen layers and token positions.

Example:
    >>> from hooks import extract_activations
    >>> acts = extract_activations(model, ["The sky is blue.", "Grass is red."], layers=range(12))
    >>> acts.shape            # [2, 12, d_model], float32 on the CPU
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import no_type_check

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor
from tqdm.auto import tqdm

from hooks.capture import capture_batch
from hooks.names import hook_names_for, resolve_layers
from hooks.positions import Position, TokenRanges, check_position, resolve_positions
from hooks.spans import SpanActivations
from hooks.store import ActivationStore, fingerprint, requested_layers
from hooks.tokens import Encoded, encode, left_pad, pad_id_of, prompt_kind
from hooks.vllm_engine import is_served, unsupported


@no_type_check  # every argument is checked below, so users meet the same errors with or without beartype
def extract_activations(
    model,
    prompts: Sequence[str] | Sequence[Sequence[int]],
    layers: int | Iterable[int] | None = None,
    *,
    site: str = "resid_post",
    position: Position = "last",
    batch_size: int = 16,
    out_dir: str | Path | None = None,
    shard_size: int = 1024,
    out_device: str | torch.device = "cpu",
    progress: bool | str = True,
) -> Float[Tensor, "n layer d_model"] | SpanActivations | ActivationStore:
    """Activations of `prompts` at `site` of each layer in `layers` (all layers if None).

    Prompts are strings (tokenized with the model's tokenizer) or lists of token ids. They run
    in batches of `batch_size`, grouped by length and left-padded with an attention mask; the
    forward pass stops after the deepest requested layer.

    `position` picks the tokens (see :mod:`hooks.positions`): ``"last"``, an int, or a
    :class:`~hooks.positions.Span`. Returns float32 ``[n_prompts, n_layers, d_model]`` on
    `out_device`, layers in the order given; a Span with ``reduce=None`` returns
    :class:`~hooks.spans.SpanActivations`.

    With `out_dir`, results stream to safetensors shards of `shard_size` prompts and an
    :class:`~hooks.store.ActivationStore` is returned; rerunning the same call resumes,
    skipping finished shards and recomputing any that fail their checksum (with a warning).
    Memory is then bounded by one shard, not by the prompt count.

    `progress`: show a progress bar (True), none (False), or one with this label (a string).

    Example:
        >>> acts = extract_activations(model, prompts, layers=[6, 12], position=-1, batch_size=32)
    """
    prompts = _prompt_list(prompts)
    batch_size, shard_size = _count(batch_size, "batch_size"), _count(shard_size, "shard_size")
    position = check_position(position)
    _check_device(out_device)
    layer_list = resolve_layers(requested_layers(layers), model.cfg.n_layers)
    if is_served(model) and site != "resid_post":
        raise unsupported(f"site {site!r} (the vLLM backend reads resid_post only)")
    names = hook_names_for(model, layer_list, site)
    run = _Run(model, prompts, names, layer_list, position, batch_size, out_device)
    chunks = range(0, len(prompts), shard_size)
    label = progress if isinstance(progress, str) else "extracting"
    bar = tqdm(total=len(prompts), desc=label, unit="prompt", disable=not progress)
    try:
        if out_dir is None:
            parts = [run.chunk(first, first + shard_size, bar) for first in chunks]
            return _concat(parts)
        key = fingerprint(model, prompts, layer_list, site, position)
        store = ActivationStore.open(out_dir, key, len(prompts), shard_size, layer_list, site)
        for shard, first in enumerate(chunks):
            problem = store.shard_problem(shard)
            if problem is None:
                bar.update(min(shard_size, len(prompts) - first))
                continue
            if store.shard_path(shard).exists():
                warnings.warn(f"{problem}; recomputing it", stacklevel=2)
            store.write_shard(shard, run.chunk(first, first + shard_size, bar))
        return store
    finally:
        bar.close()


def _prompt_list(prompts) -> list:
    """`prompts` as a list, refusing a lone prompt, an unordered collection or a non-sequence."""
    if isinstance(prompts, (str, bytes, bytearray)):
        raise TypeError(
            f"prompts must be a list of prompts, got a single {type(prompts).__name__} "
            f"{prompts!r:.40}; wrap it in a list: [prompt] (a string would be split into characters)"
        )
    if isinstance(prompts, (set, frozenset, dict)) or not isinstance(prompts, Iterable):
        raise TypeError(
            f"prompts must be an ordered list of strings or of token-id lists, got "
            f"{type(prompts).__name__}; pass a list so each output row matches its prompt"
        )
    prompts = list(prompts)
    if not prompts:
        raise ValueError("prompts is empty; pass at least one prompt")
    prompt_kind(prompts)
    return prompts


def _count(value, name: str) -> int:
    message = f"{name} must be a positive int, got {value!r} ({type(value).__name__}); e.g. {name}=16"
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(message)
    if value < 1:
        raise ValueError(message)
    return int(value)


def _check_device(out_device) -> None:
    try:
        torch.empty(0).to(out_device)
    except (RuntimeError, TypeError, AssertionError) as error:
        raise ValueError(
            f"out_device must be a usable torch device such as 'cpu' or 'cuda:0', got "
            f"{out_device!r} ({error})"
        ) from error


def _concat(parts: list) -> Tensor | SpanActivations:
    if isinstance(parts[0], SpanActivations):
        return SpanActivations.concat(parts)
    return torch.cat(parts)


class _Run:
    """One extraction request, computed a chunk of prompts at a time."""

    def __init__(self, model, prompts, names, layers, position, batch_size, out_device):
        self.model, self.prompts, self.names, self.position = model, prompts, names, position
        self.batch_size, self.out_device = batch_size, out_device
        self.stop_after, self.layers = names[int(np.argmax(layers))], layers
        self.device = torch.device("cpu") if is_served(model) else next(model.parameters()).device
        self.pad_id = pad_id_of(model.tokenizer)

    def chunk(self, first: int, stop: int, bar) -> Tensor | SpanActivations:
        """Activations of prompts ``first .. stop-1``, in prompt order."""
        texts = self.prompts[first:stop]
        encoded = encode(self.model.tokenizer, texts)
        self._check_tokens(encoded, first)
        ranges = resolve_positions(self.position, encoded, texts, first, len(self.prompts))
        order = np.argsort([-n for n in encoded.lengths], kind="stable")
        pieces: list[Tensor] = [None] * len(order)  # type: ignore[list-item]
        for b in range(0, len(order), self.batch_size):
            batch = order[b : b + self.batch_size]
            rows = self._batch(encoded, ranges.take(batch), batch)
            sizes = (ranges.end - ranges.start)[batch] if ranges.reduce is None else [1] * len(batch)
            for i, piece in zip(batch, torch.split(rows, list(map(int, sizes)))):
                pieces[i] = piece
            bar.update(len(batch))
        values = torch.cat(pieces)
        if ranges.reduce is not None:
            return values
        lengths = torch.as_tensor(ranges.end - ranges.start)
        token_ids = torch.cat(
            [torch.as_tensor(encoded.ids[i][s:e]) for i, (s, e) in enumerate(zip(ranges.start, ranges.end))]
        )
        return SpanActivations(values=values, lengths=lengths, token_ids=token_ids)

    def _batch(self, encoded: Encoded, ranges: TokenRanges, batch: np.ndarray) -> Tensor:
        ids = [encoded.ids[i] for i in batch]
        tokens, mask = left_pad(ids, self.pad_id, self.device)
        shift = tokens.shape[1] - np.asarray([len(row) for row in ids])
        start = torch.as_tensor(ranges.start + shift, device=self.device)
        end = torch.as_tensor(ranges.end + shift, device=self.device)
        if is_served(self.model):
            per_layer = self.model.capture(ids, self.layers, start, end, ranges.reduce)
        else:
            per_layer = capture_batch(
                self.model, tokens, mask, self.names, start, end, ranges.reduce, self.stop_after
            )
        return torch.stack(per_layer, dim=1).to(self.out_device)

    def _check_tokens(self, encoded: Encoded, first: int) -> None:
        n_ctx, d_vocab = self.model.cfg.n_ctx, self.model.cfg.d_vocab
        for i, ids in enumerate(encoded.ids):
            if not ids:
                raise ValueError(f"prompt {first + i} has no tokens; remove empty prompts")
            if n_ctx and len(ids) > n_ctx:
                raise ValueError(
                    f"prompt {first + i} has {len(ids)} tokens, more than the model's context of "
                    f"{n_ctx}; shorten or drop it"
                )
            bad = [t for t in ids if not 0 <= t < d_vocab]
            if bad:
                raise ValueError(
                    f"prompt {first + i} has token id {bad[0]}, outside the model's vocabulary of "
                    f"{d_vocab} ids (0..{d_vocab - 1}); were the ids made by another tokenizer?"
                )
