"""The two tasks of a batch, run by an executor's worker processes (local or Dask).

:func:`execute_run` executes one distinct run (:func:`reportkit.section_run.run_section`) and
stores it in the run cache; :func:`build_row` renders one row from cached runs. Both return a
frozen :class:`TaskResult`: how long the task took, where it ran and, on failure, the error itself
(a ReportKitError, which crosses the process boundary pickled with its fields; anything else the
task raised becomes a :class:`~reportkit.errors.WorkerError` naming the exception). Neither raises
for a failure of the work itself, so one bad row never stops a batch.

Each run appends to its own log, ``<batch>/_runs/<section>-<run key>.log``: when and where each
attempt started, the parameters, how it ended; the kernel's own output is beside it in
``<section>-<run key>.kernel.log`` when the kernel wrote anything.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ReportKitError, WorkerError


@dataclass(frozen=True)
class TaskResult:
    """What a task gives back: ``error`` is None when it succeeded. ``saved``: the failed executed
    notebook kept for inspection; ``outputs`` (kind → path) and ``executed`` (sections the build
    executed itself) for a built row."""

    seconds: float
    error: ReportKitError | None = None
    saved: str | None = None
    worker: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    executed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str | None:
        return str(self.error) if self.error is not None else None

    @classmethod
    def failed(cls, exc: BaseException, seconds: float, worker: str = "") -> TaskResult:
        """The result of a task that raised ``exc`` (kept as is when it is a ReportKitError)."""
        error = as_error(exc)
        saved = getattr(error, "saved", None)
        return cls(seconds, error, str(saved) if saved else None, worker)


def as_error(exc: BaseException) -> ReportKitError:
    """``exc`` itself when it is a ReportKitError, else a WorkerError naming it."""
    if isinstance(exc, ReportKitError):
        return exc
    return WorkerError(f"{type(exc).__name__}: {exc}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _log(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:  # a log, appended line by line, not an output
        fh.write(f"{_now()} {line}\n")


#: this worker process's warm-kernel pool, started by its first run and kept for the next ones
_WORKER: dict[str, Any] = {}


def worker_kernels(preload: tuple[str, ...], env: dict[str, str]) -> Any:
    """This worker's :class:`~reportkit.kernel_pool.KernelPool` (started on first use, closed when
    the worker exits), or None where forked kernels are not offered."""
    from ..execute import DEFAULT_KERNEL
    from ..kernel_pool import KernelPool, supported

    if "pool" not in _WORKER:
        pool = KernelPool(DEFAULT_KERNEL, preload=preload, env=env) if supported() else None
        _WORKER["pool"] = pool
        if pool is not None:
            import atexit
            from multiprocessing import util

            util.Finalize(None, pool.close, exitpriority=10)  # a process-pool worker exits without atexit
            atexit.register(pool.close)  # a Dask worker, or any other process
    return _WORKER["pool"]


@dataclass(frozen=True)
class Remote:
    """For a worker that shares no disk with the coordinator: the project travels as ``bundle``
    (:mod:`reportkit.batch.bundle`) and the task's files go to the batch folder ``out`` in object
    storage; paths the task is given are relative (to the project, or to ``out``)."""

    bundle: Any  # a reportkit.batch.bundle.Bundle
    out: str


def _local_outbox(remote: Remote, relative: str) -> Path:
    """Where a remote task writes ``relative`` (a path in the batch folder) before uploading it."""
    from .bundle import bundles_folder

    return bundles_folder() / "out" / f"{os.getpid()}" / relative


def _upload(remote: Remote, files: list[Path], local_root: Path) -> None:
    """Upload ``files`` (under ``local_root``) to the batch folder, each one whole, in the order given."""
    from ..storage import open_store

    store = open_store(remote.out)
    for path in files:
        if path.is_file():
            store.upload(path, *path.relative_to(local_root).parts)


def execute_run(
    notebook: str, target: str, parameters: dict[str, Any], cwd: str, cache_dir: str, run_key: str, attempt: int,
    secret: tuple[str, ...] = (), preload: tuple[str, ...] | None = None, pinned: dict[str, str] | None = None,
    remote: Remote | None = None, environment: dict[str, str] | None = None,
) -> TaskResult:
    """Execute ``notebook`` into ``target`` and store it in the run cache under ``run_key``.
    ``preload``: the modules of this worker's warm kernels (None: a cold kernel); ``pinned``: what
    the kernel is told about the run's inputs in object storage (:func:`reportkit.plan.pinned_env`).
    With ``remote``, ``notebook`` is relative to the project bundle and ``target`` to the batch
    folder; the run's log (and a failed notebook) is uploaded there when the attempt ends."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    refused = _other_environment(environment)
    if refused is not None:
        return refused
    if remote is None:
        return _execute(notebook, Path(target), parameters, cwd, cache_dir, run_key, attempt, secret, preload, pinned)
    from .bundle import materialize

    local_target = _local_outbox(remote, target)
    shutil.rmtree(local_target.parent, ignore_errors=True)  # what an earlier task of this process left
    try:
        project = materialize(remote.bundle)
    except Exception as exc:  # noqa: BLE001 - reported as the run's failure
        return TaskResult.failed(exc, 0.0, f"{socket.gethostname()} pid {os.getpid()}")
    result = _execute(str(project / notebook), local_target, parameters, str(project), cache_dir, run_key, attempt,
                      secret, preload, pinned)
    outbox = local_target.parents[len(Path(target).parts) - 1]
    _upload(remote, sorted(local_target.parent.glob(f"{local_target.stem}*")), outbox)
    if result.saved:  # where the failed notebook is now: in the batch folder
        saved = Path(result.saved)
        shown = f"{remote.out}/{saved.relative_to(outbox).as_posix()}" if saved.is_relative_to(outbox) else result.saved
        result = TaskResult(result.seconds, result.error, shown, result.worker)
    shutil.rmtree(local_target.parent, ignore_errors=True)
    return result


