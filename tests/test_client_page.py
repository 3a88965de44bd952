"""The client's page, DEST/<client>/index.html: what changed between versions, downloads with sizes
and hashes, key figures as the report shows them, the cover thumbnail (released and verified),
escaping, no external reference, links inside the client's folder, the page's and each card's
language. Then (slow) two versions of a real build published and opened in headless Chromium:
no console errors, every link resolves, the keyboard reaches the downloads, screenshots at 1280
and 390 px."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser import browser, check_links, outside, screenshots, tab_through, visit  # noqa: F401 - browser: fixture
from test_manifest import sample_manifest

from reportkit import hanzi, i18n
from reportkit.i18n import TranslationError
from reportkit.manifest import DataFile, GitState, Manifest, MetricEntry, OutputFile, SectionEntry
from reportkit.publish import open_store, publish, verify
from reportkit.publish.client_page import COVER, COVER_WIDTH, Change, cover_thumbnail, version_changes
from reportkit.publish.release import releases_of
from reportkit.render.pages import page_strings

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
REPORT = "china-ecommerce-2024"


# --------------------------------------------------------------------------- helpers


def tiny_pdf(width: float = 595, height: float = 842) -> bytes:
    """A one-page PDF (A4, blank), made with PDFium."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    doc.new_page(width, height)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def market(parameters: dict | None = None, run_key: str = "abc", metrics: dict | None = None) -> SectionEntry:
    return SectionEntry(
        id="market", notebook="notebooks/market_trends.ipynb", executed_notebook="runs/market.ipynb",
        parameters=parameters if parameters is not None else {"series": "online_retail"}, run_key=run_key,
        reused_from_cache=False, inputs={},
        metrics=metrics if metrics is not None else {
            "level_latest": MetricEntry(155225, "亿元", "网上零售额", None, None, 0),
            "cagr": MetricEntry(7.91, "%", "年均增速", None, None, 1)})


def make_build(folder: Path, *, pack: bool = True, pdf: bytes | None = None, html: str = "<p>报告</p>",
               **changes) -> Path:
    """A finished build as `reportkit build` leaves it (a real one-page PDF; the data pack if ``pack``)."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {"report.html": html.encode("utf-8"), "report.pdf": pdf if pdf is not None else tiny_pdf()}
    if pack:
        outputs["report-data.xlsx"] = b"PK\x03\x04 data pack of " + html.encode("utf-8")
    for name, data in outputs.items():
        (folder / name).write_bytes(data)
    fields = {"report": REPORT, "title": "中国电子商务行业发展报告", "language": "zh",
              "outputs": {"html": "report.html", "pdf": "report.pdf"},
              "files": tuple(OutputFile(n, len(d), hashlib.sha256(d).hexdigest()) for n, d in outputs.items()),
              "sections": (market(),), "summary": ("market.level_latest", "market.cagr"), **changes}
    (folder / "manifest.json").write_text(sample_manifest(**fields).to_json(), encoding="utf-8")
    return folder


class Page(HTMLParser):
    """The parts of a page the tests look at: every tag with its attributes, the text, the CSS."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.css: list[str] = []
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        (self.css if self._in and self._in[-1] == "style" else self.text).append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    @property
    def hrefs(self) -> list[str]:
        return [str(a["href"]) for a in self.all("a")]


def client_page(dest: Path, client: str = "acme") -> tuple[str, Page]:
    html = (dest / client / "index.html").read_text(encoding="utf-8")
    return html, Page(html)


def two_versions(tmp_path: Path, **second) -> tuple[Path, str, str]:
    """Publish a first build, then a second one (its manifest changed by ``second``) for acme."""
    dest = tmp_path / "dest"
    v1 = publish(make_build(tmp_path / "b1", release_notes="首次发布说明"), dest, client="acme")[0].version
    changes = {"generated": "2026-12-01T00:00:00+00:00",
               "sections": (market({"series": "online_retail", "start": 2015}, run_key="def"),),
               "data": (DataFile("data/nbs_online_retail_annual.csv", "f" * 64, "国家统计局", "CC-BY"),),
               "reportkit_version": "0.2.0", "git": GitState("1" * 40, False),
               "release_notes": "新增 2015 年起的数据", **second}
    v2 = publish(make_build(tmp_path / "b2", html="<p>第二版</p>", **changes), dest, client="acme")[0].version
    return dest, v1, v2


# --------------------------------------------------------------------------- the build manifest


