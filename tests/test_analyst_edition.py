"""The analyst edition shows notebook source (narrative placeholders included) without tripping the
leftover check, and braces from data never count as template leftovers, in either edition."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from reportkit.manifest import BuildInfo, SectionInfo
from reportkit.record import Figure, Metric, SectionResults, Table, Text
from reportkit.render import check_html, render_html
from reportkit.render.font_checks import visible_text
from reportkit.render.result_checks import check_results
from reportkit.spec import ReportSpec

ROOT = Path(__file__).resolve().parents[1]
BRAND = "{{Brand}}"
SVG = '<svg viewBox="0 0 10 10"><style>*{stroke:#000}</style><path d="M0 0L10 10"/><text x="1" y="5">{{Brand}} {%x%}</text></svg>'
NARRATIVE = "网上零售额为 {{ level_latest | yuan }}，同比增长 {{ yoy | pct }}。"
BUILD_INFO = BuildInfo(
    generated="2025-01-01T00:00:00+00:00", commit="0" * 40, reportkit_version="0.1.0", spec_path="reports/t.yaml",
    sections={"market": SectionInfo("notebooks/market.ipynb", {"brand": BRAND}, "0123456789abcdef")},
    data=(), environment={"python": "3.11"},
)


def spec(**changes) -> ReportSpec:
    data = {"id": "t", "title": {"zh": "测试报告 {{Brand}}", "en": "Test report {{Brand}}"},
            "client": {"zh": "客户 {{Brand}}", "en": "Client {{Brand}}"},
            "sections": [{"id": "market", "notebook": "notebooks/market.ipynb",
                          "title": {"zh": "市场 {%Brand%}", "en": "Market {%Brand%}"}}],
            "summary": ["market.level_latest"]}
    data.update(changes)
    return ReportSpec.model_validate(data)


def results() -> dict[str, SectionResults]:
    return {"market": SectionResults("market", "notebooks/market.ipynb", {"brand": BRAND}, (
        Text("summary", f"品牌 {BRAND} 的销售额。"),
        Metric("level_latest", 155225, unit="亿元", label=f"{BRAND} 销售额", note="{% 注 %}"),
        Metric("yoy", 7.2, unit="%", label="同比增长", decimals=1),
        Text("md_2", NARRATIVE, markdown=True, cell=2, lang="zh"),
        Text("md_3", "Sales were {{ level_latest | yuan }}.", markdown=True, cell=3, lang="en"),
        Table("brands", ("品牌", "销售额"), ((BRAND, 1.5), ("{%raw%}", 2.5), ("a }} b", 3.0)),
              caption=f"{BRAND} 与其他品牌", note="{{ 注 }}"),
        Figure("chart", SVG, caption=f"{BRAND} 趋势"),
    ))}


def notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# 市场", metadata={"tags": []}),
        new_markdown_cell(NARRATIVE, metadata={"tags": ["report-zh"]}),
        new_markdown_cell("Sales were {{ level_latest | yuan }}.", metadata={"tags": ["report-en"]}),
        new_markdown_cell("草稿 {{ draft }}", metadata={"tags": ["draft"]}),
        new_code_cell('label = f"{{{{Brand}}}} {brand}"\nrk.record("level_latest", 155225)', execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="{{Brand}} {% x %}\n")]),
    ])


def test_analyst_edition_shows_narrative_cells_as_source_and_passes_the_checks():
    html = render_html(spec(), results(), lang="zh", build_info=BUILD_INFO, edition="analyst",
                       notebooks={"market": notebook()})
    check_html(html)
    appendix = html[html.index('id="appendix-notebooks"'):]
    shown = " ".join(text for _, _, text in visible_text(appendix))
    assert NARRATIVE in shown  # the analyst's source, as written
    assert "Sales were {{ level_latest | yuan }}." in shown  # the other language's cell too
    assert 'class="nb-narrative"' in appendix and "报告正文（源文本）" in appendix
    assert "<pre><code>" in appendix  # source, not output
    chapter = html[html.index('id="section-market"'):html.index('id="appendix-notebooks"')]
    assert "155,225 亿元" in chapter and "7.2%" in chapter and "level_latest" not in chapter


def test_braces_from_data_pass_in_both_editions_and_are_shown():
    assert check_results(results(), {"market": notebook()}) == []
    for edition in ("client", "analyst"):
        html = render_html(spec(), results(), lang="zh", build_info=BUILD_INFO, edition=edition,
                           notebooks={"market": notebook()})
        check_html(html)  # no "template leftover"
        shown = " ".join(text for _, _, text in visible_text(html))
        for text in (f"{BRAND} 销售额", f"{BRAND} 与其他品牌", "{%raw%}", "a }} b", "客户 {{Brand}}",
                     "测试报告 {{Brand}}", "市场 {%Brand%}", f"品牌 {BRAND} 的销售额", "{% 注 %}"):
            assert text in shown, (edition, text)
        assert "{{Brand}} {%x%}" in shown  # the figure's label


def test_a_leftover_of_the_templates_is_still_caught():
    """check_html still stops a literal leftover: only data has its braces encoded."""
    html = render_html(spec(), results(), lang="zh", build_info=BUILD_INFO)
    broken = html.replace("</main>", "{{ t.missing }}</main>", 1) if "</main>" in html else html + "{% endblock %}"
    with pytest.raises(Exception, match="template leftover"):
        check_html(broken)


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_the_demo_builds_in_both_editions(tmp_path, demo_runs):
    from reportkit.build import build_report

    spec_path = ROOT / "reports" / "china-ecommerce-2024.yaml"
    analyst = build_report(spec_path, out=tmp_path / "analyst", edition="analyst", cache_dir=demo_runs)
    client = build_report(spec_path, out=tmp_path / "client", cache_dir=demo_runs)  # runs reused
    a_html = analyst.outputs["html"].read_text(encoding="utf-8")
    c_html = client.outputs["html"].read_text(encoding="utf-8")
    assert "appendix-notebooks" in a_html and "appendix-notebooks" not in c_html
    assert "{{ level_latest }}" in " ".join(t for _, _, t in visible_text(a_html))  # the narrative's source
    assert "level_latest" not in c_html and "{{" not in c_html
    assert analyst.outputs["pdf"].stat().st_size > 0 and client.outputs["pdf"].stat().st_size > 0


@pytest.mark.e2e
def test_a_scaffolded_report_builds_in_both_editions(tmp_path):
    from reportkit.build import build_report
    from reportkit.scaffold import new_report, new_section

    panel = ROOT / "data" / "simulated" / "brand_week_panel.csv"
    spec_path = new_report("acme-2025", reports_dir=tmp_path / "reports", title_zh="测试报告",
                           title_en="Test report", data_path=str(panel))
    new_section("channel_mix", spec=spec_path, notebooks_dir=tmp_path / "notebooks",
                title_zh="渠道结构分析", title_en="Channel mix", data_path=str(panel))
    for edition in ("analyst", "client"):
        built = build_report(spec_path, out=tmp_path / edition, edition=edition, cache_dir=tmp_path / "cache")
        html = built.outputs["html"].read_text(encoding="utf-8")
        assert ("appendix-notebooks" in html) == (edition == "analyst")
        assert built.outputs["pdf"].stat().st_size > 0
