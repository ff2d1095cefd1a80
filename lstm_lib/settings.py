"""The study's settings, defined once: the task, training, seeds and sweeps that chapters 4-7 share.

Each chapter builds its :class:`Study` with :func:`study_for` from the book's profile and
its own ``overrides`` (a papermill parameter), so a chapter can change any field while the
others keep the profile's values. Every field is validated on construction, and a misspelled
override is refused with the allowed names. Chapters that use the same settings build the same
configs, so a run trained for one chapter is read from the cache by the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_lib.fields import Settings, section, setting
from lstm_lib.model.esn import EsnSettings
from lstm_lib.port.example import PortSettings
from lstm_lib.runs.mackey_task import MackeyGlassTask
from lstm_lib.runs.task import WaveTask
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import SettingError, check_choice, excerpt

PROFILE_NAMES = ("full", "quick", "study")
REGIMES = ("easy", "hard")
STUDY_REGIMES = (*REGIMES, "example")
"""The book's chapters run :data:`REGIMES`; the study's campaign adds ``example``: the PyTorch example's own
scale, slow waves (T = 20) of 1000 steps and a 1000-step drawn horizon."""
TUNED_FROM = {"easy": "easy", "hard": "hard", "example": "hard"}
"""Whose tuning stage sets each regime's settings: ``example`` shares the hard regime's time scale and takes its
picks, as a tuning stage at 1000 steps costs more than the whole budget of item 7 of the study allows."""
"""``easy``: the book's fast waves (T = 6, 38 steps per oscillation), where plain training already
free-runs well; ``hard``: the PyTorch example's slow waves (T = 20, 126 steps per oscillation),
where a training sequence holds little more than one oscillation and plain training free-runs badly."""


def seed_list(default: tuple[int, ...], help: str, minimum: int = 2) -> tuple[int, ...]:  # noqa: A002
    """A list of distinct seeds (pairs are formed on shared seeds, so a repeat would count a seed twice)."""
    return setting(default, help, "seed", many=True, min_items=minimum, distinct=True)


@dataclass(frozen=True)
class Parallel(Settings):
    """Where a chapter's runs train: ``workers`` local processes, or the Dask cluster at ``scheduler``.
    The book runner passes ``book --scheduler`` down as this setting; nothing reads the environment."""

    workers: int = setting(2, "worker processes", "int", low=1)
    scheduler: str | None = setting(
        None, "Dask scheduler address to train on instead of the local workers", "text", optional=True
    )


@dataclass(frozen=True)
class ChapterSettings(Settings):
    """A chapter's settings: every chapter is built in one of the book's profiles (:data:`PROFILES`)."""

    profile: str = setting("full", "the book's profile", "choice", choices=PROFILE_NAMES)


@dataclass(frozen=True)
class TuningGrids(Settings):
    """The tuning stage (:mod:`lstm_lib.study.tuning`): its seeds, and the grid of Adagrad's rate and of each
    objective's setting. Chapters 4-7 and chapter 10 each hold one, with their own defaults; chapters 5 and 6
    sweep the study's weighting rates and noise levels too."""

    tuning_seeds: tuple[int, ...] = seed_list(
        (1000, 1001, 1002), "seeds of the tuning stage, never seeds of a comparison", minimum=1
    )
    adagrad_lrs: tuple[float, ...] = setting(
        (0.02, 0.05, 0.1, 0.2), "tuning grid: Adagrad's learning rates", "float", low=0, low_open=True, many=True
    )
    weight_rates: tuple[float, ...] = setting(
        (0.95, 0.99, 0.999), "tuning grid: weighting rates", "float", low=0, high=1, low_open=True, many=True
    )
    noise_stds: tuple[float, ...] = setting(
        (0.02, 0.05, 0.1, 0.2), "tuning grid: noise levels", "float", low=0, low_open=True, high=10, many=True
    )
    sampling_ends: tuple[float, ...] = setting(
        (0.0, 0.5, 0.8), "tuning grid: scheduled sampling's last probability of a true input (linear from 1)",
        "float", low=0, high=1, many=True,
    )  # fmt: skip
    rollout_lengths: tuple[int, ...] = setting(
        (10, 30), "tuning grid: rollout steps the model draws by itself inside the loss", "int", low=1, many=True
    )


