"""The pages around the reports: the client's page (:mod:`reportkit.publish.client_page`) and a
batch's ``index.html`` (:mod:`reportkit.batch.index`). What they share lives here, below both:

* the Jinja environment over ``templates/`` (autoescape, StrictUndefined) with the ``fill`` filter;
* the theme's look (:func:`theme_head`): the theme's CSS custom properties, the shared style sheet
  ``templates/publish/pages.css``, the logo as a ``data:`` URI, the client and footer lines;
* the fixed strings of a page (:func:`page_strings`): one group of the message catalogue, with the
  fallback i18n gives any text (a script variant: its base language's entry, converted).

Both pages are self-contained (inline CSS, no external reference) and escape every string from data.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from .. import hanzi, i18n
from ..errors import RenderError
from ..i18n import Text, TranslationError
from ..resources import templates_dir
from ..style.themes import DEFAULT_THEME, Theme, load_theme, read_css

#: the style sheet both pages inline after the theme's custom properties
STYLE = "publish/pages.css"


class PageStrings(dict[str, str]):
    """A page's fixed strings in one language; a key the catalogue lacks names the group."""

    def __init__(self, data: Mapping[str, str], group: str, lang: str) -> None:
        super().__init__(data)
        self.group = group
        self.lang = lang

    def __missing__(self, key: str) -> str:
        raise RenderError(f"no {self.group}.{key} in the {self.lang!r} catalogue ({i18n.CATALOGUE_DIR}); "
                          f"it has: {', '.join(self)}")


@functools.cache
def page_strings(group: str, lang: str) -> PageStrings:
    """The catalogue group ``group`` in ``lang``. A key that the language's catalogue lacks is looked
    up the way i18n looks up any text (:class:`~reportkit.i18n.Text`): a script variant (zh-Hant,
    zh-HK) gets its base language's entry converted; a language with no entry at all is a
    TranslationError naming the language and the text."""
    lang = i18n.check_language(lang, source=f"the {group} strings", error=RenderError)
    strings = dict(_group(group, lang))
    for key in _group(group, i18n.DEFAULT_LANGUAGE):
        if key not in strings:
            strings[key] = Text({lg: _group(group, lg)[key] for lg in i18n.LANGUAGES if key in _group(group, lg)})[lang]
    shadowed = sorted(k for k in strings if hasattr(dict, k))
    if shadowed:  # `t.items` in a template would find the dict method, not the string
        raise RenderError(f"catalogue group {group!r}: rename {', '.join(shadowed)}; these names are taken by "
                          "Python dicts")
    return PageStrings(strings, group, lang)


def _group(group: str, lang: str) -> Mapping[str, str]:
    try:
        return i18n.catalogue(group, lang)
    except TranslationError:  # a catalogue file older than the group: its keys come from the others
        return {}


def fill(pattern: str, **values: Any) -> Markup:
    """A catalogue pattern (plain text, escaped) filled with ``values``, each escaped and set in
    ``<code>`` (values that are Markup already are kept as they are); unnamed values are ignored."""
    wrapped = {k: v if isinstance(v, Markup) else Markup("<code>{}</code>").format(v) for k, v in values.items()}
    return escape(pattern).format(**wrapped)


def href(*parts: str) -> str:
    """A relative link to a file below the page's folder, each part percent-encoded."""
    return "/".join(quote(p, safe="") for p in parts)


@functools.cache
def environment(folder: Path | None = None) -> jinja2.Environment:
    """The Jinja environment of the pages (templates under ``folder``, default the package's)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder or templates_dir())), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fill"] = fill
    return env


def page_theme(name: str) -> Theme:
    """The theme ``name``, or the default theme when this reportkit has none of that name (a release
    made elsewhere with a client's own theme: its page still opens, in the kit's colours)."""
    try:
        return load_theme(name)
    except RenderError:
        return load_theme(DEFAULT_THEME)


def theme_head(theme: Theme, lang: str) -> dict[str, Any]:
    """What a page takes from a theme: ``css`` (the custom properties, font families only, then the
    pages' style sheet), ``logo`` (a ``data:`` URI or None), ``brand`` (the client a branded theme is
    for) and ``confidentiality`` (its footer line), both in ``lang`` or None."""
    css = hanzi.font_family(theme.css_variables(), lang) + "\n" + read_css(templates_dir() / STYLE)
    svg = theme.logo_svg()
    logo = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii") if svg else None
    # safe: the theme's colours and font names are validated (hex colours, plain family names) and
    # read_css refuses "</", which could end the <style> element
    style = Markup(css)  # noqa: S704 - see above
    return {"css": style, "logo": logo, "brand": _entry(theme.client, lang),
            "confidentiality": _entry(theme.confidentiality, lang)}


def _entry(value: Text | None, lang: str) -> str | None:
    if value is None:
        return None
    try:
        return value[lang]
    except TranslationError:  # a theme's text without this language: the line is left out
        return None
