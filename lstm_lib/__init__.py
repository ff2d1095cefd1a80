"""lstm_lib: the article's packed-``W`` LSTM, its scan loop, loss, Adagrad and both tricks.

Z.H. Fu (2016), "Predict Time Sequence with LSTM", rebuilt in PyTorch for an executable book.
"""

from lstm_lib.model.cell import lstm
from lstm_lib.model.data import add_noise, draw_shifts, sine_waves
from lstm_lib.model.loss import decay_weights, squared_error
from lstm_lib.model.network import BACKENDS, gate_trace, generate, predict
from lstm_lib.model.params import init_params
from lstm_lib.model.scan import scan
from lstm_lib.model.spec import GATES, Params, Spec
from lstm_lib.training.checkpoint import load, save
from lstm_lib.training.config import METHODS, OPTIMIZERS, TrainConfig
from lstm_lib.training.evaluate import Evaluation, evaluate
from lstm_lib.training.optimizers import SGD, Adagrad
from lstm_lib.training.train import TrainingDiverged, TrainResult, train

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
