"""Chapter 10's figures: NRMSE at step 84 per seed and method beside the ESN and the published numbers, and
each method's free run at its 10th, 50th and 90th percentile seed against the truth."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from lstm_lib.figures.results import color, ordinal
from lstm_lib.figures.style import PAGE_WIDTH

EXTRA_COLORS = {"scheduled-sampling": "#c44e52", "rollout": "#937860", "ESN": "#da8bc3"}
"""Colours of the names the sine chapters never draw (the book's palette covers the rest)."""


def _color(name: str) -> str:
    return EXTRA_COLORS.get(name) or color(name)


def nrmse_dots(
    per_seed: Mapping[str, Mapping[int, float]], published: Sequence[tuple[str, float]], judged_step: int
) -> plt.Figure:
    """One row per method: each seed's NRMSE at ``judged_step`` (log scale), with the published values as lines."""
    names = list(per_seed)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.45 * len(names) + 1.6))
    for row, name in enumerate(names):
        values = np.array([v for v in per_seed[name].values() if math.isfinite(v)])
        ax.scatter(values, np.full(values.size, row), s=18, alpha=0.75, color=_color(name), zorder=3)
        if values.size:
            ax.plot([np.median(values)] * 2, [row - 0.3, row + 0.3], color="black", lw=1.5, zorder=4)
    for k, (label, value) in enumerate(published):
        ax.axvline(value, color="#999999", ls=("--", ":", "-.")[k % 3], lw=1, label=label)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(f"NRMSE at free-running step {judged_step} (per seed; bar: median; log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=1, frameon=False)
    fig.tight_layout()
    return fig


def percentile_paths(
    paths: Mapping[str, Mapping[int, tuple[int, np.ndarray]]], truth: np.ndarray, run_in: np.ndarray, steps: int
) -> plt.Figure:
    """Rows: methods; columns: percentiles. Each panel draws the last 50 steps of the run-in, then the method's
    free run of ``steps`` steps on the first held-out window at that percentile's seed, against the truth."""
    names = list(paths)
    percentiles = list(next(iter(paths.values())))
    fig, axes = plt.subplots(len(names), len(percentiles), figsize=(PAGE_WIDTH, 1.25 * len(names) + 0.9),
                             sharex=True, sharey=True, squeeze=False)  # fmt: skip
    steps = min(steps, truth.size)
    tail = run_in[-50:]
    t_run, t_free = np.arange(-tail.size, 0), np.arange(steps)
    for i, name in enumerate(names):
        for j, p in enumerate(percentiles):
            ax = axes[i][j]
            seed, drawn = paths[name][p]
            ax.plot(t_run, tail, color="#999999", lw=1)
            ax.plot(t_free, truth[:steps], color="#333333", lw=1)
            ax.plot(t_free[: len(drawn[:steps])], drawn[:steps], color=_color(name), lw=1.2)
            ax.set_ylim(0.2, 1.6)
            ax.text(0.98, 0.92, f"seed {seed}", transform=ax.transAxes, ha="right", va="top", fontsize=8)
            if i == 0:
                ax.set_title(f"{ordinal(p)} percentile seed", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("step after the run-in")
    for row, name in zip(axes, names, strict=True):
        row[0].set_ylabel(name.replace("-", "-\n").replace("+", "+\n"), fontsize=8)
    fig.tight_layout()
    return fig


NRMSE_COLUMNS = {"method": "method", "seeds": "seeds", "pooled": "NRMSE₈₄ pooled", "median": "median seed",
                 "best": "best seed", "valid_steps": "valid steps (median)", "lyapunov_times": "Lyapunov times",
                 "diverged": "diverged"}  # fmt: skip


def _number(spec: str):
    return lambda v: format(v, spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def nrmse_table(summary: Sequence[Mapping], published: Sequence[tuple[str, float]]):
    """The NRMSE84 table: the summary rows, then the published results (pooled NRMSE84 only)."""
    from lstm_lib.figures.tables import html_table

    blank = dict.fromkeys(NRMSE_COLUMNS, "–")
    rows = [*summary, *({**blank, "method": f"published: {name}", "pooled": value} for name, value in published)]
    formats = {k: _number(".2g") for k in ("pooled", "median", "best")}
    formats |= {"valid_steps": _number(".0f"), "lyapunov_times": _number(".2f")}
    return html_table(rows, NRMSE_COLUMNS, formats)
