"""The README's tour runs as written: every ```python block of "A short tour", in order, in one
namespace, on the real default model (in a temporary folder, so its files land there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def tour_blocks() -> list[str]:
    text = README.read_text()
    start = text.index("## A short tour")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_the_tour_has_code():
    assert len(tour_blocks()) >= 4


@pytest.mark.integration
def test_the_tour_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(tour_blocks()):
        try:
            exec(compile(block, f"README tour block {i + 1}", "exec"), namespace)
        except Exception as error:  # name the block, so the README line is easy to find
            raise AssertionError(f"README tour block {i + 1} failed: {error!r}\n{block}") from error
