"""Narrative with live numbers: placeholders in markdown cells, filled from recorded metrics."""
from __future__ import annotations

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from reportkit.errors import RenderError
from reportkit.record import Metric, SectionResults, Table, Text
from reportkit.render.problems import Problem
from reportkit.render.prose import check_placeholders, environment, find_placeholders, render_markdown
from reportkit.style.formatting import MINUS

EVIL = "<script>alert(1)</script>"


def results(**extra_market) -> dict[str, SectionResults]:
    market = (
        Metric("level_latest", 155225, unit="亿元", decimals=0, label="2024年网上零售额"),
        Metric("yoy_official_latest", 7.2, unit="%", decimals=1),
        Metric("cagr", 18.62, unit="%", decimals=1),
        Metric("share", 0.268),
        Metric("revenue", 1.55e10, unit="元"),
        Metric("buyers", 123456),
        Metric("delta", 1.2, unit="个百分点", decimals=1),
        Metric("drop", -0.4, unit="%", decimals=1),
        Metric("n", 12345.6),
        Metric("pi", 3.14159),
        Metric("model", "ETS"),
        Metric("gap", None, unit="%"),
        Table("growth", ("year", "yoy"), ((2024, 7.2),)),
        *extra_market.get("records", ()),
    )
    engagement = (
        Metric("elasticity_total", 0.5612, ci_low=0.4587, ci_high=0.6731, decimals=2),
        Metric("uplift", 12.5, unit="%", decimals=1, ci_low=8.25, ci_high=16.75),
    )
    return {
        "market": SectionResults("market", "notebooks/market_trends.ipynb", {}, market),
        "engagement": SectionResults("engagement", "notebooks/engagement_conversion.ipynb", {}, engagement),
    }


def md(text: str, *, section: str = "market", cell: int | None = 7, lang: str = "zh") -> str:
    out = render_markdown(text, section=section, cell=cell, results=results(), lang=lang)
    assert isinstance(out, Markup)
    return str(out)


def inline(text: str, **kw) -> str:
    html = md(text, **kw).strip()
    assert html.startswith("<p>") and html.endswith("</p>"), html
    return html[3:-4]


@pytest.mark.parametrize(("placeholder", "zh", "en"), [
    ("level_latest", "155,225 亿元", "15.52 trn yuan"),
    ("level_latest | yuan", "155,225 亿元", "15.52 trn yuan"),
    ("revenue | yuan", "15,500,000,000 元", "15.5 bn yuan"),
    ("revenue | yi", "155 亿元", "15.5 bn yuan"),
    ("revenue | yi(1)", "155.0 亿元", "15.5 bn yuan"),
    ("buyers | wan", "12.35 万", "123,456"),
    ("revenue | wan", "1,550,000 万元", "15.5 bn yuan"),
    ("yoy_official_latest | pct", "7.2%", "7.2%"),
    ("share | pct", "26.8%", "26.8%"),
    ("elasticity_total", "0.56", "0.56"),
    ("engagement.elasticity_total | ci", "0.56（95% 置信区间 0.46–0.67）", "0.56 (95% CI 0.46–0.67)"),
    ("engagement.uplift | ci(90)", "12.5%（90% 置信区间 8.2%–16.8%）", "12.5% (90% CI 8.2%–16.8%)"),
    ("delta | signed", "+1.2 个百分点", "+1.2 pp"),
    ("drop | signed", f"{MINUS}0.4%", f"{MINUS}0.4%"),
    ("n | thousands", "12,346", "12,346"),
    ("pi | num(2)", "3.14", "3.14"),
    ("pi | num(0)", "3", "3"),
    ("pi | num", "3.14", "3.14"),
    ("model", "ETS", "ETS"),
])
def test_filters_in_both_languages(placeholder, zh, en):
    section = "engagement" if placeholder == "elasticity_total" else "market"
    assert inline(f"{{{{ {placeholder} }}}}", section=section, lang="zh") == zh
    assert inline(f"{{{{ {placeholder} }}}}", section=section, lang="en") == en


def test_another_sections_metric_by_section_dot_name():
    assert inline("CAGR {{ market.cagr | pct }}, elasticity {{ engagement.elasticity_total | num(2) }}",
                  section="engagement") == "CAGR 18.6%, elasticity 0.56"
    # the section's own metrics are found both ways
    assert inline("{{ cagr | pct }} = {{ market.cagr | pct }}") == "18.6% = 18.6%"


def test_markdown_is_rendered_and_cjk_line_breaks_are_not_spaces():
    html = md("## 增长\n\n网上零售额为 **{{ level_latest }}**，\n同比增长 {{ yoy_official_latest | pct }}。\n\n- 一\n- 二")
    assert "<h2>增长</h2>" in html
    assert "<strong>155,225 亿元</strong>，同比增长 7.2%。" in html
    assert "<li>一</li>" in html


