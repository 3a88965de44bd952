"""rk.preview(): the current section rendered from what the kernel recorded, nothing re-run; laid out
by the build's own code (read_results → render_html), only the current run's records, the
section's title and appendix material, links that stay in the preview (issue 21; the browser test is
tests/test_preview_jupyterlab.py)."""
from __future__ import annotations

import re
import sys
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

import reportkit as rk
from reportkit.errors import RenderError
from reportkit.record import MIME_TYPE, clear_session, read_results, record_to_dict, session_origins, session_records
from reportkit.render.html import render_html
from reportkit.section_preview import (
    arrange,
    collect,
    preview_build_info,
    preview_html,
    render_preview,
    run_start,
    section_results,
)
from reportkit.spec import load_spec

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

PARAMETERS = 'metric: str = "add_to_cart"  # conversion column\nn_lags: int = 2  # lags\n'


@pytest.fixture(autouse=True)
def _fresh_session():
    clear_session()
    rk.use_language("zh")
    yield
    clear_session()


class Kernel:
    """A stand-in for the notebook's kernel: runs "cells" (Python callables that call rk.record) under
    execution counts, and keeps the sources by count as IPython's history does."""

    def __init__(self, monkeypatch) -> None:
        self.shell = SimpleNamespace(execution_count=1)
        self.history = [""]
        monkeypatch.setattr(sys.modules["reportkit.record"], "_shell", lambda: self.shell)  # rk.record: the function
        monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)

    def run(self, source: str, cell=None) -> int:
        n = len(self.history)
        self.shell.execution_count = n
        self.history.append(source)
        if cell is not None:
            cell()
        return n


def _md(text: str, tag: str = "report") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [tag]
    return cell


def _parameters_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    return cell


def _table(rows: int = 2) -> pd.DataFrame:
    return pd.DataFrame({"年份": list(range(2023, 2023 + rows)), "增速": [8.4, 7.2, 6.1][:rows]})


#: the cells of a small section notebook: (source, what running it records)
CELLS = {
    "levels": ('rk.record("growth", table, caption="网上零售额增速")',
               lambda: rk.record("growth", _table(), caption="网上零售额增速", decimals=1)),
    "metrics": ('rk.record("cagr", 7.9, ...)\nrk.record("n_years", 11, ...)',
                lambda: (rk.record("cagr", 7.9, unit="%", label="年均增速", decimals=1),
                         rk.record("n_years", 11, label="年数", decimals=0))),
    "text": ('rk.record("growth_text", "[[tab:growth]]显示增速逐年放缓。")',
             lambda: rk.record("growth_text", "[[tab:growth]]显示增速逐年放缓。")),
    "appendix": ('rk.record("methods", ...)\nrk.record("appendix_checks", ...)',
                 lambda: (rk.record("methods", "年均增速按首末年份计算。"),
                          rk.record("appendix_checks", _table(3), caption="数据检查", decimals=1))),
}


def _project(tmp_path, *, spec: bool = True):
    """A project (data/, reports/, notebooks/section.ipynb) whose notebook is: a heading, the
    parameters cell, the table cell, narrative about the table, the metrics cell, the text cell, more
    narrative, the appendix cell."""
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "reports").mkdir()
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 市场 · Market\n\nnot in the report"), _parameters_cell(),
                nbformat.v4.new_code_cell(CELLS["levels"][0]), _md("[[tab:growth]]列出各年增速，年均 {{ cagr }}。"),
                nbformat.v4.new_code_cell(CELLS["metrics"][0]), nbformat.v4.new_code_cell(CELLS["text"][0]),
                _md("English only.", tag="report-en"), _md("后续各章沿用同一口径。"),
                nbformat.v4.new_code_cell(CELLS["appendix"][0])]
    path = root / "notebooks" / "section.ipynb"
    nbformat.write(nb, path)
    if spec:
        (root / "reports" / "demo.yaml").write_text(
            "id: demo\ntitle: 演示\nlanguage: zh\noutputs: [html]\nsections:\n"
            "  - id: market\n    notebook: notebooks/section.ipynb\n    title: {zh: 市场规模与增长, en: Market size}\n",
            encoding="utf-8")
    return root, path


