"""HTML → PDF with WeasyPrint, fetching nothing, with the fonts checked afterwards.

The report HTML is self-contained (inline CSS and SVG), so the URL fetcher given to WeasyPrint
refuses everything but ``data:`` URLs: a report that would need the network or a file outside
the build fails with :class:`RenderError` naming the URL instead of silently missing an image.

The PDF is written to a temporary name next to ``path`` and renamed once it is complete and its
fonts are checked: text in Chinese must be set in an embedded CJK font (fonts-noto-cjk), since
a missing glyph would otherwise print as an empty box.

WeasyPrint logs through the ``weasyprint`` logger. While rendering, its records are captured:
errors (an unreachable or unusable resource) fail the build; warnings (CSS it ignored, …) are
returned in :attr:`PdfInfo.warnings` and logged at DEBUG on ``reportkit.render.pdf``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import FILE_MODE
from ..errors import RenderError

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


@dataclass(frozen=True)
class PdfInfo:
    """What :func:`write_pdf` wrote."""

    path: Path
    pages: int
    fonts: tuple[str, ...]  # embedded fonts, subset tag removed, e.g. "NotoSansCJKsc-Regular"
    seconds: float
    warnings: tuple[str, ...] = ()  # WeasyPrint warnings, if any


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


class _TextOnly(HTMLParser):
    """Visible text of an HTML page (no CSS, no comments such as matplotlib's label comments)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def has_cjk_text(html: str) -> bool:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return bool(_CJK_CHAR.search("".join(parser.parts)))


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


# --------------------------------------------------------------------------- writing


def write_pdf(html: str, path: Path, *, base_dir: Path) -> PdfInfo:
    """Render ``html`` to a PDF at ``path`` (written under a temporary name, then renamed).

    ``base_dir`` is the build folder (the base URL of relative references, though none is
    fetched). Raises :class:`RenderError` when the HTML references anything but ``data:`` URLs,
    when WeasyPrint reports an error, or when Chinese text has no embedded CJK font.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

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
                document = HTML(string=html, base_url=str(Path(base_dir).resolve()), url_fetcher=fetcher).render()
                document.write_pdf(str(tmp))
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
        pages = len(document.pages)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PdfInfo(path=path, pages=pages, fonts=fonts, seconds=round(time.perf_counter() - started, 3),
                   warnings=warnings)
