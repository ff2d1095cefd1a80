"""Every test runs on one torch thread (the machine is shared, and results must not depend on threads);
the ``reference_predict`` fixture is PyTorch's own LSTM on a packed ``W``."""

import pytest
import torch

from lstm_lib import Spec
from tests.torch_references import torch_lstm_from_w

torch.set_num_threads(1)


@pytest.fixture
def reference_predict():
    """``f(W, spec, x)``: teacher-forced outputs computed by ``torch.nn.LSTM`` + ``Linear``."""

    def f(W: torch.Tensor, spec: Spec, x: torch.Tensor) -> torch.Tensor:
        lstm, readout = torch_lstm_from_w(W, spec)
        with torch.no_grad():
            return readout(lstm(x.to(torch.float64))[0])

    return f