@dataclass(frozen=True)
class Study(ChapterSettings):
    """Everything the multi-seed chapters share. See :data:`PROFILES` for the values per profile.

    ``waves``: the task (training waves, held-out waves and how they are judged) of the easy regime;
    the hard regime differs by its time scale ``hard_period``. ``training``: plain Adagrad training,
    the article's set-up, with the tricks' main settings. Seeds per comparison, the sweeps of the
    tricks' settings and the baselines' learning rates complete it. Flat names reach into the
    sections: ``study.iterations`` is ``study.training.iterations``.
    """

    waves: WaveTask = section(WaveTask, "the easy regime's waves and their evaluation")
    training: TrainConfig = section(lambda: TrainConfig(dtype="float32"), "plain Adagrad training, the article's")
    hard_period: float = setting(20.0, "the hard regime's time scale T", "float", low=0, low_open=True, high=1e6)
    example_length: int = setting(1000, "the example regime's steps per training wave", "int", low=2)
    example_horizon: int = setting(1000, "the example regime's free-running steps judged", "int", low=1)
    seeds: tuple[int, ...] = seed_list(tuple(range(24)), "seeds of the easy regime's comparisons")
    hard_seeds: tuple[int, ...] = seed_list(tuple(range(20)), "seeds of the hard regime's comparisons")
    example_seeds: tuple[int, ...] = seed_list(tuple(range(8)), "seeds of the example regime's comparisons")
    optimizer_seeds: tuple[int, ...] = seed_list(tuple(range(8)), "seeds of the optimiser comparison")
    sweep_seeds: tuple[int, ...] = seed_list(tuple(range(6)), "seeds of the sweeps of the tricks' settings")
    tuning: TuningGrids = section(TuningGrids, "the tuning stage's seeds and grids (chapters 5 and 6 sweep them)")
    sgd_lrs: tuple[float, ...] = setting(
        (3e-5, 1e-4, 3e-4, 1e-3), "tuning grid: SGD's learning rates", "float", low=0, low_open=True, many=True
    )
    lbfgs_lrs: tuple[float, ...] = setting(
        (0.2, 0.5, 0.8, 1.0), "tuning grid: L-BFGS's fixed steps", "float", low=0, low_open=True, many=True
    )
    wolfe_lrs: tuple[float, ...] = setting(
        (0.5, 1.0), "tuning grid: L-BFGS's first step before the strong-Wolfe search", "float", low=0,
        low_open=True, many=True,
    )  # fmt: skip
    sgd_lr: float = setting(1e-4, "SGD's learning rate", "float", low=0, low_open=True)
    lbfgs_lr: float = setting(0.8, "L-BFGS's fixed step", "float", low=0, low_open=True)
    parallel: Parallel = section(Parallel, "where the runs train")

    def validate(self) -> None:
        evaluation = {"seeds": self.seeds, "hard_seeds": self.hard_seeds, "example_seeds": self.example_seeds,
                      "optimizer_seeds": self.optimizer_seeds}  # fmt: skip
        for name, seeds in evaluation.items():
            shared = sorted(set(self.tuning_seeds) & set(seeds))
            if shared:
                raise SettingError(
                    "tuning_seeds",
                    f"tuning_seeds must be disjoint from the comparisons' seeds (settings are tuned apart from where "
                    f"they are judged), but {shared} are also in {name}",
                )

    def task(self, regime: str = "easy") -> WaveTask:
        """The wave task of ``regime`` (one of :data:`STUDY_REGIMES`)."""
        check_choice("regime", regime, STUDY_REGIMES)
        if regime == "easy":
            return self.waves
        if regime == "hard":
            return self.waves.replace(period=self.hard_period)
        return self.waves.replace(period=self.hard_period, length=self.example_length, horizon=self.example_horizon)

    def regime_seeds(self, regime: str = "easy") -> list[int]:
        check_choice("regime", regime, STUDY_REGIMES)
        return list({"easy": self.seeds, "hard": self.hard_seeds, "example": self.example_seeds}[regime])

    def base(self) -> TrainConfig:
        """Plain training with Adagrad: the article's set-up."""
        return self.training.replace(method="plain", optimizer="adagrad")

    def methods(self) -> dict[str, TrainConfig]:
        """Plain, weighted, denoising and both tricks, at the main settings, trained with Adagrad."""
        methods = ("plain", "weighted", "denoising", "weighted+denoising")
        return {m: self.training.replace(method=m, optimizer="adagrad") for m in methods}

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


@dataclass(frozen=True)
class ArticleRun(ChapterSettings):
    """Chapters 1-3 and the timing appendix: the article's network trained once, on one seed."""

    training: TrainConfig = section(TrainConfig, "the article's training")


