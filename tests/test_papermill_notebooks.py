"""Notebooks written the way papermill's documentation shows ("Parameterize": a cell tagged
``parameters`` with plain assignments such as ``alpha = 0.6``), and notebooks with no parameters
cell at all, run through ``reportkit run`` and the Python API.

Types are inferred from the defaults (with a note that annotations check more); values are
injected after the parameters cell, or at the top when there is none (with a warning), as papermill
does. Unknown names are still refused before a kernel starts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from reportkit.cli import app

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
PAPERMILL = "papermill_parameters"  # alpha = 0.6, ratio = 0.1 in a cell tagged `parameters`
NO_CELL = "papermill_no_parameters"  # no cell tagged `parameters`
REPORTKIT = Path(sys.executable).with_name("reportkit")


def _copy(tmp_path: Path, name: str) -> Path:
    """A private copy (the kernel runs in tmp_path; the note about annotations is per notebook path)."""
    path = tmp_path / f"{name}.ipynb"
    shutil.copy(NOTEBOOKS / f"{name}.ipynb", path)
    return path


def _stdout_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _run(tmp_path: Path, notebook: Path, *params: str):
    args = ["run", str(notebook), "--out", str(tmp_path / "runs"), "--cwd", str(tmp_path)]
    for p in params:
        args += ["-p", p]
    return CliRunner().invoke(app, args)


# --------------------------------------------------------------------------- no kernel needed


def test_params_lists_inferred_types_of_a_papermill_notebook(tmp_path):
    res = CliRunner().invoke(app, ["params", str(_copy(tmp_path, PAPERMILL))], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "alpha" in res.output and "float" in res.output and "0.6" in res.output


def test_run_refuses_an_unknown_name_before_a_kernel_starts(tmp_path, monkeypatch):
    import reportkit.execute

    def no_kernel(*args, **kwargs):  # pragma: no cover - reached only if the check is missing
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(reportkit.execute, "execute_notebook", no_kernel)
    res = _run(tmp_path, _copy(tmp_path, PAPERMILL), "alhpa=0.3")
    assert res.exit_code == 1
    assert "unknown parameter 'alhpa' from the command line" in res.output
    assert "alpha (float), ratio (float)" in res.output
    assert not (tmp_path / "runs").exists()


def test_run_refuses_a_mistyped_value_for_an_inferred_type_before_a_kernel_starts(tmp_path, monkeypatch):
    import reportkit.execute

    monkeypatch.setattr(reportkit.execute, "execute_notebook", lambda *a, **k: pytest.fail("a kernel was started"))
    res = _run(tmp_path, _copy(tmp_path, PAPERMILL), "alpha=high")
    assert res.exit_code == 1
    assert "'alpha' from the command line is 'high' (str); expected float" in res.output
    assert "`alpha: str = …`" in res.output  # how to declare another type


def test_plan_of_a_papermill_notebook_checks_names_and_infers_types(tmp_path):
    from reportkit.errors import ParameterError
    from reportkit.plan import make_plan
    from reportkit.spec import load_spec

    _copy(tmp_path, PAPERMILL)
    spec_path = tmp_path / "r.yaml"
    spec_path.write_text(
        "id: r\ntitle: R\noutputs: [html]\nsections:\n"
        f"  - id: s\n    notebook: {PAPERMILL}.ipynb\n    title: S\n    parameters: {{alpha: 1}}\n",
        encoding="utf-8")
    plan = make_plan(load_spec(spec_path, root=tmp_path))
    assert plan.runs[0].parameters == {"alpha": 1.0}
    spec_path.write_text(spec_path.read_text(encoding="utf-8").replace("alpha: 1", "beta: 1"), encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown parameter 'beta'.*section 's'.*alpha \\(float\\)"):
        make_plan(load_spec(spec_path, root=tmp_path))


# --------------------------------------------------------------------------- kernels


@pytest.mark.e2e
def test_run_a_papermill_notebook_with_its_defaults(tmp_path):
    res = _run(tmp_path, _copy(tmp_path, PAPERMILL))
    assert res.exit_code == 0, res.output
    nb = nbformat.read(tmp_path / "runs" / f"{PAPERMILL}.ipynb", as_version=4)
    assert not any("injected-parameters" in _tags(c) for c in nb.cells)  # nothing given, nothing injected
    assert "alpha=0.6 ratio=0.1" in _stdout_of(nb.cells[-1])


@pytest.mark.e2e
def test_run_a_papermill_notebook_injects_after_the_parameters_cell(tmp_path):
    notebook = _copy(tmp_path, PAPERMILL)
    env = {**os.environ, "COLUMNS": "200", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [str(REPORTKIT), "run", str(notebook), "-p", "alpha=0.3", "--out", str(tmp_path / "runs"), "--cwd", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    # the user is told that annotations would check more
    assert "no type annotations" in proc.stderr and "alpha: float" in proc.stderr and "stricter" in proc.stderr
    nb = nbformat.read(tmp_path / "runs" / f"{PAPERMILL}.ipynb", as_version=4)
    tags = [_tags(c) for c in nb.cells]
    assert "parameters" in tags[1] and "injected-parameters" in tags[2]
    assert "alpha = 0.3" in nb.cells[2].source
    assert "alpha=0.3 ratio=0.1" in _stdout_of(nb.cells[-1])


@pytest.mark.e2e
def test_run_a_notebook_without_parameters_cell(tmp_path):
    res = _run(tmp_path, _copy(tmp_path, NO_CELL))
    assert res.exit_code == 0, res.output
    nb = nbformat.read(tmp_path / "runs" / f"{NO_CELL}.ipynb", as_version=4)
    assert "hello no alpha given" in _stdout_of(nb.cells[-1])


@pytest.mark.e2e
def test_run_a_notebook_without_parameters_cell_injects_at_the_top_with_a_warning(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="reportkit.params"):
        res = _run(tmp_path, _copy(tmp_path, NO_CELL), "alpha=0.3")
    assert res.exit_code == 0, res.output
    assert "no cell tagged 'parameters'" in caplog.text and "top of the notebook" in caplog.text
    nb = nbformat.read(tmp_path / "runs" / f"{NO_CELL}.ipynb", as_version=4)
    assert "injected-parameters" in _tags(nb.cells[0]) and "alpha = 0.3" in nb.cells[0].source
    assert "hello 0.3" in _stdout_of(nb.cells[-1])


@pytest.mark.e2e
def test_python_api_runs_a_papermill_notebook(tmp_path):
    from reportkit.execute import execute_notebook
    from reportkit.params import read_parameters, validate_parameters

    notebook = _copy(tmp_path, PAPERMILL)
    declared = read_parameters(notebook)
    values = validate_parameters(declared, {"ratio": 0.25}, source="a test")
    executed = execute_notebook(notebook, tmp_path / "out.ipynb", values, cwd=tmp_path)
    assert "alpha=0.6 ratio=0.25" in _stdout_of(executed.nb.cells[-1])
    assert "injected-parameters" in _tags(executed.nb.cells[2])
