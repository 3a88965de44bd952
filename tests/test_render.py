"""Rendering without a kernel: results built by hand (and one real matplotlib figure) → HTML → PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportkit.errors import RenderError
from reportkit.record import Figure, Metric, SectionResults, Table, Text, make_record
from reportkit.render import check_html, render_html, write_pdf
from reportkit.render.html import default_templates_dir, load_strings
from reportkit.spec import ReportSpec
from reportkit.style.formatting import MINUS, format_cell, format_metric, format_number, format_value, split_number

EVIL = "<script>alert(1)</script>"
BUILD_INFO_SECTIONS = {
    "market": {"notebook": "notebooks/market_trends.ipynb", "parameters": {"start_year": 2014, "end_year": 2024},
               "run_key": "3f2a9c1e0b7d4a56"},
    "engagement": {"notebook": "notebooks/engagement_conversion.ipynb",
                   "parameters": {"category": "美妆个护", "alpha": 0.05}, "run_key": "9b8c7d6e5f4a3b21"},
}
BUILD_INFO = {"generated": "2025-03-01T09:30:00+08:00", "commit": "abc1234", "reportkit_version": "0.1.0",
              "spec_path": "reports/china-ecommerce-2024.yaml", "sections": BUILD_INFO_SECTIONS,
              "data": [{"path": "data/nbs_online_retail_annual.csv", "sha256": "5f3c9a" + "0" * 52 + "abcdef"}],
              "environment": {"python": "3.11.7", "weasyprint": "70.0", "jinja2": "3.1.6"}}

ONLINE_RETAIL = {  # NBS 全国网上零售额, 亿元
    2014: 27898, 2015: 38773, 2016: 51556, 2017: 71751, 2018: 90065, 2019: 106324,
    2020: 117601, 2021: 130884, 2022: 137853, 2023: 154264, 2024: 155225,
}


def make_spec(**changes) -> ReportSpec:
    data = {
        "id": "china-ecommerce-2024",
        "title": {"zh": "中国电子商务行业发展报告", "en": "China E-commerce Industry Report"},
        "subtitle": {"zh": "市场规模、增长与内容种草转化（2014–2024）",
                     "en": "Market size, growth and content-driven conversion, 2014–2024"},
        "publisher": {"zh": "示例行业研究院", "en": "Example Industry Research"},
        "date": "2025-03",
        "sections": [
            {"id": "market", "notebook": "notebooks/market_trends.ipynb",
             "title": {"zh": "市场规模与增长", "en": "Market size and growth"}},
            {"id": "engagement", "notebook": "notebooks/engagement_conversion.ipynb",
             "title": {"zh": "内容互动与转化", "en": "Content engagement and conversion"}},
        ],
        "summary": ["market.online_retail_2024", "market.online_yoy_2024", "engagement.save_uplift"],
        "data": [{"path": "data/nbs_online_retail_annual.csv",
                  "source": {"zh": "国家统计局，全国网上零售额年度数据", "en": "National Bureau of Statistics of China"},
                  "licence": "public statistics"}],
    }
    data.update(changes)
    return ReportSpec.model_validate(data)


def trend_figure() -> Figure:
    """A real matplotlib figure with Chinese labels, recorded the way a notebook would."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reportkit.analysis.plots import cjk_font_files

    for path in cjk_font_files():  # register the CJK font files, as use_theme() does: this module may run alone
        matplotlib.font_manager.fontManager.addfont(str(path))
    with matplotlib.rc_context({"font.family": "sans-serif",
                                "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"],
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        years = list(ONLINE_RETAIL)
        ax.bar(years, [v / 10000 for v in ONLINE_RETAIL.values()], color="#0f4c81", width=0.65)
        ax.set_ylabel("万亿元")
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        rec = make_record("online_retail_trend", fig, caption="全国网上零售额，2014–2024年",
                          note="来源：国家统计局。2024年官方同比增速按可比口径计算。")
        plt.close(fig)
    assert isinstance(rec, Figure)
    return rec


def make_results(*, caption: str = "全国网上零售额与增速", cell: object = "全国", label: str = "2024年全国网上零售额",
                 figure: Figure | None = None) -> dict[str, SectionResults]:
    figure = figure or trend_figure()
    rows = tuple((year, value, None if year == 2014 else round(100 * (value / ONLINE_RETAIL[year - 1] - 1), 1), cell)
                 for year, value in ONLINE_RETAIL.items())
    market = SectionResults("market", "notebooks/market_trends.ipynb", {"start_year": 2014}, (
        Text("summary", "2024年全国网上零售额达155,225亿元，按可比口径同比增长7.2%。\n\n"
                        "按公布的绝对值计算，增速仅为0.6%，两者口径不同。"),
        Metric("online_retail_2024", 155225, unit="亿元", label=label, note="国家统计局"),
        Metric("online_yoy_2024", 7.2, unit="%", label="同比增长（可比口径）", decimals=1),
        Metric("physical_share_2024", 26.8, unit="%", label="实物商品网上零售额占社零比重", decimals=1),
        Text("intro", "过去十年，网上零售额增长约4.6倍，但增速已由高速转为中低速。"),
        figure,
        Table("online_retail_table", ("year", "online_retail_100m_yuan", "yoy_from_levels_pct", "scope"), rows,
              caption=caption, note="注：增速为相邻年份公布值之比，未按可比口径调整。", decimals=1),
        Text("methods", "年度数据取自国家统计局发布的全国网上零售额。增速给出官方可比口径与按公布值计算两种。"),
    ))
    engagement = SectionResults("engagement", "notebooks/engagement_conversion.ipynb", {"category": "美妆个护"}, (
        Text("summary", "笔记收藏数每增加10%，加购率平均提高1.8%。"),
        Metric("save_uplift", 1.8, unit="%", label="收藏→加购弹性", decimals=1, note="95%置信区间 1.2%–2.4%"),
        Metric("n_brands", 1250, unit="个", label="样本品牌数"),
        Table("regression", ("变量", "系数", "标准误", "p值"), (
            ("log(收藏数)", 0.182, 0.031, 0.0001), ("log(点赞数)", -0.041, 0.027, 0.129), ("常数项", 1.25, 0.4, None),
        ), caption="加购率对互动指标的回归", decimals=3),
        Text("methods", "品牌—周面板，固定效应回归，按品牌聚类的标准误。"),
    ))
    return {"market": market, "engagement": engagement}


@pytest.fixture(scope="module")
def figure() -> Figure:
    return trend_figure()


@pytest.fixture(scope="module")
def zh_html(figure) -> str:
    return render_html(make_spec(), make_results(figure=figure), lang="zh", build_info=BUILD_INFO)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("value", "unit", "decimals", "lang", "expected"), [
    (155225, "亿元", None, "zh", "155,225 亿元"),
    (155225, "亿元", None, "en", "15.52 trn yuan"),
    (5000, "亿元", None, "en", "500 bn yuan"),
    (7.2, "%", 1, "zh", "7.2%"),
    (7.2, "%", None, "en", "7.2%"),
    (-3.14159, "%", 1, "zh", f"{MINUS}3.1%"),
    (-12345.678, "", 2, "zh", f"{MINUS}12,345.68"),
    (1234567, "", None, "zh", "1,234,567"),
    (1250, "个", None, "zh", "1,250 个"),
    (2.5, "pp", 1, "zh", "2.5 个百分点"),
    (2.5, "pp", 1, "en", "2.5 pp"),
    (None, "亿元", None, "zh", "—"),
    (float("nan"), "%", 1, "en", "—"),
    ("nan", "", None, "zh", "—"),
    ("约一成", "", None, "zh", "约一成"),
    (-0.001, "", 1, "zh", "0.0"),
])
def test_format_value(value, unit, decimals, lang, expected):
    assert format_value(value, unit, decimals, lang=lang) == expected


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (155225, None, "155,225"), (7.2, None, "7.2"), (7, 1, "7.0"), (0.034567, None, "0.0346"),
    (-1500.5, None, f"{MINUS}1,500.5"), (None, 2, "—"), (float("inf"), None, "—"), (155225.0, None, "155,225"),
])
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(("value", "decimals", "column", "expected"), [
    (2024, 1, "year", "2024"), (2024, 1, "年份", "2024"), (155225, 1, "online", "155,225"),
    (7.25, 1, "yoy", "7.2"), (None, 1, "yoy", "—"), (-0.041, 3, "系数", f"{MINUS}0.041"), ("全国", 1, "scope", "全国"),
])
def test_format_cell(value, decimals, column, expected):
    assert format_cell(value, decimals, column) == expected


