"""Save and load probes and steering vectors as single safetensors files; export to GGUF.

Tensors hold the numbers; the header metadata (strings; JSON for structured values) says what
the file is: kind, format version, class, model, hook, layer, d_model, dtype, how it was made,
its metrics, library version and creation time. Files are written to a temporary name and
renamed, so a crash never leaves half an artifact. No pickle anywhere. See artifacts/README.md.

Integrity: `save` stores ``sha256`` in the metadata, a SHA-256 over the tensors (name, dtype,
shape, bytes) and every other metadata entry, and `load` refuses a file whose bytes no longer
match it (a flipped bit, a hand edit). Files written before checksums existed (among them the
shipped ones under artifacts/smollm2-135m-instruct/) still load, with an
:class:`UnverifiedArtifactWarning`; re-save them to add a checksum. `load` also refuses NaN or inf
values, missing or unexpected tensors and metadata keys, and, given `model=`, a file made for
another d_model, hook or model name (``check_model=False`` allows another model of the same width).

Example:
    >>> save(vec, "artifacts/smollm2-135m-instruct/sycophancy_L12.safetensors")
    >>> vec = load("artifacts/smollm2-135m-instruct/sycophancy_L12.safetensors", model=model)
"""

from __future__ import annotations

import hashlib
import json
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from hooks.atomic import write_atomically
from probes.contrast import CCSProbe, PCAProbe
from probes.linear import LogisticProbe, MeanDiffProbe
from probes.steering import HOOK_PATTERN, SteeringVector

FORMAT_VERSION = "1"
CHECKSUM_KEY = "sha256"
PROBE_CLASSES = {cls.__name__: cls for cls in (LogisticProbe, MeanDiffProbe, PCAProbe, CCSProbe)}
# learned attributes saved per probe class (vectors and scalars); everything else is a parameter
PROBE_TENSORS = {
    "LogisticProbe": ("coef_", "intercept_", "mean_", "scale_"),
    "MeanDiffProbe": ("coef_", "intercept_"),
    "PCAProbe": ("direction_", "center_", "intercept_"),
    "CCSProbe": ("direction_", "center_", "intercept_"),
}
# tensors a file may lack: a LogisticProbe rebuilt from a sweep keeps its scaling inside coef_; contrast
# probes saved before they scored pairs have no intercept (0: the raw difference of the two members)
OPTIONAL_TENSORS = {
    "LogisticProbe": {"mean", "scale"},
    "MeanDiffProbe": set(),
    "PCAProbe": {"intercept"},
    "CCSProbe": {"intercept"},
}
# contrast probes take pairs side by side: n_features_in_ = 2 * d_model
PAIR_PROBES = {"PCAProbe", "CCSProbe"}
REQUIRED_KEYS = {"probe": ("class", "params", "d_model"), "steering_vector": ("hook", "model", "d_model")}


class ArtifactError(ValueError):
    """An artifact file is malformed, corrupted, of an unknown version, or does not fit the model."""


class UnverifiedArtifactWarning(UserWarning):
    """An artifact without a checksum was loaded: its bytes could not be verified."""


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
    """Write a fitted probe or a SteeringVector to `path` (``.safetensors``), with a checksum.

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
        if not (
            model is None or isinstance(model, str) or hasattr(getattr(model, "cfg", None), "model_name")
        ):
            raise TypeError(
                f"model must be a model (with cfg.model_name) or its name, got {type(model).__name__}"
            )
        model_name = model if isinstance(model, str) or model is None else str(model.cfg.model_name)
        meta = {
            "kind": "probe",
            "class": type(obj).__name__,
            "params": obj.get_params(),
            "classes": _probe_classes(obj),
            "info": info or {},
        }
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
    header = {key: value if isinstance(value, str) else _json(key, value) for key, value in meta.items()}
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    header[CHECKSUM_KEY] = _checksum(tensors, header)
    return _write_atomically(path, lambda tmp: save_file(tensors, str(tmp), metadata=header))


def read_metadata(path: str | Path) -> dict:
    """The decoded header metadata of an artifact (not verified: `load` checks the checksum)."""
    return _decode(_read(Path(path), tensors=False)[0])


def load(path: str | Path, model=None, *, check_model: bool = True):
    """Read an artifact, verifying its checksum; with `model`, refuse one that does not fit it.

    `check_model=False` accepts an artifact made on another model name of the same d_model and
    hooks (e.g. a fine-tune of it).
    """
    path = Path(path)
    raw, tensors = _read(path, tensors=True)
    if str(raw.get("format_version")) != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: format version {raw.get('format_version')!r}, this library reads {FORMAT_VERSION!r}; "
            "re-save it with this library or use the library version that wrote it"
        )
    if CHECKSUM_KEY not in raw:
        warnings.warn(
            f"{path} has no checksum (written before checksums were added), so corruption cannot be "
            "detected; re-save it with probes.save to add one",
            UnverifiedArtifactWarning,
            stacklevel=2,
        )
    elif raw[CHECKSUM_KEY] != _checksum(tensors, raw):
        raise ArtifactError(
            f"{path} is corrupted: its sha256 checksum does not match its contents (a changed byte or a "
            "hand edit); re-save or re-download it"
        )
    meta = _decode(raw)
    _check_contents(meta, tensors, path)
    if model is not None:
        _check_fits(meta, model, path, check_model)
    if meta["kind"] == "steering_vector":
        return SteeringVector(
            tensors["direction"].float(), meta["hook"], meta.get("model"), meta.get("info") or {}
        )
    return _restore_probe(meta, tensors, path)


def _decode(raw: dict[str, str]) -> dict:
    decoded = {}
    for key, value in raw.items():
        try:
            decoded[key] = json.loads(value)
        except json.JSONDecodeError:
            decoded[key] = value
    return decoded


def _json(key: str, value) -> str:
    def plain(obj):
        if isinstance(obj, (np.generic, np.ndarray, torch.Tensor)):
            return obj.tolist()
        raise TypeError(
            f"{key} holds a {type(obj).__name__}, which JSON cannot store; pass numbers and strings"
        )

    return json.dumps(value, default=plain)


def _checksum(tensors: dict[str, torch.Tensor], header: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        tensor = tensors[key].contiguous().reshape(-1)
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensors[key].shape)}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    rest = {key: value for key, value in header.items() if key != CHECKSUM_KEY}
    digest.update(json.dumps(rest, sort_keys=True).encode())
    return digest.hexdigest()


def _write_atomically(path: Path, write) -> Path:
    """:func:`hooks.atomic.write_atomically`, with errors that say what to do."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name, e.g. {path / 'probe.safetensors'}")
    try:
        return write_atomically(path, write)
    except (OSError, SafetensorError) as error:  # safetensors reports I/O errors as SafetensorError
        kind = type(error) if isinstance(error, OSError) else OSError
        raise kind(f"cannot write {path}: {error}; choose a writable location") from error


