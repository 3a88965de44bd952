"""HTML from a notebook made fit to sit inside a self-contained report: nh3 (the Rust ammonia
sanitiser, which parses like a browser) with an allow-list, and a list of what it removed.

:func:`sanitise` keeps only the tags, attributes and style properties below; links only to
in-page anchors (``#…``, prefixed so that ids never clash), sources only ``data:image/…`` URLs (an
SVG one only if :func:`~reportkit.render.html_checks.check_svg` accepts it). Scripts, styles, frames,
objects, forms, media and inline SVG/MathML go with their content, event handlers and every
other attribute go, and anything that would fetch something is dropped: the report runs nothing
and fetches nothing (:func:`~reportkit.render.html_checks.check_html` then checks it like any report).

What was removed is counted (elements by tag, attributes by tag and name) by comparing the tags
and attributes before and after, so that the caller can log it and say so in the appendix
instead of dropping it silently.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..errors import RenderError

#: tags kept (their attributes are filtered); anything else is unwrapped, its text kept
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var", "wbr",
})
#: tags removed together with their content (their text means nothing, or something that runs)
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "textarea", "select", "title", "xmp", "noembed", "noframes",
    "video", "audio", "canvas", "form", "button",
})
_GENERIC = {"class", "id", "title", "lang", "dir", "style"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC,
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "table": {"border", "cellpadding", "cellspacing"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type"},
}
#: CSS properties kept in ``style`` attributes (pandas' alignment and colouring, widths)
STYLE_PROPERTIES = frozenset({
    "text-align", "vertical-align", "color", "background-color", "font-weight", "font-style",
    "width", "min-width", "max-width", "height", "white-space", "border", "border-bottom", "border-top",
    "padding", "margin", "text-decoration",
})
#: ``data:`` images a report may inline (an SVG one is vetted first)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
_STYLE_DANGER = re.compile(r"url\s*\(|expression\s*\(|@import|javascript:|behaviou?r\s*:|-moz-binding|\\",
                           re.IGNORECASE)
#: elements removed as a matter of course: pandas' ``<style scoped>`` beside every DataFrame
#: (the report's own table style applies instead); logged at debug level, not listed
ROUTINE = frozenset({"style"})


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"


def _data_image(url: str) -> str | None:
    """Why a ``src`` is refused, or None for an acceptable ``data:image/…`` URL."""
    head, sep, payload = url.strip().partition(",")
    if not sep or head[:5].lower() != "data:":
        return "not a data:image URL"
    mime = head[5:].split(";")[0].strip().lower()
    if mime not in IMAGE_TYPES:
        return f"a data: URL of type {mime or '(none)'!r}"
    if mime == "image/svg+xml":
        from .html_checks import check_svg

        try:
            svg = (base64.b64decode(payload, validate=False).decode("utf-8") if ";base64" in head.lower()
                   else urllib.parse.unquote(payload))
            check_svg(svg, where="an inlined SVG image")
        except (RenderError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
            return f"an SVG image that was refused ({exc})"
    return None


@dataclass
class Sanitised:
    """One fragment's clean HTML and what was taken out of it."""

    html: str
    elements: Counter = field(default_factory=Counter)  # tag → number of elements removed
    attributes: Counter = field(default_factory=Counter)  # "<tag> attr" → number removed

    def removed(self, *, routine: bool = False) -> list[str]:
        """What was removed, one phrase each ("2 × <script>", "1 × onerror on <img>"),
        without the :data:`ROUTINE` elements unless ``routine``."""
        items = [f"{n} × <{tag}>" for tag, n in sorted(self.elements.items())
                 if routine or tag not in ROUTINE]
        items += [f"{n} × {key}" for key, n in sorted(self.attributes.items())]
        return items


class _Inventory(HTMLParser):
    """Start tags and their attributes, as a tolerant parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter = Counter()
        self.attrs: Counter = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, _ in attrs:
            self.attrs[(tag, name.lower())] += 1

    handle_startendtag = handle_starttag


def _inventory(html: str) -> _Inventory:
    inv = _Inventory()
    inv.feed(html)
    inv.close()
    return inv


def sanitise(html: str, *, prefix: str) -> Sanitised:
    """``html`` through the allow-list (see the module doc); ids and in-page links prefixed with
    ``prefix`` + "-"."""
    import nh3

    refused: Counter = Counter()  # description (with the reason) → count
    refused_keys: Counter = Counter()  # (tag, attribute) → count, the same attributes

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag not in TAGS:
            return value  # the element goes anyway (counted as an element)
        if attr == "id":
            return f"{prefix}-{_slug(value)}"
        if attr == "href":
            if value.strip().startswith("#"):
                return f"#{prefix}-{_slug(value.strip()[1:])}"
            refused[f"{attr} on <{tag}> ({_short(value)})"] += 1
            refused_keys[(tag, attr)] += 1
            return None
        if attr == "src":
            why = _data_image(value)
            if why is not None:
                refused[f"{attr} on <{tag}> ({why})"] += 1
                refused_keys[(tag, attr)] += 1
                return None
            return value
        if attr == "style" and _STYLE_DANGER.search(value):
            refused[f"style on <{tag}> ({_short(value)})"] += 1
            refused_keys[(tag, attr)] += 1
            return None
        return value

    clean = nh3.clean(
        html, tags=set(TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()}, url_schemes={"data"},
        attribute_filter=attribute_filter, link_rel=None, strip_comments=True,
        filter_style_properties=set(STYLE_PROPERTIES),
    )
    before, after = _inventory(html), _inventory(clean)
    elements = Counter({tag: n for tag, n in (before.tags - after.tags).items()})
    attributes: Counter = Counter()
    for (tag, name), n in (before.attrs - after.attrs).items():
        if tag in elements and elements[tag] >= before.tags[tag]:
            continue  # every such element went, with its attributes
        n -= refused_keys[(tag, name)]  # counted with the reason by the filter
        if n > 0:
            attributes[f"{name} on <{tag}>"] += n
    attributes.update(refused)
    return Sanitised(clean, elements, attributes)


def _short(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")

