"""Running a batch plan: execute what is not cached, build what is not current, on an executor.

:func:`run_batch`

1. takes the batch folder's lock (two batches never write one folder) and removes temporary
   files a killed batch left (``.*.partial``: never under a final name);
2. keeps every row whose folder already holds intact outputs of the same build key (the row is
   ``reused``: nothing is executed or rendered for it) — this is how a batch resumes after Ctrl-C
   or ``kill -9``, and why a re-run with nothing changed costs seconds;
3. submits every distinct run the other rows need that is not in the run cache (all of them with
   ``force``), and builds each row as soon as its last run is ready, so runs and renders overlap;
4. retries a failed run or build up to ``retries`` times; a row whose run or build still fails is
   ``failed`` with the error and the kept failed notebook, and the others go on;
5. reports every step as a :class:`BatchEvent` (to ``on_event``, and appended as JSON lines to
   ``<batch>/events.jsonl``) and keeps ``index.json``/``index.html`` up to date while it runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..build import default_cache_dir, outputs_current
from ..cache import RunCache
from ..errors import ReportKitError, WorkerError
from ..kernel_pool import notebook_imports
from ..manifest import Manifest
from ..plan import pinned_env
from ..storage import Store, is_url, open_store
from . import tasks
from .bundle import publish_bundle
from .executors import Executor, make_executor
from .index import write_index
from .matrix import BatchPlan, BatchRow

#: where executed runs of a batch and their logs are written (a row id cannot start with "_")
RUNS_FOLDER = "_runs"
EVENTS_FILE = "events.jsonl"
LOCK_FILE = ".batch.lock"

#: done: built by this batch; reused: its outputs were current and kept; failed; interrupted: not
#: finished when the batch was stopped (the next run of the same command completes it)
RowStatus = Literal["done", "reused", "failed", "interrupted"]


@dataclass(frozen=True)
class BatchEvent:
    """One step of a batch. ``kind`` "batch" (status "planned" | "finished" | "interrupted"),
    "run" (status "executed" | "cached" | "retry" | "failed") or "row" (status "done" | "reused" |
    "retry" | "failed")."""

    kind: Literal["batch", "run", "row"]
    status: str
    name: str  # row id, "<section> <run key>" or the report id
    seconds: float | None = None
    attempt: int | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}


BatchProgress = Callable[[BatchEvent], None]


@dataclass(frozen=True)
class RunOutcome:
    """How one distinct run ended; ``failure`` is the error itself (a ReportKitError)."""

    run_key: str
    section: str
    status: Literal["executed", "cached", "failed", "interrupted"]
    seconds: float
    attempts: int = 0
    failure: ReportKitError | None = None
    failed_notebook: str | None = None
    log: str | None = None

    @property
    def error(self) -> str | None:
        """The failure's message (as events, the index and the command line show it)."""
        return str(self.failure) if self.failure is not None else None

    def to_json(self) -> dict[str, Any]:
        return {"run_key": self.run_key, "section": self.section, "status": self.status, "seconds": self.seconds,
                "attempts": self.attempts, "error": self.error, "failed_notebook": self.failed_notebook,
                "log": self.log}


@dataclass(frozen=True)
class RowResult:
    """How one row ended. A failed row holds the error itself (``failure``, a ReportKitError) and,
    when a run it needed failed, that run's section (``failed_section``)."""

    id: str
    status: RowStatus
    seconds: float  # building (rendering) this row; runs shared between rows are timed in `runs`
    outputs: dict[str, str]  # kind → path relative to the batch folder
    failure: ReportKitError | None = None
    failed_notebook: str | None = None
    executed: tuple[str, ...] = ()  # sections whose run this batch executed for the row
    failed_section: str | None = None

    @property
    def error(self) -> str | None:
        """The failure's message (as events, the index and the command line show it)."""
        if self.failure is None:
            return None
        if self.failed_section is not None:
            return f"section {self.failed_section!r} failed: {self.failure}"
        return str(self.failure)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "seconds": self.seconds, "outputs": dict(self.outputs),
                "error": self.error, "failed_notebook": self.failed_notebook, "executed": list(self.executed)}


