"""When a run has diverged: one rule for every training loop in the package, the article's and the port's."""

from __future__ import annotations

import math

BLOWUP_FACTOR = 1e6
"""Training's factor: a loss this many times its starting value (or the loss of predicting zeros, if
larger) counts as diverged: the run has blown up (L-BFGS with a fixed step does this: its loss jumps
by 20+ orders of magnitude and stays there), and its parameters are as useless as NaN ones."""


def diverged(loss: float, scale: float, factor: float = BLOWUP_FACTOR) -> bool:
    """Whether ``loss`` is NaN, infinite or above ``factor * scale``.

    ``scale`` is what the loss is measured against: :func:`lstm_lib.training.train.train` passes
    the larger of its first loss and the loss of predicting zeros, with :data:`BLOWUP_FACTOR`. The
    port (:mod:`lstm_lib.port.example`) checks mean squared errors of unit sines once per L-BFGS step
    and passes a scale of 1 with its own smaller factor, so it gives up earlier on a run that has
    left the waves' range (its documented :data:`lstm_lib.port.example.EXPLODE_AT`).
    """
    return not math.isfinite(loss) or loss > factor * scale
