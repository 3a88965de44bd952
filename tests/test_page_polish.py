"""End to end: the pages of the demo report, Chinese and English editions (issue 20, page polish).

* No page is left mostly blank: below the last thing drawn on a page, at most half of the page's
  content area (inside the ``@page`` margins of report.css) is empty, except on the cover and on
  the last page of the table of contents, of a chapter or of the appendix (a chapter starts on a new
  page, so the page before it ends where its text ends). Measured on the rendered page
  (pypdfium2), not on the layout, so it holds whatever moved the content.
* A table's caption is on the same page as its header and first row (tables flow across pages
  with their header repeated: the continuation page starts with the header row).
* No internal column name reaches the client's text: the names of the columns of the data frames
  the notebooks analyse (the demo's data files, the kit's schemas, the model variables the
  notebooks derive from them: logs, lags, leads, tidy coefficient frames, the market and event
  study frames) do not occur in the PDF's text (pypdf) of either edition, except in the appendix's
  record of the analysis runs (:data:`ALLOWED`).

Each edition is built once for the module, on first use, into a temporary folder; the two builds
share a temporary run cache (the sections that do not depend on the language run once).
"""
from __future__ import annotations

import csv
import html as html_lib
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest

from reportkit import i18n
from reportkit.analysis import event_panel, market, models
from reportkit.build import BuildResult, build_report
from reportkit.data import schemas
from reportkit.data.market import read_market_series
from reportkit.params import read_parameters

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"
CSS = ROOT / "templates" / "report" / "report.css"
LANGS = ("zh", "en")

#: the largest share of a page's content area that may be blank below its content
MAX_BLANK = 0.5
#: where internal names are shown on purpose: the appendix's record of the analysis runs (the
#: catalogue's ``report.runs`` heading up to ``report.build``) lists each notebook's parameters by
#: name with the values exactly as passed (``conversion_metric: add_to_cart``): they are what one
#: types to run the section again, the run key is their hash and manifest.json holds the same
ALLOWED = (("runs", "build"),)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_runs) -> Callable[[str], BuildResult]:
    """``built(lang)``: the demo report in ``lang``, built on first use (once per module; the runs
    are the session's, conftest.demo_runs)."""
    tmp = tmp_path_factory.mktemp("page_polish")

    @cache
    def build(lang: str) -> BuildResult:
        return build_report(SPEC, lang=lang, out=tmp / lang, cache_dir=demo_runs)

    return build


# --------------------------------------------------------------------------- measuring pages


def _page_margins_mm() -> tuple[float, float]:
    """The top and bottom margins of the report's pages, from report.css (``@page { margin: … }``)."""
    found = re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:\s*([\d.]+)mm\s+[\d.]+mm\s+([\d.]+)mm", CSS.read_text(encoding="utf-8"))
    assert found, "report.css: no @page { size: A4; margin: <top> <side> <bottom> } rule"
    return float(found[1]), float(found[2])


def blank_below_content(pdf: Path, *, dpi: int = 36) -> list[float]:
    """Per page, the share of the content area (inside the top and bottom page margins, where the
    running header and footer live) that is blank below the last drawn content: 0.0 a full page,
    1.0 an empty one. Anything darker than near-white is content (text, rules, zebra rows)."""
    top_mm, bottom_mm = _page_margins_mm()
    scale = dpi / 25.4  # pixels per mm
    shares = []
    doc = pdfium.PdfDocument(str(pdf))
    try:
        for page in doc:
            image = np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            top, bottom = int(top_mm * scale) + 1, image.shape[0] - int(bottom_mm * scale) - 1
            inked = np.flatnonzero((image[top:bottom] < 235).any(axis=1))
            last = int(inked[-1]) + 1 if len(inked) else 0
            shares.append(1 - last / (bottom - top))
    finally:
        doc.close()
    return shares


def page_of_anchor(pdf: Path) -> dict[str, int]:
    """Every anchor (HTML id) WeasyPrint wrote as a named destination → its page (1-based)."""
    reader = pypdf.PdfReader(pdf)
    return {name: reader.get_destination_page_number(dest) + 1 for name, dest in reader.named_destinations.items()}