def test_the_manifest_carries_the_summary_the_release_notes_and_each_metrics_decimals():
    manifest = sample_manifest(sections=(market(),), summary=("market.cagr",), release_notes="修订说明")
    data = json.loads(manifest.to_json())
    assert data["summary"] == ["market.cagr"] and data["release_notes"] == "修订说明"
    assert data["sections"][0]["metrics"]["cagr"]["decimals"] == 1
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_a_manifest_from_before_the_summary_and_release_notes_still_reads():
    data = json.loads(sample_manifest().to_json())
    for key in ("summary", "release_notes"):
        del data[key]
    del data["sections"][0]["metrics"]["cagr"]["decimals"]
    again = Manifest.from_json(json.dumps(data))
    assert again.summary == () and again.release_notes is None and again.sections[0].metrics["cagr"].decimals is None


def test_the_release_manifest_keeps_the_summary_release_notes_and_metrics(tmp_path):
    [release] = publish(make_build(tmp_path / "b", release_notes="说明"), tmp_path / "dest", client="acme")
    manifest = json.loads((tmp_path / "dest" / "acme" / REPORT / release.version / "manifest.json").read_text("utf-8"))
    assert manifest["build"]["summary"] == ["market.level_latest", "market.cagr"]
    assert manifest["build"]["release_notes"] == "说明"
    assert manifest["build"]["sections"][0]["metrics"]["cagr"]["decimals"] == 1


# --------------------------------------------------------------------------- what changed


def test_changes_between_versions_come_from_the_manifests(tmp_path):
    dest, v1, v2 = two_versions(tmp_path)
    newer, older = releases_of(open_store(dest), "acme")[REPORT]
    assert (newer["version"], older["version"]) == (v2, v1)
    changes = version_changes(newer, older)
    assert Change("parameter_added", "market", "start", new="2015") in changes
    assert Change("data_changed", "data/nbs_online_retail_annual.csv", old="a" * 12, new="f" * 12) in changes
    assert Change("reportkit", old="0.1.0", new="0.2.0") in changes
    assert Change("commit", old="0" * 12, new="1" * 12) in changes
    assert not any(c.kind == "run" for c in changes)  # the parameter change explains the new run key
    assert version_changes(older, None) == []


def test_each_kind_of_change_is_found():
    def release(build: dict) -> dict:
        return {"version": "v", "build": build}

    old = release({"sections": [{"id": "a", "notebook": "a.ipynb", "parameters": {"x": 1, "y": [1, 2]}, "run_key": "k1"},
                                {"id": "gone", "notebook": "g.ipynb", "parameters": {}, "run_key": "g"},
                                {"id": "same", "notebook": "s.ipynb", "parameters": {"p": 1}, "run_key": "s1"}],
                   "data": [{"path": "d.csv", "sha256": "1" * 64}, {"path": "old.csv", "sha256": "2" * 64}],
                   "git": {"commit": "c" * 40, "dirty": False}, "reportkit_version": "0.1.0",
                   "environment": {"pandas": "3.0", "duckdb": "2.0"}})
    new = release({"sections": [{"id": "a", "notebook": "b.ipynb", "parameters": {"x": 2, "z": "新"}, "run_key": "k2"},
                                {"id": "same", "notebook": "s.ipynb", "parameters": {"p": 1}, "run_key": "s2"},
                                {"id": "added", "notebook": "n.ipynb", "parameters": {}, "run_key": "n"}],
                   "data": [{"path": "d.csv", "sha256": "1" * 64}, {"path": "new.csv", "sha256": "3" * 64}],
                   "git": {"commit": "c" * 40, "dirty": True}, "reportkit_version": "0.1.0",
                   "environment": {"pandas": "3.1", "duckdb": "2.0", "pyarrow": "26"}})
    assert version_changes(new, old) == [
        Change("section_removed", "gone"),
        Change("parameter_changed", "a", "x", "1", "2"),
        Change("parameter_removed", "a", "y", old="[1, 2]"),
        Change("parameter_added", "a", "z", new="新"),
        Change("notebook", "a", old="a.ipynb", new="b.ipynb"),
        Change("run", "same", old="s1", new="s2"),  # same parameters and notebook: its code or an input changed
        Change("section_added", "added"),
        Change("data_removed", "old.csv", old="2" * 12),
        Change("data_added", "new.csv", new="3" * 12),
        Change("commit", old="c" * 12, new="c" * 12 + "-dirty"),
        Change("environment", "pandas", "", "3.0", "3.1"),
        Change("environment", "pyarrow", "", "—", "26"),
    ]
    assert version_changes(new, new) == []


