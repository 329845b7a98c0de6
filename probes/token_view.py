"""A per-token view of probe scores: each token coloured by its score, in a self-contained HTML page.

Red is a positive score (e.g. "deceptive"), blue a negative one; the colour's strength is
``|score| / vmax``, with `vmax` shared by all rows so answers can be compared. Hovering a token
shows its score.

Example:
    >>> rows = [{"title": "honest #3", "tokens": ["Yes", ",", " it"], "scores": [0.2, -1.3, 2.5]}]
    >>> save_token_view(rows, "results/deception/tokens.html")
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def token_html(tokens: Sequence[str], scores: Sequence[float], vmax: float) -> str:
    """One answer as a line of coloured ``<span>``s."""
    if len(tokens) != len(scores):
        raise ValueError(f"got {len(tokens)} tokens but {len(scores)} scores")
    spans = []
    for token, score in zip(tokens, scores):
        strength = min(abs(float(score)) / vmax, 1.0) if vmax > 0 else 0.0
        rgb = "220,50,47" if score > 0 else "38,139,210"
        text = html.escape(token).replace("\n", "&#8629;<br>")
        spans.append(
            f'<span title="{float(score):+.3f}" style="background: rgba({rgb},{strength:.2f})">{text}</span>'
        )
    return "".join(spans)


def save_token_view(
    rows: Sequence[dict], path: str | Path, *, title: str = "probe score per token", vmax: float | None = None
) -> Path:
    """Write an HTML page with one coloured line per row (``{"title", "tokens", "scores"}``)."""
    if not rows:
        raise ValueError("no rows to show")
    every = np.concatenate([np.abs(np.asarray(r["scores"], dtype=float)) for r in rows])
    if not np.isfinite(every).all():
        raise ValueError("scores contain NaN or inf")
    vmax = float(vmax if vmax is not None else (np.quantile(every, 0.98) if every.size else 1.0)) or 1.0
    body = "\n".join(
        f"<div class='row'><div class='label'>{html.escape(str(r.get('title', '')))}</div>"
        f"<div class='tokens'>{token_html(r['tokens'], r['scores'], vmax)}</div></div>"
        for r in rows
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} .row{{margin:0.8em 0}}
.label{{font-size:0.8em;color:#555}}
.tokens{{font-family:monospace;white-space:pre-wrap;line-height:1.6}}</style>
</head><body><h3>{html.escape(title)}</h3><p>red: positive score, blue: negative; full colour at |score| &ge;
{vmax:.2f}. Hover a token for its score.</p>
{body}
</body></html>"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
