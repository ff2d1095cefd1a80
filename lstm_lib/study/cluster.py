"""Where compare() runs its trainings: any ``concurrent.futures.Executor``, a Dask cluster included.

A Dask scheduler is named by address (``tcp://host:8786``), given directly or through the
``LSTM_LIB_SCHEDULER`` environment variable (how the book runner sends every chapter to a cluster).
Dask is optional: ``pip install 'lstm_lib[cluster]'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

SCHEDULER_ENV = "LSTM_LIB_SCHEDULER"
"""A Dask scheduler address; when set, compare() without an ``executor`` trains on that cluster."""


def scheduler_from_env() -> str | None:
    """The address in ``$LSTM_LIB_SCHEDULER``, or ``None`` when unset or empty."""
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


@contextmanager
def dask_executor(address: str, timeout: float = 30) -> Iterator[Executor]:
    """A ``concurrent.futures.Executor`` on the Dask scheduler at ``address``; the client closes on exit."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"scheduler must be a Dask scheduler address such as tcp://host:8786, got {address!r}")
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("scheduler needs Dask: pip install 'lstm_lib[cluster]'") from None
    try:
        client = Client(address.strip(), timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"scheduler {address}: no Dask scheduler answers ({exc})") from None
    with client:
        yield client.get_executor()