def _execute(
    notebook: str, target: Path, parameters: dict[str, Any], cwd: str, cache_dir: str, run_key: str, attempt: int,
    secret: tuple[str, ...], preload: tuple[str, ...] | None, pinned: dict[str, str] | None,
) -> TaskResult:
    from ..cache import RunCache
    from ..secrets import redact
    from ..section_run import run_section

    log_path = target.with_suffix(".log")
    where = f"{socket.gethostname()} pid {os.getpid()}"
    _log(log_path, f"attempt {attempt} started on {where}: {notebook} run key {run_key}")
    _log(log_path, "parameters " + json.dumps(redact(parameters, secret), ensure_ascii=False, default=str))
    started = time.perf_counter()
    try:  # execute_notebook gives each kernel private IPC sockets: parallel workers cannot clash
        from ..analysis.memo import MEMO_ENV

        cache = RunCache(cache_dir)
        env = {MEMO_ENV: str(cache.folder / "memo")}  # what rows repeat is computed once (analysis.memo)
        kernels = worker_kernels(preload, env) if preload is not None else None
        forked = kernels.launched if kernels is not None else 0
        run_section(notebook, target, parameters, cwd=cwd, secret=secret, run_key=run_key, cache=cache,
                    reuse=False, kernels=kernels, env={**env, **(pinned or {})})
    except Exception as exc:  # noqa: BLE001 - reported per run; the batch goes on
        failed = TaskResult.failed(exc, time.perf_counter() - started, where)
        _log(log_path, f"attempt {attempt} failed after {failed.seconds:.1f} s: {failed.message}"
             + (f" (executed notebook kept as {failed.saved})" if failed.saved else ""))
        return failed
    seconds = time.perf_counter() - started
    if kernels is None:
        how = "a cold kernel"
    elif kernels.launched > forked:
        how = "a kernel forked from this worker's warm template"
    else:
        how = f"a cold kernel ({kernels.declined[-1] if kernels.declined else kernels.reason})"
    _log(log_path, f"attempt {attempt} executed in {seconds:.1f} s on {how} → {target}; stored in the run cache")
    return TaskResult(seconds, worker=where)


def _other_environment(environment: dict[str, str] | None) -> TaskResult | None:
    """A failed result when this worker's environment is not the planner's (see plan.check_environment)."""
    if environment is None:
        return None
    from ..plan import check_environment

    try:
        check_environment(environment, f"worker {socket.gethostname()} pid {os.getpid()}")
    except ReportKitError as exc:
        return TaskResult.failed(exc, 0.0, f"{socket.gethostname()} pid {os.getpid()}")
    return None


def build_row(row_spec: Any, out: str, lang: str, theme: str, cache_dir: str, remote: Remote | None = None,
              environment: dict[str, str] | None = None) -> TaskResult:
    """Build one row into ``out`` (its runs are in the cache, so this renders only). With
    ``remote``, ``out`` is the row's folder relative to the batch folder: the row is built in a
    local folder from the project bundle, then uploaded, its manifest last (a row folder without a
    manifest is not a finished row, and is built again by the next run of the batch)."""
    from ..build import build_report

    os.environ.setdefault("MPLBACKEND", "Agg")
    refused = _other_environment(environment)
    if refused is not None:
        return refused
    started = time.perf_counter()
    local = Path(out) if remote is None else _local_outbox(remote, out)
    try:
        if remote is not None:
            from .bundle import materialize

            shutil.rmtree(local, ignore_errors=True)
            row_spec = row_spec.model_copy(update={"root": str(materialize(remote.bundle))})
        result = build_report(row_spec, lang=lang, theme=theme, out=local, cache=True, cache_dir=cache_dir)
        outputs = {k: str(v) for k, v in result.outputs.items()}
        if remote is not None:
            files = sorted(p for p in local.rglob("*") if p.is_file() and p.name != "manifest.json")
            _upload(remote, [*files, local / "manifest.json"], local.parent)
            outputs = {k: Path(v).relative_to(local.parent).as_posix() for k, v in outputs.items()}
    except Exception as exc:  # noqa: BLE001
        return TaskResult.failed(exc, time.perf_counter() - started)
    finally:
        if remote is not None:
            shutil.rmtree(local, ignore_errors=True)
    return TaskResult(time.perf_counter() - started, outputs=outputs, executed=result.manifest.executed)
