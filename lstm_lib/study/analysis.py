"""Looking at runs after the fact: curves over seeds, and a cached run's free-running behaviour."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lstm_lib.model.spec import Spec
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.evaluate import Evaluation, evaluate
from lstm_lib.training.train import TrainResult


def curve_band(curves: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Median, minimum and maximum over seeds, step by step, of equally long 1-D curves.

    The book draws curves over seeds as the median with a min/max band: with 5-10 seeds a
    band of all seeds shows the worst case honestly, where a mean would hide it.
    """
    if not curves:
        raise ValueError("curves must hold at least one curve, got none")
    lengths = {int(c.numel()) for c in curves}
    if len(lengths) != 1:
        raise ValueError(f"curves must all have the same length, got lengths {sorted(lengths)}")
    stack = torch.stack([c.detach().to(torch.float64).reshape(-1) for c in curves])
    return stack.median(dim=0).values, stack.min(dim=0).values, stack.max(dim=0).values


def evaluate_weights(
    W: torch.Tensor, n_hidden: int, eval_data: torch.Tensor, prime_length: int, horizon: int, threshold: float = 0.1
) -> Evaluation:
    """:func:`lstm_lib.evaluate.evaluate` for a bare trained ``W`` (e.g. a cached run of ``compare``)."""
    n_in = eval_data.shape[2]
    spec = Spec(n_in, n_hidden, n_in)
    if W.dim() != 1 or W.numel() != spec.size:
        raise ValueError(f"W must be a flat vector of {spec.size} values for n_hidden={n_hidden}, got {tuple(W.shape)}")
    empty = torch.empty(0, dtype=torch.float64)
    result = TrainResult(W, spec, TrainConfig(n_hidden=n_hidden), empty, empty, 0.0, float("nan"), 0)
    return evaluate(result, eval_data, prime_length, horizon, threshold)
