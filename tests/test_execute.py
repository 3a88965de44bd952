"""Execute the tiny fixture notebooks for real (a kernel each): records round-trip, failures name the cell."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportkit.errors import NotebookError
from reportkit.execute import execute_notebook
from reportkit.record import Figure, Metric, Table, Text, read_results


def test_records_round_trip_through_an_executed_notebook(fixture_notebook, tmp_path):
    seen = []
    executed = execute_notebook(
        fixture_notebook("records"), tmp_path / "out.ipynb", {"n": 4, "label": "<b>GMV</b>"},
        cwd=tmp_path, progress=lambda done, total: seen.append((done, total)),
    )
    results = read_results(executed.nb, section="s", notebook="records.ipynb", parameters={"n": 4})
    total = results["total"]
    assert isinstance(total, Metric) and total.value == 6.0 and total.unit == "亿元" and total.label == "<b>GMV</b>"
    assert isinstance(results["flag_text"], Text) and "lang zh" in results["flag_text"].text
    table = results["table"]
    assert isinstance(table, Table) and table.columns == ("name", "value") and table.rows == (("a", 1.0), ("b", None))
    assert isinstance(results["fig"], Figure) and results["fig"].svg.startswith("<svg")
    assert [r.name for r in results.records] == ["total", "flag_text", "table", "fig"]
    # progress came from the cell hooks, ending at all cells done
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0
    # the results are JSON-serialisable and nothing partial is left behind
    json.dumps(results.to_dict(), ensure_ascii=False)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".kernel.log")) == ["out.ipynb"]


def test_failing_cell_names_notebook_cell_exception_and_saved_copy(fixture_notebook, tmp_path):
    with pytest.raises(NotebookError) as info:
        execute_notebook(fixture_notebook("broken"), tmp_path / "broken.ipynb", {"x": 41}, cwd=tmp_path)
    err = info.value
    assert err.cell == 3  # third cell of the original notebook (the injected parameters cell is not counted)
    assert err.ename == "ValueError" and "bad value 42" in err.evalue
    assert err.saved and err.saved.endswith("broken.failed.ipynb")
    saved = json.loads(Path(err.saved).read_text(encoding="utf-8"))
    assert any(o.get("ename") == "ValueError" for c in saved["cells"] for o in c.get("outputs", []))
    assert "broken.ipynb failed in cell 3: ValueError: bad value 42" in str(err)
    assert not (tmp_path / "broken.ipynb").exists()


def _run_records(args):
    from reportkit.execute import execute_notebook as run

    notebook, out, n = args
    executed = run(notebook, out, {"n": n}, cwd=str(Path(out).parent))
    return read_results(executed.nb, section="s", notebook="records", parameters={"n": n})["total"].value


@pytest.mark.e2e
def test_eight_notebooks_run_concurrently_without_port_or_zmq_clashes(fixture_notebook, tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(str(fixture_notebook("records")), str(tmp_path / f"run{i}.ipynb"), i) for i in range(8)]
    with ProcessPoolExecutor(max_workers=8, mp_context=multiprocessing.get_context("spawn")) as pool:
        totals = list(pool.map(_run_records, jobs))
    assert totals == [i * 1.5 for i in range(8)]  # each kernel saw its own parameters
    # every executed notebook under its final name, nothing partial (a kernel may leave its own
    # stderr log, e.g. "KeyboardInterrupt caught in kernel" when it is shut down under load)
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == [f"run{i}.ipynb" for i in range(8)]
    assert not list(tmp_path.glob("*partial*")) and not list(tmp_path.glob("*.failed.ipynb"))


# Cells are numbered as the analyst's notebook shows them: papermill's injected-parameters cell and
# its error-marker cells (written into a failed notebook, and sometimes saved back as the source)
# are not counted.
@pytest.mark.e2e
@pytest.mark.parametrize(("name", "params", "cell", "ename"), [
    ("fails_after_parameters", {"path": "missing.csv"}, 2, "FileNotFoundError"),  # the data-loading cell
    ("error_markers", {"x": 41}, 2, "ValueError"),  # a failed copy saved back as the source, markers and all
])
def test_failing_cell_is_numbered_as_in_the_original_notebook(fixture_notebook, tmp_path, name, params, cell, ename):
    with pytest.raises(NotebookError) as info:
        execute_notebook(fixture_notebook(name), tmp_path / f"{name}.ipynb", params, cwd=tmp_path)
    err = info.value
    assert (err.cell, err.ename) == (cell, ename)
    assert f"failed in cell {cell}: {ename}" in str(err)


@pytest.mark.e2e
def test_a_line_magic_error_shows_the_cause_from_stderr(fixture_notebook, tmp_path):
    with pytest.raises(NotebookError) as info:
        execute_notebook(fixture_notebook("line_magic"), tmp_path / "m.ipynb", {"x": 2}, cwd=tmp_path)
    err = info.value
    assert err.cell == 2 and err.ename == "UsageError"
    assert "Line magic function `%undefined_magic` not found" in err.evalue
    assert "failed in cell 2: UsageError: Line magic function `%undefined_magic` not found" in str(err)


@pytest.mark.e2e
def test_sys_exit_0_half_way_is_a_failure_naming_the_cell(fixture_notebook, tmp_path):
    """A report built from a half-run notebook is wrong: ``sys.exit(0)`` before the last code cell
    fails the run (papermill itself treats it as success)."""
    with pytest.raises(NotebookError) as info:
        execute_notebook(fixture_notebook("sysexit0"), tmp_path / "e.ipynb", {"x": 2}, cwd=tmp_path)
    err = info.value
    assert err.cell == 3 and err.ename == "SystemExit"
    assert "exited early" in err.evalue and "1 later code cell did not run" in err.evalue
    assert err.saved and Path(err.saved).name == "e.failed.ipynb" and Path(err.saved).is_file()
    assert not (tmp_path / "e.ipynb").exists() and not list(tmp_path.glob(".*partial*"))


@pytest.mark.e2e
def test_a_timed_out_cell_is_numbered_as_in_the_original_notebook(fixture_notebook, tmp_path):
    with pytest.raises(NotebookError) as info:
        execute_notebook(fixture_notebook("slow"), tmp_path / "slow.ipynb", {"marker": str(tmp_path / "started")},
                         cwd=tmp_path, timeout=2)
    assert info.value.cell == 3  # the sleeping cell (nbclient's hooks fire when a cell is sent, not done)
    assert "Timeout" in info.value.ename
    # the notebook as far as it ran is kept (papermill saves it only at the end: written by the kit)
    saved = json.loads(Path(info.value.saved).read_text(encoding="utf-8"))
    assert Path(info.value.saved).name == "slow.failed.ipynb"
    counts = [c.get("execution_count") for c in saved["cells"] if c["cell_type"] == "code"]
    assert counts[-1] is None and all(isinstance(n, int) for n in counts[:-2]), counts
    assert not (tmp_path / "slow.ipynb").exists() and not list(tmp_path.glob(".*partial*"))


def test_an_interrupted_run_is_a_picklable_keyboard_interrupt_not_an_error():
    """So that per-run ``except Exception`` handlers (a batch) never swallow Ctrl-C, and a process
    pool can send it back to the parent."""
    import pickle

    from reportkit.errors import ReportKitError, RunInterrupted

    err = pickle.loads(pickle.dumps(RunInterrupted(notebook="nb.ipynb", cell=3)))
    assert isinstance(err, KeyboardInterrupt) and not isinstance(err, (Exception, ReportKitError))
    assert (err.notebook, err.cell, str(err)) == ("nb.ipynb", 3, "interrupted at cell 3 of notebook nb.ipynb")
