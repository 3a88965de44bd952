"""Column widths of the report's data tables, worked out from their text, for the PDF.

WeasyPrint sizes a ``table-layout: auto`` table from each cell's narrowest (min-content) and widest
(max-content) width. For Chinese text it finds the narrowest by laying the text out again at every
point where a line may break, that is after nearly every character: the report's twenty tables
cost a quarter of a second that way. :func:`fix_table_layouts` instead measures each cell with the
report font's advance widths (Chinese characters are 1 em wide, Latin letters and digits come from
:data:`_ASCII_WIDTHS`), runs the same width distribution as WeasyPrint's automatic layout
(https://www.w3.org/TR/css-tables-3/#width-distribution-algorithm: columns get their max-content
width and share what is left in proportion to it; when that is too wide, each column gets its
min-content width plus a share of the rest in proportion to what it would still need) and writes
the result as ``<col>`` widths of a ``table-layout: fixed`` table. The columns come out within a
tenth of a millimetre or so of WeasyPrint's (half a millimetre at most in the demo report, in
Chinese and English, sans and serif), with the same line breaks; WeasyPrint no longer measures.

Only tables whose cells hold plain text (links and spans allowed) in one row of header cells and
rows of body cells are changed; a table with ``<code>``, images, nested tables, ``colspan`` or
``rowspan`` keeps the automatic layout, as does one whose text cannot fit the page at all.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["fix_table_layouts", "table_column_widths", "text_widths"]

# --------------------------------------------------------------------------- what report.css sets
# (tests/test_render_print.py checks these against templates/report/report.css)

#: the text of a data table: .data-table { font-size: 0.86em } of html { font-size: 10pt }
TABLE_FONT_PT = 10 * 0.86
#: .data-table th, .data-table td { padding: 1.4mm 2.2mm }: left + right
CELL_PADDING_PT = 2 * 2.2 * 72 / 25.4
#: the table's width: A4 (210 mm) less the page's left and right margins (20 mm each)
TABLE_WIDTH_PT = (210 - 2 * 20) * 72 / 25.4
#: a table whose max-content widths add up to at most this much more than its width is taken as
#: fitting (the estimate is good to a few tenths of a point per column; a cell's padding, 6 pt
#: on each side, absorbs that): when it does fit, a slightly high estimate must not make it wrap
_FIT_TOLERANCE = 0.003

# --------------------------------------------------------------------------- the report font

# advance widths (1/1000 em) of U+0020…U+007E in the report's fonts, regular and bold: Noto Sans
# CJK SC (the default) and Noto Serif CJK SC (a theme's serif body, e.g. acme's); other CJK fonts'
# Latin glyphs have about the same widths as one or the other
_ASCII_WIDTHS = {
    ("sans", False): (
        224, 323, 474, 555, 555, 921, 680, 278, 338, 338, 467, 555, 278, 347, 278, 392, 555, 555, 555, 555,
        555, 555, 555, 555, 555, 555, 278, 278, 555, 555, 555, 474, 946, 608, 657, 638, 688, 589, 552, 689,
        728, 293, 535, 646, 543, 812, 723, 742, 633, 742, 635, 596, 599, 721, 575, 878, 573, 531, 603, 338,
        392, 338, 555, 559, 606, 563, 618, 510, 620, 554, 325, 564, 607, 275, 275, 552, 284, 926, 610, 606,
        620, 620, 388, 468, 377, 607, 521, 802, 498, 521, 475, 338, 270, 338, 555),
    ("sans", True): (
        227, 370, 574, 590, 590, 963, 740, 325, 378, 378, 507, 590, 325, 370, 325, 387, 590, 590, 590, 590,
        590, 590, 590, 590, 590, 590, 325, 325, 590, 590, 590, 514, 1007, 641, 681, 656, 714, 615, 585, 717,
        757, 330, 568, 686, 578, 853, 749, 770, 667, 770, 682, 624, 625, 748, 619, 915, 627, 580, 613, 378,
        387, 378, 590, 567, 626, 591, 644, 527, 644, 581, 372, 597, 640, 304, 306, 604, 315, 964, 641, 626,
        644, 644, 436, 495, 421, 637, 576, 863, 562, 574, 511, 378, 296, 378, 590),
    ("serif", False): (
        256, 308, 376, 574, 550, 923, 779, 196, 364, 364, 478, 580, 327, 346, 327, 352, 557, 471, 558, 557,
        555, 558, 558, 549, 558, 562, 327, 327, 580, 580, 580, 432, 912, 718, 670, 691, 770, 652, 629, 741,
        853, 405, 402, 731, 625, 975, 796, 767, 641, 767, 715, 567, 659, 797, 714, 1053, 700, 687, 605, 344,
        352, 344, 580, 563, 435, 557, 638, 538, 629, 546, 388, 566, 663, 332, 311, 607, 334, 974, 661, 596,
        638, 607, 462, 473, 367, 653, 548, 838, 564, 552, 498, 374, 316, 374, 580),
    ("serif", True): (
        250, 355, 447, 615, 589, 966, 803, 235, 400, 400, 485, 603, 335, 370, 335, 400, 593, 466, 594, 593,
        593, 594, 594, 588, 594, 596, 335, 335, 603, 603, 603, 473, 970, 746, 708, 702, 789, 666, 648, 757,
        864, 426, 428, 767, 642, 1001, 815, 785, 673, 785, 751, 597, 695, 818, 734, 1091, 726, 701, 627, 372,
        400, 372, 603, 593, 447, 585, 672, 565, 658, 572, 402, 596, 687, 349, 335, 651, 355, 1008, 685, 623,
        671, 640, 500, 499, 393, 678, 578, 874, 599, 582, 517, 380, 338, 380, 603),
}
# a few others the report's numbers and notes use (regular; bold is about 5 % wider)
_OTHER_WIDTHS = {"—": 894, "–": 536, "−": 555, "²": 411, "³": 411, "°": 370, "µ": 628, "€": 555, "£": 555,
                 "¥": 555, "©": 832, "®": 473, "™": 711, "\u00a0": 224, "\u2009": 200, "\u202f": 200}
_OTHER_WIDTH = 640  # anything else narrow (Greek, accented letters…), erring on the wide side

# line breaks: a character that may not start a line (closing punctuation, …) and one that may
# not end it (opening punctuation): UAX #14 classes CL/CP/EX/IS/NS and OP, as Pango applies them
_NO_BREAK_BEFORE = set("，。、：；！？）」』》〉】〕〗〙〛｝］”’%‰)]},.:;!?、・ー々ゝゞヽヾ〜～")
_NO_BREAK_AFTER = set("（「『《〈【〔〖〘〚｛［“‘([{$¥£€")
# a line may break after a dash (UAX #14 BA, B2, HY) or a slash (SY), but not before a digit after
# a hyphen or a slash ("2023-10", "4/5"); and before an em dash (B2)
_BREAK_AFTER = set("–—‐-/")
_NOT_BEFORE_DIGIT = set("-/")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def _char_width(ch: str, bold: bool, serif: bool = False) -> float:
    """Advance width of ``ch`` in em."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return _ASCII_WIDTHS["serif" if serif else "sans", bold][code - 0x20] / 1000
    if ch in _OTHER_WIDTHS:
        return _OTHER_WIDTHS[ch] * (1.05 if bold else 1) / 1000
    if unicodedata.east_asian_width(ch) in "WFA":  # CJK, full-width forms, ±×·… in a CJK font
        return 1.0
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    return _OTHER_WIDTH * (1.05 if bold else 1) / 1000