@pytest.mark.parametrize(("text", "parts"), [
    ("155,225 亿元", ("155,225", " ", "亿元")), ("7.2%", ("7.2", "", "%")), (f"{MINUS}3.1%", (f"{MINUS}3.1", "", "%")),
    ("15.52 trn yuan", ("15.52", " ", "trn yuan")), ("—", ("—", "", "")), ("约一成", ("约一成", "", "")),
])
def test_split_number_for_large_number_small_unit(text, parts):
    assert split_number(text) == parts


def test_metric_filter_uses_the_metric_unit_and_decimals():
    m = Metric("g", 7.2, unit="%", decimals=1)
    assert format_metric(m, lang="zh") == "7.2%" and format_metric(Metric("x", None, unit="%")) == "—"


# --------------------------------------------------------------------------- HTML


def test_html_structure_language_and_numbering(zh_html):
    assert '<html lang="zh-CN">' in zh_html
    assert "中国电子商务行业发展报告" in zh_html and "155,225" in zh_html and "亿元" in zh_html
    assert "图 1" in zh_html and "表 1" in zh_html and "表 2" in zh_html
    # summary and methods texts are not repeated in the chapters, but shown in summary / appendix
    assert zh_html.count("按公布的绝对值计算") == 1 and zh_html.count("固定效应回归") == 1
    order = [zh_html.index(s) for s in ('id="cover"', 'id="contents"', 'id="summary"', 'id="section-market"',
                                        'id="section-engagement"', 'id="appendix"')]
    assert order == sorted(order)
    # traceability: notebook, run key, parameters, commit in the appendix
    for s in ("notebooks/engagement_conversion.ipynb", "9b8c7d6e5f4a3b21", "美妆个护", "abc1234", "2014"):
        assert s in zh_html[zh_html.index('id="appendix"'):]
    check_html(zh_html)  # no external references, no nan, no leftovers


