"""The tuning stage: seeds kept apart from the comparisons, the selection rule, and the configs it picks."""

from __future__ import annotations

import math

import pytest

from lstm_lib.runs.experiments import Table
from lstm_lib.runs.trial import Run
from lstm_lib.settings import PROFILE_NAMES, study_for
from lstm_lib.study import tuning
from lstm_lib.validation import SettingError


def runs(*free_mse: float) -> Table:
    """A candidate's runs with the given free-running errors (NaN: diverged)."""
    rows = [{"free_mse": v, "diverged": math.isnan(v)} for v in free_mse]
    return Table([Run(r, None, None, None) for r in rows])


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_tuning_seeds_are_never_comparison_seeds(profile):
    study = study_for(profile)
    tuning_seeds = set(study.tuning_seeds)
    for regime in ("easy", "hard", "example"):
        assert not tuning_seeds & set(study.regime_seeds(regime))
    assert not tuning_seeds & set(study.optimizer_seeds)


@pytest.mark.parametrize("name", ["seeds", "hard_seeds", "example_seeds", "optimizer_seeds"])
def test_a_tuning_seed_among_the_comparisons_seeds_is_refused(name):
    with pytest.raises(SettingError, match=rf"tuning_seeds must be disjoint.*\[7777\] are also in {name}$") as info:
        study_for("full", **{name: (7777, 7778)}, tuning_seeds=(7777, 5000))
    assert info.value.field == "tuning_seeds"


def test_the_rule_takes_the_lowest_median_and_counts_a_divergence_as_infinite():
    candidates = {0.1: runs(1.0, 2.0, 9.0), 0.2: runs(0.5, 3.0, math.nan), 0.3: runs(0.1, math.nan, math.nan)}
    picked = tuning.pick("lr", candidates)
    assert picked.scores == {0.1: 2.0, 0.2: 3.0, 0.3: math.inf}  # medians by hand
    assert picked.value == 0.1


def test_a_tie_goes_to_the_grids_first_value():
    assert tuning.pick("lr", {0.3: runs(1.0, 2.0), 0.1: runs(2.0, 1.0)}).value == 0.3
    assert tuning.pick("lr", {0.1: runs(math.nan), 0.2: runs(math.nan)}).value == 0.1


def test_an_empty_grid_or_candidate_is_refused():
    with pytest.raises(ValueError, match="no candidates"):
        tuning.pick("lr", {})
    with pytest.raises(ValueError, match="at least one run"):
        tuning.score(Table())


def test_the_grids_hold_every_tuned_setting_at_an_equal_budget():
    study = study_for("full")
    grid = tuning.optimizer_grid(study)
    assert list(grid) == list(tuning.OPTIMIZERS)
    for name, values in grid.items():
        assert list(values) == list(getattr(study, tuning.GRIDS[name]))
        for lr, config in values.items():
            assert config.lr == lr and config.method == "plain"
            evaluations = config.iterations * (config.lbfgs_max_iter if config.optimizer == "lbfgs" else 1)
            assert evaluations == study.iterations
    assert {c.line_search for c in grid["lbfgs+wolfe"].values()} == {"strong_wolfe"}
    objectives = tuning.objective_grid(study, adagrad_lr=0.1)
    assert objectives["weighted"][0.95].weight_rate == 0.95
    assert objectives["denoising"][0.02].noise_std == 0.02
    assert objectives["scheduled-sampling"][0.5].sampling_end == 0.5
    assert objectives["rollout"][30].rollout_steps == 30
    assert all(c.lr == 0.1 and c.optimizer == "adagrad" for g in objectives.values() for c in g.values())


def test_the_tuned_configs_carry_the_picks():
    study = study_for("full")
    picks = {name: tuning.Pick(name, {}, value) for name, value in {
        "adagrad": 0.1, "sgd": 3e-4, "lbfgs": 0.5, "lbfgs+wolfe": 1.0,
        "weighted": 0.95, "denoising": 0.1, "scheduled-sampling": 0.8, "rollout": 30}.items()}  # fmt: skip
    methods = tuning.tuned_methods(study, picks)
    assert list(methods) == list(tuning.METHODS)
    assert all(c.lr == 0.1 and c.optimizer == "adagrad" for c in methods.values())
    both = methods["weighted+denoising"]
    assert (both.weight_rate, both.noise_std) == (0.95, 0.1)
    assert methods["rollout"].rollout_steps == 30 and methods["scheduled-sampling"].sampling_end == 0.8
    optimizers = tuning.tuned_optimizers(study, picks)
    assert optimizers["adagrad"] == methods["plain"]
    assert [optimizers[n].lr for n in ("sgd", "lbfgs", "lbfgs+wolfe")] == [3e-4, 0.5, 1.0]


def test_a_pick_at_the_grids_edge_is_marked():
    assert tuning.pick("lr", {0.1: runs(1.0), 0.2: runs(2.0), 0.3: runs(3.0)}).at_edge
    assert not tuning.pick("lr", {0.1: runs(2.0), 0.2: runs(1.0), 0.3: runs(3.0)}).at_edge
    assert not tuning.pick("lr", {0.1: runs(1.0)}).at_edge  # one value tried: no grid to extend


def fake_runs(best: dict[str, float]):
    """``runs_of`` for :func:`tuning.tune` whose score falls towards ``best[name]`` (log distance), recording calls."""
    calls = []

    def runs_of(candidates):
        calls.append(sorted(candidates))
        return {(n, v): runs(1e-3 * (1 + abs(math.log(max(v, 1e-9) / best[n])))) for n, v in candidates}

    return runs_of, calls


def test_an_edge_pick_extends_its_grid_at_most_twice_and_an_interior_pick_does_not():
    study = study_for("full")
    grid = {name: g for name, g in tuning.optimizer_grid(study).items() if name in ("adagrad", "sgd")}
    runs_of, calls = fake_runs({"adagrad": 0.06, "sgd": 1e-6})  # sgd's best lies far below its grid
    picks = tuning.tune(grid, tuning.make_optimizer(study), runs_of, max_rollout=100)
    assert picks["adagrad"].value == 0.05 and sorted(picks["adagrad"].scores) == list(study.adagrad_lrs)
    assert sorted(picks["sgd"].scores) == [2.7e-6, 9e-6, *study.sgd_lrs]  # two steps of x0.3 below 3e-5
    assert picks["sgd"].value == 2.7e-6
    assert calls[1:] == [[("sgd", 9e-6)], [("sgd", 2.7e-6)]]  # only the edge setting trains more


def test_extensions_respect_the_bounds_of_each_setting():
    scores = lambda *values: dict.fromkeys(values, 1.0)  # noqa: E731
    rate = tuning.Pick("weighted", scores(0.95, 0.99, 0.999), 0.999)
    assert tuning.extension(rate, 100) == 0.9999  # spaced by 1 - rate: 1e-3 -> 1e-4
    assert tuning.extension(tuning.Pick("scheduled-sampling", scores(0.0, 0.5, 0.8), 0.0), 100) is None  # p >= 0
    assert tuning.extension(tuning.Pick("scheduled-sampling", scores(0.0, 0.5, 0.8), 0.8), 100) == 0.92
    assert tuning.extension(tuning.Pick("rollout", scores(10, 30), 30), 100) == 90
    assert tuning.extension(tuning.Pick("rollout", scores(10, 30), 30), 60) is None  # it must fit the wave
    assert tuning.extension(tuning.Pick("adagrad", scores(0.02, 0.05, 0.1), 0.05), 100) is None  # interior
