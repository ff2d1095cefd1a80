"""The article's Theano code, written in PyTensor (Theano's maintained successor), as an independent reference.

Used by the tests and by the scan chapter only; nothing in the science imports it, and PyTensor
(an optional dependency: the ``book`` and ``dev`` extras) is imported on the first call of
:func:`import_pytensor`, never when this module is imported.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstm_lib.model.spec import Spec

MODE = "FAST_COMPILE"
"""PyTensor's mode for every reference function: little graph rewriting, so a small function
compiles in about a second; with :func:`import_pytensor`'s default it also runs PyTensor's Python
implementations, the same float64 arithmetic as its C code up to rounding."""

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "pytensor"
"""PyTensor's compile directory: inside the git-ignored cache, not in the home directory."""


def import_pytensor(c_code: bool = False) -> Any:
    """Import PyTensor with its compile directory under :data:`CACHE` (flags apply at the first import).

    ``c_code=False`` (the default) tells PyTensor to use no C++ compiler (``cxx=``): nothing is
    compiled, which keeps the book fast on a clean clone (compiling PyTensor's C code for the first
    time takes about 40 s on 2 cores). ``c_code=True`` needs ``g++`` and says so when it is missing.
    A ``cxx`` already set in ``PYTENSOR_FLAGS`` wins over both.
    """
    flags = [f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f]
    if not any(f.startswith("base_compiledir=") for f in flags):
        flags.append(f"base_compiledir={CACHE}")
    if not any(f.startswith("cxx=") for f in flags):
        if c_code and shutil.which("g++") is None:
            raise RuntimeError(
                "c_code=True needs a C++ compiler and no g++ was found on PATH: install one "
                "(apt-get install g++) or use c_code=False, PyTensor's Python implementations"
            )
        flags.append(f"cxx={shutil.which('g++')}" if c_code else "cxx=")
    os.environ["PYTENSOR_FLAGS"] = ",".join(flags)
    try:
        import pytensor
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("the PyTensor reference needs pytensor: pip install -e '.[book]' (or '.[dev]')") from err
    return pytensor


def scan(fn: Callable[..., Any], **kwargs: Any) -> tuple[Any, Any]:
    """``pytensor.scan`` returning ``(outputs, updates)`` as ``theano.scan`` did, without PyTensor's
    warning that this return signature will change."""
    pytensor = import_pytensor()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Scan return signature", DeprecationWarning)
        return pytensor.scan(fn, **kwargs)


def lstm(x: Any, cm1: Any, hm1: Any, ym1: Any, W: Any, spec: Spec) -> tuple[Any, Any, Any]:
    """The article's kernel on symbolic PyTensor variables: unzip ``W``, one LSTM step.

    ``x`` is (batch, n_in) or ``None`` (then ``ym1`` is the input); gate order i, f, g, o.
    """
    pt = import_pytensor().tensor
    o = spec.offsets
    g, h = 4 * spec.n_hidden, spec.n_hidden
    w_ih = W[o["w_ih"][0] : o["w_ih"][1]].reshape((g, spec.n_in))
    w_hh = W[o["w_hh"][0] : o["w_hh"][1]].reshape((g, h))
    b = W[o["b"][0] : o["b"][1]]
    w_out = W[o["w_out"][0] : o["w_out"][1]].reshape((spec.n_out, h))
    b_out = W[o["b_out"][0] : o["b_out"][1]]
    inp = ym1 if x is None else x
    gates = pt.dot(inp, w_ih.T) + pt.dot(hm1, w_hh.T) + b
    i, f = pt.sigmoid(gates[:, :h]), pt.sigmoid(gates[:, h : 2 * h])
    cell, out = pt.tanh(gates[:, 2 * h : 3 * h]), pt.sigmoid(gates[:, 3 * h :])
    c = f * cm1 + i * cell
    hid = out * pt.tanh(c)
    y = pt.specify_shape(pt.dot(hid, w_out.T) + b_out, (None, spec.n_out))  # static n_out, as y0's
    return c, hid, y


def article_functions(spec: Spec, W0: Any, lr: float, eps: float = 1e-10) -> dict[str, Any]:
    """The article's computation compiled in PyTensor, on time-major data ``X`` (time, batch, n_in).

    ``outputs(X)``: the stacked ``y`` of ``theano.scan(lstm, ...)`` over ``X[:-1]``, from zero
    states; ``loss_grad(X)``: the square-sum loss against ``X[1:]`` and its gradient by
    ``pytensor.grad``; ``adagrad(X)``: one Adagrad step written as updates of the shared ``W``
    (returning the loss before it); ``W``: that shared variable, starting at ``W0`` (numpy, float64).
    """
    pytensor = import_pytensor()
    pt = pytensor.tensor
    X = pt.tensor3("X", dtype="float64")
    W = pytensor.shared(W0.copy(), name="W")
    acc = pytensor.shared(W0 * 0.0, name="acc")
    batch = X.shape[1]
    c0, h0 = pt.zeros((batch, spec.n_hidden)), pt.zeros((batch, spec.n_hidden))
    y0 = pt.zeros((batch, spec.n_out))
    (_, _, ys), _ = scan(
        lambda x, cm1, hm1, ym1, W: lstm(x, cm1, hm1, ym1, W, spec),
        sequences=X[:-1],
        outputs_info=[c0, h0, y0],
        non_sequences=W,
    )
    loss = ((ys - X[1:]) ** 2).sum()
    grad = pytensor.grad(loss, W)
    new_acc = acc + grad**2
    updates = [(acc, new_acc), (W, W - lr * grad / (pt.sqrt(new_acc) + eps))]
    return {
        "outputs": pytensor.function([X], ys, mode=MODE),
        "loss_grad": pytensor.function([X], [loss, grad], mode=MODE),
        "adagrad": pytensor.function([X], loss, updates=updates, mode=MODE),
        "W": W,
    }