def test_the_history_shows_changes_release_notes_and_older_versions_files(tmp_path):
    dest, v1, v2 = two_versions(tmp_path)
    html, page = client_page(dest)
    text = " ".join(page.text)
    zh = i18n.catalogue("client_page", "zh")
    assert "新增 2015 年起的数据" in text and "首次发布说明" in text
    assert zh["first_release"] in text and zh["history"] in text
    assert "<code>market</code>：新增参数 <code>start</code>，取值 <code>2015</code>" in html
    assert f"<code>{'a' * 12}</code> → <code>{'f' * 12}</code>" in html
    assert f"{REPORT}/{v1}/report.pdf" in page.hrefs  # the older version's files stay linked
    assert text.index(v2) < text.index(v1)  # newest first


def test_release_notes_the_spec_did_not_change_are_not_repeated(tmp_path):
    dest, _, _ = two_versions(tmp_path, release_notes="首次发布说明")
    _, page = client_page(dest)
    assert " ".join(page.text).count("首次发布说明") == 1
    _, page = client_page(two_versions(tmp_path / "again", release_notes=None)[0])
    assert "首次发布说明" in " ".join(page.text)


# --------------------------------------------------------------------------- downloads, cover, figures


def test_downloads_of_the_latest_version_with_sizes_and_hashes(tmp_path):
    dest, _, v2 = two_versions(tmp_path)
    html, page = client_page(dest)
    folder = dest / "acme" / REPORT / v2
    downloads = [a["href"] for t, a in page.tags if t == "a" and "download-link" in str(a.get("class"))]
    assert downloads[:4] == [f"{REPORT}/{v2}/{n}" for n in ("report.pdf", "report.html", "report-data.xlsx",
                                                             "manifest.json")]
    for name in ("report.pdf", "report.html", "report-data.xlsx"):
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() in html
    size = (folder / "report-data.xlsx").stat().st_size
    assert f"<code>report-data.xlsx</code> · {size} 字节" in html
    assert "数据包（Excel）" in html


def test_the_data_pack_is_published_only_when_the_build_has_it(tmp_path):
    [with_pack] = publish(make_build(tmp_path / "a"), tmp_path / "dest", client="acme")
    [without] = publish(make_build(tmp_path / "b", pack=False, html="<p>无数据包</p>"), tmp_path / "dest", client="beta")
    assert "report-data.xlsx" in with_pack.files and "report-data.xlsx" not in without.files
    assert verify(tmp_path / "dest" / "acme" / REPORT / with_pack.version) == []
    html, _ = client_page(tmp_path / "dest", "beta")
    assert "report-data.xlsx" not in html


def test_the_cover_thumbnail_is_released_listed_and_verified(tmp_path):
    [release] = publish(make_build(tmp_path / "b"), tmp_path / "dest", client="acme")
    folder = tmp_path / "dest" / "acme" / REPORT / release.version
    png = (folder / COVER).read_bytes()
    assert release.files[COVER] == {"sha256": hashlib.sha256(png).hexdigest(), "bytes": len(png)}
    assert verify(folder) == []
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, depth, colour) == (COVER_WIDTH, 8, 2) and abs(height / width - 842 / 595) < 0.01
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == height * (1 + width * 3)
    _, page = client_page(tmp_path / "dest")
    [img] = [a for a in page.all("img") if a.get("src", "").endswith(COVER)]
    assert img["src"] == f"{REPORT}/{release.version}/{COVER}" and "中国电子商务行业发展报告" in str(img["alt"])
    (folder / COVER).write_bytes(png[:-1])
    assert any(COVER in p for p in verify(folder))


def test_a_pdf_pdfium_cannot_read_is_published_without_a_thumbnail(tmp_path):
    assert cover_thumbnail(b"%PDF-1.7 not really") is None
    [release] = publish(make_build(tmp_path / "b", pdf=b"%PDF-1.7 not really"), tmp_path / "dest", client="acme")
    assert COVER not in release.files
    _, page = client_page(tmp_path / "dest")
    assert not [a for a in page.all("img") if a.get("src", "").endswith(COVER)]


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", ["155,225 亿元", "7.9%"]),
    ("en", ["15.52 trn yuan", "7.9%"]),
])
def test_key_figures_are_the_summary_formatted_as_the_report_shows_them(tmp_path, lang, expected):
    publish(make_build(tmp_path / "b", language=lang), tmp_path / "dest", client="acme")
    html, page = client_page(tmp_path / "dest")
    figures = [a for t, a in page.tags if t == "li" and a.get("class") == "kpi"]
    assert len(figures) == 2
    text = "".join(page.text)
    for value in expected:
        assert value in text
    assert "年均增速" in text  # the metric's label as recorded


