"""One plot style for the whole book, and saving figures where the chapters expect them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill and CI have no display
import matplotlib.pyplot as plt  # noqa: E402

from lstm_lib.checkpoint import atomic_write  # noqa: E402

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


def save(fig: plt.Figure, name: str, folder: Path = FIGURES) -> Path:
    """Save ``fig`` as ``folder/name.png`` atomically, without time stamps (same inputs, same bytes)."""
    path = Path(folder) / f"{name}.png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight", metadata={"Software": None}))
    return path
