"""Figures of the PyTorch port: its numbers step by step, and the example's own picture of its predictions."""

from __future__ import annotations

import matplotlib.pyplot as plt

from lstm_lib.figures.style import COLORS


def plot_port_run(ax: plt.Axes, run) -> None:
    """The per-step numbers of a :class:`lstm_lib.study.port.PortRun` on one log-scaled axis, with
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


def upstream_plot(run, title: str = "") -> plt.Figure:
    """The example's own figure: the model's output on the 3 test waves, solid while it reads the
    wave (teacher-forced), dotted for the steps it draws by itself, in red, green and blue."""
    if run.predictions is None:
        raise ValueError("run has no predictions: it was loaded without them")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    n_read = run.teacher.shape[1]
    steps = range(n_read + run.free.shape[1])
    for k, colour in enumerate(("r", "g", "b")):
        ax.plot(steps[:n_read], run.teacher[k], colour, lw=1.2)
        ax.plot(steps[n_read:], run.free[k], colour + ":", lw=1.2)
    ax.axvline(n_read - 0.5, color="0.5", ls="--", lw=0.8)
    ax.set(xlabel="time step", ylabel="model output (dimensionless)", title=title)
    return fig
