"""Checks of the report's fonts: characters of the visible text that the report fonts cannot draw.

:func:`check_glyphs` finds characters the report fonts (:data:`REPORT_FONTS`) cannot draw (they
would print as empty boxes or in a fallback font); :func:`font_coverage` is the union of the
fonts' code points, :func:`visible_text` the text a reader sees.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from ..atomic import write_atomic
from ..hanzi import font_family
from .problems import Problem
from .problems import excerpt as _excerpt

__all__ = ["REPORT_FONTS", "check_glyphs", "font_coverage", "report_fonts", "visible_text"]


#: fontconfig patterns of the report's fonts (templates/themes: body, bold headings, code)
REPORT_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Sans CJK SC:bold", "Noto Sans Mono CJK SC")
_NOT_DRAWN = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def report_fonts(lang: str) -> tuple[str, ...]:
    """The report fonts of the edition ``lang``: :data:`REPORT_FONTS` in the region's faces for a
    Traditional Chinese edition (Noto Sans CJK TC for ``zh-Hant``, HK for ``zh-HK``), as rendered."""
    return tuple(font_family(f, lang) for f in REPORT_FONTS)


_FC_MATCHED: dict[str, tuple[str, int, str]] = {}


def _fc_match(pattern: str) -> tuple[str, int, str] | str:
    """(file, face index, family) fontconfig picks for ``pattern``, or why there is none. A match
    is remembered for the process while its file exists (fc-match costs ~5 ms a font, and the
    build checks glyphs every time); a failure is not, so that installing the fonts is seen."""
    known = _FC_MATCHED.get(pattern)
    if known is not None and os.path.isfile(known[0]):
        return known
    found = _fc_match_uncached(pattern)
    if not isinstance(found, str):
        _FC_MATCHED[pattern] = found
    return found


def _fc_match_uncached(pattern: str) -> tuple[str, int, str] | str:
    exe = shutil.which("fc-match")
    if exe is None:
        return "fontconfig's fc-match is not installed"
    try:
        out = subprocess.run([exe, "-f", "%{file}\t%{index}\t%{family}", pattern],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"fc-match {pattern!r} failed: {exc}"
    parts = out.split("\t")
    if len(parts) < 3 or not parts[0]:
        return f"fc-match {pattern!r} found no font"
    try:
        index = int(parts[1] or 0)
    except ValueError:
        index = 0
    return parts[0], index, parts[2]


def _ttc_sc_index(path: str) -> int:
    """The face of a .ttc collection whose family is a Simplified Chinese ("… SC") one, else 0."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    for i, font in enumerate(collection.fonts):
        family = font["name"].getDebugName(1) or ""
        if family.endswith(" SC"):
            return i
    return 0


def _cmap_cache_file(path: str, index: int, mtime_ns: int, size: int) -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not base:
        return None
    key = hashlib.sha256(f"{path}|{index}|{mtime_ns}|{size}".encode()).hexdigest()[:24]
    return Path(base) / "reportkit" / f"cmap-{key}.txt"


@functools.lru_cache(maxsize=32)
def _cmap(path: str, index: int, mtime_ns: int, size: int) -> frozenset[int]:
    """Code points of one face, cached in memory and on disk (a CJK font's cmap takes ~0.1 s to
    read with fontTools; the build checks glyphs every time) per file path, face, mtime and size."""
    from fontTools.ttLib import TTCollection, TTFont

    cache = _cmap_cache_file(path, index, mtime_ns, size)
    if cache is not None and cache.is_file():
        try:
            return frozenset(int(x, 16) for x in cache.read_text(encoding="ascii").split())
        except (OSError, ValueError):
            pass  # unreadable cache: read the font again
    if path.lower().endswith((".ttc", ".otc")):
        font = TTCollection(path, lazy=True).fonts[index]
    else:
        font = TTFont(path, lazy=True, fontNumber=index)
    points = frozenset(font["cmap"].getBestCmap() or {})
    if cache is not None:
        try:
            write_atomic(cache, " ".join(f"{p:x}" for p in sorted(points)))
        except OSError:
            pass  # a read-only home: no disk cache, same result
    return points


def _face(spec: str) -> tuple[str, int] | str:
    """A font given as a file path or a fontconfig pattern → (file, face index), or why not."""
    if os.path.isfile(spec):
        return spec, (_ttc_sc_index(spec) if spec.lower().endswith((".ttc", ".otc")) else 0)
    found = _fc_match(spec)
    if isinstance(found, str):
        return found
    path, index, family = found
    wanted = spec.split(":")[0].strip().lower()
    if wanted and wanted not in family.lower():
        return (f"fontconfig has no {spec!r} (it would use {family.split(',')[0]!r} from {path}); "
                "install the report fonts (fonts-noto-cjk)")
    return path, index


