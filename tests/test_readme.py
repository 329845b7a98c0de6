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


def test_readme_numbers_are_the_ones_the_results_files_generate(tmp_path, monkeypatch):
    """Each generated section equals what `make readme` writes from the committed results files."""
    from probes.runner import update_readme

    monkeypatch.chdir(README.parent)  # the sections name the folders as `make readme` does
    copy = tmp_path / "README.md"
    copy.write_text(README.read_text())
    for section, folder in {
        "results": "demo",
        "published": "published",
        "organisms-study": "organisms",
        "twins-study": "twins",
    }.items():
        if Path("benchmarks/results", folder).is_dir():
            changed = update_readme(copy, Path("benchmarks/results", folder), section)
            assert not changed, f"the README's {section} section is stale: run `make readme`"
    assert copy.read_text() == README.read_text()


def test_update_readme_names_a_missing_section(tmp_path):
    from probes.runner import replace_section

    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- a:begin -->\nold\n<!-- a:end -->\n")
    assert replace_section(readme, "a", "new") and "\nnew\n" in readme.read_text()
    assert not replace_section(readme, "a", "new")
    with pytest.raises(ValueError, match="no <!-- b:begin --> ... <!-- b:end --> section"):
        replace_section(readme, "b", "x")
