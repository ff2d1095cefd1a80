"""Remedies for exposure bias, next to the article's tricks: scheduled sampling and rollout training.

A teacher-forced network only ever reads true values, yet free-running it reads its own outputs.
Both remedies show it its own outputs during training:

- scheduled sampling (Bengio et al., 2015): each input after the first is the true previous value
  with probability ``p``, else the model's own previous output; ``p`` decays over training;
- rollout (multi-step) training: after a teacher-forced prefix the model draws ``k`` steps by itself
  and the loss includes their error, with gradients through the rollout.

Each is an objective for :func:`lstm_lib.training.train.train`: ``inputs(iteration)`` draws what the
iteration's loss needs, ``loss(W, inputs)`` is the differentiable objective (the same draws for every
evaluation of one L-BFGS step).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from lstm_lib.model.cell import lstm
from lstm_lib.model.loss import squared_error
from lstm_lib.model.network import generate, initial_state, predict
from lstm_lib.model.spec import Spec
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import check_int

Objective = tuple[Callable[[int], torch.Tensor], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]
SAMPLING_SEED_OFFSET = 2
"""The coins of scheduled sampling come from ``seed + 2`` (the denoising noise uses ``seed + 1``)."""


def sampling_probability(config: TrainConfig, iteration: int) -> float:
    """``p_i``, the probability of feeding the true input at ``iteration`` (0-based), per ``config``'s schedule."""
    if config.sampling_schedule == "linear":
        if config.iterations == 1:
            return config.sampling_start
        fraction = iteration / (config.iterations - 1)
        return config.sampling_start + (config.sampling_end - config.sampling_start) * fraction
    k = config.sampling_k
    return k / (k + math.exp(min(iteration / k, 700.0)))  # exp(700) is near float's top; p is ~0 there


def draw_truth(p: float, n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """Which inputs are true values: a (n, length) bool mask, column 0 always ``True`` (no output precedes it).

    The uniforms are drawn in float64 whatever ``p``, so runs that differ only in ``p`` (or dtype)
    flip the same coins, and ``p = 1`` gives all ``True`` (a uniform draw is below 1).
    """
    u = torch.rand((n, length - 1), generator=generator, dtype=torch.float64)
    return torch.cat([torch.ones(n, 1, dtype=torch.bool), u < p], dim=1)


def sampled_inputs(W: torch.Tensor, spec: Spec, x: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """The inputs of one scheduled-sampling pass: ``x[:, t]`` where ``truth[:, t]``, else the output of step ``t - 1``.

    The model's outputs are fed back detached, as Bengio et al. do (no gradient through the
    sampling), so this runs without a graph: one forward step of the article's cell per time step
    (:func:`lstm_lib.model.cell.lstm`), no backward. The gradient then comes from an ordinary
    teacher-forced pass over these inputs.
    """
    with torch.no_grad():
        W = W.detach()
        c, h, y = initial_state(spec, x.shape[0], x)
        truth = truth.to(x.device)
        columns = []
        for t in range(x.shape[1]):
            xt = x[:, t] if t == 0 else torch.where(truth[:, t, None], x[:, t], y)
            columns.append(xt)
            if t + 1 < x.shape[1]:
                c, h, y = lstm(xt, c, h, y, W, spec)
        return torch.stack(columns, dim=1)


def scheduled_sampling(config: TrainConfig, spec: Spec, x: torch.Tensor, y: torch.Tensor) -> Objective:
    """Bengio et al.'s scheduled sampling, the sampled outputs detached (see :func:`sampled_inputs`).

    Cost per loss evaluation: the plain teacher-forced pass (fused kernel and its backward) plus a
    forward-only step loop over the sequence; an iteration whose mask is all true skips the loop, so
    ``p = 1`` throughout costs and computes exactly what plain training does.
    """
    coins = torch.Generator().manual_seed(config.seed + SAMPLING_SEED_OFFSET)

    def inputs(iteration: int) -> torch.Tensor:
        return draw_truth(sampling_probability(config, iteration), x.shape[0], x.shape[1], coins)

    def loss(W: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        xin = x if bool(truth.all()) else sampled_inputs(W, spec, x, truth)
        return squared_error(predict(W, spec, xin, config.backend), y)

    return inputs, loss


def rollout_error(
    W: torch.Tensor, spec: Spec, x: torch.Tensor, y: torch.Tensor, prefix: int, steps: int, backend: str = "fused"
) -> torch.Tensor:
    """Squared error of ``steps`` free-running steps after reading ``x[:, :prefix]``, differentiable in ``W``.

    The output after the prefix is the teacher-forced guess of ``y[:, prefix - 1]`` (already in the
    plain loss); the ``steps`` outputs that follow, each fed the one before, are compared with
    ``y[:, prefix : prefix + steps]``. Uses :func:`lstm_lib.model.network.generate`, keeping its graph.
    """
    check_int("rollout_steps", steps, 1)
    drawn = generate(W, spec, x[:, :prefix], steps + 1, backend)[:, 1:]
    return squared_error(drawn, y[:, prefix : prefix + steps])


def rollout(config: TrainConfig, spec: Spec, x: torch.Tensor, y: torch.Tensor) -> Objective:
    """The plain loss plus :func:`rollout_error` (unweighted, as the article sums squares); ``k = 0`` is plain.

    Cost per loss evaluation: the plain pass, plus ``rollout_prefix`` teacher-forced steps again and
    ``rollout_steps`` steps of the cell in a Python loop, all with their backward pass.
    """
    prefix, steps = config.rollout_prefix, config.rollout_steps
    if steps > 0 and prefix + steps > x.shape[1]:
        raise ValueError(
            f"rollout_prefix + rollout_steps must be at most the data's length - 1 = {x.shape[1]} "
            f"(each rollout step needs a true value to compare with), got {prefix} + {steps}"
        )

    def inputs(iteration: int) -> torch.Tensor:
        return x

    def loss(W: torch.Tensor, xin: torch.Tensor) -> torch.Tensor:
        plain = squared_error(predict(W, spec, xin, config.backend), y)
        if steps == 0:
            return plain
        return plain + rollout_error(W, spec, xin, y, prefix, steps, config.backend)

    return inputs, loss


OBJECTIVES = {"scheduled-sampling": scheduled_sampling, "rollout": rollout}