def test_no_summary_no_key_figures(tmp_path):
    publish(make_build(tmp_path / "b", summary=()), tmp_path / "dest", client="acme")
    _, page = client_page(tmp_path / "dest")
    assert not [a for t, a in page.tags if t == "li" and a.get("class") == "kpi"]


# --------------------------------------------------------------------------- safety


def test_every_string_from_the_manifests_is_escaped(tmp_path):
    evil = '<script>alert("x")</script>'
    dest = tmp_path / "dest"
    publish(make_build(tmp_path / "b1", title=f"标题{evil}"), dest, client="acme")
    publish(make_build(tmp_path / "b2", html="<p>2</p>", generated="2026-12-01T00:00:00+00:00", title=f"标题{evil}",
                       release_notes=f"说明 {evil} & <img src=x onerror=alert(1)>",
                       sections=(market({"series": evil}, metrics={
                           "level_latest": MetricEntry(1, "亿元", f"标签{evil}", None, None, None)}),)),
            dest, client="acme")
    html, page = client_page(dest)
    assert "<script" not in html and "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html
    assert page.all("script") == []
    text = " ".join(page.text)
    assert f"标题{evil}" in text and f"标签{evil}" in text  # shown as text


def test_the_page_references_nothing_outside_the_client_folder(tmp_path):
    dest, _, _ = two_versions(tmp_path)
    html, page = client_page(dest)
    assert page.all("script") == [] and page.all("link") == [] and page.all("iframe") == []
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "action", "poster"):
            value = attrs.get(name)
            if value is None:
                continue
            parts = urlsplit(value)
            assert parts.scheme in ("", "data") and not parts.netloc and not value.startswith("/"), (tag, value)
    css = "".join(page.css)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "http:" not in html and "https:" not in html and "//" not in css.replace("://", "")


def test_every_link_resolves_to_a_file_inside_the_client_folder(tmp_path):
    dest, _, _ = two_versions(tmp_path)
    _, page = client_page(dest)
    client = (dest / "acme").resolve()
    ids = {a.get("id") for _, a in page.tags}
    for href in page.hrefs:
        if href.startswith("#"):
            assert href[1:] in ids, href
            continue
        target = (client / unquote(href)).resolve()
        assert target.is_relative_to(client) and target.is_file(), href
    for img in page.all("img"):
        src = str(img["src"])
        assert src.startswith("data:image/svg+xml;base64,") or (client / unquote(src)).is_file(), src


# --------------------------------------------------------------------------- languages


def test_the_page_speaks_the_latest_releases_language_and_each_card_its_own(tmp_path):
    dest = tmp_path / "dest"
    publish(make_build(tmp_path / "zh", report="market-zh"), dest, client="acme")
    publish(make_build(tmp_path / "en", report="market-en", language="en", title="China e-commerce",
                       html="<p>en</p>", generated="2026-12-02T00:00:00+00:00"), dest, client="acme")
    html, page = client_page(dest)
    [root] = page.all("html")
    assert root["lang"] == i18n.html_lang("en")
    en, zh = i18n.catalogue("client_page", "en"), i18n.catalogue("client_page", "zh")
    text = " ".join(page.text)
    assert en["history"] in text and zh["history"] in text  # the zh card in Chinese
    cards = [a for t, a in page.tags if t == "article"]
    assert [c.get("lang") for c in cards] == [None, i18n.html_lang("zh")]  # newest first; only the other language marked
    assert text.index("China e-commerce") < text.index("中国电子商务行业发展报告")


def test_a_variant_edition_gets_its_strings_through_i18n(tmp_path):
    convert = hanzi.converter("zh-Hant")
    strings = page_strings("client_page", "zh-Hant")
    assert strings["history"] == convert(i18n.catalogue("client_page", "zh")["history"])
    publish(make_build(tmp_path / "b", language="zh-Hant", title="中國電子商務"), tmp_path / "dest", client="acme")
    html, page = client_page(tmp_path / "dest")
    assert page.all("html")[0]["lang"] == i18n.html_lang("zh-Hant")
    assert convert("年均增速") in " ".join(page.text)  # metric labels, recorded in zh, shown converted


def test_a_key_missing_from_a_catalogue_fails_naming_the_language(catalogue_without):
    catalogue_without("en", "no_changes")
    page_strings.cache_clear()
    try:
        with pytest.raises(TranslationError, match="no 'en' entry"):
            page_strings("client_page", "en")
        assert page_strings("client_page", "zh")["no_changes"]
    finally:
        page_strings.cache_clear()


