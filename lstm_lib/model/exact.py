"""A sine whose bits are the same on every machine: the correctly rounded one.

``torch.sin`` on a CPU goes through MKL's vector maths, which picks a code path per CPU model
(and per ``MKL_CBWR``); ``numpy.sin`` and glibc's ``sin`` have CPU-dispatched variants too. Each
is within an ulp of the truth, but not the same ulp everywhere, so data drawn with them hash
differently on another machine. The correctly rounded sine (the float64 nearest to the exact
sine of the float64 argument) is defined by mathematics alone: any correct implementation
(MPFR, CORE-MATH, this one) gives the same bits. Here it is computed with mpmath's integer
arithmetic at :data:`WORKING_BITS` and rounded once to the nearest float64.
"""

from __future__ import annotations

import numpy as np
from mpmath import libmp

WORKING_BITS = 160
"""Precision of the intermediate sine. Rounding it to 53 bits can differ from rounding the exact sine
only if the exact value lies within 2**-160 (relative) of a float64 rounding boundary; the hardest
float64 arguments of sin known need about 2**-120 (Lefèvre and Muller's worst cases), so never."""


def correctly_rounded_sin(x: np.ndarray) -> np.ndarray:
    """``sin(x)`` for a float64 array, each value the float64 nearest to the exact sine of ``x``.

    About 10 microseconds a value (pure Python integers): callers cache what they reuse.
    """
    values = np.asarray(x, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("x must be finite: the sine of inf or NaN is not a number")
    flat = [
        libmp.to_float(libmp.mpf_sin(libmp.from_float(v), WORKING_BITS, libmp.round_nearest), False, "n")
        for v in values.ravel().tolist()
    ]
    return np.array(flat, dtype=np.float64).reshape(values.shape)


def correctly_rounded_tanh(x: np.ndarray) -> np.ndarray:
    """``tanh(x)`` for a float64 array, each value the float64 nearest to the exact hyperbolic tangent of ``x``
    (as :func:`correctly_rounded_sin`: the same bits on every machine, about 10 microseconds a value)."""
    values = np.asarray(x, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("x must be finite")
    flat = [
        libmp.to_float(libmp.mpf_tanh(libmp.from_float(v), WORKING_BITS, libmp.round_nearest), False, "n")
        for v in values.ravel().tolist()
    ]
    return np.array(flat, dtype=np.float64).reshape(values.shape)
