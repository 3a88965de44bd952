"""Checks before publishing: executed notebooks, recorded results and the fonts' glyphs."""
from __future__ import annotations

import dataclasses
import math
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from reportkit.errors import RenderError
from reportkit.record import Figure, Metric, SectionResults, Table, Text, make_record
from reportkit.render.font_checks import check_glyphs
from reportkit.render.problems import Problem, raise_if_problems
from reportkit.render.result_checks import check_results

SVG_OK = '<svg viewBox="0 0 10 10"><g><path d="M0 0L10 10"/></g></svg>'
SVG_EMPTY = '<svg viewBox="0 0 10 10"><defs><path id="a" d="M0 0"/></defs></svg>'


def section(name: str, *records) -> SectionResults:
    return SectionResults(name, f"notebooks/{name}.ipynb", {}, tuple(records))


def growth(**meta) -> Table:
    return Table("growth_table", ("year", "yoy"), ((2014, math.nan), (2015, 39.0), (2016, None)), **meta)


def kinds(problems):
    return [(p.section, p.where, p.kind) for p in problems]


# --------------------------------------------------------------------------- tables and metrics


def test_a_planted_nan_in_a_table_fails_naming_table_row_and_column():
    problems = check_results({"market": section("market", growth(caption="增长"))}, {})
    assert kinds(problems) == [("market", "table 'growth_table'", "missing value")]
    detail = problems[0].detail
    assert "column 'yoy': row 1 (2014) is NaN; row 3 (2016) is None" in detail
    assert "missing='—'" in detail


def test_declared_missing_values_pass_when_the_note_says_why():
    ok = growth(missing="—", note="2014 年无上年可比数据。")
    assert check_results({"market": section("market", ok)}, {}) == []
    no_reason = growth(missing="—")
    assert kinds(check_results({"market": section("market", no_reason)}, {})) == [
        ("market", "table 'growth_table'", "missing value")]
    bad_marker = growth(missing="nan", note="why")
    assert "cannot show a missing value" in check_results({"m": section("m", bad_marker)}, {})[0].detail


def test_missing_is_recorded_from_a_frame_and_refused_when_invisible():
    import pandas as pd

    frame = pd.DataFrame({"year": [2014, 2015], "yoy": [None, 39.0]})
    table = make_record("g", frame, missing="—", note="2014 年无上年数据")
    assert table.missing == "—" and table.rows[0] == (2014, None)
    from reportkit.errors import RecordError

    for marker in ("", "  ", "nan", "None", 0):
        with pytest.raises(RecordError, match="cannot show a missing value"):
            make_record("g", frame, missing=marker)


def test_strings_that_mean_missing_count_as_missing_but_a_dash_does_not():
    table = Table("reg", ("", "(1)"), (("R²", "—"), ("N", "nan")), style="regression")
    problems = check_results({"engagement": section("engagement", table)}, {})
    assert len(problems) == 1 and "column '(1)': row 2 (N) is 'nan'" in problems[0].detail


@pytest.mark.parametrize("value", [None, math.nan, math.inf, "nan"])
def test_a_missing_metric_value_fails(value):
    problems = check_results({"market": section("market", Metric("cagr", value, unit="%"))}, {})
    assert kinds(problems) == [("market", "metric 'cagr'", "missing value")]


def test_an_empty_figure_fails_and_a_drawn_one_passes():
    res = section("market", Figure("trend", SVG_EMPTY, caption="c"), Figure("ok", SVG_OK, caption="c"),
                  Figure("blank", "", caption="c"))
    assert kinds(check_results({"market": res}, {})) == [
        ("market", "figure 'trend'", "empty figure"), ("market", "figure 'blank'", "empty figure")]


