"""HTML → PDF with WeasyPrint, fetching nothing, with the fonts checked afterwards.

The report HTML is self-contained (inline CSS and SVG), so the URL fetcher given to WeasyPrint
refuses everything but ``data:`` URLs: a report that would need the network or a file outside
the build fails with :class:`RenderError` naming the URL instead of silently missing an image.

The PDF is written to a temporary name next to ``path`` and renamed once it is complete and its
fonts are checked: text in Chinese must be set in an embedded CJK font (fonts-noto-cjk), since
a missing glyph would otherwise print as an empty box.

What WeasyPrint lays out is :func:`print_html` of the report, the same pages made cheaper to lay
out: each figure's inline SVG becomes an ``<img>`` of that SVG, lightened (WeasyPrint parses and
draws it much faster than SVG elements that are part of the HTML page; the vectors, the text and
its fonts are the same); each data table gets the column widths its automatic layout would have
(:mod:`reportkit.render.table_widths`); the theme's custom properties are written out. While it
renders, the garbage collector is paused (:class:`_GcPause`). Together these halve the time the
demo report takes (about 3.4 s to 2 s on two cores).

Three variants of the PDF (:data:`PDF_VARIANTS`): ``standard``; ``accessible``, tagged PDF/UA-1
(headings, paragraphs, lists and tables in the structure tree in reading order, the document
language from ``<html lang>``, every figure with its alternative text, from the ``aria-label`` the
report gives its figure); ``archival``, PDF/A-3a (tagged too), with files the build names (the
data pack, ``report-data.xlsx``) embedded as associated files.

WeasyPrint logs through the ``weasyprint`` logger. While rendering, its records are captured:
errors (an unreachable or unusable resource) fail the build; warnings (CSS it ignored, …) are
returned in :attr:`PdfInfo.warnings` and logged at DEBUG on ``reportkit.render.pdf``.
"""

from __future__ import annotations

import base64
import functools
import gc
import logging
import os
import re
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import FILE_MODE
from ..errors import RenderError
from .table_widths import fix_table_layouts

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

LOG = logging.getLogger(__name__)

# inline SVG elements carry SVG presentation properties in `style`; WeasyPrint draws them but also
# warns that they are unknown CSS properties of the HTML page: noise, dropped
_SVG_PROPERTY_WARNING = re.compile(
    r"^Ignored `(fill|stroke|marker|stop-|clip-rule|text-anchor|dominant-baseline|alignment-baseline|"
    r"baseline-shift|shape-rendering|text-rendering|paint-order|vector-effect|color-interpolation|"
    r"flood-|lighting-color|font-stretch)[^`]*` at \d+:\d+, unknown property\.$"
)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")


#: what ``write_pdf(variant=…)`` offers → WeasyPrint's ``pdf_variant`` (None: untagged PDF 1.7)
PDF_VARIANTS: dict[str, str | None] = {"standard": None, "accessible": "pdf/ua-1", "archival": "pdf/a-3a"}


@dataclass(frozen=True)
class PdfInfo:
    """What :func:`write_pdf` wrote."""

    path: Path
    pages: int
    fonts: tuple[str, ...]  # embedded fonts, subset tag removed, e.g. "NotoSansCJKsc-Regular"
    seconds: float
    warnings: tuple[str, ...] = ()  # WeasyPrint warnings, if any
    variant: str = "standard"  # one of PDF_VARIANTS
    attachments: tuple[str, ...] = ()  # names of the embedded files (archival)


# --------------------------------------------------------------------------- URL fetching


def _fetcher_class() -> type[URLFetcher]:
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Serves ``data:`` URLs and refuses everything else, remembering what it refused
        (WeasyPrint swallows some fetch errors, e.g. inside SVG; the list catches those)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), fail_on_errors=True)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            if url[:5].lower() == "data:":
                return super().fetch(url, headers)
            self.refused.append(url)
            raise RenderError(
                f"refused to fetch {url!r}: a report fetches nothing while rendering; inline images "
                "as SVG or data: URLs"
            )

    return LocalOnlyFetcher


def make_url_fetcher() -> URLFetcher:
    """The fetcher :func:`write_pdf` gives WeasyPrint (a ``weasyprint.urls.URLFetcher``)."""
    return _fetcher_class()()


