"""How the error made at each time step reaches the parameters ``W`` (the loss chapter's figure).

The article's loss sums the squared error over every step. Its gradient is therefore a sum of
one gradient per step; measuring the size of each term shows which steps dominate training,
the question that weighted training (a decaying weight per step) answers.
"""

from __future__ import annotations

import torch

from lstm_lib.model.network import BACKENDS, predict
from lstm_lib.model.spec import Spec
from lstm_lib.validation import check_choice, check_sequences


def per_step_grad_norm(
    W: torch.Tensor, spec: Spec, x: torch.Tensor, y: torch.Tensor, backend: str = "fused"
) -> torch.Tensor:
    """``g[t] = || d/dW sum_k (pred[k, t] - y[k, t])**2 ||_2`` for every step ``t``, shape (time,).

    ``x`` are the inputs (batch, time, n_in) and ``y`` the targets (batch, time, n_out), e.g.
    ``data[:, :-1]`` and ``data[:, 1:]``. The forward pass is run once and its graph reused for
    one backward pass per step, so the cost is one forward and ``time`` backward passes.
    The squared error at step ``t`` depends on the inputs up to ``t`` only, so ``g[t]`` shows
    how strongly step ``t``'s error pulls on ``W`` through everything the network read before.
    """
    check_choice("backend", backend, BACKENDS)
    check_sequences("x", x, n_in=spec.n_in, min_length=1)
    if not isinstance(y, torch.Tensor) or y.shape != (*x.shape[:2], spec.n_out):
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y must have shape {(*x.shape[:2], spec.n_out)}, got {shape}")
    W = W.detach().to(x.dtype).requires_grad_()
    pred = predict(W, spec, x, backend)
    errors = (pred - y.to(x.dtype)).square().sum(dim=(0, 2))  # (time,)
    norms = torch.empty(x.shape[1], dtype=torch.float64)
    for t in range(x.shape[1]):
        (grad,) = torch.autograd.grad(errors[t], W, retain_graph=t < x.shape[1] - 1)
        norms[t] = grad.norm().double()
    return norms