def test_unfilled_placeholders_fail_in_markdown_and_where_they_name_a_metric():
    """Our placeholder syntax naming a recorded metric, written where nothing fills it, is an
    unfilled placeholder; other braces in recorded texts are data."""
    res = section(
        "market",
        Metric("cagr", 18.6, unit="%", label="{{ cagr | pct }} 年复合增长率"),
        Text("summary", "网上零售额达到 {{ market.cagr }}。"),
        Table("t", ("a",), ((1,),), caption="表 {{cagr}}"),
        Text("md_4", "增长 {{ cagr | pct }}，规模 {{ nope }}", markdown=True, cell=4),
    )
    problems = check_results({"market": res}, {})
    assert kinds(problems) == [
        ("market", "metric 'cagr'", "unfilled placeholder"),
        ("market", "text 'summary'", "unfilled placeholder"),
        ("market", "table 't'", "unfilled placeholder"),
        ("market", "cell 4, line 1", "placeholder"),
    ]
    assert "label: '{{ cagr | pct }} 年复合增长率'" in problems[0].detail
    assert "only in markdown cells tagged report" in problems[0].detail
    assert "unknown placeholder {{ nope }}" in problems[3].detail


def test_braces_in_recorded_data_are_not_placeholders():
    """A brand called "{{Brand}}" (or "{% raw %}", or {{ year }} where no metric is called year)
    in a table cell, column, label, caption, note or text is data and passes."""
    res = section(
        "market",
        Metric("cagr", 18.6, unit="%", label="{{Brand}} 年复合增长率", note="{% 注 %}"),
        Text("summary", "品牌 {{Brand}} 与 {{ year }} 年。"),
        Table("t", ("品牌 {{x}}", "销售额"), (("{{Brand}}", 1.0), ("{%raw%}", 2.0)), caption="{{Brand}} 销售额 }}",
              note="{{ level }}"),
        Figure("f", SVG_OK, caption="{{Brand}}"),
    )
    assert check_results({"market": res}, {}) == []


# --------------------------------------------------------------------------- executed notebooks


def notebook(*cells) -> nbformat.NotebookNode:
    return new_notebook(cells=list(cells))


def test_a_traceback_in_a_cell_fails_naming_the_cell_as_the_analyst_numbers_it():
    nb = notebook(
        new_markdown_cell("# title"),
        new_code_cell("x: int = 1", metadata={"tags": ["parameters"]}),
        new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
        new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                 traceback=["Traceback …"])]),
        new_code_cell("print('ok')", outputs=[new_output("stream", name="stdout", text="ok\n")]),
    )
    problems = check_results({}, {"market": nb})
    assert [str(p) for p in problems] == ["section 'market', cell 3: traceback: ZeroDivisionError: division by zero"]


def test_tracebacks_and_warnings_printed_by_an_executed_notebook_fail(fixture_notebook, tmp_path):
    from reportkit.execute import execute_notebook
    from reportkit.record import read_results

    executed = execute_notebook(fixture_notebook("noisy"), tmp_path / "noisy.ipynb", {"n": 2}, cwd=tmp_path)
    res = read_results(executed.nb, section="noisy", notebook="noisy.ipynb", parameters={"n": 2})
    problems = check_results({"noisy": res}, {"noisy": executed.nb})
    assert kinds(problems) == [
        ("noisy", "cell 3", "traceback"),
        ("noisy", "cell 4", "warning"),
        ("noisy", "cell 5", "warning"),
        ("noisy", "table 'table' (cell 6)", "missing value"),
    ]
    assert problems[0].detail.startswith("printed to stderr: Traceback (most recent call last):")
    assert problems[0].detail.endswith("ZeroDivisionError: division by zero")
    assert problems[1].detail == "printed to stderr: UserWarning: the sample is small"
    assert problems[2].detail == "printed: Warning: 3 rows dropped"
    assert "column 'yoy': row 1 (2023) is None" in problems[3].detail


def test_plain_stderr_output_fails_too():
    nb = notebook(new_code_cell("…", outputs=[new_output("stream", name="stderr", text="\nsomething odd\nmore\n")]))
    assert [str(p) for p in check_results({}, {"s": nb})] == ["section 's', cell 1: stderr: printed to stderr: something odd"]


# --------------------------------------------------------------------------- one error for all


