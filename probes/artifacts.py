"""Save and load probes and steering vectors as single safetensors files; export to GGUF.

Tensors hold the numbers; the header metadata (strings; JSON for structured values) says what
the file is: kind, format version, class, model, hook, layer, d_model, dtype, how it was made,
its metrics, library version and creation time. Files are written to a temporary name and
renamed, so a crash never leaves half an artifact. No pickle anywhere. See artifacts/README.md.

Example:
    >>> save(vec, "artifacts/smollm2-135m-instruct/sycophancy_L12.safetensors")
    >>> vec = load("artifacts/smollm2-135m-instruct/sycophancy_L12.safetensors", model=model)
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from probes.contrast import CCSProbe, PCAProbe
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.steering import HOOK_PATTERN, SteeringVector

FORMAT_VERSION = "1"
PROBE_CLASSES = {cls.__name__: cls for cls in (LogisticProbe, MeanDiffProbe, PCAProbe, CCSProbe)}
# learned attributes saved per probe class (vectors and scalars); everything else is a parameter
PROBE_TENSORS = {
    "LogisticProbe": ("coef_", "intercept_", "mean_", "scale_"),
    "MeanDiffProbe": ("coef_", "intercept_"),
    "PCAProbe": ("direction_", "center_"),
    "CCSProbe": ("direction_", "center_"),
}


class ArtifactError(ValueError):
    """An artifact file is malformed, of an unknown version, or does not fit the model."""


def save(
    obj,
    path: str | Path,
    *,
    hook: str | None = None,
    model=None,
    dataset=None,
    metrics: dict | None = None,
    info: dict | None = None,
) -> Path:
    """Write a fitted probe or a SteeringVector to `path` (``.safetensors``).

    For probes, `hook` and `model` (a model or its name) say where the activations came from;
    `dataset` (an object with ``name`` and ``sha256()``) and `metrics` are recorded.
    """
    path = Path(path)
    if isinstance(obj, SteeringVector):
        tensors = {"direction": obj.direction}
        hook, model_name = obj.hook, obj.model_name
        meta = {"kind": "steering_vector", "class": "SteeringVector", "info": obj.info}
    elif type(obj).__name__ in PROBE_CLASSES:
        tensors = _probe_tensors(obj)
        model_name = model if isinstance(model, str) or model is None else str(model.cfg.model_name)
        meta = {"kind": "probe", "class": type(obj).__name__, "params": obj.get_params(), "info": info or {}}
    else:
        raise TypeError(f"cannot save a {type(obj).__name__}; expected a probe or a SteeringVector")
    if hook is not None and not HOOK_PATTERN.match(hook):
        raise ValueError(f"hook must look like 'blocks.<layer>.hook_<site>', got {hook!r}")
    from probes import __version__

    d_model = next(t for k, t in tensors.items() if k != "intercept").shape[0]
    meta.update(
        format_version=FORMAT_VERSION,
        model=model_name,
        hook=hook,
        layer=int(HOOK_PATTERN.match(hook).group(1)) if hook else None,
        d_model=d_model,
        dtype="float32",
        dataset={"name": dataset.name, "sha256": dataset.sha256()} if dataset is not None else None,
        metrics=metrics or {},
        library_version=__version__,
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    header = {key: value if isinstance(value, str) else json.dumps(value) for key, value in meta.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=header)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_metadata(path: str | Path) -> dict:
    """The decoded header metadata of an artifact."""
    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata() or {}
    decoded = {}
    for key, value in raw.items():
        try:
            decoded[key] = json.loads(value)
        except json.JSONDecodeError:
            decoded[key] = value
    return decoded


def load(path: str | Path, model=None):
    """Read an artifact; with `model`, refuse one whose d_model or hook does not fit it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no artifact at {path}")
    meta = read_metadata(path)
    if str(meta.get("format_version")) != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: format version {meta.get('format_version')!r}, this library reads {FORMAT_VERSION!r}"
        )
    with safe_open(str(path), framework="pt") as f:
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    for key, tensor in tensors.items():
        expected = (1,) if key == "intercept" else (meta["d_model"],)
        if tuple(tensor.shape) != expected:
            raise ArtifactError(
                f"{path}: tensor {key} has shape {tuple(tensor.shape)}, expected {expected} "
                f"(d_model {meta['d_model']})"
            )
    if model is not None:
        _check_fits(meta, model, path)
    if meta.get("kind") == "steering_vector":
        return SteeringVector(tensors["direction"], meta["hook"], meta["model"], meta.get("info") or {})
    if meta.get("kind") == "probe" and meta.get("class") in PROBE_CLASSES:
        return _restore_probe(meta, tensors)
    raise ArtifactError(f"{path}: unknown artifact kind {meta.get('kind')!r} / class {meta.get('class')!r}")


def _probe_tensors(probe) -> dict[str, torch.Tensor]:
    tensors = {}
    for attr in PROBE_TENSORS[type(probe).__name__]:
        if not hasattr(probe, attr):
            if attr in ("mean_", "scale_"):
                continue  # a LogisticProbe rebuilt from a sweep keeps its scaling inside coef_
            raise ValueError(f"the {type(probe).__name__} is not fitted (no {attr}); fit it before saving")
        tensors[attr.rstrip("_")] = torch.as_tensor(
            np.atleast_1d(np.asarray(getattr(probe, attr), dtype=np.float32))
        )
    return tensors


def _restore_probe(meta: dict, tensors: dict[str, torch.Tensor]):
    probe = PROBE_CLASSES[meta["class"]](**meta["params"])
    for key, tensor in tensors.items():
        value = tensor.numpy().astype(np.float64)
        setattr(probe, f"{key}_", float(value[0]) if key == "intercept" else value)
    probe.classes_ = np.array([0, 1])
    probe.n_features_in_ = meta["d_model"]
    return probe


def _check_fits(meta: dict, model, path: Path) -> None:
    d_model = int(model.cfg.d_model)
    if meta["d_model"] != d_model:
        raise ArtifactError(
            f"{path} was made for d_model {meta['d_model']} ({meta['model']}), but the model has d_model "
            f"{d_model} ({model.cfg.model_name})"
        )
    if meta.get("hook") and meta["hook"] not in model.hook_dict:
        raise ArtifactError(f"{path} applies at {meta['hook']}, which {model.cfg.model_name} does not have")


def export_gguf(vector: SteeringVector, path: str | Path, model_hint: str = "llama") -> Path:
    """Write `vector` as a llama.cpp control vector (GGUF, tensor ``direction.<layer>``).

    llama.cpp adds ``direction.L`` to the output of block L, i.e. ``blocks.L.hook_resid_post``;
    layer 0 and other sites cannot be expressed and are refused.
    """
    import gguf

    match = HOOK_PATTERN.match(vector.hook)
    if match.group(2) != "resid_post" or vector.layer < 1:
        raise ValueError(
            f"llama.cpp control vectors apply at blocks.L.hook_resid_post with L >= 1; got {vector.hook}"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        writer = gguf.GGUFWriter(str(tmp), "controlvector")
        writer.add_string("controlvector.model_hint", model_hint)
        writer.add_uint32("controlvector.layer_count", 1)
        writer.add_tensor(f"direction.{vector.layer}", vector.direction.numpy().astype(np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