def _refused_error(urls: list[str]) -> RenderError:
    shown = ", ".join(repr(u[:120]) for u in dict.fromkeys(urls))
    return RenderError(
        f"the report references resources outside itself, which are not fetched: {shown}; "
        "the HTML must be self-contained (inline SVG, data: URLs)"
    )


# --------------------------------------------------------------------------- logging


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _captured_weasyprint_log:
    """Collect WeasyPrint's log records instead of letting them reach the root logger."""

    def __enter__(self) -> _Capture:
        self.logger = logging.getLogger("weasyprint")
        self.handler = _Capture()
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False
        return self.handler

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # pragma: no cover - a malformed log call  # noqa: BLE001 - it fails in many ways
        return str(record.msg)


# --------------------------------------------------------------------------- fonts


# what a reader does not see: style sheets, scripts, the <title> and comments (matplotlib's SVG
# names each artist in one); then tags, with their attributes (quoted values may hold ">")
_HIDDEN = re.compile(r"<(style|script|title)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def has_cjk_text(html: str) -> bool:
    """Whether the visible text of ``html`` (SVG text included) has Chinese, Japanese or Korean
    characters."""
    return bool(_CJK_CHAR.search(unescape(_TAG.sub(" ", _HIDDEN.sub(" ", html)))))


def embedded_fonts(pdf_path: Path) -> tuple[str, ...]:
    """Names of the fonts embedded in a PDF (with a font file), subset tags removed, sorted."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    names: set[str] = set()
    seen: set[tuple[int, int]] = set()

    def resolve(obj: Any) -> Any:
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                return None
            seen.add(key)
            return obj.get_object()
        return obj

    def font(obj: Any) -> None:
        f = resolve(obj)
        if f is None:
            return
        for child in f.get("/DescendantFonts", []) or []:
            font(child)
        desc = f.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else None
        if desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            name = str(desc.get("/FontName") or f.get("/BaseFont") or "").lstrip("/")
            names.add(re.sub(r"^[A-Z]{6}\+", "", name))

    def resources(obj: Any) -> None:
        res = resolve(obj)
        if not res:
            return
        for key in ("/Font",):
            fonts = res.get(key)
            fonts = fonts.get_object() if fonts is not None else {}
            for ref in fonts.values():
                font(ref)
        for key in ("/XObject", "/Pattern"):
            group = res.get(key)
            group = group.get_object() if group is not None else {}
            for ref in group.values():
                xo = resolve(ref)
                if xo is not None and "/Resources" in xo:
                    resources(xo["/Resources"])

    reader = PdfReader(str(pdf_path))
    for page in reader.pages:
        if "/Resources" in page:
            resources(page["/Resources"])
    return tuple(sorted(names))


# --------------------------------------------------------------------------- the HTML WeasyPrint lays out

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
# a figure as the templates write it (report/macros.html.j2): its SVG alone in the figure's body
# (check_svg refuses <foreignObject>, so no HTML, hence no "</div>", can be inside the SVG)
_FIGURE_SVG = re.compile(r'(<div class="figure-body"(?: role="img" aria-label="([^"]*)")?>\s*)(<svg\b.*?</svg\s*>)(\s*</div>)',
                         re.DOTALL)
_SVG_OPEN_TAG = re.compile(r"<svg\b[^>]*>")
_SVG_REFERENCE = re.compile(r"""(?:href\s*=\s*["']#|url\(\s*["']?#)([^"')\s]+)""")
# matplotlib's only stylesheet, "*{stroke-linejoin: round; stroke-linecap: butt}": rules that
# match every element, so moving elements out of a <g> cannot change what they match
_UNIVERSAL_RULES = re.compile(r"(?:\*\s*\{[^{}]*\}\s*)*")
_IDENTITY_ROTATION = re.compile(r"rotate\(\s*-?0(?:\.0*)?(?:[\s,]+[-+\d.eE]+){0,2}\s*\)")
# "name: value; …" whose values hold no ":", ";" or "!": declarations that can be attributes as they are
_PLAIN_DECLARATIONS = re.compile(r"\s*(?:[A-Za-z-]+\s*:[^:;!]*(?:;\s*|$))*")


def _declarations(text: str) -> list[tuple[str, str]] | None:
    """The declarations of a ``style`` attribute or a rule's body, or None unless they are plain."""
    if not _PLAIN_DECLARATIONS.fullmatch(text):
        return None
    pairs = (d.partition(":") for d in text.split(";"))
    return [(name.strip().lower(), value.strip()) for name, _, value in pairs if name.strip()]


