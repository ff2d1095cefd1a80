"""Where compare() runs its trainings: any ``concurrent.futures.Executor``, a Dask cluster included.

A Dask scheduler is named by address (``tcp://host:8786``), given directly or through the
``LSTM_LIB_SCHEDULER`` environment variable, which only the command-line entry points read: the library is
passed its scheduler (a chapter through its ``scheduler`` setting).
Dask is optional: ``pip install 'lstm_lib[cluster]'``.

Before a client connects, :func:`check_scheduler` asks the address who it is, within Dask's connect
timeout (``distributed.comm.timeouts.connect``, 30 s unless configured): Dask's own client waits
forever on a peer that accepts the connection and never answers, and crashes on one that answers
something else (a web server's reply read as a frame length asks for exabytes).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from lstm_lib.validation import excerpt, shorten

SCHEDULER_ENV = "LSTM_LIB_SCHEDULER"
"""A Dask scheduler address; when set, compare() without an ``executor`` trains on that cluster."""

CONNECT_SHARE = 0.8
"""The part of the timeout spent on (re)trying to connect; the rest is left for the handshake."""
HINT = "start one with `dask scheduler` and give its address, such as tcp://host:8786"
OTHER = "(a web server or another service?)"


def scheduler_from_env() -> str | None:
    """The address in ``$LSTM_LIB_SCHEDULER``, or ``None`` when unset or empty."""
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


def connect_timeout(timeout: float | None = None) -> float:
    """Seconds to wait for a scheduler: ``timeout``, else Dask's ``distributed.comm.timeouts.connect``."""
    import dask
    from dask.utils import parse_timedelta

    value = dask.config.get("distributed.comm.timeouts.connect") if timeout is None else timeout
    return float(parse_timedelta(value, default="seconds"))


def _connection_args(address: str) -> dict:
    """The client's connection arguments for ``address``; an unknown scheme or TLS without settings fails here."""
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend
    from distributed.security import Security

    scheme, _ = parse_address(address)
    try:
        get_backend(scheme)
    except ValueError:
        raise ValueError(f"scheduler {excerpt(address)}: unknown scheme {excerpt(scheme)}; give tcp://") from None
    args = Security().get_connection_args("client")
    if scheme == "tls" and args.get("ssl_context") is None:
        raise ValueError(
            f"scheduler {excerpt(address)}: a tls:// address needs Dask's TLS settings "
            "(distributed.comm.tls.ca-file, .client.cert, .client.key), and none are set"
        )
    return args


def _why(exc: BaseException) -> str:
    """Why connecting failed, from the chain of errors Dask's retries left: refused, or an unknown host."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return " (connection refused)"
        if isinstance(seen, socket.gaierror) or "not known" in str(seen):
            return " (the host name does not resolve)"
        seen = seen.__cause__ or seen.__context__
    return ""


async def _identity(address: str, seconds: float, args: dict) -> object:
    """What the peer at ``address`` says it is; a :class:`ConnectionError` saying what was found if it can't say."""
    from distributed.comm import connect
    from distributed.comm.core import CommClosedError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        comm = await asyncio.wait_for(connect(address, timeout=seconds * CONNECT_SHARE, **args), seconds)
    except TimeoutError:
        raise ConnectionError(
            f"it accepted the connection but sent no Dask handshake within {seconds:g} s {OTHER}"
        ) from None
    except CommClosedError:
        raise ConnectionError(f"it accepted the connection, then closed it without a Dask handshake {OTHER}") from None
    except OSError as exc:
        raise ConnectionError(f"nothing accepted a connection within {seconds:g} s{_why(exc)}") from None
    except Exception:  # a reply that is not Dask's protocol: garbage frame lengths, bad msgpack
        raise ConnectionError(f"it answered, but not in Dask's protocol {OTHER}") from None
    try:
        await comm.write({"op": "identity", "reply": True})
        return await asyncio.wait_for(comm.read(), max(deadline - loop.time(), 0.1))
    except TimeoutError:
        raise ConnectionError(f"it did not say what it is within {seconds:g} s") from None
    except Exception as exc:
        raise ConnectionError(f"it answered, but not as a Dask scheduler ({type(exc).__name__})") from None
    finally:
        comm.abort()


def _run_bounded(address: str, seconds: float, args: dict) -> object:
    """Run the probe on its own event loop (the caller's may be running, in a notebook), in a
    daemon thread that is abandoned, not joined, if even the probe's own deadline fails."""
    box: dict[str, object] = {}

    def probe() -> None:
        try:
            box["reply"] = asyncio.run(_identity(address, seconds, args))
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=probe, name="lstm_lib-scheduler-probe", daemon=True)
    thread.start()
    thread.join(seconds + 5)
    if thread.is_alive():
        raise ConnectionError(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["reply"]


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError("scheduler needs Dask: pip install 'lstm_lib[cluster]'") from None


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Fail within ``timeout`` (see :func:`connect_timeout`) unless a Dask scheduler answers at ``address``.

    Raises ``ValueError`` for an address that cannot work and ``ConnectionError`` naming the address
    and what answered there: nothing, a silent listener, another protocol, a Dask worker.
    """
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"scheduler must be a Dask scheduler address such as tcp://host:8786, got {excerpt(address)}")
    _require_dask()
    address = address.strip()
    seconds = connect_timeout(timeout)
    args = _connection_args(address)
    try:
        reply = _run_bounded(address, seconds, args)
    except ConnectionError as exc:
        raise ConnectionError(f"scheduler {excerpt(address)}: no Dask scheduler there: {exc}; {HINT}") from None
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        found = f"a Dask {shorten(kind, 40)}" if isinstance(kind, str) else "something that is not Dask"
        raise ConnectionError(f"scheduler {excerpt(address)}: {found} answers there, not a scheduler")


@contextmanager
def dask_executor(address: str, timeout: float | None = None) -> Iterator[Executor]:
    """A ``concurrent.futures.Executor`` on the Dask scheduler at ``address``; the client closes on exit.

    ``timeout`` defaults to Dask's connect timeout; the address is checked first (:func:`check_scheduler`).
    """
    check_scheduler(address, timeout)
    from distributed import Client

    try:
        client = Client(address.strip(), timeout=connect_timeout(timeout))
    except (OSError, TimeoutError) as exc:
        why = shorten(str(exc))
        raise ConnectionError(f"scheduler {excerpt(address)}: no Dask scheduler answers ({why})") from None
    with client:
        yield client.get_executor()
