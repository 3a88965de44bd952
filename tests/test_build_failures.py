"""A failing or invalid section stops the build with a clear error and leaves no report behind."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.build import build_report
from reportkit.errors import NotebookError, ParameterError, SpecError

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def _spec(tmp_path: Path, notebook: str, params: str = "{}") -> Path:
    spec = tmp_path / "r.yaml"
    spec.write_text(
        f"""id: t
title: 测试
sections:
  - id: only
    notebook: {NOTEBOOKS / notebook}
    title: 一
    parameters: {params}
""",
        encoding="utf-8",
    )
    return spec


def test_failing_cell_stops_the_build_and_no_report_is_written(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(NotebookError) as info:
        build_report(_spec(tmp_path, "broken.ipynb"), out=out)
    assert info.value.cell == 3 and "broken.ipynb" in str(info.value)
    assert Path(info.value.saved).is_file()
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()
    assert not (out / "manifest.json").exists()


def test_bad_parameter_is_refused_before_any_kernel(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match="unknown parameter 'y'.*allowed parameters are: x \\(int\\)"):
        build_report(_spec(tmp_path, "broken.ipynb", "{y: 1}"), out=out)
    assert not out.exists()


def test_missing_notebook_names_the_section(tmp_path):
    with pytest.raises(SpecError, match="section 'only': notebook .*nope.ipynb.* does not exist"):
        build_report(_spec(tmp_path, "nope.ipynb"), out=tmp_path / "out")


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(SpecError, match="language 'fr' is not offered"):
        build_report(_spec(tmp_path, "records.ipynb"), lang="fr", out=tmp_path / "out")


def test_a_run_with_a_known_key_is_reused_and_a_changed_input_is_not(tmp_path):
    data = tmp_path / "input.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    spec = tmp_path / "r.yaml"
    spec.write_text(
        f"""id: t
title: 测试
outputs: [html]
sections:
  - id: only
    notebook: {NOTEBOOKS / "records.ipynb"}
    title: 一
    parameters: {{n: 2}}
data:
  - path: input.csv
    source: test
""",
        encoding="utf-8",
    )
    first = build_report(spec, out=tmp_path / "a")
    second = build_report(spec, out=tmp_path / "b")
    assert [s.reused_from_cache for s in first.manifest.sections] == [False]
    assert [s.reused_from_cache for s in second.manifest.sections] == [True]
    assert second.manifest.sections[0].run_key == first.manifest.sections[0].run_key
    assert second.results["only"].to_dict() == first.results["only"].to_dict()
    data.write_text("a\n2\n", encoding="utf-8")  # same name, new content: a new key, executed again
    third = build_report(spec, out=tmp_path / "c")
    assert third.manifest.sections[0].run_key != first.manifest.sections[0].run_key
    assert [s.reused_from_cache for s in third.manifest.sections] == [False]
    no_cache = build_report(spec, out=tmp_path / "d", cache=False)
    assert [s.reused_from_cache for s in no_cache.manifest.sections] == [False]


@pytest.mark.e2e
def test_an_early_sys_exit_stops_the_build_and_no_report_is_written(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(NotebookError) as info:
        build_report(_spec(tmp_path, "sysexit0.ipynb"), out=out)
    assert info.value.cell == 3 and info.value.ename == "SystemExit"
    assert not (out / "report.html").exists() and not (out / "manifest.json").exists()


def test_a_notebook_error_survives_pickling_with_its_fields():
    """Errors travel back from worker processes (process pool, Dask) pickled; keyword-only fields used to break that."""
    import pickle

    from reportkit.errors import NotebookError

    err = NotebookError(notebook="notebooks/x.ipynb", cell=3, ename="ValueError", evalue="bad [/x]",
                        saved="build/runs/x.failed.ipynb", source="load()")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, NotebookError) and str(back) == str(err)
    assert (back.cell, back.ename, back.evalue, back.saved, back.source) == (3, "ValueError", "bad [/x]",
                                                                            "build/runs/x.failed.ipynb", "load()")
