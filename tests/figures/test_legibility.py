"""Every figure the library draws is legible on the page: text of at least 8 pt once the figure is
shrunk to the page's width, and tick labels that do not overlap.

Each figure function is called on small synthetic inputs (tiny untrained networks, made-up curves
and verdicts): what is checked is the layout, not the numbers.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lstm_lib import Spec, init_params
from lstm_lib.figures import chaos, diagrams, loss, port, results, style
from lstm_lib.port.example import PortRun, PortSettings
from lstm_lib.runs.experiments import Table
from lstm_lib.runs.trial import Run
from lstm_lib.stats.verdicts import paired
from lstm_lib.study.tuning import Pick

SPEC = Spec(1, 3, 1)
PRIME, HORIZON = 12, 30


def _waves(n: int = 3, length: int = PRIME + HORIZON) -> torch.Tensor:
    t = torch.arange(length, dtype=torch.float64)
    return torch.stack([torch.sin(t / 3 + k) for k in range(n)]).unsqueeze(-1)


def _run(seed: int, method: str = "plain", diverged: bool = False) -> Run:
    """A tiny untrained network posing as a finished (or diverged) run, with made-up curves and measures."""
    row = {
        "seed": seed,
        "method": method,
        "label": method,
        "optimizer": method,
        "diverged": diverged,
        "free_mse": math.nan if diverged else 10.0 ** (seed - 3),
        "final_mse": 1e-3 * (seed + 1),
        "evaluations": 20,
    }
    history = torch.logspace(1, -2, 20, dtype=torch.float64) * (seed + 1)
    seconds = torch.linspace(0.01, 0.2, 20, dtype=torch.float64)
    W = None if diverged else init_params(SPEC, seed, torch.float64)
    return Run(row, history, seconds, W, SPEC, step_error=torch.rand(1, HORIZON), train_step_error=torch.rand(9))


def _verdicts(n: int) -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    a = lambda shift: (torch.rand(8, generator=g) + shift).tolist()  # noqa: E731
    return {f"regime {k}: method {k} / plain": paired(a(0.1 * k), a(0.5)) for k in range(n)}


def _port_run(exploded: bool = False) -> PortRun:
    settings = PortSettings(n_waves=8, length=30, steps=3, future=20)
    run = PortRun(
        settings,
        train_loss=[0.5, 1e-2, 1e-3],
        test_loss=[1e-2, 1e-3, 1e-4],
        free_mse=[0.8, 0.3, 0.2],
        seconds=[1.0, 2.0, 3.0],
        evaluations=[[0.5, 0.1, 0.05], [1e-2, 5e-3], [1e-3, 9e-4, 8e-4]],
    )
    run.predictions = _waves(3, 29 + 20)[:, :, 0]
    if exploded:
        run.exploded_at = 2
    return run


def _picks() -> dict[str, dict[str, Pick]]:
    """Made-up tuning scores on grids like the study's, one grid value diverged (infinite)."""
    grids = {"adagrad": (0.02, 0.05, 0.1, 0.2), "sgd": (3e-5, 1e-4, 3e-4, 1e-3), "lbfgs": (0.2, 0.5, 0.8, 1.0),
             "lbfgs+wolfe": (0.5, 1.0), "weighted": (0.95, 0.99, 0.999), "denoising": (0.02, 0.05, 0.1, 0.2),
             "scheduled-sampling": (0.0, 0.5, 0.8), "rollout": (10, 30)}  # fmt: skip
    out = {}
    for k, regime in enumerate(("easy", "hard")):
        out[regime] = {}
        for name, grid in grids.items():
            scores = {v: (math.inf if j == len(grid) - 1 and name == "sgd" else 10 ** (k - 2 + 0.3 * j))
                      for j, v in enumerate(grid)}  # fmt: skip
            out[regime][name] = Pick(name, scores, grid[0])
    return out


_CHAOS_NAMES = ("plain", "weighted", "denoising", "weighted+denoising", "scheduled-sampling", "rollout", "ESN")