def test_english_report_uses_english_strings_and_units(figure):
    html = render_html(make_spec(), make_results(figure=figure), lang="en", build_info=BUILD_INFO)
    assert '<html lang="en">' in html and "China E-commerce Industry Report" in html
    assert "Figure 1" in html and "Executive summary" in html and "15.52" in html and "trn yuan" in html
    check_html(html)


def test_i18n_files_have_the_same_keys():
    assert load_strings("zh").keys() == load_strings("en").keys()


def test_strings_from_data_are_escaped(figure):
    results = make_results(caption=EVIL, cell=EVIL, label=EVIL, figure=figure)
    html = render_html(make_spec(), results, lang="zh", build_info=BUILD_INFO)
    assert EVIL not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # caption, table cells, metric label
    check_html(html)


def test_toc_anchors_match_chapter_ids(zh_html):
    toc = zh_html[zh_html.index('id="contents"'):zh_html.index('id="summary"')]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets == ["summary", "section-market", "section-engagement", "appendix",
                       "figure-1", "table-1", "table-2"]
    chapter_ids = re.findall(r'<section class="chapter[^"]*" id="([^"]+)"', zh_html)
    assert chapter_ids == targets[:4]
    for target in targets:
        assert f'id="{target}"' in zh_html


def test_rendering_is_deterministic(figure):
    render = lambda: render_html(make_spec(), make_results(figure=figure), lang="zh", build_info=BUILD_INFO)  # noqa: E731
    assert render() == render()


def test_figure_ids_are_unique_across_figures(figure):
    results = make_results(figure=figure)
    market = results["market"]
    second = Figure("again", figure.svg, caption="同一图")
    results["market"] = SectionResults(market.section, market.notebook, market.parameters, market.records + (second,))
    html = render_html(make_spec(), results, lang="zh", build_info=BUILD_INFO)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_missing_summary_metric_names_it_and_what_was_recorded(figure):
    spec = make_spec(summary=["market.cagr_2019_2024"])
    with pytest.raises(RenderError, match=r"market\.cagr_2019_2024.*online_retail_2024.*online_yoy_2024"):
        render_html(spec, make_results(figure=figure), lang="zh", build_info=BUILD_INFO)


def test_unknown_theme_lists_available_themes(figure):
    with pytest.raises(RenderError, match=r"unknown theme 'neon'.*available themes: acme, default"):
        render_html(make_spec(theme="neon"), make_results(figure=figure), lang="zh", build_info=BUILD_INFO)


@pytest.mark.parametrize("svg", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><path d="M0 0L1 1"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/x.png"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="file:///etc/passwd#a"/></svg>',
])
def test_unsafe_svg_is_refused(svg, figure):
    results = make_results(figure=Figure("bad", svg, caption="x"))
    with pytest.raises(RenderError, match="refusing the SVG of section 'market', figure 'bad'"):
        render_html(make_spec(), results, lang="zh", build_info=BUILD_INFO)


def test_unknown_language_is_refused(figure):
    with pytest.raises(RenderError, match="language 'fr' is not offered; expected one of zh, en"):
        render_html(make_spec(), make_results(figure=figure), lang="fr", build_info=BUILD_INFO)


def test_a_missing_template_string_fails_naming_the_template(figure, catalogue_without):
    catalogue_without("zh", "run_key")
    with pytest.raises(RenderError, match=r"report/appendix\.html\.j2:\d+: no template string 'run_key' in .*zh\.yaml"):
        render_html(make_spec(), make_results(figure=figure), lang="zh", build_info=BUILD_INFO)


def test_an_empty_matplotlib_figure_is_caught_by_the_check(figure):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    empty = make_record("empty", fig, caption="空图")
    plt.close(fig)
    results = make_results(figure=empty)
    html = render_html(make_spec(), results, lang="zh", build_info=BUILD_INFO)
    with pytest.raises(RenderError, match="an empty figure"):
        check_html(html)


# --------------------------------------------------------------------------- check_html

PAGE = '<!DOCTYPE html><html lang="en"><head><style>p {{ color: #333 }}</style></head><body>{}</body></html>'
SVG_OK = '<svg viewBox="0 0 10 10"><path d="M0 0 L10 10"/></svg>'


def test_check_html_accepts_a_clean_page():
    check_html(PAGE.format(f'<p><a href="#x">x</a></p><img src="data:image/png;base64,AAAA">{SVG_OK}'
                           '<table><tr><td>—</td><td>7.2</td></tr></table>'))


