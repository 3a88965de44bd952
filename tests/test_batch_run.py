"""Running batches: scheduling, retries, failure isolation, locking, resume, executors.

The first half drives :func:`run_batch` with an in-process executor whose tasks are fakes, so the
scheduling rules are tested in milliseconds. The second half runs real kernels (``e2e``): a real
batch and its re-runs, the command line with ``--json``, a batch killed with SIGKILL and resumed,
and the same batch on a Dask LocalCluster.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from test_manifest import sample_manifest
from typer.testing import CliRunner

from reportkit.batch import BatchEvent, plan_batch, run_batch
from reportkit.batch.run import EVENTS_FILE, batch_lock, remove_partials
from reportkit.batch.tasks import TaskResult
from reportkit.build import outputs_current
from reportkit.cache import RunCache
from reportkit.errors import ReportKitError, WorkerError
from reportkit.kernel_pool import supported
from reportkit.manifest import OutputFile

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def write_spec(folder: Path, outputs: str = "[html]") -> Path:
    """Only the engagement section; absolute paths (the spec's root is a temporary folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(
        f"""id: batch-test
title: {{zh: 批量测试, en: Batch test}}
outputs: {outputs}
sections:
  - id: engagement
    notebook: {ROOT / 'notebooks' / 'engagement_conversion.ipynb'}
    title: {{zh: 内容种草与电商转化, en: Content seeding and conversion}}
    parameters:
      category: 美妆个护
      panel_path: {ROOT / 'data' / 'simulated' / 'brand_week_panel.csv'}
      truth_path: {ROOT / 'data' / 'simulated' / 'true_params.json'}
""",
        encoding="utf-8",
    )
    return spec


ROWS = [{"id": "bea-lag1", "category": "美妆个护", "n_lags": "1"},
        {"id": "bea-lag2", "category": "美妆个护", "n_lags": "2"},
        {"id": "bea-again", "category": "美妆个护", "n_lags": "2"},  # shares bea-lag2's run
        {"id": "fas-lag2", "category": "服饰鞋包", "n_lags": "2"}]


# --------------------------------------------------------------------------- scheduling, with fakes


class InlineExecutor:
    """Runs each task in this process at submit time with a fake in place of the real task."""

    name = "inline"
    workers = 1

    def __init__(self, run: Callable[..., TaskResult], build: Callable[..., TaskResult] | None = None):
        self.fakes = {"execute_run": run, "build_row": build or fake_build}
        self.submitted: list[tuple[str, tuple]] = []
        self.restarts = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        self.submitted.append((fn.__name__, args))
        future: Future = Future()
        try:
            future.set_result(self.fakes[fn.__name__](*args))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future

    def restart(self) -> None:
        self.restarts += 1

    def close(self, wait: bool = True) -> None:
        pass


def ok_run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote) -> TaskResult:
    return TaskResult(0.01)


def fake_build(row_spec, out, lang, theme, cache_dir, *_remote) -> TaskResult:
    return TaskResult(0.01, outputs={"html": str(Path(out) / "report.html")})


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_batch(write_spec(tmp_path_factory.mktemp("fake")), ROWS)


def run_key_of(plan, row_id: str) -> str:
    return next(r for r in plan.rows if r.id == row_id).run_keys[0]


def test_shared_runs_execute_once_and_every_row_is_built(plan, tmp_path):
    events: list[BatchEvent] = []
    ex = InlineExecutor(ok_run)
    result = run_batch(plan, tmp_path / "out", executor=ex, cache_dir=tmp_path / "c", on_event=events.append)
    assert result.ok and [r.status for r in result.rows] == ["done"] * 4
    assert [name for name, _ in ex.submitted].count("execute_run") == 3  # bea-again shares bea-lag2's run
    assert [name for name, _ in ex.submitted].count("build_row") == 4
    assert events[0].kind == "batch" and events[0].status == "planned" and events[0].detail["to_execute"] == 3
    assert events[-1].status == "finished" and events[-1].detail["done"] == 4
    lines = (tmp_path / "out" / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["status"] for line in lines] == [e.status for e in events]
    index = json.loads((tmp_path / "out" / "index.json").read_text(encoding="utf-8"))
    assert index["summary"]["runs_executed"] == 3 and index["rows"][0]["parameters"] == {"category": "美妆个护", "n_lags": 1}


