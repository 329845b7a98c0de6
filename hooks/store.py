"""Activations streamed to disk as safetensors shards, resumable after an interruption.

A store is a directory with ``manifest.json`` (what was extracted, from which prompts and
model, and a sha256 and row count for each finished shard) and one ``shard-NNNNN.safetensors``
per `shard_size` prompts, each written to a temporary file and renamed, then recorded in the
manifest. Reopening the directory with the same request skips finished shards whose checksum
still matches and recomputes the others; a different request (another model, weights, dtype,
prompts, layers, site or position) is refused. Reading checks every shard against its record.

Example:
    >>> store = extract_activations(model, prompts, layers=range(30), out_dir="acts/cities")
    >>> acts = store.load(layers=[12])        # [n_prompts, 1, d_model], read shard by shard
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import no_type_check

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from hooks.atomic import write_atomically
from hooks.positions import Position, Span
from hooks.spans import SpanActivations
from hooks.vllm_engine import is_served

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
_FIELDS = ("format_version", "key", "n_prompts", "shard_size", "n_shards", "layers", "site", "shards")


def fingerprint(model, prompts: list, layers: list[int], site: str, position: Position) -> dict:
    """What identifies an extraction: model (name, dtype, weights), sites, positions, prompts."""
    digest = hashlib.sha256()
    for prompt in prompts:
        digest.update(json.dumps(prompt if isinstance(prompt, str) else list(map(int, prompt))).encode())
        digest.update(b"\0")
    content = dataclasses.asdict(position) if isinstance(position, Span) else position
    return {
        "model": str(model.cfg.model_name),
        "d_model": int(model.cfg.d_model),
        "dtype": _dtypes(model),
        "weights_sha256": model.fingerprint() if is_served(model) else weights_fingerprint(model),
        "layers": layers,
        "site": site,
        "position": hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16],
        "prompts_sha256": digest.hexdigest(),
        "n_prompts": len(prompts),
    }


def _dtypes(model) -> str:
    if is_served(model):
        return str(model.cfg.dtype)
    return ",".join(sorted({str(p.dtype) for p in model.parameters()}))


def weights_fingerprint(model, sample: int = 1024) -> str:
    """sha256 of each parameter's name, dtype, shape and `sample` evenly spaced values.

    Cheap at any model size; it tells apart checkpoints, fine-tunes and edits of whole tensors,
    though not a change confined to values between the sampled ones.
    """
    digest = hashlib.sha256()
    with torch.no_grad():
        for name, param in model.named_parameters():
            flat = param.detach().reshape(-1)
            values = flat[:: max(1, flat.numel() // sample)][:sample].contiguous().cpu()
            digest.update(f"{name} {param.dtype} {tuple(param.shape)}\0".encode())
            digest.update(values.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def requested_layers(layers) -> list[int] | None:
    """An int, an ordered iterable of ints (numpy ints too) or None, as a list of ints (or None).

    Ranges and duplicates are left to the caller, who knows which layers exist.
    """
    if layers is None or (isinstance(layers, (int, np.integer)) and not isinstance(layers, bool)):
        return None if layers is None else [int(layers)]
    if isinstance(layers, (str, bytes, set, frozenset)) or not isinstance(layers, Iterable):
        raise TypeError(
            f"layers must be an int, an ordered list of ints or None (all layers), got {layers!r:.60} "
            f"({type(layers).__name__})"
        )
    requested = list(layers)
    for layer in requested:
        if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool):
            raise TypeError(f"layer indices must be ints, got {layer!r} ({type(layer).__name__})")
    return [int(layer) for layer in requested]


class ActivationStore:
    """A directory of activation shards; see the module docstring."""

    def __init__(self, root: Path, manifest: dict):
        self.root, self.manifest = root, manifest

    @classmethod
    def open(
        cls, root: str | Path, key: dict, n_prompts: int, shard_size: int, layers: list[int], site: str
    ) -> ActivationStore:
        """Open the store at `root` for request `key`, creating it if absent."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(
                f"out_dir {root} exists and is not a directory; pass a directory (created if absent)"
            )
        n_shards = -(-n_prompts // shard_size)
        wanted = {
            "format_version": FORMAT_VERSION,
            "key": key,
            "n_prompts": n_prompts,
            "shard_size": shard_size,
            "n_shards": n_shards,
            "layers": layers,
            "site": site,
            "shards": [None] * n_shards,  # per finished shard: sha256, prompts, rows
        }
        if (root / MANIFEST).exists():
            found = _read_manifest(root / MANIFEST)
            differences = _differences({**found, "shards": None}, {**wanted, "shards": None})
            if differences:
                raise ValueError(
                    f"{root} holds a different extraction ({'; '.join(differences)}); "
                    "use another out_dir or delete it"
                )
            return cls(root, found)
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, wanted)
        store._save_manifest()
        return store

    @classmethod
    @no_type_check  # `root` is checked by hand
    def load_dir(cls, root: str | Path) -> ActivationStore:
        """Open an existing store for reading."""
        path = Path(root) / MANIFEST
        if not path.exists():
            raise FileNotFoundError(f"{root} is not an activation store (no {MANIFEST})")
        return cls(Path(root), _read_manifest(path))

    def __len__(self) -> int:
        return self.manifest["n_prompts"]

    @property
    def layers(self) -> list[int]:
        return self.manifest["layers"]

    @property
    def complete(self) -> bool:
        """Every shard is written and matches its checksum (reads every shard)."""
        return all(self.has_shard(k) for k in range(self.manifest["n_shards"]))

    def shard_path(self, shard: int) -> Path:
        return self.root / f"shard-{shard:05d}.safetensors"

    def shard_prompts(self, shard: int) -> int:
        """How many prompts shard `shard` holds."""
        size = self.manifest["shard_size"]
        return min(size, self.manifest["n_prompts"] - shard * size)

    def has_shard(self, shard: int) -> bool:
        return self.shard_problem(shard) is None

    def shard_problem(self, shard: int) -> str | None:
        """Why shard `shard` cannot be used (missing, unrecorded, checksum mismatch), or None."""
        path, record = self.shard_path(shard), self.manifest["shards"][shard]
        if not path.exists():
            return f"{path} is missing"
        if record is None:
            return (
                f"{path} was not recorded as finished in {MANIFEST} (a run stopped before "
                "recording it, or the manifest was replaced)"
            )
        if _sha256(path) != record["sha256"]:
            return (
                f"{path} does not match the checksum recorded in {MANIFEST} (it was changed, "
                "truncated or replaced after it was written)"
            )
        return None

    def write_shard(self, shard: int, values: Tensor | SpanActivations) -> None:
        """Write shard `shard` atomically, then record its checksum and size in the manifest."""
        if len(values) != self.shard_prompts(shard):
            raise ValueError(
                f"shard {shard} must hold {self.shard_prompts(shard)} prompts, got {len(values)}; "
                "write each shard with exactly its own prompts"
            )
        if isinstance(values, SpanActivations):
            tensors = {"activations": values.values, "lengths": values.lengths, "token_ids": values.token_ids}
        else:
            tensors = {"activations": values}
        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        path = self.shard_path(shard)
        write_atomically(path, lambda tmp: save_file(tensors, str(tmp)))
        rows = int(tensors["activations"].shape[0])
        self.manifest["shards"][shard] = {"sha256": _sha256(path), "prompts": len(values), "rows": rows}
        self._save_manifest()

    @no_type_check  # `layers` is checked by hand
    def iter_shards(self, layers=None) -> Iterator[Tensor | SpanActivations]:
        """Each shard in order, optionally only some of the stored layers in the order given
        (read lazily); each shard is checked against its recorded checksum and size first."""
        columns = self._columns(layers)
        missing = [
            self.shard_path(k).name
            for k in range(self.manifest["n_shards"])
            if self.manifest["shards"][k] is None or not self.shard_path(k).exists()
        ]
        if missing:
            raise RuntimeError(
                f"{self.root} is incomplete (missing or unfinished: {', '.join(missing[:5])}); "
                "rerun the same extract_activations call to compute them"
            )
        for shard in range(self.manifest["n_shards"]):
            yield self._read_shard(shard, columns)

    @no_type_check  # `layers` is checked by hand
    def load(self, layers=None) -> Tensor | SpanActivations:
        """All prompts in one tensor ``[n, n_layers, d_model]`` (or SpanActivations).

        `layers`: stored layers to read, in the order wanted (an int for one, None for all)."""
        parts = list(self.iter_shards(layers))
        if isinstance(parts[0], SpanActivations):
            return SpanActivations.concat(parts)
        return torch.cat(parts)

    def _read_shard(self, shard: int, columns: list[int]) -> Tensor | SpanActivations:
        problem = self.shard_problem(shard)
        if problem is not None:
            raise ValueError(f"{problem}; rerun the same extract_activations call to recompute it")
        path, record = self.shard_path(shard), self.manifest["shards"][shard]
        with safe_open(str(path), framework="pt") as f:
            stored = f.get_slice("activations")
            rows = stored.get_shape()[0]
            low = min(columns)
            values = stored[:, low : max(columns) + 1][:, [c - low for c in columns]]
            spans = "lengths" in f.keys()
            lengths = f.get_tensor("lengths") if spans else None
            prompts = len(lengths) if spans else rows
            if rows != record["rows"] or prompts != self.shard_prompts(shard):
                raise ValueError(
                    f"{path} holds {prompts} prompts in {rows} rows, but the manifest expects "
                    f"{self.shard_prompts(shard)} prompts in {record['rows']} rows; delete it and "
                    "rerun the same extract_activations call"
                )
            return SpanActivations(values, lengths, f.get_tensor("token_ids")) if spans else values

    def _columns(self, layers) -> list[int]:
        requested = requested_layers(layers)
        if requested is None:
            return list(range(len(self.layers)))
        if not requested:
            raise ValueError(f"layers is empty; pass some of this store's layers {self.layers}, or None")
        if len(set(requested)) != len(requested):
            raise ValueError(f"layers contains duplicates: {requested}; ask for each layer once")
        missing = [layer for layer in requested if layer not in self.layers]
        if missing:
            raise ValueError(f"layers {missing} are not in this store (it has {self.layers})")
        return [self.layers.index(layer) for layer in requested]

    def _save_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2)
        write_atomically(self.root / MANIFEST, lambda tmp: tmp.write_text(text))