@dataclass(frozen=True)
class Timing(ChapterSettings):
    """The timing appendix: the article's network timed on ``bench_waves`` waves of ``bench_length`` steps."""

    training: TrainConfig = section(TrainConfig, "the network timed (its size and seed)")
    bench_waves: int = setting(16, "waves per timed batch", "int", low=1)
    bench_length: int = setting(160, "steps per timed wave", "int", low=2)
    repeats: int = setting(3, "timings per measurement (the fastest is kept)", "int", low=1)


@dataclass(frozen=True)
class PortChapter(ChapterSettings):
    """Chapter 8: the PyTorch example's port (``port``) on ``port_seeds``, the library trained on the port's
    data (``library``) on ``lib_seeds``, and upstream's own run replayed for ``replay_steps`` L-BFGS steps."""

    port: PortSettings = section(lambda: PortSettings(length=200, steps=6, future=500), "the port's runs")
    port_seeds: tuple[int, ...] = seed_list((0, 1, 2), "seeds of the port's runs", minimum=1)
    library: TrainConfig = section(
        lambda: TrainConfig(iterations=300, dtype="float32"), "the library's training on the port's waves"
    )
    lib_seeds: tuple[int, ...] = seed_list((0, 1, 2), "seeds of the library's runs", minimum=1)
    parallel: Parallel = section(Parallel, "where the runs train")
    replay_steps: int = setting(6, "L-BFGS steps of the replayed upstream run", "int", low=1)
    replay_length: int = setting(1000, "steps per wave of the replayed run", "int", low=3)
    replay_future: int = setting(1000, "free-running steps drawn by the replayed run", "int", low=1)


@dataclass(frozen=True)
class BeyondSine(ChapterSettings):
    """Chapter 10: the article's recipe on Mackey-Glass, beside an echo state network.

    The LSTM's settings (Adagrad's rate, then each objective's setting at it) are tuned on
    ``tuning_seeds`` by the study's rule and compared on ``seeds``; the ESN's spectral radius and
    feedback scale are tuned on the same tuning seeds and judged on ``esn_seeds``, which hold the
    LSTM's seeds, so every LSTM seed has an ESN trained on the same series beside it.
    """

    series: MackeyGlassTask = section(MackeyGlassTask, "the series, its training windows and held-out windows")
    training: TrainConfig = section(lambda: TrainConfig(dtype="float32"), "the article's training of the LSTM")
    esn: EsnSettings = section(EsnSettings, "the echo state network")
    seeds: tuple[int, ...] = seed_list(tuple(range(10)), "seeds of the LSTM's comparisons")
    esn_seeds: tuple[int, ...] = seed_list(tuple(range(20)), "seeds of the ESN's trials (holding the LSTM's seeds)")
    tuning: TuningGrids = section(
        lambda: TuningGrids(adagrad_lrs=(0.02, 0.05, 0.1), weight_rates=(0.99, 0.995, 0.999),
                            noise_stds=(0.01, 0.03, 0.1), sampling_ends=(0.5, 0.8)),
        "the LSTM's tuning seeds and grids",
    )  # fmt: skip
    spectral_radii: tuple[float, ...] = setting(
        (0.8, 0.9, 0.95), "tuning grid: the ESN's spectral radius", "float", low=0, low_open=True, high=2, many=True
    )
    feedback_scales: tuple[float, ...] = setting(
        (0.5, 1.0, 2.0), "tuning grid: the ESN's feedback scale", "float", low=0, low_open=True, high=100, many=True
    )
    parallel: Parallel = section(Parallel, "where the runs train")

    def validate(self) -> None:
        for name, seeds in (("seeds", self.seeds), ("esn_seeds", self.esn_seeds)):
            shared = sorted(set(self.tuning_seeds) & set(seeds))
            if shared:
                raise SettingError("tuning_seeds", f"tuning_seeds must be disjoint from {name}, but share {shared}")
        if not set(self.seeds) <= set(self.esn_seeds):
            raise SettingError("esn_seeds", f"esn_seeds must hold every LSTM seed {list(self.seeds)} (to pair them)")
        every = (*self.seeds, *self.esn_seeds, *self.tuning_seeds)
        if self.test_seed in every:
            raise SettingError("test_seed", f"test_seed={self.test_seed} must not be a training seed")