def test_a_failed_run_fails_only_its_rows_and_names_the_kept_notebook(plan, tmp_path):
    bad = run_key_of(plan, "bea-lag2")

    def run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote):
        if run_key == bad:
            return TaskResult(0.1, ReportKitError("cell 7 raised ValueError"), saved="x.failed.ipynb")
        return TaskResult(0.01)

    ex = InlineExecutor(run)
    result = run_batch(plan, tmp_path / "out", executor=ex, cache_dir=tmp_path / "c")
    status = {r.id: r.status for r in result.rows}
    assert status == {"bea-lag1": "done", "bea-lag2": "failed", "bea-again": "failed", "fas-lag2": "done"}
    failed = next(r for r in result.rows if r.id == "bea-again")
    assert "section 'engagement' failed: cell 7 raised ValueError" in failed.error
    assert isinstance(failed.failure, ReportKitError) and str(failed.failure) == "cell 7 raised ValueError"
    assert failed.failed_section == "engagement"
    outcome = next(r for r in result.runs if r.run_key == bad)
    assert outcome.failure is failed.failure and outcome.error == "cell 7 raised ValueError"
    assert failed.failed_notebook == "x.failed.ipynb"
    assert not result.ok
    built = [Path(args[1]).name for name, args in ex.submitted if name == "build_row"]
    assert sorted(built) == ["bea-lag1", "fas-lag2"]  # rows of a failed run are never built


def test_retries_rerun_a_transient_failure(plan, tmp_path):
    flaky = run_key_of(plan, "fas-lag2")
    attempts: list[int] = []

    def run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote):
        if run_key == flaky:
            attempts.append(attempt)
            if attempt == 1:
                return TaskResult(0.1, WorkerError("kernel died"))
        return TaskResult(0.01)

    events: list[BatchEvent] = []
    result = run_batch(plan, tmp_path / "out", executor=InlineExecutor(run), retries=2, cache_dir=tmp_path / "c",
                       on_event=events.append)
    assert result.ok and attempts == [1, 2]
    retry = [e for e in events if e.status == "retry"]
    assert len(retry) == 1 and retry[0].attempt == 1 and retry[0].error == "kernel died"
    outcome = next(r for r in result.runs if r.run_key == flaky)
    assert outcome.status == "executed" and outcome.attempts == 2

    attempts.clear()
    again = run_batch(plan, tmp_path / "out2", executor=InlineExecutor(run), retries=0, cache_dir=tmp_path / "c2")
    assert attempts == [1] and {r.id for r in again.failed} == {"fas-lag2"}


def test_a_dead_worker_is_a_failure_of_its_task_and_the_pool_restarts(plan, tmp_path):
    dead = run_key_of(plan, "bea-lag1")

    def run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote):
        if run_key == dead and attempt == 1:
            raise BrokenProcessPool("a child process terminated abruptly")
        return TaskResult(0.01)

    ex = InlineExecutor(run)
    result = run_batch(plan, tmp_path / "out", executor=ex, retries=1, cache_dir=tmp_path / "c")
    assert result.ok and ex.restarts == 1
    ex = InlineExecutor(run)
    result = run_batch(plan, tmp_path / "out2", executor=ex, cache_dir=tmp_path / "c2")
    failed = {r.id: r.error for r in result.failed}
    assert list(failed) == ["bea-lag1"] and "worker running this task died" in failed["bea-lag1"]
    assert isinstance(result.failed[0].failure, WorkerError)


def test_task_results_cross_processes_with_the_error_and_its_fields():
    import pickle

    from reportkit.errors import NotebookError

    err = NotebookError(notebook="nb.ipynb", cell=3, ename="ValueError", evalue="bad", saved="x.failed.ipynb")
    res = pickle.loads(pickle.dumps(TaskResult.failed(err, 1.5, "host pid 1")))
    assert not res.ok and type(res.error) is NotebookError and res.error.cell == 3 and res.saved == "x.failed.ipynb"
    assert res.message == str(err) and res.worker == "host pid 1"
    other = TaskResult.failed(KeyError("k"), 0.1)
    assert type(other.error) is WorkerError and other.message == "KeyError: 'k'" and other.saved is None