def _run_all(kernel: Kernel, order=("levels", "metrics", "text", "appendix"), parameters: str = PARAMETERS) -> None:
    kernel.run(parameters)
    for name in order:
        kernel.run(*CELLS[name])


def _executed(path, kernel: Kernel) -> dict:
    """The notebook as a build's papermill run leaves it: each code cell with the record outputs its
    run displayed (here: the session's records, by the cell that made them)."""
    nb = nbformat.read(path, as_version=4)
    origins = session_origins()
    for cell in nb.cells:
        if cell.cell_type == "code":
            made = [r for r in session_records() if kernel.history[origins[r.name][0]] == cell.source]
            made.sort(key=lambda r: origins[r.name][1])
            cell.outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: record_to_dict(r)}) for r in made]
    return nb


def _chapter(page: str, section: str) -> str:
    m = re.search(rf'<section class="chapter" id="section-{section}".*?</section>', page, flags=re.S)
    assert m, page[:500]
    return m.group(0)


# --------------------------------------------------------------------------- basics


def test_nothing_recorded_is_a_clear_error():
    with pytest.raises(RenderError, match="recorded nothing yet"):
        preview_html()


def test_the_preview_shows_the_chapter_with_the_reports_formatting(tmp_path):
    rk.record("cagr", 0.0791, unit="%", label="2019–2024 年均增速", decimals=1)
    rk.record("growth", pd.DataFrame({"年份": [2023, 2024], "增速": [8.4, 7.2]}), caption="网上零售额增速", decimals=1)
    rk.record("cagr", 0.0792, unit="%", label="2019–2024 年均增速", decimals=1)  # re-running a cell replaces it
    page = preview_html(title="市场趋势")
    assert page.count('<section class="chapter"') == 1 and "市场趋势" in page
    assert "网上零售额增速" in page and "<style" in page
    assert "cover" not in page.split("<body")[1][:200]  # the chapter only, no cover page
    assert page.count("2019–2024 年均增速") == 1


def test_the_notebooks_report_markdown_comes_with_it(tmp_path):
    nb = nbformat.v4.new_notebook()
    md = nbformat.v4.new_markdown_cell("增速为 {{ cagr | pct }}，高于同期社零。")
    md.metadata["tags"] = ["report"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 市场\n\n不进报告的说明"), md]
    path = tmp_path / "section.ipynb"
    nbformat.write(nb, path)
    rk.record("cagr", 7.9, unit="%", label="年均增速", decimals=1)
    page = preview_html(notebook=path)
    assert "增速为 7.9%" in page and "不进报告的说明" not in page


def test_a_notebook_that_is_not_there_is_named(tmp_path):
    rk.record("n", 3, label="个数", decimals=0)
    missing = tmp_path / "nope.ipynb"
    with pytest.raises(RenderError, match=rf"notebook='{re.escape(str(missing))}' is not a file; expected the path"):
        rk.preview(notebook=missing)


def test_the_preview_renders_with_a_real_build_info():
    from reportkit.manifest import BuildInfo

    rk.record("n", 3, label="个数", decimals=0)
    info = preview_build_info(section_results())
    assert isinstance(info, BuildInfo) and info.sections["preview"].notebook == "(this kernel)"
    assert info.sections["preview"].run_key == "" and info.data == () and info.reportkit_version == rk.__version__


def test_record_returns_nothing_so_a_cell_shows_no_out():
    """A cell ending in rk.record(...) shows the one-line summary it displays, no Out[] repr."""
    assert rk.record("n", 3, label="个数", decimals=0) is None
    assert [r.name for r in session_records()] == ["n"] and session_origins()["n"][0] == 0  # outside IPython: In [0]


# --------------------------------------------------------------------------- the build's layout


def test_the_preview_lays_out_the_chapter_exactly_as_the_build(tmp_path, monkeypatch):
    """Cells run out of order (the text cell first, then all), narrative between them: the chapter
    is the build's, byte for byte (same records read by read_results, same render_html)."""
    root, path = _project(tmp_path)
    kernel = Kernel(monkeypatch)
    kernel.run(*CELLS["text"])  # run early: first recorded, so it led the old preview
    _run_all(kernel)
    shown = render_preview(notebook=path, history=kernel.history)

    spec = load_spec(root / "reports" / "demo.yaml")
    built = render_html(spec, {"market": read_results(_executed(path, kernel), section="market", notebook=str(path),
                                                      parameters={})},
                        lang="zh", build_info=preview_build_info(shown.source.results))
    assert _chapter(shown.page, "market") == _chapter(built, "market")
    names = [r.name for r in shown.source.results.records]
    assert names == ["growth", "md_4", "cagr", "n_years", "growth_text", "md_7", "md_8", "methods", "appendix_checks"]
    chapter = _chapter(shown.page, "market")
    order = [chapter.index(s) for s in ("表 1", "列出各年增速", "年均增速", "显示增速逐年放缓", "后续各章沿用同一口径")]
    assert order == sorted(order)
    assert "English only." not in chapter  # report-en cell: not in the zh edition


def test_a_record_of_an_edited_unsaved_cell_follows_the_cell_run_before_it(tmp_path, monkeypatch):
    root, path = _project(tmp_path)
    kernel = Kernel(monkeypatch)
    kernel.run(PARAMETERS)
    kernel.run(*CELLS["levels"])
    kernel.run('rk.record("growth_text", "edited, not saved yet")', CELLS["text"][1])  # source differs from the file
    kernel.run(*CELLS["metrics"])
    names = [r.name for r in collect(notebook=path, history=kernel.history).results.records]
    # growth_text ran right after the table's cell: it comes after the table, before that cell's narrative
    assert names == ["growth", "growth_text", "md_4", "cagr", "n_years", "md_7", "md_8"]


def test_arrange_puts_records_of_no_saved_cell_in_an_unnumbered_leading_cell():
    rk.record("a", 1.0)
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"tags": ["report"]}, "source": "正文"}]}
    arranged = arrange(nb, session_records(), session_origins(), [])
    assert arranged["cells"][0]["metadata"]["tags"] == ["injected-parameters"]
    results = read_results(arranged, section="s", notebook="n", parameters={})
    assert [(r.name, getattr(r, "cell", None)) for r in results.records] == [("a", None), ("md_1", 1)]


# --------------------------------------------------------------------------- the current run


def test_records_made_before_the_parameters_cell_last_ran_are_left_out_and_named(tmp_path, monkeypatch):
    root, path = _project(tmp_path)
    kernel = Kernel(monkeypatch)
    _run_all(kernel)
    kernel.run('rk.record("true_total", 0.55)', lambda: rk.record("true_total", 0.55, label="模拟数据的真实长期弹性"))
    assert "模拟数据的真实长期弹性" in render_preview(notebook=path, history=kernel.history).page
    # the analyst changes a parameter (not saved) and runs all again; true_total's cell now records nothing
    second = PARAMETERS.replace('"add_to_cart"', '"orders"')
    _run_all(kernel, parameters=second)
    start = kernel.history.index(second)
    kernel.run("pass")
    shown = render_preview(notebook=path, history=kernel.history)
    assert shown.source.run_start == start and shown.source.left_out == ("true_total",)
    assert "模拟数据的真实长期弹性" not in shown.page
    note = "\n".join(shown.note)  # in the kernel's language, as the report is
    assert f"参数单元格上次运行（In [{start}]）以来" in note
    assert "未显示 1 条本次运行没有重新生成的较早记录：true_total。" in note
    assert "保存的版本；保存笔记本后即可看到修改。" in note
    assert repr(shown) == note and "未显示 1 条" in shown._repr_html_()
    english = "\n".join(render_preview(notebook=path, history=kernel.history, lang="en").note)
    assert f"since the parameters cell last ran (In [{start}])" in english
    assert "Left out 1 older record that this run did not make again: true_total." in english
    assert "Narrative as saved at" in english and "save the notebook to see your edits" in english
    assert "section 'market' of demo.yaml" in english