@pytest.mark.parametrize(("body", "problem"), [
    ('<img src="http://example.com/logo.png">', "external reference <img src='http://example.com/logo.png'>"),
    ('<link rel="stylesheet" href="//cdn.example.com/x.css">', "external reference <link href="),
    ('<a href="file:///etc/passwd">x</a>', "external reference <a href='file:///etc/passwd'>"),
    ('<div style="background: url(https://example.com/bg.png)"></div>', "external url() in CSS"),
    ("<style>@import 'https://example.com/a.css';</style>", "@import in CSS"),
    ('<style>body { background: url("report.png") }</style>', "external url() in CSS"),
    ("<pre>Traceback (most recent call last):\n  File ...</pre>", "a Python traceback"),
    ("<table><tr><td>nan</td></tr></table>", "table cell shows 'nan'"),
    ("<table><tr><td>NaN</td></tr></table>", "table cell shows 'NaN'"),
    ("<table><tr><td> None </td></tr></table>", "table cell shows 'None'"),
    ('<div class="kpi"><p class="kpi-value">nan</p></div>', "metric value shows 'nan'"),
    ("<p>同比增长nan%</p>", "'nan' in text"),
    ('<figure><svg viewBox="0 0 10 10"><defs><path id="a" d="M0 0"/></defs></svg></figure>', "an empty figure"),
    ("<figure><svg></svg></figure>", "an empty figure"),
    ("<p>{{ metric.value }}</p>", "a template leftover '{{ metric.value }}"),
    ("<p>{% if x %}</p>", "a template leftover"),
    ("<script>alert(1)</script>", "a <script> element"),
])
def test_check_html_reports_each_problem_kind(body, problem):
    with pytest.raises(RenderError) as info:
        check_html(PAGE.format(body))
    assert problem in str(info.value)


def test_check_html_lists_every_problem_at_once():
    body = '<img src="https://x.org/a.png"><table><tr><td>nan</td><td>None</td></tr></table><svg></svg>'
    with pytest.raises(RenderError, match=r"has 4 problem\(s\)") as info:
        check_html(PAGE.format(body))
    assert "line 1:" in str(info.value)


# --------------------------------------------------------------------------- PDF


