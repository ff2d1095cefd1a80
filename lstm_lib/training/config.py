"""What one training run does, checked in full before any work starts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch

from lstm_lib.model.network import BACKENDS
from lstm_lib.validation import (
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_memory,
    check_seed,
    excerpt,
)

METHODS = ("plain", "weighted", "denoising", "weighted+denoising")
OPTIMIZERS = ("adagrad", "sgd", "lbfgs")
LINE_SEARCHES = ("strong_wolfe",)
"""L-BFGS line searches: ``None`` is the fixed step of the PyTorch example; ``strong_wolfe`` is PyTorch's."""
"""``fused``: PyTorch's LSTM kernel on views of ``W`` (fast); ``scan``: the article's kernel in a scan loop."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Every field is validated on construction (``ValueError`` naming the field).

    ``iterations`` counts optimiser steps; an L-BFGS step evaluates the loss and gradient up to
    ``lbfgs_max_iter`` times, so compare optimisers by ``evaluations`` or wall seconds too.
    ``noise_std`` is used by the denoising methods, ``weight_rate`` by the weighted ones;
    ``clip`` (``None`` or > 0) caps the gradient's L2 norm; ``line_search`` (L-BFGS only): ``None``
    for a fixed step ``lr`` (the PyTorch example), or ``"strong_wolfe"``.
    """

    method: str = "plain"
    optimizer: str = "adagrad"
    iterations: int = 1000
    lr: float = 0.05
    n_hidden: int = 51
    seed: int = 0
    noise_std: float = 0.05
    weight_rate: float = 0.99
    clip: float | None = None
    dtype: str = "float64"
    device: str = "cpu"
    backend: str = "fused"
    lbfgs_max_iter: int = 20
    line_search: str | None = None

    def __post_init__(self) -> None:
        check_choice("method", self.method, METHODS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_int("iterations", self.iterations, 1)
        check_float("lr", self.lr, low=0, low_open=True)
        check_int("n_hidden", self.n_hidden, 1)
        check_seed("seed", self.seed)
        check_float("noise_std", self.noise_std, low=0)
        check_float("weight_rate", self.weight_rate, low=0, high=1, low_open=True)
        if self.clip is not None:
            check_float("clip", self.clip, low=0, low_open=True)
        if not isinstance(self.dtype, str):
            raise ValueError(f"dtype must be one of ('float64', 'float32') as a string, got {excerpt(self.dtype)}")
        check_dtype("dtype", self.dtype)
        check_choice("device", self.device, ("cpu", "cuda"))
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device must be 'cpu' on this machine: 'cuda' was given but no GPU is available")
        check_choice("backend", self.backend, BACKENDS)
        check_int("lbfgs_max_iter", self.lbfgs_max_iter, 1)
        if self.line_search is not None:
            check_choice("line_search", self.line_search, LINE_SEARCHES)
            if self.optimizer != "lbfgs":
                raise ValueError(f"line_search applies to optimizer 'lbfgs' only, got optimizer {self.optimizer!r}")

    @property
    def denoising(self) -> bool:
        return "denoising" in self.method

    @property
    def weighted(self) -> bool:
        return "weighted" in self.method

    @property
    def torch_dtype(self) -> torch.dtype:
        return check_dtype("dtype", self.dtype)

    def memory_floor(self, n: int, length: int, n_in: int = 1) -> int:
        """Bytes any training of this config on ``(n, length, n_in)`` data needs at least: ``W``, its
        gradient and its optimiser state, and the four gates of every step kept for the backward pass."""
        h = self.n_hidden
        size = 4 * h * (n_in + h + 1) + n_in * (h + 1)
        return self.torch_dtype.itemsize * (3 * size + 4 * n * length * h)

    def check_memory(self, n: int, length: int, n_in: int = 1) -> None:
        """Refuse, before allocating, a training that cannot fit in the memory of its device."""
        what = f"n_hidden={self.n_hidden} with {n} sequences of {length} steps"
        check_memory(what, self.memory_floor(n, length, n_in), self.device)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a mapping (a YAML or JSON file); unknown keys are an error, not ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; allowed: {sorted(known)}")
        values = dict(values)
        if isinstance(values.get("lr"), int) and not isinstance(values.get("lr"), bool):
            values["lr"] = float(values["lr"])
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def label(self) -> str:
        """A short human-readable name, e.g. ``denoising (std 0.05)``."""
        extra = []
        if self.weighted:
            extra.append(f"rate {self.weight_rate:g}")
        if self.denoising:
            extra.append(f"std {self.noise_std:g}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        optimizer = self.optimizer + ("+wolfe" if self.line_search else "")
        return f"{self.method}{suffix}, {optimizer}"
