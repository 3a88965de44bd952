"""Checks of the rendered report and of figure SVGs: what a client must never see in the HTML.

* :func:`check_html` reads a rendered report: references to anything outside the document (the
  HTML must be self-contained), tracebacks, "nan"/"None" where a number belongs, empty figures,
  scripts, event handler attributes and template leftovers;
* :func:`check_svg` vets a figure's SVG before it is inlined (the one markup the templates trust);
* :func:`svg_draws_nothing` finds a figure that draws nothing (same rule as :func:`check_html`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..errors import RenderError
from ..style.formatting import MISSING_STRINGS
from .problems import excerpt as _excerpt

__all__ = ["check_html", "check_svg", "css_problems", "is_local_reference", "svg_draws_nothing"]

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
    event = _SVG_EVENT.search(svg)
    if event:
        problems.append(f"it has an event handler attribute ({_excerpt(event.group(0))})")
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
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, selfclosing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, selfclosing=True)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], *, selfclosing: bool) -> None:
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

    def handle_endtag(self, tag: str) -> None:
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
    def handle_data(self, data: str) -> None:
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


def svg_draws_nothing(svg: str) -> bool:
    """True for a figure whose SVG draws nothing (same rule as :func:`check_html`)."""
    scanner = _Scanner()
    scanner.feed(svg)
    scanner.close()
    return bool(scanner.empty_figures) or "<svg" not in svg.lower()