def test_write_pdf_renders_chinese_with_cjk_fonts_and_page_numbers(zh_html, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "report.pdf"
    info = write_pdf(zh_html, out, base_dir=tmp_path)
    assert info.path == out and out.is_file() and info.pages >= 3 and info.pages == len(PdfReader(out).pages)
    assert any("CJK" in f for f in info.fonts), info.fonts
    assert info.warnings == ()
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "中国电子商务" in text and "155,225" in text
    toc = reader.pages[1].extract_text()
    assert f"第 2 页 / 共 {info.pages} 页" in toc  # footer
    assert re.search(r"市场规模与增长 *\.{3,} *4\b", toc), toc  # TOC page numbers (target-counter)
    assert f"共 {info.pages} 页" not in reader.pages[0].extract_text()  # no page number on the cover
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temporary file left


@pytest.mark.parametrize("src", ["http://example.com/x.png", "file:///etc/passwd"])
def test_write_pdf_refuses_to_fetch_anything(src, tmp_path):
    html = PAGE.format(f'<p>x</p><img src="{src}">')
    with pytest.raises(RenderError, match=re.escape(src)):
        write_pdf(html, tmp_path / "x.pdf", base_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_pdf_refuses_relative_files_too(tmp_path):
    (tmp_path / "logo.png").write_bytes(b"not really")
    with pytest.raises(RenderError, match="logo.png"):
        write_pdf(PAGE.format('<img src="logo.png">'), tmp_path / "x.pdf", base_dir=tmp_path)


def test_fontconfig_falls_back_to_a_cjk_font_for_chinese(tmp_path):
    html = '<html><head><style>body { font-family: "DejaVu Sans" }</style></head><body><p>中文</p></body></html>'
    # DejaVu has no CJK glyphs: fontconfig falls back to Noto CJK, so the PDF passes...
    info = write_pdf(html, tmp_path / "ok.pdf", base_dir=tmp_path)
    assert any("CJK" in f for f in info.fonts)


def test_cjk_font_check_fails_when_no_cjk_font_is_embedded(tmp_path, monkeypatch):
    from reportkit.render import pdf

    monkeypatch.setattr(pdf, "embedded_fonts", lambda path: ("DejaVuSans",))
    with pytest.raises(RenderError, match="a CJK font is missing.*fonts-noto-cjk"):
        write_pdf(PAGE.format("<p>中文</p>"), tmp_path / "x.pdf", base_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_appendix_records_go_to_the_appendix_and_are_numbered_after_the_chapters(figure):
    results = make_results(figure=figure)
    eng = results["engagement"]
    extra = Table("appendix_diagnostics", ("检验", "p 值"), (("Breusch–Pagan", 0.01),), caption="回归诊断", decimals=3)
    results["engagement"] = SectionResults(eng.section, eng.notebook, eng.parameters, (*eng.records, extra))
    html = render_html(make_spec(), results, lang="zh", build_info=BUILD_INFO)
    appendix = html[html.index('id="appendix"'):]
    chapters = html[:html.index('id="appendix"')]
    assert "回归诊断" in appendix and "回归诊断" not in chapters.split('id="section-market"', 1)[1]
    assert "诊断与补充结果" in appendix
    assert "表 3" in appendix  # two tables in the chapters, then the appendix table


# --------------------------------------------------------------------------- snapshots (issue: templates)

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FIXED_BUILD_INFO = {
    "generated": "2025-01-01T00:00:00+00:00", "commit": "0" * 40, "reportkit_version": "0.1.0",
    "spec_path": "reports/snapshot.yaml",
    "sections": {
        "market": {"notebook": "notebooks/market_trends.ipynb", "parameters": {"first_year": 2014, "lang": "zh"},
                   "run_key": "0123456789abcdef"},
        "engagement": {"notebook": "notebooks/engagement_conversion.ipynb",
                       "parameters": {"category": "美妆个护", "n_lags": 2}, "run_key": "fedcba9876543210"},
    },
    "data": [{"path": "data/nbs_online_retail_annual.csv", "sha256": "a1b2c3d4e5f6" + "7" * 52}],
    "environment": {"python": "3.11.7", "jinja2": "3.1.6", "weasyprint": "70.0"},
}
# a small hand-written figure: the snapshot must not depend on matplotlib's version
FIXED_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60" width="120pt" height="60pt">'
             '<defs><clipPath id="c"><rect x="0" y="0" width="120" height="60"/></clipPath></defs>'
             '<g clip-path="url(#c)"><rect x="10" y="30" width="20" height="30" fill="#1f4e79"/>'
             '<rect x="40" y="20" width="20" height="40" fill="#1f4e79"/><rect x="70" y="10" width="20" height="50" '
             'fill="#c0504d"/><text x="100" y="58" font-size="8">2024</text></g></svg>')


def fixed_spec(**changes) -> ReportSpec:
    return make_spec(**{"client": {"zh": "示例客户", "en": "Example Client"},
                        "confidentiality": {"zh": "仅供示例客户内部使用", "en": "For Example Client's internal use only"},
                        "summary": ["market.level", "market.yoy", "engagement.elasticity"],
                        **changes})


def fixed_results() -> dict[str, SectionResults]:
    market = SectionResults("market", "notebooks/market_trends.ipynb", {"first_year": 2014}, (
        Text("summary", "2024年全国网上零售额155,225亿元，见[[fig:trend]]与[[tab:levels]]；互动与转化见[[sec:engagement]]。"),
        Metric("level", 155225, unit="亿元", label="2024年全国网上零售额"),
        Metric("yoy", 7.2, unit="%", label="同比增长", decimals=1),
        Text("intro", "规模见[[fig:trend]]，逐年数值见[[tab:levels]]，回归结果见[[tab:engagement.regression]]。"),
        Figure("trend", FIXED_SVG, caption="全国网上零售额（数据见[[tab:levels]]）", note="来源：国家统计局。"),
        Table("levels", ("year", "level", "yoy"), ((2023, 154264, 11.0), (2024, 155225, 0.6), (2025, None, None)),
              caption="全国网上零售额", note="注：2025 年尚无数据。", decimals=1),
        Text("methods", "年度数据取自国家统计局；诊断见[[tab:engagement.appendix_checks]]。"),
    ))
    engagement = SectionResults("engagement", "notebooks/engagement_conversion.ipynb", {"category": "美妆个护"}, (
        Text("summary", "弹性约为0.5（[[tab:regression]]）。"),
        Metric("elasticity", 0.52, label="长期弹性", decimals=2),
        Table("regression", ("变量", "(1)"), (("log(互动)", "0.52***"), ("", "(0.04)")),
              caption="回归结果，对比[[sec:market]]", style="regression"),
        Figure("profile", FIXED_SVG, caption="滞后弹性"),
        Table("appendix_checks", ("检验", "p 值"), (("RESET", 0.41),), caption="诊断，见[[fig:profile]]", decimals=2),
    ))
    return {"market": market, "engagement": engagement}


def _check_snapshot(name: str, html: str) -> None:
    import difflib
    import os

    path = SNAPSHOTS / name
    if os.environ.get("REPORTKIT_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if not os.environ.get("REPORTKIT_UPDATE_SNAPSHOTS") and not path.exists():
            pytest.fail(f"no snapshot {path}; run with REPORTKIT_UPDATE_SNAPSHOTS=1 to write it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    if html != expected:
        diff = list(difflib.unified_diff(expected.splitlines(), html.splitlines(), f"snapshots/{name}", "rendered",
                                         n=1, lineterm=""))
        shown = "\n".join(line[:160] for line in diff[:40]) + (f"\n… {len(diff) - 40} more diff lines" if len(diff) > 40 else "")
        pytest.fail(f"the rendered HTML differs from tests/snapshots/{name} (refresh with "
                    f"REPORTKIT_UPDATE_SNAPSHOTS=1 if the change is intended):\n{shown}", pytrace=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_snapshot(lang):
    html = render_html(fixed_spec(), fixed_results(), lang=lang, build_info=FIXED_BUILD_INFO)
    check_html(html)
    # report.css is inlined as is: the snapshot holds what is generated (theme variables, page
    # rules, markup), not a copy of the static stylesheet
    static = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    assert static in html
    _check_snapshot(f"report_{lang}.html", html.replace(static, "/* templates/report/report.css (inlined) */\n"))


# --------------------------------------------------------------------------- cross-references


def _xrefs(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="xref xref-\w+" href="#([^"]+)">([^<]+)</a>', html)


def test_cross_references_resolve_to_final_numbers():
    html = render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO)
    refs = _xrefs(html)
    # intro of market: its own figure 1 and table 1, and engagement's regression table (table 2)
    intro = html[html.index("规模见"):html.index("</p>", html.index("规模见"))]
    assert _xrefs(intro) == [("figure-1", "图 1"), ("table-1", "表 1"), ("table-2", "表 2")]
    assert ("section-engagement", "第 2 章") in refs and ("section-market", "第 1 章") in refs
    # the appendix table is numbered after every chapter's tables, and referenced with that number
    methods = html[html.index("年度数据取自国家统计局"):]
    assert _xrefs(methods)[0] == ("table-3", "表 3")
    assert 'id="table-3"' in html and "[[" not in html
    # in the table of contents a reference in a caption is its label, not a nested link
    toc = html[html.index('id="contents"'):html.index('id="summary"')]
    assert "全国网上零售额（数据见表 1）" in toc and "xref" not in toc


def test_cross_references_follow_sections_when_they_move():
    spec = fixed_spec()
    moved = fixed_spec(sections=[s.model_dump() for s in reversed(spec.sections)])
    html = render_html(moved, fixed_results(), lang="en", build_info=FIXED_BUILD_INFO)
    intro = html[html.index("规模见"):html.index("</p>", html.index("规模见"))]
    # engagement now comes first: its regression is Table 1, market's figure 2 and table 2
    assert _xrefs(intro) == [("figure-2", "Figure 2"), ("table-2", "Table 2"), ("table-1", "Table 1")]
    assert ("section-market", "Chapter 2") in _xrefs(html) and ("section-engagement", "Chapter 1") in _xrefs(html)
    assert 'id="figure-2"' in html[html.index('id="section-market"'):]


@pytest.mark.parametrize(("text", "message"), [
    ("见[[fig:nope]]。", r"unknown cross-reference \[\[fig:nope\]\] in section 'market', text 'intro': no figure 'nope'"),
    ("见[[tab:trend]]。", r"unknown cross-reference \[\[tab:trend\]\] in section 'market', text 'intro'.*tables: market\.levels"),
    ("见[[sec:appendix]]。", r"unknown cross-reference \[\[sec:appendix\]\] in section 'market'.*sections: market, engagement"),
    ("见[[fig:engagement.trend]]。", r"unknown cross-reference \[\[fig:engagement\.trend\]\]"),
])
def test_unknown_cross_reference_fails_naming_it_and_where(text, message):
    results = fixed_results()
    market = results["market"]
    records = tuple(Text("intro", text) if r.name == "intro" else r for r in market.records)
    results["market"] = SectionResults(market.section, market.notebook, market.parameters, records)
    with pytest.raises(RenderError, match=message):
        render_html(fixed_spec(), results, lang="zh", build_info=FIXED_BUILD_INFO)


def test_unknown_reference_in_a_caption_names_the_caption():
    results = fixed_results()
    eng = results["engagement"]
    records = tuple(Figure("profile", FIXED_SVG, caption="见[[fig:missing]]") if r.name == "profile" else r
                    for r in eng.records)
    results["engagement"] = SectionResults(eng.section, eng.notebook, eng.parameters, records)
    with pytest.raises(RenderError, match=r"\[\[fig:missing\]\] in section 'engagement', caption of figure 'profile'"):
        render_html(fixed_spec(), results, lang="zh", build_info=FIXED_BUILD_INFO)


def test_unqualified_reference_means_the_own_sections_record_else_the_only_one():
    from reportkit.render.xref import References

    refs = References({"xref_table": "表 {n}", "xref_figure": "图 {n}", "xref_section": "第 {n} 章"})
    refs.add("tab", "market.levels", 1, "table-1")
    refs.add("tab", "engagement.levels", 2, "table-2")
    refs.add("fig", "market.trend", 1, "figure-1")
    assert refs.canonical("[[tab:levels]]", section="engagement", where="x") == "[[tab:engagement.levels]]"
    assert refs.canonical("[[fig:trend]]", section="engagement", where="x") == "[[fig:market.trend]]"
    with pytest.raises(RenderError, match=r"ambiguous cross-reference \[\[tab:levels\]\] in the summary.*"
                                          r"\[\[tab:SECTION\.levels\]\]"):
        refs.canonical("[[tab:levels]]", section=None, where="the summary")
    # text is escaped, references become links
    assert str(refs.link("<b>[[tab:market.levels]]</b>")) == \
        '&lt;b&gt;<a class="xref xref-table" href="#table-1">表 1</a>&lt;/b&gt;'
    assert str(refs.link("[[fig:market.trend]]", link=False)) == "图 1"


# --------------------------------------------------------------------------- cover, footer, provenance


def test_cover_shows_client_date_logo_and_confidentiality():
    html = render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO)
    cover = html[html.index('<section class="cover'):html.index('id="contents"')]
    assert 'class="cover cover-full"' in cover and "<svg" in cover  # default theme: full cover, its logo
    for s in ("中国电子商务行业发展报告", "示例行业研究院", "委托方", "示例客户", "2025-03", "仅供示例客户内部使用"):
        assert s in cover, s


@pytest.mark.parametrize(("lang", "footer"), [
    ("zh", '"第 " counter(page) " 页 / 共 " counter(pages) " 页"'),
    ("en", '"Page " counter(page) " of " counter(pages)'),
])
def test_footer_strings_come_from_the_catalogue(lang, footer):
    html = render_html(fixed_spec(), fixed_results(), lang=lang, build_info=FIXED_BUILD_INFO)
    assert f"@bottom-right {{ content: {footer}; }}" in html
    line = "仅供示例客户内部使用" if lang == "zh" else "For Example Client's internal use only"
    assert f'@bottom-left {{ content: "{line}"; }}' in html


def test_confidentiality_line_spec_wins_over_theme_and_is_escaped_for_css():
    evil = 'x"; } body { color: red } </style><script>alert(1)</script>'
    html = render_html(fixed_spec(confidentiality=evil), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO,
                       theme="acme")
    assert "客户机密" not in html  # the theme's line is not used, neither in the footer nor on the cover
    style = html[html.rindex("@bottom-left"):html.index("</style>", html.rindex("@bottom-left"))]
    # braces too: a brace from data must not look like a template leftover in the <style> element
    assert ('"x\\22 ; \\7d  body \\7b  color: red \\7d  \\3c /style\\3e \\3c script\\3e alert(1)\\3c /script\\3e "'
            in style)
    check_html(html)
    # without a line in the spec, the theme's is used; the default theme has none
    acme = render_html(fixed_spec(client=None, confidentiality=None), fixed_results(), lang="en",
                       build_info=FIXED_BUILD_INFO, theme="acme")
    assert "Acme Retail Research · Client confidential" in acme and "Prepared for" in acme
    plain = render_html(fixed_spec(client=None, confidentiality=None), fixed_results(), lang="zh",
                        build_info=FIXED_BUILD_INFO)
    assert "@bottom-left { content: \"" not in plain and "<p class=\"cover-confidential\">" not in plain


def test_pdf_footer_and_confidentiality_line_in_english(tmp_path):
    from pypdf import PdfReader

    html = render_html(fixed_spec(), fixed_results(), lang="en", build_info=FIXED_BUILD_INFO)
    info = write_pdf(html, tmp_path / "en.pdf", base_dir=tmp_path)
    assert info.warnings == ()
    pages = PdfReader(tmp_path / "en.pdf").pages
    second = pages[1].extract_text()
    assert f"Page 2 of {info.pages}" in second and "For Example Client's internal use only" in second
    assert "Page 1 of" not in pages[0].extract_text()  # the cover has no footer


def test_appendix_shows_data_hashes_and_package_versions():
    html = render_html(fixed_spec(), fixed_results(), lang="en", build_info=FIXED_BUILD_INFO)
    appendix = html[html.index('id="appendix"'):]
    full = FIXED_BUILD_INFO["data"][0]["sha256"]
    assert f'<code class="hash" title="{full}">{full[:12]}</code>' in appendix
    assert "Software environment" in appendix and "weasyprint" in appendix and "70.0" in appendix


@pytest.mark.parametrize("key", ["data", "environment"])
def test_build_info_needs_data_and_environment(key):
    info = {k: v for k, v in FIXED_BUILD_INFO.items() if k != key}
    with pytest.raises(RenderError, match=f"build_info lacks {key}"):
        render_html(fixed_spec(), fixed_results(), lang="zh", build_info=info)


def test_templates_have_no_language_switches():
    for path in (default_templates_dir() / "report").glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"lang\s*==", text), f"{path.name}: fixed strings belong in the catalogue (reportkit/catalogue)"


def test_phone_layout_rules_are_screen_only():
    css = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    assert "@media (max-width: 600px)" in css and ".table-scroll { overflow-x: auto;" in css
    html = render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO)
    assert '<div class="table-scroll">' in html


