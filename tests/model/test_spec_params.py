"""Spec (the packed layout of W) and init_params."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_lib import GATES, Params, Spec, init_params
from lstm_lib.model.params import FORGET_BIAS
from tests.torch_references import torch_modules

SHAPES = [(1, 51, 1), (3, 7, 2), (1, 1, 1), (5, 16, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_size_is_sum_of_blocks(shape):
    n_in, h, n_out = shape
    spec = Spec(*shape)
    by_formula = 4 * h * n_in + 4 * h * h + 4 * h + n_out * h + n_out
    assert spec.size == by_formula
    assert spec.size == sum(math.prod(s) for s in spec.shapes.values())
    # PyTorch's LSTMCell has two bias vectors; the packed W sums them into one.
    cell, readout = torch_modules(*shape, seed=0)
    n_torch = sum(p.numel() for p in cell.parameters()) + sum(p.numel() for p in readout.parameters())
    assert spec.size == n_torch - 4 * h


@pytest.mark.parametrize("shape", SHAPES)
def test_unpack_returns_views_covering_w_exactly(shape):
    spec = Spec(*shape)
    W = torch.full((spec.size,), float("nan"), dtype=torch.float64)
    p = spec.unpack(W)
    assert isinstance(p, Params)
    start, end = W.data_ptr(), W.data_ptr() + W.numel() * W.element_size()
    for k, (name, view) in enumerate(p._asdict().items()):
        assert tuple(view.shape) == spec.shapes[name]
        assert view.untyped_storage().data_ptr() == W.untyped_storage().data_ptr()
        assert start <= view.data_ptr() < end
        view.fill_(k)  # writing to the view writes to W
    # every element of W belongs to exactly one block, in the documented order
    expected = torch.cat([torch.full((math.prod(s),), float(k)) for k, s in enumerate(spec.shapes.values())])
    assert torch.equal(W, expected.double())


def test_single_element_write_through_view():
    spec = Spec(2, 3, 2)
    W = torch.zeros(spec.size, dtype=torch.float64)
    spec.unpack(W).w_hh[1, 2] = 7.0
    offset = 4 * 3 * 2 + 1 * 3 + 2  # after w_ih (12x2), row 1, column 2 of w_hh (12x3)
    assert W[offset] == 7.0
    assert W.count_nonzero() == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_pack_inverts_unpack(shape):
    spec = Spec(*shape)
    W = torch.randn(spec.size, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    packed = spec.pack(spec.unpack(W))
    assert torch.equal(packed, W)
    assert packed.data_ptr() != W.data_ptr()  # pack makes a new tensor
    assert torch.equal(spec.pack(spec.unpack(W)._asdict()), W)


def test_gradients_flow_from_views_to_w():
    spec = Spec(2, 3, 2)
    W = torch.randn(spec.size, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).requires_grad_()
    p = spec.unpack(W)
    (p.w_hh.square().sum() + 3 * p.b_out.sum()).backward()
    expected = torch.zeros(spec.size, dtype=torch.float64)
    s, e = spec.offsets["w_hh"]
    expected[s:e] = 2 * W.detach()[s:e]
    s, e = spec.offsets["b_out"]
    expected[s:e] = 3
    assert torch.equal(W.grad, expected)


def test_gate_rows_follow_pytorch_order():
    # PyTorch documents weight_ih as (W_ii|W_if|W_ig|W_io): input, forget, cell, output.
    assert GATES == ("input", "forget", "cell", "output")
    h = 5
    spec = Spec(2, h, 1)
    cell, readout = torch_modules(2, h, 1, seed=3)
    p = spec.unpack(spec.from_torch(cell, readout))
    for k, gate in enumerate(GATES):
        rows = spec.gate_rows(gate)
        assert rows == slice(k * h, (k + 1) * h)
        assert torch.equal(p.w_ih[rows], cell.weight_ih.detach().chunk(4)[k])
        assert torch.equal(p.w_hh[rows], cell.weight_hh.detach().chunk(4)[k])
    with pytest.raises(ValueError, match="gate"):
        spec.gate_rows("forgot")


@pytest.mark.parametrize(
    "W",
    [
        torch.zeros(3, 4, dtype=torch.float64),
        torch.zeros(Spec(2, 3, 2).size + 1, dtype=torch.float64),
        torch.zeros(Spec(2, 3, 2).size - 1, dtype=torch.float64),
        [0.0] * Spec(2, 3, 2).size,
    ],
    ids=["2d", "too-long", "too-short", "list"],
)
def test_unpack_rejects_bad_w(W):
    with pytest.raises(ValueError, match="W must be"):
        Spec(2, 3, 2).unpack(W)


def test_pack_rejects_bad_parts():
    spec = Spec(2, 3, 2)
    parts = spec.unpack(torch.zeros(spec.size, dtype=torch.float64))._asdict()
    missing = {k: v for k, v in parts.items() if k != "b_out"}
    with pytest.raises(ValueError, match="keys"):
        spec.pack(missing)
    with pytest.raises(ValueError, match="keys"):
        spec.pack({**parts, "extra": torch.zeros(1)})
    with pytest.raises(ValueError, match="w_hh"):
        spec.pack({**parts, "w_hh": torch.zeros(3, 12)})


@pytest.mark.parametrize("field", ["n_in", "n_hidden", "n_out"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_spec_rejects_bad_field(field, bad):
    values = {"n_in": 1, "n_hidden": 2, "n_out": 1, field: bad}
    with pytest.raises(ValueError, match=field) as info:
        Spec(**values)
    assert repr(bad) in str(info.value)


def test_from_torch_checks_shapes():
    cell, readout = torch_modules(2, 3, 2, seed=0)
    assert Spec.from_modules(cell, readout) == Spec(2, 3, 2)
    with pytest.raises(ValueError):
        Spec(2, 4, 2).from_torch(cell, readout)
    with pytest.raises(ValueError, match="in_features"):
        Spec.from_modules(cell, torch.nn.Linear(4, 2))


# ---------------------------------------------------------------- init_params


def test_init_params_deterministic_per_seed():
    spec = Spec(1, 51, 1)
    assert torch.equal(init_params(spec, 0), init_params(spec, 0))
    assert torch.equal(init_params(spec, 123), init_params(spec, 123))
    assert not torch.equal(init_params(spec, 0), init_params(spec, 1))
    # the global RNG plays no part
    torch.manual_seed(0)
    a = init_params(spec, 5)
    torch.manual_seed(99)
    assert torch.equal(a, init_params(spec, 5))


@pytest.mark.parametrize("shape", SHAPES)
def test_init_params_biases_and_bounds(shape):
    spec = Spec(*shape)
    W = init_params(spec, seed=7)
    p = spec.unpack(W)
    h = spec.n_hidden
    forget = torch.zeros(4 * h, dtype=torch.bool)
    forget[h : 2 * h] = True  # PyTorch's gate order i, f, g, o
    assert torch.all(p.b[forget] == FORGET_BIAS)
    assert torch.all(p.b[~forget] == 0)
    assert torch.all(p.b_out == 0)
    bound = 1 / math.sqrt(h)
    for w in (p.w_ih, p.w_hh, p.w_out):
        assert w.abs().max() <= bound
    weights = torch.cat([p.w_ih.flatten(), p.w_hh.flatten(), p.w_out.flatten()])
    if weights.numel() >= 100:  # drawn across the whole interval, not a corner of it
        assert weights.max() > 0.9 * bound and weights.min() < -0.9 * bound
        assert abs(weights.mean().item()) < 0.1 * bound


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (torch.float64, torch.float64),
        (torch.float32, torch.float32),
        ("float32", torch.float32),
        ("float64", torch.float64),
    ],
)
def test_init_params_dtype(dtype, expected):
    spec = Spec(1, 4, 1)
    W = init_params(spec, 0, dtype=dtype)
    assert W.dtype == expected
    assert W.shape == (spec.size,)
    assert torch.allclose(W.double(), init_params(spec, 0).double(), atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, name", [({"dtype": "float16"}, "dtype"), ({"seed": -1}, "seed"), ({"seed": 1.0}, "seed")]
)
def test_init_params_rejects(kwargs, name):
    args = {"seed": 0, **kwargs}
    with pytest.raises(ValueError, match=name):
        init_params(Spec(1, 2, 1), **args)
