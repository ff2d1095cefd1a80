"""Figures of results: curves over seeds, waves drawn by trained models, and paired effects.

Every function returns a :class:`matplotlib.figure.Figure` with labelled axes and units; the
chapters save it (:func:`lstm_lib.figures.style.save`) and caption it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from lstm_lib.figures.style import COLORS, PAGE_WIDTH
from lstm_lib.model.network import generate
from lstm_lib.runs.experiments import Table
from lstm_lib.runs.trial import Run
from lstm_lib.stats.statistics import nearest_rank
from lstm_lib.stats.verdicts import MARGIN, Paired
from lstm_lib.study.analysis import curve_band

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
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4), sharey=True, layout="constrained")
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
    axes[0].set(xlabel="gradient evaluations", ylabel="training loss per step\n(squared error)", yscale="log")
    axes[1].set(xlabel="wall seconds (median over seeds)")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(4))
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=8)
    return fig


PERCENTILES = (10, 50, 90)
"""The seeds a picture set shows per method: the 10th, 50th and 90th percentile of its free-running error."""


def ordinal(n: int) -> str:
    """``10`` -> ``"10th"``, ``1`` -> ``"1st"``: for captions and panel titles."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def percentile_runs(table: Table, column: str = "free_mse", percentiles: Sequence[int] = PERCENTILES) -> dict[int, Run]:
    """The runs at ``percentiles`` (0-100) of ``column`` over a method's seeds, nearest rank.

    One seed's picture can tell the opposite of the verdict over seeds; three seeds across the
    spread show what a typical, a good and a bad run draw. A diverged run ranks worst (as the
    verdicts count it), so a method that often diverges shows it.
    """
    if not table.runs:
        raise ValueError("percentile_runs needs at least one run, got none")

    def value(run: Run) -> float:
        return math.inf if run.row.get("diverged") else float(run.row.get(column, math.nan))

    picks = nearest_rank([value(run) for run in table.runs], percentiles)
    return {p: table.runs[i] for p, i in picks.items()}


ERROR_LIMITS = (1e-5, 10.0)
"""The |error| panels' y range: from far below the horizon threshold to a wave that left the band."""


def _draw_one(
    ax: plt.Axes, err: plt.Axes, run: Run, name: str, data: torch.Tensor, prime_length: int, horizon: int
) -> str:
    """The wave (prime, truth, the model's drawing) on ``ax`` and |drawn − truth| on a log scale on
    ``err`` below it, so the error never covers the wave. Returns the run's free-running MSE as text."""
    t_prime, t_gen = torch.arange(prime_length), torch.arange(prime_length, prime_length + horizon)
    truth = data[0, prime_length : prime_length + horizon, 0]
    ax.plot(t_prime, data[0, :prime_length, 0], color=COLORS["truth"], lw=1, label="prime (given)")
    ax.plot(t_gen, truth, color=COLORS["truth"], lw=1, ls=":", label="truth")
    for a in (ax, err):
        a.axvline(prime_length - 0.5, color="0.6", lw=0.8, ls="--")
    ax.set_ylim(-1.6, 1.6)
    err.set_yscale("log")
    err.set_ylim(*ERROR_LIMITS)
    err.set_yticks([1e-4, 1.0])
    err.yaxis.set_minor_formatter(NullFormatter())
    if run.W is None:
        ax.text(0.5, 0.5, "training diverged: nothing drawn", transform=ax.transAxes, ha="center", fontsize=9)
        return "diverged"
    with torch.no_grad():
        drawn = generate(run.W, run.spec, data.to(run.W.dtype)[:, :prime_length], horizon)[0, :, 0].double()
    ax.plot(t_gen, drawn, color=color(name), lw=1.4, label="drawn by the model")
    gap = (drawn - truth).abs()
    err.plot(t_gen, gap.clamp(ERROR_LIMITS[0], ERROR_LIMITS[1]), color=color(name), lw=0.9)
    mse = run.row.get("free_mse", math.nan)
    return f"free-running MSE {mse:.2g}" if math.isfinite(mse) else ""


def _wave_grid(rows: int, cols: int, height: float) -> tuple[plt.Figure, list[list[tuple[plt.Axes, plt.Axes]]]]:
    """A page-wide figure of ``rows`` x ``cols`` cells, each a wave panel over a smaller |error| panel."""
    fig = plt.figure(figsize=(PAGE_WIDTH, rows * height + 0.9), layout="constrained")
    grid = fig.add_gridspec(2 * rows, cols, height_ratios=[2.0, 1.1] * rows)
    first = None
    cells = []
    for r in range(rows):
        line = []
        for c in range(cols):
            ax = fig.add_subplot(grid[2 * r, c], sharex=first)
            first = first or ax
            err = fig.add_subplot(grid[2 * r + 1, c], sharex=first)
            ax.tick_params(labelbottom=False)
            for a in (ax, err):
                a.xaxis.set_major_locator(MaxNLocator(4, integer=True))
                a.tick_params(labelsize=8)
            line.append((ax, err))
        cells.append(line)
    return fig, cells