def test_values_are_not_read_as_markdown_or_html():
    evil = results(records=(Metric("brand", "[x](https://evil.example) *b* <b>c</b>"),))

    html = render_markdown("品牌：{{ brand }}", section="market", cell=3, results=evil, lang="zh")
    assert str(html) == "<p>品牌：[x](https://evil.example) *b* &lt;b&gt;c&lt;/b&gt;</p>\n"


@pytest.mark.parametrize(("text", "message"), [
    ("{{ nope }}", r"section 'market', cell 7, line 1: unknown placeholder \{\{ nope \}\}; section 'market' "
                   r"recorded the metrics: .*level_latest"),
    ("a\n\n{{ market.nope | pct }}", r"section 'market', cell 7, line 3: unknown placeholder \{\{ market.nope \}\}"),
    ("{{ marketing.cagr }}", r"cell 7, line 1: unknown placeholder \{\{ marketing.cagr \}\}: there is no section "
                             r"'marketing' \(sections: market, engagement\)"),
    ("{{ cagr | percent }}", r"section 'market', cell 7, line 1: unknown filter 'percent' in "
                             r"\{\{ cagr \| percent \}\}; filters: ci, num, pct, "),
    ("{{ level_latest | safe }}", r"unknown filter 'safe'"),
    ("{{ level_latest | e }}", r"unknown filter 'e'"),
    ("{{ growth }}", r"cell 7, line 1: placeholder \{\{ growth \}\} is a table; placeholders show recorded metrics"),
    ("{{ cagr | pct | num }}", r"one filter per placeholder"),
    ("{{ 3.5 }}", r"placeholder \{\{ 3.5 \}\} is not allowed"),
    ("{{ cagr | num(other) }}", r"filter arguments must be plain numbers"),
    ("{% for x in y %}{{ x }}{% endfor %}", r"only \{\{ placeholders \}\} are allowed, not a \{% for %\} statement"),
    ("{{ cagr | }}", r"cell 7, line 1: the placeholders are not valid syntax"),
    ("{{ gap | pct }}", r"section 'market', cell 7: metric 'gap' has no value"),
    ("{{ gap }}", r"metric 'gap' has no value"),
    ("{{ level_latest | pct }}", r"metric 'level_latest' is in '亿元'; the pct filter takes a percentage"),
    ("{{ cagr | ci }}", r"metric 'cagr' has no interval"),
    ("{{ model | num }}", r"metric 'model' is 'ETS', not a number"),
    ("{{ cagr | yi }}", r"metric 'cagr' is in '%'; the yi filter takes an amount in 元"),
    ("{{ cagr | num(99) }}", r"decimals from 0 to 10"),
])
def test_problems_fail_naming_section_and_cell(text, message):
    with pytest.raises(RenderError, match=message):
        md(text)


def test_all_problems_of_a_cell_are_listed_together():
    with pytest.raises(RenderError) as info:
        md("{{ nope }} and {{ cagr | bogus }}", cell=12)
    text = str(info.value)
    assert "section 'market', cell 12: 2 problems" in text
    assert "unknown placeholder {{ nope }}" in text and "unknown filter 'bogus'" in text


def test_raw_html_typed_in_markdown_is_shown_as_text():
    html = md(f"注意 {EVIL} 和 <img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = md(f"<div>\n{EVIL}\n</div>")  # an HTML block too
    assert "<div>" not in html and "<script" not in html


@pytest.mark.parametrize("text", [
    "see [the source](https://example.com/data)",
    "see [it](http://example.com)",
    "see <https://example.com>",
    "see [file](file:///etc/passwd)",
    "see [mail](mailto:a@example.com)",
    "see [x](javascript:alert(1))",
    "see [x](vbscript:msgbox)",
    "see [ref][r]\n\n[r]: https://example.com",
    "![logo](https://example.com/logo.png)",
    "![local](chart.png)",
    "![inline](data:image/png;base64,AAAA)",
])
def test_external_links_and_images_are_refused(text):
    with pytest.raises(RenderError, match=r"section 'market', cell 7: (a link to|images are not allowed)"):
        md(text)


def test_in_page_anchors_are_allowed():
    assert inline("见[表 1](#table-1)") == '见<a href="#table-1">表 1</a>'


def test_the_sandbox_blocks_attribute_tricks():
    for text in ("{{ ''.__class__ }}", "{{ level_latest.__class__ }}", "{{ market.__init__ }}",
                 "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__ }}",
                 "{{ level_latest.value }}", "{{ (1).real }}"):
        with pytest.raises(RenderError, match="section 'market', cell 7"):
            md(text)
    # and underneath the checks, the environment itself is a sandbox without Jinja's extras
    env = environment("zh")
    assert isinstance(env, ImmutableSandboxedEnvironment)
    assert env.undefined is jinja2.StrictUndefined and env.autoescape is True
    assert not env.globals and set(env.filters) == {"pct", "yuan", "yi", "wan", "ci", "signed", "thousands", "num"}
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__ }}").render(__reportkit_slots__=[])


