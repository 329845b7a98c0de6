"""Contrastive directions from activations: the mean of act(A) - act(B), at several layers at once.

- :func:`mean_difference`: ``mean(pos) - mean(neg)`` of two activation sets (unpaired), or
  ``mean(pos - neg)`` of row-paired ones (``paired=True``);
- :func:`contrast_vector`: extract the last-token activations of paired prompts (token ids or
  text) and return their paired mean difference per layer;
- :func:`answer_contrast`: contrastive activation addition (CAA, Rimsky et al. 2024) on answer
  options: act(prompt + chosen option) - act(prompt + other option) at the option's last token.

Each returns ``[layer, d_model]``; :class:`probes.SteeringVector` wraps one row with its hook.

Example:
    >>> diff = answer_contrast(model, prompts, options, positive=suggested, negative=1 - suggested,
    ...                        layers=[8, 12])                     # [2, d_model]
    >>> vec = SteeringVector(diff[0], "blocks.8.hook_resid_post", model.cfg.model_name)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from hooks import extract_activations
from hooks.scoring import option_ids


def mean_difference(
    pos: Float[Tensor, "n_pos ..."], neg: Float[Tensor, "n_neg ..."], *, paired: bool = False
) -> Float[Tensor, ...]:
    """``pos.mean(0) - neg.mean(0)``; with `paired`, ``(pos - neg).mean(0)`` over matching rows.

    Example:
        >>> mean_difference(acts[wrong][:, layers], acts[plain][:, layers])   # [layer, d_model]
    """
    pos, neg = torch.as_tensor(pos), torch.as_tensor(neg)
    if pos.shape[1:] != neg.shape[1:]:
        raise ValueError(
            f"pos {tuple(pos.shape)} and neg {tuple(neg.shape)} must agree after the first (row) axis"
        )
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError(f"need at least one row on each side, got {len(pos)} and {len(neg)}")
    if paired:
        if pos.shape != neg.shape:
            raise ValueError(f"paired rows must match: pos {tuple(pos.shape)}, neg {tuple(neg.shape)}")
        return (pos - neg).mean(0)
    return pos.mean(0) - neg.mean(0)


def contrast_vector(
    model,
    positive: Sequence[str] | Sequence[Sequence[int]],
    negative: Sequence[str] | Sequence[Sequence[int]],
    layers,
    *,
    site: str = "resid_post",
    batch_size: int = 16,
    progress: bool | str = True,
) -> Float[Tensor, "layer d_model"]:
    """Mean over pairs of act(positive[i]) - act(negative[i]) at the last token, at each layer.

    The two sides are extracted in one interleaved run (positive 0, negative 0, positive 1, ...).

    Example:
        >>> contrast_vector(model, ["I agree."], ["I disagree."], layers=[6])    # [1, d_model]
    """
    if len(positive) != len(negative) or not len(positive):
        raise ValueError(
            f"need as many positive as negative prompts (at least one), got {len(positive)} and "
            f"{len(negative)}"
        )
    rows = [row for pair in zip(positive, negative) for row in pair]
    acts = extract_activations(
        model, rows, layers=layers, site=site, batch_size=batch_size, progress=progress
    )
    return mean_difference(acts[0::2], acts[1::2], paired=True)


def answer_contrast(
    model,
    prompts: Sequence[str],
    options: Sequence[Sequence[str]],
    positive,
    negative,
    layers,
    *,
    site: str = "resid_post",
    batch_size: int = 16,
    progress: bool | str = True,
) -> Float[Tensor, "layer d_model"]:
    """CAA on answers: mean of act(prompt + options[positive]) - act(prompt + options[negative]) at the
    option's last token; `positive` and `negative` are one option index per prompt.

    Example:
        >>> answer_contrast(model, choices.prompts(model), [it.options for it in choices],
        ...                 choices.suggested, 1 - choices.suggested, layers=[12])
    """
    pos, neg = np.asarray(positive).astype(int), np.asarray(negative).astype(int)
    if pos.shape != (len(prompts),) or neg.shape != (len(prompts),):
        raise ValueError(
            f"positive and negative need one option index per prompt ({len(prompts)}), got shapes "
            f"{pos.shape} and {neg.shape}"
        )
    ids = option_ids(model, prompts, options)
    for i, (p, q, per_option) in enumerate(zip(pos, neg, ids)):
        if not (0 <= p < len(per_option) and 0 <= q < len(per_option)) or p == q:
            raise ValueError(
                f"prompt {i}: positive {p} and negative {q} must be two different option indices "
                f"in 0..{len(per_option) - 1}"
            )
    return contrast_vector(
        model,
        [per_option[p] for p, per_option in zip(pos, ids)],
        [per_option[q] for q, per_option in zip(neg, ids)],
        layers,
        site=site,
        batch_size=batch_size,
        progress=progress,
    )