def test_interrupt_marks_unfinished_rows_and_is_raised_again(plan, tmp_path):
    calls = {"n": 0}

    def run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return TaskResult(0.01)

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(plan, out, executor=InlineExecutor(run), cache_dir=tmp_path / "c")
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert "interrupted" in {r["status"] for r in index["rows"]}
    assert json.loads((out / EVENTS_FILE).read_text(encoding="utf-8").splitlines()[-1])["status"] == "interrupted"


def test_two_batches_cannot_write_one_folder(plan, tmp_path):
    out = tmp_path / "out"
    with batch_lock(out):
        with pytest.raises(ReportKitError, match=rf"in use by pid {os.getpid()}"):
            run_batch(plan, out, executor=InlineExecutor(ok_run), cache_dir=tmp_path / "c")
    run_batch(plan, out, executor=InlineExecutor(ok_run), cache_dir=tmp_path / "c")  # free again


def test_leftover_temporary_files_are_removed(tmp_path):
    (tmp_path / "row").mkdir()
    left = [tmp_path / "row" / ".report.pdf.abc123.partial", tmp_path / ".index.json.x.partial",
            tmp_path / "row" / ".engagement.77.partial.ipynb"]
    for path in left:
        path.write_text("half", encoding="utf-8")
    keep = tmp_path / "row" / "report.pdf"
    keep.write_text("whole", encoding="utf-8")
    assert sorted(remove_partials(tmp_path)) == sorted(left)
    assert keep.is_file() and not any(p.exists() for p in left)


def test_bad_retries_refused(plan, tmp_path):
    with pytest.raises(ReportKitError, match="--retries -1"):
        run_batch(plan, tmp_path, executor=InlineExecutor(ok_run), retries=-1)


def test_make_executor_refuses_contradictory_options():
    from reportkit.batch import make_executor

    with pytest.raises(ReportKitError, match="--workers sets the local pool"):
        make_executor(workers=2, dask_local=2)
    with pytest.raises(ReportKitError, match="--workers 0"):
        make_executor(workers=0)


# --------------------------------------------------------------------------- run cache and build outputs


def test_run_cache_verifies_entries_when_read(tmp_path):
    nb = tmp_path / "run.ipynb"
    nb.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    cache = RunCache(tmp_path / "cache")
    stored = cache.put("k1", nb)
    assert cache.get("k1") == stored and cache.get("other") is None
    stored.write_text(stored.read_text(encoding="utf-8")[:-5], encoding="utf-8")  # truncated entry
    assert cache.get("k1") is None
    cache.put("k1", nb)
    cache.record_path("k1").unlink()  # killed between the notebook and its record
    assert cache.get("k1") is None


