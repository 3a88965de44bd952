"""The analyst edition's appendix: each executed section notebook, code and outputs, inside the report.

nbconvert's :class:`~nbconvert.HTMLExporter` renders a notebook (template ``basic``: the cells
only, no page around them, no MathJax or require.js). Before that, outputs are trimmed to what a
reader can use and narrative cells are turned into source; after it, every cell's HTML goes
through :func:`~reportkit.render.sanitise.sanitise`:

* outputs: the reportkit record outputs show their plain text summary ("[recorded metric] …"),
  JavaScript and widget outputs are dropped, SVG images are vetted
  (:func:`~reportkit.render.html_checks.check_svg`) and become ``data:`` URLs, long plain-text
  outputs are cut after :data:`MAX_TEXT_OUTPUT` characters, and missing values in tables and
  text outputs read "—" as everywhere else in the report;
* narrative cells (markdown tagged ``report``, ``report-zh``, ``report-en``) are shown as their
  markdown source, escaped, under a label: the chapter shows them rendered with the placeholders
  filled; here they are what the analyst wrote (``{{ level_latest | yuan }}``), not output;
* the sanitiser (nh3, an allow-list) keeps no script, style, frame, object, form, media, event
  handler or external reference; ids and in-page links are prefixed per notebook, so that they
  never clash with the report's or each other's. What it removed is logged (a warning) and listed
  at the top of the notebook in the appendix, by cell;
* braces are written as character references (``&#123;``), so that source and data can never be
  taken for a leftover of the report's templates by :func:`~reportkit.render.check_html`.

Styling is the report's own (``templates/report/notebook.css``, only in this edition).
"""

from __future__ import annotations

import base64
import copy
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from ..errors import RenderError
from ..record import MIME_TYPE, REPORT_TAG, numbered_cells
from .escaping import encode_braces
from .sanitise import sanitise

log = logging.getLogger(__name__)

DROPPED_MIME_TYPES = (
    MIME_TYPE, "application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json", "text/latex", "text/markdown",
)
_MISSING_CELL = re.compile(r"(<t[dh]\b[^>]*>)\s*(?:nan|NaN|None|NaT|&lt;NA&gt;|<NA>)\s*(</t[dh]>)")
_MISSING_WORD = re.compile(r"(?<![A-Za-z_.])(NaN|nan|NaT|<NA>)(?![A-Za-z_])")
# nbconvert's basic template: one <div class="cell …" id="cell-id=…"> per cell, each on a new line
_CELL_START = re.compile(r'(?=<div class="cell border-box-sizing)')
_CELL_ID = re.compile(r'^<div class="cell[^>]*?\sid="cell-id=([^"]*)"')
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


@dataclass
class Removals:
    """What was taken out of one notebook on its way into the appendix: cell number (None: the
    injected parameters cell, or a cell that could not be told) → phrases ("1 × <script>")."""

    by_cell: dict[int | None, list[str]] = field(default_factory=dict)

    def add(self, cell: int | None, items: list[str]) -> None:
        if items:
            self.by_cell.setdefault(cell, []).extend(items)

    def __bool__(self) -> bool:
        return bool(self.by_cell)

    def lines(self, cell_label: str = "cell {n}") -> list[str]:
        return [(cell_label.format(n=cell) if cell is not None else "—") + ": " + "; ".join(items)
                for cell, items in self.by_cell.items()]


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _is_narrative(cell: Any) -> bool:
    tags = (cell.get("metadata") or {}).get("tags", [])
    return cell.get("cell_type") == "markdown" and any(
        t == REPORT_TAG or t.startswith(REPORT_TAG + "-") for t in tags)


def _as_source(markdown: str, label: str) -> str:
    """A narrative cell's markdown shown as source: a fenced block (longer than any run of
    backticks in it), under a label; markdown renders the block escaped."""
    longest = max((len(m) for m in re.findall(r"`+|~+", markdown)), default=0)
    fence = "`" * max(3, longest + 1)
    return f'<p class="nb-narrative">{escape(label)}</p>\n\n{fence}\n{markdown}\n{fence}\n'


