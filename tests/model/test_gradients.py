"""per_step_grad_norm against an independent computation: one fresh forward pass per step."""

import pytest
import torch

from lstm_lib import Spec, init_params, sine_waves, squared_error
from lstm_lib.model.cell import lstm
from lstm_lib.model.gradients import per_step_grad_norm


def _direct(W: torch.Tensor, spec: Spec, x: torch.Tensor, y: torch.Tensor, t: int) -> float:
    """The squared error at step t alone, from an explicit loop of the kernel over steps 0..t."""
    W = W.clone().requires_grad_()
    c = h = x.new_zeros(x.shape[0], spec.n_hidden)
    out = x.new_zeros(x.shape[0], spec.n_out)
    for s in range(t + 1):
        c, h, out = lstm(x[:, s], c, h, out, W, spec)
    (grad,) = torch.autograd.grad(squared_error(out, y[:, t]), W)
    return grad.norm().item()


@pytest.mark.parametrize("backend", ["fused", "scan"])
def test_matches_single_step_autograd(backend):
    spec = Spec(1, 5, 1)
    W = init_params(spec, 3)
    data = sine_waves(3, 9, 2.0, seed=4)
    x, y = data[:, :-1], data[:, 1:]
    norms = per_step_grad_norm(W, spec, x, y, backend=backend)
    assert norms.shape == (8,)
    expected = torch.tensor([_direct(W, spec, x, y, t) for t in range(8)], dtype=torch.float64)
    torch.testing.assert_close(norms, expected, rtol=1e-10, atol=1e-12)


def test_sum_of_steps_is_the_loss_gradient():
    """The per-step gradients add up to the gradient of the whole square-sum loss (triangle inequality bound)."""
    spec = Spec(1, 4, 1)
    W = init_params(spec, 0).requires_grad_()
    data = sine_waves(2, 7, 3.0, seed=1)
    x, y = data[:, :-1], data[:, 1:]
    from lstm_lib import predict

    (total,) = torch.autograd.grad(squared_error(predict(W, spec, x), y), W)
    norms = per_step_grad_norm(W.detach(), spec, x, y)
    assert total.norm().item() <= norms.sum().item() + 1e-12


def test_does_not_touch_w_and_checks_shapes():
    spec = Spec(1, 4, 1)
    W = init_params(spec, 0)
    before = W.clone()
    data = sine_waves(2, 7, 3.0, seed=1)
    per_step_grad_norm(W, spec, data[:, :-1], data[:, 1:])
    assert torch.equal(W, before) and W.grad is None and not W.requires_grad
    with pytest.raises(ValueError, match="y must have shape"):
        per_step_grad_norm(W, spec, data[:, :-1], data[:, 2:])
    with pytest.raises(ValueError, match="backend"):
        per_step_grad_norm(W, spec, data[:, :-1], data[:, 1:], backend="theano")