def test_nothing_recorded_since_the_parameters_cell_ran_says_so(tmp_path, monkeypatch):
    root, path = _project(tmp_path)
    kernel = Kernel(monkeypatch)
    _run_all(kernel)
    kernel.run(PARAMETERS)
    with pytest.raises(RenderError, match=r"nothing since the parameters cell last ran \(In \[6\]\)"):
        collect(notebook=path, history=kernel.history)


@pytest.mark.parametrize(("source", "names", "expected"), [
    (PARAMETERS, frozenset({"metric", "n_lags"}), True),
    ("n_lags = 3", frozenset({"metric", "n_lags"}), True),  # a cell that sets a parameter again starts a run
    ("x = 1\nn_lags = 3", frozenset({"metric", "n_lags"}), True),
    ("W = words(lang)", frozenset({"metric", "n_lags"}), False),  # no parameter
    ("n_lags = 3\nprint(n_lags)", frozenset({"metric", "n_lags"}), False),  # not only assignments
    ("%time n_lags = 3", frozenset({"metric", "n_lags"}), False),
    (PARAMETERS, frozenset(), True),  # no saved notebook: a cell of annotated assignments
    ("n_lags = 3", frozenset(), False),
])
def test_what_starts_a_run(source, names, expected):
    assert (run_start(["", "import x", source, "rk.record('a', 1)"], names) == 2) is expected


# --------------------------------------------------------------------------- the page and the frame


def test_the_heading_is_the_sections_title_and_the_appendix_is_a_panel(tmp_path, monkeypatch):
    root, path = _project(tmp_path)
    kernel = Kernel(monkeypatch)
    _run_all(kernel)
    shown = render_preview(notebook=path, history=kernel.history)
    chapter = _chapter(shown.page, "market")
    assert '<span class="chapter-name">市场规模与增长</span>' in chapter and "Preview" not in chapter
    assert shown.note[0] == "市场规模与增长（demo.yaml 的 'market' 节）的预览，版式与报告相同；图表在本章内编号。"
    panel = shown.page.split('<details class="rk-preview-more" id="rk-preview-more">', 1)[1]
    assert panel.startswith("<summary>研究方法 · 诊断与补充结果</summary>")
    assert 'id="appendix-methods"' in panel and "年均增速按首末年份计算。" in panel and "数据检查" in panel
    assert "数据检查" not in chapter and "年均增速按首末年份计算" not in chapter
    assert 'id="appendix-data"' not in shown.page  # the report's data sources and runs are not the section's


def test_without_a_spec_the_heading_is_the_notebooks_first_heading(tmp_path, monkeypatch):
    root, path = _project(tmp_path, spec=False)
    kernel = Kernel(monkeypatch)
    _run_all(kernel)
    shown = render_preview(notebook=path, history=kernel.history)
    assert '<span class="chapter-name">市场 · Market</span>' in shown.page
    assert render_preview(notebook=path, history=kernel.history, title="自定").page.count("自定") >= 1


def test_the_frame_runs_only_its_own_script_and_keeps_links_inside(tmp_path, monkeypatch):
    rk.record("n", 3, label="个数", decimals=0)
    shown = rk.preview(title="T")
    html = shown._repr_html_()
    assert 'sandbox="allow-scripts"' in html and "allow-same-origin" not in html  # no access to JupyterLab
    assert "height:640px" in html  # until the page reports its height
    assert shown.token and shown.token in shown.page and html.count(shown.token) >= 3
    # in the frame: #anchors scroll within the preview, nothing navigates the frame
    assert 'closest("a[href]")' in shown.page and "e.preventDefault()" in shown.page
    assert "scrollIntoView" in shown.page and "ResizeObserver" in shown.page
    # beside it: the frame takes the height its page reports, the notebook scrolls to a link's target
    assert 'frame.style.height = Math.max(m.height, 80) + "px"' in html and "marker.scrollIntoView" in html
    fixed = rk.preview(title="T", height=900)._repr_html_()
    assert "height:900px" in fixed and "if (false && typeof m.height" in fixed
    for bad in (0, 12.5, "900px", True):
        with pytest.raises(RenderError, match=rf"height={bad!r} is not a frame height; expected a whole number"):
            rk.preview(title="T", height=bad)
