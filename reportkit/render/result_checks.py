"""Checks of the executed notebooks and of what their sections recorded, before anything renders.

:func:`check_results` reads the executed notebooks and what they recorded: tracebacks, stderr and
warnings in any cell; NaN/None/inf in a table that does not declare how missing values are shown
(``Table.missing``) or as a metric's value; empty figures; the placeholders of the markdown
narrative (:mod:`reportkit.render.prose`), and a placeholder naming one of the section's metrics
written where nothing fills it (a plain text, a label, caption or note). Braces in recorded data
are data: a table cell or caption may read "{{Brand}}".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..style.formatting import MISSING_STRINGS, is_missing
from .html_checks import svg_draws_nothing
from .problems import Problem
from .problems import excerpt as _excerpt

__all__ = ["check_results", "notebook_problems", "record_problems"]


# "/tmp/ipykernel_42/123.py:1: " before a warning's text: the kernel's name for the cell, not news
_KERNEL_SOURCE = re.compile(r"^\S*ipykernel_\d+/\d+\.py:\d+: ")
_WARNING_LINE = re.compile(r"Warning\b|^\s*(?:WARNING|warning)\b", re.MULTILINE)

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