def _read_manifest(path: Path) -> dict:
    """The manifest at `path`, or an error that names it and says what to delete."""
    fix = f"delete {path} and rerun the same extract_activations call (every shard is then recomputed)"
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError as error:
        raise ValueError(f"{path} is corrupt ({error}); {fix}") from error
    if isinstance(manifest, dict) and manifest.get("format_version") not in (None, FORMAT_VERSION):
        raise ValueError(
            f"{path} was written in format version {manifest['format_version']} of the activation "
            f"store, which this library (version {FORMAT_VERSION}) does not read; delete "
            f"{path.parent} or use another out_dir"
        )
    if not _well_formed(manifest):
        raise ValueError(
            f"{path} is not a valid activation-store manifest (fields missing or malformed); {fix}"
        )
    return manifest


def _well_formed(manifest) -> bool:
    if not isinstance(manifest, dict) or not set(_FIELDS) <= manifest.keys():
        return False
    shards = manifest["shards"]
    if not isinstance(shards, list) or len(shards) != manifest["n_shards"]:
        return False
    return all(
        r is None or (isinstance(r, dict) and {"sha256", "prompts", "rows"} <= r.keys()) for r in shards
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _differences(found: dict, wanted: dict, prefix: str = "") -> list[str]:
    """Each field that differs, as ``name: stored X, requested Y`` (nested dicts field by field)."""
    out = []
    for key in sorted(set(found) | set(wanted)):
        a, b = found.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: stored {a!r}, requested {b!r}")
    return out
