"""lstm_lib.port: upstream's model, data recipe, seeding, run and cache, against independent references."""

import math

import numpy as np
import pytest
import torch

from lstm_lib import port


def test_data_matches_the_numpy_recipe():
    # upstream generate_sine_wave.py, written out with numpy
    np.random.seed(2)
    T, L, N = 20, 1000, 100
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    ref = np.sin(x / 1.0 / T).astype("float64")
    d = port.example_data(100, 1000, 5)
    # same arguments to sin; numpy's and torch's sin may differ in the last bit
    for got, want in ((d.train_input, ref[3:, :-1]), (d.train_target, ref[3:, 1:]), (d.test_input, ref[:3, :-1])):
        assert got.dtype == torch.float64
        assert torch.allclose(got, torch.from_numpy(want), rtol=0, atol=1e-15)
    assert torch.allclose(d.test_target, torch.from_numpy(ref[:3, 1:]), rtol=0, atol=1e-15)


def test_future_truth_continues_the_test_waves():
    long = port.example_data(100, 60, 1)
    d = port.example_data(100, 50, 10)
    assert torch.allclose(d.future_truth, long.test_target[:, 49:59], atol=1e-12)


def test_seed_reproduces_upstream_construction_order():
    torch.manual_seed(0)
    lstm1, lstm2, linear = torch.nn.LSTMCell(1, 51), torch.nn.LSTMCell(51, 51), torch.nn.Linear(51, 1)
    seq = port.build(0)
    assert seq.lstm1.weight_ih.dtype == torch.float64
    assert torch.equal(seq.lstm1.weight_hh, lstm1.weight_hh.double())
    assert torch.equal(seq.lstm2.bias_ih, lstm2.bias_ih.double())
    assert torch.equal(seq.linear.weight, linear.weight.double())


def _cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def test_forward_equals_an_explicit_loop_including_the_future():
    seq = port.build(3)
    x = torch.randn(2, 7, dtype=torch.float64)
    out = seq(x, future=4)
    h1 = c1 = h2 = c2 = torch.zeros(2, 51, dtype=torch.float64)
    l1, l2, lin = seq.lstm1, seq.lstm2, seq.linear
    ref = []
    y = None
    inputs = [x[:, t : t + 1] for t in range(7)]
    for t in range(11):
        inp = inputs[t] if t < 7 else y
        h1, c1 = _cell(inp, h1, c1, l1.weight_ih, l1.weight_hh, l1.bias_ih, l1.bias_hh)
        h2, c2 = _cell(h1, h2, c2, l2.weight_ih, l2.weight_hh, l2.bias_ih, l2.bias_hh)
        y = h2 @ lin.weight.T + lin.bias
        ref.append(y)
    assert out.shape == (2, 11)
    assert torch.allclose(out, torch.cat(ref, dim=1), atol=1e-12)


def test_run_records_every_step_and_is_deterministic(tmp_path):
    s = port.PortSettings(seed=1, n_waves=6, length=20, steps=2, future=8)
    a = port.run(s)
    b = port.cached_run(s, tmp_path)
    assert len(a.train_loss) == len(a.test_loss) == len(a.free_mse) == len(a.seconds) == 2
    assert a.train_loss == b.train_loss and a.free_mse == b.free_mse
    assert a.train_loss[1] < a.train_loss[0]
    c = port.cached_run(s, tmp_path)  # from the cache
    assert c.test_loss == b.test_loss and c.seconds == b.seconds


def test_explosion_stops_the_run():
    r = port.run(port.PortSettings(seed=0, n_waves=5, length=10, steps=5, future=3, lr=1e6))
    assert r.exploded and len(r.train_loss) == r.exploded_at + 1
    last = max(r.train_loss[-1], r.test_loss[-1])
    assert not math.isfinite(last) or last > port.EXPLODE_AT


def test_settings_are_validated():
    with pytest.raises(ValueError, match="steps"):
        port.PortSettings(steps=0)
    with pytest.raises(ValueError, match="n_waves"):
        port.example_data(3)
