"""One way to run a section: run_section (execute or reuse, redact, read results) is what
`reportkit run`, a build and a batch worker call. Kernels are faked here: the executed notebook is the
source with one record output added, so these tests take milliseconds."""
from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

import reportkit.build as build  # noqa: PLR0402 - `from reportkit import build` is the build() helper
from reportkit import cli, section_run
from reportkit.batch import tasks
from reportkit.cache import RunCache
from reportkit.errors import NotebookError
from reportkit.execute import ExecutedNotebook
from reportkit.record import MIME_TYPE, make_record, record_to_dict
from reportkit.section_run import SectionRun, check_values, run_section

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
RECORDS = NOTEBOOKS / "records.ipynb"


@pytest.fixture
def executions(monkeypatch):
    """Replace the kernel: each execution writes the notebook with a `total` metric recorded."""
    calls: list[dict] = []

    def fake_execute(notebook, output, parameters, *, cwd, progress=None, secret=(), **_):
        calls.append({"notebook": Path(notebook), "parameters": dict(parameters), "secret": tuple(secret)})
        nb = nbformat.read(notebook, as_version=4)
        rec = make_record("total", float(parameters.get("n", 3)) * 2, unit="亿元", label="合计", decimals=1)
        nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: record_to_dict(rec),
                                                                             "text/plain": "total"})]
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output)
        if progress:
            progress(len(nb.cells), len(nb.cells))
        return ExecutedNotebook(str(notebook), str(output), dict(parameters), 0.01, nb)

    monkeypatch.setattr(section_run, "execute_notebook", fake_execute)
    return calls


@pytest.fixture
def spy(monkeypatch):
    """Record every call of run_section, whoever makes it (the real function still runs)."""
    seen: list[str] = []
    real = section_run.run_section

    def wrapped(*args, **kwargs):
        seen.append(kwargs.get("section") or Path(args[0]).stem)
        return real(*args, **kwargs)

    monkeypatch.setattr(section_run, "run_section", wrapped)
    monkeypatch.setattr(build, "run_section", wrapped)
    return seen


def test_run_section_executes_redacts_and_reads_results(executions, tmp_path):
    run = run_section(RECORDS, tmp_path / "out" / "records.ipynb", {"n": 4, "label": "hunter2-token"}, cwd=tmp_path,
                      secret=("label",), section="sec")
    assert isinstance(run, SectionRun) and not run.reused and run.run_key is None
    assert run.output == tmp_path / "out" / "records.ipynb" and run.output.is_file()
    assert run.results["total"].value == 8.0 and run.results.section == "sec"
    assert run.parameters == {"n": 4, "label": "<secret>"} and run.results.parameters == run.parameters
    assert executions[0]["secret"] == ("label",) and executions[0]["parameters"]["label"] == "hunter2-token"
    assert run.notebook == str(RECORDS)  # outside cwd: named as given


def test_a_cached_run_is_reused_not_executed(executions, tmp_path):
    cache = RunCache(tmp_path / "cache")
    first = run_section(RECORDS, tmp_path / "a.ipynb", {"n": 2}, cwd=RECORDS.parent, run_key="k1", cache=cache)
    second = run_section(RECORDS, tmp_path / "b.ipynb", {"n": 2}, cwd=RECORDS.parent, run_key="k1", cache=cache)
    assert (first.reused, second.reused) == (False, True) and len(executions) == 1
    assert second.results == first.results and first.notebook == "records.ipynb"
    forced = run_section(RECORDS, tmp_path / "c.ipynb", {"n": 2}, cwd=RECORDS.parent, run_key="k1", cache=cache,
                         reuse=False)
    assert not forced.reused and len(executions) == 2


def test_a_failed_run_is_not_cached(monkeypatch, tmp_path):
    def failing(*_a, **_k):
        raise NotebookError(notebook="records.ipynb", cell=3, ename="ValueError", evalue="bad", saved=None)

    monkeypatch.setattr(section_run, "execute_notebook", failing)
    cache = RunCache(tmp_path / "cache")
    with pytest.raises(NotebookError, match="failed in cell 3"):
        run_section(RECORDS, tmp_path / "a.ipynb", {}, cwd=tmp_path, run_key="k1", cache=cache)
    assert cache.get("k1") is None


def test_check_values_refuses_a_bad_parameter_before_a_kernel(executions):
    values, secret = check_values(RECORDS, {"n": "5"})
    assert values["n"] == 5 and secret == ()
    with pytest.raises(Exception, match="nope"):
        check_values(RECORDS, {"nope": "1"})
    assert executions == []


def test_the_cli_run_command_calls_run_section(executions, spy, tmp_path):
    res = CliRunner().invoke(cli.app, ["run", str(RECORDS), "-p", "n=5", "--out", str(tmp_path / "runs"),
                                       "--cwd", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert spy == ["records"] and executions[0]["parameters"]["n"] == 5
    assert f"executed: {tmp_path / 'runs' / 'records.ipynb'}" in res.output and "recorded: 1 metric(s)" in res.output


def test_a_build_calls_run_section_for_every_section(executions, spy, tmp_path):
    spec = tmp_path / "r.yaml"
    spec.write_text(f"""id: t
title: 测试
outputs: [html]
sections:
  - id: one
    notebook: {RECORDS}
    title: 一
    parameters: {{n: 2}}
  - id: two
    notebook: {RECORDS}
    title: 二
    parameters: {{n: 3}}
""", encoding="utf-8")
    result = build.build_report(spec, out=tmp_path / "out", cache_dir=tmp_path / "cache")
    assert spy == ["one", "two"] and len(executions) == 2
    assert result.results["two"]["total"].value == 6.0
    assert result.manifest.executed == ("one", "two") and result.manifest.sections[0].executed_notebook == "runs/one.ipynb"
    again = build.build_report(spec, out=tmp_path / "out2", cache_dir=tmp_path / "cache")
    assert again.manifest.reused == ("one", "two") and len(executions) == 2 and spy == ["one", "two"] * 2


def test_a_batch_worker_calls_run_section_and_returns_the_typed_error(executions, spy, monkeypatch, tmp_path):
    target = tmp_path / "_runs" / "records-k1.ipynb"
    res = tasks.execute_run(str(RECORDS), str(target), {"n": 2}, str(tmp_path), str(tmp_path / "cache"), "k1", 1, ())
    assert res.ok and spy == ["records"] and RunCache(tmp_path / "cache").get("k1") is not None
    assert "attempt 1 executed" in target.with_suffix(".log").read_text(encoding="utf-8")

    def failing(*_a, **_k):
        raise NotebookError(notebook="records.ipynb", cell=3, ename="ValueError", evalue="bad", saved="x.failed.ipynb")

    monkeypatch.setattr(section_run, "execute_notebook", failing)
    res = tasks.execute_run(str(RECORDS), str(target), {"n": 2}, str(tmp_path), str(tmp_path / "cache"), "k2", 1, ())
    assert type(res.error) is NotebookError and res.error.cell == 3 and res.saved == "x.failed.ipynb"


def test_the_duplicated_run_code_is_gone():
    for module in (cli, build, tasks):
        source = inspect.getsource(module)
        assert "execute_notebook(" not in source and "read_results(" not in source, module.__name__