def _read(path: Path, tensors: bool) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The raw header metadata and (if `tensors`) the tensors of the safetensors file at `path`."""
    if not path.exists():
        raise FileNotFoundError(f"no artifact at {path}; check the path (artifacts end in .safetensors)")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; expected an artifact file (.safetensors) in it")
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = f.metadata()
            values = {key: f.get_tensor(key) for key in f.keys()} if tensors else {}
    except SafetensorError as error:
        raise ArtifactError(
            f"{path} is not a readable safetensors file ({error}); it may be truncated or of another "
            "format: re-save or re-download it"
        ) from error
    if not raw:
        raise ArtifactError(f"{path} has no metadata header, so it was not written by probes.save")
    return raw, values


def _check_contents(meta: dict, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Refuse unknown kinds, missing keys, a bad d_model, and missing, misshapen or non-finite tensors."""
    kind = meta.get("kind")
    for key in ("kind", *REQUIRED_KEYS.get(kind, ())):
        if key not in meta:
            raise ArtifactError(f"{path}: the metadata lacks the key {key!r}; re-save the artifact")
    cls = meta.get("class")
    if kind not in REQUIRED_KEYS or kind == "probe" and cls not in PROBE_CLASSES:
        raise ArtifactError(
            f"{path}: unknown artifact kind {kind!r} / class {cls!r}; expected a steering_vector or a probe "
            f"of class {sorted(PROBE_CLASSES)}"
        )
    d_model = meta["d_model"]
    if isinstance(d_model, bool) or not isinstance(d_model, int) or d_model < 1:
        raise ArtifactError(f"{path}: d_model must be a positive integer, got {d_model!r}")
    if kind == "steering_vector" and not (isinstance(meta["hook"], str) and HOOK_PATTERN.match(meta["hook"])):
        raise ArtifactError(f"{path}: hook must look like 'blocks.<layer>.hook_<site>', got {meta['hook']!r}")
    if kind == "steering_vector" and not isinstance(meta["model"], str):
        raise ArtifactError(f"{path}: a steering vector's model must be a name, got {meta['model']!r}")
    if kind == "probe" and not isinstance(meta["params"], dict):
        raise ArtifactError(
            f"{path}: params must be a JSON object of hyper-parameters, got {meta['params']!r}"
        )
    names = {"direction"} if kind == "steering_vector" else {a.rstrip("_") for a in PROBE_TENSORS[cls]}
    optional = OPTIONAL_TENSORS.get(cls, set())
    missing, extra = names - optional - set(tensors), set(tensors) - names
    if missing or extra:
        raise ArtifactError(
            f"{path}: a {cls or kind} needs tensors {sorted(names)}, missing {sorted(missing)}, "
            f"unexpected {sorted(extra)}"
        )
    for key, tensor in tensors.items():
        expected = (1,) if key == "intercept" else (d_model,)
        if tuple(tensor.shape) != expected:
            raise ArtifactError(
                f"{path}: tensor {key} has shape {tuple(tensor.shape)}, expected {expected} "
                f"(d_model {d_model})"
            )
        if not tensor.is_floating_point() or not torch.isfinite(tensor).all():
            raise ArtifactError(
                f"{path}: tensor {key} must hold finite floats, got {tensor.dtype} with NaN/inf"
            )


