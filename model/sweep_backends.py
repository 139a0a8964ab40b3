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

import os
from collections.abc import Callable
from concurrent import futures as thread_futures

from .errors import ModelError

CONNECT_TIMEOUT = "20s"


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
            from distributed import Client, LocalCluster
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
            try:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
            except OSError as error:  # includes timeouts
                raise SchedulerError(
                    f"--scheduler: cannot reach a Dask scheduler at {address} within "
                    f"{CONNECT_TIMEOUT} ({error}); is 'dask scheduler' running there?") from None
        self.workers = len(self.client.scheduler_info().get("workers", {}))

    def submit(self, function: Callable, *args):
        return self.client.submit(function, *args, pure=False)

    def wait_first(self, pending: set) -> tuple[set, set]:
        from distributed import wait

        result = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    def describe(self) -> dict:
        return {"backend": self.name, "scheduler": self.address, "workers": self.workers}

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def open_backend(workers: int | None = None, scheduler: str | None = None):
    """The backend for ``--workers``/``--scheduler`` (threads unless a scheduler is given)."""
    if scheduler:
        return DaskBackend(scheduler, workers)
    return ThreadBackend(workers)
