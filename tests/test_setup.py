"""The book's shared set-up: the optimiser comparison gives every optimiser the same evaluation budget."""

from __future__ import annotations

import pytest

from lstm_lib.study.task import optimizer_configs
from lstm_lib.training.config import TrainConfig


@pytest.mark.parametrize(
    "iterations, lbfgs_max_iter, lbfgs_steps", [(500, 20, 25), (40, 20, 2), (10, 20, 1), (90, 7, 12)]
)
def test_optimizer_configs_share_the_evaluation_budget(iterations, lbfgs_max_iter, lbfgs_steps):
    base = TrainConfig(iterations=iterations, lbfgs_max_iter=lbfgs_max_iter, lr=0.05, seed=3)
    configs = optimizer_configs(base, sgd_lr=1e-4, lbfgs_lr=0.8)
    assert list(configs) == ["adagrad", "sgd", "lbfgs"]
    assert configs["adagrad"] == base.replace(optimizer="adagrad")
    assert (configs["sgd"].optimizer, configs["sgd"].lr, configs["sgd"].iterations) == ("sgd", 1e-4, iterations)
    lbfgs = configs["lbfgs"]
    assert (lbfgs.optimizer, lbfgs.lr, lbfgs.iterations) == ("lbfgs", 0.8, lbfgs_steps)
    assert lbfgs.iterations * lbfgs.lbfgs_max_iter <= max(iterations, lbfgs.lbfgs_max_iter)
    assert all(c.seed == 3 and c.method == base.method for c in configs.values())
