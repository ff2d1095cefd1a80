"""Checks that reject bad input before any work starts, naming the parameter and what is allowed."""

from __future__ import annotations

import math
import os
import reprlib
from collections.abc import Iterable
from pathlib import Path

import torch
import yaml

DTYPES: dict[str, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}

EXCERPT_CHARS = 80
_REPR = reprlib.Repr()
for _attr in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
    setattr(_REPR, _attr, 4)
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 40, 40, 40


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A bounded repr for error messages: a huge or deeply nested value never makes a huge message."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


MAX_YAML_BYTES = 64 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases: a parameter file needs none, and
    aliases nested a few levels deep expand a few hundred bytes into gigabytes (a YAML bomb)."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent) or getattr(self.peek_event(), "anchor", None):
            raise yaml.YAMLError(f"anchors and aliases are not allowed{self.peek_event().start_mark}")
        return super().compose_node(parent, index)


def load_yaml(path: str | Path, name: str, max_bytes: int = MAX_YAML_BYTES) -> object:
    """The YAML in ``path``: a regular UTF-8 file of at most ``max_bytes``, without aliases.

    Every failure is a ``ValueError`` naming ``name`` (the flag or setting) and the file.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise ValueError(f"{name}: {excerpt(str(path))} is not a readable file")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {excerpt(str(path))}: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise ValueError(f"{name}: {excerpt(str(path))} is larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: {excerpt(str(path))} is not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        message = " ".join(str(exc).split())
        raise ValueError(f"{name}: {excerpt(str(path))} is not valid YAML: {message[:200]}") from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` must be an int >= ``minimum``."""
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {excerpt(value)}")
    return value


def check_seed(name: str, value: object) -> int:
    """A seed is an int in [0, 2**63)."""
    if not _is_int(value) or not 0 <= value < 2**63:
        raise ValueError(f"{name} must be an int in [0, 2**63), got {excerpt(value)}")
    return value


def check_float(
    name: str, value: object, *, low: float, high: float = math.inf, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` must be a finite real number in the given interval."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {lo}{low}, {high}{hi}, got {excerpt(value)}")
    return float(value)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` must be one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {excerpt(value)}")
    return value  # type: ignore[return-value]


def check_dtype(name: str, value: object) -> torch.dtype:
    """A dtype given as ``torch.float64``/``torch.float32`` or their names."""
    if isinstance(value, torch.dtype) and value in DTYPES.values():
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise ValueError(f"{name} must be one of {tuple(DTYPES)}, got {excerpt(value)}")


def check_sequences(name: str, data: object, n_in: int | None = None, min_length: int = 2) -> torch.Tensor:
    """A finite float tensor of shape (n, length, n_in) with length >= ``min_length``."""
    if not isinstance(data, torch.Tensor) or data.dim() != 3 or not data.is_floating_point():
        shape = tuple(data.shape) if isinstance(data, torch.Tensor) else type(data).__name__
        raise ValueError(f"{name} must be a float tensor of shape (n, length, n_in), got {shape}")
    n, length, features = data.shape
    if n < 1 or length < min_length or features < 1:
        raise ValueError(f"{name} must have n >= 1, length >= {min_length}, n_in >= 1, got shape {tuple(data.shape)}")
    if n_in is not None and features != n_in:
        raise ValueError(f"{name} must have n_in={n_in} features in its last dimension, got {features}")
    if not torch.isfinite(data).all():
        raise ValueError(f"{name} must be finite, got NaN or inf values")
    return data


def check_output_file(name: str, value: object) -> Path:
    """A path a file can be written to: not empty, not a folder, under a writable folder (checked before work)."""
    if not isinstance(value, (str, Path)) or str(value) == "":
        raise ValueError(f"{name} must be a file path, got {excerpt(value)}")
    path = Path(value)
    if path.is_dir():
        raise ValueError(f"{name}: {excerpt(str(path))} is a folder, not a file")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: cannot write in {excerpt(str(folder))}")
    return path


def check_input_file(name: str, value: object) -> Path:
    """An existing regular file."""
    path = Path(str(value))
    if str(value) == "" or not path.is_file():
        raise ValueError(f"{name}: no such file: {excerpt(str(value))}")
    return path
