"""lstm_lib.port.example: upstream's model, data recipe, seeding, run and cache, against independent references."""

import math

import mpmath
import numpy as np
import pytest
import torch

from lstm_lib.model.exact import correctly_rounded_sin
from lstm_lib.port import example as port
from lstm_lib.training import config


def _upstream_file():
    """Upstream's generate_sine_wave.py, written out: the array it saves as traindata.pt."""
    np.random.seed(2)
    T, L, N = 20, 1000, 100
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    return np.sin(x / 1.0 / T).astype("float64")


def _ulps(a: torch.Tensor, b: np.ndarray) -> np.ndarray:
    return np.abs(a.numpy() - b) / np.spacing(np.abs(b))


@pytest.mark.parametrize("future", [1, 1000])
def test_data_is_upstreams_file_up_to_the_last_bit_of_the_sine(future):
    # upstream's np.sin is within an ulp of the correctly rounded sine used here, on any CPU
    ref = _upstream_file()
    waves = port.example_waves(100, 1000)
    assert waves.dtype == torch.float64 and _ulps(waves, ref).max() <= 1
    d = port.example_data(100, 1000, future)
    # upstream's train.py split: train on waves 3.., test on 0..2, input [:-1], target [1:]
    for got, want in ((d.train_input, waves[3:, :-1]), (d.train_target, waves[3:, 1:])):
        assert got.dtype == torch.float64 and torch.equal(got, want)
    assert torch.equal(d.test_input, waves[:3, :-1]) and torch.equal(d.test_target, waves[:3, 1:])
    # a shorter length is a prefix of the same file
    short = port.example_data(100, 50, 7)
    assert torch.equal(short.train_input, waves[3:, :49]) and torch.equal(short.test_target, waves[:3, 1:50])


def test_port_waves_are_correctly_rounded_sines_of_upstreams_angles():
    shifts = np.random.RandomState(2).randint(-80, 80, 100)
    angles = (np.arange(1000) + shifts[:, None]) / 1.0 / 20
    waves = port.example_waves(100, 1000).numpy()
    for i in range(0, angles.size, 97):  # a sample: mpmath's public API at 200 bits, rounded once
        with mpmath.workprec(200):
            assert waves.flat[i] == float(mpmath.sin(mpmath.mpf(float(angles.flat[i]))))


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
    assert len(a.train_loss) == len(a.test_loss) == len(a.free_mse) == len(a.seconds) == len(a.evaluations) == 2
    assert a.train_loss == b.train_loss and a.free_mse == b.free_mse and a.evaluations == b.evaluations
    assert a.train_loss == [losses[0] for losses in a.evaluations]
    assert all(1 <= len(losses) <= 20 for losses in a.evaluations)
    assert a.train_loss[1] < a.train_loss[0]
    c = port.cached_run(s, tmp_path)  # from the cache
    assert c.test_loss == b.test_loss and c.seconds == b.seconds and c.evaluations == b.evaluations
    assert torch.equal(c.predictions, b.predictions)
    assert all(torch.equal(p, q) for p, q in zip(c.model.parameters(), b.model.parameters(), strict=True))


def test_run_returns_the_trained_model_and_its_predictions():
    s = port.PortSettings(seed=1, n_waves=6, length=20, steps=1, future=8)
    d = port.example_data(6, 20, 8)
    r = port.run(s, d)
    assert r.teacher.shape == (3, 19) and r.free.shape == (3, 8)
    with torch.no_grad():
        pred = r.model(d.test_input, future=8)
    assert torch.equal(pred, r.predictions)
    mse = torch.nn.functional.mse_loss(r.teacher, d.test_target).item()
    assert mse == r.test_loss[-1]
    assert (r.free - d.future_truth).square().mean().item() == r.free_mse[-1]


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