@pytest.mark.parametrize("text", ["增长 7.2% }}", "a {{ level_latest }} }} b"])
def test_leftovers_are_detected(text):
    with pytest.raises(RenderError, match="section 'market', cell 7: an unfilled template leftover"):
        md(text)


def test_a_value_holding_template_syntax_is_data_not_a_leftover():
    """A recorded value is data: a brand called "{{Brand}}" is shown (escaped, braces encoded so
    that the report's leftover check cannot mistake it), while the narrative is still checked."""
    res = results(records=(Metric("odd", "{{Brand}} <b>"),))
    html = str(render_markdown("品牌 {{ odd }}", section="market", cell=2, results=res, lang="zh"))
    assert html == "<p>品牌 &#123;&#123;Brand&#125;&#125; &lt;b&gt;</p>\n"
    with pytest.raises(RenderError, match="cell 2: an unfilled template leftover"):
        render_markdown("品牌 {{ odd }} }}", section="market", cell=2, results=res, lang="zh")


def test_a_placeholder_in_a_link_target_is_refused():
    with pytest.raises(RenderError, match="cell 7: a placeholder sits where no value can be shown"):
        md("[x](#{{ cagr | num }})")


def test_find_placeholders():
    text = "A {{ level_latest }}, B {{market.cagr|pct}} and {{ x | num(2) }}; {{\n  y }}"
    assert find_placeholders(text) == ["level_latest", "market.cagr|pct", "x | num(2)", "y"]
    assert find_placeholders("no placeholders") == []


def test_check_placeholders_lists_every_cell_of_every_section_without_stopping():
    res = results()
    market = SectionResults("market", "m.ipynb", {}, res["market"].records + (
        Text("md_4", "ok {{ cagr | pct }}", markdown=True, cell=4),
        Text("md_9", "{{ nope }} {{ cagr | bogus }}", markdown=True, cell=9),
        Text("plain", "{{ not checked here: not markdown }}"),
    ))
    engagement = SectionResults("engagement", "e.ipynb", {}, res["engagement"].records + (
        Text("md_3", "{{ elasticity_total | pct }} [x](https://example.com)", markdown=True, cell=3),
        Text("md_5", "{{ market.gap | pct }}", markdown=True, cell=5),
    ))
    problems = check_placeholders({"market": market, "engagement": engagement})
    assert all(isinstance(p, Problem) for p in problems)
    summary = [(p.section, p.where, p.kind) for p in problems]
    assert summary == [
        ("market", "cell 9, line 1", "placeholder"),
        ("market", "cell 9, line 1", "placeholder"),
        ("engagement", "cell 3", "narrative"),
        ("engagement", "cell 5", "narrative"),
    ]
    assert "unknown placeholder {{ nope }}" in problems[0].detail
    assert "unknown filter 'bogus'" in problems[1].detail
    assert "a link to 'https://example.com'" in problems[2].detail
    assert "metric 'gap' has no value" in problems[3].detail
    assert check_placeholders(results()) == []


def test_narrative_from_an_executed_notebook(fixture_notebook, tmp_path):
    """Tagged markdown cells come back in notebook order, between the records, and render."""
    from reportkit.execute import execute_notebook
    from reportkit.record import read_results

    executed = execute_notebook(fixture_notebook("narrative"), tmp_path / "out.ipynb", {"level": 150000.0},
                                cwd=tmp_path)
    res = read_results(executed.nb, section="market", notebook="narrative.ipynb", parameters={})
    assert [r.name for r in res.records] == ["level_latest", "md_5", "share", "elasticity", "md_8"]
    first, second = res["md_5"], res["md_8"]
    assert first.markdown and first.cell == 5 and second.cell == 8
    both = {"market": res}
    assert str(render_markdown(first.text, section="market", cell=5, results=both, lang="zh")) == (
        "<p>2024 年网上零售额达到 150,000 亿元，占社会消费品零售总额的 26.8%。</p>\n")
    html = str(render_markdown(second.text, section="market", cell=8, results=both, lang="en"))
    assert html == "<p>弹性为 0.561 (95% CI 0.459–0.673)。&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert check_placeholders(both) == []
