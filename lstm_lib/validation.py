"""Checks that reject bad input before any work starts, naming the parameter and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

DTYPES: dict[str, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` must be an int >= ``minimum``."""
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_seed(name: str, value: object) -> int:
    """A seed is an int in [0, 2**63)."""
    if not _is_int(value) or not 0 <= value < 2**63:
        raise ValueError(f"{name} must be an int in [0, 2**63), got {value!r}")
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
        raise ValueError(f"{name} must be a finite number in {lo}{low}, {high}{hi}, got {value!r}")
    return float(value)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` must be one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value  # type: ignore[return-value]


def check_dtype(name: str, value: object) -> torch.dtype:
    """A dtype given as ``torch.float64``/``torch.float32`` or their names."""
    if isinstance(value, torch.dtype) and value in DTYPES.values():
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise ValueError(f"{name} must be one of {tuple(DTYPES)}, got {value!r}")


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