class _UpstreamSequence(torch.nn.Module):
    """pytorch/examples time_sequence_prediction/train.py's model, written out as published."""

    def __init__(self):
        super().__init__()
        self.lstm1 = torch.nn.LSTMCell(1, 51)
        self.lstm2 = torch.nn.LSTMCell(51, 51)
        self.linear = torch.nn.Linear(51, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def _upstream_by_hand(length, steps, future, line_search_fn=None):
    """Upstream's data recipe and main loop (seed 0, lr 0.8), recording what PortRun records."""
    np.random.seed(2)
    T, N = 20, 100
    x = np.array(range(length + future)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = correctly_rounded_sin(x / 1.0 / T)  # upstream: np.sin, whose last bit depends on the CPU
    inp, target = torch.from_numpy(data[3:, : length - 1]), torch.from_numpy(data[3:, 1:length])
    test_inp, test_target = torch.from_numpy(data[:3, : length - 1]), torch.from_numpy(data[:3, 1:length])
    truth = torch.from_numpy(data[:3, length:])
    torch.manual_seed(0)
    seq = _UpstreamSequence()
    seq.double()
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, line_search_fn=line_search_fn)
    train, test, free, evaluations = [], [], [], []
    for _ in range(steps):
        printed = []

        def closure(printed=printed):
            optimizer.zero_grad()
            loss = criterion(seq(inp), target)
            printed.append(loss.item())  # upstream: print("loss:", loss.item())
            loss.backward()
            return loss

        train.append(optimizer.step(closure).item())
        evaluations.append(printed)
        with torch.no_grad():
            pred = seq(test_inp, future=future)
            test.append(criterion(pred[:, :-future], test_target).item())
            free.append(((pred[:, -future:] - truth) ** 2).mean().item())
    return train, test, free, evaluations, seq


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_replay_equals_upstream_written_out(line_search, tmp_path):
    r = port.replay(steps=2, length=12, future=5, line_search=line_search, cache_dir=tmp_path)
    train, test, free, evaluations, seq = _upstream_by_hand(12, 2, 5, line_search)
    assert r.settings.seed == 0 and r.settings.n_waves == 100 and r.settings.lr == 0.8
    assert not r.exploded and len(r.train_loss) == 2
    # upstream's data bit for bit, so every number is equal, not close
    assert r.train_loss == train and r.test_loss == test and r.free_mse == free
    assert r.evaluations == evaluations and sum(map(len, evaluations)) > 2
    assert all(torch.equal(p, q) for p, q in zip(r.model.parameters(), seq.parameters(), strict=True))
    again = port.replay(steps=2, length=12, future=5, line_search=line_search, cache_dir=tmp_path)  # cached
    assert again.seconds == r.seconds and again.settings == r.settings


def test_line_search_changes_the_steps_and_is_validated():
    plain = port.replay(steps=2, length=12, future=5)
    wolfe = port.replay(steps=2, length=12, future=5, line_search="strong_wolfe")
    assert plain.train_loss[0] == wolfe.train_loss[0]  # same start
    assert plain.test_loss != wolfe.test_loss
    with pytest.raises(ValueError, match="line_search"):
        port.PortSettings(line_search="armijo")


def test_port_and_training_share_one_list_of_line_searches():
    assert port.LINE_SEARCHES is config.LINE_SEARCHES
    for line_search in config.LINE_SEARCHES:  # each one both accept
        assert port.PortSettings(line_search=line_search).line_search == line_search
        assert config.TrainConfig(optimizer="lbfgs", line_search=line_search).line_search == line_search
    for other in ("armijo", "None", ""):
        with pytest.raises(ValueError, match="line_search"):
            port.PortSettings(line_search=other)
        with pytest.raises(ValueError, match="line_search"):
            config.TrainConfig(optimizer="lbfgs", line_search=other)


def _run(train, test, exploded_at=-1):
    return port.PortRun(port.PortSettings(), train, test, [1.0] * len(test), [1.0] * len(test), exploded_at)


def test_explosion_text_follows_the_numbers():
    text = port.explosion_text(_run([0.5, 0.1], [0.2, 0.05]))
    assert text == "the run did not explode in its 2 steps (teacher-forced test loss after the last one: 0.05)"
    assert "in its 1 step " in port.explosion_text(_run([0.5], [0.2]))
    text = port.explosion_text(_run([0.5, 0.1, 5e-5], [0.2, 4e-5, 1e22], exploded_at=2))
    want = "the run exploded in step 3: the teacher-forced test loss went from 4e-05 after step 2 to 1e+22 after step 3"
    assert text == want
    text = port.explosion_text(_run([0.5], [math.nan], exploded_at=0))
    assert text == (
        "the run exploded in step 1: the training loss was 0.5 at its start and "
        "the teacher-forced test loss a non-finite value after it"
    )
    text = port.explosion_text(_run([0.5, 1e9], [0.2, 0.1], exploded_at=1))
    assert text == "the run exploded in step 2: the training loss at its start was 1e+09"
