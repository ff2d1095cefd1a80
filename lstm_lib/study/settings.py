"""The study's settings, defined once: the task, training, seeds and sweeps that chapters 4-7 share.

Each chapter builds its :class:`Study` with :func:`study_for` from the book's profile and
its own ``overrides`` (a papermill parameter), so a chapter can change any field while the
others keep the profile's values. Every field is validated on construction, and a misspelled
override is refused with the allowed names. Chapters that use the same settings build the same
configs, so a run trained for one chapter is read from the cache by the next.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lstm_lib.study.task import ARTICLE_ITERATIONS, WaveTask
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import check_choice, check_float, check_int, check_seed, excerpt

REGIMES = ("easy", "hard")
"""``easy``: the book's fast waves (T = 6, 38 steps per oscillation), where plain training already
free-runs well; ``hard``: the PyTorch example's slow waves (T = 20, 126 steps per oscillation),
where a training sequence holds little more than one oscillation and plain training free-runs badly."""


def _seeds(name: str, value: object, minimum: int = 1) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or len(value) < minimum:
        raise ValueError(f"{name} must be a list of at least {minimum} distinct seeds, got {str(value)[:80]}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} must not repeat a seed, got {str(value)[:80]}")
    return tuple(check_seed(f"{name}[{k}]", s) for k, s in enumerate(value))


@dataclass(frozen=True)
class Study:
    """Everything the multi-seed chapters share. See :data:`PROFILES` for the values per profile.

    Task: ``n_train`` training waves of ``length`` steps, time scales ``period`` (easy regime)
    or ``hard_period`` (hard regime) ± ``spread``; ``n_test`` held-out waves primed on each of
    ``prime_lengths`` and run for ``horizon`` steps. Training: ``iterations`` Adagrad steps at
    ``lr`` in ``dtype``, ``n_hidden`` units. Seeds: ``seeds`` (easy), ``hard_seeds``,
    ``optimizer_seeds``, ``sweep_seeds`` (each a prefix-compatible list: pairs are formed on
    shared seeds). Tricks: ``weight_rate``, ``noise_std`` and the sweeps ``weight_rates``,
    ``noise_stds``. Baselines: ``sgd_lr``, ``lbfgs_lr``.
    """

    profile: str = "full"
    n_train: int = 16
    length: int = 160
    period: float = 6.0
    hard_period: float = 20.0
    spread: float = 0.01
    n_test: int = 32
    prime_lengths: tuple[int, ...] = (60, 100)
    horizon: int = 300
    iterations: int = ARTICLE_ITERATIONS
    lr: float = 0.05
    n_hidden: int = 51
    dtype: str = "float32"
    seeds: tuple[int, ...] = tuple(range(24))
    hard_seeds: tuple[int, ...] = tuple(range(20))
    optimizer_seeds: tuple[int, ...] = tuple(range(8))
    sweep_seeds: tuple[int, ...] = tuple(range(6))
    weight_rate: float = 0.99
    noise_std: float = 0.05
    weight_rates: tuple[float, ...] = (0.95, 0.99, 0.999)
    noise_stds: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    sgd_lr: float = 1e-4
    lbfgs_lr: float = 0.8
    workers: int = 2

    def __post_init__(self) -> None:
        check_choice("profile", self.profile, tuple(PROFILE_NAMES))
        for name in ("seeds", "hard_seeds", "optimizer_seeds", "sweep_seeds"):
            object.__setattr__(self, name, _seeds(name, getattr(self, name), minimum=2))
        for name in ("prime_lengths", "weight_rates", "noise_stds"):
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)) or not value:
                raise ValueError(f"{name} must be a non-empty list, got {str(value)[:80]}")
            object.__setattr__(self, name, tuple(value))
        for r in self.weight_rates + (self.weight_rate,):
            check_float("weight_rates[]", r, low=0, high=1, low_open=True)
        for s in self.noise_stds + (self.noise_std,):
            check_float("noise_stds[]", s, low=0, low_open=True, high=10)
        check_float("hard_period", self.hard_period, low=0, low_open=True, high=1e6)
        check_float("sgd_lr", self.sgd_lr, low=0, low_open=True)
        check_float("lbfgs_lr", self.lbfgs_lr, low=0, low_open=True)
        check_int("workers", self.workers, 1)
        self.task("easy")  # validates the task's fields
        self.base()  # validates the training fields

    def replace(self, **changes: Any) -> Study:
        """A copy with ``changes``; an unknown name is refused, naming the allowed ones."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown study setting(s) {unknown}; allowed: {sorted(known)}")
        return dataclasses.replace(self, **changes)

    def task(self, regime: str = "easy") -> WaveTask:
        """The wave task of ``regime`` (``easy`` or ``hard``)."""
        check_choice("regime", regime, REGIMES)
        return WaveTask(
            n_train=self.n_train,
            length=self.length,
            period=self.period if regime == "easy" else self.hard_period,
            spread=self.spread,
            n_test=self.n_test,
            prime_lengths=self.prime_lengths,
            horizon=self.horizon,
        )

    def regime_seeds(self, regime: str = "easy") -> list[int]:
        check_choice("regime", regime, REGIMES)
        return list(self.seeds if regime == "easy" else self.hard_seeds)

    def base(self) -> TrainConfig:
        """Plain training with Adagrad: the article's set-up."""
        return TrainConfig(
            method="plain", optimizer="adagrad", iterations=self.iterations, lr=self.lr,
            n_hidden=self.n_hidden, dtype=self.dtype, weight_rate=self.weight_rate, noise_std=self.noise_std,
        )  # fmt: skip

    def methods(self) -> dict[str, TrainConfig]:
        """Plain, weighted, denoising and both tricks, at the main settings."""
        base = self.base()
        return {m: base.replace(method=m) for m in ("plain", "weighted", "denoising", "weighted+denoising")}

    def optimizers(self) -> dict[str, TrainConfig]:
        """Adagrad, SGD, and L-BFGS with and without a line search, at an equal budget of gradient evaluations.

        An L-BFGS step evaluates the loss up to ``lbfgs_max_iter`` times (20), so it gets
        ``iterations // 20`` steps; with the line search a step may evaluate a few more times
        (the ``evaluations`` column counts them all).
        """
        base = self.base()
        steps = max(1, self.iterations // base.lbfgs_max_iter)
        lbfgs = base.replace(optimizer="lbfgs", lr=self.lbfgs_lr, iterations=steps)
        return {
            "adagrad": base,
            "sgd": base.replace(optimizer="sgd", lr=self.sgd_lr),
            "lbfgs": lbfgs,
            "lbfgs+wolfe": lbfgs.replace(lr=1.0, line_search="strong_wolfe"),
        }

    def sweep(self, trick: str) -> dict[float, TrainConfig]:
        """The settings tried for one trick: ``weighted`` over ``weight_rates``, ``denoising`` over ``noise_stds``."""
        check_choice("trick", trick, ("weighted", "denoising"))
        base = self.base().replace(method=trick)
        if trick == "weighted":
            return {r: base.replace(weight_rate=r) for r in self.weight_rates}
        return {s: base.replace(noise_std=s) for s in self.noise_stds}


PROFILES: dict[str, dict[str, Any]] = {
    "full": {},
    "quick": {
        "n_train": 4,
        "length": 40,
        "n_test": 4,
        "prime_lengths": (20,),
        "horizon": 60,
        "iterations": 40,
        "seeds": (0, 1, 2),
        "hard_seeds": (0, 1, 2),
        "optimizer_seeds": (0, 1, 2),
        "sweep_seeds": (0, 1, 2),
        "weight_rates": (0.95, 0.99),
        "noise_stds": (0.05, 0.1),
        "sgd_lr": 0.001,
        "workers": 1,
    },
    "study": {
        "seeds": tuple(range(200)),
        "hard_seeds": tuple(range(200)),
        "optimizer_seeds": tuple(range(120)),
        "sweep_seeds": tuple(range(50)),
    },
}
"""Each profile's changes to :class:`Study`'s defaults (``full``). ``quick`` is tiny, for CI.
``study`` has the seed counts that the power analysis of chapter 7 asks for: with the spread the
full profile measured, detecting a ×1.5 effect with 80% power needs up to about 200 paired seeds
for the tricks and 120 for the optimisers (chapter 7's power column gives each comparison's count)."""
PROFILE_NAMES = tuple(PROFILES)


def study_for(profile: str, /, **overrides: Any) -> Study:
    """The settings of ``profile``, with a chapter's ``overrides`` on top (both validated).

    ``profile`` is positional-only so that ``overrides`` holding a ``profile`` key is refused by name,
    not by Python's "multiple values for argument" ``TypeError``.
    """
    check_choice("profile", profile, PROFILE_NAMES)
    if "profile" in overrides:
        raise ValueError(
            f"overrides cannot set profile (got {excerpt(overrides['profile'])}): the profile is chosen by the "
            "chapter's profile parameter (book --profile); overrides change the other study settings"
        )
    allowed = sorted(f.name for f in dataclasses.fields(Study) if f.name != "profile")
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"unknown study setting(s) {excerpt(unknown)}; allowed: {allowed}")
    return Study(profile=profile).replace(**PROFILES[profile]).replace(**overrides)