def test_the_page_is_the_same_when_nothing_changed(tmp_path):
    dest, _, _ = two_versions(tmp_path)
    first = (dest / "acme" / "index.html").read_bytes()
    publish(tmp_path / "b2", dest, client="acme")
    assert (dest / "acme" / "index.html").read_bytes() == first


# --------------------------------------------------------------------------- in a real browser


def real_spec(folder: Path, *, n: int, data: str, notes: str) -> Path:
    """A one-section report (tests/notebooks/records.ipynb) with a key figure, a data file and notes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.csv").write_text(data, encoding="utf-8")
    spec = folder / "r.yaml"
    spec.write_text(
        f"""id: demo-report
title: {{zh: 演示报告 <样例>, en: Demo report <sample>}}
theme: acme
outputs: [html, pdf]
summary: [only.total]
release_notes: {{zh: "{notes}", en: "{notes}"}}
sections:
  - id: only
    notebook: {NOTEBOOKS / "records.ipynb"}
    title: 一
    parameters: {{n: {n}}}
data:
  - path: input.csv
    source: test
""",
        encoding="utf-8",
    )
    return spec


def add_data_pack(build: Path) -> None:
    """Give a real build the data pack another part of the kit writes (openpyxl), recorded in its manifest."""
    if (build / "report-data.xlsx").is_file():
        return
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["metric", "value"])
    book.active.append(["total", 3.0])
    book.save(build / "report-data.xlsx")
    manifest = Manifest.read(build / "manifest.json")
    manifest = dataclasses.replace(manifest, files=(*manifest.files, OutputFile.of(build / "report-data.xlsx", build)))
    (build / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """Two versions of a small real build (kernels, HTML, PDF) published for client acme."""
    from reportkit.build import build_report

    tmp = tmp_path_factory.mktemp("client-page")
    dest = tmp / "dest"
    for n, (params, data, notes) in enumerate([(2, "a\n1\n", "首次发布"), (4, "a\n2\n", "样本扩大到 4 个")], start=1):
        result = build_report(real_spec(tmp / f"v{n}", n=params, data=data, notes=notes), out=tmp / f"build{n}",
                              cache_dir=tmp / "cache")
        add_data_pack(result.out_dir)
        publish(result.out_dir, dest, client="acme")
    return dest


@pytest.mark.slow
@pytest.mark.e2e
def test_the_client_page_in_chromium(released, browser, tmp_path):  # noqa: F811 - the fixture imported above
    page_file = released / "acme" / "index.html"
    url = page_file.as_uri()
    versions = releases_of(open_store(released), "acme")["demo-report"]
    assert len(versions) == 2 and COVER in versions[0]["files"]

    seen = visit(browser, url)
    try:
        assert seen.problems == [], seen.problems
        assert outside(seen.requested, released / "acme") == [], "the page loads something from elsewhere"
        page = seen.page
        assert page.evaluate("() => document.documentElement.lang") == i18n.html_lang("zh")
        levels = page.eval_on_selector_all("h1, h2, h3, h4", "els => els.map(e => Number(e.tagName[1]))")
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
        cover = page.locator(f"img[src$='{COVER}']")
        assert cover.count() == 1 and cover.evaluate("img => img.complete && img.naturalWidth") == COVER_WIDTH
        hrefs = check_links(page, page_file, released / "acme")
        assert any(h.endswith("/report-data.xlsx") for h in hrefs)
        text = page.inner_text("body")
        assert "演示报告 <样例>" in text and "样本扩大到 4 个" in text
        assert "参数 n 由 2 改为 4" in " ".join(text.split())  # the change, computed from the manifests
        assert "input.csv" in text  # its hash changed

        stops = tab_through(page)
        assert stops[0]["href"] == "#main"  # the skip link comes first
        downloads = [s for s in stops if s["download"]]
        assert downloads and downloads[0]["href"].endswith("/report.pdf")
        assert all(s["visible"] and not s["outline"].startswith("none") for s in stops[:len(stops) // 2]
                   if s["tag"] == "a"), [s for s in stops if s["outline"].startswith("none")]
        page.keyboard.press("Home")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link moves the focus to the main content
        assert page.evaluate("() => document.activeElement.id") == "main"
    finally:
        seen.close()

    shots = screenshots(browser, url, tmp_path / "screenshots", "client-page")
    assert [p.stat().st_size > 10_000 for p in shots] == [True, True]