STUDY_QUICK: dict[str, Any] = {
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
    "example_length": 50,
    "example_horizon": 60,
    "example_seeds": (0, 1),
    "tuning_seeds": (1000, 1001),
    "adagrad_lrs": (0.05, 0.1),
    "sgd_lrs": (0.001,),
    "lbfgs_lrs": (0.8,),
    "wolfe_lrs": (1.0,),
    "sampling_ends": (0.5,),
    "rollout_lengths": (5,),
}
STUDY_POWERED: dict[str, Any] = {
    "seeds": tuple(range(30)),
    "hard_seeds": tuple(range(30)),
    "optimizer_seeds": tuple(range(30)),
    "example_seeds": tuple(range(8)),
}
"""The study's seed counts, set by its budget (about 4 hours on 2 cores, :mod:`lstm_lib.study.campaign`):
30 paired seeds per comparison in the 160-step regimes, 8 at the example's scale (a run there costs about
six). Detecting a ×1.5 effect with 80% power would need up to about 200 paired seeds for the tricks;
chapter 7 shows, per comparison, the effect these seeds can detect."""
STUDY_CHAPTERS = ("04_adagrad", "05_weighted_training", "06_denoising", "07_conclusion")

CHAPTERS: dict[str, Settings] = {
    "01_lstm_cell": ArticleRun().replace(iterations=300),
    "02_scan_loop": ArticleRun(),
    "03_loss": ArticleRun().replace(iterations=100),
    **dict.fromkeys(STUDY_CHAPTERS, Study()),
    "10_beyond_sine": BeyondSine(),
    "08_pytorch_port": PortChapter(),
    "09_timing": Timing(),
}
"""Each chapter's settings in the ``full`` profile: the book as published, in the table of contents' order
(chapter 10, beyond the article, comes before the appendix of chapters 8 and 9)."""

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "full": {},
    "quick": {
        "01_lstm_cell": {"iterations": 30},
        "03_loss": {"iterations": 30},
        **dict.fromkeys(STUDY_CHAPTERS, STUDY_QUICK),
        "08_pytorch_port": {
            "port_seeds": (0, 1),
            "n_waves": 8,
            "length": 30,
            "steps": 2,
            "future": 40,
            "iterations": 20,
            "lib_seeds": (0, 1),
            "workers": 1,
            "replay_steps": 2,
            "replay_length": 30,
            "replay_future": 20,
        },  # fmt: skip
        "09_timing": {"bench_waves": 4, "bench_length": 50, "repeats": 1},
        "10_beyond_sine": {
            "transient": 200,
            "train_steps": 400,
            "washout": 100,
            "window": 100,
            "n_test": 3,
            "long_horizon": 90,
            "prime_lengths": (100,),
            "iterations": 20,
            "seeds": (0, 1),
            "esn_seeds": (0, 1),
            "tuning_seeds": (1000,),
            "adagrad_lrs": (0.05,),
            "weight_rates": (0.99,),
            "noise_stds": (0.03,),
            "sampling_ends": (0.5,),
            "rollout_lengths": (5,),
            "units": 200,
            "spectral_radii": (0.9,),
            "feedback_scales": (1.0,),
            "workers": 1,
        },  # fmt: skip
    },
    "study": dict.fromkeys(STUDY_CHAPTERS, STUDY_POWERED),
}
"""Each profile's changes to :data:`CHAPTERS`, per chapter: ``quick`` is tiny, for CI; ``study`` has the
power analysis's seed counts. The one place where profiles are defined."""


def settings_for(chapter: str, profile: str, overrides: dict[str, Any] | None = None) -> Settings:
    """The settings of ``chapter`` in ``profile``, with the chapter's ``overrides`` on top, each validated once.

    The book runner and the chapter itself both call this, so what the runner checks is what the kernel runs.
    """
    check_choice("chapter", chapter, tuple(CHAPTERS))
    check_choice("profile", profile, PROFILE_NAMES)
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict) or not all(isinstance(k, str) for k in overrides):
        raise SettingError("overrides", f"overrides must be a mapping of settings by name, got {excerpt(overrides)}")
    if "profile" in overrides:
        raise SettingError(
            "overrides",
            f"overrides cannot set profile (got {excerpt(overrides['profile'])}): the profile is chosen by the "
            "chapter's profile parameter (book --profile); overrides change the other settings",
        )
    base = CHAPTERS[chapter].replace(profile=profile, **PROFILES[profile].get(chapter, {}))
    return base.replace(**overrides)


def study_for(profile: str, /, **overrides: Any) -> Study:
    """The study settings (chapters 4-7) of ``profile`` with ``overrides`` on top."""
    return settings_for(STUDY_CHAPTERS[0], profile, overrides)  # type: ignore[return-value]
