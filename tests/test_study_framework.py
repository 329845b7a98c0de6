"""Steps record a step that cannot compute and save after each; reports render from blocks."""

from __future__ import annotations

import json

import pytest

from probes.report import Heading, Image, Paragraph, Table, ci, to_html, to_markdown
from probes.study import Result, Skip, Steps


class Toy(Result):
    name = "toy"


def test_a_skipped_step_is_recorded_and_the_study_goes_on(tmp_path):
    result = Toy(model="m")
    steps = Steps(result, tmp_path, total=3)

    def too_few():
        raise Skip("needs 5 items per letter, got 2")

    assert steps.run("first", lambda: {"x": 1}) == {"x": 1}
    assert steps.run("second", too_few) is None
    assert steps.run("third", lambda: {"y": [1.0, float("nan")]})["y"][0] == 1.0
    steps.finish()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["skipped"] == {"second": "needs 5 items per letter, got 2"}
    assert saved["metrics"] == {"first": {"x": 1}, "third": {"y": [1.0, None]}}  # NaN -> null
    assert "total" in saved["seconds"]


def test_a_crash_keeps_the_finished_steps_on_disk(tmp_path):
    result = Toy(model="m")
    steps = Steps(result, tmp_path)
    steps.run("first", lambda: {"x": 1})

    def bug():
        raise RuntimeError("a bug, not a data problem")

    with pytest.raises(RuntimeError):
        steps.run("second", bug)  # only Skip / ValueError are recorded; a bug still stops the run
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["metrics"] == {"first": {"x": 1}} and "total" not in saved["seconds"]


def test_value_errors_are_recorded_with_their_type(tmp_path):
    result = Toy(model="m")

    def check():
        raise ValueError("need two or more answer letters with >= 5 items each")

    Steps(result).run("internal", check)
    assert result.skipped["internal"].startswith("ValueError: need two")


def test_markdown_and_html_say_the_same(tmp_path):
    from PIL import Image as PILImage

    png = tmp_path / "plot.png"
    PILImage.new("RGB", (4, 4)).save(png)
    blocks = [
        Heading("Title", 2),
        Paragraph("Model `m`."),
        Table(["a", "b"], [[1, 0.12345], ["x", None]]),
        Image(png, "a plot"),
    ]
    md = to_markdown(blocks, tmp_path)
    assert "## Title" in md and "| 1 | 0.123 |" in md and "| x | - |" in md and "![a plot](plot.png)" in md
    page = to_html(blocks, "report")
    assert "<code>m</code>" in page and "data:image/png;base64," in page and "<td>0.123</td>" in page


def test_ci_formats_undefined_values():
    assert ci({"mean": None, "ci": [None, None], "n": 0}) == "-"
    assert ci({"mean": 0.25, "ci": [0.1, 0.4], "n": 12}) == "0.25 [0.10, 0.40] (n=12)"
