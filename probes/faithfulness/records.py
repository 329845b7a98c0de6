"""Biased-context results as JSONL: one :class:`BiasRecord` per line, to save a run or re-score a
published one with :func:`~probes.faithfulness.biased_context.bias_metrics`.

Each line is an object with

- ``id`` (unique), ``task`` (records of one task are scored together; "" for one unnamed task),
  ``n_options`` (2 to 7), ``gold`` and ``target`` (the correct letter and the one the bias points
  to, within the first ``n_options`` of A-G);
- the answers, each a letter within the options or null (missing: left out of that pair's metrics
  and counted): ``unbiased`` and ``biased`` (with a chain of thought), ``unbiased_no_cot`` and
  ``biased_no_cot`` (without);
- ``cot``: the chain of thought written in the biased context ("" when there is none), read by the
  verbalization judge.

A line that breaks these rules raises a DatasetError naming it; with ``on_error="skip"`` it is left
out and counted in ``info["skipped"]`` (and logged), never dropped silently.

Example:
    >>> save_records(records, "bbh_suggested.jsonl")
    >>> again = load_records("bbh_suggested.jsonl")
    >>> bias_metrics(again)["task_mean"]["cot"]["bias_following"]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from hooks.atomic import write_atomically
from probes.constants import LETTERS
from probes.datasets.loaders import LoadedList, _existing, read_jsonl, report_skips, skip_or_raise
from probes.datasets.published import Skips, Unreadable
from probes.faithfulness.biased_context import BiasRecord

REQUIRED = ("id", "task", "n_options", "gold", "target")
ANSWERS = ("unbiased", "biased", "unbiased_no_cot", "biased_no_cot")
RECORD_KEYS = (*REQUIRED, *ANSWERS, "cot")
"""The keys of a record line, in the order :func:`save_records` writes them."""


def save_records(records: Sequence[BiasRecord], path) -> Path:
    """Write `records` as JSONL (atomically: a crash leaves the old file or none)."""
    if not records:
        raise ValueError("no records given")
    lines = [json.dumps({key: getattr(r, key) for key in RECORD_KEYS}) for r in records]
    return write_atomically(Path(path), lambda tmp: tmp.write_text("\n".join(lines) + "\n"))


def load_records(path, *, on_error: str = "raise") -> LoadedList:
    """The records of a JSONL file (see the module docstring) with ``info`` (source, sha256, counts)."""
    path = _existing(path, f"a JSONL file with keys {', '.join(RECORD_KEYS)}")
    skips = Skips(on_error, str(path))
    lines = read_jsonl(path, RECORD_KEYS, skips)
    records, seen = [], set()
    for where, item in lines:
        try:
            record = _record(item)
            if record.id in seen:
                raise Unreadable("a repeated id", record.id)
        except Unreadable as error:
            reason, detail = (*error.args, "")[:2]
            skip_or_raise(skips, where.rsplit(", ", 1)[-1], reason, f"{where}: {reason} {detail}".strip())
            continue
        seen.add(record.id)
        records.append(record)
    n_read = len(lines) + skips.reasons["not valid JSON"]
    if not records:
        raise skips.none_left(n_read, "record")
    info = {"source": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    info |= {"format": "bias records JSONL", "n_read": n_read, "n": len(records), **skips.info()}
    report_skips(info, "lines")
    return LoadedList(records, info)


def _record(item) -> BiasRecord:
    if not isinstance(item, dict):
        raise Unreadable("not a JSON object", type(item).__name__)
    missing = [key for key in REQUIRED if key not in item]
    if missing:
        raise Unreadable("a key is missing", ", ".join(missing))
    unknown = sorted(set(item) - set(RECORD_KEYS))
    if unknown:
        raise Unreadable("an unknown key", ", ".join(unknown))
    n = item["n_options"]
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= len(LETTERS):
        raise Unreadable(f"n_options is not an integer from 2 to {len(LETTERS)}", repr(n))
    options = LETTERS[:n]
    for key in ("gold", "target"):
        if item[key] not in tuple(options):
            raise Unreadable(
                f"{key} is not one of the options' letters", f"{item[key]!r} (options {options})"
            )
    for key in ANSWERS:
        if item.get(key) is not None and item[key] not in tuple(options):
            raise Unreadable("an answer is not one of the options' letters or null", f"{key}={item[key]!r}")
    if not isinstance(item.get("cot", ""), str) or not isinstance(item["id"], str):
        raise Unreadable("id and cot must be strings", f"id={item['id']!r}")
    values = {key: item.get(key) for key in RECORD_KEYS}
    values["cot"] = values["cot"] or ""
    values["task"] = str(values["task"])
    return BiasRecord(**values)
