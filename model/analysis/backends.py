"""Where sweep chunks run: local threads, or a Dask distributed cluster.

Both backends offer ``submit(function, *args) -> future`` and
``wait_first(pending) -> (done, not_done)``; the sweep keeps a bounded number of chunks in flight,
so memory does not grow with the number of sets. The compiled integrator
releases the GIL, so threads use every core of one machine without the cost
of extra processes (each process would load numba and its cache again).

A chunk's numbers depend only on its parameter sets, never on the backend,
the worker count or the order chunks finish in: results are identical bit for
bit whichever backend ran them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Callable
from concurrent import futures as thread_futures

from lbp_headache.core.errors import ModelError, Problem, escaped

CONNECT_SECONDS = 10.0  # the whole connection and handshake, before anything is written
SCHEDULER_SCHEMES = ("tcp",)
# Dask's other transports, and why --scheduler refuses them.
UNSUPPORTED_SCHEMES = {
    "tls": "needs client certificates, which --scheduler cannot take",
    "wss": "needs client certificates, which --scheduler cannot take",
    "ws": "is not supported (use tcp://)",
    "ucx": "needs UCX, which this package does not install",
    "ucxx": "needs UCX, which this package does not install",
    "inproc": "only reaches a scheduler inside this same process",
}
_ADDRESS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<location>.*)", re.DOTALL)
_HOST_PORT = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>[0-9]{1,5})")


class SchedulerError(ModelError, RuntimeError):
    """The Dask scheduler given with ``--scheduler`` cannot be reached."""


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ThreadBackend:
    """Chunks on a pool of local threads (the default backend)."""

    name = "threads"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        self._pool = thread_futures.ThreadPoolExecutor(max_workers=self.workers)

    def submit(self, function: Callable, *args):
        return self._pool.submit(function, *args)

    def wait_first(self, pending: set) -> tuple[set, set]:
        done, rest = thread_futures.wait(pending, return_when=thread_futures.FIRST_COMPLETED)
        return set(done), set(rest)

    def describe(self) -> dict:
        return {"backend": self.name, "workers": self.workers}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """Chunks as tasks on a Dask distributed cluster.

    ``address`` is a scheduler address (``tcp://HOST:PORT``), or ``"local"`` to
    start a :class:`distributed.LocalCluster` of ``workers`` single-threaded
    worker processes on this machine.
    """

    name = "dask"

    def __init__(self, address: str, workers: int | None = None):
        try:
            from distributed import Client, LocalCluster  # lazy: the optional Dask extra
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "--scheduler needs Dask: pip install 'lbp-headache[distributed]'") from exc
        self.address = address
        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(
                n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                dashboard_address=None)
            self.client = Client(self._cluster)
        else:
            probe_scheduler(address)
            with _quiet_dask():
                try:
                    self.client = Client(address, timeout=f"{CONNECT_SECONDS}s")
                except OSError as error:  # includes timeouts
                    raise _unreachable(address, error) from None
        self.workers = len(self.client.scheduler_info().get("workers", {}))

    def submit(self, function: Callable, *args):
        return self.client.submit(function, *args, pure=False)

    def wait_first(self, pending: set) -> tuple[set, set]:
        from distributed import wait  # lazy: the optional Dask extra

        result = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    def describe(self) -> dict:
        return {"backend": self.name, "scheduler": self.address, "workers": self.workers}

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def scheduler_problems(address: str) -> list[str]:
    """Problems with a ``--scheduler`` value: ``local``, or ``tcp://HOST:PORT``.

    Only the scheme and the shape are checked here (no connection is made):
    one line per problem, in the usual ``--scheduler: message`` form.
    """
    if address == "local":
        return []
    shown = escaped(address, 200)
    allowed = "allowed: 'local' or tcp://HOST:PORT"
    match = _ADDRESS.fullmatch(address)
    if match is None:
        hint = (f"; did you mean tcp://{shown}?" if _HOST_PORT.fullmatch(address)
                else "")
        return [str(Problem("--scheduler", None, "",
                            f"'{shown}' has no scheme ({allowed}){hint}"))]
    scheme = match["scheme"].lower()
    if scheme not in SCHEDULER_SCHEMES:
        reason = UNSUPPORTED_SCHEMES.get(scheme, "is not a Dask transport")
        return [str(Problem("--scheduler", None, "",
                            f"'{escaped(match['scheme'], 40)}://' {reason}; {allowed} "
                            "on a network you trust (docs/security.md)"))]
    where = _HOST_PORT.fullmatch(match["location"])
    if where is None or not 1 <= int(where["port"]) <= 65535:
        return [str(Problem("--scheduler", None, "",
                            f"'{shown}' is not tcp://HOST:PORT (a host name or address, "
                            "then a port from 1 to 65535)"))]
    return []


def probe_scheduler(address: str, seconds: float | None = None) -> None:
    """Connect to the scheduler at ``address`` and complete Dask's handshake, or raise.

    ``distributed.Client`` does not time out against a server that accepts the
    connection and never answers (it waits for minutes); this bounds the
    connection and the handshake to ``seconds`` in all (default
    :data:`CONNECT_SECONDS`).

    Raises
    ------
    SchedulerError
        If nothing answers as a Dask scheduler within ``seconds``.
    """
    from distributed.comm import connect  # lazy: the optional Dask extra

    seconds = CONNECT_SECONDS if seconds is None else seconds

    async def handshake() -> None:
        comm = await connect(address, timeout=seconds)
        await comm.close()

    with _quiet_dask():
        try:
            asyncio.run(asyncio.wait_for(handshake(), seconds))
        except (OSError, asyncio.TimeoutError) as error:  # TimeoutError is an OSError
            raise _unreachable(address, error, seconds) from None


def _unreachable(address: str, error: BaseException,
                 seconds: float | None = None) -> SchedulerError:
    detail = escaped(str(error), 200) or type(error).__name__
    if isinstance(error, TimeoutError) or "timed out" in detail.lower():
        detail = f"no answer within {CONNECT_SECONDS if seconds is None else seconds:g} s"
    return SchedulerError(f"--scheduler: no Dask scheduler answered at {escaped(address, 200)} "
                          f"({detail}); is 'dask scheduler' running there?")


@contextlib.contextmanager
def _quiet_dask():
    """Dask logs its own connection errors; this command prints one line instead."""
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def open_backend(workers: int | None = None, scheduler: str | None = None):
    """The backend for ``--workers``/``--scheduler`` (threads unless a scheduler is given)."""
    if scheduler:
        return DaskBackend(scheduler, workers)
    return ThreadBackend(workers)


def map_bounded(backend, function: Callable, jobs, *, on_result: Callable | None = None,
                in_flight: int | None = None, keep: bool = True) -> list:
    """``[function(*job) for job in jobs]`` on ``backend``, a bounded number in flight.

    At most ``in_flight`` jobs (default two per worker) run or wait at once,
    so memory does not grow with the number of jobs; results come back in the
    order of ``jobs`` whatever order they finish in. ``on_result(index,
    result)`` is called as each finishes (for progress); with ``keep=False`` the
    results are only handed to it and the list returned holds ``None``, so a
    caller that stores them its own way never holds them twice.
    """
    jobs = list(jobs)
    results: list = [None] * len(jobs)
    limit = in_flight or 2 * max(1, backend.workers)
    queue = iter(enumerate(jobs))
    pending: dict = {}

    def submit_next() -> None:
        item = next(queue, None)
        if item is not None:
            index, args = item
            pending[backend.submit(function, *args)] = index

    for _ in range(limit):
        submit_next()
    while pending:
        done, _ = backend.wait_first(set(pending))
        for future in done:
            index = pending.pop(future)
            result = future.result()
            if keep:
                results[index] = result
            if on_result is not None:
                on_result(index, result)
            del result
            submit_next()
    return results
