"""The HTML WeasyPrint lays out (reportkit.render.pdf.print_html) and what makes the PDF faster to
write without changing it: figures as images of their lightened SVG, data tables with their column
widths worked out beforehand (reportkit.render.table_widths), the theme's custom properties written
out, and no garbage collection while rendering."""

from __future__ import annotations

import base64
import gc
import re
import threading
import xml.etree.ElementTree as ET

import pytest

from reportkit.render import pdf, table_widths
from reportkit.render.html import default_templates_dir
from reportkit.render.pdf import has_cjk_text, print_html, write_pdf
from reportkit.render.table_widths import fix_table_layouts, table_column_widths, text_widths

SVG = "{http://www.w3.org/2000/svg}"

# what matplotlib writes (svg.fonttype "none"), as prepare_svg inlines it: no namespace declarations
MPL_SVG = (
    '<svg width="120pt" height="60pt" viewBox="0 0 120 60" version="1.1">\n'
    ' <defs>\n  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>\n </defs>\n'
    ' <g id="fig1-figure_1">\n'
    '  <g id="fig1-patch_1"><path d="M 0 60 L 120 60 L 120 0 L 0 0 z" style="fill: #ffffff"/></g>\n'
    '  <g id="fig1-line2d_1"><path d="M 10 50 L 110 10" clip-path="url(#fig1-p1)" '
    'style="fill: none; stroke: #1f4e79; stroke-linecap: round" stroke-width="3"/></g>\n'
    '  <g id="fig1-markers"><path id="fig1-m1" d="M 0 -2 L 2 0 L 0 2 z" style="stroke: #c0504d"/></g>\n'
    '  <use xlink:href="#fig1-m1" x="60" y="30"/>\n'
    '  <g id="fig1-text_1"><!-- 2024 年 -->'
    '<text style="font-size: 9px; font-family: \'Noto Sans CJK SC\', sans-serif; text-anchor: middle; fill: #262626" '
    'x="60" y="58" transform="rotate(-0 60 58)">2024 年</text></g>\n'
    '  <g id="fig1-text_2"><text x="5" y="30" transform="rotate(-90 5 30)" style="font-size: 9px">万亿元</text></g>\n'
    ' </g>\n'
    ' <defs><clipPath id="fig1-p1"><rect x="0" y="0" width="120" height="60"/></clipPath></defs>\n'
    "</svg>"
)