def _svg_output(svg: str, where: str) -> str:
    """An SVG output as an ``<img>`` with a ``data:`` URL; :class:`RenderError` if it is refused."""
    from .html_checks import check_svg

    check_svg(svg, where=where)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="{uri}" alt="">'


def _clean_outputs(nb: Any, truncated: str, *, narrative: str = "", removals: Removals | None = None) -> Any:
    nb = copy.deepcopy(nb)
    removals = removals if removals is not None else Removals()
    for number, cell in numbered_cells(nb):
        if _is_narrative(cell):
            cell["source"] = _as_source(_text(cell.get("source", "")), narrative)
            continue
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _clean_text(_text(out.get("text", "")), truncated)
            data = out.get("data")
            if data is not None:
                for mime in DROPPED_MIME_TYPES:
                    data.pop(mime, None)
                svg = data.pop("image/svg+xml", None)
                if svg is not None and "image/png" not in data:
                    try:
                        data["text/html"] = _svg_output(_text(svg), f"the SVG output of cell {number}")
                    except RenderError as exc:
                        removals.add(number, [f"1 × SVG image output ({exc})"])
                if "text/plain" in data:
                    data["text/plain"] = _clean_text(_text(data["text/plain"]), truncated)
                if "text/html" in data:
                    data["text/html"] = _MISSING_CELL.sub(lambda m: m.group(1) + MISSING + m.group(2),
                                                          _text(data["text/html"]))
                if not data:
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


def _make_exporter() -> Any:
    from nbconvert import HTMLExporter

    # nbconvert's own sanitiser (sanitize_html) escapes headings and paragraphs of markdown cells
    # with the bleach installed here; :func:`_sanitise_cells` does the cleaning instead
    return HTMLExporter(template_name="basic", exclude_anchor_links=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def _sanitise_cells(body: str, nb: Any, prefix: str, removals: Removals) -> str:
    """Each cell's HTML through the sanitiser on its own (a cell cannot break out of its
    ``<div>``), what was removed noted against the cell's number."""
    numbers = {cell.get("id"): number for number, cell in numbered_cells(nb) if cell.get("id")}
    order = [number for number, _ in numbered_cells(nb)]
    chunks = [c for c in _CELL_START.split(body) if c.strip()]
    aligned = len(chunks) == len(order)
    out = []
    for i, chunk in enumerate(chunks):
        m = _CELL_ID.match(chunk)
        number = numbers.get(m.group(1)) if m else (order[i] if aligned else None)
        done = sanitise(chunk, prefix=prefix)
        routine = [x for x in done.removed(routine=True) if x not in done.removed()]
        if routine:
            log.debug("%s, cell %s: removed %s", prefix, number, "; ".join(routine))
        removals.add(number, done.removed())
        out.append(done.html)
    return "".join(out)


def _removals_note(removals: Removals, intro: str, cell_label: str) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in removals.lines(cell_label))
    return f'<div class="nb-removed"><p>{escape(intro)}</p><ul>{items}</ul></div>\n'


def export_notebooks(notebooks: dict[str, Any], *, truncated: str = "\u2026 (+{n})",
                     narrative: str = "Report narrative (source):",
                     removed: str = "Removed from the output:", cell_label: str = "cell {n}") -> dict[str, Markup]:
    """Section id → the executed notebook as HTML ready to be inlined (see the module doc).

    ``truncated`` ends a cut text output (``{n}``: the number of characters left out);
    ``narrative`` labels a narrative cell shown as source; ``removed`` introduces the list of
    what the sanitiser removed, each line starting with ``cell_label`` (``{n}``: the cell number).
    """
    exporter = _make_exporter()
    out: dict[str, Markup] = {}
    for section, nb in notebooks.items():
        removals = Removals()
        body, _ = exporter.from_notebook_node(_clean_outputs(nb, truncated, narrative=narrative, removals=removals))
        html = _sanitise_cells(body, nb, f"nb-{_slug(section)}", removals)
        if removals:
            log.warning("section %r: the analyst appendix shows its notebook without what could run or "
                        "fetch something: %s", section, " | ".join(removals.lines()))
            html = _removals_note(removals, removed, cell_label) + html
        out[section] = Markup(encode_braces(html))  # noqa: S704 - sanitised by nh3 (sanitise.py)
    return out


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"
