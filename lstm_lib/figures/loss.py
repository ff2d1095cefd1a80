"""Figures of the loss (chapter 3): the wave as its own target, and each time step's error and gradient.

Kept out of the notebooks so the chapter shows the computation, not plotting code.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import torch

from lstm_lib.figures.style import COLORS, PAGE_WIDTH


def input_target_figure(x: torch.Tensor, y: torch.Tensor, show: int) -> plt.Figure:
    """The first ``show`` steps of one wave as input ``x`` (time,) and as target ``y`` (time,), ``y[t] = x[t + 1]``."""
    fig, ax = plt.subplots()
    t = torch.arange(min(show, x.shape[0]))
    ax.plot(t, x[: len(t)], "o-", color=COLORS["plain"], ms=4, label="input x[:-1] (at step t: x[t])")
    ax.plot(t, y[: len(t)], "s--", color=COLORS["weighted"], ms=4, label="target x[1:] (at step t: x[t+1])")
    ax.set_xlabel("time step t (steps)")
    ax.set_ylabel("value (dimensionless)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def per_step_figure(curves: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> plt.Figure:
    """Per time step, for each named model: the squared error ``E_t`` (top) and its gradient norm (bottom).

    ``curves[name] = (error, gradient_norm)``, each (time,); both axes logarithmic.
    """
    fig, axes = plt.subplots(2, 1, figsize=(PAGE_WIDTH, 5.6), sharex=True)
    palette = (COLORS["sgd"], COLORS["plain"], COLORS["denoising"], COLORS["weighted"])
    for (name, (err, norms)), color in zip(curves.items(), palette, strict=False):
        axes[0].semilogy(err, color=color, label=name)
        axes[1].semilogy(norms, color=color, label=name)
    axes[0].set_ylabel("squared error $E_t$\n(dimensionless)")
    axes[1].set_ylabel(r"gradient norm $\|\partial E_t / \partial W\|$" + "\n(dimensionless)")
    axes[1].set_xlabel("time step t (steps)")
    axes[0].legend(fontsize=9)
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig
