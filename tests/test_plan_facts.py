"""What planning reads from files is read once per process while a file is unchanged
(reportkit.plan notebook_facts/content_hash, provenance.package_source_hash), and read again as
soon as it changes; the environment lock lists what importlib.metadata lists."""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from reportkit import provenance
from reportkit.plan import content_hash, make_plan, notebook_facts
from reportkit.spec import load_spec


def _project(tmp_path: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell("path: str = 'data.csv'  # input", metadata={"tags": ["parameters"]}),
                             new_code_cell("x = 1"), new_markdown_cell("说明")])
    nb.metadata["kernelspec"] = {"name": "reportkit", "display_name": "Python (reportkit)", "language": "python"}
    nbformat.write(nb, tmp_path / "a.ipynb")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    spec = tmp_path / "r.yaml"
    spec.write_text("id: facts\ntitle: 事实\noutputs: [html]\nsections:\n  - id: a\n    notebook: a.ipynb\n"
                    "    title: 甲\n", encoding="utf-8")
    return spec


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_an_edited_notebook_or_data_file_changes_the_run_key_in_the_same_process(tmp_path):
    spec_path = _project(tmp_path)
    first = make_plan(load_spec(spec_path)).runs[0]
    assert make_plan(load_spec(spec_path)).runs[0].run_key == first.run_key  # unchanged: same key
    assert first.inputs == {"data.csv": content_hash(tmp_path / "data.csv")}

    nb = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    nb.cells[1].source = "x = 2"  # same size: only the content and the modification time differ
    nbformat.write(nb, tmp_path / "a.ipynb")
    _touch_later(tmp_path / "a.ipynb")
    edited = make_plan(load_spec(spec_path)).runs[0]
    assert edited.run_key != first.run_key

    (tmp_path / "data.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    _touch_later(tmp_path / "data.csv")
    changed = make_plan(load_spec(spec_path)).runs[0]
    assert changed.inputs["data.csv"] != first.inputs["data.csv"]
    assert changed.run_key != edited.run_key


def test_notebook_facts_are_those_read_from_the_file(tmp_path):
    _project(tmp_path)
    declared, code, narrative = notebook_facts(tmp_path / "a.ipynb")
    nb = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    assert [p.name for p in declared.parameters] == ["path"]
    assert code == provenance.notebook_code_hash(nb)
    assert narrative == provenance.notebook_narrative_hash(nb)


def test_the_source_hash_follows_an_edit_of_reportkit(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "provenance.py").write_text("a = 1\n", encoding="utf-8")
    monkeypatch.setattr(provenance, "__file__", str(package / "provenance.py"))
    before = provenance.package_source_hash()
    (package / "provenance.py").write_text("a = 2\n", encoding="utf-8")
    _touch_later(package / "provenance.py")
    after = provenance.package_source_hash()
    (package / "new.py").write_text("", encoding="utf-8")
    assert len({before, after, provenance.package_source_hash()}) == 3


def test_the_source_hash_follows_an_edit_of_the_message_catalogue(tmp_path, monkeypatch):
    """The sentences a run writes come from reportkit's catalogue (catalogue/*.yaml, read inside the
    kernel): an edit there must change every run key, as an edit of the code does, or a cached run
    keeps the old wording."""
    package = tmp_path / "pkg"
    (package / "catalogue" / "variants").mkdir(parents=True)
    (package / "provenance.py").write_text("a = 1\n", encoding="utf-8")
    (package / "catalogue" / "en.yaml").write_text("market:\n  latest: In {period}, {name} was {level}.\n",
                                                    encoding="utf-8")
    monkeypatch.setattr(provenance, "__file__", str(package / "provenance.py"))
    before = provenance.package_source_hash()
    (package / "catalogue" / "en.yaml").write_text("market:\n  latest: '{name} stood at {level} in {period}.'\n",
                                                    encoding="utf-8")
    _touch_later(package / "catalogue" / "en.yaml")
    after = provenance.package_source_hash()
    (package / "catalogue" / "variants" / "zh-HK.yaml").write_text("{}\n", encoding="utf-8")
    assert len({before, after, provenance.package_source_hash()}) == 3


def test_the_environment_lock_lists_every_distribution_importlib_metadata_finds():
    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    expected = {f"{canonical(d.metadata['Name'] or '')}=={d.version}" for d in metadata.distributions()}
    assert provenance._installed_pins() == expected


def test_a_worker_with_another_environment_refuses_to_run_and_names_the_difference(tmp_path):
    from reportkit.batch.tasks import build_row, execute_run
    from reportkit.errors import ReportKitError
    from reportkit.plan import check_environment, run_environment

    planned = run_environment()
    check_environment(planned, "here")  # the same process: nothing differs
    planned["pandas"] = "0.1"
    with pytest.raises(ReportKitError, match=r"pandas: planned 0\.1, here \d") as exc:
        check_environment(planned, "worker w1")
    assert "worker w1" in str(exc.value) and "one image for all" in str(exc.value)
    # a task refuses before anything runs (the notebook does not even exist)
    res = execute_run(str(tmp_path / "missing.ipynb"), str(tmp_path / "out.ipynb"), {}, str(tmp_path),
                      str(tmp_path / "cache"), "k", 1, environment=planned)
    assert not res.ok and "pandas: planned 0.1" in res.message and not (tmp_path / "out.ipynb").exists()
    res = build_row(None, str(tmp_path / "row"), "zh", "default", str(tmp_path / "cache"), environment=planned)
    assert not res.ok and "pandas: planned 0.1" in res.message