def _styles_as_attributes(root: ET.Element) -> None:
    """Write the SVG's CSS as presentation attributes, in place, when it is plain (matplotlib's is):
    its universal rules (``*{…}``) on every element, then each ``style`` attribute's declarations,
    which take precedence, as in the cascade. WeasyPrint then parses no CSS and matches no
    selector for each element of the figure."""
    style = f"{{{_SVG_NS}}}style"
    universal: list[tuple[str, str]] = []
    for sheet in root.iter(style):
        for body in re.findall(r"\*\s*\{([^{}]*)\}", sheet.text or ""):
            declarations = _declarations(body)
            if declarations is None:
                return
            universal += declarations
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == style:
                parent.remove(child)
    for el in root.iter():
        for name, value in universal:
            el.set(name, value)
        declarations = _declarations(el.get("style", ""))
        if declarations is not None:
            el.attrib.pop("style", None)
            for name, value in declarations:
                el.set(name, value)


def _lighten_svg(root: ET.Element, referenced: set[str]) -> None:
    """Drop what draws nothing, in place: the ``<g id="…">`` matplotlib wraps around every artist
    (no attribute but an id that nothing in ``referenced`` points to: their children take their
    place) and text rotations by 0 degrees; and write its CSS as attributes
    (:func:`_styles_as_attributes`). Each element costs WeasyPrint a cascade and a graphics state;
    a matplotlib figure has about as many such groups as elements that draw."""
    g, style = f"{{{_SVG_NS}}}g", f"{{{_SVG_NS}}}style"
    if any(not _UNIVERSAL_RULES.fullmatch((el.text or "").strip()) for el in root.iter(style)):
        return  # a stylesheet with selectors that may depend on the tree: keep the tree as it is

    def flatten(parent: ET.Element) -> None:
        children: list[ET.Element] = []
        for child in parent:
            flatten(child)
            if (child.tag == g and set(child.attrib) <= {"id"} and child.get("id") not in referenced
                    and not (child.text or "").strip() and not (child.tail or "").strip()):
                children.extend(child)
            else:
                children.append(child)
        parent[:] = children

    flatten(root)
    for text in root.iter(f"{{{_SVG_NS}}}text"):
        if _IDENTITY_ROTATION.fullmatch(text.get("transform", "").strip()):
            del text.attrib["transform"]
    _styles_as_attributes(root)


def _svg_image(svg: str, alt: str = "") -> str | None:
    """An ``<img>`` of a figure's inline SVG as a ``data:`` URL, or None if that SVG is not
    well-formed XML on its own (then it stays inline: WeasyPrint draws it either way)."""
    tag = _SVG_OPEN_TAG.match(svg)
    if tag is None:
        return None
    declarations = ""
    if "xmlns=" not in tag.group(0):  # prepare_svg drops them: the HTML parser needs none
        declarations += f' xmlns="{_SVG_NS}"'
    if "xmlns:xlink=" not in tag.group(0):
        declarations += f' xmlns:xlink="{_XLINK_NS}"'
    try:
        root = ET.fromstring("<svg" + declarations + svg[4:])
    except ET.ParseError:
        return None
    if root.tag != f"{{{_SVG_NS}}}svg":
        return None
    _lighten_svg(root, {m.group(1) for m in _SVG_REFERENCE.finditer(svg)})
    data = base64.b64encode(ET.tostring(root, encoding="utf-8")).decode("ascii")
    return f'<img class="figure-svg" alt="{alt}" src="data:image/svg+xml;base64,{data}">'