def page(body: str, css: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><style>{css}</style></head><body>{body}</body></html>')


def figure(svg: str) -> str:
    return f'<figure class="figure"><div class="figure-body">\n{svg}\n    </div></figure>'


def image_svg(html: str) -> ET.Element:
    """The SVG of the first figure image of ``html``."""
    m = re.search(r'<img class="figure-svg" alt="" src="data:image/svg\+xml;base64,([^"]+)">', html)
    assert m, html[:500]
    return ET.fromstring(base64.b64decode(m.group(1)))


# --------------------------------------------------------------------------- figures


def test_a_figure_becomes_an_image_of_its_svg_lightened():
    html = print_html(page(figure(MPL_SVG)))
    assert "<svg" not in html
    root = image_svg(html)
    assert root.tag == f"{SVG}svg" and root.get("width") == "120pt" and root.get("viewBox") == "0 0 120 60"
    # the groups that only carried an id are gone, their children kept in order
    assert [el.tag for el in root.iter(f"{SVG}g")] == []
    drawn = [el.tag.removeprefix(SVG) for el in root if el.tag != f"{SVG}defs"]
    assert drawn == ["path", "path", "path", "use", "text", "text"]
    # the referenced marker and clip path keep their ids
    assert root.find(f".//{SVG}path[@id='fig1-m1']") is not None
    assert root.find(f".//{SVG}clipPath[@id='fig1-p1']") is not None
    # no rotation by 0; a real rotation stays
    first, second = root.iter(f"{SVG}text")
    assert first.get("transform") is None and second.get("transform") == "rotate(-90 5 30)"
    assert first.text == "2024 年" and second.text == "万亿元"


def test_css_becomes_attributes_with_the_cascade_s_precedence():
    root = image_svg(print_html(page(figure(MPL_SVG))))
    assert root.find(f".//{SVG}style") is None and not [el for el in root.iter() if "style" in el.attrib]
    line = root.find(f".//{SVG}path[@clip-path]")
    # the style attribute wins over the universal rule, which wins over a presentation attribute
    assert line.get("stroke-linecap") == "round" and line.get("stroke-linejoin") == "round"
    assert line.get("stroke") == "#1f4e79" and line.get("fill") == "none" and line.get("stroke-width") == "3"
    background = root.find(f".//{SVG}path")
    assert background.get("fill") == "#ffffff" and background.get("stroke-linecap") == "butt"
    text = next(root.iter(f"{SVG}text"))
    assert text.get("font-family") == "'Noto Sans CJK SC', sans-serif" and text.get("text-anchor") == "middle"


def test_a_group_that_is_referenced_or_styled_is_kept():
    svg = MPL_SVG.replace('<use xlink:href="#fig1-m1"', '<use xlink:href="#fig1-text_1"')
    svg = svg.replace('<g id="fig1-line2d_1">', '<g id="fig1-line2d_1" opacity="0.5">')
    root = image_svg(print_html(page(figure(svg))))
    assert {g.get("id") for g in root.iter(f"{SVG}g")} == {"fig1-text_1", "fig1-line2d_1"}


def test_an_svg_with_other_css_keeps_its_tree_and_its_style_sheet():
    svg = MPL_SVG.replace("*{stroke-linejoin: round; stroke-linecap: butt}", "g > path { stroke: red }")
    root = image_svg(print_html(page(figure(svg))))
    assert root.find(f".//{SVG}style").text == "g > path { stroke: red }"
    assert root.find(f".//{SVG}g[@id='fig1-line2d_1']") is not None


@pytest.mark.parametrize("svg", [
    '<svg viewBox="0 0 10 10"><text x="1" y="5">a&nbsp;b</text></svg>',  # an HTML entity: not XML
    '<svg viewBox="0 0 10 10"><path d="M0 0L1 1"></svg>',  # not well-formed
])
def test_an_svg_that_is_not_xml_on_its_own_stays_inline(svg):
    html = page(figure(svg))
    assert print_html(html) == html


def test_only_figures_become_images():
    logo = '<div class="cover-logo"><svg viewBox="0 0 48 48" width="48" height="48"><rect width="4" height="4"/></svg></div>'
    html = page(logo)
    assert print_html(html) == html


def test_the_pdf_draws_the_figure_with_its_text(tmp_path):
    from pypdf import PdfReader

    css = ".figure-body svg, .figure-body img { display: block; max-width: 100%; height: auto; }"
    info = write_pdf(page("<p>图表</p>" + figure(MPL_SVG), css), tmp_path / "fig.pdf", base_dir=tmp_path)
    assert info.pages == 1 and info.warnings == ()
    text = PdfReader(tmp_path / "fig.pdf").pages[0].extract_text()
    assert "万亿元" in text.replace("\n", "") and "2" in text


# --------------------------------------------------------------------------- custom properties


THEME_CSS = (":root { --rk-ink: #1d2430; --rk-font-sans: \"Noto Sans CJK SC\", sans-serif; "
             "--rk-font-body: var(--rk-font-sans); }\n"
             "html { color: var(--rk-ink); font-family: var(--rk-font-body); }\n"
             "@media print { @page { @top-left { color: var(--rk-ink, black); } } }\n"
             ".x { border-color: var(--unknown, red); }")


def test_custom_properties_are_written_out():
    html = print_html(page("<p>x</p>", THEME_CSS))
    assert 'html { color: #1d2430; font-family: "Noto Sans CJK SC", sans-serif; }' in html
    assert "@top-left { color: #1d2430; }" in html
    assert "var(--unknown, red)" in html  # not a theme property: left to WeasyPrint
    assert "--rk-font-body: \"Noto Sans CJK SC\", sans-serif" in html  # the :root rule stays


@pytest.mark.parametrize(("css", "body"), [
    (THEME_CSS + "\n.dark { --rk-ink: #000 }", "<p>x</p>"),  # a scoped value: var() depends on the element
    (THEME_CSS + "\n@media print { :root { --rk-ink: #000 } }", "<p>x</p>"),
    (THEME_CSS, '<p style="--rk-ink: #000">x</p>'),
    (THEME_CSS.replace("var(--rk-font-sans)", "var(--rk-nowhere)"), "<p>x</p>"),
])
def test_custom_properties_stay_when_they_may_differ_between_elements(css, body):
    html = page(body, css)
    assert print_html(html) == html


# --------------------------------------------------------------------------- tables


def test_text_widths_follow_the_line_breaking_rules():
    assert text_widths("中文") == (1.0, 2.0)
    assert text_widths("") == (0.0, 0.0)
    lo, hi = text_widths("155,225")
    assert lo == hi == pytest.approx((6 * 555 + 278) / 1000)  # six digits and a comma
    assert text_widths("155,225 亿元", nowrap=True)[0] == text_widths("155,225 亿元")[1]
    assert text_widths("1\u00a0000")[0] == text_widths("1\u00a0000")[1]  # no break at a no-break space
    # a closing parenthesis stays with what precedes it, an opening one with what follows
    assert text_widths("（官方）")[0] == pytest.approx(2.0)
    assert text_widths("Driscoll–Kraay")[0] == pytest.approx(text_widths("Driscoll–")[1])
    assert text_widths("2023-10-02")[0] == pytest.approx(text_widths("2023-10-02")[1])  # no break before a digit
    assert text_widths("Ab", bold=True)[1] > text_widths("Ab")[1]
    assert text_widths("AB", serif=True)[1] > text_widths("AB")[1]


def test_column_widths_as_the_automatic_layout_distributes_them():
    # everything fits: each column gets its max-content width and a share of the rest in proportion
    assert table_column_widths([10, 10], [20, 60], 160) == pytest.approx([40, 120])
    # too wide: min-content widths plus a share of the rest in proportion to what each still needs
    assert table_column_widths([10, 20], [110, 20], 80) == pytest.approx([60, 20])
    assert table_column_widths([50, 50], [60, 60], 90) is None  # not even the narrowest fits


TABLE = ('<table class="data-table">\n<caption class="caption">表 1</caption>\n'
         '<thead><tr><th scope="col">期间</th><th scope="col" class="num">全国网上零售额（亿元）</th></tr></thead>\n'
         "<tbody>\n<tr><td>2014</td><td class=\"num\">27,898</td></tr>\n"
         "<tr><td>2024</td><td class=\"num\">155,225</td></tr>\n</tbody>\n</table>")


def test_a_plain_data_table_gets_fixed_column_widths():
    out = fix_table_layouts(TABLE)
    m = re.fullmatch(r'<table class="data-table" style="table-layout: fixed">\n<caption class="caption">表 1</caption>'
                     r'<colgroup><col style="width: ([\d.]+)%"><col style="width: ([\d.]+)%"></colgroup>\n<thead>.*',
                     out, re.DOTALL)
    assert m, out
    first, second = float(m.group(1)), float(m.group(2))
    assert first + second == pytest.approx(100, abs=0.01) and second > 2 * first
    assert out.count("<tr>") == TABLE.count("<tr>")


@pytest.mark.parametrize("change", [
    lambda t: t.replace("<td>2014</td>", "<td><code>2014</code></td>"),  # another font
    lambda t: t.replace("<td>2014</td>", '<td colspan="2">2014</td>'),
    lambda t: t.replace('<tr><td>2024</td><td class="num">155,225</td></tr>', "<tr><td>2024</td></tr>"),
    lambda t: t.replace("2014", "x" * 400),  # cannot fit the page: WeasyPrint decides
    lambda t: t.replace('class="data-table"', 'class="data-table sources-table"'),
])
def test_other_tables_keep_the_automatic_layout(change):
    table = change(TABLE)
    assert fix_table_layouts(table) == table


def test_table_constants_match_report_css():
    css = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    assert "--rk-font-size: 10pt" in css
    m = re.search(r"\.data-table \{[^}]*font-size: ([\d.]+)em", css)
    assert m and table_widths.TABLE_FONT_PT == pytest.approx(10 * float(m.group(1)))
    m = re.search(r"\.data-table th, \.data-table td \{ padding: [\d.]+mm ([\d.]+)mm", css)
    assert m and table_widths.CELL_PADDING_PT == pytest.approx(2 * float(m.group(1)) * 72 / 25.4)
    m = re.search(r"@page \{\s*size: A4;\s*margin: [\d.]+mm ([\d.]+)mm [\d.]+mm ([\d.]+)mm;", css)
    assert m and table_widths.TABLE_WIDTH_PT == pytest.approx((210 - float(m.group(1)) - float(m.group(2))) * 72 / 25.4)
    assert re.search(r"\.data-table \.num \{[^}]*white-space: nowrap", css)  # as _rows assumes
    assert re.search(r"\.table-regression td:first-child \{ white-space: nowrap", css)


def test_column_widths_match_weasyprint_s_automatic_layout():
    """The widths worked out for a table are those WeasyPrint's automatic layout gives it."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    css = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    css += ':root { --rk-font-body: "Noto Sans CJK SC", sans-serif; --rk-ink: #000; --rk-rule: #ccc; --rk-zebra: #eee; }'
    rows = "".join(f'<tr><td>{label}</td><td class="num">{value}</td><td>{note}</td></tr>' for label, value, note in [
        ("Breusch–Pagan 异方差检验（LM）", "1.993", "p ≥ 0.05：未发现异方差的证据；稳健/聚类标准误仍然适用"),
        ("RESET 函数形式检验（F，拟合值 2–3 次方）", "0.100", "p ≥ 0.05：未发现遗漏非线性的证据"),
        ("Cook 距离（最大值）", "0.018", "49 个观测超过 4/N = 0.0049；最大值在 BEA02 / 2023-10-02"),
    ])
    table = (f'<table class="data-table"><thead><tr><th scope="col">检验</th><th scope="col" class="num">统计量</th>'
             f'<th scope="col">解读</th></tr></thead><tbody>{rows}</tbody></table>')
    html = page(table, css)

    def widths(document_html: str) -> list[float]:
        doc = HTML(string=document_html).render()
        table_box = next(b for b in doc.pages[0]._page_box.descendants() if isinstance(b, boxes.TableBox))
        return [w / table_box.width for w in table_box.column_widths]

    assert widths(fix_table_layouts(html)) == pytest.approx(widths(html), abs=0.005)  # within 0.85 mm


# --------------------------------------------------------------------------- the rest


def test_cjk_text_is_found_in_what_a_reader_sees_only():
    assert has_cjk_text("<p>中文</p>") and has_cjk_text("<svg><text>万亿元</text></svg>")
    assert has_cjk_text("<p>&#20013;</p>")
    for hidden in ("<title>中文</title>", "<style>/* 中文 */</style>", "<!-- 中文 -->", '<p title="a>中文">x</p>',
                   "<script>'中文'</script>"):
        assert not has_cjk_text(f"<html><head>{hidden}</head><body><p>Latin only</p></body></html>"), hidden


def test_garbage_collection_is_as_it_was_after_writing(tmp_path):
    assert gc.isenabled()
    write_pdf(page("<p>中文</p>"), tmp_path / "a.pdf", base_dir=tmp_path)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        write_pdf(page("<p>中文</p>"), tmp_path / "b.pdf", base_dir=tmp_path)
        assert not gc.isenabled() and gc.get_freeze_count() == 0  # a caller's choice is kept
    finally:
        gc.enable()


def test_garbage_collection_pause_nests_across_threads():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with pdf._gc_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with pdf._gc_paused():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert not gc.isenabled()  # the other thread is still rendering
    leave.set()
    thread.join(10)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_document_is_collected_after_writing(tmp_path):
    import weakref

    from weasyprint.document import Document

    made: list[weakref.ref] = []
    original = Document._render.__func__

    def render(cls, *args, **kwargs):
        document = original(cls, *args, **kwargs)
        made.append(weakref.ref(document))
        return document

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Document, "_render", classmethod(render))
        write_pdf(page("<p>中文</p>"), tmp_path / "a.pdf", base_dir=tmp_path)
    assert made and made[0]() is None


def test_report_css_styles_figure_images_as_figure_svgs():
    css = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    assert ".figure-body svg, .figure-body img {" in css
    macros = (default_templates_dir() / "report" / "macros.html.j2").read_text(encoding="utf-8")
    assert ('<div class="figure-body" role="img" aria-label="{{ block|figure_alt(' in macros
            and '">\n{{ block.svg }}\n    </div>' in macros)  # what _FIGURE_SVG expects
