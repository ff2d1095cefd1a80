"""Figures of results: curves over seeds, waves drawn by trained models, and paired effects.

Every function returns a :class:`matplotlib.figure.Figure` with labelled axes and units; the
chapters save it (:func:`lstm_lib.figures.style.save`) and caption it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from lstm_lib.figures.style import COLORS
from lstm_lib.model.network import generate
from lstm_lib.study.analysis import curve_band
from lstm_lib.study.verdicts import MARGIN, Paired
from lstm_lib.training.trial import Run

WAVE_UNITS = "x (dimensionless)"


def color(name: str) -> str:
    """The book's colour for a method or optimiser name (grey for anything else)."""
    return COLORS.get(name, COLORS.get(name.split(" ")[0], "#7f7f7f"))


def band(ax: plt.Axes, curves: Mapping[str, Sequence[torch.Tensor]], x: torch.Tensor | None = None) -> None:
    """Per name: the median curve over seeds and its 10-90% quantile band."""
    for name, group in curves.items():
        if not group:
            continue
        med, lo, hi = curve_band(group)
        xs = torch.arange(1, med.numel() + 1) if x is None else x
        ax.plot(xs, med, color=color(name), label=name)
        ax.fill_between(xs, lo, hi, color=color(name), alpha=0.2, lw=0)


def loss_curves(groups: Mapping[str, Sequence[Run]], n_points: int) -> plt.Figure:
    """Training loss per step over seeds against gradient evaluations and wall seconds (optimiser comparison).

    Diverged runs have no curve: the legend counts them.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), sharey=True)
    for name, runs in groups.items():
        done = [r for r in runs if r.history.numel()]
        lost = len(runs) - len(done)
        if not done:
            continue
        label = name + (f" ({lost} diverged, not drawn)" if lost else "")
        per_step = sum(r.row["evaluations"] for r in done) / sum(r.history.numel() for r in done)
        steps = done[0].history.numel()
        band(axes[0], {label: [r.history / n_points for r in done]}, torch.arange(1, steps + 1) * per_step)
        med_seconds = curve_band([r.seconds for r in done])[0]
        band(axes[1], {label: [r.history / n_points for r in done]}, med_seconds)
    axes[0].set(xlabel="gradient evaluations", ylabel="training loss per step (squared error)", yscale="log")
    axes[1].set(xlabel="wall seconds (median over seeds)")
    axes[0].legend(fontsize=8)
    return fig


def drawn_waves(
    runs: Mapping[str, Run], eval_data: torch.Tensor, prime_length: int, horizon: int, wave: int = 0
) -> plt.Figure:
    """One held-out wave drawn by each model: prime, truth and the free-running guess, with its error inset.

    One panel per name, side by side on the same wave, so the curves never hide the truth.
    """
    names = list(runs)
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 1.9 * len(names) + 0.4), sharex=True, sharey=True)
    axes = [axes] if len(names) == 1 else list(axes)
    data = eval_data[wave : wave + 1]
    t_prime = torch.arange(prime_length)
    t_gen = torch.arange(prime_length, prime_length + horizon)
    truth = data[0, prime_length : prime_length + horizon, 0]
    for ax, name in zip(axes, names, strict=True):
        run = runs[name]
        ax.plot(t_prime, data[0, :prime_length, 0], color=COLORS["truth"], lw=1, label="prime (given)")
        ax.plot(t_gen, truth, color=COLORS["truth"], lw=1, ls=":", label="truth")
        ax.axvline(prime_length - 0.5, color="0.6", lw=0.8, ls="--")
        ax.set_ylabel(WAVE_UNITS, fontsize=8)
        ax.set_ylim(-1.6, 1.6)
        if run.W is None:
            ax.text(0.5, 0.5, f"{name}: training diverged", transform=ax.transAxes, ha="center")
            continue
        with torch.no_grad():
            drawn = generate(run.W, run.spec, data.to(run.W.dtype)[:, :prime_length], horizon)[0, :, 0].double()
        ax.plot(t_gen, drawn, color=color(name), lw=1.4, label=f"{name}: drawn by itself")
        ax.legend(loc="lower left", fontsize=8, ncol=3)
        inset = ax.inset_axes([0.76, 0.62, 0.23, 0.35])
        inset.semilogy(t_gen, (drawn - truth).abs().clamp_min(1e-6), color=color(name), lw=0.8)
        inset.set_title("|error|, log", fontsize=7, pad=2)
        inset.tick_params(labelsize=6)
        inset.set_ylim(1e-5, 3)
    axes[-1].set_xlabel("time step")
    return fig


def effects(results: Mapping[str, Paired], xlabel: str, margin: float = MARGIN) -> plt.Figure:
    """Forest plot of paired effects: each comparison's ratio with its 95% interval, on a log axis.

    The shaded band is the equivalence margin; left of 1 the first-named side has the lower error.
    """
    names = list(results)
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(names) + 1.2))
    ax.axvspan(1 / margin, margin, color="0.9", lw=0, label=f"equivalence (×{1 / margin:.2g} to ×{margin:g})")
    ax.axvline(1.0, color="0.4", lw=0.8)
    for k, name in enumerate(names):
        r = results[name]
        y = len(names) - 1 - k
        if not math.isfinite(r.effect):
            continue
        if math.isfinite(r.low):
            ax.plot([r.low, r.high], [y, y], color=COLORS["truth"], lw=1.5)
        ax.plot([r.effect], [y], "o", color=COLORS["truth"])
        ax.text(1.02, y, f"{r.verdict}, {r.n} seeds", transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.set_yticks(range(len(names)), list(reversed(names)), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(names) < 4 else -0.12), fontsize=8, frameon=False)
    return fig


def sweep(results: Mapping[float, Paired], name: str, xlabel: str) -> plt.Figure:
    """Paired effect against plain training for each setting of a trick's knob, with 95% intervals."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.axhspan(1 / MARGIN, MARGIN, color="0.9", lw=0)
    ax.axhline(1.0, color="0.4", lw=0.8)
    for setting, r in results.items():
        if math.isfinite(r.low):
            ax.plot([setting, setting], [r.low, r.high], color=color(name), lw=1.5)
        ax.plot([setting], [r.effect], "o", color=color(name))
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=f"free-running MSE, {name} / plain")
    return fig


def task_waves(train: Mapping[str, torch.Tensor], test: Mapping[str, torch.Tensor], prime_lengths: Sequence[int]):
    """The training waves of one seed and a few held-out waves, per regime, with the primes marked."""
    fig, axes = plt.subplots(len(train), 2, figsize=(10, 2.4 * len(train)), squeeze=False)
    for row, regime in enumerate(train):
        ax_train, ax_test = axes[row]
        for k in range(train[regime].shape[0]):
            ax_train.plot(train[regime][k, :, 0], lw=0.8, alpha=0.7)
        ax_train.set(title=f"{regime}: training waves of one seed", xlabel="time step", ylabel=WAVE_UNITS)
        for k in range(min(3, test[regime].shape[0])):
            ax_test.plot(test[regime][k, :, 0], lw=0.9)
        for p in prime_lengths:
            ax_test.axvline(p - 0.5, color="0.5", ls="--", lw=0.8)
        ax_test.set(title=f"{regime}: held-out waves (dashed: end of each prime)", xlabel="time step")
    fig.tight_layout()
    return fig
