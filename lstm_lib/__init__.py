"""lstm_lib: the article's packed-``W`` LSTM, its scan loop, loss, Adagrad and both tricks.

Z.H. Fu (2016), "Predict Time Sequence with LSTM", rebuilt in PyTorch for an executable book.
"""

from lstm_lib.cell import lstm
from lstm_lib.checkpoint import load, save
from lstm_lib.config import METHODS, OPTIMIZERS, TrainConfig
from lstm_lib.data import add_noise, draw_shifts, sine_waves
from lstm_lib.evaluate import Evaluation, evaluate
from lstm_lib.loss import decay_weights, squared_error
from lstm_lib.model import BACKENDS, gate_trace, generate, predict
from lstm_lib.optim import SGD, Adagrad
from lstm_lib.params import init_params
from lstm_lib.scan import scan
from lstm_lib.spec import GATES, Params, Spec
from lstm_lib.train import TrainingDiverged, TrainResult, train

__all__ = [
    "BACKENDS",
    "GATES",
    "METHODS",
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Evaluation",
    "Params",
    "Spec",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "add_noise",
    "decay_weights",
    "draw_shifts",
    "evaluate",
    "gate_trace",
    "generate",
    "init_params",
    "load",
    "lstm",
    "predict",
    "save",
    "scan",
    "sine_waves",
    "squared_error",
    "train",
]
