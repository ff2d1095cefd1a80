"""Initial values for the packed parameter vector ``W``."""

from __future__ import annotations

import math

import torch

from lstm_lib.model.spec import Spec
from lstm_lib.validation import check_dtype, check_seed

FORGET_BIAS = 1.0
"""Initial forget-gate bias: the cell starts out remembering (Jozefowicz et al., 2015)."""


def init_params(spec: Spec, seed: int, dtype: torch.dtype | str = torch.float64) -> torch.Tensor:
    """A fresh ``W`` for ``spec``, the same for the same ``seed`` on every machine.

    Every weight and the readout are drawn uniformly from ``[-1/sqrt(n_hidden), 1/sqrt(n_hidden)]``,
    PyTorch's own ``LSTMCell``/``Linear`` rule; gate biases start at 0 except the forget gate's,
    which starts at :data:`FORGET_BIAS` so gradients survive long sequences early in training.
    The readout bias starts at 0.
    """
    check_seed("seed", seed)
    dtype = check_dtype("dtype", dtype)
    gen = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(spec.n_hidden)
    W = (torch.rand(spec.size, generator=gen, dtype=torch.float64) * 2 - 1) * bound
    p = spec.unpack(W)
    p.b.zero_()
    p.b[spec.gate_rows("forget")] = FORGET_BIAS
    p.b_out.zero_()
    return W.to(dtype)
