"""Cross-references: ``[[fig:NAME]]``, ``[[tab:NAME]]`` and ``[[sec:ID]]`` in narrative and captions.

A reference names a record (a figure or a table) by its record name, optionally qualified by its
section (``[[fig:market.fan_chart]]``), or a section by its id (``[[sec:engagement]]``). It is
shown as an in-page link whose text comes from the template strings (zh 「图 3」「表 2」「第 2 章」,
en "Figure 3", "Table 2", "Chapter 2") and whose number is the one the figure, table or chapter
has in the final layout, so references stay right when sections move or records are added.

Two steps, so that a bad reference fails before anything is rendered and names where it was used:

1. :meth:`References.canonical` (while the context is built): every reference in a text is
   looked up from the section it appears in — an unqualified name means that section's record if
   it has one, else the only record of that name in the report — and rewritten to its qualified
   form; unknown or ambiguous references raise :class:`RenderError`.
2. :meth:`References.link` (the ``xref`` template filter): qualified references become
   ``<a class="xref" href="#figure-3">图 3</a>``; the rest of the text is escaped, or kept as is
   when it is already markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..errors import RenderError
from .escaping import escape_text

REFERENCE = re.compile(r"\[\[\s*(fig|tab|sec)\s*:\s*([^\]\s]*)\s*\]\]")
KIND_NAMES = {"fig": "figure", "tab": "table", "sec": "section"}
#: the template string (i18n catalogue) that labels each kind; ``{n}`` is the number
LABEL_KEYS = {"fig": "xref_figure", "tab": "xref_table", "sec": "xref_section"}


@dataclass(frozen=True)
class Target:
    kind: str  # fig, tab or sec
    key: str  # "section.name" for figures and tables, the section id for sections
    number: int
    anchor: str


class References:
    """The figures, tables and sections of one report, as numbered in its final layout."""

    def __init__(self, strings: Mapping[str, str]) -> None:
        self.strings = strings
        self.targets: dict[tuple[str, str], Target] = {}

    def add(self, kind: str, key: str, number: int, anchor: str) -> None:
        self.targets[(kind, key)] = Target(kind, key, number, anchor)

    def label(self, target: Target) -> str:
        return self.strings[LABEL_KEYS[target.kind]].format(n=target.number)

    # ------------------------------------------------------------------ resolving

    def _known(self, kind: str) -> str:
        keys = [k for (c, k) in self.targets if c == kind]
        if not keys:
            return f"the report has no {KIND_NAMES[kind]}s"
        shown = ", ".join(keys[:30]) + (f", … ({len(keys)} in all)" if len(keys) > 30 else "")
        return f"{KIND_NAMES[kind]}s: {shown}"

    def resolve(self, kind: str, name: str, *, section: str | None, where: str) -> Target:
        ref = f"[[{kind}:{name}]]"
        if not name:
            raise RenderError(f"empty cross-reference {ref} in {where}; write e.g. [[{kind}:NAME]]")
        if (kind, name) in self.targets:  # qualified (or a section id)
            return self.targets[(kind, name)]
        if kind != "sec" and "." not in name:
            if section is not None and (kind, f"{section}.{name}") in self.targets:
                return self.targets[(kind, f"{section}.{name}")]
            matches = [t for (c, k), t in self.targets.items() if c == kind and k.split(".", 1)[1] == name]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise RenderError(
                    f"ambiguous cross-reference {ref} in {where}: several sections have a {KIND_NAMES[kind]} "
                    f"named {name!r} ({', '.join(t.key for t in matches)}); write it as "
                    f"[[{kind}:SECTION.{name}]]"
                )
        what = "section" if kind == "sec" else KIND_NAMES[kind]
        raise RenderError(f"unknown cross-reference {ref} in {where}: no {what} {name!r}; {self._known(kind)}")

    def canonical(self, text: str, *, section: str | None, where: str) -> str:
        """``text`` with every reference qualified (``[[fig:x]]`` → ``[[fig:market.x]]``);
        raises :class:`RenderError` naming the reference and ``where`` when one is unknown."""
        if not text or "[[" not in text:
            return text

        def sub(m: re.Match) -> str:
            target = self.resolve(m.group(1), m.group(2), section=section, where=where)
            return f"[[{target.kind}:{target.key}]]"

        return REFERENCE.sub(sub, text)

    def plain(self, text: str, *, section: str | None, where: str) -> str:
        """``text`` with every reference written as its label (「图 3」), as plain text: for outputs
        that are not HTML (the data pack). Raises :class:`RenderError` as :meth:`canonical` does."""
        if not text or "[[" not in text:
            return text
        return REFERENCE.sub(lambda m: self.label(self.resolve(m.group(1), m.group(2), section=section, where=where)),
                             text)

    # ------------------------------------------------------------------ showing

    def link(self, value: object, *, link: bool = True, where: str = "a template") -> Markup:
        """Escape ``value`` (unless it is markup already) and turn references into links
        (``link=False``: into their plain label, e.g. inside a table of contents entry)."""
        html = str(value) if isinstance(value, Markup) else str(escape_text("" if value is None else value))
        if "[[" not in html:
            return Markup(html)  # noqa: S704 - escaped above or markup already

        def sub(m: re.Match) -> str:
            target = self.resolve(m.group(1), m.group(2), section=None, where=where)
            label = escape(self.label(target))
            if not link:
                return str(label)
            return f'<a class="xref xref-{KIND_NAMES[target.kind]}" href="#{target.anchor}">{label}</a>'

        return Markup(REFERENCE.sub(sub, html))  # noqa: S704 - labels escaped, anchors are ours
