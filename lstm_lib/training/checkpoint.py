"""Save and load trained models safely: tensors plus a JSON config, never pickled code."""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from pathlib import Path

import torch

from lstm_lib.files import atomic_write
from lstm_lib.model.spec import Spec
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.train import TrainResult
from lstm_lib.validation import excerpt, shorten

FORMAT = "lstm_lib-checkpoint-2"
"""Version 2 adds ``checksum``; version 1 files carry none and are refused (re-save them with version 2)."""
MAX_META_CHARS = 1_000_000
TENSORS = ("W", "history", "seconds")
PICKLED = (
    "{path} is not a checkpoint of this library: it holds pickled Python objects, which lstm_lib never "
    "writes. It was not loaded, because loading it unsafely could run any code its author put in it; "
    "use a checkpoint written by `train --out` or lstm_lib.save"
)


def checksum(meta: str, tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 of the meta JSON and each tensor's dtype, shape and bytes: damage anywhere changes it."""
    digest = hashlib.sha256(meta.encode())
    for name in TENSORS:
        t = tensors[name].detach().cpu().contiguous()
        digest.update(f"\0{name}{t.dtype}{tuple(t.shape)}\0".encode() + t.numpy().tobytes())
    return digest.hexdigest()


def save(result: TrainResult, path: str | Path) -> None:
    """Write ``result`` to ``path`` atomically (a temporary file, then a rename); same result, same bytes."""
    meta = {
        "format": FORMAT,
        "config": result.config.to_dict(),
        "spec": [result.spec.n_in, result.spec.n_hidden, result.spec.n_out],
        "wall_seconds": result.wall_seconds,
        "final_mse": result.final_mse,
        "evaluations": result.evaluations,
        "extra": result.extra,
    }
    tensors = {"W": result.W, "history": result.history, "seconds": result.seconds}
    payload = {**tensors, "meta": json.dumps(meta)}
    payload["checksum"] = checksum(payload["meta"], tensors)

    def write(tmp: str) -> None:
        # Through an open file, not a path: given a path, torch.save names the zip's inner folder
        # after the file, and the temporary file's random name would make equal results differ in bytes.
        with open(tmp, "wb") as fh:
            torch.save(payload, fh)

    atomic_write(path, write)


def _check_tensors(payload: dict, spec: Spec, config: TrainConfig) -> None:
    """The tensors a checkpoint hands to ``generate``: the right kind, shape and dtype, and finite."""
    for name in TENSORS:
        if not isinstance(payload.get(name), torch.Tensor):
            raise ValueError(f"{name} is not a tensor")
    W, history, seconds = (payload[name] for name in TENSORS)
    if W.dtype != config.torch_dtype:
        raise ValueError(f"W has dtype {W.dtype}, its config says {config.dtype}")
    if W.dim() != 1 or W.numel() != spec.size:
        raise ValueError(f"W must be 1-D with {spec.size} values for its spec, got shape {tuple(W.shape)}")
    if not torch.isfinite(W).all():
        raise ValueError("W holds NaN or infinite values")
    for name, t in (("history", history), ("seconds", seconds)):
        if t.dim() != 1 or not t.is_floating_point():
            raise ValueError(f"{name} must be a 1-D float tensor, got {t.dtype} of shape {tuple(t.shape)}")


def _refusal(path: str | Path, exc: Exception) -> str:
    """Why ``torch.load`` refused the file, in this library's words: torch's own text advises loading
    it unsafely (``weights_only=False``), which is not advice to pass on for a file of unknown origin."""
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError) and "Unsupported global" in text:
        return PICKLED.format(path=excerpt(str(path)))
    if isinstance(exc, pickle.UnpicklingError) and "weights_only" in text:
        text = "it is not a file written by torch.save"
    return f"{excerpt(str(path))} is not a valid lstm_lib checkpoint: {shorten(text, 200)}"


def load(path: str | Path) -> TrainResult:
    """Read a checkpoint written by :func:`save`.

    Uses ``torch.load(weights_only=True)``: a file holding a pickled object that would run code
    is refused with a ``ValueError`` and the code never runs. The checksum is verified and every
    tensor checked (dtype, shape, finite), so a damaged or forged file is refused, never used.
    """
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except Exception as exc:  # pickled objects, truncated, or not a checkpoint at all
        raise ValueError(_refusal(path, exc)) from None
    try:
        if not isinstance(payload, dict):
            raise ValueError(f"expected a dict payload, got {type(payload).__name__}")
        if not isinstance(payload.get("meta"), str) or len(payload["meta"]) > MAX_META_CHARS:
            raise ValueError(f"meta must be a JSON string of at most {MAX_META_CHARS} characters")
        meta = json.loads(payload["meta"])
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise ValueError(f"unknown format {excerpt(found)}; this version reads {FORMAT}")
        for name in TENSORS:
            if not isinstance(payload.get(name), torch.Tensor):
                raise ValueError(f"{name} is not a tensor")
        if payload.get("checksum") != checksum(payload["meta"], {n: payload[n] for n in TENSORS}):
            raise ValueError("checksum mismatch: the file is damaged")
        spec = Spec(*meta["spec"])
        values = dict(meta["config"])
        if values.get("device") == "cuda" and not torch.cuda.is_available():
            values["device"] = "cpu"  # a model trained on a GPU loads (to the CPU) where there is none
        config = TrainConfig.from_dict(values)
        if config.n_hidden != spec.n_hidden:
            raise ValueError(f"config.n_hidden={config.n_hidden} does not match the spec's n_hidden={spec.n_hidden}")
        _check_tensors(payload, spec, config)
        numbers = {k: float(meta[k]) for k in ("wall_seconds", "final_mse")}
        if not all(math.isfinite(v) for v in numbers.values()):
            raise ValueError("wall_seconds and final_mse must be finite")
        return TrainResult(
            W=payload["W"],
            spec=spec,
            config=config,
            history=payload["history"],
            seconds=payload["seconds"],
            evaluations=int(meta["evaluations"]),
            extra=dict(meta.get("extra", {})),
            **numbers,
        )
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError, OverflowError) as exc:
        raise ValueError(f"{path} is not a valid lstm_lib checkpoint: {str(exc)[:300]}") from None