def _wave_legend(fig: plt.Figure, ax: plt.Axes, threshold: float | None) -> None:
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.4", lw=0.9))
    labels.append("|drawn − truth| (log scale), below each wave")
    if threshold is not None:
        handles.append(Line2D([], [], color="0.4", lw=0.8, ls="-."))
        labels.append(f"horizon threshold {threshold:g}")
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=8)


def _threshold(err: plt.Axes, threshold: float | None) -> None:
    if threshold is not None:
        err.axhline(threshold, color="0.4", lw=0.8, ls="-.")


def drawn_waves(
    runs: Mapping[str, Run],
    eval_data: torch.Tensor,
    prime_length: int,
    horizon: int,
    wave: int = 0,
    notes: Mapping[str, str] | None = None,
    threshold: float | None = None,
) -> plt.Figure:
    """One held-out wave drawn by each model: prime, truth and the free-running guess, and under it
    the absolute error on a log scale (where drift shows), one cell per name on the same wave.

    ``notes`` adds text to a name's panel title (e.g. its training error); ``threshold`` marks the
    error that ends the prediction horizon.
    """
    names = list(runs)
    cols = 1 if len(names) <= 3 else 2
    rows = math.ceil(len(names) / cols)
    fig, cells = _wave_grid(rows, cols, 2.0 if cols == 1 else 1.9)
    data = eval_data[wave : wave + 1]
    flat = [cell for line in cells for cell in line]
    for (ax, err), name in zip(flat, names, strict=False):
        mse = _draw_one(ax, err, runs[name], name, data, prime_length, horizon)
        _threshold(err, threshold)
        extra = ", ".join(x for x in ((notes or {}).get(name, ""), mse) if x)
        ax.set_title(f"{name}" + (f"\n{extra}" if extra else ""), fontsize=8, loc="left", color=color(name))
    for ax, err in flat[len(names) :]:
        ax.set_visible(False)
        err.set_visible(False)
    for line in cells:
        line[0][0].set_ylabel("x (dimensionless)", fontsize=8)
        line[0][1].set_ylabel("|error|", fontsize=8)
    for _ax, err in cells[-1]:
        err.set_xlabel("time step", fontsize=8)
    _wave_legend(fig, flat[0][0], threshold)
    return fig


def percentile_waves(
    tables: Mapping[str, Table],
    eval_data: torch.Tensor,
    prime_length: int,
    horizon: int,
    percentiles: Sequence[int] = PERCENTILES,
    wave: int = 0,
    threshold: float | None = None,
) -> plt.Figure:
    """Each method (row) at the ``percentiles`` of its free-running error over seeds (columns):
    the wave drawn and, under it, its error on a log scale. See :func:`percentile_runs`."""
    names = list(tables)
    fig, cells = _wave_grid(len(names), len(percentiles), 1.75)
    data = eval_data[wave : wave + 1]
    for line, name in zip(cells, names, strict=True):
        picked = percentile_runs(tables[name], percentiles=percentiles)
        for (ax, err), p in zip(line, percentiles, strict=True):
            run = picked[p]
            mse = _draw_one(ax, err, run, name, data, prime_length, horizon)
            _threshold(err, threshold)
            head = f"{ordinal(p)} percentile\n" if line is cells[0] else ""
            ax.set_title(f"{head}seed {run.row['seed']}, {mse}", fontsize=8)
        row_label = name.replace("+", "+\n")  # a long name on two lines keeps to its panel's height
        line[0][0].set_ylabel(f"{row_label}\nx (dimensionless)", fontsize=8, color=color(name))
        line[0][1].set_ylabel("|error|", fontsize=8)
        for ax, err in line[1:]:
            ax.tick_params(labelleft=False)
            err.tick_params(labelleft=False)
    for _ax, err in cells[-1]:
        err.set_xlabel("time step", fontsize=8)
    _wave_legend(fig, cells[0][0][0], threshold)
    return fig


