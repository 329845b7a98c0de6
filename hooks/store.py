"""Activations streamed to disk as safetensors shards, resumable after an interruption.

A store is a directory with ``manifest.json`` (what was extracted, from which prompts and
model) and one ``shard-NNNNN.safetensors`` per `shard_size` prompts, each written to a
temporary file and renamed, so a shard on disk is always complete. Reopening the directory
with the same request skips finished shards; a different request is refused.

Example:
    >>> store = extract_activations(model, prompts, layers=range(30), out_dir="acts/cities")
    >>> acts = store.load(layers=[12])        # [n_prompts, 1, d_model], read shard by shard
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from hooks.positions import Position
from hooks.spans import SpanActivations

FORMAT_VERSION = 1


def fingerprint(model, prompts: Sequence, layers: list[int], site: str, position: Position) -> dict:
    """What identifies an extraction: model, sites, positions and a hash of the prompts."""
    digest = hashlib.sha256()
    for prompt in prompts:
        digest.update(json.dumps(prompt if isinstance(prompt, str) else list(map(int, prompt))).encode())
        digest.update(b"\0")
    return {
        "model": str(model.cfg.model_name),
        "d_model": int(model.cfg.d_model),
        "layers": layers,
        "site": site,
        "position": hashlib.sha256(repr(position).encode()).hexdigest()[:16],
        "prompts_sha256": digest.hexdigest(),
        "n_prompts": len(prompts),
    }


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
        path = root / "manifest.json"
        manifest = {
            "format_version": FORMAT_VERSION,
            "key": key,
            "n_prompts": n_prompts,
            "shard_size": shard_size,
            "n_shards": -(-n_prompts // shard_size),
            "layers": layers,
            "site": site,
        }
        if path.exists():
            found = json.loads(path.read_text())
            if found != manifest:
                raise ValueError(
                    f"{root} holds a different extraction (manifest differs: "
                    f"{_first_difference(found, manifest)}); use another out_dir or delete it"
                )
        else:
            root.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))
        return cls(root, manifest)

    @classmethod
    def load_dir(cls, root: str | Path) -> ActivationStore:
        """Open an existing store for reading."""
        path = Path(root) / "manifest.json"
        if not path.exists():
            raise FileNotFoundError(f"{root} is not an activation store (no manifest.json)")
        return cls(Path(root), json.loads(path.read_text()))

    def __len__(self) -> int:
        return self.manifest["n_prompts"]

    @property
    def layers(self) -> list[int]:
        return self.manifest["layers"]

    @property
    def complete(self) -> bool:
        return all(self.has_shard(k) for k in range(self.manifest["n_shards"]))

    def shard_path(self, shard: int) -> Path:
        return self.root / f"shard-{shard:05d}.safetensors"

    def has_shard(self, shard: int) -> bool:
        return self.shard_path(shard).exists()

    def write_shard(self, shard: int, values: Tensor | SpanActivations) -> None:
        if isinstance(values, SpanActivations):
            tensors = {"activations": values.values, "lengths": values.lengths, "token_ids": values.token_ids}
        else:
            tensors = {"activations": values}
        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        _write_atomic(self.shard_path(shard), lambda tmp: save_file(tensors, str(tmp)))

    def iter_shards(self, layers: Sequence[int] | None = None) -> Iterator[Tensor | SpanActivations]:
        """Each shard in order, optionally only some of the stored layers (read lazily)."""
        if not self.complete:
            missing = [k for k in range(self.manifest["n_shards"]) if not self.has_shard(k)]
            raise RuntimeError(
                f"{self.root} is incomplete (missing shards {missing[:5]}); rerun the extraction"
            )
        columns = self._columns(layers)
        for shard in range(self.manifest["n_shards"]):
            with safe_open(str(self.shard_path(shard)), framework="pt") as f:
                values = f.get_slice("activations")[:, columns[0] : columns[-1] + 1]
                values = values[:, [c - columns[0] for c in columns]]
                if "lengths" in f.keys():
                    yield SpanActivations(values, f.get_tensor("lengths"), f.get_tensor("token_ids"))
                else:
                    yield values

    def load(self, layers: Sequence[int] | None = None) -> Tensor | SpanActivations:
        """All prompts in one tensor ``[n, n_layers, d_model]`` (or SpanActivations)."""
        parts = list(self.iter_shards(layers))
        if isinstance(parts[0], SpanActivations):
            return SpanActivations.concat(parts)
        return torch.cat(parts)

    def _columns(self, layers: Sequence[int] | None) -> list[int]:
        if layers is None:
            return list(range(len(self.layers)))
        missing = [layer for layer in layers if layer not in self.layers]
        if missing:
            raise ValueError(f"layers {missing} are not in this store (it has {self.layers})")
        return [self.layers.index(layer) for layer in layers]


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _first_difference(found: dict, wanted: dict) -> str:
    for key in sorted(set(found) | set(wanted)):
        if found.get(key) != wanted.get(key):
            return f"{key}: stored {found.get(key)!r}, requested {wanted.get(key)!r}"
    return "none"
