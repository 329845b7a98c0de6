"""Biased-context records as JSONL: the round trip, and odd lines raised or skipped and counted."""

from __future__ import annotations

import dataclasses
import json

import pytest

from probes.datasets.base import DatasetError
from probes.faithfulness.biased_context import BiasRecord, bias_metrics
from probes.faithfulness.records import RECORD_KEYS, load_records, save_records


def _records() -> list[BiasRecord]:
    out = []
    for i in range(12):
        task, n = ("snarks", 2) if i % 2 else ("date_understanding", 6)
        follows = i % 3 != 0
        out.append(
            BiasRecord(
                f"r{i}",
                "A",
                "B",
                unbiased="A",
                biased="B" if follows else "A",
                unbiased_no_cot="A",
                biased_no_cot=None if i == 5 else "B",
                cot="You suggested (B)." if i == 4 else "Step 1.",
                n_options=n,
                task=task,
            )
        )
    return out


def test_the_keys_are_the_record_fields():
    assert {f.name for f in dataclasses.fields(BiasRecord)} == set(RECORD_KEYS)


def test_round_trip_gives_the_same_records_and_metrics(tmp_path):
    records = _records()
    path = save_records(records, tmp_path / "records.jsonl")
    again = load_records(path)
    assert list(again) == records
    assert again.info["n"] == 12 and len(again.info["sha256"]) == 64
    assert bias_metrics(again, n_boot=50) == bias_metrics(records, n_boot=50)


def test_odd_lines_raise_or_are_skipped_and_counted(tmp_path):
    good = [
        json.loads(line)
        for line in save_records(_records()[:2], tmp_path / "a.jsonl").read_text().splitlines()
    ]
    odd = [
        {**good[0], "id": "x1", "target": "NOT D"},  # a bias target that is not a letter
        {**good[0], "id": "x2", "biased": "C"},  # snarks-like two options: C is not one of them
        {**good[1], "id": "x3", "n_options": 9},
        {key: value for key, value in good[0].items() if key != "gold"} | {"id": "x4"},
        good[0],  # a repeated id
    ]
    good[0]["n_options"] = 2
    odd[1]["n_options"] = 2
    path = tmp_path / "odd.jsonl"
    path.write_text(
        "\n".join([json.dumps(good[0]), json.dumps(good[1]), "{not json", *map(json.dumps, odd)]) + "\n"
    )
    with pytest.raises(DatasetError, match="line 3 is not valid JSON"):
        load_records(path)
    path.write_text(json.dumps(good[0]) + "\n" + json.dumps(odd[0]) + "\n")
    with pytest.raises(DatasetError, match="line 2: target is not one of the options' letters 'NOT D'"):
        load_records(path)
    path.write_text(
        "\n".join([json.dumps(good[0]), json.dumps(good[1]), "{not json", *map(json.dumps, odd)]) + "\n"
    )
    loaded = load_records(path, on_error="skip")
    assert [r.id for r in loaded] == ["r0", "r1"]
    skipped = loaded.info["skipped"]
    assert skipped["count"] == 6 and loaded.info["n_read"] == 8
    assert skipped["reasons"] == {
        "not valid JSON": 1,
        "target is not one of the options' letters": 1,
        "an answer is not one of the options' letters or null": 1,
        "n_options is not an integer from 2 to 7": 1,
        "a key is missing": 1,
        "a repeated id": 1,
    }
