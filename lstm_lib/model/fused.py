"""Run PyTorch's fused LSTM kernel with its weights taken as views of the packed ``W``.

Same function as looping :func:`lstm_lib.cell.lstm` (a test checks it), at the speed of
``torch.nn.LSTM``; gradients flow back to ``W`` through the views.
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from lstm_lib.model.spec import Spec

_MODULES: dict[tuple[int, int, torch.dtype, str], torch.nn.LSTM] = {}


def _module(spec: Spec, dtype: torch.dtype, device: torch.device) -> torch.nn.LSTM:
    key = (spec.n_in, spec.n_hidden, dtype, str(device))
    if key not in _MODULES:  # a weightless shell: functional_call supplies the weights
        _MODULES[key] = torch.nn.LSTM(spec.n_in, spec.n_hidden, batch_first=True, device="meta")
    return _MODULES[key]


def lstm_layer(
    x: torch.Tensor, W: torch.Tensor, spec: Spec, state: tuple[torch.Tensor, torch.Tensor] | None = None
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Hidden states (batch, time, n_hidden) and the final ``(h, c)`` for inputs ``x`` (batch, time, n_in)."""
    p = spec.unpack(W)
    weights = {
        "weight_ih_l0": p.w_ih,
        "weight_hh_l0": p.w_hh,
        "bias_ih_l0": p.b,
        "bias_hh_l0": torch.zeros_like(p.b),
    }
    if state is None:
        zeros = x.new_zeros(1, x.shape[0], spec.n_hidden)
        hx = (zeros, zeros)
    else:
        hx = (state[0].unsqueeze(0), state[1].unsqueeze(0))
    hs, (h, c) = functional_call(_module(spec, x.dtype, x.device), weights, (x, hx))
    return hs, (h.squeeze(0), c.squeeze(0))
