"""PDF variants (reportkit.render.pdf.PDF_VARIANTS): the accessible PDF is tagged (PDF/UA-1) with
the document language, headings, tables and each figure's alternative text in its structure tree;
the archival PDF (PDF/A-3a) embeds the data pack. Figures' alternative text: render/alt_text.py."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from reportkit.errors import RenderError
from reportkit.render.alt_text import figure_alt, series_summary
from reportkit.render.html import load_strings
from reportkit.render.pdf import PDF_VARIANTS, print_html, write_pdf

SVG = ('<svg width="120pt" height="60pt" viewBox="0 0 120 60" version="1.1"><path d="M 10 50 L 110 10" '
       'style="fill: none; stroke: #1f4e79"/><text x="60" y="58" style="font-size: 9px; font-family: '
       "'Noto Sans CJK SC'\">2024 年</text></svg>")


def report_page(alt: str = "图 1：网上零售额，2014—2024 年") -> str:
    return ('<!DOCTYPE html><html lang="zh-CN"><head><title>测试报告</title></head><body>'
            "<h1>第 1 章 市场规模</h1><p>正文一段。</p>"
            '<figure class="figure"><figcaption>图 1 网上零售额</figcaption>'
            f'<div class="figure-body" role="img" aria-label="{alt}">\n{SVG}\n    </div></figure>'
            "<h2>表格</h2><table><caption>表 1 规模</caption><thead><tr><th>年份</th><th>亿元</th></tr></thead>"
            "<tbody><tr><td>2023</td><td>154,264</td></tr><tr><td>2024</td><td>155,225</td></tr></tbody></table>"
            "</body></html>")


def structure(path: Path) -> tuple[Counter, list[str], DictionaryObject, list[str]]:
    """Counts of the structure tree's element types, the /Alt of every Figure, the catalog, and
    the element types in reading order (depth first)."""
    root = pypdf.PdfReader(path).trailer["/Root"]
    counts: Counter = Counter()
    alts: list[str] = []
    order: list[str] = []

    def walk(node):
        node = node.get_object() if isinstance(node, IndirectObject) else node
        if not isinstance(node, DictionaryObject):
            return
        if "/S" in node:
            counts[str(node["/S"])] += 1
            order.append(str(node["/S"]))
            if node["/S"] == "/Figure":
                alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []):
            walk(kid)

    walk(root["/StructTreeRoot"])
    return counts, alts, root, order


def test_the_figure_s_label_becomes_the_image_s_alt():
    html = print_html(report_page('图 1：规模 &amp; 增速 &quot;官方&quot;'))
    assert '<img class="figure-svg" alt="图 1：规模 &amp; 增速 &quot;官方&quot;" src="data:image/svg+xml;base64,' in html


def test_the_accessible_pdf_is_tagged_with_language_headings_tables_and_alt(tmp_path):
    info = write_pdf(report_page(), tmp_path / "ua.pdf", base_dir=tmp_path, variant="accessible")
    assert info.variant == "accessible"
    counts, alts, root, order = structure(tmp_path / "ua.pdf")
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "zh-CN"
    assert counts["/H1"] == 1 and counts["/H2"] == 1 and counts["/Table"] == 1 and counts["/TH"] == 2
    assert alts == ["图 1：网上零售额，2014—2024 年"]
    # reading order: the heading, the paragraph, the figure, then the table
    main = [s for s in order if s in ("/H1", "/P", "/Figure", "/H2", "/Table")]
    assert main[:5] == ["/H1", "/P", "/Figure", "/H2", "/Table"], order


def test_a_tagged_pdf_refuses_a_figure_without_alternative_text(tmp_path):
    page = report_page().replace(' role="img" aria-label="图 1：网上零售额，2014—2024 年"', "")
    with pytest.raises(RenderError, match="no required alt description"):
        write_pdf(page, tmp_path / "ua.pdf", base_dir=tmp_path, variant="accessible")
    assert not list(tmp_path.iterdir()), "nothing is left behind"
    write_pdf(page, tmp_path / "plain.pdf", base_dir=tmp_path)  # the standard PDF is untagged: accepted


def test_the_standard_pdf_is_untagged(tmp_path):
    write_pdf(report_page(), tmp_path / "a.pdf", base_dir=tmp_path)
    assert "/StructTreeRoot" not in pypdf.PdfReader(tmp_path / "a.pdf").trailer["/Root"]


def test_the_archival_pdf_embeds_the_data_pack(tmp_path):
    pack = tmp_path / "report-data.xlsx"
    pack.write_bytes(b"PK\x03\x04 not really a workbook, but bytes to embed")
    info = write_pdf(report_page(), tmp_path / "a3.pdf", base_dir=tmp_path, variant="archival", attachments=(pack,))
    assert info.attachments == ("report-data.xlsx",)
    reader = pypdf.PdfReader(tmp_path / "a3.pdf")
    assert reader.attachments == {"report-data.xlsx": [pack.read_bytes()]}
    counts, alts, _, _ = structure(tmp_path / "a3.pdf")
    assert alts and counts["/Table"] == 1  # PDF/A-3a is tagged too
    assert b"pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().replace(b'"', b"")
    # the associated file's relationship to the document
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[1].get_object()["/AFRelationship"] == "/Data"


def test_variants_and_attachments_are_checked(tmp_path):
    with pytest.raises(RenderError, match="PDF variant 'ua' is not offered; expected one of standard, accessible, archival"):
        write_pdf(report_page(), tmp_path / "x.pdf", base_dir=tmp_path, variant="ua")
    with pytest.raises(RenderError, match="embedded only in the archival PDF"):
        write_pdf(report_page(), tmp_path / "x.pdf", base_dir=tmp_path, variant="accessible",
                  attachments=(tmp_path / "x.xlsx",))
    with pytest.raises(RenderError, match="x.xlsx in the PDF: no such file"):
        write_pdf(report_page(), tmp_path / "x.pdf", base_dir=tmp_path, variant="archival",
                  attachments=(tmp_path / "x.xlsx",))
    assert set(PDF_VARIANTS) == {"standard", "accessible", "archival"}


class Data:
    columns = ("年份", "网上零售额", "同比增长")
    rows = ((2014, 27898, None), (2015, 38773, 33.3), (2024, 155225, 7.2))


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "图 1：全国网上零售额。数据：网上零售额在 2014 为 27,898，在 2024 为 155,225，最低 27,898，最高 155,225；"
           "同比增长在 2015 为 33.3，在 2024 为 7.2，最低 7.2，最高 33.3。"),
    ("en", "Figure 1: Online retail sales. Data: 网上零售额 27,898 at 2014 and 155,225 at 2024 (low 27,898, "
           "high 155,225); 同比增长 33.3 at 2015 and 7.2 at 2024 (low 7.2, high 33.3)."),
])
def test_alt_text_is_the_caption_then_the_numbers_drawn(lang, expected):
    caption = "全国网上零售额" if lang == "zh" else "Online retail sales"
    label = "图 1" if lang == "zh" else "Figure 1"
    assert figure_alt(label, caption, Data, load_strings(lang), lang) == expected


def test_alt_text_without_data_is_the_caption():
    strings = load_strings("zh")
    assert figure_alt("图 2", "弹性", None, strings, "zh") == "图 2：弹性"
    assert figure_alt("图 2", "", None, strings, "zh") == "图 2"
    assert series_summary(("x",), ((1,),), strings, "zh") == ""  # no numeric series
