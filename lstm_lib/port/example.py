"""The article's PyTorch port (pytorch/examples ``time_sequence_prediction``), rebuilt and measured.

The upstream example trains two stacked ``nn.LSTMCell(…, 51)`` and an ``nn.Linear(51, 1)`` in
float64 with L-BFGS (lr 0.8) on 97 sine waves and tests on 3 more. As published it loads its
data with ``torch.load`` (which fails on torch >= 2.6) and reports only the teacher-forced test
loss. Here the data come from upstream's own numpy recipe, with the correctly rounded sine in place
of ``np.sin`` (whose last bit depends on the CPU, and one ulp is enough to change an L-BFGS run),
and every step records every loss evaluation (upstream prints them all), the teacher-forced test
loss and the free-running error of ``future`` generated steps against the true continuation,
because the teacher-forced loss alone is a poor guide to how well the network draws the wave by itself.

A port run stops when it diverges by the training layer's rule (:mod:`lstm_lib.training.divergence`),
and :func:`cached_run` keeps it in the checksummed cache every trained run goes through
(:mod:`lstm_lib.runs.store`), keyed on its settings, its data, the torch version and the code it reaches.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lstm_lib import sources
from lstm_lib.fields import Settings, setting
from lstm_lib.model.data import MAX_VALUES
from lstm_lib.model.exact import correctly_rounded_sin
from lstm_lib.runs import store
from lstm_lib.runs.store import check_cache_dir, tensor_hash
from lstm_lib.training.config import LINE_SEARCHES
from lstm_lib.training.divergence import diverged
from lstm_lib.validation import check_int, check_seed

HIDDEN = 51
EXPLODE_AT = 1e3
"""The port's factor in the divergence rule (:func:`~lstm_lib.training.divergence.diverged`), on a scale of 1:
a loss above it, or a non-finite one, marks the run exploded and stops it. The port's losses are mean
squared errors of unit sines (near 0.5 at the start), checked once per L-BFGS step, so its bound is
absolute where training's is relative to its first loss: a port run past it never comes back
(upstream would keep going for its 15 steps)."""


class Sequence(nn.Module):
    """Upstream's ``Sequence``: ``LSTMCell(1, 51)`` -> ``LSTMCell(51, 51)`` -> ``Linear(51, 1)``.

    Modules are created in upstream's order, in float32, then converted with ``.double()``, so
    ``torch.manual_seed(seed)`` followed by ``Sequence()`` gives upstream's initial weights.
    """

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.hidden = check_int("hidden", hidden, 1)
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)
        self.double()

    def forward(self, x: torch.Tensor, future: int = 0) -> torch.Tensor:
        """Teacher-forced outputs for ``x`` (batch, time), then ``future`` free-running outputs.

        Returns (batch, time + future): output ``t < time`` predicts ``x[:, t + 1]``; the
        free-running part feeds each output back as the next input, as upstream does.
        """
        if x.dim() != 2:
            raise ValueError(f"x must have shape (batch, time), got {tuple(x.shape)}")
        check_int("future", future, 0)
        zeros = x.new_zeros(x.shape[0], self.hidden)
        h1, c1, h2, c2 = zeros, zeros, zeros, zeros
        outputs = []
        output = x.new_zeros(x.shape[0], 1)
        for x_t in x.split(1, dim=1):
            h1, c1 = self.lstm1(x_t, (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            output = self.linear(h2)
            outputs.append(output)
        for _ in range(future):
            h1, c1 = self.lstm1(output, (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            output = self.linear(h2)
            outputs.append(output)
        return torch.cat(outputs, dim=1)


def build(seed: int) -> Sequence:
    """The model upstream builds after ``torch.manual_seed(seed)`` (seed 0 is upstream's)."""
    check_seed("seed", seed)
    torch.manual_seed(seed)
    return Sequence()


PERIOD = 20
"""Upstream's ``T``: the waves are ``sin(t / T)``."""


def example_shifts(n_waves: int = 100) -> torch.Tensor:
    """The example's phase shifts: ``np.random.seed(2); np.random.randint(-4*T, 4*T, N)`` with ``T = 20``."""
    check_int("n_waves", n_waves, 4)
    return torch.from_numpy(np.random.RandomState(2).randint(-4 * PERIOD, 4 * PERIOD, n_waves))


def example_waves(n_waves: int = 100, length: int = 1000) -> torch.Tensor:
    """Upstream's ``generate_sine_wave.py`` (``N = n_waves``, ``L = length``): its shifts and angles, bit for bit.

    Only the sine differs: upstream's ``np.sin`` gives, on a given CPU, values within one ulp of the
    correctly rounded sine used here (:mod:`lstm_lib.model.exact`), whose bits are the same on every
    machine. L-BFGS amplifies one ulp, so that choice is what makes a port run repeatable elsewhere.
    """
    check_int("n_waves", n_waves, 4)
    check_int("length", length, 1)
    if n_waves * length > MAX_VALUES:
        raise ValueError(f"n_waves * length must be at most {MAX_VALUES} values, got {n_waves} * {length}")
    return torch.from_numpy(_example_values(n_waves, length).copy())


@lru_cache(maxsize=8)
def _example_values(n_waves: int, length: int) -> np.ndarray:
    """The values of :func:`example_waves`, cached (100,000 exact sines take about a second)."""
    x = np.empty((n_waves, length), "int64")
    x[:] = np.array(range(length)) + example_shifts(n_waves).numpy().reshape(n_waves, 1)
    values = correctly_rounded_sin(x / 1.0 / PERIOD)
    values.flags.writeable = False
    return values


@dataclass(frozen=True)
class PortData:
    """The example's split: train on waves ``3..n-1``, test on ``0..2``; ``future_truth`` continues the test waves."""

    train_input: torch.Tensor
    train_target: torch.Tensor
    test_input: torch.Tensor
    test_target: torch.Tensor
    future_truth: torch.Tensor


def example_data(n_waves: int = 100, length: int = 1000, future: int = 1000) -> PortData:
    """The example's waves at ``length`` steps, split as upstream's ``train.py`` does, and ``future`` steps more.

    With ``length <= 1000`` the waves are the first ``length`` columns of upstream's data file, up to the last
    bit of the sine (see :func:`example_waves`).
    """
    check_int("n_waves", n_waves, 4)
    check_int("length", length, 3)
    check_int("future", future, 1)
    waves = example_waves(n_waves, length + future)
    truth, waves = waves[:3, length:], waves[:, :length]
    return PortData(waves[3:, :-1], waves[3:, 1:], waves[:3, :-1], waves[:3, 1:], truth)


@dataclass(frozen=True)
class PortSettings(Settings):
    """One port run: ``steps`` L-BFGS steps (each up to 20 loss evaluations) at ``lr``.

    ``line_search`` is passed to :class:`torch.optim.LBFGS` as ``line_search_fn``: ``None``
    (upstream: a fixed step of ``lr`` times the L-BFGS direction) or ``"strong_wolfe"`` (the step
    length is searched until the strong Wolfe conditions hold; up to 25 evaluations per step).
    The defaults are upstream's full example.
    """

    seed: int = setting(0, "seed of the initial weights (upstream: 0)", "seed")
    n_waves: int = setting(100, "waves made by upstream's recipe: 3 test waves, the rest for training", "int", low=4)
    length: int = setting(1000, "steps per wave", "int", low=3)
    steps: int = setting(15, "L-BFGS steps", "int", low=1)
    future: int = setting(1000, "free-running steps drawn after each step", "int", low=1)
    lr: float = setting(0.8, "L-BFGS step size", "float", low=0, low_open=True)
    line_search: str | None = setting(
        None, "L-BFGS line search; none is upstream's fixed step", "choice", choices=LINE_SEARCHES, optional=True
    )


UPSTREAM = PortSettings()
"""The example as published: seed 0, 100 waves of 1000 steps, 15 L-BFGS steps at lr 0.8, 1000 future steps."""


@dataclass
class PortRun:
    """Per completed step: ``evaluations`` (every training loss L-BFGS evaluated in the step, as
    upstream prints them), ``train_loss`` (the first of them: the MSE at the step's start),
    ``test_loss`` (teacher-forced MSE on the test waves after the step), ``free_mse`` (MSE of the
    ``future`` free-running steps against the truth) and ``seconds`` (cumulative wall time).
    ``exploded_at`` is the step whose loss became non-finite or exceeded :data:`EXPLODE_AT` (-1: never).
    ``model`` is the trained model and ``predictions`` its output on the test waves after the last
    step (teacher-forced, then free-running: see :attr:`teacher` and :attr:`free`).
    """

    settings: PortSettings
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    free_mse: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    exploded_at: int = -1
    evaluations: list[list[float]] = field(default_factory=list)
    model: Sequence | None = None
    predictions: torch.Tensor | None = None

    @property
    def exploded(self) -> bool:
        return self.exploded_at >= 0

    @property
    def seconds_per_step(self) -> float:
        return self.seconds[-1] / len(self.seconds) if self.seconds else math.nan

    @property
    def teacher(self) -> torch.Tensor | None:
        """Teacher-forced outputs on the test waves after the last step, (3, length - 1)."""
        return None if self.predictions is None else self.predictions[:, : -self.settings.future]

    @property
    def free(self) -> torch.Tensor | None:
        """The ``future`` free-running outputs that follow them, (3, future)."""
        return None if self.predictions is None else self.predictions[:, -self.settings.future :]

    def to_dict(self) -> dict:
        """The numbers only (no model, no predictions), JSON-ready."""
        keep = ("train_loss", "test_loss", "free_mse", "seconds", "exploded_at", "evaluations")
        return {"settings": asdict(self.settings), **{k: getattr(self, k) for k in keep}}


def _bad(value: float) -> bool:
    return diverged(value, 1.0, EXPLODE_AT)


def run(settings: PortSettings, data: PortData | None = None) -> PortRun:
    """Train upstream's model as upstream does, recording every loss evaluation, the test loss and
    the free-running error each step; returns them with the trained model and its last predictions.

    Stops early, marking the run exploded, when a loss becomes non-finite or exceeds
    :data:`EXPLODE_AT` (upstream keeps going for its 15 steps; nothing recovers from there).
    """
    if data is None:
        data = example_data(settings.n_waves, settings.length, settings.future)
    seq = build(settings.seed)
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=settings.lr, line_search_fn=settings.line_search)
    out = PortRun(settings, model=seq)
    start = time.perf_counter()
    for step in range(settings.steps):
        losses: list[float] = []

        def closure(losses: list[float] = losses) -> torch.Tensor:
            optimizer.zero_grad()
            loss = criterion(seq(data.train_input), data.train_target)
            losses.append(loss.item())
            loss.backward()
            return loss

        optimizer.step(closure)
        with torch.no_grad():
            pred = seq(data.test_input, future=settings.future)
            test_loss = criterion(pred[:, : -settings.future], data.test_target).item()
            free = (pred[:, -settings.future :] - data.future_truth).square().mean().item()
        out.evaluations.append(losses)
        out.train_loss.append(losses[0])
        out.test_loss.append(test_loss)
        out.free_mse.append(free if math.isfinite(free) else math.inf)
        out.seconds.append(time.perf_counter() - start)
        out.predictions = pred
        if _bad(losses[0]) or _bad(test_loss):
            out.exploded_at = step
            break
    return out


