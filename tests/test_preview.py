"""rk.preview(): the current section rendered from what the kernel recorded, nothing re-run."""
from __future__ import annotations

import pytest

import reportkit as rk
from reportkit.errors import RenderError
from reportkit.record import clear_session
from reportkit.section_preview import preview_html

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_session():
    clear_session()
    yield
    clear_session()


def test_nothing_recorded_is_a_clear_error():
    with pytest.raises(RenderError, match="recorded nothing yet"):
        preview_html()


def test_the_preview_shows_the_chapter_with_the_reports_formatting(tmp_path):
    import pandas as pd

    rk.record("cagr", 0.0791, unit="%", label="2019–2024 年均增速", decimals=1)
    rk.record("growth", pd.DataFrame({"年份": [2023, 2024], "增速": [8.4, 7.2]}), caption="网上零售额增速", decimals=1)
    rk.record("cagr", 0.0792, unit="%", label="2019–2024 年均增速", decimals=1)  # re-running a cell replaces it
    page = preview_html(title="市场趋势")
    assert page.count('<section class="chapter"') == 1 and "市场趋势" in page
    assert "网上零售额增速" in page and "<style" in page
    assert "cover" not in page.split("<body>")[1][:200]  # the chapter only, no cover page
    assert page.count("2019–2024 年均增速") == 1


def test_the_notebooks_report_markdown_comes_with_it(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    md = nbformat.v4.new_markdown_cell("增速为 {{ cagr | pct }}，高于同期社零。")
    md.metadata["tags"] = ["report"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 不进报告的标题"), md]
    path = tmp_path / "section.ipynb"
    nbformat.write(nb, path)
    rk.record("cagr", 7.9, unit="%", label="年均增速", decimals=1)
    page = preview_html(notebook=path)
    assert "增速为 7.9%" in page and "不进报告的标题" not in page


def test_preview_returns_an_isolated_frame():
    rk.record("n", 3, label="个数", decimals=0)
    shown = rk.preview(title="T")
    assert '<iframe srcdoc="' in shown.data and 'sandbox=""' in shown.data


def test_the_preview_renders_with_a_real_build_info():
    from reportkit.manifest import BuildInfo
    from reportkit.section_preview import preview_build_info, section_results

    rk.record("n", 3, label="个数", decimals=0)
    info = preview_build_info(section_results())
    assert isinstance(info, BuildInfo) and info.sections["preview"].notebook == "(this kernel)"
    assert info.sections["preview"].run_key == "" and info.data == () and info.reportkit_version == rk.__version__