def test_every_problem_is_listed_at_once_in_one_render_error_with_its_section():
    nb = notebook(new_code_cell("1/0", outputs=[new_output("error", ename="KeyError", evalue="'year'", traceback=[])]))
    results = {
        "market": section("market", growth(), Figure("trend", SVG_EMPTY)),
        "engagement": section("engagement", Metric("uplift", None), Text("md_2", "{{ nope }}", markdown=True, cell=2)),
    }
    problems = check_results(results, {"engagement": nb}) + check_glyphs("独角兽 🦄")
    with pytest.raises(RenderError) as info:
        raise_if_problems(problems)
    text = str(info.value)
    assert text.startswith("the report cannot be published: 6 problem(s) must be fixed first:")
    for line in ("section 'market', table 'growth_table': missing value: column 'yoy'",
                 "section 'market', figure 'trend': empty figure",
                 "section 'engagement', cell 1: traceback: KeyError: 'year'",
                 "section 'engagement', metric 'uplift': missing value",
                 "section 'engagement', cell 2, line 1: placeholder: unknown placeholder {{ nope }}",
                 "report, text: missing glyph: U+1F984 UNICORN FACE '🦄'"):
        assert f"\n  - {line}" in text, line
    assert info.value.problems == tuple(problems)
    raise_if_problems([])  # nothing to say: no error


def test_problems_are_small_frozen_values():
    p = Problem("market", "cell 7", "traceback", "ValueError: x")
    assert str(p) == "section 'market', cell 7: traceback: ValueError: x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.kind = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------- glyphs


def test_text_the_fonts_can_draw_passes():
    assert check_glyphs("全国网上零售额 155,225 亿元，同比增长 7.2%（−0.4 个百分点）— 2014–2024 年 · α ≤ 0.05 ±") == []


@pytest.mark.parametrize(("char", "code"), [("🦄", "U+1F984"), ("\U0010FFFD", "U+10FFFD"), ("\u0378", "U+0378")])
def test_a_missing_glyph_fails_with_its_code_point(char, code):
    problems = check_glyphs(f"<p>品牌 {char} 的增长</p>")
    assert len(problems) == 1 and problems[0].kind == "missing glyph"
    assert problems[0].detail.startswith(code) and "品牌" in problems[0].detail


def test_glyphs_are_read_from_visible_text_entities_and_svg_text_only():
    html = ('<html><head><style>.x::after { content: "🦄" }</style><script>var u = "🦄";</script></head>'
            '<body><section class="chapter" id="section-market"><p id="p1">独角兽 &#x1F984; 与 &#x1F984;</p>'
            '<svg><text x="1" y="2">图 \U0001F600</text></svg></section>'
            '<section id="appendix"><p>附录 \u2603\ufe0f\u200b\u00ad ok</p></section></body></html>')
    problems = check_glyphs(html)
    assert [(p.section, p.where) for p in problems] == [("market", "near #p1"), ("market", "near #p1")]
    assert problems[0].detail.startswith("U+1F984 UNICORN FACE '🦄' (2×) cannot be drawn")
    assert problems[1].detail.startswith("U+1F600 GRINNING FACE")


def test_an_uninstalled_font_is_a_problem_not_a_silent_fallback():
    problems = check_glyphs("abc", fonts=["No Such Font Family XYZ"])
    assert [p.kind for p in problems] == ["missing font"]
    assert "fontconfig has no 'No Such Font Family XYZ'" in problems[0].detail


def test_fonts_can_be_given_as_files(tmp_path):
    import subprocess

    path = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True).stdout
    assert check_glyphs("中文", fonts=[path]) == []
    assert [p.kind for p in check_glyphs("🦄", fonts=[path])] == ["missing glyph"]


def test_font_coverage_is_loaded_once_per_process():
    check_glyphs("预热")
    started = time.perf_counter()
    check_glyphs("<p>" + "全国网上零售额 155,225 亿元。" * 2000 + "</p>")
    assert time.perf_counter() - started < 0.5
