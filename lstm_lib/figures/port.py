"""Figures of the PyTorch port: its numbers step by step, and the example's own picture of its predictions."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from lstm_lib.figures.style import COLORS, PAGE_WIDTH
from lstm_lib.port import example as port
from lstm_lib.runs.experiments import Table
from lstm_lib.stats.verdicts import interval_text


def plot_port_run(ax: plt.Axes, run) -> None:
    """The per-step numbers of a :class:`lstm_lib.port.example.PortRun` on one log-scaled axis, with
    every loss evaluation of step ``k`` spread over ``[k, k + 1)`` (upstream prints them all)."""
    steps = range(1, len(run.test_loss) + 1)
    ax.plot(steps, run.train_loss, "o-", ms=3, color=COLORS["lbfgs"], label="training loss (start of step)")
    ax.plot(steps, run.test_loss, "s-", ms=3, color=COLORS["plain"], label="test loss (teacher-forced)")
    ax.plot(steps, run.free_mse, "^-", ms=3, color=COLORS["sgd"], label="free-running MSE")
    evals = getattr(run, "evaluations", None) or []
    xs = [k + j / len(losses) for k, losses in zip(steps, evals, strict=False) for j in range(len(losses))]
    if xs:
        ys = [value for losses in evals for value in losses]
        ax.plot(xs, ys, "-", lw=0.6, color=COLORS["lbfgs"], alpha=0.45, label="every loss evaluation")
    ax.set(xlabel="L-BFGS step", yscale="log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def port_steps(runs: Mapping[int, object]) -> plt.Figure:
    """One panel per seed of :func:`plot_port_run`, sharing the y axis, with one legend under them all."""
    fig, axes = plt.subplots(1, len(runs), figsize=(PAGE_WIDTH, 3.0), sharey=True, squeeze=False, layout="constrained")
    for ax, (seed, run) in zip(axes[0], runs.items(), strict=True):
        plot_port_run(ax, run)
        ax.set_title(f"seed {seed}" + (" (exploded)" if run.exploded else ""), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.xaxis.label.set_fontsize(9)
    axes[0][0].set_ylabel("mean squared error")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=8)
    return fig


def replay_figure(run, title: str = "") -> plt.Figure:
    """:func:`plot_port_run` of one run, every step ticked, with the step that exploded marked."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), layout="constrained")
    plot_port_run(ax, run)
    if run.exploded:
        ax.axvline(run.exploded_at + 1, color="0.4", ls=":", lw=1, label="exploded")
    ax.set(xlabel="L-BFGS step (counted from 1)", ylabel="mean squared error", title=title)
    ax.set_xticks(range(1, len(run.test_loss) + 1))
    ax.legend(fontsize=8)
    return fig


def upstream_plot(run, title: str = "") -> plt.Figure:
    """The example's own figure: the model's output on the 3 test waves, solid while it reads the
    wave (teacher-forced), dotted for the steps it draws by itself, in red, green and blue."""
    if run.predictions is None:
        raise ValueError("run has no predictions: it was loaded without them")
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), layout="constrained")
    n_read = run.teacher.shape[1]
    steps = range(n_read + run.free.shape[1])
    handles = []
    for k, colour in enumerate(("r", "g", "b")):
        ax.plot(steps[:n_read], run.teacher[k], colour, lw=1.2)
        ax.plot(steps[n_read:], run.free[k], colour + ":", lw=1.2)
        handles.append(Line2D([], [], color=colour, lw=1.2, label=f"test wave {k}"))
    handles += [
        Line2D([], [], color="0.3", lw=1.2, label="reads the true wave"),
        Line2D([], [], color="0.3", lw=1.2, ls=":", label="draws by itself"),
    ]
    ax.axvline(n_read - 0.5, color="0.5", ls="--", lw=0.8)
    ax.set(xlabel="time step", ylabel="model output (dimensionless)", title=title)
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=8)
    return fig


def stability_rows(runs: dict[int, port.PortRun]) -> list[dict]:
    """Per seed of the port: steps run, whether and where it exploded, and its last and best errors."""
    return [
        {
            "seed": seed,
            "steps run": len(r.test_loss),
            "exploded": f"yes, at step {r.exploded_at + 1}" if r.exploded else "no",
            "test loss": r.test_loss[-1],
            "free-running MSE": r.free_mse[-1],
            "best free-running MSE": min(r.free_mse),
        }
        for seed, r in runs.items()
    ]


def trends_text(runs: dict[int, port.PortRun]) -> str:
    """One clause per seed: how its teacher-forced test loss and its free-running MSE moved over the steps."""
    return "; ".join(
        f"seed {seed}, test loss {r.test_loss[0]:.2g} to {r.test_loss[-1]:.2g} and free-running MSE "
        f"{r.free_mse[0]:.2g} to {r.free_mse[-1]:.2g}"
        for seed, r in runs.items()
    )


def against_library_rows(runs: dict[int, port.PortRun], library: Table) -> list[dict]:
    """The port and each of the library's methods on the same waves: seeds, failures, free-running MSE
    (geometric mean, an exploded port run counted as a failure) and seconds per run, with intervals."""
    rows = [
        {
            "method": "port: 2 x LSTMCell, L-BFGS",
            "seeds": len(runs),
            "exploded or diverged": sum(r.exploded for r in runs.values()),
            "free-running MSE": interval_text(
                [math.nan if r.exploded else r.free_mse[-1] for r in runs.values()], geometric=True
            ),
            "seconds per run": interval_text([r.seconds[-1] for r in runs.values()]),
        }
    ]
    for label, group in library.groups("label").items():
        rows.append(
            {
                "method": f"lstm_lib: {label}",
                "seeds": len(group.rows),
                "exploded or diverged": sum(group.column("diverged")),
                "free-running MSE": interval_text(group.column("free_mse"), geometric=True),
                "seconds per run": interval_text(group.column("train_seconds")),
            }
        )
    return rows
