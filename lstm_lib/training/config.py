"""What one training run does, checked in full before any work starts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch

from lstm_lib.fields import Settings, setting
from lstm_lib.model.network import BACKENDS
from lstm_lib.validation import DTYPES, SettingError, check_dtype, check_memory

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
class TrainConfig(Settings):
    """One training run. Every field is validated on construction (:class:`SettingError` naming the field).

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

    method: str = setting("plain", "training objective", "choice", choices=METHODS)
    optimizer: str = setting("adagrad", "optimiser", "choice", choices=OPTIMIZERS)
    iterations: int = setting(1000, "optimiser steps", "int", low=1)
    lr: float = setting(0.05, "learning rate", "float", low=0, low_open=True)
    n_hidden: int = setting(51, "LSTM hidden units", "int", low=1)
    seed: int = setting(0, "seed of the initial weights, the input noise and the sampling coins", "seed")
    noise_std: float = setting(0.05, "standard deviation of the input noise of the denoising methods", "float", low=0)
    weight_rate: float = setting(
        0.99, "per-step loss decay rate of the weighted methods", "float", low=0, high=1, low_open=True
    )
    clip: float | None = setting(None, "cap on the gradient's L2 norm", "float", low=0, low_open=True, optional=True)
    dtype: str = setting("float64", "floating-point type", "choice", choices=tuple(DTYPES))
    device: str = setting("cpu", "torch device", "choice", choices=("cpu", "cuda"))
    backend: str = setting("fused", "LSTM implementation", "choice", choices=BACKENDS)
    lbfgs_max_iter: int = setting(20, "loss evaluations per L-BFGS step", "int", low=1)
    line_search: str | None = setting(
        None, "L-BFGS line search; none is the PyTorch example's fixed step lr", "choice", choices=LINE_SEARCHES,
        optional=True,
    )  # fmt: skip
    sampling_schedule: str = setting(
        "linear", "scheduled sampling's decay of the probability of a true input", "choice", choices=SCHEDULES
    )
    sampling_start: float = setting(
        1.0, "linear schedule: that probability at the first iteration", "float", low=0, high=1
    )
    sampling_end: float = setting(
        0.5, "linear schedule: that probability at the last iteration (<= sampling_start)", "float", low=0, high=1
    )
    sampling_k: float = setting(200.0, "inverse-sigmoid schedule: k of p = k / (k + exp(i / k))", "float", low=1)
    rollout_prefix: int = setting(10, "rollout: true values read before the model runs by itself", "int", low=1)
    rollout_steps: int = setting(10, "rollout: steps the model runs on its own outputs inside the loss", "int", low=0)

    def validate(self) -> None:
        if self.device == "cuda" and not torch.cuda.is_available():
            raise SettingError(
                "device", "device must be 'cpu' on this machine: 'cuda' was given but no GPU is available"
            )
        if self.line_search is not None and self.optimizer != "lbfgs":
            raise SettingError(
                "line_search", f"line_search applies to optimizer 'lbfgs' only, got optimizer {self.optimizer!r}"
            )
        if self.sampling_end > self.sampling_start:
            raise SettingError(
                "sampling_end",
                f"sampling_end must be <= sampling_start={self.sampling_start} (the probability of the "
                f"true input decays), got {self.sampling_end}",
            )

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
        return cls().replace(**values)

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