def section_ends(result: BuildResult) -> set[int]:
    """The pages where a part that the next part follows on a new page ends (contents, summary,
    chapters, appendix, notebooks: report.css breaks before each), and the last page."""
    html = result.outputs["html"].read_text(encoding="utf-8")
    anchors = page_of_anchor(result.outputs["pdf"])
    starts = sorted(anchors[a] for a in re.findall(r'<(?:nav|section) class="(?:toc|chapter)\b[^"]*" id="([^"]+)"', html))
    assert len(starts) >= 5, starts  # contents, summary, three chapters, appendix
    return {s - 1 for s in starts[1:]} | {len(pypdf.PdfReader(result.outputs["pdf"]).pages)}


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages]


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", html_lib.unescape(re.sub(r"<[^>]+>", "", text)))


def data_tables(html: str) -> Iterator[tuple[str, str, str, str]]:
    """Each data table of the report: anchor, caption, first header cell, first body cell (text,
    without white space)."""
    for m in re.finditer(r'<div class="table-block" id="([^"]+)">.*?<caption[^>]*>(.*?)</caption>.*?<th[^>]*>(.*?)</th>'
                         r'.*?<tbody>\s*<tr[^>]*>\s*<td[^>]*>(.*?)</td>', html, re.S):
        yield m[1], _squeeze(m[2]), _squeeze(m[3]), _squeeze(m[4])


# --------------------------------------------------------------------------- internal names


@cache
def internal_column_names() -> frozenset[str]:
    """The names of the columns of the data frames the demo's notebooks analyse."""
    names: set[str] = {*schemas.METRICS, *schemas.DESCRIPTIVE_COLUMNS, *schemas.SERIES_EXTRA_COLUMNS,
                       *schemas.PANEL.columns, *schemas.MARKET_SERIES.columns, *models.TIDY_COLUMNS,
                       event_panel.ENTITY, event_panel.PERIOD, event_panel.COHORT, event_panel.EVENT,
                       event_panel.TREATED, event_panel.OUTCOME, event_panel.GROUP}
    for path in [*ROOT.glob("data/*.csv"), *ROOT.glob("data/simulated/*.csv")]:  # the demo's data files
        with path.open(encoding="utf-8", newline="") as f:
            names.update(next(csv.reader(f)))
    # the roles a market notebook maps the columns to, and the frames it builds from them
    params = read_parameters(ROOT / "notebooks" / "market_trends.ipynb").defaults()
    ms = read_market_series(ROOT / params["data_path"], columns=params["columns"])
    part = read_market_series(ROOT / params["share_path"], columns=params["share_columns"])
    detail = read_market_series(ROOT / params["detail_path"], columns=params["detail_columns"],
                                values=params["detail_values"], unit=ms.unit)
    for frame in (market.growth_table(ms), market.share_table(part), market.contribution_table(part),
                  market.period_values(detail, int(params["last_period"]))):
        names.update(map(str, frame.columns))
    for role_map in (params["columns"], params["share_columns"]):
        names.update(role_map.values())
    # the model variables the notebooks derive: logs, lags and leads (dynamics.shift_within)
    for metric in schemas.METRICS:
        shifted = [f"{metric}_{kind}{k}" for kind in "lf" for k in range(1, 9)]
        names.update([metric, *shifted, *(f"{prefix}{name}" for prefix in ("log_", "log1p_") for name in (metric, *shifted))])
    return frozenset(n for n in names if n)


def _client_text(texts: list[str], lang: str) -> str:
    """The PDF's text without the parts in :data:`ALLOWED`."""
    text = "\n".join(texts)
    strings = i18n.catalogue("report", lang)
    for start_key, end_key in ALLOWED:
        start = text.rindex(strings[start_key])
        end = text.index(strings[end_key], start)
        text = text[:start] + text[end:]
    return text