@dataclass(frozen=True)
class BatchResult:
    out_dir: Path
    rows: tuple[RowResult, ...]
    runs: tuple[RunOutcome, ...]
    seconds: float
    executor: str = ""
    out_url: str | None = None  # the batch folder in object storage (out_dir is then its local copy)

    @property
    def location(self) -> str:
        """The batch folder as the user named it: a folder, or s3://bucket/prefix."""
        return self.out_url or str(self.out_dir)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def failed(self) -> tuple[RowResult, ...]:
        return tuple(r for r in self.rows if r.status == "failed")

    @property
    def ok(self) -> bool:
        return all(r.status in ("done", "reused") for r in self.rows)

    def summary(self) -> dict[str, Any]:
        runs = [r.status for r in self.runs]
        return {
            "rows": len(self.rows), "done": self.count("done"), "reused": self.count("reused"),
            "failed": self.count("failed"), "interrupted": self.count("interrupted"),
            "runs_executed": runs.count("executed"), "runs_cached": runs.count("cached"),
            "runs_failed": runs.count("failed"), "seconds": self.seconds, "executor": self.executor,
        }

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "runs": [r.to_json() for r in self.runs],
                "summary": self.summary()}


@contextmanager
def batch_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the batch folder, released when the process ends however it ends."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fh = open(out_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole batch
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise ReportKitError(
                f"the batch folder {out_dir} is in use by {holder}; wait for that batch to finish or "
                "choose another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()


def remove_partials(out_dir: Path) -> list[Path]:
    """Remove temporary files (``.<name>.*.partial*``) a killed batch left in ``out_dir``."""
    removed = []
    for path in out_dir.rglob(".*.partial*"):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


class _Scheduler:
    """The state of one running batch: what is submitted, finished, failed; events; the index."""

    def __init__(self, plan: BatchPlan, out_dir: Path, executor: Executor, store: RunCache, retries: int,
                 on_event: BatchProgress | None) -> None:
        self.plan, self.out_dir, self.executor, self.store, self.retries = plan, out_dir, executor, store, retries
        self.on_event = on_event
        self.done: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self.outstanding = 0
        self.attempts: dict[str, int] = {}
        self.runs: dict[str, RunOutcome] = {}
        self.rows: dict[str, RowResult] = {}
        self.waiting: dict[str, set[str]] = {}  # row id → run keys it still waits for
        self.started = time.perf_counter()
        self._events = open(out_dir / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.preload: tuple[str, ...] | None = None  # modules a worker's warm kernels import (None: cold kernels)
        self.remote: tasks.Remote | None = None  # workers without a shared disk: the bundle and the out URL
        self._rows_of: dict[str, list[BatchRow]] | None = None
        # what every task checks its worker against: the environment the run keys were made in
        self.environment: dict[str, str] | None = dict(plan.rows[0].plan.environment) if plan.rows else None
        self._index_written = 0.0

    def emit(self, event: BatchEvent) -> None:
        self._events.write(json.dumps(event.to_json(), ensure_ascii=False, default=str) + "\n")
        self._events.flush()
        if self.on_event:
            self.on_event(event)

    def close(self) -> None:
        self._events.close()

    # -------------------------------------------------------------- submitting
    def _submit(self, kind: str, item: Any, fn: Callable[..., Any], *args: Any) -> None:
        key = item.run_key if kind == "run" else item.id
        self.attempts[f"{kind}:{key}"] = self.attempts.get(f"{kind}:{key}", 0) + 1
        future = self.executor.submit(fn, *args)
        self.outstanding += 1
        future.add_done_callback(lambda f: self.done.put((kind, item, f)))

    def run_target(self, run: Any) -> Path:
        return self.out_dir / RUNS_FOLDER / f"{run.section}-{run.run_key}.ipynb"

    def submit_run(self, run: Any) -> None:
        attempt = self.attempts.get(f"run:{run.run_key}", 0) + 1
        notebook, target = str(run.notebook), str(self.run_target(run))
        if self.remote is not None:  # relative: to the project bundle, and to the batch folder
            notebook = self.remote.bundle.notebook(run.notebook, self.plan.spec.root)
            target = os.path.relpath(target, self.out_dir)
        self._submit("run", run, tasks.execute_run, notebook, target, dict(run.parameters), self.plan.spec.root,
                     self.store.location, run.run_key, attempt, run.secret, self.preload, pinned_env(run), self.remote,
                     self.environment)

    def submit_row(self, row: BatchRow) -> None:
        out = row.id if self.remote is not None else str(self.out_dir / row.id)
        self._submit("row", row, tasks.build_row, row.spec, out, self.plan.lang, self.plan.theme, self.store.location,
                     self.remote, self.environment)

    # -------------------------------------------------------------- finishing
    def task_result(self, future: Any) -> tasks.TaskResult:
        try:
            result: tasks.TaskResult = future.result()
            return result
        except Exception as exc:  # noqa: BLE001 - the worker process died or the task was lost
            if isinstance(exc, BrokenProcessPool):  # a local worker died: the pool must be replaced
                self.executor.restart()
            return tasks.TaskResult(0.0, WorkerError(f"the worker running this task died ({type(exc).__name__}: {exc})"))

    def finish_run(self, run: Any, res: tasks.TaskResult) -> None:
        attempt = self.attempts[f"run:{run.run_key}"]
        name = f"{run.section} {run.run_key}"
        log = os.path.relpath(self.run_target(run).with_suffix(".log"), self.out_dir)
        if not res.ok and attempt <= self.retries:
            self.emit(BatchEvent("run", "retry", name, round(res.seconds, 3), attempt, res.message))
            self.submit_run(run)
            return
        status: Literal["executed", "failed"] = "executed" if res.ok else "failed"
        outcome = RunOutcome(run.run_key, run.section, status, round(res.seconds, 3), attempt, res.error,
                             res.saved, log)
        self.runs[run.run_key] = outcome
        self.emit(BatchEvent("run", status, name, outcome.seconds, attempt, outcome.error,
                             {"section": run.section, "run_key": run.run_key, "log": log,
                              "rows": list(self.plan.rows_using(run.run_key)),
                              **({"failed_notebook": outcome.failed_notebook} if outcome.failed_notebook else {})}))
        self.run_ready(run.run_key)

    def run_ready(self, run_key: str) -> None:
        """A run finished (or was cached): build the rows that waited only for it."""
        if self._rows_of is None:  # run key → the rows that use it, in plan order (not a scan of every row per run)
            self._rows_of = {}
            for each in self.plan.rows:
                for key in dict.fromkeys(r.run_key for r in each.plan.runs):
                    self._rows_of.setdefault(key, []).append(each)
        for row in self._rows_of.get(run_key, ()):
            waiting = self.waiting.get(row.id)
            if waiting is None or run_key not in waiting:
                continue
            waiting.discard(run_key)
            outcome = self.runs[run_key]
            if outcome.status == "failed":
                del self.waiting[row.id]
                self.finish_row(row, "failed", 0.0, failure=outcome.failure, failed_section=outcome.section,
                                failed_notebook=outcome.failed_notebook)
            elif not waiting:
                del self.waiting[row.id]
                self.submit_row(row)

    def finish_built_row(self, row: BatchRow, res: tasks.TaskResult) -> None:
        attempt = self.attempts[f"row:{row.id}"]
        if not res.ok and attempt <= self.retries:
            self.emit(BatchEvent("row", "retry", row.id, round(res.seconds, 3), attempt, res.message))
            self.submit_row(row)
            return
        executed = tuple(r.section for r in row.plan.runs
                         if self.runs[r.run_key].status == "executed") + tuple(res.executed)
        if res.ok:
            outputs = dict(res.outputs) if self.remote is not None else {
                k: os.path.relpath(v, self.out_dir) for k, v in res.outputs.items()}
            self.finish_row(row, "done", res.seconds, outputs=outputs, executed=executed, attempt=attempt)
        else:
            self.finish_row(row, "failed", res.seconds, failure=res.error, failed_notebook=res.saved,
                            executed=executed, attempt=attempt)

    def finish_row(self, row: BatchRow, status: RowStatus, seconds: float, *, outputs: dict[str, str] | None = None,
                   failure: ReportKitError | None = None, failed_section: str | None = None,
                   failed_notebook: str | None = None, executed: tuple[str, ...] = (),
                   attempt: int | None = None) -> None:
        result = RowResult(row.id, status, round(seconds, 3), outputs or {}, failure, failed_notebook, executed,
                           failed_section)
        error = result.error
        self.rows[row.id] = result
        detail: dict[str, Any] = {"outputs": result.outputs}
        if executed:
            detail["executed"] = list(executed)
        if failed_notebook:
            detail["failed_notebook"] = failed_notebook
        self.emit(BatchEvent("row", status, row.id, result.seconds, attempt, error, detail))
        self.write_index()

    # -------------------------------------------------------------- index
    def result(self) -> BatchResult:
        rows = tuple(self.rows.get(row.id) or RowResult(row.id, "interrupted", 0.0, {}) for row in self.plan.rows)
        runs = tuple(self.runs.get(r.run_key) or RunOutcome(r.run_key, r.section, "interrupted", 0.0)
                     for r in self.plan.runs)
        return BatchResult(self.out_dir, rows, runs, round(time.perf_counter() - self.started, 3), self.executor.name
                           if self.executor else "", self.remote.out if self.remote is not None else None)

    def write_index(self, *, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._index_written > 2.0:  # while running: at most every 2 s
            write_index(self.plan, self.result())
            self._index_written = now
            if self.remote is not None:  # the batch folder in object storage gets the same files
                self._events.flush()
                store = open_store(self.remote.out)
                for name in (EVENTS_FILE, "index.json", "index.html"):
                    store.upload(self.out_dir / name, name)


def _current_row(out_dir: Path, row: BatchRow) -> dict[str, str] | None:
    """The row's outputs (relative to the batch folder) if its folder holds a current build."""
    folder = out_dir / row.id
    if not outputs_current(folder, row.build_key):
        return None
    manifest = Manifest.read(folder / "manifest.json")
    return {k: os.path.join(row.id, v) for k, v in manifest.outputs.items()} | {
        "manifest": os.path.join(row.id, "manifest.json")}


def _current_remote_row(out: Store, row: BatchRow) -> dict[str, str] | None:
    """The same for a batch folder in object storage: its manifest (written last) was made with the
    row's build key and every file it lists is there with the recorded size. (The contents are
    not downloaded to be hashed; ``reportkit publish`` checks every file's SHA-256 before it
    publishes one.)"""
    try:
        manifest = Manifest.from_json(out.read(row.id, "manifest.json").decode("utf-8"))
    except (FileNotFoundError, PermissionError, ReportKitError, ValueError, UnicodeDecodeError):
        return None  # PermissionError: S3 answers 403, not 404, for a missing object without the List right
    if manifest.build_key != row.build_key or not manifest.files:
        return None
    try:
        if any(int(out.info(row.id, *f.path.split("/"))["size"]) != f.bytes for f in manifest.files):
            return None
    except (FileNotFoundError, PermissionError, KeyError, ValueError):
        return None
    return {k: f"{row.id}/{v}" for k, v in manifest.outputs.items()} | {"manifest": f"{row.id}/manifest.json"}


#: requests to object storage made at once while a batch is planned (a rerun of 10,000 rows checks
#: as many manifests: one at a time, their latencies would add up to many minutes)
PROBES_AT_ONCE = 16


def _probe(check: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``check`` of each item, :data:`PROBES_AT_ONCE` at a time (I/O bound), in the items' order."""
    from concurrent.futures import ThreadPoolExecutor

    if len(items) <= 1:
        return [check(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(PROBES_AT_ONCE, len(items)), thread_name_prefix="reportkit-probe") as pool:
        return list(pool.map(check, items))


def batch_folder(out: str) -> Path:
    """The local folder of a batch whose folder is in object storage: its lock, events and index
    are written here first, then uploaded."""
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(base).expanduser() / "reportkit" / "batches" / hashlib.sha256(out.rstrip("/").encode()).hexdigest()[:16]


def run_batch(
    plan: BatchPlan,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    retries: int = 0,
    cache_dir: str | Path | None = None,
    on_event: BatchProgress | None = None,
    warm_kernels: bool = True,
) -> BatchResult:
    """Execute and build what the plan needs into ``out_dir``; see the module's docstring.

    ``executor``: where tasks run (default: a local pool of ``workers`` processes, at most one per
    task). ``force``: execute every run and build every row even if cached or current.
    ``cache_dir``: the run cache (default: the project's ``build/.runs``). ``warm_kernels``: each
    worker forks its kernels from a template that imported the notebooks' modules once
    (:mod:`reportkit.kernel_pool`); False starts every kernel from scratch. Failures are collected
    in the result, never raised; on KeyboardInterrupt the index marks unfinished rows
    ``interrupted`` and the interrupt is raised again.
    """
    if retries < 0:
        raise ReportKitError(f"--retries {retries}: expected 0 or more")
    store = RunCache(cache_dir if cache_dir is not None else default_cache_dir(plan.spec))
    out_url = str(out_dir).rstrip("/") if is_url(str(out_dir)) else None
    out_store = open_store(out_url) if out_url is not None else None
    if out_url is not None and not store.remote:
        raise ReportKitError(f"--out {out_url} is in object storage but the run cache {store.location} is a local "
                             "folder; workers without a shared disk share their runs through object storage: "
                             "add --cache s3://bucket/prefix")
    out_dir = batch_folder(out_url) if out_url is not None else Path(out_dir)
    with batch_lock(out_dir):
        remove_partials(out_dir)
        store.remove_stale_partials()
        # rows whose outputs are current are kept; the others wait for their runs
        if force:
            current = {}
        elif out_store is not None:  # requests to the store, many at a time
            current = {row.id: outs for row, outs in zip(plan.rows, _probe(lambda row: _current_remote_row(out_store, row),
                                                                            plan.rows), strict=True) if outs is not None}
        else:
            current = {row.id: outs for row in plan.rows if (outs := _current_row(out_dir, row)) is not None}
        to_build = [row for row in plan.rows if row.id not in current]
        needed = list({r.run_key: r for row in to_build for r in row.plan.runs}.values())
        if force:
            pending = list(needed)
        else:
            recorded = (_probe(lambda r: store.has(r.run_key), needed) if store.remote
                        else [store.has(r.run_key) for r in needed])
            pending = [r for r, has in zip(needed, recorded, strict=True) if not has]
        owned = executor is None and bool(to_build)
        if owned:
            executor = make_executor(workers=workers, tasks=max(len(pending), len(to_build)))
        sched = _Scheduler(plan, out_dir, executor, store, retries, on_event)  # type: ignore[arg-type]
        if warm_kernels and pending:
            sched.preload = tuple(notebook_imports(dict.fromkeys(r.notebook for r in pending)))
        if out_url is not None and to_build:  # the project travels to the workers as one archive
            sched.remote = tasks.Remote(publish_bundle(plan, store), out_url)
        try:
            sched.emit(BatchEvent("batch", "planned", plan.spec.id, detail={
                "rows": len(plan.rows), "current_rows": len(current), "runs": len(needed), "to_execute": len(pending),
                "cached": len(needed) - len(pending), "executor": executor.name if executor else "none (nothing to do)",
                "out": out_url or str(out_dir), "cache": store.location}))
            for row in plan.rows:
                if row.id in current:
                    sched.finish_row(row, "reused", 0.0, outputs=current[row.id])
            for row in to_build:
                sched.waiting[row.id] = {r.run_key for r in row.plan.runs}
            for run in pending:
                sched.submit_run(run)
            for run in needed:
                if run not in pending:
                    sched.runs[run.run_key] = RunOutcome(run.run_key, run.section, "cached", 0.0)
                    sched.emit(BatchEvent("run", "cached", f"{run.section} {run.run_key}",
                                          detail={"section": run.section, "run_key": run.run_key}))
                    sched.run_ready(run.run_key)
            while sched.outstanding:
                kind, item, future = sched.done.get()
                sched.outstanding -= 1
                res = sched.task_result(future)
                if kind == "run":
                    sched.finish_run(item, res)
                else:
                    sched.finish_built_row(item, res)
        except BaseException:
            result = sched.result()
            write_index(plan, result)
            sched.emit(BatchEvent("batch", "interrupted", plan.spec.id, result.seconds, detail=result.summary()))
            sched.close()
            if owned and executor is not None:
                executor.close(wait=False)  # do not wait for running kernels; the next run redoes them
                owned = False
            raise
        finally:
            if owned and executor is not None:
                executor.close()
        result = sched.result()
        sched.write_index(final=True)
        sched.emit(BatchEvent("batch", "finished", plan.spec.id, result.seconds, detail=result.summary()))
        sched.close()
    return result