def _wide(ch: str) -> bool:
    """A Chinese or Japanese character or full-width form: a line may break before and after it
    (unless it is punctuation that may not start or end a line)."""
    return unicodedata.east_asian_width(ch) in "WF"


def text_widths(text: str, *, bold: bool = False, nowrap: bool = False, serif: bool = False) -> tuple[float, float]:
    """(min-content, max-content) width in em of a line of ``text`` (white space collapsed):
    the widest piece between two places a line may break, and the whole text."""
    text = _HTML_SPACE.sub(" ", text).strip(" ")  # as white-space: normal does (a no-break space stays)
    if not text:
        return 0.0, 0.0
    widths = [_char_width(ch, bold, serif) for ch in text]
    total = sum(widths)
    if nowrap:
        return total, total
    widest = piece = 0.0
    for i, ch in enumerate(text):
        if ch == " ":  # a space ends a piece and hangs at the end of the line
            widest, piece = max(widest, piece), 0.0
            continue
        prev = text[i - 1] if i else " "
        before = prev != " " and (
            _wide(ch) or _wide(prev) or ch == "—"
            or (prev in _BREAK_AFTER and not (prev in _NOT_BEFORE_DIGIT and ch.isdigit())))
        if before and ch not in _NO_BREAK_BEFORE and prev not in _NO_BREAK_AFTER and not (ch == prev == "—"):
            widest, piece = max(widest, piece), 0.0
        piece += widths[i]
    return max(widest, piece), total


# --------------------------------------------------------------------------- the distribution


