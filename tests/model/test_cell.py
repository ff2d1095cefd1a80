"""The one-step kernel ``lstm`` against torch.nn.LSTMCell + torch.nn.Linear."""

from __future__ import annotations

import pytest
import torch

from lstm_lib import Spec, gate_trace, lstm
from lstm_lib.model.cell import lstm_gates
from tests.torch_references import torch_modules

SHAPES = [(1, 51, 1), (3, 7, 2), (1, 1, 1), (5, 16, 5)]
TOL = 1e-10


def random_state(spec: Spec, batch: int, seed: int):
    gen = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return r(batch, spec.n_in), r(batch, spec.n_hidden), r(batch, spec.n_hidden), r(batch, spec.n_out)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_matches_torch_cell(shape, seed):
    spec = Spec(*shape)
    cell, readout = torch_modules(*shape, seed=seed)
    W = spec.from_torch(cell, readout)
    x, c0, h0, ym1 = random_state(spec, batch=4, seed=seed + 10)
    c, h, y = lstm(x, c0, h0, ym1, W, spec)
    with torch.no_grad():
        h_ref, c_ref = cell(x, (h0, c0))
        y_ref = readout(h_ref)
    assert (c - c_ref).abs().max() <= TOL
    assert (h - h_ref).abs().max() <= TOL
    assert (y - y_ref).abs().max() <= TOL
    assert c.shape == (4, spec.n_hidden) and y.shape == (4, spec.n_out)


@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_several_steps_match_torch_cell(shape):
    spec = Spec(*shape)
    cell, readout = torch_modules(*shape, seed=5, scale=0.5)
    W = spec.from_torch(cell, readout)
    gen = torch.Generator().manual_seed(6)
    xs = torch.randn(3, 12, spec.n_in, generator=gen, dtype=torch.float64)
    c = h = torch.zeros(3, spec.n_hidden, dtype=torch.float64)
    y = torch.zeros(3, spec.n_out, dtype=torch.float64)
    h_ref = c_ref = torch.zeros(3, spec.n_hidden, dtype=torch.float64)
    for t in range(xs.shape[1]):
        c, h, y = lstm(xs[:, t], c, h, y, W, spec)
        with torch.no_grad():
            h_ref, c_ref = cell(xs[:, t], (h_ref, c_ref))
            y_ref = readout(h_ref)
        assert (y - y_ref).abs().max() <= TOL
    assert (c - c_ref).abs().max() <= TOL


def test_lstm_without_biases_matches_torch():
    spec = Spec(2, 3, 2)
    gen = torch.Generator().manual_seed(0)
    cell = torch.nn.LSTMCell(2, 3, bias=False, dtype=torch.float64)
    readout = torch.nn.Linear(3, 2, bias=False, dtype=torch.float64)
    with torch.no_grad():
        for p in [*cell.parameters(), *readout.parameters()]:
            p.uniform_(-1, 1, generator=gen)
    W = spec.from_torch(cell, readout)
    x, c0, h0, ym1 = random_state(spec, 3, seed=1)
    c, h, y = lstm(x, c0, h0, ym1, W, spec)
    with torch.no_grad():
        h_ref, c_ref = cell(x, (h0, c0))
        assert (y - readout(h_ref)).abs().max() <= TOL
    assert (c - c_ref).abs().max() <= TOL


@pytest.mark.parametrize("shape", [(1, 51, 1), (1, 1, 1), (5, 16, 5)])
def test_x_none_feeds_ym1_back(shape):
    spec = Spec(*shape)
    cell, readout = torch_modules(*shape, seed=2)
    W = spec.from_torch(cell, readout)
    _, c0, h0, ym1 = random_state(spec, 4, seed=3)
    implicit = lstm(None, c0, h0, ym1, W, spec)
    explicit = lstm(ym1, c0, h0, ym1, W, spec)
    for a, b in zip(implicit, explicit, strict=True):
        assert torch.equal(a, b)
    with torch.no_grad():
        h_ref, _ = cell(ym1, (h0, c0))
        assert (implicit[2] - readout(h_ref)).abs().max() <= TOL


