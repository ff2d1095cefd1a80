"""One plot style for the whole book, and saving figures where the chapters expect them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill and CI have no display
import matplotlib.pyplot as plt  # noqa: E402

from lstm_lib.files import atomic_write  # noqa: E402

PAGE_WIDTH = 6.5
"""Width of the book page's text column in inches: a wider figure is shrunk to fit it, its text with it."""
MIN_POINTS = 8.0
"""Smallest legible text on the page, in points, after that shrinking (see :func:`legibility_problems`)."""

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
    "figure.figsize": (PAGE_WIDTH, 3.4),
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


def _all_axes(fig: plt.Figure) -> list[plt.Axes]:
    """Every axes of ``fig``, insets (child axes) included."""
    out, todo = [], list(fig.axes)
    while todo:
        ax = todo.pop(0)
        out.append(ax)
        todo.extend(getattr(ax, "child_axes", []))
    return out


def _tick_labels(axis) -> list:
    """The tick labels ``axis`` draws: those of ticks inside its view limits, major and minor."""
    ticks = axis._update_ticks()  # the ticks drawn; get_ticklabels also lists ticks outside the view
    return [label for tick in ticks for label in (tick.label1, tick.label2) if label.get_visible()]


def _texts(fig: plt.Figure) -> list:
    """The visible, non-empty text artists of ``fig``: tick labels, labels, titles, legends, annotations."""
    found = list(fig.texts) + ([fig._suptitle] if fig._suptitle else [])
    for legend in fig.legends:
        found += legend.get_texts() + [legend.get_title()]
    for ax in _all_axes(fig):
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        found += _tick_labels(ax.xaxis) + _tick_labels(ax.yaxis) + list(ax.texts)
        if ax.get_legend():
            found += ax.get_legend().get_texts() + [ax.get_legend().get_title()]
    return [t for t in found if t.get_visible() and t.get_text().strip()]


def page_scale(fig: plt.Figure) -> float:
    """How much the page shrinks ``fig``: its saved (tight) width against :data:`PAGE_WIDTH`, at most 1."""
    renderer = fig.canvas.get_renderer()
    width = fig.get_tightbbox(renderer).width  # inches: what ``save`` writes with bbox_inches="tight"
    return min(1.0, PAGE_WIDTH / width)


def _overlaps(boxes: list) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def legibility_problems(fig: plt.Figure, min_points: float = MIN_POINTS) -> list[str]:
    """What a reader could not read in ``fig`` on the page: text under ``min_points`` once the figure
    is shrunk to the page width, and tick labels of one axis that overlap. Empty when all is legible.

    Text is measured as matplotlib draws it (``fig.canvas.draw()``), so labels placed outside the
    axes, legends included, count in the width that the page shrinks.
    """
    fig.canvas.draw()
    scale = page_scale(fig)
    problems = []
    for text in _texts(fig):
        points = text.get_fontsize() * scale
        if points < min_points - 1e-6:
            problems.append(f"text {text.get_text()!r} is {points:.1f} pt on the page (< {min_points:g})")
    renderer = fig.canvas.get_renderer()
    for k, ax in enumerate(_all_axes(fig)):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            shown = [t for t in _tick_labels(axis) if t.get_text().strip()]
            boxes = [t.get_window_extent(renderer) for t in shown]
            for i, j in _overlaps(boxes):
                problems.append(
                    f"axes {k}: {name} tick labels {shown[i].get_text()!r} and {shown[j].get_text()!r} overlap"
                )
    return problems
