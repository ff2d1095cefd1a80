"""lstm_lib.scan against pytensor.scan (Theano's maintained successor) on the same step functions.

The step functions use only Python operators, so one function runs on torch tensors and on
PyTensor variables alike; every case compares the two results at float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_lib import scan
from lstm_lib.theano_reference import MODE, import_pytensor
from lstm_lib.theano_reference import scan as theano_scan

pytensor = import_pytensor()
pt = pytensor.tensor
rng = np.random.default_rng(0)
A = rng.standard_normal(7)
B = rng.standard_normal(5)  # shorter: Theano runs the shortest
M = rng.standard_normal((6, 3))
Z = np.float64(0.0)


def _convert(value, to):
    if isinstance(value, (list, tuple)):
        return [_convert(v, to) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v, to) if k in ("input", "initial") else v for k, v in value.items()}
    if isinstance(value, (np.ndarray, np.floating)):
        return to(np.asarray(value))
    return value


def both(fn, **kw):
    """``(ours, theirs)``: lstm_lib.scan's outputs (as numpy) and pytensor.scan's, same arguments."""
    ours, updates = scan(fn, **{k: _convert(v, torch.from_numpy) for k, v in kw.items()})
    assert updates == {}
    theirs, their_updates = theano_scan(fn, **{k: _convert(v, pt.as_tensor) for k, v in kw.items()})
    assert len(their_updates) == 0
    values = pytensor.function([], theirs, mode=MODE)()
    assert isinstance(ours, list) == isinstance(theirs, list)  # one output bare, several as a list
    if isinstance(ours, list):
        return [o.numpy() for o in ours], [np.asarray(v) for v in values]
    return ours.numpy(), np.asarray(values)


def assert_same(ours, theirs):
    ours, theirs = (ours, theirs) if isinstance(ours, list) else ([ours], [theirs])
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        assert o.shape == t.shape
        np.testing.assert_allclose(o, t, rtol=0, atol=1e-12)


def test_cumulative_sum_of_a_1d_sequence_theanos_example():
    ours, theirs = both(lambda x, acc: acc + x, sequences=A, outputs_info=Z)
    assert ours.shape == (7,)
    assert_same(ours, theirs)
    np.testing.assert_allclose(ours, np.cumsum(A), rtol=0, atol=1e-12)


def test_time_is_axis_0_of_a_matrix():
    ours, theirs = both(lambda row, acc: acc + row, sequences=[M], outputs_info=[np.zeros(3)])
    assert ours.shape == (6, 3)
    assert_same(ours, theirs)


def test_several_sequences_run_the_shortest():
    ours, theirs = both(lambda a, b, acc, k: acc * k + a * b, sequences=[A, B], outputs_info=[Z], non_sequences=[0.5])
    assert ours.shape == (5,)
    assert_same(ours, theirs)


def test_none_in_outputs_info_collects_without_feeding_back():
    def step(a, b, acc):
        return acc + a, a * b, acc * 2

    ours, theirs = both(step, sequences=[A, B], outputs_info=[Z, None, None])
    assert isinstance(ours, list) and len(ours) == 3
    assert_same(ours, theirs)


@pytest.mark.parametrize("outputs_info", ["omitted", None, []])
def test_a_map(outputs_info):
    kw = {} if outputs_info == "omitted" else {"outputs_info": outputs_info}
    assert_same(*both(lambda a, b: a * b + 1, sequences=[A, B], **kw))
    assert_same(*both(lambda a: (a * 2, a - 1), sequences=A, **kw))


def test_n_steps_shorter_than_the_sequences_and_without_sequences():
    assert_same(*both(lambda x, acc: acc + x, sequences=A, outputs_info=Z, n_steps=3))
    ours, theirs = both(
        lambda prev, k: prev * k, outputs_info=np.float64(1.0), non_sequences=np.float64(1.5), n_steps=5
    )
    assert_same(ours, theirs)
    np.testing.assert_allclose(ours, 1.5 ** np.arange(1, 6), rtol=1e-15)


def test_n_steps_longer_than_the_sequences_is_an_error_in_both():
    with pytest.raises(ValueError, match=r"n_steps \(9\) must be <= .* \(7\)"):
        scan(lambda x, acc: acc + x, sequences=torch.from_numpy(A), outputs_info=torch.tensor(0.0), n_steps=9)
    with pytest.raises(ValueError, match="required number of steps"):
        out, _ = theano_scan(lambda x, acc: acc + x, sequences=pt.as_tensor(A), outputs_info=pt.as_tensor(Z), n_steps=9)
        pytensor.function([], out, mode=MODE)()


@pytest.mark.parametrize("taps", [[-1, 0, 2], [1, 2], [-3, -1], [0]])
def test_sequence_taps(taps):
    def step(*args):
        *xs, acc = args
        return acc + sum(x * 10**j for j, x in enumerate(xs))

    assert_same(*both(step, sequences=dict(input=A, taps=taps), outputs_info=Z))
    assert_same(*both(step, sequences=[dict(input=A, taps=taps)], outputs_info=[Z], n_steps=2))


@pytest.mark.parametrize("taps", [[-2, -1], [-1, -3], [-1]])
def test_output_taps(taps):
    initial = np.array([0.3, 1.0, 2.0, 5.0])  # longer than needed: Theano reads the first -min(taps) rows

    def step(*past):
        return sum(p * (j + 1) for j, p in enumerate(past)) * 0.5

    assert_same(*both(step, outputs_info=dict(initial=initial, taps=taps), n_steps=6))


def test_sequence_and_output_taps_together_with_a_non_sequence():
    def step(xm1, x, fm2, fm1, plain, k):
        return fm2 + k * fm1 + xm1 * x, plain + x

    info = [dict(initial=np.array([1.0, 2.0]), taps=[-2, -1]), Z]
    assert_same(*both(step, sequences=dict(input=A, taps=[-1, 0]), outputs_info=info, non_sequences=np.float64(0.3)))


@pytest.mark.parametrize("n_steps", [None, 2])
def test_go_backwards(n_steps):
    assert_same(*both(lambda x, acc: acc + x * 3, sequences=A, outputs_info=Z, go_backwards=True, n_steps=n_steps))
    assert_same(*both(lambda a, b, acc: acc + a * b, sequences=[A, B], outputs_info=Z, go_backwards=True))
    assert_same(
        *both(
            lambda xm1, x, xp2, acc: acc + xm1 + 10 * x + 100 * xp2,
            sequences=dict(input=A, taps=[-1, 0, 2]),
            outputs_info=Z,
            go_backwards=True,
            n_steps=n_steps,
        )
    )


def test_return_list_and_single_items_for_lists():
    x = torch.from_numpy(A)
    bare, _ = scan(lambda a, acc: acc + a, sequences=x, outputs_info=torch.tensor(0.0, dtype=torch.float64))
    (listed,), _ = scan(
        lambda a, acc: acc + a, sequences=[x], outputs_info=[torch.tensor(0.0, dtype=torch.float64)], return_list=True
    )
    assert torch.equal(bare, listed)


def test_refusals_name_the_feature_before_any_step():
    calls = []

    def step(x, acc):
        calls.append(1)
        return acc + x

    x, z = torch.from_numpy(A), torch.tensor(0.0, dtype=torch.float64)
    with pytest.raises(ValueError, match="truncate_gradient is not implemented"):
        scan(step, sequences=x, outputs_info=z, truncate_gradient=3)
    with pytest.raises(ValueError, match=r"outputs_info\[0\] taps must all be < 0"):
        scan(step, sequences=x, outputs_info=dict(initial=z.view(1), taps=[0]))
    with pytest.raises(ValueError, match=r"must hold at least 3 past values"):
        scan(step, sequences=x, outputs_info=dict(initial=z.view(1), taps=[-3]))
    with pytest.raises(ValueError, match=r"sequences\[0\] taps"):
        scan(step, sequences=dict(input=x, taps=[]), outputs_info=z)
    with pytest.raises(ValueError, match="at least 1 step after their taps"):
        scan(step, sequences=dict(input=x, taps=[-4, 3]), outputs_info=z)
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="n_steps must be an int >= 1"):
            scan(step, sequences=x, outputs_info=z, n_steps=bad)
    with pytest.raises(ValueError, match="n_steps is needed"):
        scan(lambda acc: acc, outputs_info=z)
    with pytest.raises(ValueError, match="go_backwards must be a bool"):
        scan(step, sequences=x, outputs_info=z, go_backwards=1)
    assert not calls
    with pytest.raises(ValueError, match="updates are not implemented"):
        scan(lambda x: {}, sequences=x)
    with pytest.raises(ValueError, match="fn returned 2 outputs, outputs_info has 1"):
        scan(lambda x, acc: (acc, acc), sequences=x, outputs_info=z)