def _probe_tensors(probe) -> dict[str, torch.Tensor]:
    tensors = {}
    for attr in PROBE_TENSORS[type(probe).__name__]:
        if not hasattr(probe, attr):
            if attr.rstrip("_") in OPTIONAL_TENSORS[type(probe).__name__]:
                continue
            raise ValueError(f"the {type(probe).__name__} is not fitted (no {attr}); fit it before saving")
        value = np.atleast_1d(np.asarray(getattr(probe, attr), dtype=np.float32))
        if not np.isfinite(value).all():
            raise ValueError(
                f"the {type(probe).__name__}'s {attr} holds NaN or inf (first at index "
                f"{int(np.flatnonzero(~np.isfinite(value))[0])}); refit the probe before saving"
            )
        tensors[attr.rstrip("_")] = torch.as_tensor(value)
    widths = {key: t.shape[0] for key, t in tensors.items() if key != "intercept"}
    if len(set(widths.values())) != 1 or tensors.get("intercept", torch.zeros(1)).shape != (1,):
        raise ValueError(
            f"the {type(probe).__name__}'s learned vectors disagree in width: {widths}; refit it"
        )
    return tensors


def _restore_probe(meta: dict, tensors: dict[str, torch.Tensor], path: Path):
    try:
        probe = PROBE_CLASSES[meta["class"]](**meta["params"])
    except TypeError as error:
        raise ArtifactError(f"{path}: params {meta['params']} do not fit {meta['class']}: {error}") from error
    for key, tensor in tensors.items():
        value = tensor.double().numpy()
        setattr(probe, f"{key}_", float(value[0]) if key == "intercept" else value)
    if meta["class"] in PAIR_PROBES and "intercept" not in tensors:
        probe.intercept_ = 0.0
    probe.classes_ = _restore_classes(meta.get("classes", [0, 1]), path)
    probe.n_features_in_ = meta["d_model"] * (2 if meta["class"] in PAIR_PROBES else 1)
    return probe


def _probe_classes(probe) -> list:
    """The probe's two `classes_` as JSON values (files without them mean [0, 1])."""
    classes = np.asarray(getattr(probe, "classes_", [0, 1]))
    if classes.shape != (2,) or classes.dtype.kind not in "biufU":
        raise ValueError(
            f"the {type(probe).__name__}'s classes_ must be two numbers, booleans or strings to be saved, "
            f"got {classes.tolist()!r}; refit it with such labels"
        )
    return classes.tolist()


def _restore_classes(classes, path: Path) -> np.ndarray:
    plain = (bool, int, float, str)
    if (
        not isinstance(classes, list)
        or len(classes) != 2
        or not all(isinstance(c, plain) for c in classes)
        or len({type(c) for c in classes}) != 1
        or classes[0] == classes[1]
    ):
        raise ArtifactError(
            f"{path}: classes must be a list of two distinct labels of one type, got {classes!r}; "
            "re-save the artifact"
        )
    return np.asarray(classes)


def _check_fits(meta: dict, model, path: Path, check_model: bool) -> None:
    d_model, name = int(model.cfg.d_model), str(model.cfg.model_name)
    if meta["d_model"] != d_model:
        raise ArtifactError(
            f"{path} was made for d_model {meta['d_model']} ({meta.get('model')}), but the model has d_model "
            f"{d_model} ({name})"
        )
    if meta.get("hook") and meta["hook"] not in model.hook_dict:
        raise ArtifactError(f"{path} applies at {meta['hook']}, which {name} does not have")
    if check_model and meta.get("model") is not None and meta["model"] != name:
        raise ArtifactError(
            f"{path} was made on model {meta['model']!r}, but this model is {name!r}; load it with "
            "check_model=False to use it anyway (e.g. on a fine-tune of the same width)"
        )


def export_gguf(vector: SteeringVector, path: str | Path, model_hint: str = "llama") -> Path:
    """Write `vector` as a llama.cpp control vector (GGUF, tensor ``direction.<layer>``).

    llama.cpp adds ``direction.L`` to the output of block L, i.e. ``blocks.L.hook_resid_post``;
    layer 0 and other sites cannot be expressed and are refused.
    """
    import gguf

    if not isinstance(vector, SteeringVector):
        raise TypeError(
            f"export_gguf writes a SteeringVector, got a {type(vector).__name__}; for a probe use "
            "SteeringVector.from_probe(probe, hook=..., model=...)"
        )
    match = HOOK_PATTERN.match(vector.hook)
    if match.group(2) != "resid_post" or vector.layer < 1:
        raise ValueError(
            f"llama.cpp control vectors apply at blocks.L.hook_resid_post with L >= 1; got {vector.hook}"
        )

    def write(tmp: Path) -> None:
        writer = gguf.GGUFWriter(str(tmp), "controlvector")
        writer.add_string("controlvector.model_hint", model_hint)
        writer.add_uint32("controlvector.layer_count", 1)
        writer.add_tensor(f"direction.{vector.layer}", vector.direction.numpy().astype(np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

    return _write_atomically(Path(path), write)
