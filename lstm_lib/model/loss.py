"""The article's loss (a sum of squared differences) and the decaying weights of weighted training."""

from __future__ import annotations

import torch

from lstm_lib.validation import check_float, check_int


def squared_error(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``sum_{k,t,j} w[t] * (pred[k,t,j] - target[k,t,j])**2`` over batch ``k``, time ``t``, output ``j``.

    ``weights`` has shape (time,) and is broadcast over the batch and outputs; ``None`` means all 1.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    sq = (pred - target).square()
    if weights is None:
        return sq.sum()
    if weights.dim() != 1 or weights.shape[0] != pred.shape[1]:
        raise ValueError(f"weights must have shape ({pred.shape[1]},), got {tuple(weights.shape)}")
    return (sq * weights.to(sq.dtype)[None, :, None]).sum()


def decay_weights(length: int, rate: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Weighted training's per-step weights ``w[t] = rate**t`` for ``t = 0 .. length-1``.

    ``w[0] = 1``; each later step counts ``rate`` times as much as the one before, so early
    steps, whose errors are carried into every later step, weigh most. ``rate=1`` is plain training.
    """
    check_int("length", length, 1)
    check_float("rate", rate, low=0, high=1, low_open=True)
    return torch.tensor(rate, dtype=torch.float64).pow(torch.arange(length, dtype=torch.float64)).to(dtype)