def test_outputs_current_checks_key_and_every_file(tmp_path):
    import hashlib

    (tmp_path / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    data = (tmp_path / "report.html").read_bytes()
    manifest = sample_manifest(build_key="abc", outputs={"html": "report.html"},
                               files=(OutputFile("report.html", len(data), hashlib.sha256(data).hexdigest()),))
    (tmp_path / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    assert outputs_current(tmp_path, "abc")
    assert not outputs_current(tmp_path, "abd")
    (tmp_path / "report.html").write_text("<p>no</p>", encoding="utf-8")  # same size, other bytes
    assert not outputs_current(tmp_path, "abc")
    (tmp_path / "report.html").unlink()
    assert not outputs_current(tmp_path, "abc")
    assert not outputs_current(tmp_path / "missing", "abc")
    (tmp_path / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    assert outputs_current(tmp_path, "abc")
    older = json.loads(manifest.to_json())
    del older["edition"]  # a manifest an older reportkit wrote: not current, the row is built again
    (tmp_path / "manifest.json").write_text(json.dumps(older), encoding="utf-8")
    assert not outputs_current(tmp_path, "abc")


# --------------------------------------------------------------------------- real kernels


@pytest.fixture(scope="module")
def html_spec(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("batch-html"))


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One run cache for the real-kernel tests below: a run one test executed, another reuses."""
    return tmp_path_factory.mktemp("batch-cache")


def _write_matrix(path: Path, rows: list[dict[str, str]]) -> Path:
    cols = list(rows[0])
    path.write_text("\n".join([",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]) + "\n", encoding="utf-8")
    return path


def _executed(events: list[BatchEvent]) -> list[str]:
    return [e.detail["run_key"] for e in events if e.kind == "run" and e.status == "executed"]


@pytest.mark.e2e
def test_real_batch_reruns_only_what_changed(html_spec, shared_cache, tmp_path):
    matrix = _write_matrix(tmp_path / "m.csv", ROWS)
    out = tmp_path / "out"
    events: list[BatchEvent] = []
    result = run_batch(plan_batch(html_spec, matrix), out, workers=2, cache_dir=shared_cache, on_event=events.append)
    assert result.ok, [r.error for r in result.rows]
    assert [r.status for r in result.rows] == ["done"] * 4
    assert len(result.runs) == 3 and {r.status for r in result.runs} <= {"executed", "cached"}
    for row in ROWS:
        assert (out / row["id"] / "report.html").is_file() and (out / row["id"] / "manifest.json").is_file()
    for run in result.runs:
        if run.status == "executed":
            log = (out / run.log).read_text(encoding="utf-8")  # a log per run, saying how its kernel started
            assert "executed in" in log
            assert ("forked from this worker's warm template" in log) == supported(), log
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="bea-lag1/report.html"' in html
    assert not list(out.rglob("*.partial*"))

    # nothing changed: every row is kept as it is, nothing executes or renders, no worker starts
    events.clear()
    mtime = (out / "bea-lag2" / "report.html").stat().st_mtime_ns
    again = run_batch(plan_batch(html_spec, matrix), out, workers=2, cache_dir=shared_cache, on_event=events.append)
    assert [r.status for r in again.rows] == ["reused"] * 4 and again.summary()["executor"] == ""
    assert _executed(events) == [] and (out / "bea-lag2" / "report.html").stat().st_mtime_ns == mtime

    # one row's parameters change: only that row's run executes, only that row is built
    changed = [dict(r, n_lags="3") if r["id"] == "bea-lag1" else r for r in ROWS]
    plan = plan_batch(html_spec, _write_matrix(tmp_path / "m2.csv", changed))
    events.clear()
    third = run_batch(plan, out, workers=2, cache_dir=shared_cache, on_event=events.append)
    assert _executed(events) == [next(r for r in plan.rows if r.id == "bea-lag1").run_keys[0]]
    assert {r.id: r.status for r in third.rows} == {"bea-lag1": "done", "bea-lag2": "reused", "bea-again": "reused",
                                                    "fas-lag2": "reused"}

    # a damaged output is rebuilt from the cached run, without executing anything
    with open(out / "fas-lag2" / "report.html", "a", encoding="utf-8") as fh:
        fh.write("<!-- edited -->")
    events.clear()
    fourth = run_batch(plan, out, workers=2, cache_dir=shared_cache, on_event=events.append)
    assert _executed(events) == []
    assert {r.id: r.status for r in fourth.rows}["fas-lag2"] == "done"
    assert outputs_current(out / "fas-lag2", next(r for r in plan.rows if r.id == "fas-lag2").build_key)


@pytest.mark.e2e
def test_cli_failing_row_reported_others_complete_json_events(html_spec, shared_cache, tmp_path):
    from reportkit.cli import app

    matrix = tmp_path / "m.csv"
    matrix.write_text("id,category,n_lags\nbea-lag2,美妆个护,2\npets,宠物<b>,2\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["batch", str(html_spec), "--matrix", str(matrix), "--out", str(out),
                                   "--workers", "2", "--cache-dir", str(shared_cache), "--json"])
    assert res.exit_code == 1, res.output
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert events[0]["status"] == "planned" and events[-1]["status"] == "finished"
    failed = next(e for e in events if e["kind"] == "row" and e["name"] == "pets")
    assert failed["status"] == "failed" and "宠物<b>" in failed["error"]
    assert failed["detail"]["failed_notebook"].endswith(".failed.ipynb")
    assert Path(failed["detail"]["failed_notebook"]).is_file()
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    status = {r["id"]: r["status"] for r in index["rows"]}
    assert status["pets"] == "failed" and status["bea-lag2"] == "done"
    assert (out / "bea-lag2" / "report.html").is_file()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "宠物&lt;b&gt;" in page and "宠物<b>" not in page  # data escaped

    # the human-readable form names the failed row, its error as is, and the kept notebook
    res = CliRunner().invoke(app, ["batch", str(html_spec), "--matrix", str(matrix), "--out", str(out),
                                   "--workers", "1", "--cache-dir", str(shared_cache)])
    assert res.exit_code == 1
    assert "row pets failed" in res.output and "宠物" in res.output and ".failed.ipynb" in res.output
    assert "category values present: ['" in res.output  # not eaten as rich markup


def _pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


@pytest.mark.e2e
def test_sigkill_part_way_then_the_same_command_completes_the_rest(tmp_path):
    spec = write_spec(tmp_path / "project", outputs="[html, pdf]")
    rows = [{"id": f"bea-lag{k}", "category": "美妆个护", "n_lags": str(k)} for k in (1, 2, 3)] + [
        {"id": "fas-lag2", "category": "服饰鞋包", "n_lags": "2"}]
    matrix = _write_matrix(tmp_path / "m.csv", rows)
    out, cache = tmp_path / "out", tmp_path / "cache"
    cmd = [str(BIN / "reportkit"), "batch", str(spec), "--matrix", str(matrix), "--out", str(out), "--workers", "2",
           "--cache-dir", str(cache), "--json"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)  # its own process group: the pool's workers die with it
    finished_before: list[str] = []
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event["kind"] == "row" and event["status"] == "done":
                finished_before.append(event["name"])
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and finished_before
    assert len(finished_before) < len(rows)
    time.sleep(1)  # kernels notice their parent is gone and exit
    plan = plan_batch(spec, matrix)
    before = {row.id: (out / row.id / "manifest.json").stat().st_mtime_ns for row in plan.rows
              if (out / row.id / "manifest.json").is_file()}
    for row in plan.rows:  # whatever the kill interrupted, nothing under a final name is partial
        if row.id in before:
            assert outputs_current(out / row.id, row.build_key)
        if (out / row.id / "report.pdf").is_file():
            assert _pdf_pages(out / row.id / "report.pdf") > 0

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    events = [json.loads(line) for line in rerun.stdout.splitlines()]
    status = {e["name"]: e["status"] for e in events if e["kind"] == "row"}
    executed = {e["detail"]["run_key"] for e in events if e["kind"] == "run" and e["status"] == "executed"}
    for row in plan.rows:
        if row.id in before:  # finished before the kill: kept, not executed or rendered again
            assert status[row.id] == "reused" and not set(row.run_keys) & executed
            assert (out / row.id / "manifest.json").stat().st_mtime_ns == before[row.id]
        else:
            assert status[row.id] == "done"
        assert outputs_current(out / row.id, row.build_key)  # every file matches the manifest's hash
        assert _pdf_pages(out / row.id / "report.pdf") > 0
        manifest = json.loads((out / row.id / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["build_key"] == row.build_key and manifest["pdf_pages"] == _pdf_pages(out / row.id / "report.pdf")
    assert not list(out.rglob("*.partial*")) and not list(cache.glob("*.partial*"))
    assert json.loads((out / "index.json").read_text(encoding="utf-8"))["summary"]["failed"] == 0


def _records(path: Path) -> list[tuple]:
    """What a run recorded, comparable across executors: metrics' values, tables' cells, texts."""
    import nbformat

    from reportkit.record import read_results

    results = read_results(nbformat.read(path, as_version=4), section="engagement", notebook="nb", parameters={})
    out = []
    for rec in results.records:
        if rec.kind == "metric":
            out.append(("metric", rec.name, rec.value, rec.ci_low, rec.ci_high))
        elif rec.kind == "table":
            out.append(("table", rec.name, rec.columns, rec.rows))
        else:
            out.append((rec.kind, rec.name))
    return out


@pytest.mark.e2e
def test_dask_local_cluster_records_the_same_results_as_the_local_pool(html_spec, shared_cache, tmp_path):
    from reportkit.batch import DaskExecutor

    rows = [ROWS[0], ROWS[3]]
    plan = plan_batch(html_spec, rows)
    local = run_batch(plan, tmp_path / "local", workers=2, cache_dir=shared_cache)
    dask = DaskExecutor(local_workers=2)
    try:
        assert dask.workers == 2 and "LocalCluster" in dask.name
        on_dask = run_batch(plan, tmp_path / "dask", executor=dask, cache_dir=tmp_path / "dask-cache")
    finally:
        dask.close()
    assert local.ok and on_dask.ok, [r.error for r in on_dask.rows]
    assert on_dask.summary()["runs_executed"] == 2 and "LocalCluster" in on_dask.summary()["executor"]
    for row in rows:
        a = _records(tmp_path / "local" / row["id"] / "runs" / "engagement.ipynb")
        b = _records(tmp_path / "dask" / row["id"] / "runs" / "engagement.ipynb")
        # equal to 1e-9: floating-point sums may differ in the last bit with memory alignment
        assert len(a) > 10 and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert x[:2] == y[:2]
            assert _close(x[2:], y[2:]), (x, y)


def _close(a, b) -> bool:
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_close(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12, nan_ok=True)
    return a == b


def test_unreachable_dask_scheduler_is_named():
    from reportkit.batch import DaskExecutor

    with pytest.raises(ReportKitError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        DaskExecutor(address="tcp://127.0.0.1:9", connect_timeout=2)


@pytest.mark.e2e
def test_cli_on_an_existing_dask_cluster(html_spec, tmp_path):
    """`--scheduler ADDRESS`: the batch runs on a cluster someone else started (here, in the test)."""
    from distributed import LocalCluster

    from reportkit.cli import app

    matrix = _write_matrix(tmp_path / "m.csv", [ROWS[3]])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = CliRunner().invoke(app, ["batch", str(html_spec), "--matrix", str(matrix), "--out", str(tmp_path / "out"),
                                       "--scheduler", cluster.scheduler_address, "--cache-dir", str(tmp_path / "c"),
                                       "--json"])
    assert res.exit_code == 0, res.output
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert events[0]["detail"]["executor"] == f"dask ({cluster.scheduler_address})"
    assert events[-1]["detail"]["runs_executed"] == 1 and events[-1]["detail"]["done"] == 1
    assert (tmp_path / "out" / ROWS[3]["id"] / "report.html").is_file()


def test_cli_refuses_workers_with_a_dask_option(html_spec, tmp_path):
    from reportkit.cli import app

    matrix = _write_matrix(tmp_path / "m.csv", [ROWS[0]])
    res = CliRunner().invoke(app, ["batch", str(html_spec), "--matrix", str(matrix), "--out", str(tmp_path / "o"),
                                   "--workers", "2", "--dask-local", "2"])
    assert res.exit_code == 2 and "--workers sets the local pool" in res.output


def test_cli_bad_matrix_exits_2_with_a_json_error_event(html_spec, tmp_path):
    from reportkit.cli import app

    matrix = tmp_path / "m.csv"
    matrix.write_text("id,categroy\na,母婴\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["batch", str(html_spec), "--matrix", str(matrix), "--out", str(tmp_path / "o"),
                                   "--json"])
    assert res.exit_code == 2
    event = json.loads(res.stdout.splitlines()[0])
    assert event["kind"] == "batch" and event["status"] == "error"
    assert "matrix column 'categroy' is not a parameter" in event["error"] and "category (str" in event["error"]
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_stale_temporary_files_in_the_run_cache_are_removed_fresh_ones_kept(tmp_path):
    """A writer killed during RunCache.put leaves `.<key>.ipynb.*.partial`; a later batch removes it
    once it is stale (another batch sharing the cache may be copying right now)."""
    import os
    import time

    from reportkit.cache import STALE_PARTIAL_SECONDS, RunCache

    store = RunCache(tmp_path)
    stale, fresh = tmp_path / ".abc.ipynb.x1.partial", tmp_path / ".def.ipynb.x2.partial"
    stale.write_text("half")
    fresh.write_text("half")
    old = time.time() - STALE_PARTIAL_SECONDS - 5
    os.utime(stale, (old, old))
    assert store.remove_stale_partials() == [stale]
    assert not stale.exists() and fresh.exists()