def source_hash() -> str:
    """Hash of the lstm_lib code that a port run reaches: this module and its imports (:mod:`lstm_lib.sources`)."""
    return sources.code_hash([__name__])


def data_hash(data: PortData) -> str:
    """SHA-256 over every tensor of ``data``, field by field."""
    digest = hashlib.sha256()
    for f in fields(data):
        digest.update(f.name.encode() + b"\0" + tensor_hash(getattr(data, f.name)).encode())
    return digest.hexdigest()


def cache_key(settings: PortSettings, data: str) -> str:
    """The key of a port run: its settings, its data's hash, the code it reaches and the torch version."""
    blob = json.dumps(
        {"data": data, "settings": asdict(settings), "src": source_hash(), "torch": torch.__version__},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


TEXTS = ("run",)
STATE = "state."
"""Prefix of the model's weights among an entry's tensors (the other one is ``predictions``)."""


def _blank_model() -> Sequence:
    with torch.random.fork_rng():  # building draws initial weights: leave the global RNG alone
        return Sequence()


def _store(path: Path, key: str, result: PortRun) -> None:
    """Write a port run as a checksummed entry: its numbers, its model's weights, its predictions."""
    assert result.model is not None
    tensors = {STATE + name: value for name, value in result.model.state_dict().items()}
    store.write(path, key, {"run": json.dumps(result.to_dict())}, {"predictions": result.predictions, **tensors})


def _fetch(path: Path, key: str, settings: PortSettings) -> PortRun | None:
    """The cached run, or ``None`` if missing; a damaged entry is reported, deleted and recomputed."""
    model = _blank_model()
    names = ("predictions", *(STATE + name for name in model.state_dict()))

    def decode(texts: dict[str, str], tensors: dict[str, torch.Tensor | None]) -> PortRun:
        if any(tensors[name] is None for name in names):
            raise ValueError("incomplete entry")
        numbers = json.loads(texts["run"])
        if numbers.pop("settings") != asdict(settings):
            raise ValueError("settings mismatch")
        model.load_state_dict({name.removeprefix(STATE): tensors[name] for name in names[1:]})
        return PortRun(settings=settings, **numbers, model=model, predictions=tensors["predictions"])

    return store.read(path, key, TEXTS, names, decode)


def cached_run(settings: PortSettings, cache_dir: str | Path | None) -> PortRun:
    """:func:`run`, kept under ``cache_dir`` (numbers, model weights, predictions) as every trained run is:
    checksummed, keyed by :func:`cache_key`; a damaged entry is reported and the run trained again.
    ``cache_dir=None`` disables the cache."""
    if cache_dir is None:
        return run(settings)
    cache = check_cache_dir(cache_dir)
    data = example_data(settings.n_waves, settings.length, settings.future)
    key = cache_key(settings, data_hash(data))
    path = cache / f"port-{key}.pt"
    found = _fetch(path, key, settings)
    if found is not None:
        return found
    result = run(settings, data)
    _store(path, key, result)
    return result


def replay(
    steps: int = 6,
    length: int = 1000,
    future: int = 1000,
    line_search: str | None = None,
    cache_dir: str | Path | None = None,
) -> PortRun:
    """Upstream's run (:data:`UPSTREAM`: seed 0, all 100 waves, train 3..99, test 0..2, lr 0.8,
    float64) for its first ``steps`` L-BFGS steps, at ``length`` steps per wave (upstream: 1000)
    with ``future`` free-running steps (upstream: 1000); cached like :func:`cached_run`.

    Like every port run it records the step whose loss explodes and stops after it.
    """
    settings = replace(UPSTREAM, steps=steps, length=length, future=future, line_search=line_search)
    return cached_run(settings, cache_dir)


def explosion_text(run: PortRun, fmt: str = ".2g") -> str:
    """One sentence on whether and where ``run`` exploded, built from its numbers (steps counted from 1).

    When it exploded in step ``k`` the sentence compares the teacher-forced test loss after step
    ``k - 1`` (for ``k = 1``: the training loss at the start) with the one after step ``k``.
    """
    n = len(run.test_loss)
    if not n:
        return "the run made no step"
    if not run.exploded:
        last = run.test_loss[-1]
        return (
            f"the run did not explode in its {n} step{'s' if n > 1 else ''} "
            f"(teacher-forced test loss after the last one: {last:{fmt}})"
        )
    k = run.exploded_at
    if not _bad(run.test_loss[k]):  # only the training loss at the step's start was out of bounds
        bad = run.train_loss[k]
        bad_text = f"{bad:{fmt}}" if math.isfinite(bad) else "a non-finite value"
        return f"the run exploded in step {k + 1}: the training loss at its start was {bad_text}"
    after = run.test_loss[k]
    after_text = f"{after:{fmt}}" if math.isfinite(after) else "a non-finite value"
    if k == 0:
        return (
            f"the run exploded in step 1: the training loss was {run.train_loss[0]:{fmt}} at its start and "
            f"the teacher-forced test loss {after_text} after it"
        )
    return (
        f"the run exploded in step {k + 1}: the teacher-forced test loss went from {run.test_loss[k - 1]:{fmt}} "
        f"after step {k} to {after_text} after step {k + 1}"
    )
