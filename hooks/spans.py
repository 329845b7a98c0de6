"""Token-by-token activations of variable-length spans, stored flat with per-prompt lengths.

Example:
    >>> spans = extract_activations(model, prompts, [6], position=Span.after(prefixes, reduce=None))
    >>> spans[0].shape            # [n_tokens_of_prompt_0, 1, d_model]
    >>> spans.values.shape        # [total_tokens, 1, d_model], prompts one after another
    >>> spans.prompt_index        # [total_tokens]: which prompt each row belongs to
    >>> spans.mean().shape        # [n_prompts, 1, d_model]: each span averaged over its tokens
    >>> spans.per_prompt(spans.values[:, 0] @ direction, "max")   # [n_prompts]: one score each
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Literal, no_type_check

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor


@dataclass(frozen=True)
class SpanActivations:
    """Activations of every token of each prompt's span.

    `values` holds the tokens of prompt 0, then those of prompt 1, and so on; `lengths[i]` is
    the number of tokens of prompt i and `token_ids` the id of each row's token.
    """

    values: Float[Tensor, "total layer d_model"]
    lengths: Int[Tensor, " n"]
    token_ids: Int[Tensor, " total"]

    def __post_init__(self):
        total = int(self.lengths.sum())
        if self.values.shape[0] != total or self.token_ids.shape[0] != total:
            raise ValueError(
                f"values has {self.values.shape[0]} rows and token_ids {self.token_ids.shape[0]}, "
                f"but the lengths add up to {total}"
            )

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def offsets(self) -> Int[Tensor, " n_plus_1"]:
        """Row where each prompt's tokens start, with the total appended."""
        return torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(self.lengths, 0)])

    @property
    def prompt_index(self) -> Int[Tensor, " total"]:
        """For each row of `values`, the index of the prompt it came from."""
        return torch.repeat_interleave(torch.arange(len(self.lengths)), self.lengths)

    @no_type_check  # `i` is checked by hand
    def __getitem__(self, i: int) -> Float[Tensor, "tokens layer d_model"]:
        """The tokens of prompt `i` (negative counts from the end)."""
        if not isinstance(i, Integral) or isinstance(i, bool):
            raise TypeError(
                f"a prompt index must be an int, got {i!r} ({type(i).__name__}); "
                "for a boolean mask or several prompts, use .values with .prompt_index"
            )
        if not -len(self) <= i < len(self):
            raise IndexError(f"prompt index {i} out of range for {len(self)} prompts")
        offsets = self.offsets
        i = i % len(self)
        return self.values[offsets[i] : offsets[i + 1]]

    def mean(self) -> Float[Tensor, "n layer d_model"]:
        """Each prompt's tokens averaged: rows summed in token order, divided by the span's length."""
        sums = torch.zeros(
            len(self), *self.values.shape[1:], dtype=self.values.dtype, device=self.values.device
        )
        sums.index_add_(0, self.prompt_index.to(self.values.device), self.values)
        return sums / self.lengths.to(self.values.device).reshape(-1, *[1] * (self.values.ndim - 1))

    def per_prompt(self, values: Float[Tensor, " total"], how: Literal["mean", "max", "last"]) -> np.ndarray:
        """One number per prompt from one number per row (e.g. per-token probe scores): the mean,
        max or last of the prompt's rows; float64 array ``[n]``.

        Example:
            >>> spans.per_prompt(spans.values[:, 3] @ probe_direction, "mean")
        """
        if how not in ("mean", "max", "last"):
            raise ValueError(f"how must be 'mean', 'max' or 'last', got {how!r}")
        if values.shape[0] != self.values.shape[0]:
            raise ValueError(
                f"values has {values.shape[0]} rows but the spans hold {self.values.shape[0]} tokens; "
                "pass one value per token row (e.g. spans.values[:, layer] @ direction)"
            )
        out = []
        for start, end in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist()):
            s = values[start:end]
            out.append(float({"mean": s.mean(), "max": s.max(), "last": s[-1]}[how]))
        return np.asarray(out)

    @staticmethod
    def concat(parts: list[SpanActivations]) -> SpanActivations:
        return SpanActivations(
            values=torch.cat([p.values for p in parts]),
            lengths=torch.cat([p.lengths for p in parts]),
            token_ids=torch.cat([p.token_ids for p in parts]),
        )
