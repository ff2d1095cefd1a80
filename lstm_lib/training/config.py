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

ARTICLE_METHODS = ("plain", "weighted", "denoising", "weighted+denoising")
"""The article's training and its two tricks."""
REMEDIES = ("scheduled-sampling", "rollout")
"""Remedies for exposure bias from the later literature (see :mod:`lstm_lib.training.remedies`)."""
METHODS = ARTICLE_METHODS + REMEDIES
SCHEDULES = ("linear", "inverse-sigmoid")
"""Scheduled sampling's decay of the probability of feeding the true input (Bengio et al., 2015)."""
REMEDY_FIELDS = {
    "scheduled-sampling": ("sampling_schedule", "sampling_start", "sampling_end", "sampling_k"),
    "rollout": ("rollout_prefix", "rollout_steps"),
}
"""The settings of each remedy. :meth:`TrainConfig.to_dict` leaves them out of another method's config while
they hold their defaults, so an article method's config serialises exactly as before the remedies existed
(committed results are looked up by that JSON)."""
OPTIMIZERS = ("adagrad", "sgd", "lbfgs")
LINE_SEARCHES = (None, "strong_wolfe")
"""L-BFGS line searches, as :class:`torch.optim.LBFGS` takes them (``line_search_fn``), for training and the port:
``None`` is the fixed step of the PyTorch example; ``strong_wolfe`` is PyTorch's."""
"""``fused``: PyTorch's LSTM kernel on views of ``W`` (fast); ``scan``: the article's kernel in a scan loop."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Every field is validated on construction (``ValueError`` naming the field).

    ``iterations`` counts optimiser steps; an L-BFGS step evaluates the loss and gradient up to
    ``lbfgs_max_iter`` times, so compare optimisers by ``evaluations`` or wall seconds too.
    ``noise_std`` is used by the denoising methods, ``weight_rate`` by the weighted ones;
    ``clip`` (``None`` or > 0) caps the gradient's L2 norm; ``line_search`` (L-BFGS only): ``None``
    for a fixed step ``lr`` (the PyTorch example), or ``"strong_wolfe"``.

    Scheduled sampling (Bengio et al., 2015) feeds, at iteration ``i``, each input after the first
    the true previous value with probability ``p_i``, else the model's own previous output.
    ``sampling_schedule`` says how ``p_i`` decays over the ``iterations``:

    - ``"linear"``: the paper's ``p_i = max(eps, k - c*i)`` with ``k = sampling_start`` and
      ``eps = sampling_end`` (``0 <= end <= start <= 1``), the slope ``c`` set so ``p`` reaches
      ``eps`` at the last iteration: ``p_i = start + (end - start) * i / (iterations - 1)``;
    - ``"inverse-sigmoid"``: the paper's ``p_i = k / (k + exp(i / k))`` with ``k = sampling_k >= 1``
      (``sampling_start`` and ``sampling_end`` are not used).

    Rollout (multi-step) training adds to the teacher-forced loss the error of ``rollout_steps``
    (``k >= 0``) steps that the model draws by itself after reading the first ``rollout_prefix``
    (``>= 1``) true values, with gradients through the rollout; ``prefix + k`` must be less than
    the data's length.
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
    sampling_schedule: str = "linear"
    sampling_start: float = 1.0
    sampling_end: float = 0.5
    sampling_k: float = 200.0
    rollout_prefix: int = 10
    rollout_steps: int = 10

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
        check_choice("line_search", self.line_search, LINE_SEARCHES)
        if self.line_search is not None and self.optimizer != "lbfgs":
            raise ValueError(f"line_search applies to optimizer 'lbfgs' only, got optimizer {self.optimizer!r}")
        self._check_remedies()

    def _check_remedies(self) -> None:
        check_choice("sampling_schedule", self.sampling_schedule, SCHEDULES)
        check_float("sampling_start", self.sampling_start, low=0, high=1)
        check_float("sampling_end", self.sampling_end, low=0, high=1)
        if self.sampling_end > self.sampling_start:
            raise ValueError(
                f"sampling_end must be <= sampling_start={self.sampling_start} (the probability of the "
                f"true input decays), got {self.sampling_end}"
            )
        check_float("sampling_k", self.sampling_k, low=1)
        check_int("rollout_prefix", self.rollout_prefix, 1)
        check_int("rollout_steps", self.rollout_steps, 0)

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
        gradient and its optimiser state, and the four gates of every step kept for the backward pass
        (a rollout keeps its prefix and its own steps too)."""
        h = self.n_hidden
        size = 4 * h * (n_in + h + 1) + n_in * (h + 1)
        if self.method == "rollout":
            length += self.rollout_prefix + self.rollout_steps
        return self.torch_dtype.itemsize * (3 * size + 4 * n * length * h)

    def check_memory(self, n: int, length: int, n_in: int = 1) -> None:
        """Refuse, before allocating, a training that cannot fit in the memory of its device."""
        what = f"n_hidden={self.n_hidden} with {n} sequences of {length} steps"
        check_memory(what, self.memory_floor(n, length, n_in), self.device)

    def to_dict(self) -> dict[str, Any]:
        """Every field, except another method's remedy settings while at their defaults (see :data:`REMEDY_FIELDS`)."""
        values = dataclasses.asdict(self)
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for method, names in REMEDY_FIELDS.items():
            if method != self.method:
                values = {k: v for k, v in values.items() if k not in names or v != defaults[k]}
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a mapping (a YAML or JSON file); unknown keys are an error, not ignored, and missing
        ones take their defaults (so a config written before the remedies existed still reads)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; allowed: {sorted(known)}")
        values = dict(values)
        for name in ("lr", "sampling_start", "sampling_end", "sampling_k"):  # YAML's "lr: 1" is an int
            if isinstance(values.get(name), int) and not isinstance(values.get(name), bool):
                values[name] = float(values[name])
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
        if self.method == "scheduled-sampling":
            extra.append(self._schedule_label())
        if self.method == "rollout":
            extra.append(f"{self.rollout_steps} steps after {self.rollout_prefix}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        optimizer = self.optimizer + ("+wolfe" if self.line_search else "")
        return f"{self.method}{suffix}, {optimizer}"

    def _schedule_label(self) -> str:
        if self.sampling_schedule == "linear":
            return f"linear {self.sampling_start:g} to {self.sampling_end:g}"
        return f"inverse-sigmoid k {self.sampling_k:g}"