def table_column_widths(columns_min: list[float], columns_max: list[float], available: float) -> list[float] | None:
    """Column widths (same unit as the arguments) of an automatic-layout table ``available`` wide,
    as WeasyPrint distributes them (no column has a width or a percentage of its own); None when
    even the min-content widths do not fit."""
    if not columns_max or sum(columns_min) > available:
        return None
    total_max = sum(columns_max)
    if total_max <= available * (1 + _FIT_TOLERANCE):
        if total_max <= 0:
            return [available / len(columns_max)] * len(columns_max)
        ratio = available / total_max  # the excess goes to the columns in proportion to their width
        return [w * ratio for w in columns_max]
    extra = [mx - mn for mn, mx in zip(columns_min, columns_max, strict=True)]
    ratio = (available - sum(columns_min)) / sum(extra)
    return [mn + e * ratio for mn, e in zip(columns_min, extra, strict=True)]


# --------------------------------------------------------------------------- the HTML

_DATA_TABLE = re.compile(r'<table class="(data-table(?: table-[\w-]+)*)">(.*?)</table>', re.DOTALL)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<(th|td)\b([^>]*)>(.*?)</\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_CLASS = re.compile(r'\bclass="([^"]*)"')
# markup a cell may hold and still be measured as text of the table font
_PLAIN_TAGS = re.compile(r"</?(?:a|span|abbr|sup|sub|b|strong)\b[^>]*>")


@dataclass(frozen=True)
class _Cell:
    text: str
    bold: bool
    nowrap: bool


def _rows(body: str, style: str) -> list[list[_Cell]] | None:
    """The cells of a table's rows, or None if the table is not plain enough to be measured."""
    if re.search(r"<table\b|\b(?:col|row)span\s*=|<colgroup\b|<col\b", body, re.IGNORECASE):
        return None
    head, _, _ = body.partition("</thead>")
    in_head = len(head) if "</thead>" in body else 0
    rows: list[list[_Cell]] = []
    for row in _ROW.finditer(body):
        cells: list[_Cell] = []
        for cell in _CELL.finditer(row.group(1)):
            tag, attrs, content = cell.groups()
            if _TAG.search(_PLAIN_TAGS.sub("", content)):
                return None  # <code>, <img>, <br>, …: another font or a forced break
            class_attr = _CLASS.search(attrs)
            classes = (class_attr.group(1) if class_attr else "").split()
            header = tag == "th" or row.start() < in_head
            # white-space as report.css sets it: numbers in the body do not wrap (.data-table .num);
            # in regression tables they do, but the row labels (first column) do not
            if style == "regression":
                nowrap = not header and not cells
            else:
                nowrap = "num" in classes and not header
            cells.append(_Cell(html_lib.unescape(_TAG.sub("", content)), bold=header, nowrap=nowrap))
        rows.append(cells)
    if not rows or len({len(r) for r in rows}) != 1:
        return None  # rows of different lengths: cells spanning columns, which this does not measure
    return rows


def _col_widths(rows: list[list[_Cell]], serif: bool = False) -> list[float] | None:
    """Percentages of the table's width for each column, or None."""
    n = len(rows[0])
    col_min, col_max = [0.0] * n, [0.0] * n
    for row in rows:
        for i, cell in enumerate(row):
            lo, hi = text_widths(cell.text, bold=cell.bold, nowrap=cell.nowrap, serif=serif)
            col_min[i] = max(col_min[i], lo * TABLE_FONT_PT + CELL_PADDING_PT)
            col_max[i] = max(col_max[i], hi * TABLE_FONT_PT + CELL_PADDING_PT)
    widths = table_column_widths(col_min, col_max, TABLE_WIDTH_PT)
    if widths is None:
        return None
    return [100 * w / TABLE_WIDTH_PT for w in widths]


def fix_table_layouts(html: str, *, serif: bool = False) -> str:
    """``html`` with each plain data table (``<table class="data-table …">``) given ``<col>``
    widths and ``table-layout: fixed`` (see the module's docstring). ``serif``: the tables are set
    in a serif font (the theme's body font, which they inherit)."""

    def fix(m: re.Match[str]) -> str:
        classes, body = m.group(1), m.group(2)
        style = "regression" if "table-regression" in classes.split() else ""
        rows = _rows(body, style)
        widths = _col_widths(rows, serif) if rows else None
        if widths is None:
            return m.group(0)
        cols = "".join(f'<col style="width: {w:.3f}%">' for w in widths)
        caption_end = body.find("</caption>")
        at = caption_end + len("</caption>") if caption_end >= 0 else 0
        return (f'<table class="{classes}" style="table-layout: fixed">{body[:at]}<colgroup>{cols}</colgroup>'
                f"{body[at:]}</table>")

    return _DATA_TABLE.sub(fix, html)
