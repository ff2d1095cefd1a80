"""Settings tuned on their own seeds, then judged on others: the study's tuning stage.

A comparison run at settings picked on its own seeds flatters whichever method was tuned most.
So each regime's settings are picked on :attr:`~lstm_lib.settings.Study.tuning_seeds`, which the
settings model keeps disjoint from every comparison's seeds, and the comparisons then run at the
picks on fresh seeds. Two steps, in order:

1. **optimisers**: the learning rate of Adagrad, SGD, L-BFGS with a fixed step and L-BFGS with a
   strong-Wolfe line search, each training plain (the article's objective), on its grid;
2. **objectives**: at Adagrad's picked rate, the weighting rate, the noise level, scheduled
   sampling's last probability of a true input and the rollout's length, each on its grid. Both
   tricks together take the weighting rate and the noise level picked for each alone.

A pick at a grid's edge extends that grid past the edge and is picked again (:data:`EXTENSIONS`).

:data:`RULE` is the selection rule: the lowest median free-running error over the tuning seeds, a
diverged run counting as an infinite error; a tie goes to the grid's first value.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lstm_lib.runs.experiments import Table
from lstm_lib.settings import Study
from lstm_lib.training.config import TrainConfig

RULE = (
    "lowest median free-running MSE over the tuning seeds (a diverged run counts as an infinite error; "
    "a tie goes to the grid's first value)"
)
OPTIMIZERS = ("adagrad", "sgd", "lbfgs", "lbfgs+wolfe")
OBJECTIVES = ("weighted", "denoising", "scheduled-sampling", "rollout")
GRIDS = {
    "adagrad": "adagrad_lrs",
    "sgd": "sgd_lrs",
    "lbfgs": "lbfgs_lrs",
    "lbfgs+wolfe": "wolfe_lrs",
    "weighted": "weight_rates",
    "denoising": "noise_stds",
    "scheduled-sampling": "sampling_ends",
    "rollout": "rollout_lengths",
}
"""Each tuned choice and the :class:`~lstm_lib.settings.Study` field that holds its grid."""
METHODS = ("plain", "weighted", "denoising", "weighted+denoising", "scheduled-sampling", "rollout")
"""The training objectives every regime compares: the article's, both tricks, and the two remedies."""


