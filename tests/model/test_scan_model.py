"""scan against explicit loops; predict/generate/gate_trace against torch.nn.LSTM / LSTMCell."""

from __future__ import annotations

import pytest
import torch

from lstm_lib import BACKENDS, Spec, gate_trace, generate, predict, scan
from tests.torch_references import torch_lstm_from_w, torch_modules

TOL = 1e-10
SHAPES = [(1, 51, 1), (3, 7, 2), (1, 1, 1), (5, 16, 5)]


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ---------------------------------------------------------------- scan


def test_scan_cumulative_sum_and_product_with_non_sequence():
    x = randn(9, 3, 2, seed=0)  # time-major, as Theano
    scale = 0.5

    def step(x_t, total, prod, k):
        return total + k * x_t, prod * (1 + x_t), x_t * 2  # third output is not fed back

    s0 = torch.zeros(3, 2, dtype=torch.float64)
    p0 = torch.ones(3, 2, dtype=torch.float64)
    (totals, prods, doubled), updates = scan(step, sequences=[x], outputs_info=[s0, p0, None], non_sequences=[scale])
    assert updates == {}
    assert totals.shape == prods.shape == doubled.shape == (9, 3, 2)
    torch.testing.assert_close(totals, scale * torch.cumsum(x, dim=0), rtol=0, atol=1e-14)
    torch.testing.assert_close(prods, torch.cumprod(1 + x, dim=0), rtol=1e-14, atol=0)
    assert torch.equal(doubled, 2 * x)


def test_scan_equals_explicit_loop_with_none_in_the_middle():
    a = randn(6, 2, seed=1)
    b = randn(6, 2, seed=2)

    def step(a_t, b_t, acc, w):
        return acc * w + a_t, a_t * b_t, acc.sin()

    acc0 = torch.full((2,), 0.3, dtype=torch.float64)
    w = torch.tensor(0.9, dtype=torch.float64)
    outs, _ = scan(step, sequences=[a, b], outputs_info=[acc0, None, None], non_sequences=w)
    acc, ref = acc0, ([], [], [])
    for t in range(6):
        new = (acc * 0.9 + a[t], a[t] * b[t], acc.sin())
        for k in range(3):
            ref[k].append(new[k])
        acc = new[0]
    for got, want in zip(outs, ref, strict=True):
        torch.testing.assert_close(got, torch.stack(want), rtol=0, atol=1e-15)