# --------------------------------------------------------------------------- editions


def fixture_notebooks() -> dict:
    import nbformat

    v4 = nbformat.v4
    out = {}
    for section in ("market", "engagement"):
        nb = v4.new_notebook()
        nb.cells = [
            v4.new_markdown_cell(f"# Section {section}\n\nSee [the NBS](https://www.stats.gov.cn/) "
                                 "<script>alert(1)</script><img src=\"https://x.org/a.png\">"),
            v4.new_code_cell("import pandas as pd\nframe = pd.DataFrame({'x': [1.0, None]})\nframe",
                             outputs=[
                                 v4.new_output("execute_result", data={
                                     "text/html": "<style scoped>.dataframe td {}</style><table class=\"dataframe\">"
                                                  "<tr><td>1.0</td><td>NaN</td></tr></table>",
                                     "text/plain": "     x\n0  1.0\n1  NaN"}, execution_count=1),
                                 v4.new_output("stream", name="stdout", text="long " * 1000),
                                 v4.new_output("display_data", data={
                                     "application/vnd.reportkit.record+json": {"kind": "metric"},
                                     "text/plain": "[recorded metric] level = 155225 亿元"}),
                                 v4.new_output("display_data", data={
                                     "application/javascript": "alert(1)", "text/plain": "<IPython.Javascript>"}),
                             ], execution_count=1),
        ]
        out[section] = nb
    return out


