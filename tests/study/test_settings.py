"""The study's settings (defined once, validated) and its wave task (held-out waves are held out)."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_lib.model.data import band_parameters
from lstm_lib.runs.task import WaveTask
from lstm_lib.settings import CHAPTERS, PROFILES, settings_for, study_for
from lstm_lib.validation import SettingError


@pytest.mark.parametrize("iterations, steps", [(1000, 50), (40, 2), (10, 1)])
def test_optimizers_share_the_evaluation_budget(iterations, steps):
    study = study_for("full", iterations=iterations)
    configs = study.optimizers()
    assert list(configs) == ["adagrad", "sgd", "lbfgs", "lbfgs+wolfe"]
    assert configs["adagrad"] == study.base()
    assert (configs["sgd"].lr, configs["sgd"].iterations) == (study.sgd_lr, iterations)
    for name in ("lbfgs", "lbfgs+wolfe"):
        assert configs[name].iterations == steps
        assert configs[name].iterations * configs[name].lbfgs_max_iter <= max(iterations, 20)
    assert configs["lbfgs"].line_search is None and configs["lbfgs"].lr == study.lbfgs_lr
    assert configs["lbfgs+wolfe"].line_search == "strong_wolfe"


def test_methods_and_sweeps_share_the_main_settings():
    study = study_for("full")
    methods = study.methods()
    assert list(methods) == ["plain", "weighted", "denoising", "weighted+denoising"]
    assert all(c.dtype == study.dtype and c.iterations == study.iterations for c in methods.values())
    rates = study.sweep("weighted")
    assert rates[study.weight_rate] == methods["weighted"]  # the sweep contains the main run: the cache is shared
    assert study.sweep("denoising")[study.noise_std] == methods["denoising"]


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_chapter_builds_in_every_profile_and_quick_does_less_work(chapter):
    built = {name: settings_for(chapter, name) for name in PROFILES}
    assert all(s.profile == name for name, s in built.items())
    full, quick = built["full"].flat(), built["quick"].flat()
    changed = {k for k in full if full[k] != quick[k] and k != "profile"}
    assert changed == set(PROFILES["quick"].get(chapter, {}))  # the profile's changes, no more
    for name in changed:  # every size quick changes is smaller (a list: shorter, or as long with smaller values)
        small, big = quick[name], full[name]
        if isinstance(big, tuple):
            assert len(small) < len(big) or (len(small) == len(big) and max(small) <= max(big)), name
        else:
            assert small <= big or name == "sgd_lr", name


def test_flat_names_reach_into_sections_and_clashing_names_need_their_path():
    study = study_for("quick", iterations=7, horizon=11)
    assert (study.training.iterations, study.iterations, study.waves.evaluation.horizon) == (7, 7, 11)
    assert study.task("hard").horizon == 11 and study.task("hard").period == study.hard_period
    port = settings_for("08_pytorch_port", "full", {"port.lr": 0.5, "library.lr": 0.01})
    assert (port.port.lr, port.library.lr) == (0.5, 0.01)
    with pytest.raises(SettingError, match="port.lr") as info:
        settings_for("08_pytorch_port", "full", {"lr": 0.5})
    assert info.value.field == "lr"


def test_bad_settings_are_refused_naming_the_setting():
    cases = [
        (dict(iteration=10), "iteration", r"unknown setting 'iteration'.*allowed.*'iterations'"),
        (dict(seeds=[1, 1]), "seeds", "seeds must not repeat"),
        (dict(lr=-1.0), "lr", r"lr must be a finite number in \(0, inf\)"),
        (dict(spread=1.5), "spread", "spread"),
        (dict(noise_stds=[0.1, 0]), "noise_stds", r"noise_stds\[1\]"),
        (dict(profile="quick"), "overrides", "cannot set profile"),
    ]
    for overrides, field, message in cases:
        with pytest.raises(SettingError, match=message) as info:
            study_for("full", **overrides)
        assert info.value.field == field
    with pytest.raises(SettingError, match="profile"):
        study_for("fast")
    with pytest.raises(SettingError, match="chapter"):
        settings_for("10_missing", "full")


def test_each_seed_draws_its_own_training_waves_and_the_held_out_waves_are_others():
    task = WaveTask.make(n_train=4, length=50, n_test=6, prime_lengths=(10, 20), horizon=30)
    a, b = task.train_data(0), task.train_data(1)
    assert a.shape == (4, 50, 1) and not torch.equal(a, b)
    assert torch.equal(a, task.train_data(0))  # deterministic
    test = task.test_data()
    assert test.shape == (6, 50, 1)
    task.check_held_out(list(range(50)))
    periods, phases = band_parameters(6, task.period, task.spread, task.test_seed)
    assert (
        (periods >= task.period * (1 - task.spread)) & (periods <= task.period * (1 + task.spread))
    ).all()  # inside the trained band
    for seed in range(5):  # no held-out wave equals a training wave, value for value
        train = task.train_data(seed)[:, :50, 0]
        assert not any(torch.allclose(t, w) for t in test[:, :50, 0] for w in train)
    with pytest.raises(ValueError, match="test_seed"):
        task.check_held_out([task.test_seed])


def test_band_waves_are_the_formula():
    task = WaveTask.make(n_train=3, length=20)
    periods, phases = band_parameters(3, task.period, task.spread, 7)
    t = torch.arange(20, dtype=torch.float64)
    expected = torch.sin(t[None] / periods[:, None] + phases[:, None])
    assert torch.equal(task.train_data(7)[..., 0], expected)
    assert task.oscillation_steps == pytest.approx(2 * math.pi * task.period)
