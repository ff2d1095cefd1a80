"""Figures of the model itself: the packed ``W``'s layout, gate activations, the two run modes.

Kept out of the notebooks so the chapters show the story, not plotting code. Every function
returns a matplotlib figure; the chapter saves it with :func:`lstm_lib.plotting.save`.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import torch

from lstm_lib.figures.style import COLORS, PAGE_WIDTH
from lstm_lib.model.spec import GATES, Spec

GATE_COLORS = {"input": "#4c72b0", "forget": "#dd8452", "cell": "#55a868", "output": "#c44e52", None: "#8c8c8c"}
BLOCK_LABELS = {
    "w_ih": "w_ih: input → gates",
    "w_hh": "w_hh: hidden → gates",
    "b": "b: gate biases",
    "w_out": "w_out: readout weights",
    "b_out": "b_out: readout bias",
}


class Segment(NamedTuple):
    """One contiguous slice ``W[start:stop]``: a block of :attr:`Spec.shapes` and, for gate blocks, a gate."""

    block: str
    gate: str | None
    start: int
    stop: int


def layout_segments(spec: Spec) -> list[Segment]:
    """The slices of ``W`` in storage order, each block split by gate where it has gates.

    Blocks are stored row-major, so the rows :meth:`Spec.gate_rows` gives for a gate are one
    contiguous slice of ``W``: ``rows * row_length`` entries from the block's start.
    """
    segments = []
    for block, (start, stop) in spec.offsets.items():
        shape = spec.shapes[block]
        if shape[0] != 4 * spec.n_hidden:  # readout blocks: no gates
            segments.append(Segment(block, None, start, stop))
            continue
        row = (stop - start) // shape[0]
        for gate in GATES:
            rows = spec.gate_rows(gate)
            segments.append(Segment(block, gate, start + rows.start * row, start + rows.stop * row))
    return segments


def packed_layout_figure(spec: Spec) -> plt.Figure:
    """One row per block of ``W``, coloured by gate and labelled with its index range in ``W``.

    Each row has its own scale (the hidden-to-hidden block dwarfs the others), so the row's
    bar is the block's own extent; the text gives where it sits in ``W``.
    """
    segments = layout_segments(spec)
    blocks = list(spec.offsets)
    fig, axes = plt.subplots(len(blocks), 1, figsize=(PAGE_WIDTH, 0.75 * len(blocks) + 0.9))
    for ax, block in zip(axes, blocks, strict=True):
        start, stop = spec.offsets[block]
        for seg in (s for s in segments if s.block == block):
            ax.broken_barh([(seg.start, seg.stop - seg.start)], (0, 1), color=GATE_COLORS[seg.gate], edgecolor="white")
            if seg.gate is not None:
                ax.text((seg.start + seg.stop) / 2, 0.5, seg.gate, ha="center", va="center", color="white", fontsize=8)
        ax.set_xlim(start, stop)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.set_xticks([start, stop], [str(start), str(stop)])
        ax.grid(False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        shape = " x ".join(str(n) for n in spec.shapes[block])
        ax.set_title(f"{BLOCK_LABELS[block]}  ({shape}),  W[{start}:{stop}]", fontsize=9, loc="left")
    axes[-1].set_xlabel(f"index into W (length {spec.size}); each row drawn to its own scale")
    fig.tight_layout()
    return fig


def gate_trace_figure(wave: torch.Tensor, trace: dict[str, torch.Tensor], units: list[int]) -> plt.Figure:
    """The wave read by the cell, and for a few ``units``: input, forget, output gates and cell state.

    ``wave`` is one sequence (time,) and ``trace`` one sequence's :func:`lstm_lib.model.gate_trace`
    output with the batch dimension removed, each entry (time, n_hidden).
    """
    panels = [
        ("input", "input gate i"),
        ("forget", "forget gate f"),
        ("output", "output gate o"),
        ("c", "cell state c"),
    ]
    fig, axes = plt.subplots(len(panels) + 1, 1, figsize=(PAGE_WIDTH, 7.5), sharex=True)
    steps = torch.arange(wave.shape[0])
    axes[0].plot(steps, wave, color=COLORS["truth"])
    axes[0].set_ylabel("input x")
    colors = plt.get_cmap("tab10")
    for ax, (key, label) in zip(axes[1:], panels, strict=True):
        for k, unit in enumerate(units):
            ax.plot(steps, trace[key][:, unit], color=colors(k), lw=1.2, label=f"unit {unit}")
        ax.set_ylabel(label)
        if key != "c":
            ax.set_ylim(-0.05, 1.05)
    axes[1].legend(ncol=len(units), fontsize=8, loc="upper right", bbox_to_anchor=(1, 1.35))
    axes[-1].set_xlabel("time step (steps)")
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig


def modes_figure(
    truth: torch.Tensor, teacher: torch.Tensor, free: torch.Tensor, prime_length: int, title: str = ""
) -> plt.Figure:
    """One wave ``truth`` (time,) with the network's teacher-forced and free-running outputs.

    ``teacher[t]`` (time - 1,) is the guess of ``truth[t + 1]`` having read the true wave up to ``t``;
    ``free`` (time - prime_length,) is what the network draws after reading ``truth[:prime_length]``.
    """
    fig, ax = plt.subplots()
    n = truth.shape[0]
    ax.plot(torch.arange(n), truth, color=COLORS["truth"], lw=2, label="the wave")
    ax.plot(torch.arange(1, n), teacher, color=COLORS["plain"], label="teacher-forced: reads the true wave")
    ax.plot(
        torch.arange(prime_length, prime_length + free.shape[0]),
        free,
        color=COLORS["sgd"],
        label="free-running: reads its own output",
    )
    ax.axvline(prime_length, color="#999999", ls="--", lw=1)
    ax.set_xlabel("time step (steps)")
    ax.set_ylabel("value (dimensionless)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
    fig.tight_layout()
    return fig