def test_analyst_edition_includes_the_notebooks_and_passes_the_checks():
    html = render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO,
                       edition="analyst", notebooks=fixture_notebooks())
    check_html(html)  # no scripts, no external references, no NaN shown
    nb = html[html.index('id="appendix-notebooks"'):]
    assert "分析笔记本" in nb and nb.count('class="nb"') == 2
    assert "pd" in nb and "DataFrame" in nb and "input_area" in nb  # code cells
    assert "[recorded metric] level = 155225 亿元" in nb
    assert "<script" not in html and "https://" not in html and "alert" not in nb
    assert "<style scoped" not in nb and "…（输出过长" in nb
    assert 'href="#appendix-notebooks"' in html  # in the table of contents
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_client_edition_has_no_code():
    html = render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO,
                       notebooks=fixture_notebooks())
    assert "appendix-notebooks" not in html and "input_area" not in html and 'class="nb"' not in html
    assert "import pandas" not in html and ".nb pre" not in html  # nor the notebook CSS


def test_unknown_edition_names_the_allowed_ones():
    with pytest.raises(RenderError, match=r"unknown edition 'bogus'; expected one of client, analyst"):
        render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO, edition="bogus")
    with pytest.raises(RenderError, match="none was given for market, engagement"):
        render_html(fixed_spec(), fixed_results(), lang="zh", build_info=FIXED_BUILD_INFO, edition="analyst")