def test_scan_single_output_comes_back_bare():
    x = randn(5, 2, seed=3)
    out, _ = scan(lambda x_t, acc: acc + x_t, sequences=x, outputs_info=torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(out, x.cumsum(0), rtol=0, atol=1e-14)


def test_scan_n_steps_without_sequences():
    k = 1.5
    (powers, counter), _ = scan(
        lambda prev, t, k: (prev * k, t + 1),
        outputs_info=[torch.ones(2, dtype=torch.float64), torch.zeros(2, dtype=torch.int64)],
        non_sequences=[k],
        n_steps=5,
    )
    expected = torch.tensor([k**t for t in range(1, 6)], dtype=torch.float64)
    torch.testing.assert_close(powers, expected[:, None].expand(5, 2), rtol=1e-15, atol=0)
    assert counter.tolist() == [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]


def test_scan_gradient_flows_through_every_step():
    x = randn(6, 2, seed=4)
    w = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    out, _ = scan(
        lambda x_t, acc, w: acc * w + x_t,
        sequences=x,
        outputs_info=torch.zeros(2, dtype=torch.float64),
        non_sequences=w,
    )
    out[-1].sum().backward()
    # out[-1] = sum_t w**(5 - t) x[t]: d/dw = sum_t (5 - t) w**(4 - t) x[t]
    want = sum((5 - t) * 0.7 ** (4 - t) * x[t].sum() for t in range(5))
    torch.testing.assert_close(w.grad, want, rtol=1e-13, atol=0)


# ---------------------------------------------------------------- predict


def lstm_and_w(shape, seed, scale=0.5):
    """A random ``nn.LSTM`` + ``Linear`` and the same weights packed into W via an LSTMCell sharing them."""
    n_in, h, n_out = shape
    gen = torch.Generator().manual_seed(seed)
    net = torch.nn.LSTM(n_in, h, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(h, n_out, dtype=torch.float64)
    with torch.no_grad():
        for p in [*net.parameters(), *readout.parameters()]:
            p.uniform_(-scale, scale, generator=gen)
    cell = torch.nn.LSTMCell(n_in, h, dtype=torch.float64)
    cell.weight_ih, cell.weight_hh = net.weight_ih_l0, net.weight_hh_l0
    cell.bias_ih, cell.bias_hh = net.bias_ih_l0, net.bias_hh_l0
    return net, readout, Spec(*shape).from_torch(cell, readout)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_predict_matches_torch_lstm(shape, backend):
    net, readout, W = lstm_and_w(shape, seed=sum(shape))
    x = randn(4, 25, shape[0], seed=1)
    with torch.no_grad():
        ref = readout(net(x)[0])
    out = predict(W, Spec(*shape), x, backend=backend)
    assert out.shape == (4, 25, shape[2])
    assert (out - ref).abs().max() <= TOL


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_on_sine_input_matches_reference_helper(backend, reference_predict):
    spec = Spec(1, 8, 1)
    W = randn(spec.size, seed=4) * 0.5
    x = torch.sin(torch.arange(30, dtype=torch.float64) / 3).view(1, 30, 1).repeat(2, 1, 1)
    assert (predict(W, spec, x, backend=backend) - reference_predict(W, spec, x)).abs().max() <= TOL


@pytest.mark.parametrize("shape", [(1, 6, 1), (3, 5, 2)])
def test_fused_and_scan_gradients_agree_and_match_torch(shape):
    net, readout, W0 = lstm_and_w(shape, seed=7)
    spec = Spec(*shape)
    x = randn(3, 15, shape[0], seed=8)
    r = randn(3, 15, shape[2], seed=9)
    grads = {}
    for backend in BACKENDS:
        W = W0.clone().requires_grad_()
        (predict(W, spec, x, backend=backend) * r).sum().backward()
        grads[backend] = W.grad
    assert (grads["fused"] - grads["scan"]).abs().max() <= TOL
    (readout(net(x)[0]) * r).sum().backward()
    g = spec.unpack(grads["scan"])
    assert (g.w_ih - net.weight_ih_l0.grad).abs().max() <= TOL
    assert (g.w_hh - net.weight_hh_l0.grad).abs().max() <= TOL
    assert (g.b - net.bias_ih_l0.grad).abs().max() <= TOL
    assert (g.w_out - readout.weight.grad).abs().max() <= TOL
    assert (g.b_out - readout.bias.grad).abs().max() <= TOL


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_rejects_bad_input(backend):
    spec = Spec(2, 3, 2)
    W = torch.zeros(spec.size, dtype=torch.float64)
    for x in (torch.zeros(4, 2, dtype=torch.float64), torch.zeros(1, 5, 3, dtype=torch.float64)):
        with pytest.raises(ValueError, match="x must have shape"):
            predict(W, spec, x, backend=backend)
    with pytest.raises(ValueError, match="backend"):
        predict(W, spec, torch.zeros(1, 5, 2, dtype=torch.float64), backend="x")


# ---------------------------------------------------------------- generate


def explicit_generate(cell, readout, prime, steps):
    """Prime an LSTMCell step by step, then feed each output back as the next input."""
    batch = prime.shape[0]
    h = c = torch.zeros(batch, cell.hidden_size, dtype=torch.float64)
    with torch.no_grad():
        for t in range(prime.shape[1]):
            h, c = cell(prime[:, t], (h, c))
        y = readout(h)  # the guess of what follows the prime
        out = [y]
        for _ in range(steps - 1):
            h, c = cell(y, (h, c))
            y = readout(h)
            out.append(y)
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(1, 51, 1), (1, 1, 1), (3, 6, 3)])
@pytest.mark.parametrize("steps", [1, 2, 17])
def test_generate_matches_explicit_loop(shape, backend, steps):
    cell, readout = torch_modules(*shape, seed=11, scale=0.4)
    spec = Spec(*shape)
    W = spec.from_torch(cell, readout)
    prime = randn(3, 10, shape[0], seed=12)
    out = generate(W, spec, prime, steps, backend=backend)
    ref = explicit_generate(cell, readout, prime, steps)
    assert out.shape == (3, steps, shape[2])
    assert (out - ref).abs().max() <= TOL
    # value 0 is the teacher-forced output after the last prime step
    assert (out[:, 0] - predict(W, spec, prime, backend=backend)[:, -1]).abs().max() <= TOL


def test_generate_rejects():
    spec = Spec(3, 4, 2)
    W = torch.zeros(spec.size, dtype=torch.float64)
    with pytest.raises(ValueError, match="n_out == n_in"):
        generate(W, spec, torch.zeros(1, 5, 3, dtype=torch.float64), 3)
    spec = Spec(1, 4, 1)
    W = torch.zeros(spec.size, dtype=torch.float64)
    with pytest.raises(ValueError, match="steps"):
        generate(W, spec, torch.zeros(1, 5, 1, dtype=torch.float64), 0)
    with pytest.raises(ValueError, match="prime"):
        generate(W, spec, torch.zeros(1, 5, 2, dtype=torch.float64), 3)


# ---------------------------------------------------------------- gate_trace


def test_gate_trace_matches_hand_computed_gates():
    spec = Spec(2, 4, 2)
    W = randn(spec.size, seed=13) * 0.6
    lstm, _ = torch_lstm_from_w(W, spec)
    x = randn(2, 8, 2, seed=14)
    trace = gate_trace(W, spec, x)
    wi, wh, b = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach(), lstm.bias_ih_l0.detach()
    h = c = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(8):
        pre = x[:, t] @ wi.T + h @ wh.T + b
        i, f, g, o = pre[:, 0:4].sigmoid(), pre[:, 4:8].sigmoid(), pre[:, 8:12].tanh(), pre[:, 12:16].sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        for name, want in (("input", i), ("forget", f), ("cell", g), ("output", o), ("c", c), ("h", h)):
            assert (trace[name][:, t] - want).abs().max() <= TOL, name
    with torch.no_grad():
        assert (trace["h"] - lstm(x)[0]).abs().max() <= TOL
