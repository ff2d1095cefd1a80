"""One plot style for the whole book, and saving figures where the chapters expect them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill and CI have no display
import matplotlib.pyplot as plt  # noqa: E402

from lstm_lib.files import atomic_write  # noqa: E402

FIGURES = Path("figures")
"""Figures go under ``figures/`` next to the executing notebook (git-ignored, rebuilt every run)."""

COLORS = {
    "plain": "#4c72b0",
    "weighted": "#dd8452",
    "denoising": "#55a868",
    "weighted+denoising": "#8172b3",
    "adagrad": "#4c72b0",
    "sgd": "#c44e52",
    "lbfgs": "#937860",
    "truth": "#333333",
    "fused": "#55a868",
    "scan": "#4c72b0",
}

STYLE = {
    "figure.figsize": (7.5, 3.6),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "svg.hashsalt": "lstm_lib",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once per chapter)."""
    plt.rcParams.update(STYLE)
    try:  # inline figures in Jupyter as PNG, the same format as the saved files
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:
        pass


def save_png(fig: plt.Figure, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` as PNG atomically, without time stamps (same inputs, same bytes)."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight", metadata={"Software": None}))
    return Path(path)


def save(fig: plt.Figure, name: str, folder: Path = FIGURES) -> Path:
    """Save ``fig`` as ``folder/name.png`` (see :func:`save_png`)."""
    return save_png(fig, Path(folder) / f"{name}.png")


def plot_generation(prime, generated, truth, title: str = "") -> plt.Figure:
    """Prime (read), true continuation and the model's free-running guess, one colour per wave.

    ``prime`` (n, P, 1), ``generated`` and ``truth`` (n, N, 1); the x axis is the time step along
    the wave, so the generated part starts at ``P`` where the dotted line marks the end of the prime.
    """
    fig, ax = plt.subplots()
    P, N = prime.shape[1], generated.shape[1]
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k in range(generated.shape[0]):
        color = palette[k % len(palette)]
        ax.plot(range(P), prime[k, :, 0], color=COLORS["truth"], lw=1, label="prime (read)" if k == 0 else None)
        ax.plot(
            range(P, P + N),
            truth[k, :, 0],
            color=COLORS["truth"],
            lw=1,
            ls="--",
            label="true continuation" if k == 0 else None,
        )
        ax.plot(range(P, P + N), generated[k, :, 0], color=color, lw=1.5, label=f"generated, wave {k}")
    ax.axvline(P - 0.5, color="0.5", ls=":", lw=1)
    ax.set_xlabel("time step")
    ax.set_ylabel("value sin(t / T) (unitless)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
