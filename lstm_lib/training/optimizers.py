"""Adagrad written out as the article does, and the optimisers it is compared with."""

from __future__ import annotations

import torch

from lstm_lib.validation import check_float


class Adagrad:
    """Adagrad (Duchi, Hazan & Singer, 2011) on one flat parameter vector.

    Each step accumulates the squared gradient, ``acc += g**2``, then moves every coordinate
    by its own step size, ``W -= lr * g / (sqrt(acc) + eps)``: coordinates with large past
    gradients slow down, rare ones keep moving. Same trajectory as ``torch.optim.Adagrad``
    with ``lr_decay=0``, ``initial_accumulator_value=0`` and the same ``eps``.
    """

    def __init__(self, W: torch.Tensor, lr: float = 0.01, eps: float = 1e-10) -> None:
        self.lr = check_float("lr", lr, low=0, low_open=True)
        self.eps = check_float("eps", eps, low=0)
        self.W = W
        self.acc = torch.zeros_like(W)

    @torch.no_grad()
    def step(self, grad: torch.Tensor) -> None:
        """Update ``W`` in place from its gradient ``grad``."""
        self.acc.addcmul_(grad, grad)
        self.W.addcdiv_(grad, self.acc.sqrt().add_(self.eps), value=-self.lr)


class SGD:
    """Plain gradient descent, ``W -= lr * g``: the article's other baseline."""

    def __init__(self, W: torch.Tensor, lr: float = 0.01) -> None:
        self.lr = check_float("lr", lr, low=0, low_open=True)
        self.W = W

    @torch.no_grad()
    def step(self, grad: torch.Tensor) -> None:
        """Update ``W`` in place from its gradient ``grad``."""
        self.W.add_(grad, alpha=-self.lr)
