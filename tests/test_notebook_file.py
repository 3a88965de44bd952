"""Planning reads notebooks as JSON (reportkit.notebook_file), not through nbformat: the parameters,
code hash and narrative hash are the ones nbformat's reading gives, for every notebook of the
project and of the tests, for sources stored as lists of lines, and for an old-format notebook
(read and converted by nbformat); a file that is no notebook is a ParameterError naming it; and a
batch whose rows are current plans and finishes without importing nbformat."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from reportkit import provenance
from reportkit.errors import ParameterError
from reportkit.notebook_file import read_notebook
from reportkit.params import parameters_of, read_parameters

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "tests" / "notebooks").glob("*.ipynb")])


def _facts(nb, path):
    try:
        declared = parameters_of(nb, path)
    except ParameterError as exc:  # a fixture notebook whose parameters cell is meant to be refused
        declared = str(exc)
    return declared, provenance.notebook_code_hash(nb), provenance.notebook_narrative_hash(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_gives_the_facts_nbformat_reading_gives(path):
    assert _facts(read_notebook(path), path) == _facts(nbformat.read(path, as_version=4), path)


def test_the_project_and_test_notebooks_are_all_checked():
    assert len([p for p in NOTEBOOKS if p.parent.name == "notebooks" and p.parent.parent == ROOT]) >= 3
    assert len(NOTEBOOKS) >= 10


def _notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_code_cell('category: str = "美妆个护"  # 品类\nn: int = 2\n', metadata={"tags": ["parameters"]}),
        new_markdown_cell("第一段。\n\n第二段。", metadata={"tags": ["report-zh"]}),
        new_code_cell("x = n + 1\nprint(x)\n"),
    ])
    nb.metadata["kernelspec"] = {"name": "reportkit", "display_name": "Python (reportkit)", "language": "python"}
    return nb


def test_sources_stored_as_lists_of_lines_are_joined_as_nbformat_joins_them(tmp_path):
    path = tmp_path / "lines.ipynb"
    path.write_text(nbformat.writes(_notebook()), encoding="utf-8")  # as Jupyter writes them: a list of lines
    assert isinstance(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"], list)
    nb = read_notebook(path)
    assert nb["cells"][1]["source"] == "第一段。\n\n第二段。"
    assert _facts(nb, path) == _facts(nbformat.read(path, as_version=4), path)
    assert [p.name for p in read_parameters(path).parameters] == ["category", "n"]


def test_an_old_format_notebook_is_converted_by_nbformat_as_before(tmp_path):
    path = tmp_path / "v3.ipynb"
    nbformat.write(_notebook(), path, version=3)
    assert json.loads(path.read_text(encoding="utf-8"))["nbformat"] == 3
    nb = read_notebook(path)
    assert nb["nbformat"] == 4
    assert _facts(nb, path) == _facts(nbformat.read(path, as_version=4), path)


@pytest.mark.parametrize("text, expected", [
    ("{not json", "not JSON"),
    ("[1, 2]", "holds a JSON list, expected an object with 'cells'"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no 'cells' list"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"source": "x = 1"}]}',
     "cell 1 has no cell_type or source"),
])
def test_a_file_that_is_no_notebook_is_a_parameter_error_naming_it(tmp_path, text, expected):
    path = tmp_path / "bad.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        read_notebook(path)
    assert expected in str(info.value) and "bad.ipynb" in str(info.value)
    with pytest.raises(ParameterError, match="cannot be read as a Jupyter notebook"):
        read_parameters(path)


def test_a_missing_notebook_is_a_parameter_error_naming_it(tmp_path):
    with pytest.raises(ParameterError, match="no such notebook file") as info:
        read_notebook(tmp_path / "gone.ipynb")
    assert "gone.ipynb" in str(info.value)


PROBE = """\
import json, sys
from reportkit.batch import plan_batch, run_batch
plan = plan_batch(sys.argv[1], sys.argv[2])
result = run_batch(plan, sys.argv[3], workers=1, cache_dir=sys.argv[4])
print(json.dumps({"statuses": sorted({r.status for r in result.rows}),
                  "nbformat": "nbformat" in sys.modules, "papermill": "papermill" in sys.modules}))
"""


@pytest.mark.e2e
def test_a_batch_whose_rows_are_current_imports_no_nbformat(tmp_path):
    """The second run of a batch finds every row current: it plans (reading the notebooks) and
    checks the rows' outputs without nbformat or papermill."""
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "notebooks" / "records.ipynb", project / "notebooks" / "records.ipynb")
    declared = read_parameters(project / "notebooks" / "records.ipynb")
    name = next(p.name for p in declared.parameters if p.type_name == "str")
    (project / "r.yaml").write_text(
        "id: nbf\ntitle: 无 nbformat\noutputs: [html]\nsections:\n  - id: s\n    notebook: notebooks/records.ipynb\n"
        "    title: 节\n", encoding="utf-8")
    (project / "m.csv").write_text(f"id,{name}\na,甲\nb,乙\n", encoding="utf-8")
    args = [sys.executable, "-c", PROBE, str(project / "r.yaml"), str(project / "m.csv"), str(tmp_path / "out"),
            str(tmp_path / "cache")]
    first = json.loads(subprocess.run(args, capture_output=True, text=True, check=True, cwd=project).stdout.splitlines()[-1])
    assert first["statuses"] == ["done"]
    second = json.loads(subprocess.run(args, capture_output=True, text=True, check=True, cwd=project).stdout.splitlines()[-1])
    assert second == {"statuses": ["reused"], "nbformat": False, "papermill": False}
