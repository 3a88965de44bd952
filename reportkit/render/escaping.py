"""Escaping data for the report's HTML, braces included.

Jinja2's autoescape (markupsafe) escapes ``&``, ``<``, ``>`` and quotes. Data also has to be kept
apart from the report's own template syntax: a brand called "{{Brand}}", a caption with "{% …"
or a notebook's source must never look like a leftover of our templates to
:func:`~reportkit.render.html_checks.check_html`. So every string from data is written with its
braces as character references (``&#123;`` / ``&#125;``): a reader (browser, WeasyPrint, the
glyph check) sees the same braces, and a literal ``{{`` or ``{%`` in the rendered HTML can only
have come from a template.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def encode_braces(html: str) -> str:
    """``{`` and ``}`` as character references. Only for HTML without raw-text elements
    (``<style>``, ``<script>``), where a character reference would be read literally."""
    return html.translate(BRACES)


def escape_text(value: Any) -> Markup:
    """``value`` (from data) as HTML text: escaped, braces encoded; markup is kept as it is."""
    if hasattr(value, "__html__"):
        return Markup(value)  # noqa: S704 - already markup (it has __html__)
    return Markup(encode_braces(str(escape(value))))  # noqa: S704 - escaped above
