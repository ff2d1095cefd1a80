"""Whole-sequence use of the kernel: teacher-forced prediction and free-running generation."""

from __future__ import annotations

import torch

from lstm_lib.model.cell import lstm, lstm_gates
from lstm_lib.model.fused import lstm_layer
from lstm_lib.model.scan import scan
from lstm_lib.model.spec import GATES, Spec
from lstm_lib.validation import check_choice, check_int, check_sequences

BACKENDS = ("fused", "scan")
"""``fused``: PyTorch's LSTM kernel on views of ``W``; ``scan``: the article's kernel looped by ``scan``."""


def initial_state(spec: Spec, batch: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Zero ``(c, h, y)`` for ``batch`` sequences, with ``like``'s dtype and device."""
    return (
        like.new_zeros(batch, spec.n_hidden),
        like.new_zeros(batch, spec.n_hidden),
        like.new_zeros(batch, spec.n_out),
    )


def run(
    W: torch.Tensor, spec: Spec, x: torch.Tensor, backend: str = "fused"
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Outputs (batch, time, n_out) for inputs ``x`` and the final state ``(c, h, y)``."""
    check_choice("backend", backend, BACKENDS)
    if x.dim() != 3 or x.shape[2] != spec.n_in or x.shape[1] < 1:
        raise ValueError(f"x must have shape (batch, time >= 1, n_in={spec.n_in}), got {tuple(x.shape)}")
    W = W.to(x.dtype) if W.dtype != x.dtype else W
    if backend == "scan":
        c0, h0, y0 = initial_state(spec, x.shape[0], x)
        # scan is time-major, as Theano's: transpose in and out of the batch-first layout
        (cs, hs, ys), _ = scan(lstm, sequences=[x.transpose(0, 1)], outputs_info=[c0, h0, y0], non_sequences=[W, spec])
        return ys.transpose(0, 1), (cs[-1], hs[-1], ys[-1])
    hs, (h, c) = lstm_layer(x, W, spec)
    p = spec.unpack(W)
    ys = torch.nn.functional.linear(hs, p.w_out, p.b_out)
    return ys, (c, h, ys[:, -1])


def predict(W: torch.Tensor, spec: Spec, x: torch.Tensor, backend: str = "fused") -> torch.Tensor:
    """Teacher-forced one-step-ahead outputs: ``x`` (batch, time, n_in) -> (batch, time, n_out).

    Output ``t`` is the network's guess of ``x[:, t + 1]`` having seen the true ``x[:, :t + 1]``.
    """
    return run(W, spec, x, backend)[0]


def generate(W: torch.Tensor, spec: Spec, prime: torch.Tensor, steps: int, backend: str = "fused") -> torch.Tensor:
    """Free-running: read ``prime`` (batch, time, n_in), then feed each output back as the next input.

    Returns the ``steps`` generated values (batch, steps, n_out); value 0 is the output after the
    last prime step, i.e. the guess of what follows ``prime``. Needs ``n_out == n_in``.
    """
    if spec.n_out != spec.n_in:
        raise ValueError(f"generate feeds outputs back as inputs, which needs n_out == n_in, got {spec}")
    check_int("steps", steps, 1)
    check_sequences("prime", prime, n_in=spec.n_in, min_length=1)
    W = W.to(prime.dtype)
    _, (c, h, y) = run(W, spec, prime, backend)
    if steps == 1:
        return y.unsqueeze(1)
    # x=None: the kernel takes its own previous output ym1 as the input
    (_, _, ys), _ = scan(
        lambda cm1, hm1, ym1, W, spec: lstm(None, cm1, hm1, ym1, W, spec),
        outputs_info=[c, h, y],
        non_sequences=[W, spec],
        n_steps=steps - 1,
    )
    return torch.cat([y.unsqueeze(1), ys.transpose(0, 1)], dim=1)


def gate_trace(W: torch.Tensor, spec: Spec, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every gate's activation and the states at each step, for looking inside the cell.

    Returns ``{"input", "forget", "cell", "output", "c", "h"}``, each (batch, time, n_hidden).
    """
    with torch.no_grad():
        c0, h0, _ = initial_state(spec, x.shape[0], x)
        outs, _ = scan(lstm_gates, [x.transpose(0, 1)], [c0, h0, None, None, None, None], [W.to(x.dtype), spec])
    c, h, *gates = (o.transpose(0, 1) for o in outs)
    return {**dict(zip(GATES, gates, strict=True)), "c": c, "h": h}