def test_build_refuses_a_bogus_edition_before_anything_runs(tmp_path):
    from reportkit.build import build_report

    with pytest.raises(RenderError, match=r"unknown edition 'bogus'; expected one of client, analyst"):
        build_report(Path(__file__).resolve().parents[1] / "reports" / "china-ecommerce-2024.yaml",
                     out=tmp_path / "out", edition="bogus")
    assert not (tmp_path / "out").exists()


def test_a_narrative_cell_means_its_own_sections_record_when_another_section_has_the_same_name():
    """A report-tagged markdown cell with [[tab:levels]] links to its own section's table even when
    another section (e.g. a scaffolded one) records a table of the same name."""
    results = fixed_results()
    market, eng = results["market"], results["engagement"]
    cell = Text("md_9", "本节规模另见[[tab:levels]]。", markdown=True, cell=9, lang="zh")
    results["market"] = SectionResults(market.section, market.notebook, market.parameters, (*market.records, cell))
    clash = Table("levels", ("a",), ((1,),), caption="另一张表", decimals=0)
    results["engagement"] = SectionResults(eng.section, eng.notebook, eng.parameters, (*eng.records, clash))
    html = render_html(fixed_spec(), results, lang="zh", build_info=FIXED_BUILD_INFO)
    own = html[html.index("本节规模另见"):html.index("</p>", html.index("本节规模另见"))]
    assert _xrefs(own) == [("table-1", "表 1")] and "[[" not in html


# --------------------------------------------------------------------------- Traditional Chinese editions


@pytest.mark.parametrize(("lang", "word"), [("zh-Hant", "網路"), ("zh-HK", "網絡")])
def test_a_traditional_edition_converts_what_a_reader_sees_and_keeps_proper_names(lang, word):
    results = fixed_results()
    market = results["market"]
    results["market"] = SectionResults(market.section, market.notebook, market.parameters, (
        *market.records, Text("channels", "网络零售额按平台：小红书种草、天猫转化。")))
    html = render_html(fixed_spec(proper_names=["美妆个护", "小红书"]), results, lang=lang,
                       build_info=FIXED_BUILD_INFO)
    check_html(html)
    assert f'<html lang="{lang}"' in html
    assert "全國網上零售額" in html and "億元" in html and f"{word}零售額" in html and "天貓" in html
    assert "小红书種草" in html and "美妆个护" in html  # proper names as the spec keeps them
    assert "目錄" in html and "目录" not in html  # the catalogue's fixed strings
    assert "CJK TC" in html if lang == "zh-Hant" else "CJK HK" in html
    assert "Noto Sans CJK SC" not in html