def _ratio_ticks(axis) -> None:
    """Ticks of a log-scaled ratio axis (call after plotting), written as plain numbers: at 1, 2 and 5
    times powers of ten on a short range, where matplotlib's default labels every minor tick and they
    collide; at powers of ten, at most 7 of them, on a long one."""
    low, high = sorted(axis.get_view_interval())
    short = high / low < 30  # within about a decade and a half, decades alone would give one tick or none
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if short else (1.0,), numticks=7))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def effects(results: Mapping[str, Paired], xlabel: str, margin: float = MARGIN) -> plt.Figure:
    """Forest plot of paired effects: each comparison's ratio with its 95% interval, on a log axis,
    and its verdict and seed count on the right.

    The shaded band is the equivalence margin; left of 1 the first-named side has the lower error.
    """
    names = list(results)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.36 * len(names) + 1.5), layout="constrained")
    ax.axvspan(1 / margin, margin, color="0.9", lw=0, label=f"equivalence (×{1 / margin:.2g} to ×{margin:g})")
    ax.axvline(1.0, color="0.4", lw=0.8)
    ys = [len(names) - 1 - k for k in range(len(names))]
    for y, name in zip(ys, names, strict=True):
        r = results[name]
        if not math.isfinite(r.effect):
            continue
        if math.isfinite(r.low):
            ax.plot([r.low, r.high], [y, y], color=COLORS["truth"], lw=1.5)
        ax.plot([r.effect], [y], "o", color=COLORS["truth"])
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_ylim(-0.6, len(names) - 0.4)
    right = ax.secondary_yaxis("right")
    right.set_yticks(ys, [f"{results[n].verdict}, {results[n].n} seeds" for n in names], fontsize=8)
    right.tick_params(length=0)
    ax.set_xscale("log")
    _ratio_ticks(ax.xaxis)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    fig.legend(loc="outside lower center", fontsize=8, frameon=False)
    return fig


def sweep(results: Mapping[float, Paired], name: str, xlabel: str, complement: bool = False) -> plt.Figure:
    """Paired effect against plain training for each setting of a trick's knob, with 95% intervals.

    The x axis is logarithmic with a tick at each setting tried. ``complement`` spaces the settings
    by ``1 − setting`` (a decay rate near 1: 0.99 and 0.999 are a decade apart there, not crowded
    at the right edge), still labelled with the settings, increasing to the right.
    """
    settings = list(results)
    xs = [1 - s if complement else s for s in settings]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    ax.axhspan(1 / MARGIN, MARGIN, color="0.9", lw=0, label=f"equivalence (×{1 / MARGIN:.2g} to ×{MARGIN:g})")
    ax.axhline(1.0, color="0.4", lw=0.8)
    for x, setting in zip(xs, settings, strict=True):
        r = results[setting]
        if math.isfinite(r.low):
            ax.plot([x, x], [r.low, r.high], color=color(name), lw=1.5)
        ax.plot([x], [r.effect], "o", color=color(name))
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=f"free-running MSE,\n{name} / plain (ratio)")
    ax.set_xticks(xs, [f"{s:g}" for s in settings])
    ax.xaxis.set_minor_formatter(NullFormatter())
    _ratio_ticks(ax.yaxis)
    ax.margins(x=0.15)
    if complement:
        ax.invert_xaxis()
    ax.legend(loc="best", fontsize=8)
    return fig


def task_waves(
    train: Mapping[str, torch.Tensor], test: Mapping[str, torch.Tensor], prime_lengths: Sequence[int]
) -> plt.Figure:
    """The training waves of one seed and a few held-out waves, per regime, with the primes marked."""
    fig, axes = plt.subplots(
        len(train), 2, figsize=(PAGE_WIDTH, 2.2 * len(train) + 0.3), squeeze=False, sharex=True, layout="constrained"
    )
    for row, regime in enumerate(train):
        ax_train, ax_test = axes[row]
        for k in range(train[regime].shape[0]):
            ax_train.plot(train[regime][k, :, 0], lw=0.8, alpha=0.7)
        ax_train.set_title(f"{regime}: training waves, one seed", fontsize=9)
        ax_train.set_ylabel(WAVE_UNITS, fontsize=8)
        for k in range(min(3, test[regime].shape[0])):
            ax_test.plot(test[regime][k, :, 0], lw=0.9)
        for p in prime_lengths:
            ax_test.axvline(p - 0.5, color="0.5", ls="--", lw=0.8)
        ax_test.set_title(f"{regime}: held-out waves", fontsize=9)
        for ax in (ax_train, ax_test):
            ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("time step", fontsize=8)
    return fig