def leaked_names(text: str, lang: str) -> set[str]:
    """Internal column names among the words of ``text``: the snake_case ones in any edition; in the
    Chinese edition also the single words (``likes``, ``brand``): its text labels every column in
    Chinese, while in English "orders" or "brand" are words of the prose."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    found = words & internal_column_names()
    return found if lang == "zh" else {w for w in found if "_" in w}


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_is_mostly_blank_except_the_cover_and_section_ends(built, lang):
    result = built(lang)
    blank = blank_below_content(result.outputs["pdf"])
    allowed = {1} | section_ends(result)
    mostly_blank = {page: round(share, 2) for page, share in enumerate(blank, 1) if share > MAX_BLANK and page not in allowed}
    assert not mostly_blank, f"{lang}: pages more than half blank (page: blank share): {mostly_blank}"


def _pages(result) -> tuple[str, list[str], dict[str, int]]:
    """The build's HTML, each PDF page's text (squeezed) and the page of each anchor."""
    pdf = result.outputs["pdf"]
    return (result.outputs["html"].read_text(encoding="utf-8"), [_squeeze(t) for t in page_texts(pdf)],
            page_of_anchor(pdf))


@pytest.mark.parametrize("lang", LANGS)
def test_a_table_starts_with_its_caption_header_and_first_row_on_one_page(built, lang):
    html, texts, anchors = _pages(built(lang))
    tables = list(data_tables(html))
    assert len(tables) >= 15, len(tables)
    for anchor, caption, header, first in tables:
        page = texts[anchors[anchor] - 1]
        assert caption in page, f"{lang}: the caption of {anchor} is not on page {anchors[anchor]}"
        after = page[page.index(caption) + len(caption):]
        assert header in after and first[:12] in after, (
            f"{lang}: {anchor}'s caption is on page {anchors[anchor]} but its header or first row is not")


@pytest.mark.parametrize("lang", LANGS)
def test_a_table_continued_on_the_next_page_repeats_its_header(built, lang):
    html, texts, anchors = _pages(built(lang))
    continued = 0
    for anchor, caption, header, _first in data_tables(html):
        block = re.search(rf'<div class="table-block" id="{anchor}">.*?</tbody>', html, re.S)
        # the last row's first two cells, as text extraction writes a row (figures' labels, also in
        # the text, hold single values such as "2024", never "2024155,225")
        last = "".join(_squeeze(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", block[0].rsplit("<tr", 1)[1], re.S)[:2])
        page = anchors[anchor]
        start = texts[page - 1]
        if last[:24] in start[start.index(caption) + len(caption):]:
            continue  # the table ends on the page where it starts
        continued += 1
        assert texts[page].startswith(header), f"{lang}: {anchor} continues on page {page + 1} without its header row"
    if not continued:
        pytest.skip(f"{lang}: every table of the demo fits on the page where it starts")


@pytest.mark.parametrize("lang", LANGS)
def test_no_internal_column_name_in_the_client_text(built, lang):
    texts = page_texts(built(lang).outputs["pdf"])
    leaked = leaked_names(_client_text(texts, lang), lang)
    assert not leaked, f"{lang}: internal column names in the PDF's text: {sorted(leaked)}"


def test_the_name_check_would_see_a_leak():
    """The check itself: the names it looks for include the model variables and the data's columns,
    and the allowed part is only the record of the runs."""
    names = internal_column_names()
    assert {"add_to_cart", "engagement_l1", "log_engagement_l2", "online_yoy_official_pct", "yoy_from_levels_pct",
            "adoption_week", "likes", "p_value"} <= names
    assert leaked_names("删除 16 行（engagement_l1：8）；likes 108.6", "zh") == {"engagement_l1", "likes"}
    assert leaked_names("dropped 16 rows (engagement_l1: 8); likes and orders", "en") == {"engagement_l1"}
    strings = i18n.catalogue("report", "en")
    text = ["Intro", f"{strings['runs']}\nParameters conversion_metric add_to_cart", f"{strings['build']}\nEdition"]
    assert "add_to_cart" not in _client_text(text, "en") and "Intro" in _client_text(text, "en")


#: Chinese characters and the full-width punctuation of Chinese text (（）：，、。…)
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def test_the_english_edition_has_no_chinese_text(built):
    """An English reader meets no Chinese: units in words ("100 mn yuan", not 亿元), a series' English
    name, ASCII brackets; only the record of the runs shows parameters exactly as passed."""
    texts = page_texts(built("en").outputs["pdf"])
    lines = [line for line in _client_text(texts, "en").splitlines() if _CHINESE.search(line)]
    assert not lines, "Chinese in the English edition:\n" + "\n".join(lines[:20])
