"""Checks on client-facing output: what a client must never see.

Run on every build, each listing every problem at once:

* :func:`check_results` reads the executed notebooks and what they recorded: tracebacks, stderr
  and warnings in any cell; NaN/None/inf in a table that does not declare how missing values
  are shown (``Table.missing``) or as a metric's value; empty figures; the placeholders of the
  markdown narrative (:mod:`reportkit.render.prose`), and a placeholder naming one of the
  section's metrics written where nothing fills it (a plain text, a label, caption or note).
  Braces in recorded data are data: a table cell or caption may read "{{Brand}}";
* :func:`check_html` reads a rendered report: references to anything outside the document (the
  HTML must be self-contained), tracebacks, "nan"/"None" where a number belongs, empty figures,
  scripts, event handler attributes and template leftovers;
* :func:`check_glyphs` finds characters the report fonts cannot draw (they would print as empty
  boxes or in a fallback font).

:func:`raise_if_problems` turns a list of :class:`Problem` into one :class:`RenderError`.
:func:`check_svg` vets a figure's SVG before it is inlined (the one markup the templates trust).
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import RenderError
from .formatting import MISSING_STRINGS, is_missing


@dataclass(frozen=True)
class Problem:
    """One thing a client must not see. ``section`` is a section id ("" for the report as a whole),
    ``where`` says where in it ("cell 7", "table 'growth' (cell 5)", "near #table-3")."""

    section: str
    where: str
    kind: str
    detail: str

    def __str__(self) -> str:
        place = f"section {self.section!r}" if self.section else "report"
        where = f", {self.where}" if self.where else ""
        return f"{place}{where}: {self.kind}: {self.detail}"


def raise_if_problems(problems: Iterable[Problem], *, what: str = "the report") -> None:
    """Raise one :class:`RenderError` listing every problem (with ``.problems`` attached), if any."""
    problems = list(problems)
    if not problems:
        return
    err = RenderError(
        f"{what} cannot be published: {len(problems)} problem(s) must be fixed first:\n  - "
        + "\n  - ".join(str(p) for p in problems)
    )
    err.problems = tuple(problems)  # type: ignore[attr-defined]
    raise err

# attributes whose value is fetched or followed
URL_ATTRIBUTES = frozenset({
    "src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction",
    "background", "cite", "longdesc", "manifest", "ping", "lowsrc", "dynsrc", "codebase",
})
# elements that draw something in an SVG
DRAWING = frozenset({
    "path", "line", "polyline", "polygon", "rect", "circle", "ellipse", "text", "use", "image",
})
# SVG containers whose children are never drawn directly
NOT_RENDERED = frozenset({"defs", "clippath", "mask", "symbol", "marker", "pattern", "lineargradient",
                          "radialgradient", "filter", "metadata", "title", "desc", "style"})
# elements whose text is a value a reader takes as a number
VALUE_CLASSES = frozenset({"metric-value", "kpi-value"})

_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_IMPORT = re.compile(r"@import\b[^;]*", re.IGNORECASE)
_NAN_WORD = re.compile(r"(?<![A-Za-z])(nan|NaN)(?![A-Za-z])")


def is_local_reference(url: str) -> bool:
    """In-page anchors (``#id``) and ``data:`` URLs are the only references a report may hold."""
    url = url.strip()
    return url.startswith("#") or url[:5].lower() == "data:"


def _excerpt(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def css_problems(css: str) -> list[str]:
    """External ``url()`` references and any ``@import`` in a piece of CSS."""
    found = []
    css = _CSS_COMMENT.sub(" ", css)
    for m in _CSS_IMPORT.finditer(css):
        found.append(f"@import in CSS: {_excerpt(m.group(0))!r}")
    for m in _CSS_URL.finditer(css):
        if not is_local_reference(m.group(2)):
            found.append(f"external url() in CSS: {_excerpt(m.group(0))!r}")
    return found


# --------------------------------------------------------------------------- SVG


_SVG_HREF = re.compile(r"(?:xlink:)?href\s*=\s*([\"'])(.*?)\1", re.IGNORECASE | re.DOTALL)
_SVG_EVENT = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def check_svg(svg: str, *, where: str) -> None:
    """Refuse an SVG that runs code or references anything outside itself.

    ``where`` names the figure in the message, e.g. ``"section 'market', figure 'trend'"``.
    """
    problems = []
    if "<svg" not in svg.lower():
        problems.append("it is not SVG markup (no <svg> element)")
    if re.search(r"<script", svg, re.IGNORECASE):
        problems.append("it contains a <script> element")
    if re.search(r"<foreignobject", svg, re.IGNORECASE):
        problems.append("it contains a <foreignObject> element")
    if _SVG_EVENT.search(svg):
        problems.append(f"it has an event handler attribute ({_excerpt(_SVG_EVENT.search(svg).group(0))})")
    for m in _SVG_HREF.finditer(svg):
        if not is_local_reference(m.group(2)):
            problems.append(f"it references {_excerpt(m.group(2), 60)!r} (only '#…' and data: are allowed)")
    problems += [f"its style has an {p}" for p in css_problems(svg)]
    if problems:
        raise RenderError(f"refusing the SVG of {where}: " + "; ".join(problems))


# --------------------------------------------------------------------------- HTML


class _Scanner(HTMLParser):
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                      "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.raw: list[str] = []  # text of <style>/<script> being read
        self.values: list[tuple[str, int, list[str]]] = []  # (what, line, text) of cells/metric values
        self.svgs: list[dict] = []  # open top-level <svg>: line, drawing count, matplotlib?
        self.hidden_depth = 0  # inside an SVG container that is not drawn
        self.svg_depth = 0
        self.empty_figures: list[int] = []  # lines of top-level <svg> elements that draw nothing

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def _add(self, message: str) -> None:
        self.problems.append(f"{self._where()}: {message}")

    # -- tags
    def handle_starttag(self, tag, attrs):
        self._open(tag, attrs, selfclosing=False)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs, selfclosing=True)

    def _open(self, tag: str, attrs, *, selfclosing: bool) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            self._add("a <script> element")
        if tag == "meta" and amap.get("http-equiv", "").lower() == "refresh":
            self._add(f"a meta refresh: {_excerpt(amap.get('content', ''))!r}")
        for name, value in amap.items():
            if name.startswith("on"):
                self._add(f"an event handler attribute <{tag} {name}={_excerpt(value, 40)!r}>")
            if name in URL_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                for url in urls:
                    if not is_local_reference(url):
                        self._add(f"external reference <{tag} {name}={_excerpt(url, 60)!r}>")
            elif name == "style":
                for p in css_problems(value):
                    self._add(f"{p} (style attribute of <{tag}>)")
        # SVG bookkeeping
        in_svg = self.svg_depth > 0
        if tag == "svg" and not selfclosing:
            self.svg_depth += 1
            if not in_svg:
                self.svgs.append({"line": self.getpos()[0], "drawing": 0, "mpl": False})
        elif tag == "svg" and not in_svg:
            self.problems.append(f"{self._where()}: an empty figure (<svg/> draws nothing)")
            self.empty_figures.append(self.getpos()[0])
        elif in_svg:
            svg = self.svgs[-1]
            if amap.get("id", "").endswith("figure_1"):
                svg["mpl"] = True
            if tag in NOT_RENDERED and not selfclosing:
                self.hidden_depth += 1
            elif tag in DRAWING and not self.hidden_depth:
                svg["drawing"] += 1
        classes = set(amap.get("class", "").split())
        if tag in ("td", "th"):
            self.values.append(("table cell", self.getpos()[0], []))
        elif classes & VALUE_CLASSES:
            self.values.append(("metric value", self.getpos()[0], []))
        if not selfclosing and tag not in self.VOID:
            self.stack.append(tag)
            if tag in ("td", "th") or classes & VALUE_CLASSES:
                self.stack[-1] = tag + "\0value"

    def handle_endtag(self, tag):
        # close up to the matching tag (tolerates unclosed <p>, <li>, …)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].split("\0")[0] == tag:
                for closed in reversed(self.stack[i:]):
                    self._close(closed)
                del self.stack[i:]
                break

    def _close(self, entry: str) -> None:
        tag, _, marker = entry.partition("\0")
        if marker == "value" and self.values:
            what, line, parts = self.values.pop()
            text = "".join(parts).strip()
            if text in MISSING_STRINGS:
                self.problems.append(f"line {line}: {what} shows {text!r}")
        if tag in ("style", "script"):
            css = "".join(self.raw)
            self.raw = []
            if tag == "style":
                for p in css_problems(css):
                    self.problems.append(f"line {self.getpos()[0]}: {p}")
        if self.svg_depth:
            if tag in NOT_RENDERED and self.hidden_depth:
                self.hidden_depth -= 1
            if tag == "svg":
                self.svg_depth -= 1
            if tag == "svg" and self.svg_depth == 0:
                svg = self.svgs.pop()
                if svg["drawing"] == 0 or (svg["mpl"] and svg["drawing"] <= 1):
                    self.problems.append(f"line {svg['line']}: an empty figure (<svg> draws nothing)")
                    self.empty_figures.append(svg["line"])
                self.hidden_depth = 0

    # -- text
    def handle_data(self, data):
        top = self.stack[-1].split("\0")[0] if self.stack else ""
        if top in ("style", "script"):
            self.raw.append(data)
            return
        if self.values:
            self.values[-1][2].append(data)
        if "Traceback" in data:
            self._add(f"a Python traceback: {_excerpt(data[data.index('Traceback'):])!r}")
        m = _NAN_WORD.search(data)
        if m and not (self.values and data.strip() in MISSING_STRINGS):
            start = max(0, m.start() - 25)
            self._add(f"{m.group(0)!r} in text: {_excerpt(data[start:m.end() + 25])!r}")

    def close(self) -> None:
        super().close()
        for entry in reversed(self.stack):
            self._close(entry)
        self.stack = []


def check_html(html: str) -> None:
    """Raise :class:`RenderError` listing every problem found in a rendered report.

    Problems: references to anything but ``#anchors`` and ``data:`` URLs (``src``, ``href``,
    ``url()``, ``@import``), Python tracebacks, "nan"/"None" shown as a table cell or metric
    value (or "nan" in text), empty figures, ``<script>`` elements, event handler attributes
    (``on…``) and template leftovers. Strings from data are written with their braces as
    character references (:mod:`reportkit.render.escaping`), so a literal ``{{`` or ``{%`` here
    is a leftover of the templates, never a brand called "{{Brand}}".
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    problems = list(scanner.problems)
    for marker in ("{{", "{%"):
        pos = html.find(marker)
        if pos >= 0:
            line = html.count("\n", 0, pos) + 1
            problems.append(f"line {line}: a template leftover {_excerpt(html[pos:pos + 50])!r}")
    if problems:
        shown = problems[:50]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise RenderError(
            f"the rendered HTML has {len(problems)} problem(s) a client must not see:\n  - "
            + "\n  - ".join(shown) + more
        )


# --------------------------------------------------------------------------- results


# "/tmp/ipykernel_42/123.py:1: " before a warning's text: the kernel's name for the cell, not news
_KERNEL_SOURCE = re.compile(r"^\S*ipykernel_\d+/\d+\.py:\d+: ")
_WARNING_LINE = re.compile(r"Warning\b|^\s*(?:WARNING|warning)\b", re.MULTILINE)


def svg_draws_nothing(svg: str) -> bool:
    """True for a figure whose SVG draws nothing (same rule as :func:`check_html`)."""
    scanner = _Scanner()
    scanner.feed(svg)
    scanner.close()
    return bool(scanner.empty_figures) or "<svg" not in svg.lower()


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return _excerpt(line, 120)
    return ""


def _output_text(out: Any) -> str:
    text = out.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)


def notebook_problems(nb: Any, *, section: str) -> list[Problem]:
    """Tracebacks, stderr and printed warnings in the cells of one executed notebook."""
    from ..record import numbered_cells

    problems: list[Problem] = []
    for number, cell in numbered_cells(nb):
        if cell.get("cell_type") != "code":
            continue
        where = f"cell {number}" if number is not None else "the injected parameters cell"
        stderr, stdout = [], []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                evalue = _first_line(str(out.get("evalue", "")))
                problems.append(Problem(section, where, "traceback", f"{out.get('ename', 'Error')}: {evalue}"))
            elif kind == "stream" and out.get("name") == "stderr":
                stderr.append(_output_text(out))
            elif kind == "stream":
                stdout.append(_output_text(out))
        err = "".join(stderr)
        if err.strip():
            if "Traceback (most recent call last)" in err:
                last = _first_line(err.strip().splitlines()[-1])
                problems.append(Problem(section, where, "traceback", f"printed to stderr: {_first_line(err)} … {last}"))
            else:
                kind = "warning" if _WARNING_LINE.search(err) else "stderr"
                first = _KERNEL_SOURCE.sub("", _first_line(err))
                problems.append(Problem(section, where, kind, f"printed to stderr: {first}"))
        out_text = "".join(stdout)
        if "Traceback (most recent call last)" in out_text:
            problems.append(Problem(section, where, "traceback", f"printed: {_first_line(out_text[out_text.index('Traceback'):])}"))
        else:
            m = _WARNING_LINE.search(out_text)
            if m:
                line_start = out_text.rfind("\n", 0, m.start()) + 1
                problems.append(Problem(section, where, "warning", f"printed: {_first_line(out_text[line_start:])}"))
    return problems


def _record_cells(nb: Any) -> dict[str, int]:
    """Record name → the cell (as the analyst numbers it) whose output recorded it last."""
    from ..record import MIME_TYPE, numbered_cells

    cells: dict[str, int] = {}
    if nb is None:
        return cells
    for number, cell in numbered_cells(nb):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = (out.get("metadata") or {}).get(MIME_TYPE) or {}
            data = (out.get("data") or {}).get(MIME_TYPE)
            name = meta.get("name") or (data.get("name") if isinstance(data, dict) else None)
            if name and number is not None:
                cells[name] = number
    return cells


def _row_label(row: Sequence[Any], index: int) -> str:
    first = row[0] if row else None
    if first is None or is_missing(first) or isinstance(first, float) or str(first).strip() == "":
        return f"row {index}"
    return f"row {index} ({_excerpt(str(first), 30)})"


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)(?:\s*\.\s*([A-Za-z_]\w*))?\s*(?:\|[^{}]*)?\}\}")


def _unfilled(text: Any, section: str, metrics: frozenset[str]) -> str | None:
    """A ``{{ name }}`` (or ``{{ section.name | filter }}``) naming one of the section's recorded
    metrics, in a text no template fills; other braces are data and pass."""
    if not isinstance(text, str) or "{{" not in text:
        return None
    for m in _PLACEHOLDER.finditer(text):
        sid, name = (m.group(1), m.group(2)) if m.group(2) else (section, m.group(1))
        if sid == section and name in metrics:
            return _excerpt(text[max(0, m.start() - 20):m.end() + 20], 60)
    return None


def record_problems(res: Any, *, cells: Mapping[str, int] | None = None) -> list[Problem]:
    """Missing values, empty figures and unfilled placeholders (a placeholder naming one of the
    section's metrics outside the markdown narrative) in what one section recorded."""
    from ..record import Figure, Metric, Table, Text

    cells = cells or {}
    section = res.section
    metrics = frozenset(r.name for r in res.records if isinstance(r, Metric))
    problems: list[Problem] = []
    for rec in res.records:
        cell = rec.cell if isinstance(rec, Text) and rec.markdown else cells.get(rec.name)
        at = f" (cell {cell})" if cell is not None else ""
        if isinstance(rec, Text) and rec.markdown:
            where = f"cell {rec.cell}" if rec.cell is not None else f"markdown {rec.name!r}"
        else:
            where = f"{rec.kind} {rec.name!r}{at}"
        texts: list[tuple[str, Any]] = []
        if isinstance(rec, Metric):
            if is_missing(rec.value):
                problems.append(Problem(section, where, "missing value",
                                        f"the metric's value is {_shown(rec.value)}; record a number, or leave it out"))
            texts += [("label", rec.label), ("note", rec.note)]
        elif isinstance(rec, Table):
            problems += _table_problems(rec, section, where)
            texts += [("caption", rec.caption), ("note", rec.note)]  # cells and columns are data
        elif isinstance(rec, Figure):
            if svg_draws_nothing(rec.svg):
                problems.append(Problem(section, where, "empty figure", "its SVG draws nothing"))
            texts += [("caption", rec.caption), ("note", rec.note)]
        elif isinstance(rec, Text) and not rec.markdown:  # markdown: prose.check_placeholders
            texts.append(("text", rec.text))
        for part, text in texts:
            found = _unfilled(text, section, metrics)
            if found:
                problems.append(Problem(
                    section, where, "unfilled placeholder",
                    f"{part}: {found!r}; placeholders are filled only in markdown cells tagged report "
                    "(or report-zh/report-en); here, format the value into the text"))
    return problems


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return repr(value)


def _table_problems(rec: Any, section: str, where: str) -> list[Problem]:
    problems: list[Problem] = []
    if rec.missing is not None:
        marker = rec.missing
        if not isinstance(marker, str) or not marker.strip() or marker.strip() in MISSING_STRINGS:
            problems.append(Problem(section, where, "missing value",
                                    f"missing={marker!r} cannot show a missing value; use a marker such as '—'"))
        elif not (rec.note or "").strip() and any(is_missing(v) for row in rec.rows for v in row):
            problems.append(Problem(section, where, "missing value",
                                    f"it shows missing values as {marker!r} but its note does not say why"))
        return problems
    by_column: dict[str, list[str]] = {}
    for i, row in enumerate(rec.rows, 1):
        for j, value in enumerate(row):
            if is_missing(value):
                column = rec.columns[j] if j < len(rec.columns) else f"#{j + 1}"
                by_column.setdefault(column, []).append(f"{_row_label(row, i)} is {_shown(value)}")
    for column, rows in by_column.items():
        shown = "; ".join(rows[:5]) + (f"; and {len(rows) - 5} more rows" if len(rows) > 5 else "")
        problems.append(Problem(
            section, where, "missing value",
            f"column {column!r}: {shown}. Fill the gaps, or declare them: record(..., missing='—') "
            "with the reason in the note"))
    return problems


def check_results(results: Mapping[str, Any], notebooks: Mapping[str, Any]) -> list[Problem]:
    """Every problem in the executed notebooks (section id → NotebookNode) and in what their
    sections recorded (section id → SectionResults), grouped by section in order."""
    from .prose import check_placeholders

    placeholder = check_placeholders(results)
    problems: list[Problem] = []
    for sid in [*results, *(s for s in notebooks if s not in results)]:
        if sid in notebooks:
            problems += notebook_problems(notebooks[sid], section=sid)
        if sid in results:
            problems += record_problems(results[sid], cells=_record_cells(notebooks.get(sid)))
            problems += [p for p in placeholder if p.section == sid]
    return problems


# --------------------------------------------------------------------------- glyphs


#: fontconfig patterns of the report's fonts (templates/themes: body, bold headings, code)
REPORT_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Sans CJK SC:bold", "Noto Sans Mono CJK SC")
_NOT_DRAWN = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _fc_match(pattern: str) -> tuple[str, int, str] | str:
    """(file, face index, family) fontconfig picks for ``pattern``, or why there is none."""
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
    except Exception as exc:  # a font fontTools cannot read
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

    def handle_starttag(self, tag, attrs):
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag in self.SKIP:
            self.skip += 1
        ident = amap.get("id", "")
        if ident:
            if tag in self.PARTS:
                self.section = ident[len("section-"):] if ident.startswith("section-") else ""
            self.near = ident

    def handle_startendtag(self, tag, attrs):
        amap = {k.lower(): (v or "") for k, v in attrs}
        if amap.get("id"):
            self.near = amap["id"]

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.pieces.append((self.section, self.near, data))


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
