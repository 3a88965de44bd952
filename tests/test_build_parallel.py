"""Sections of one build run in parallel on warm kernels and record exactly what a serial build on
cold kernels records; the manifest says how each ran."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from reportkit.build import build_report, thread_limits

pytestmark = pytest.mark.e2e

FIT = """\
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
import matplotlib.pyplot as plt
import reportkit as rk
from reportkit.analysis import plots
plots.use_theme("default")
rng = np.random.default_rng(seed)
df = pd.DataFrame({"x": rng.normal(size=n)})
df["y"] = 1 + 2 * df["x"] + rng.standard_t(3, size=n)
fit = smf.ols("y ~ x", df).fit(cov_type="HC1")
rk.record("slope", float(fit.params["x"]), decimals=3, label="斜率")
rk.record("coefficients", fit.summary2().tables[1], caption="系数")
fig, ax = plt.subplots()
ax.scatter(df["x"], df["y"], s=4)
rk.record("scatter", fig, caption="散点")"""


def _spec(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_code_cell("n: int = 200  # rows\nseed: int = 1  # random seed",
                                           metadata={"tags": ["parameters"]}), new_code_cell(FIT)])
    nb.metadata["kernelspec"] = {"name": "reportkit", "display_name": "Python (reportkit)", "language": "python"}
    nbformat.write(nb, tmp_path / "fit.ipynb")
    spec = tmp_path / "r.yaml"
    sections = "".join(
        f"  - id: s{n}\n    notebook: {tmp_path / 'fit.ipynb'}\n    title: 第{n}节\n"
        f"    parameters: {{n: {n * 100}, seed: {n}}}\n" for n in (3, 4, 5))
    spec.write_text(f"id: par\ntitle: 并行\noutputs: [html]\nsections:\n{sections}", encoding="utf-8")
    return spec


def test_parallel_sections_on_warm_kernels_record_what_serial_cold_ones_do(tmp_path):
    spec = _spec(tmp_path)
    serial = build_report(spec, out=tmp_path / "serial", cache=False, workers=1, kernels="cold")
    parallel = build_report(spec, out=tmp_path / "parallel", cache=False, workers=3, kernels="warm")
    assert list(parallel.results) == list(serial.results) == ["s3", "s4", "s5"]  # plan order, not finishing order
    for section in serial.results:
        assert parallel.results[section].to_dict() == serial.results[section].to_dict(), section
    assert 1.8 < parallel.results["s5"]["slope"].value < 2.2
    assert (tmp_path / "parallel" / "report.html").read_text(encoding="utf-8").count("第") >= 3
    assert not parallel.manifest.reused and set(parallel.manifest.executed) == {"s3", "s4", "s5"}


def test_thread_limits_give_each_kernel_one_blas_thread_and_keep_what_the_user_set(monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert thread_limits() == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert thread_limits()["OMP_NUM_THREADS"] == "3"


def test_parallel_runs_leave_the_process_folder_alone(tmp_path, monkeypatch):
    spec = _spec(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    moves: list[str] = []
    real = os.chdir

    def chdir(path: str | Path) -> None:  # calls from this build's run threads (other tests' threads may linger)
        if threading.current_thread().name.startswith("reportkit-run"):
            moves.append(str(path))
        real(path)

    # papermill's own cwd= changes the folder of the whole process from each run's thread (a race);
    # each kernel gets its folder from the kernel manager instead
    monkeypatch.setattr(os, "chdir", chdir)
    built = build_report(spec, out=tmp_path / "out", cache=False, workers=3)
    assert moves  # the runs went through papermill in those threads, which only ever restores a folder
    assert str(spec.parent) not in moves and os.getcwd() == str(elsewhere)  # never into the project
    assert all(r["slope"].value > 1.5 for r in built.results.values())


class _Planned(Exception):
    """Raised by the patched planner: the test stops the build there."""


@pytest.mark.parametrize("cached", [False, True])
def test_the_template_starts_before_the_plan_only_when_every_run_will_execute(tmp_path, monkeypatch, cached):
    """An empty run cache (or none): the warm-kernel template is started before the plan is made,
    and closed when the build fails; a cache with entries: nothing is started before the plan."""
    import reportkit.build as build_module
    from reportkit import kernel_pool

    events: list[str] = []

    class Pool:
        def __enter__(self):
            events.append("pool entered")
            return self

        def __exit__(self, *exc):
            events.append("pool closed")

    def open_pool(kernel, notebooks, *, env=None):
        events.append(f"pool opened for {len(list(notebooks))} notebooks")
        assert env is not None and env["OPENBLAS_NUM_THREADS"]  # the kernels' environment: thread limits
        return Pool()

    def make_plan(*args, **kwargs):
        events.append("plan")
        raise _Planned

    monkeypatch.setattr(kernel_pool, "open_pool", open_pool)
    monkeypatch.setattr(build_module, "make_plan", make_plan)
    cache_dir = tmp_path / "runs"
    if cached:
        cache_dir.mkdir()
        (cache_dir / "0123456789abcdef.json").write_text("{}", encoding="utf-8")
    with pytest.raises(_Planned):
        build_report(_spec(tmp_path / "p"), out=tmp_path / "out", cache_dir=cache_dir)
    if cached:
        assert events == ["plan"]
    else:
        assert events == ["pool opened for 3 notebooks", "pool entered", "plan", "pool closed"]