def _figures() -> dict[str, callable]:
    """Every figure function of :mod:`lstm_lib.figures`, on synthetic inputs, by name."""
    wave = _waves(1, 40)[0, :, 0]
    trace = {k: torch.rand(40, 3) for k in ("input", "forget", "cell", "output", "c", "h")}
    runs = {m: _run(k, m) for k, m in enumerate(("plain", "weighted", "denoising", "weighted+denoising"))}
    optimizers = {
        name: [_run(s, name, diverged=(name == "sgd" and s == 0)) for s in range(4)]
        for name in ("adagrad", "sgd", "lbfgs", "lbfgs+wolfe")
    }
    return {
        "plot_generation": lambda: style.plot_generation(_waves()[:, :PRIME], _waves()[:, PRIME:], _waves()[:, PRIME:]),
        "packed_layout_figure": lambda: diagrams.packed_layout_figure(Spec(1, 51, 1)),
        "gate_trace_figure": lambda: diagrams.gate_trace_figure(wave, trace, [0, 1, 2]),
        "modes_figure": lambda: diagrams.modes_figure(wave, wave[1:], wave[20:], 20, "an untrained network"),
        "input_target_figure": lambda: loss.input_target_figure(wave[:-1], wave[1:], 40),
        "per_step_figure": lambda: loss.per_step_figure(
            {
                "untrained": (torch.rand(39) + 0.1, torch.rand(39) + 0.1),
                "after 100 iterations": (wave[1:] ** 2 + 1e-3, torch.rand(39)),
            }
        ),
        "loss_curves": lambda: results.loss_curves(optimizers, 100),
        "drawn_waves": lambda: results.drawn_waves(runs, _waves(), PRIME, HORIZON),
        "drawn_waves, one diverged": lambda: results.drawn_waves(
            {"plain": _run(0, diverged=True)}, _waves(), PRIME, HORIZON
        ),
        "effects": lambda: results.effects(_verdicts(8), "free-running MSE ratio (log scale)"),
        "effects, two rows": lambda: results.effects(_verdicts(2), "free-running MSE ratio (log scale)"),
        "sweep, noise levels": lambda: results.sweep(
            dict(zip((0.02, 0.05, 0.1, 0.2), _verdicts(4).values(), strict=True)), "denoising", "noise std"
        ),
        "task_waves": lambda: results.task_waves(
            {"easy": _waves(4), "hard": _waves(4)}, {"easy": _waves(4), "hard": _waves(4)}, (8, 12)
        ),
        "sweep, rates by 1 - r": lambda: results.sweep(
            dict(zip((0.9, 0.95, 0.99, 0.999), _verdicts(4).values(), strict=True)),
            "weighted",
            "weight rate r",
            complement=True,
        ),
        "percentile_waves": lambda: results.percentile_waves(
            {m: Table([_run(s, m) for s in range(5)]) for m in runs}, _waves(), PRIME, HORIZON, threshold=0.1
        ),
        "drawn_waves, six panels": lambda: results.drawn_waves(
            {f"denoising {k}": _run(k) for k in range(6)},
            _waves(),
            PRIME,
            HORIZON,
            notes={"denoising 0": "training 1e-3"},
        ),
        "seed_dots": lambda: results.seed_dots(_verdicts(6), "free-running MSE ratio (log scale)"),
        "tuning_curves": lambda: results.tuning_curves(_picks()),
        "tuning_curves_one": lambda: results.tuning_curves(_picks(), names=("weighted",)),
        "tuning_curves_optimisers": lambda: results.tuning_curves(
            _picks(), names=("adagrad", "sgd", "lbfgs", "lbfgs+wolfe")
        ),
        "waiting": lambda: results.waiting("12 of the 992 runs the campaign plans are committed"),
        "port_steps": lambda: port.port_steps({0: _port_run(), 1: _port_run(exploded=True), 2: _port_run()}),
        "replay_figure": lambda: port.replay_figure(_port_run(exploded=True), "seed 0, 1000 steps per wave, lr 0.8"),
        "upstream_plot": lambda: port.upstream_plot(_port_run(), "step 3"),
        "nrmse_dots": lambda: chaos.nrmse_dots(
            {m: {s: 10.0 ** (s / 3 - 3) for s in range(10)} for m in _CHAOS_NAMES},
            [("Jaeger 2001: 400 units, 3000 training steps", 2.8e-4), ("Jaeger and Haas 2004", 6e-5)],
            84,
        ),
        "percentile_paths": lambda: chaos.percentile_paths(
            {m: {p: (p, 0.9 + 0.3 * np.sin(np.arange(300) / 9)) for p in (10, 50, 90)} for m in _CHAOS_NAMES},
            0.9 + 0.3 * np.sin(np.arange(300) / 10),
            0.9 + 0.3 * np.sin(np.arange(-100, 0) / 10),
            300,
        ),
    }


FIGURES = _figures()


@pytest.fixture(autouse=True)
def book_style():
    """The chapters draw with the book's style (:func:`style.use_style`); so do these tests."""
    with plt.rc_context(style.STYLE):
        yield


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_legible_on_the_page(name):
    fig = FIGURES[name]()
    try:
        assert style.legibility_problems(fig) == []
        for ax in fig.axes:  # every plotting axes says what it shows
            if ax.has_data() and ax.get_visible() and ax.axison:
                assert ax.get_xlabel() or ax.get_title() or any(a.get_xlabel() for a in fig.axes), name
    finally:
        plt.close(fig)


def test_legibility_flags_small_text_and_overlapping_ticks():
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 2))
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=6)
    assert any("pt on the page" in p for p in style.legibility_problems(fig))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(style.PAGE_WIDTH, 2))
    ax.set_xticks([0, 0.01], ["a long tick label", "another long one"])
    assert any("overlap" in p for p in style.legibility_problems(fig))
    plt.close(fig)


def test_a_wider_figure_is_shrunk_to_the_page():
    fig, ax = plt.subplots(figsize=(2 * style.PAGE_WIDTH, 2))
    ax.set_xlabel("10 pt text, 5 pt on the page", fontsize=10)
    assert style.page_scale(fig) < 0.7  # the saved width is the tight box: a little under 13 in
    assert any("xlabel" not in p and "pt on the page" in p for p in style.legibility_problems(fig))
    plt.close(fig)
