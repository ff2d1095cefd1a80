"""The article's LSTM kernel: one time step, every parameter read from the packed ``W``."""

from __future__ import annotations

import torch

from lstm_lib.model.spec import Spec


def lstm(
    x: torch.Tensor | None,
    cm1: torch.Tensor,
    hm1: torch.Tensor,
    ym1: torch.Tensor,
    W: torch.Tensor,
    spec: Spec,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One LSTM step: ``(x, c[t-1], h[t-1], y[t-1]) -> (c[t], h[t], y[t])``.

    ``x`` is (batch, n_in), ``cm1``/``hm1`` are (batch, n_hidden), ``ym1`` is (batch, n_out).
    The kernel receives the previous output ``ym1`` because free-running generation feeds
    the network its own last prediction as the next input: pass ``x=None`` to use ``ym1``
    as the input (this needs ``n_out == n_in``). With teacher forcing ``ym1`` is ignored.

    Gates (PyTorch's order i, f, g, o, see :data:`lstm_lib.spec.GATES`)::

        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x + W_hh h[t-1] + b)
        c[t] = f * c[t-1] + i * g
        h[t] = o * tanh(c[t])
        y[t] = W_out h[t] + b_out
    """
    p = spec.unpack(W)
    if x is None:
        if spec.n_out != spec.n_in:
            raise ValueError(f"x=None feeds ym1 back as input, which needs n_out == n_in, got {spec}")
        x = ym1
    gates = torch.addmm(p.b, x, p.w_ih.t()).addmm_(hm1, p.w_hh.t())
    return _step(gates, cm1, p)


def lstm_projected(
    xp: torch.Tensor, cm1: torch.Tensor, hm1: torch.Tensor, W: torch.Tensor, spec: Spec
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same step when the input projection ``xp = W_ih x + b`` was computed for all steps at once."""
    p = spec.unpack(W)
    return _step(torch.addmm(xp, hm1, p.w_hh.t()), cm1, p)


def lstm_gates(
    x: torch.Tensor, cm1: torch.Tensor, hm1: torch.Tensor, W: torch.Tensor, spec: Spec
) -> tuple[torch.Tensor, ...]:
    """The step of :func:`lstm` without the readout, for looking inside the cell: ``(c[t], h[t], i, f, g, o)``.

    The gates are their activations (after the sigmoid or tanh), each (batch, n_hidden).
    """
    p = spec.unpack(W)
    c, h, gates = _cell(torch.addmm(p.b, x, p.w_ih.t()).addmm_(hm1, p.w_hh.t()), cm1)
    return c, h, *gates


def _step(gates: torch.Tensor, cm1: torch.Tensor, p) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pre-activations to ``(c[t], h[t], y[t])``: the cell's arithmetic, then the readout."""
    c, h, _ = _cell(gates, cm1)
    y = torch.addmm(p.b_out, h, p.w_out.t())
    return c, h, y


def _cell(gates: torch.Tensor, cm1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...]]:
    """The gate arithmetic, written once for every step above: pre-activations to ``(c, h, (i, f, g, o))``."""
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * cm1 + i * g
    h = o * torch.tanh(c)
    return c, h, (i, f, g, o)