def _optimizer(study: Study, name: str, lr: float) -> TrainConfig:
    """Plain training with optimiser ``name`` at rate ``lr``, at Adagrad's budget of gradient evaluations:
    an L-BFGS step evaluates the loss up to ``lbfgs_max_iter`` times, so it gets ``iterations // lbfgs_max_iter``
    steps."""
    base = study.training.replace(method="plain", optimizer="adagrad", lr=lr)
    if name in ("adagrad", "sgd"):
        return base.replace(optimizer=name)
    steps = max(1, study.iterations // base.lbfgs_max_iter)
    search = "strong_wolfe" if name == "lbfgs+wolfe" else None
    return base.replace(optimizer="lbfgs", iterations=steps, line_search=search)


def _objective(study: Study, name: str, value: float, adagrad_lr: float) -> TrainConfig:
    """Adagrad at ``adagrad_lr`` training objective ``name`` with its tuned setting at ``value``."""
    base = study.training.replace(optimizer="adagrad", lr=adagrad_lr, method=name)
    field = {"weighted": "weight_rate", "denoising": "noise_std", "scheduled-sampling": "sampling_end",
             "rollout": "rollout_steps"}[name]  # fmt: skip
    extra = {"sampling_schedule": "linear", "sampling_start": 1.0} if name == "scheduled-sampling" else {}
    return base.replace(**{field: value}, **extra)


def optimizer_grid(study: Study) -> dict[str, dict[float, TrainConfig]]:
    """Step 1's candidates: optimiser -> learning rate -> config."""
    return {name: {lr: _optimizer(study, name, lr) for lr in getattr(study, GRIDS[name])} for name in OPTIMIZERS}


def objective_grid(study: Study, adagrad_lr: float) -> dict[str, dict[float, TrainConfig]]:
    """Step 2's candidates, at Adagrad's picked rate: objective -> setting -> config."""
    return {
        name: {v: _objective(study, name, v, adagrad_lr) for v in getattr(study, GRIDS[name])} for name in OBJECTIVES
    }


def score(table: Table) -> float:
    """The selection rule's score of one candidate: median free-running MSE over its seeds, diverged = inf."""
    values = [v if math.isfinite(v) else math.inf for v in table.column("free_mse")]
    if not values:
        raise ValueError("a candidate needs at least one run to be scored")
    return statistics.median(values)


@dataclass(frozen=True)
class Pick:
    """One tuned choice: the grid, each value's score (:func:`score`) and the value picked by :data:`RULE`."""

    name: str
    scores: dict[float, float]
    value: float

    @property
    def at_edge(self) -> bool:
        """Whether the pick is the grid's smallest or largest value (the best may lie beyond the grid)."""
        return len(self.scores) > 1 and self.value in (min(self.scores), max(self.scores))

    def text(self) -> str:
        grid = ", ".join(f"{v:g}: {s:.3g}" for v, s in self.scores.items())
        return f"{self.name}: picked {self.value:g} (median free-running MSE {grid})"


def pick(name: str, candidates: Mapping[float, Table]) -> Pick:
    """Apply :data:`RULE` to ``candidates`` (grid value -> its runs on the tuning seeds)."""
    if not candidates:
        raise ValueError(f"{name}: no candidates to pick from")
    scores = {value: score(table) for value, table in candidates.items()}
    best = min(scores, key=lambda v: (scores[v], list(scores).index(v)))
    return Pick(name, scores, best)


EXTENSIONS = 2
"""A pick at the grid's edge may hide a better value beyond it: the grid is then extended by one step past that
edge (the spacing of its two outermost values), and picked again, at most this many times per setting."""
COMPLEMENT = ("weighted", "scheduled-sampling")
"""Settings spaced by ``1 - value``: a decay rate near 1, a probability of a true input."""


def longest_rollout(window: int, prefix: int) -> int:
    """The longest rollout that fits a training window of ``window`` points after a true prefix of ``prefix``."""
    return window - 1 - prefix


def extension(pick: Pick, max_rollout: int) -> float | None:
    """The next value past the edge where ``pick`` lies, or ``None`` (an interior pick, a single value, or a bound:
    a probability cannot go below 0, a rate must stay in (0, 1), the rollout must fit ``max_rollout`` steps)."""
    if not pick.at_edge:
        return None
    values = sorted(pick.scores)
    edge, inner = (values[0], values[1]) if pick.value == values[0] else (values[-1], values[-2])
    flip = pick.name in COMPLEMENT
    if flip:
        edge, inner = 1 - edge, 1 - inner
    beyond = float(f"{edge * (edge / inner):.2g}")  # one more step of the same ratio, in the spaced coordinate
    if flip and beyond > 1:
        return None  # below a probability of 0
    value: float = 1 - beyond if flip else beyond
    if pick.name == "rollout":
        value = int(round(value))
        if not 1 <= value <= max_rollout:
            return None
    return None if value in pick.scores else value


def tune(
    grid: Mapping[str, Mapping[float, TrainConfig]],
    make: Callable[[str, float], TrainConfig],
    runs_of: Callable[[dict[tuple[str, float], TrainConfig]], Mapping[tuple[str, float], Table]],
    max_rollout: int,
) -> dict[str, Pick]:
    """Pick every setting of ``grid`` by :data:`RULE`, extending a grid past an edge pick (:data:`EXTENSIONS`).

    ``make(name, value)`` builds a candidate's config; ``runs_of(candidates)`` gives each candidate's runs on the
    tuning seeds (the campaign trains them; the book reads them from the rows), so both take the same steps.
    """
    candidates = {(name, v): c for name, values in grid.items() for v, c in values.items()}
    tables = dict(runs_of(candidates))
    values = {name: sorted(g) for name, g in grid.items()}
    picks = {name: pick(name, {v: tables[(name, v)] for v in values[name]}) for name in grid}
    for _ in range(EXTENSIONS):
        more = {}
        for name, chosen in picks.items():
            value = extension(chosen, max_rollout)
            if value is not None:
                more[(name, value)] = make(name, value)
        if not more:
            break
        tables |= runs_of(more)
        for name, value in more:
            values[name] = sorted([*values[name], value])
            picks[name] = pick(name, {v: tables[(name, v)] for v in values[name]})
    return picks


def make_optimizer(study: Study) -> Callable[[str, float], TrainConfig]:
    """Step 1's candidate builder: optimiser ``name`` at learning rate ``value``."""
    return lambda name, value: _optimizer(study, name, value)


def make_objective(study: Study, adagrad_lr: float) -> Callable[[str, float], TrainConfig]:
    """Step 2's candidate builder: objective ``name`` with its setting at ``value``, Adagrad at ``adagrad_lr``."""
    return lambda name, value: _objective(study, name, value, adagrad_lr)


def tuned_methods(study: Study, picks: Mapping[str, Pick]) -> dict[str, TrainConfig]:
    """The six objectives of :data:`METHODS` at the picked settings, trained with Adagrad at its picked rate."""
    lr = picks["adagrad"].value
    configs = {"plain": _optimizer(study, "adagrad", lr)}
    for name in OBJECTIVES:
        configs[name] = _objective(study, name, picks[name].value, lr)
    both = configs["weighted"].replace(method="weighted+denoising", noise_std=picks["denoising"].value)
    configs["weighted+denoising"] = both
    return {m: configs[m] for m in METHODS}


def tuned_optimizers(study: Study, picks: Mapping[str, Pick]) -> dict[str, TrainConfig]:
    """The four optimisers training plain, each at its picked rate, at an equal budget of gradient evaluations."""
    return {name: _optimizer(study, name, picks[name].value) for name in OPTIMIZERS}
