"""Where a batch's tasks run: a local process pool, or a Dask cluster.

Both offer the same three operations to :func:`reportkit.batch.run.run_batch`: ``submit(fn,
*args)`` returning a future (``add_done_callback``, ``result()``), ``restart()`` after a worker
died, and ``close()``. The tasks (:mod:`reportkit.batch.tasks`) are plain module-level functions
with plain arguments, so either executor can ship them.

Kernels never clash, whatever the parallelism: each task starts its own kernel on IPC transport
with a private socket folder (:mod:`reportkit.execute`), not on TCP ports.

Dask: ``DaskExecutor(address="tcp://host:8786")`` uses an existing cluster;
``DaskExecutor(local_workers=N)`` starts a ``LocalCluster`` of N single-threaded worker processes
and stops it on ``close()``. Workers must have reportkit and its Jupyter kernel installed in the
same environment as the submitting machine (every task checks). With a local run cache they must
also see the project, its data and the batch folder at the same paths (a shared file system); with
the run cache in object storage they need no shared disk (:mod:`reportkit.batch.bundle`,
:class:`reportkit.batch.tasks.Remote`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

from ..build import THREAD_LIMITS  # set for every task process unless the user set them (one thread per kernel)
from ..errors import ReportKitError

log = logging.getLogger(__name__)



class TaskFuture(Protocol):
    def add_done_callback(self, fn: Callable[[Any], None]) -> None: ...
    def result(self, timeout: float | None = None) -> Any: ...


class Executor(Protocol):
    name: str
    workers: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> TaskFuture: ...
    def restart(self) -> None: ...
    def close(self, wait: bool = True) -> None: ...


def _limit_threads() -> None:
    for name in THREAD_LIMITS:
        os.environ.setdefault(name, "1")
    os.environ.setdefault("MPLBACKEND", "Agg")


class LocalExecutor:
    """A pool of ``workers`` local processes (``spawn``: no state inherited from the caller)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ReportKitError(f"--workers {workers}: expected at least 1")
        self.workers = workers
        self.name = f"local ({workers} process{'es' if workers != 1 else ''})"
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_limit_threads
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> TaskFuture:
        return self._pool.submit(fn, *args)

    def restart(self) -> None:
        """A worker that dies (killed, out of memory) breaks the whole pool: start a new one."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing one at ``address``, or a LocalCluster of
    ``local_workers`` single-threaded processes started here."""

    def __init__(
        self, *, address: str | None = None, local_workers: int | None = None, connect_timeout: float = 20
    ) -> None:
        # Dask logs every worker's start and stop at INFO; keep a batch's output to its own events
        # (read by dask's config at import, here and in the worker processes that inherit it)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        logging.getLogger("distributed").setLevel(os.environ["DASK_LOGGING__DISTRIBUTED"].upper())
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - distributed is a dependency
            raise ReportKitError("the Dask executor needs the 'distributed' package: pip install 'dask[distributed]'") from None
        if (address is None) == (local_workers is None):
            raise ReportKitError("give either --scheduler ADDRESS or --dask-local N, not both and not neither")
        self._cluster = None
        if address is not None:
            try:
                self._client = Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ReportKitError(
                    f"cannot reach the Dask scheduler at {address!r} ({exc}); expected the address a running "
                    "`dask scheduler` prints, e.g. tcp://10.0.0.5:8786"
                ) from None
            self.name = f"dask ({address})"
        elif local_workers is not None:  # always, after the check above
            if local_workers < 1:
                raise ReportKitError(f"--dask-local {local_workers}: expected at least 1 worker")
            self._cluster = LocalCluster(
                n_workers=local_workers, threads_per_worker=1, processes=True, dashboard_address=None,
            )
            self._client = Client(self._cluster)
            self.name = f"dask LocalCluster ({local_workers} workers)"
        self._client.run(_limit_threads)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> TaskFuture:
        # pure=False: a task re-submitted after a failure (a retry) must run again, not be deduplicated
        return self._client.submit(fn, *args, pure=False)

    def restart(self) -> None:
        """The cluster replaces dead workers itself; nothing to do."""

    def close(self, wait: bool = True) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(*, workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                  tasks: int | None = None) -> Executor:
    """The executor the command line asked for: ``scheduler`` or ``dask_local`` for Dask, else a
    local pool of ``workers`` processes (default: the number of cores; never more than ``tasks``)."""
    if scheduler is not None or dask_local is not None:
        if workers is not None:
            raise ReportKitError("--workers sets the local pool; with --scheduler or --dask-local the cluster's "
                                 "workers are used")
        return DaskExecutor(address=scheduler, local_workers=dask_local)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if workers is not None and workers < 1:
        raise ReportKitError(f"--workers {workers}: expected at least 1")
    return LocalExecutor(max(1, min(n, tasks)) if tasks else n)
