"""Hook names for the activation sites this library reads and writes.

A *site* is one of the residual-stream points of a transformer block; a hook name is the
TransformerLens name of that site at one layer.

Example:
    >>> hook_name(12, "resid_post")
    'blocks.12.hook_resid_post'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SITES: tuple[str, ...] = ("resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out")
HOOK_PATTERN = re.compile(r"^blocks\.(\d+)\.hook_(\w+)$")
"""A block-level hook name: group 1 is the layer, group 2 the site."""


def hook_name(layer: int, site: str = "resid_post") -> str:
    """The TransformerLens hook name of `site` at `layer` (no check against a model)."""
    check_site(site)
    return f"blocks.{layer}.hook_{site}"


def check_site(site: str) -> None:
    if site not in SITES:
        raise ValueError(f"unknown site {site!r}; expected one of {', '.join(SITES)}")


def resolve_layers(layers: int | Iterable[int] | None, n_layers: int) -> list[int]:
    """Normalize a layer request to a list of non-negative layer indices, in the order given.

    `None` means every layer; negative indices count from the end, as in Python.
    """
    if layers is None:
        return list(range(n_layers))
    requested = [layers] if isinstance(layers, int) else list(layers)
    if not requested:
        raise ValueError("layers is empty; pass a layer index, an iterable of them, or None for all")
    resolved = []
    for layer in requested:
        if not isinstance(layer, int) or isinstance(layer, bool):
            raise TypeError(f"layer indices must be ints, got {layer!r} ({type(layer).__name__})")
        if not -n_layers <= layer < n_layers:
            raise ValueError(
                f"layer {layer} is out of range for a model with {n_layers} layers "
                f"(valid: 0..{n_layers - 1}, or -{n_layers}..-1 from the end)"
            )
        resolved.append(layer % n_layers)
    if len(set(resolved)) != len(resolved):
        seen = sorted({layer for layer in resolved if resolved.count(layer) > 1})
        raise ValueError(
            f"layers {requested} name layer(s) {seen} more than once (negative indices count from the end); "
            "give each layer once, e.g. sorted(set(layers))"
        )
    return resolved


def hook_names_for(model, layers: list[int], site: str) -> list[str]:
    """Hook names of `site` at `layers`, checked against the hooks `model` actually has."""
    check_site(site)
    names = [hook_name(layer, site) for layer in layers]
    missing = [name for name in names if name not in model.hook_dict]
    if missing:
        raise ValueError(
            f"the model has no hook {missing[0]!r}; site {site!r} may not exist for this "
            f"architecture (sites: {', '.join(SITES)})"
        )
    return names
