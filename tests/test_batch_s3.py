"""A batch with no shared disk (issue 19): inputs, run cache and outputs in object storage (the
SeaweedFS fixture), on a Dask LocalCluster whose workers run in their own empty folders after the
project copy they were started from is removed. Results equal the local executor's; a second run
reuses every run from the S3 cache; a worker killed mid-batch leaves no partial object and the
batch completes on the other; `reportkit publish` publishes from the S3 batch folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path

import nbformat
import pytest

from reportkit.batch import DaskExecutor, plan_batch, run_batch
from reportkit.record import read_results
from reportkit.storage import open_store

pytest_plugins = ["seaweed"]
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
ROWS = [{"id": "bea-lag1", "category": "美妆个护", "n_lags": "1"},
        {"id": "bea-lag2", "category": "美妆个护", "n_lags": "2"},
        {"id": "bea-again", "category": "美妆个护", "n_lags": "2"},  # shares bea-lag2's run
        {"id": "fas-lag2", "category": "服饰鞋包", "n_lags": "2"}]


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    """Credentials and endpoint in the environment (as a user sets them; the workers inherit
    them), this machine's caches in the test's folder, and a prefix of the bucket for this test."""
    from seaweed import ADMIN

    key, secret = s3_server.credentials[ADMIN]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", "/nonexistent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "coordinator-cache"))
    monkeypatch.setenv("REPORTKIT_DOWNLOADS", str(tmp_path / "coordinator-downloads"))
    return f"s3://{s3_server.bucket}/t-{uuid.uuid4().hex[:8]}"


def _project(folder: Path, panel_url: str) -> Path:
    """A project with the engagement section; its panel is in object storage, the true
    parameters a local file of the project."""
    (folder / "notebooks").mkdir(parents=True)
    (folder / "data" / "simulated").mkdir(parents=True)
    (folder / "reports").mkdir()
    shutil.copy(ROOT / "notebooks" / "engagement_conversion.ipynb", folder / "notebooks")
    shutil.copy(ROOT / "data" / "simulated" / "true_params.json", folder / "data" / "simulated")
    spec = folder / "reports" / "s3.yaml"
    spec.write_text(f"""id: s3-batch
title: {{zh: 对象存储批量, en: Batch on object storage}}
outputs: [html]
sections:
  - id: engagement
    notebook: notebooks/engagement_conversion.ipynb
    title: {{zh: 内容种草与电商转化, en: Content seeding and conversion}}
    parameters:
      category: 美妆个护
      panel_path: {panel_url}
      truth_path: data/simulated/true_params.json