@functools.lru_cache(maxsize=8)
def _coverage(faces: tuple[tuple[str, int, int, int], ...]) -> frozenset[int]:
    covered: set[int] = set()
    for face in faces:
        covered |= _cmap(*face)
    return frozenset(covered)


def font_coverage(fonts: Sequence[str] | None = None) -> tuple[frozenset[int], list[Problem]]:
    """The union of the code points of ``fonts`` (file paths or fontconfig patterns; default
    :data:`REPORT_FONTS`) and a problem for each font that cannot be found."""
    faces, problems = [], []
    for spec in fonts if fonts is not None else REPORT_FONTS:
        face = _face(spec)
        if isinstance(face, str):
            problems.append(Problem("", "fonts", "missing font", face))
            continue
        path, index = face
        try:
            st = os.stat(path)
            faces.append((path, index, st.st_mtime_ns, st.st_size))
        except OSError as exc:
            problems.append(Problem("", "fonts", "missing font", f"{spec!r}: {exc}"))
    try:
        covered = _coverage(tuple(faces))
    except Exception as exc:  # noqa: BLE001 - a font fontTools cannot read (it fails in many ways)
        problems.append(Problem("", "fonts", "missing font", f"cannot read the cmap of {faces}: {exc}"))
        covered = frozenset()
    return covered, problems


class _TextScanner(HTMLParser):
    """Visible text of an HTML page (SVG <text> included), with the section and nearest id of each piece."""

    SKIP = frozenset({"style", "script", "template"})
    PARTS = frozenset({"section", "nav", "header", "footer", "main", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str, str]] = []  # (section, near id, text)
        self.section = ""
        self.near = ""
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag in self.SKIP:
            self.skip += 1
        ident = amap.get("id", "")
        if ident:
            if tag in self.PARTS:
                self.section = ident[len("section-"):] if ident.startswith("section-") else ""
            self.near = ident

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        if amap.get("id"):
            self.near = amap["id"]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.pieces.append((self.section, self.near, data))


# what _TextScanner leaves out, for a quick look at all the text at once: style sheets, scripts,
# templates and comments, then tags with their attributes (a quoted value may hold ">")
_UNSEEN = re.compile(r"<(style|script|template)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def _all_visible_characters(html_or_text: str) -> set[str]:
    """The characters of the visible text (and perhaps a few more, never fewer): what
    :func:`visible_text` finds, without telling where."""
    return set(unescape(_TAG.sub(" ", _UNSEEN.sub(" ", html_or_text))))


def visible_text(html_or_text: str) -> list[tuple[str, str, str]]:
    """(section, nearest id, text) pieces a reader sees; text without tags is one piece."""
    if "<" not in html_or_text and "&" not in html_or_text:
        return [("", "", html_or_text)]
    scanner = _TextScanner()
    scanner.feed(html_or_text)
    scanner.close()
    return scanner.pieces


def _drawn(ch: str) -> bool:
    if ch.isspace() or unicodedata.category(ch) in _NOT_DRAWN:
        return False
    return not ("\ufe00" <= ch <= "\ufe0f")  # variation selectors only pick a glyph


def check_glyphs(html_or_text: str, *, fonts: Sequence[str] | None = None) -> list[Problem]:
    """A problem for each character of the visible text that none of ``fonts`` can draw (code
    point, name, count and where it first appears), and for each font that is not installed.

    ``fonts`` are fontconfig patterns or font files (default :data:`REPORT_FONTS`; a .ttc
    collection is read at the face fontconfig names, or its "… SC" face for a file). The union of
    their cmaps is cached per process, per font file and modification time.
    """
    covered, problems = font_coverage(fonts)
    if not covered:
        return problems
    if all(ord(ch) in covered or not _drawn(ch) for ch in _all_visible_characters(html_or_text)):
        return problems  # every character can be drawn: no need to find where each one is
    first: dict[str, tuple[str, str, str]] = {}
    counts: dict[str, int] = {}
    for section, near, text in visible_text(html_or_text):
        for pos, ch in enumerate(text):
            if ord(ch) in covered or not _drawn(ch):
                continue
            counts[ch] = counts.get(ch, 0) + 1
            if ch not in first:
                first[ch] = (section, near, _excerpt(text[max(0, pos - 20):pos + 21], 45))
    for ch, (section, near, excerpt) in first.items():
        name = unicodedata.name(ch, "unassigned or private use")
        times = f" ({counts[ch]}×)" if counts[ch] > 1 else ""
        problems.append(Problem(section, f"near #{near}" if near else "text", "missing glyph",
                                f"U+{ord(ch):04X} {name} {ch!r}{times} cannot be drawn by the report fonts, "
                                f"in {excerpt!r}"))
    return problems
