"""The analyst edition's appendix: each executed section notebook, code and outputs, inside the report.

nbconvert's :class:`~nbconvert.HTMLExporter` renders a notebook (template ``basic``: the cells
only, no page around them, no MathJax or require.js). What it returns is then made fit to sit
inside a self-contained report:

* ``<script>``, ``<style>``, ``<link>``, ``<iframe>``, ``<object>``, media and form elements are
  removed; event handler attributes (``on…``) go; links to anything but an in-page anchor lose
  their ``href`` (the text stays); elements whose ``src`` is not a ``data:`` URL are dropped:
  the report still fetches nothing and runs nothing (:func:`~reportkit.render.check_html`
  checks the result like any report);
* ids are prefixed per notebook so that they never clash with the report's or each other's;
* outputs are trimmed to what a reader can use: the reportkit record outputs show their plain
  text summary ("[recorded metric] …"), JavaScript and widget outputs are dropped, SVG images
  become ``data:`` URLs, long plain-text outputs are cut after :data:`MAX_TEXT_OUTPUT`
  characters, and missing values in tables and text outputs read "—" as everywhere else in
  the report.

Styling is the report's own (``templates/report/notebook.css``, only in this edition).
"""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

from markupsafe import Markup

from ..record import MIME_TYPE

DROPPED_MIME_TYPES = (
    MIME_TYPE, "application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json", "text/latex", "text/markdown",
)
_ELEMENTS = re.compile(
    r"<(script|style|iframe|object|embed|link|meta|base|form|frame|frameset|applet|video|audio|source|track)\b"
    r"[^>]*?(?:/>|>.*?</\1\s*>|>)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)(\s[^<>]*?)?(/?)>")
_ATTR = re.compile(r"""\s([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_MISSING_CELL = re.compile(r"(<t[dh]\b[^>]*>)\s*(?:nan|NaN|None|NaT|&lt;NA&gt;|<NA>)\s*(</t[dh]>)")
_MISSING_WORD = re.compile(r"(?<![A-Za-z_.])(NaN|nan|NaT|<NA>)(?![A-Za-z_])")
MISSING = "\u2014"
#: plain-text outputs longer than this are cut (a record's repr can hold a whole SVG: 100 kB of
#: text that nobody reads and that takes WeasyPrint many seconds to set)
MAX_TEXT_OUTPUT = 2000


def _clean_text(text: str, truncated: str = "\u2026 (+{n})") -> str:
    """Missing values in a plain-text output as "—", padded so that columns stay aligned; the
    text cut after :data:`MAX_TEXT_OUTPUT` characters, ``truncated`` (with ``{n}``, the number
    of characters left out) saying so."""
    if len(text) > MAX_TEXT_OUTPUT:
        text = text[:MAX_TEXT_OUTPUT] + "\n" + truncated.format(n=f"{len(text) - MAX_TEXT_OUTPUT:,}")
    return _MISSING_WORD.sub(lambda m: MISSING.rjust(len(m.group(1))), text)


def _clean_outputs(nb: Any, truncated: str) -> Any:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                out["text"] = _clean_text("".join(text) if isinstance(text, list) else text, truncated)
            data = out.get("data")
            if data is not None:
                for mime in DROPPED_MIME_TYPES:
                    data.pop(mime, None)
                svg = data.pop("image/svg+xml", None)
                if svg is not None and "image/png" not in data:
                    svg = "".join(svg) if isinstance(svg, list) else svg
                    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
                    data["text/html"] = f'<img src="{uri}" alt="">'
                if "text/plain" in data:
                    plain = data["text/plain"]
                    data["text/plain"] = _clean_text("".join(plain) if isinstance(plain, list) else plain, truncated)
                if "text/html" in data:
                    html = data["text/html"]
                    data["text/html"] = _MISSING_CELL.sub(lambda m: m.group(1) + MISSING + m.group(2),
                                                          "".join(html) if isinstance(html, list) else html)
                if not data:
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


def _make_exporter() -> Any:
    from nbconvert import HTMLExporter

    # nbconvert's own sanitiser (sanitize_html) escapes headings and paragraphs of markdown cells
    # with the bleach installed here; :func:`_make_local` does the cleaning instead
    return HTMLExporter(template_name="basic", exclude_anchor_links=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"


def _clean_tag(m: re.Match, prefix: str) -> str:
    """One start tag with only safe attributes: no event handlers, ids prefixed, in-page links
    prefixed and any other link dropped, only ``data:`` sources, no ``url()`` in styles."""
    name, attrs, close = m.group(1), m.group(2) or "", m.group(3)
    kept = []
    for a in _ATTR.finditer(attrs):
        key = a.group(1).lower()
        raw = a.group(2) or ""
        value = raw[1:-1] if raw[:1] in "\"'" else raw
        if key.startswith("on") or key in ("srcset", "formaction", "action", "background", "ping", "poster"):
            continue
        if key == "id":
            kept.append(f' id="{prefix}-{_slug(value)}"')
        elif key in ("href", "xlink:href"):
            if value.strip().startswith("#"):
                kept.append(f' {key}="#{prefix}-{_slug(value.strip()[1:])}"')
        elif key == "src":
            if value.strip()[:5].lower() != "data:":
                return ""  # an image (or anything) fetched from elsewhere: dropped
            kept.append(f" src={raw}")
        elif key == "style":
            if "url(" in value.lower() or "expression(" in value.lower() or "@import" in value.lower():
                continue
            kept.append(f" style={raw}")
        else:
            kept.append(a.group(0))
    return f"<{name}{''.join(kept)}{close}>"


def _make_local(html: str, prefix: str) -> str:
    html = _ELEMENTS.sub("", html)
    return _TAG.sub(lambda m: _clean_tag(m, prefix), html)


def export_notebooks(notebooks: dict[str, Any], *, truncated: str = "\u2026 (+{n})") -> dict[str, Markup]:
    """Section id → the executed notebook as HTML ready to be inlined (see the module doc).
    ``truncated`` ends a cut text output; ``{n}`` is the number of characters left out."""
    exporter = _make_exporter()
    out: dict[str, Markup] = {}
    for section, nb in notebooks.items():
        body, _ = exporter.from_notebook_node(_clean_outputs(nb, truncated))
        out[section] = Markup(_make_local(body, f"nb-{section}"))  # noqa: S704 - cleaned by _make_local
    return out
