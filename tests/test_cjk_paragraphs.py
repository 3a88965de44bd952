"""Chinese prose in the PDF: no stretched spaces.

WeasyPrint justifies a line only at its spaces (U+0020, U+00A0), never between Chinese characters.
A justified Chinese line holding a few spaces (「2019 年」, 「7.9%」, a Latin word) would put all of
the line's slack into those few spaces: gaps of one or two characters' width in the middle of a
sentence (seen in the demo's executive summary). The report's print style sets Chinese prose flush
left; English prose stays justified (it has a space between every two words)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from reportkit.render.html import default_templates_dir
from reportkit.render.pdf import write_pdf

# one paragraph, several lines at A4 width; digits and Latin words with spaces around them, as the
# reports write them, and long unbreakable numbers that leave slack at the end of some lines
ZH = ("2024 年全国网上零售额为 155,225 亿元，按官方可比口径同比增长 7.2%；按与上年同期公布总量之比计算为 0.6%。"
      "2019 年—2024 年按总量计算的年均复合增长率为 7.9%，将同期官方可比口径增速连乘后折算为 9.4%。"
      "组合模型预测 2029 年年度总量为 217,277 亿元（80% 预测区间 133,982 亿元 至 352,355 亿元）；"
      "参与组合的各模型预测在 184,620 亿元 至 236,490 亿元 之间。数据中 2025 年的公布值为 159,722 亿元，较预测值低 4.8%。"
      "美妆个护类目中，互动量（点赞+评论+收藏）与加购数（均取对数）的混合相关系数为 0.70（n = 832 个品牌周），"
      "Fisher 区间 0.67 至 0.74 与公开说法 r = 0.73 一致。")
EN = ("Online retail sales were 155,225 hundred million yuan in 2024, up 7.2 percent on the official comparable "
      "basis; the ratio of the published levels gives only 0.6 percent. The combined model forecasts 217,277 for "
      "2029, with an 80 percent prediction interval from 133,982 to 352,355, and the models that enter the "
      "combination range from 184,620 to 236,490. Engagement and add-to-cart correlate at 0.70 across 832 "
      "brand-weeks, which is consistent with the published figure of 0.73 but is an association, not an effect.")


def space_advances(pdf_path) -> list[float]:
    """The width, in points, of every space between two characters on one line of page 1: from the
    end of the character before to the start of the one after, by their advance boxes (pdfium's
    loose boxes), so a space set at its natural width always measures the same."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        text = doc[0].get_textpage()
        boxes = [(text.get_text_range(i, 1), text.get_charbox(i, loose=True)) for i in range(text.count_chars())]
    finally:
        doc.close()
    widths = []
    for (before, b), (space, _), (after, a) in zip(boxes, boxes[1:], boxes[2:], strict=False):
        same_line = abs(b[1] - a[1]) < 2  # bottoms on one line
        if space == " " and before.strip() and after.strip() and same_line and a[0] > b[2]:
            widths.append(a[0] - b[2])  # left of the next character − right of the previous one
    return widths


def render(tmp_path, lang: str, text: str):
    css = (default_templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>{css}</style></head>'
            f"<body><main><p>{text}</p></main></body></html>")
    return write_pdf(html, tmp_path / f"{lang}.pdf", base_dir=tmp_path).path


@pytest.mark.parametrize("lang", ["zh-CN", "zh-Hant"])
def test_chinese_prose_has_no_stretched_spaces(tmp_path, lang):
    widths = space_advances(render(tmp_path, lang, ZH))
    assert len(widths) > 20
    # a space at its natural width measures 2.2–3.2 pt here (the Latin and the CJK font's own); justified,
    # a line's few spaces took up to 8.4 pt
    assert max(widths) < 3.6, f"spaces stretched to {max(widths):.1f} pt in a {lang} paragraph: {sorted(widths)[-5:]}"


def test_english_prose_is_still_justified(tmp_path):
    widths = space_advances(render(tmp_path, "en", EN))
    assert len(widths) > 40
    # justified: each line widens its spaces by its own amount (2.6–7.5 pt here)
    assert len({round(w, 1) for w in widths}) >= 4 and max(widths) > 4.0