def seed_dots(results: Mapping[str, Paired], xlabel: str) -> plt.Figure:
    """Each comparison's per-seed ratios (one dot per seed, log scale) with the geometric mean and its 95% interval
    above them: where a mean hides that most seeds go the other way, the dots show it."""
    names = list(results)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.42 * len(names) + 1.4), layout="constrained")
    ax.axvline(1.0, color="0.4", lw=0.8)
    ys = [len(names) - 1 - k for k in range(len(names))]
    for y, name in zip(ys, names, strict=True):
        r = results[name]
        ratios = [math.exp(d) for d in r.differences]
        jitter = [((k * 0.618) % 1 - 0.5) * 0.3 for k in range(len(ratios))]
        ax.scatter(ratios, [y - 0.12 + j * 0.5 for j in jitter], s=9, color=COLORS["plain"], alpha=0.7, lw=0)
        if math.isfinite(r.low):
            ax.plot([r.low, r.high], [y + 0.22, y + 0.22], color=COLORS["truth"], lw=1.5)
        if math.isfinite(r.effect):
            ax.plot([r.effect], [y + 0.22], "o", color=COLORS["truth"], ms=4)
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.set_xscale("log")
    _ratio_ticks(ax.xaxis)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    handles = [
        Line2D([], [], ls="", marker="o", ms=3, color=COLORS["plain"], label="one seed"),
        Line2D([], [], marker="o", ms=4, color=COLORS["truth"], label="geometric mean, 95% interval"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


TUNED_AXIS = {"adagrad": "learning rate", "sgd": "learning rate", "lbfgs": "learning rate",
              "lbfgs+wolfe": "learning rate", "weighted": "weighting rate r", "denoising": "noise std",
              "scheduled-sampling": "last p of a true input", "rollout": "rollout steps"}  # fmt: skip
"""What each tuned setting's axis measures, for the tuning figure's label."""


def tuning_curves(
    picks: Mapping[str, Mapping[str, object]],
    complement: Sequence[str] = ("weighted", "scheduled-sampling"),
    names: Sequence[str] | None = None,
) -> plt.Figure:
    """One panel per tuned setting (every one, or ``names``): the selection rule's score (median free-running MSE
    over the tuning seeds) at each grid value, one line per regime, the picked value ringed. A grid value whose runs
    mostly diverged has an infinite score and no point. Settings in ``complement`` (a decay rate near 1, a
    probability that may be 0) are spaced by ``1 - value`` on the log axis, still labelled with the values."""
    regimes = list(picks)
    names = list(next(iter(picks.values()))) if names is None else list(names)
    cols = 2 if len(names) in (2, 4) else min(3, len(names))  # four panels as 2 x 2, not 3 + 1
    rows = math.ceil(len(names) / cols)
    width = PAGE_WIDTH * max(cols, 2) / 3
    fig, axes = plt.subplots(rows, cols, figsize=(width, 2.2 * rows + 0.6), layout="constrained", squeeze=False)
    styles = ("o-", "s--", "^:")
    for ax, name in zip(axes.flat, names, strict=False):
        for k, regime in enumerate(regimes):
            pick = picks[regime][name]
            values = list(pick.scores)
            xs = [1 - v if name in complement else v for v in values]
            ys = [pick.scores[v] if math.isfinite(pick.scores[v]) else math.nan for v in values]
            ax.plot(xs, ys, styles[k % 3], color=f"C{k}", ms=4, lw=1, label=regime)
            chosen = 1 - pick.value if name in complement else pick.value
            if math.isfinite(pick.scores[pick.value]):
                ax.plot([chosen], [pick.scores[pick.value]], "o", ms=9, mfc="none", color=f"C{k}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        tried = {v for regime in regimes for v in picks[regime][name].scores}  # grids extended differently per regime
        ticks = sorted({1 - v if name in complement else v for v in tried})
        labels = [f"{1 - t if name in complement else t:g}" for t in ticks]
        if len(ticks) > 5:  # label every other value, so rotated labels never collide
            labels = [text if k % 2 == 0 else "" for k, text in enumerate(labels)]
        ax.set_xticks(ticks, labels, fontsize=8, rotation=45)
        ax.xaxis.set_minor_formatter(NullFormatter())
        if any(line.get_ydata().size for line in ax.get_lines()):
            _ratio_ticks(ax.yaxis)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(name + (" (spaced by 1 − value)" if name in complement else ""), fontsize=8)
        if name in complement:
            ax.invert_xaxis()
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.supylabel("median free-running MSE over the tuning seeds", fontsize=9)
    tried_what = list(dict.fromkeys(TUNED_AXIS.get(name, name) for name in names))
    fig.supxlabel("setting tried: " + ", ".join(tried_what), fontsize=9)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=len(regimes), fontsize=8, frameon=False)
    return fig


def waiting(status: str) -> plt.Figure:
    """A placeholder where a study figure will be, saying why it is not there yet (the campaign's state)."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 1.2), layout="constrained")
    ax.text(0.5, 0.5, f"Not yet: {status}.", ha="center", va="center", fontsize=9, wrap=True)
    ax.set_axis_off()
    return fig
