"""The per-token HTML view."""

from __future__ import annotations

import pytest

from probes.token_view import save_token_view, token_html


def test_colours_escape_and_scores(tmp_path):
    line = token_html(["<b>", " ok"], [2.0, -1.0], vmax=2.0)
    assert "&lt;b&gt;" in line and "<b>" not in line
    assert "rgba(220,50,47,1.00)" in line and "rgba(38,139,210,0.50)" in line
    assert 'title="+2.000"' in line and 'title="-1.000"' in line
    path = save_token_view([{"title": "a", "tokens": ["x", "y"], "scores": [0.5, -0.5]}], tmp_path / "v.html")
    text = path.read_text()
    assert text.count("<span") == 2 and "<div class='label'>a</div>" in text


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="2 tokens but 1"):
        token_html(["a", "b"], [1.0], vmax=1.0)
    with pytest.raises(ValueError, match="no rows"):
        save_token_view([], tmp_path / "v.html")
    with pytest.raises(ValueError, match="NaN"):
        save_token_view([{"tokens": ["a"], "scores": [float("nan")]}], tmp_path / "v.html")
