"""Save and load trained models safely: tensors plus a JSON config, never pickled code."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from lstm_lib.files import atomic_write
from lstm_lib.model.spec import Spec
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.train import TrainResult

FORMAT = "lstm_lib-checkpoint-1"


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
    payload = {"W": result.W, "history": result.history, "seconds": result.seconds, "meta": json.dumps(meta)}

    def write(tmp: str) -> None:
        # Through an open file, not a path: given a path, torch.save names the zip's inner folder
        # after the file, and the temporary file's random name would make equal results differ in bytes.
        with open(tmp, "wb") as fh:
            torch.save(payload, fh)

    atomic_write(path, write)


def load(path: str | Path) -> TrainResult:
    """Read a checkpoint written by :func:`save`.

    Uses ``torch.load(weights_only=True)``: a file holding a pickled object that would run code
    is refused with a ``ValueError`` and the code never runs.
    """
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except Exception as exc:  # pickle refused, truncated or not a checkpoint
        raise ValueError(f"{path} is not a valid lstm_lib checkpoint: {exc}") from exc
    try:
        if not isinstance(payload, dict):
            raise ValueError(f"expected a dict payload, got {type(payload).__name__}")
        meta = json.loads(payload["meta"])
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        spec = Spec(*meta["spec"])
        W = payload["W"]
        if W.dim() != 1 or W.numel() != spec.size:
            raise ValueError("W does not match its spec")
        return TrainResult(
            W=W,
            spec=spec,
            config=TrainConfig.from_dict(meta["config"]),
            history=payload["history"],
            seconds=payload["seconds"],
            wall_seconds=float(meta["wall_seconds"]),
            final_mse=float(meta["final_mse"]),
            evaluations=int(meta["evaluations"]),
            extra=dict(meta.get("extra", {})),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"{path} is not a valid lstm_lib checkpoint: {exc}") from exc
