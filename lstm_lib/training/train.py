"""Train the packed-``W`` LSTM on sequences: plain, weighted, denoising or both, or a remedy (:mod:`.remedies`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from lstm_lib.model.data import add_noise
from lstm_lib.model.loss import decay_weights, squared_error
from lstm_lib.model.network import predict
from lstm_lib.model.params import init_params
from lstm_lib.model.spec import Spec
from lstm_lib.training.config import TrainConfig
from lstm_lib.training.divergence import BLOWUP_FACTOR, diverged
from lstm_lib.training.optimizers import SGD, Adagrad
from lstm_lib.training.remedies import OBJECTIVES
from lstm_lib.validation import check_sequences


class TrainingDiverged(FloatingPointError):
    """The loss became NaN, infinite or :data:`BLOWUP_FACTOR` times its start; carries the iteration and config."""

    def __init__(self, iteration: int, loss: float, config: TrainConfig) -> None:
        super().__init__(
            f"training diverged: loss became {loss} at iteration {iteration} with {config}; "
            "try a smaller lr or set clip"
        )
        self.iteration, self.loss, self.config = iteration, loss, config


@dataclass
class TrainResult:
    """A trained ``W`` with its history.

    ``history[i]``: the training objective (weighted and/or on noisy inputs, per the method)
    at the start of iteration ``i``; ``seconds[i]``: wall seconds at the end of iteration ``i``;
    ``final_mse``: clean teacher-forced mean squared error after training, comparable across methods.
    """

    W: torch.Tensor
    spec: Spec
    config: TrainConfig
    history: torch.Tensor
    seconds: torch.Tensor
    wall_seconds: float
    final_mse: float
    evaluations: int
    extra: dict = field(default_factory=dict)


def _objective(config: TrainConfig, spec: Spec, x: torch.Tensor, y: torch.Tensor):
    """``(inputs, loss)``: ``inputs(i)`` draws iteration ``i``'s inputs, ``loss(W, inputs)`` is the objective."""
    if config.method in OBJECTIVES:
        return OBJECTIVES[config.method](config, spec, x, y)
    weights = decay_weights(x.shape[1], config.weight_rate, x.dtype).to(x.device) if config.weighted else None
    noise = torch.Generator().manual_seed(config.seed + 1)

    def inputs(iteration: int) -> torch.Tensor:
        return add_noise(x, config.noise_std, noise) if config.denoising else x

    def loss(W: torch.Tensor, xin: torch.Tensor) -> torch.Tensor:
        return squared_error(predict(W, spec, xin, config.backend), y, weights)

    return inputs, loss


def _check_init(init: torch.Tensor, spec: Spec, dtype: torch.dtype) -> torch.Tensor:
    if not isinstance(init, torch.Tensor) or init.dim() != 1 or init.numel() != spec.size:
        shape = tuple(init.shape) if isinstance(init, torch.Tensor) else type(init).__name__
        raise ValueError(f"init must be a 1-D tensor of length spec.size={spec.size} for {spec}, got {shape}")
    if init.dtype != dtype:
        raise ValueError(f"init must have the config's dtype {dtype}, got {init.dtype}")
    if not torch.isfinite(init).all():
        raise ValueError("init must be finite everywhere, got NaN or infinite values")
    return init.detach().clone()


def train(
    config: TrainConfig, data: torch.Tensor, init: torch.Tensor | None = None, progress: bool = True
) -> TrainResult:
    """Fit ``W`` so that ``data[:, :-1]`` predicts ``data[:, 1:]`` (the article's self-prediction).

    ``data`` is (n, length, n_in). Training starts from ``init`` (a 1-D ``W`` of the config's dtype,
    copied, never modified) or, when it is ``None``, from ``init_params(spec, config.seed)``, so a
    config alone fixes the run. Raises :class:`TrainingDiverged` if the loss stops being finite or
    grows beyond :data:`BLOWUP_FACTOR` times its starting value.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_sequences("data", data, min_length=2)
    config.check_memory(*data.shape)
    dtype, device = config.torch_dtype, torch.device(config.device)
    spec = Spec(data.shape[2], config.n_hidden, data.shape[2])
    W0 = init_params(spec, config.seed, dtype) if init is None else _check_init(init, spec, dtype)
    data = data.to(dtype=dtype, device=device)
    x, y = data[:, :-1], data[:, 1:]
    W = W0.to(device).requires_grad_()
    inputs, loss_fn = _objective(config, spec, x, y)
    history = torch.empty(config.iterations, dtype=torch.float64)
    seconds = torch.empty(config.iterations, dtype=torch.float64)
    evaluations = 0
    start_loss: float | None = None

    def grad_of(xin: torch.Tensor, iteration: int) -> float:
        nonlocal evaluations, start_loss
        W.grad = None
        loss = loss_fn(W, xin)
        value = loss.item()
        if start_loss is None:  # the scale to compare with: the first loss, or predicting all zeros
            start_loss = max(value, y.square().sum().item())
        if diverged(value, start_loss, BLOWUP_FACTOR):
            raise TrainingDiverged(iteration, value, config)
        loss.backward()
        if config.clip is not None:
            torch.nn.utils.clip_grad_norm_([W], config.clip)
        evaluations += 1
        return value

    if config.optimizer == "lbfgs":
        opt = torch.optim.LBFGS(
            [W], lr=config.lr, max_iter=config.lbfgs_max_iter, history_size=100, line_search_fn=config.line_search
        )
    else:
        opt = (Adagrad if config.optimizer == "adagrad" else SGD)(W, config.lr)
    bar = tqdm(range(config.iterations), disable=not progress, desc=config.label(), leave=False)
    start = time.perf_counter()
    for i in bar:
        xin = inputs(i)
        if config.optimizer == "lbfgs":
            values: list[float] = []

            def closure(xin: torch.Tensor = xin, i: int = i, values: list[float] = values) -> torch.Tensor:
                values.append(grad_of(xin, i))
                return torch.tensor(values[-1])

            opt.step(closure)
            history[i] = values[0]
            if not torch.isfinite(W).all():
                raise TrainingDiverged(i, float("nan"), config)
        else:
            history[i] = grad_of(xin, i)
            opt.step(W.grad)
        seconds[i] = time.perf_counter() - start
        if progress and (i % 10 == 0 or i == config.iterations - 1):
            bar.set_postfix(loss=f"{history[i].item():.3e}")
    wall = time.perf_counter() - start
    W = W.detach()
    with torch.no_grad():
        final = squared_error(predict(W, spec, x, config.backend), y).item() / y.numel()
    if diverged(final * y.numel(), start_loss, BLOWUP_FACTOR):
        raise TrainingDiverged(config.iterations, final, config)
    return TrainResult(W.cpu(), spec, config, history, seconds, wall, final, evaluations)
