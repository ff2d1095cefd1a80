"""Independent PyTorch references built from a packed ``W`` (``torch.nn.LSTM``, ``LSTMCell``, ``Linear``)."""

from __future__ import annotations

import torch

from lstm_lib import Spec

# The machine is shared: keep every test (and every training run) on one thread.
torch.set_num_threads(1)


def randomize(module: torch.nn.Module, gen: torch.Generator, scale: float = 1.0) -> torch.nn.Module:
    """Overwrite every parameter with U(-scale, scale) draws from ``gen`` (PyTorch's init is too small)."""
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-scale, scale, generator=gen)
    return module


def torch_modules(n_in: int, n_hidden: int, n_out: int, seed: int, scale: float = 1.0):
    """A random float64 ``nn.LSTMCell`` and ``nn.Linear`` readout."""
    gen = torch.Generator().manual_seed(seed)
    cell = randomize(torch.nn.LSTMCell(n_in, n_hidden, dtype=torch.float64), gen, scale)
    readout = randomize(torch.nn.Linear(n_hidden, n_out, dtype=torch.float64), gen, scale)
    return cell, readout


def torch_lstm_from_w(W: torch.Tensor, spec: Spec) -> tuple[torch.nn.LSTM, torch.nn.Linear]:
    """``nn.LSTM`` + ``nn.Linear`` holding ``W``'s weights, sliced by hand from the documented layout.

    Layout (independent of :meth:`Spec.unpack`): w_ih (4h, n_in), w_hh (4h, h), b (4h), w_out (n_out, h), b_out.
    """
    n_in, h, n_out = spec.n_in, spec.n_hidden, spec.n_out
    sizes = [4 * h * n_in, 4 * h * h, 4 * h, n_out * h, n_out]
    assert sum(sizes) == W.numel()
    w_ih, w_hh, b, w_out, b_out = torch.split(W.detach().to(torch.float64), sizes)
    lstm = torch.nn.LSTM(n_in, h, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(h, n_out, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(w_ih.view(4 * h, n_in))
        lstm.weight_hh_l0.copy_(w_hh.view(4 * h, h))
        lstm.bias_ih_l0.copy_(b)
        lstm.bias_hh_l0.zero_()
        readout.weight.copy_(w_out.view(n_out, h))
        readout.bias.copy_(b_out)
    return lstm, readout