""", encoding="utf-8")
    return spec


def _records(nb_bytes: bytes) -> list[tuple]:
    results = read_results(nbformat.reads(nb_bytes.decode("utf-8"), as_version=4), section="engagement",
                           notebook="nb", parameters={})
    out: list[tuple] = []
    for rec in results.records:
        if rec.kind == "metric":
            out.append(("metric", rec.name, rec.value, rec.ci_low, rec.ci_high))
        elif rec.kind == "table":
            out.append(("table", rec.name, rec.columns, rec.rows))
        else:
            out.append((rec.kind, rec.name))
    return out


def _close(a, b) -> bool:
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_close(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12, nan_ok=True)
    return a == b


def _own_folders(client, tmp_path: Path) -> dict[str, str]:
    """Each worker moves to an empty folder of its own and keeps its caches there."""
    folders: dict[str, str] = {}
    for addr in client.scheduler_info()["workers"]:  # code as text: a worker cannot import this module
        folder = tempfile.mkdtemp(prefix="rk-worker-", dir=tmp_path)
        env = {name: os.path.join(folder, sub) for name, sub in (
            ("REPORTKIT_BUNDLES", "bundles"), ("REPORTKIT_DOWNLOADS", "downloads"), ("XDG_CACHE_HOME", "cache"))}
        client.run(exec, f"import os; os.chdir({folder!r}); os.environ.update({env!r})", workers=[addr])
        folders[addr] = folder
    return folders


@pytest.fixture
def local_cluster(tmp_path, monkeypatch):
    """A 2-worker Dask LocalCluster started from a copy of the project, which is removed before any
    batch is submitted; each worker then works in an empty folder of its own."""
    from distributed import Client, LocalCluster

    started_from = tmp_path / "workers-started-here"
    shutil.copytree(ROOT / "notebooks", started_from / "notebooks")
    monkeypatch.chdir(started_from)
    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0")
    client = Client(lc)
    try:
        folders = _own_folders(client, tmp_path)
        monkeypatch.chdir(tmp_path)
        shutil.rmtree(started_from)
        yield lc.scheduler_address, folders
    finally:
        client.close()
        lc.close()


class Cluster:
    """A Dask scheduler and two single-threaded workers, each a process of its own (``dask
    scheduler``, ``dask worker --no-nanny``: a killed worker is not restarted, as a LocalCluster's
    nanny would), as on separate machines: every worker started from a copy of the project that is
    removed before any batch is submitted, then working in an empty folder of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.procs: list = []
        self.client = None
        try:
            self._start(tmp_path)
        except BaseException:
            self.close()
            raise

    def _start(self, tmp_path: Path) -> None:
        import subprocess
        import sys
        import time

        bin_dir = Path(sys.executable).parent
        # killed with this process even if it dies before its teardown (util-linux setpriv, as tests/seaweed.py)
        dies_with_me = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
        scheduler_file = tmp_path / "scheduler.json"
        self.procs.append(subprocess.Popen(
            [*dies_with_me, str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
        started_from = tmp_path / "workers-started-here"
        shutil.copytree(ROOT / "notebooks", started_from / "notebooks")
        for n in range(2):
            self.procs.append(subprocess.Popen(
                [*dies_with_me, str(bin_dir / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny", "--name", f"w{n}",
                 "--no-dashboard"], cwd=started_from, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        self.client = Client(self.address, timeout=60)
        self.client.wait_for_workers(2, timeout=120)
        self.folders = _own_folders(self.client, tmp_path)
        self.pids = self.client.run(os.getpid)
        shutil.rmtree(started_from)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        for proc in reversed(self.procs):
            proc.kill()
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.close()


def _objects(url: str) -> list[str]:
    store = open_store(url)
    return sorted(p.removeprefix(store.root.rstrip("/") + "/") for p in store.fs.find(store.root))


def test_a_batch_with_inputs_cache_and_outputs_on_s3_on_workers_without_the_project(s3, local_cluster, tmp_path):
    address, folders = local_cluster
    inputs = open_store(f"{s3}/inputs")
    inputs.upload(ROOT / "data" / "simulated" / "brand_week_panel.csv", "brand_week_panel.csv")
    spec = _project(tmp_path / "coordinator", f"{s3}/inputs/brand_week_panel.csv")
    plan = plan_batch(spec, ROWS)
    assert all(f"{s3}/inputs/brand_week_panel.csv" in r.inputs for row in plan.rows for r in row.plan.runs)

    executor = DaskExecutor(address=address)
    try:
        first = run_batch(plan, f"{s3}/out-a", executor=executor, cache_dir=f"{s3}/runs")
    finally:
        executor.close()
    assert first.ok, [r.error for r in first.rows]
    assert first.summary()["runs_executed"] == 3 and first.location == f"{s3}/out-a"

    # the workers fetched the project and the panel into their own folders
    for folder in folders.values():
        assert not any(Path(folder).glob("*.ipynb"))
    fetched = [p for f in folders.values() for p in Path(f, "bundles").glob("*/.complete")]
    assert fetched, "no worker extracted the project bundle"

    out = _objects(f"{s3}/out-a")
    assert {"index.html", "index.json", "events.jsonl"} <= set(out)
    for row in ROWS:
        assert {f"{row['id']}/report.html", f"{row['id']}/manifest.json", f"{row['id']}/runs/engagement.ipynb"} <= set(out)
    assert not [o for o in out + _objects(f"{s3}/runs") if ".partial" in o]
    index = json.loads(open_store(f"{s3}/out-a").read("index.json"))
    assert [r["status"] for r in index["rows"]] == ["done"] * 4

    # the same plan on the local executor records the same results
    local = run_batch(plan, tmp_path / "local", workers=2, cache_dir=tmp_path / "local-cache")
    assert local.ok
    remote = open_store(f"{s3}/out-a")
    for row in ROWS:
        a = _records((tmp_path / "local" / row["id"] / "runs" / "engagement.ipynb").read_bytes())
        b = _records(remote.read(row["id"], "runs", "engagement.ipynb"))
        assert len(a) > 10 and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert x[:2] == y[:2] and _close(x[2:], y[2:]), (x, y)

    # the command line, into a second batch folder: every run comes from the S3 cache
    from typer.testing import CliRunner

    from reportkit.cli import app

    matrix = tmp_path / "matrix.csv"
    matrix.write_text("id,category,n_lags\n" + "".join(f"{r['id']},{r['category']},{r['n_lags']}\n" for r in ROWS),
                      encoding="utf-8")
    res = CliRunner().invoke(app, ["batch", str(spec), "--matrix", str(matrix), "--scheduler", address,
                                   "--cache", f"{s3}/runs", "--out", f"{s3}/out-b", "--json"])
    assert res.exit_code == 0, res.output
    second = json.loads([line for line in res.output.splitlines() if line.startswith("{")][-1])["detail"]
    assert second["done"] == 4 and second["runs_executed"] == 0 and second["runs_cached"] == 3
    # and the first folder again: every row is current
    executor = DaskExecutor(address=address)
    try:
        again = run_batch(plan, f"{s3}/out-a", executor=executor, cache_dir=f"{s3}/runs")
    finally:
        executor.close()
    assert again.summary()["reused"] == 4

    # publish from the batch folder in object storage, as the command line does
    from reportkit.publish import verify

    res = CliRunner().invoke(app, ["publish", f"{s3}/out-b", "--to", str(tmp_path / "published")])
    assert res.exit_code == 0, res.output
    releases = sorted((tmp_path / "published").glob("*/s3-batch/*/manifest.json"))
    assert sorted(p.parts[-4] for p in releases) == sorted(r["id"] for r in ROWS)
    for manifest in releases:
        assert verify(manifest.parent) == []


def test_a_worker_killed_mid_batch_the_batch_completes_and_no_partial_object_is_visible(s3, cluster, tmp_path):
    inputs = open_store(f"{s3}/inputs")
    inputs.upload(ROOT / "data" / "simulated" / "brand_week_panel.csv", "brand_week_panel.csv")
    spec = _project(tmp_path / "coordinator", f"{s3}/inputs/brand_week_panel.csv")
    plan = plan_batch(spec, ROWS)
    killed: list[int] = []

    def kill_one(event) -> None:
        # at the first finished run, one worker dies (kill -9) whatever it is doing; it is not replaced
        if not killed and event.kind == "run" and event.status == "executed":
            victim = cluster.pids[sorted(cluster.pids)[0]]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    executor = DaskExecutor(address=cluster.address)
    try:
        result = run_batch(plan, f"{s3}/out", executor=executor, cache_dir=f"{s3}/runs", on_event=kill_one)
    finally:
        executor.close()
    assert killed and len(cluster.client.scheduler_info()["workers"]) == 1
    assert result.ok, [r.error for r in result.rows]
    out, runs = open_store(f"{s3}/out"), open_store(f"{s3}/runs")
    objects = _objects(f"{s3}/out") + [f"runs/{o}" for o in _objects(f"{s3}/runs")]
    assert not [o for o in objects if ".partial" in o]
    for name in runs.list():  # every record names a whole notebook of the recorded size
        if name.endswith(".json"):
            record = json.loads(runs.read(name))
            assert int(runs.info(name.replace(".json", ".ipynb"))["size"]) == record["bytes"]
    for row in ROWS:  # every row has its manifest, and every file it lists is whole
        manifest = json.loads(out.read(row["id"], "manifest.json"))
        for path, f in manifest["files"].items():
            assert int(out.info(row["id"], *path.split("/"))["size"]) == f["bytes"]
