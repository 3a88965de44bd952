"""Issue 18 (3): an edit to a narrative cell reuses the cached run; the report shows the new text.

The run key hashes code and the cell structure, not markdown text; the build key hashes the
narrative, so a prose edit re-renders without re-executing, and a code edit still re-executes.
"""

from __future__ import annotations

import dataclasses
import shutil

import nbformat
import pytest

from reportkit.cache import RunCache
from reportkit.provenance import notebook_code_hash, notebook_narrative_hash
from reportkit.section_run import overlay_narrative, run_section


def _copy(fixture_notebook, tmp_path):
    path = tmp_path / "narrative.ipynb"
    shutil.copy(fixture_notebook("narrative"), path)
    return path


def _edit(path, index, source, tags=None):
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = source
    if tags is not None:
        nb.cells[index].metadata["tags"] = tags
    nbformat.write(nb, path)
    return nb


def test_markdown_text_is_not_in_the_run_key_but_code_and_structure_are(fixture_notebook, tmp_path):
    path = _copy(fixture_notebook, tmp_path)
    before = nbformat.read(path, as_version=4)
    code, narrative = notebook_code_hash(before), notebook_narrative_hash(before)
    after = _edit(path, 4, "2024 年网上零售额为 {{ level_latest }}。")
    assert notebook_code_hash(after) == code
    assert notebook_narrative_hash(after) != narrative
    retagged = _edit(path, 5, after.cells[5].source, tags=["report-en"])
    assert notebook_code_hash(retagged) == code and notebook_narrative_hash(retagged) != notebook_narrative_hash(after)
    coded = _edit(path, 3, 'rk.record("level_latest", level * 2, unit="亿元", decimals=0, label="网上零售额")')
    assert notebook_code_hash(coded) != code
    added = nbformat.read(path, as_version=4)
    added.cells.append(nbformat.v4.new_markdown_cell("one more"))
    assert notebook_code_hash(added) != notebook_code_hash(coded)  # the structure changed


def test_build_key_follows_the_narrative():
    from pathlib import Path

    from reportkit.build import build_key
    from reportkit.plan import make_plan
    from reportkit.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "reports" / "china-ecommerce-2024.yaml")
    plan = make_plan(spec)
    edited = dataclasses.replace(plan, runs=(dataclasses.replace(plan.runs[0], narrative="edited"), *plan.runs[1:]))
    assert build_key(edited, templates="t") != build_key(plan, templates="t")
    assert all(r.narrative for r in plan.runs)


@pytest.mark.e2e
def test_prose_edit_reuses_the_cached_run_with_the_new_text(fixture_notebook, tmp_path):
    path = _copy(fixture_notebook, tmp_path)
    cache = RunCache(tmp_path / "cache")

    def run(name):
        key = notebook_code_hash(nbformat.read(path, as_version=4))[:16]
        return run_section(path, tmp_path / f"{name}.ipynb", {"level": 150000.0}, cwd=tmp_path, section="s",
                           run_key=key, cache=cache)

    first = run("first")
    assert not first.reused
    _edit(path, 4, "新的一句：网上零售额 {{ level_latest }}。")
    second = run("second")
    assert second.reused  # not executed again
    texts = [r.text for r in second.results.records if getattr(r, "markdown", False)]
    assert "新的一句：网上零售额 {{ level_latest }}。" in texts
    assert "2024 年网上零售额达到" not in "".join(texts)
    # the executed notebook written for the build carries the new text, and the outputs of the run
    written = nbformat.read(tmp_path / "second.ipynb", as_version=4)
    assert any("新的一句" in c.source for c in written.cells if c.cell_type == "markdown")
    assert [r.name for r in second.results.records if not getattr(r, "markdown", False)] == [
        r.name for r in first.results.records if not getattr(r, "markdown", False)]
    # a code edit changes the key: executed again
    _edit(path, 3, 'rk.record("level_latest", level * 2, unit="亿元", decimals=0, label="网上零售额")')
    assert not run("third").reused


def test_overlay_refuses_cells_that_do_not_line_up(fixture_notebook):
    source = nbformat.read(fixture_notebook("narrative"), as_version=4)
    executed = nbformat.read(fixture_notebook("narrative"), as_version=4)
    executed.cells.append(nbformat.v4.new_code_cell("x = 1"))
    assert overlay_narrative(executed, source) is None
    same = nbformat.read(fixture_notebook("narrative"), as_version=4)
    assert overlay_narrative(same, source) is False


def test_the_empty_tag_lists_papermill_adds_are_no_narrative_change(fixture_notebook):
    """papermill gives every cell of the executed notebook a ``tags`` list, empty where the source
    has none: that is not an edit, so a reused run is not rewritten."""
    source = nbformat.read(fixture_notebook("narrative"), as_version=4)
    assert any(c.cell_type == "markdown" and "tags" not in c.metadata for c in source.cells)
    executed = nbformat.read(fixture_notebook("narrative"), as_version=4)
    for cell in executed.cells:
        cell.metadata.setdefault("tags", [])
    assert overlay_narrative(executed, source) is False


@pytest.mark.e2e
def test_a_run_reused_without_edits_is_copied_as_it_was_recorded(fixture_notebook, tmp_path):
    path = _copy(fixture_notebook, tmp_path)
    cache = RunCache(tmp_path / "cache")
    key = notebook_code_hash(nbformat.read(path, as_version=4))[:16]

    def run(name):
        return run_section(path, tmp_path / f"{name}.ipynb", {"level": 150000.0}, cwd=tmp_path, section="s",
                           run_key=key, cache=cache)

    assert not run("first").reused
    again = run("again")
    assert again.reused
    assert (tmp_path / "again.ipynb").read_bytes() == (tmp_path / "first.ipynb").read_bytes()
