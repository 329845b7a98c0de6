"""Reports as a list of blocks (heading, paragraph, table, image), rendered as markdown or as one
self-contained HTML page (images embedded), so both say the same thing.

Example:
    >>> blocks = [Heading("Truth", 2), Table(["layer", "accuracy"], [[15, "0.91"]])]
    >>> to_markdown(blocks)
    >>> to_html(blocks, title="probes report")
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Image:
    path: Path  # a PNG written by a study's draw()
    caption: str


Block = Heading | Paragraph | Table | Image


def fmt(value, digits: int = 3) -> str:
    """A number for a table: ``-`` when missing."""
    if value is None:
        return "-"
    if isinstance(value, int):  # bool included
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ci(stat: dict | None, digits: int = 2) -> str:
    """``0.25 [0.10, 0.40] (n=12)`` for a ``{"mean", "ci", "n"}`` dict; ``-`` when undefined."""
    if not stat or stat.get("mean") is None:
        return "-"
    low, high = stat.get("ci") or (None, None)
    interval = f" [{low:.{digits}f}, {high:.{digits}f}]" if low is not None and high is not None else ""
    n = f" (n={stat['n']})" if "n" in stat else ""
    return f"{stat['mean']:.{digits}f}{interval}{n}"


def with_interval(value, interval, digits: int = 3) -> str:
    """``0.913 [0.88, 0.94]``."""
    if value is None:
        return "-"
    if not interval or None in interval:
        return fmt(value, digits)
    return f"{value:.{digits}f} [{interval[0]:.2f}, {interval[1]:.2f}]"


def to_markdown(blocks: list[Block], folder: str | Path | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Image):
            where = Path(block.path)
            if folder is not None:
                where = Path(os.path.relpath(where, folder))
            lines += [f"![{block.caption}]({where.as_posix()})", ""]
    return "\n".join(lines)


def to_html(blocks: list[Block], title: str) -> str:
    """One HTML page; images are embedded as base64 so the file stands alone."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(fmt(cell))}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Image):
            path = Path(block.path)
            if path.is_file():
                data = base64.b64encode(path.read_bytes()).decode()
                body.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(block.caption)}">'
                    f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
                )
            else:
                body.append(f"<p><em>missing plot: {html.escape(str(path))}</em></p>")
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    """Escape, then render `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
    "img{max-width:100%}figure{margin:1em 0}figcaption{color:#555;font-size:0.9em}"
    "code{background:#f5f5f5;padding:0 3px}"
)