def test_teacher_forcing_ignores_ym1():
    spec = Spec(3, 7, 2)
    W = spec.from_torch(*torch_modules(3, 7, 2, seed=4))
    x, c0, h0, ym1 = random_state(spec, 2, seed=5)
    a = lstm(x, c0, h0, ym1, W, spec)
    b = lstm(x, c0, h0, ym1 + 100.0, W, spec)
    for u, v in zip(a, b, strict=True):
        assert torch.equal(u, v)


def test_x_none_needs_n_out_equal_n_in():
    spec = Spec(3, 7, 2)
    W = spec.from_torch(*torch_modules(3, 7, 2, seed=0))
    _, c0, h0, ym1 = random_state(spec, 2, seed=0)
    with pytest.raises(ValueError, match="n_out == n_in"):
        lstm(None, c0, h0, ym1, W, spec)


@pytest.mark.parametrize("shape", [(1, 2, 1), (2, 3, 2), (3, 2, 1)])
def test_gradcheck_wrt_w(shape):
    spec = Spec(*shape)
    W = spec.from_torch(*torch_modules(*shape, seed=8)).requires_grad_()
    x, c0, h0, ym1 = random_state(spec, 2, seed=9)
    assert torch.autograd.gradcheck(lambda W: lstm(x, c0, h0, ym1, W, spec), (W,))


def test_gradcheck_wrt_inputs_and_states():
    spec = Spec(2, 3, 2)
    W = spec.from_torch(*torch_modules(2, 3, 2, seed=10))
    x, c0, h0, ym1 = (t.requires_grad_() for t in random_state(spec, 2, seed=11))
    assert torch.autograd.gradcheck(lambda x, c, h: lstm(x, c, h, ym1, W, spec), (x, c0, h0))


def test_grad_wrt_w_matches_torch_parameter_grads():
    spec = Spec(3, 4, 2)
    cell, readout = torch_modules(3, 4, 2, seed=12)
    W = spec.from_torch(cell, readout).requires_grad_()
    x, c0, h0, ym1 = random_state(spec, 5, seed=13)
    r = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(14))
    (lstm(x, c0, h0, ym1, W, spec)[2] * r).sum().backward()
    h_ref, _ = cell(x, (h0, c0))
    (readout(h_ref) * r).sum().backward()
    g = spec.unpack(W.grad)
    assert (g.w_ih - cell.weight_ih.grad).abs().max() <= TOL
    assert (g.w_hh - cell.weight_hh.grad).abs().max() <= TOL
    assert (g.b - cell.bias_ih.grad).abs().max() <= TOL
    assert (g.b - cell.bias_hh.grad).abs().max() <= TOL
    assert (g.w_out - readout.weight.grad).abs().max() <= TOL
    assert (g.b_out - readout.bias.grad).abs().max() <= TOL


@pytest.mark.parametrize("shape", SHAPES)
def test_the_traced_step_is_the_kernels_step_bit_for_bit(shape):
    """gate_trace looks inside the very step that lstm runs: same states, not merely close ones."""
    spec = Spec(*shape)
    W = spec.from_torch(*torch_modules(*shape, seed=3))
    x, c0, h0, ym1 = random_state(spec, batch=3, seed=4)
    c, h, i, f, g, o = lstm_gates(x, c0, h0, W, spec)
    c_ref, h_ref, _ = lstm(x, c0, h0, ym1, W, spec)
    assert torch.equal(c, c_ref) and torch.equal(h, h_ref)
    # the gates are the ones the state was made of (eq-cell and eq-hidden, recomputed here)
    assert torch.equal(c, f * c0 + i * g) and torch.equal(h, o * torch.tanh(c))
    sequence = torch.randn(2, 6, spec.n_in, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    trace = gate_trace(W, spec, sequence)
    c = h = torch.zeros(2, spec.n_hidden, dtype=torch.float64)
    for t in range(6):  # the kernel, looped by hand
        c, h, _ = lstm(sequence[:, t], c, h, None, W, spec)
        assert torch.equal(trace["c"][:, t], c) and torch.equal(trace["h"][:, t], h)