_STYLE_ELEMENT = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.DOTALL | re.IGNORECASE)
_VAR = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)\s*(?:,[^()]*)?\)")
_CUSTOM_PROPERTY_IN_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*(["'])[^"']*--[A-Za-z0-9_-]+\s*:""", re.IGNORECASE)


@functools.lru_cache(maxsize=8)  # the same style sheets build after build
def _custom_properties(css: str) -> tuple[tuple[str, str], ...] | None:
    """The custom properties (``--rk-accent: …``) of ``css``, each resolved to a value without
    ``var()``, if every one is declared in a top-level ``:root`` rule (so each has the same value on
    every element); None otherwise, or if one cannot be resolved."""
    import tinycss2

    declared: dict[str, str] = {}

    def visit(nodes: list, top: bool) -> bool:
        for node in nodes:
            if node.type == "error":
                return False
            if node.type not in ("qualified-rule", "at-rule") or node.content is None:
                continue
            root = top and node.type == "qualified-rule" and tinycss2.serialize(node.prelude).strip() == ":root"
            items = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
            for item in items:
                if item.type == "declaration" and item.name.startswith("--"):
                    if not root or item.important:
                        return False
                    declared[item.name] = tinycss2.serialize(item.value).strip()
            if not visit([i for i in items if i.type != "declaration"], top=False):
                return False
        return True

    if not visit(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), top=True):
        return None
    resolved: dict[str, str] = {}

    def resolve(name: str, seen: tuple[str, ...]) -> str | None:
        if name in resolved:
            return resolved[name]
        value = declared.get(name)
        if value is None or name in seen or value.lower() in ("", "inherit", "initial", "unset", "revert"):
            return None
        failed = False

        def sub(m: re.Match) -> str:
            nonlocal failed
            inner = resolve(m.group(1), (*seen, name))
            failed = failed or inner is None
            return inner or ""

        value = _VAR.sub(sub, value)
        if failed or "var(" in value:
            return None
        resolved[name] = value
        return value

    for name in declared:
        if resolve(name, ()) is None:
            return None
    return tuple(resolved.items())


def _resolve_custom_properties(html: str) -> tuple[str, dict[str, str]]:
    """``html`` with each ``var(--name)`` of its style sheets replaced by the value of ``--name``
    when :func:`_custom_properties` finds them all on ``:root`` (the report's theme properties):
    WeasyPrint resolves a ``var()`` anew for each property of each element, which costs about
    0.07 s for the report; the values, hence the pages, are the same. Also returns the values."""
    sheets = [m.group(2) for m in _STYLE_ELEMENT.finditer(html)]
    if not sheets or _CUSTOM_PROPERTY_IN_ATTRIBUTE.search(html):
        return html, {}
    properties = _custom_properties("\n".join(sheets))
    if not properties:
        return html, {}
    values = dict(properties)

    def sheet(m: re.Match[str]) -> str:
        css = _VAR.sub(lambda v: values.get(v.group(1), v.group(0)), m.group(2))
        return m.group(1) + css + m.group(3)

    return _STYLE_ELEMENT.sub(sheet, html), values


def print_html(html: str) -> str:
    """The report's HTML as WeasyPrint lays it out: each figure's inline SVG (inside
    ``<div class="figure-body">``) becomes an ``<img>`` of the same SVG, lightened by
    :func:`_lighten_svg`, and each data table gets the column widths WeasyPrint's automatic
    layout would give it, measured much faster (:mod:`reportkit.render.table_widths`); the theme's
    custom properties are written out where the style sheets use them
    (:func:`_resolve_custom_properties`).

    Inline, an SVG's elements are elements of the HTML page: WeasyPrint parses them with its HTML
    parser, matches the page's CSS against each of them and parses their ``style`` attributes as
    page CSS (warning about every SVG property), before drawing them from a copy. As an image the SVG
    is parsed once, by ElementTree, with its own stylesheet only: the same drawing (vectors, text
    set in the same fonts) for about a third of the time. ``report.css`` styles ``.figure-body img``
    as ``.figure-body svg``."""

    def image(m: re.Match[str]) -> str:  # the figure's aria-label (escaped as an attribute already) is the image's alt
        img = _svg_image(m.group(3), m.group(2) or "")
        return m.group(0) if img is None else m.group(1) + img + m.group(4)

    html, properties = _resolve_custom_properties(_FIGURE_SVG.sub(image, html))
    # the tables inherit the theme's body font (report.css: html { font-family: var(--rk-font-body) })
    body_font = properties.get("--rk-font-body", "").split(",")[0].lower()
    return fix_table_layouts(html, serif="serif" in body_font and "sans" not in body_font)


# --------------------------------------------------------------------------- garbage collection


class _GcPause:
    """While WeasyPrint renders, the garbage collector neither runs nor scans what existed before.

    Rendering allocates a few hundred thousand objects; in a build, the process already holds as
    many (notebooks, results, modules), and each full collection the allocations trigger scans all
    of them again: three full collections cost ~0.5 s of a ~3 s render. So the objects that exist
    when rendering starts are frozen (:func:`gc.freeze`) and collection is off; afterwards one
    collection of what rendering left (the document, once dropped) runs before everything is
    unfrozen, so nothing rendering made outlives it, and garbage that predates the render is
    collected later as it would have been. Nestable across threads: the first to enter freezes,
    the last to leave collects and restores."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.freeze()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    gc.collect()  # only the objects made since gc.freeze(): rendering's garbage
                    gc.unfreeze()
                    if self._was_enabled:
                        gc.enable()


_gc_paused = _GcPause()


# --------------------------------------------------------------------------- writing


def _render(html: str, target: Path, *, base_url: str, url_fetcher: URLFetcher, variant: str = "standard",
            attachments: tuple[Path, ...] = (), created: datetime | None = None) -> int:
    """Lay out ``html`` and write the PDF to ``target``; the number of pages. The document is
    dropped on return (so :class:`_GcPause` can collect it)."""
    from weasyprint import HTML, Attachment

    options: dict[str, Any] = {}
    if PDF_VARIANTS[variant] is not None:
        options["pdf_variant"] = PDF_VARIANTS[variant]
    if attachments:
        # PDF/A-3 associated files: the data behind the report (relationship "Data"), dated by the build
        options["attachments"] = [
            Attachment(string=path.read_bytes(), name=path.name, relationship="Data",
                       description=path.name, created=created, modified=created) for path in attachments]
    document = HTML(string=print_html(html), base_url=base_url, url_fetcher=url_fetcher).render(**options)
    document.write_pdf(str(target), **options)
    return len(document.pages)



def write_pdf(html: str, path: Path, *, base_dir: Path, variant: str = "standard",
              attachments: tuple[Path, ...] = (), created: datetime | None = None) -> PdfInfo:
    """Render ``html`` to a PDF at ``path`` (written under a temporary name, then renamed).

    ``base_dir`` is the build folder (the base URL of relative references, though none is
    fetched). ``variant``: one of :data:`PDF_VARIANTS`; ``attachments``: files embedded in an
    archival PDF (``created``: their date, the build's). Raises :class:`RenderError` when the HTML
    references anything but ``data:`` URLs, when WeasyPrint reports an error (in a tagged PDF: an
    image without alternative text), or when Chinese text has no embedded CJK font.
    """
    from weasyprint.urls import FatalURLFetchingError

    if variant not in PDF_VARIANTS:
        raise RenderError(f"PDF variant {variant!r} is not offered; expected one of {', '.join(PDF_VARIANTS)}")
    if attachments and variant != "archival":
        raise RenderError(f"files are embedded only in the archival PDF (PDF/A-3); got {len(attachments)} "
                          f"attachment(s) for the {variant!r} variant")
    missing = [str(a) for a in attachments if not Path(a).is_file()]
    if missing:
        raise RenderError(f"cannot embed {', '.join(missing)} in the PDF: no such file")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    fetcher = make_url_fetcher()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)  # as atomic.py names them
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _captured_weasyprint_log() as log:
            try:
                with _gc_paused():
                    pages = _render(html, tmp, base_url=str(Path(base_dir).resolve()), url_fetcher=fetcher,
                                    variant=variant, attachments=tuple(Path(a) for a in attachments), created=created)
            except FatalURLFetchingError as exc:
                raise _refused_error(fetcher.refused or [str(exc)]) from exc.__cause__
        if fetcher.refused:
            raise _refused_error(fetcher.refused)
        errors = [_message(r) for r in log.records if r.levelno >= logging.ERROR]
        if errors:
            raise RenderError("WeasyPrint could not render the report: " + "; ".join(errors[:10]))
        warnings = tuple(dict.fromkeys(
            m for m in (_message(r) for r in log.records if r.levelno < logging.ERROR)
            if not _SVG_PROPERTY_WARNING.match(m)
        ))
        for w in warnings:
            LOG.debug("weasyprint: %s", w)
        fonts = embedded_fonts(tmp)
        if has_cjk_text(html) and not any("CJK" in f.upper() for f in fonts):
            raise RenderError(
                "a CJK font is missing: the report has Chinese text but the PDF embeds no CJK font "
                f"(embedded: {', '.join(fonts) or 'none'}); install fonts-noto-cjk (Debian) so that "
                "fontconfig finds 'Noto Sans CJK SC', then build again"
            )
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PdfInfo(path=path, pages=pages, fonts=fonts, seconds=round(time.perf_counter() - started, 3),
                   warnings=warnings, variant=variant, attachments=tuple(Path(a).name for a in attachments))
