"""The data pack: ``report-data.xlsx``, the numbers behind every figure and table of a report.

A build whose spec lists ``xlsx`` in its outputs writes one Excel workbook beside ``report.pdf``:

* an index sheet (「索引」/"Index"): the report's title and build time, then one row per figure and
  table in the order the report shows them: number, kind, caption, sheet (a link to it), section,
  unit, source, note;
* one sheet per figure and table, named by its number and caption (「图 2 全国网上零售额…」), with
  the number as the report shows it (「图 2」「表 3」/"Figure 2", "Table 3"), caption, section, unit,
  source and note in rows 1–6, then from row :data:`DATA_HEADER_ROW` its data: a header row and one
  row per recorded row, numbers as numbers, unrounded (to 16 significant digits, as openpyxl writes
  every float; a table's cells formatted to the decimals the report shows them with), years as
  numbers (a year or period column of four-digit years recorded as text, as the market series
  record them, :func:`_year_columns`), yes/no as the report writes them, text as text (never a formula).

The numbers are the report's own (:func:`~reportkit.render.html.number_figures_and_tables`, the
numbering the HTML uses), and so are the labels and cross-references in captions and notes
(:class:`~reportkit.render.xref.References`). A figure's data is what it was drawn from
(:attr:`reportkit.record.Figure.data`); a figure recorded without it fails the build
(:func:`figures_without_data`), since the pack would not hold what the report shows. A sheet's
source is the citation of the data files its section's notebook was given (:func:`section_sources`).

Fixed strings come from the catalogue's ``data_pack`` group in the edition's language, and every
string of the workbook goes through ``convert`` (a Traditional Chinese edition passes its converter,
as the HTML is converted). The file is written under a temporary name and renamed
(:mod:`reportkit.atomic`); the same build gives the same bytes (the workbook's dates and its ZIP
entries' times are the build's ``generated`` time).
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .. import yaml_files
from ..atomic import write_atomic
from ..errors import RenderError, ReportKitError
from ..i18n import Text, catalogue, check_language, html_lang
from ..record import Figure, SectionResults, Table
from ..spec import ReportSpec
from ..style.formatting import is_label_column, is_year_column
from .html import Numbered, load_strings, number_figures_and_tables, report_references
from .problems import Problem, raise_if_problems

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from ..plan import Plan

__all__ = ["DATA_HEADER_ROW", "INDEX_HEADER_ROW", "figures_without_data", "section_sources", "sheet_name",
           "write_data_pack"]

#: the row of a figure's or table's sheet where its data's header is (rows 1–6: number, caption,
#: section, unit, source, note): ``pandas.read_excel(path, sheet_name=…, header=DATA_HEADER_ROW - 1)``
DATA_HEADER_ROW = 8
#: the row of the index sheet where the list's header is (row 1: the title and build time)
INDEX_HEADER_ROW = 3

#: Excel's rules for a sheet name: at most 31 characters, none of these, not starting or ending with
#: an apostrophe, unique regardless of case, and not "History" (Excel's own)
SHEET_NAME_MAX = 31
_FORBIDDEN = {"[": "(", "]": ")", ":": "-", "*": "_", "?": "_", "/": "-", "\\": "-"}
_RESERVED_NAMES = {"history"}
#: characters an XML worksheet cannot hold (control characters but tab and line breaks)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_METADATA = ("number", "caption", "section", "unit", "source", "note")  # rows 1–6 of a data sheet
_INDEX_COLUMNS = ("number", "kind", "caption", "sheet", "section", "unit", "source", "note")
_INDEX_WIDTHS = (10, 6, 48, 30, 28, 10, 40, 60)


def _identity(text: str) -> str:
    return text


# --------------------------------------------------------------------------- checks and inputs


def figures_without_data(results: Mapping[str, SectionResults]) -> list[Problem]:
    """Every figure recorded without the data it was drawn from: the data pack cannot hold it."""
    problems = []
    for section, res in results.items():
        for rec in res.records:
            if isinstance(rec, Figure) and rec.data is None:
                problems.append(Problem(
                    section, f"figure {rec.name!r} ({res.notebook})", "no data recorded",
                    f"the data pack (xlsx in the spec's outputs) holds the numbers behind every figure; record them "
                    f"with rk.record({rec.name!r}, fig, data=frame) (the DataFrame the figure was drawn from), or draw "
                    "the figure with a reportkit.analysis.plots function (they keep their data with the figure), "
                    "or leave xlsx out of the spec's outputs"))
    return problems


def section_sources(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Each section's sources, in the plan's language: the citation of every data file its notebook
    was given (a parameter's value, or a declared default, naming a file): the spec's ``data`` entry
    for it, else the ``source`` of the metadata file beside it (:func:`reportkit.plan.metadata_file`).
    A section that read none of them has no source ``()``."""
    from ..plan import metadata_file, notebook_facts

    spec, lang = plan.spec, plan.lang
    cited = {os.path.normpath(d.path): d.source[lang] for d in spec.data}
    sources: dict[str, tuple[str, ...]] = {}
    for run in plan.runs:
        values = notebook_facts(run.notebook)[0].defaults() | run.parameters
        named = [os.path.normpath(v.strip()) for v in values.values() if isinstance(v, str) and v.strip()
                 and len(v) < 1024]
        found = [source for path, source in cited.items() if path in named]
        for path in named:
            try:
                data_file = spec.resolve(path)
                if path in cited or not data_file.is_file() or metadata_file(data_file) == data_file:
                    continue
            except (OSError, ValueError):  # not a file name at all ("美妆个护", "cluster", …)
                continue
            source = _metadata_source(metadata_file(data_file), lang)
            if source and source not in found:
                found.append(source)
        sources[run.section] = tuple(dict.fromkeys(found))
    return sources


def _metadata_source(path: Path, lang: str) -> str:
    """The ``source`` of a data file's metadata file in ``lang`` ("" without one)."""
    try:
        if not path.is_file():
            return ""
        meta = yaml_files.safe_load(path.read_text(encoding="utf-8"))
        source = meta.get("source") if isinstance(meta, dict) else None
        return Text.coerce(source, source=str(path))[lang] if source else ""
    except (OSError, ValueError, yaml.YAMLError, ReportKitError):  # ReportKitError: no entry in lang
        return ""  # the notebook read the file; a citation the pack cannot read is left out, not fatal


# --------------------------------------------------------------------------- sheet names


def sheet_name(text: str, taken: Iterable[str] = ()) -> str:
    """A valid Excel sheet name from ``text``, different from every name in ``taken`` (compared
    regardless of case, as Excel does): forbidden characters (``[]:*?/\\``) replaced, whitespace
    collapsed, apostrophes trimmed from the ends, cut to 31 characters (with "…"), and " (2)", " (3)"…
    added when the name is taken."""
    name = "".join(_FORBIDDEN.get(ch, ch) for ch in _ILLEGAL.sub(" ", text))
    name = " ".join(name.split()).strip("'").strip() or "Sheet"
    if len(name) > SHEET_NAME_MAX:
        name = name[:SHEET_NAME_MAX - 1].rstrip().rstrip("'") + "…"
    used = {t.lower() for t in taken} | _RESERVED_NAMES
    if name.lower() not in used:
        return name
    for n in range(2, 10_000):
        suffix = f" ({n})"
        candidate = name[:SHEET_NAME_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        if candidate.lower() not in used:
            return candidate
    raise RenderError(f"no free sheet name for {text!r}: 10,000 sheets share it")  # pragma: no cover


# --------------------------------------------------------------------------- cells


def _text(value: str, convert: Callable[[str], str]) -> str:
    return convert(_ILLEGAL.sub("", value))


def _value(value: Any, convert: Callable[[str], str], yes_no: tuple[str, str]) -> Any:
    """A cell's value: a number as a number (NaN and infinities left empty), a yes/no as the report
    writes it (「是」/「否」), text converted."""
    if value is None:
        return None
    if isinstance(value, bool):
        return convert(yes_no[0] if value else yes_no[1])
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    return _text(value if isinstance(value, str) else str(value), convert)


def _put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is text even when it starts with "=" (openpyxl would make it a formula)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _number_format(decimals: int | None) -> str:
    return "General" if decimals is None else "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _formats(rec: Figure | Table, columns: Sequence[str]) -> list[str | None]:
    """Per column, the number format a table's numbers are shown with in the report (its decimals,
    thousands separators; none for label columns such as years); None: as recorded (figures)."""
    if not isinstance(rec, Table) or rec.style == "regression":
        return [None] * len(columns)
    formats: list[str | None] = []
    for name in columns:
        if is_label_column(name):
            formats.append(None)
        else:
            decimals = rec.decimals.get(name, 2) if isinstance(rec.decimals, dict) else rec.decimals
            formats.append(_number_format(decimals))
    return formats


# a year as the market series record it ("2014")
_YEAR_TEXT = re.compile(r"[12][0-9]{3}")


def _year_columns(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> set[int]:
    """Indexes of the columns whose values are years written as text, to be written as numbers:
    year and period columns (not codes or ids, whose leading zeros matter) in which every value is
    a four-digit year ("2014") or missing, at least one being text."""
    found = set()
    for j, name in enumerate(columns):
        if not is_year_column(name):
            continue
        values = [row[j] for row in rows if j < len(row) and row[j] is not None]
        if (any(isinstance(v, str) for v in values)
                and all((isinstance(v, str) and _YEAR_TEXT.fullmatch(v)) or (isinstance(v, int) and not isinstance(v, bool))
                        for v in values)):
            found.add(j)
    return found


def _width(text: str) -> float:
    """Roughly how wide ``text`` shows in a cell: East Asian characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# --------------------------------------------------------------------------- the workbook


def _section_label(item: Numbered, spec: ReportSpec, lang: str, say: Mapping[str, str]) -> str:
    number = next(i for i, sec in enumerate(spec.sections, 1) if sec.id == item.section)
    title = spec.section(item.section).title[lang]
    return say["section_appendix" if item.appendix else "section_chapter"].format(n=number, title=title)


def _data_sheet(ws: Worksheet, meta: Mapping[str, str], rec: Figure | Table, labels: Mapping[str, str],
                convert: Callable[[str], str], yes_no: tuple[str, str]) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    for row, key in enumerate(_METADATA, 1):
        _put(ws, row, 1, labels[key]).font = bold
        cell = _put(ws, row, 2, meta[key] or None)
        if key == "number":
            cell.font = bold
    ws.column_dimensions["A"].width = max(10.0, *(_width(labels[key]) + 2 for key in _METADATA))
    if isinstance(rec, Table):
        columns, rows = rec.columns, rec.rows
    else:
        assert rec.data is not None  # figures_without_data was checked first
        columns, rows = rec.data.columns, rec.data.rows
    header = DATA_HEADER_ROW
    for j, name in enumerate(columns, 1):
        cell = _put(ws, header, j, _text(str(name), convert))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = min(40.0, max(ws.column_dimensions[letter].width or 0, 10.0,
                                                           _width(str(cell.value)) + 2))
    formats = _formats(rec, columns)
    years = _year_columns(columns, rows)
    for i, values in enumerate(rows, header + 1):
        for j, value in enumerate(values, 1):
            if j - 1 in years and isinstance(value, str):
                value = int(value)
            cell = _put(ws, i, j, _value(value, convert, yes_no))
            fmt = formats[j - 1] if j - 1 < len(formats) else None
            if fmt is not None and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = "#,##0" if isinstance(cell.value, int) else fmt
    ws.freeze_panes = ws.cell(row=header + 1, column=1)


def _index_sheet(ws: Worksheet, about: str, entries: list[dict[str, str]], labels: Mapping[str, str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    _put(ws, 1, 1, about).font = Font(bold=True)
    bold = Font(bold=True)
    for j, key in enumerate(_INDEX_COLUMNS, 1):
        _put(ws, INDEX_HEADER_ROW, j, labels[key]).font = bold
        ws.column_dimensions[ws.cell(row=INDEX_HEADER_ROW, column=j).column_letter].width = _INDEX_WIDTHS[j - 1]
    for i, entry in enumerate(entries, INDEX_HEADER_ROW + 1):
        for j, key in enumerate(_INDEX_COLUMNS, 1):
            cell = _put(ws, i, j, entry[key] or None)
            if key == "sheet":  # a link to the sheet (an apostrophe in its name doubled, as Excel quotes it)
                quoted = entry["sheet"].replace("'", "''")
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!A1")
                cell.style = "Hyperlink"
    ws.freeze_panes = ws.cell(row=INDEX_HEADER_ROW + 1, column=1)


def build_workbook(spec: ReportSpec, results: Mapping[str, SectionResults], *, lang: str, generated: str,
                   sources: Mapping[str, Sequence[str]] | None = None,
                   convert: Callable[[str], str] = _identity) -> Workbook:
    """The data pack's workbook (see the module's docstring); :func:`write_data_pack` saves it."""
    from openpyxl import Workbook

    lang = check_language(lang, source="write_data_pack", error=RenderError)
    when = _timestamp(generated)
    missing = [s.id for s in spec.sections if s.id not in results]
    if missing:
        raise RenderError(f"the data pack needs every section's results; none for {', '.join(missing)} "
                          f"(results were given for: {', '.join(results) or '(none)'})")
    raise_if_problems(figures_without_data({s.id: results[s.id] for s in spec.sections}), what="the data pack")
    seen: dict[str, str] = {}

    def conv(text: str) -> str:  # one conversion per distinct string
        if text not in seen:
            seen[text] = convert(text)
        return seen[text]

    strings = load_strings(lang)
    say = catalogue("data_pack", lang)
    labels = {key: conv(say[key]) for key in {*_METADATA, *_INDEX_COLUMNS}}
    numbered = number_figures_and_tables(spec, results)
    refs = report_references(spec, numbered, strings)
    sources = sources or {}
    words = catalogue("numbers", lang)
    yes_no = (words["yes"], words["no"])

    wb = Workbook()
    index = wb.active
    index.title = sheet_name(conv(say["index"]))
    taken = [index.title]
    entries: list[dict[str, str]] = []
    for item in numbered:
        rec, where = item.record, f"section {item.section!r}, {item.kind} {item.record.name!r}"
        label = conv(strings["xref_figure" if item.kind == "figure" else "xref_table"].format(n=item.number))
        caption = conv(refs.plain(rec.caption, section=item.section, where=f"{where} (caption)"))
        meta = {
            "number": label, "caption": caption, "section": conv(_section_label(item, spec, lang, say)),
            "unit": conv(rec.unit), "source": conv(say["source_separator"].join(sources.get(item.section, ()))),
            "note": conv(refs.plain(rec.note, section=item.section, where=f"{where} (note)")),
        }
        name = sheet_name(f"{label} {caption}", taken)
        taken.append(name)
        _data_sheet(wb.create_sheet(name), meta, rec, labels, conv, yes_no)
        entries.append({**meta, "kind": conv(strings[item.kind]), "sheet": name})
    title = conv(spec.title[lang])
    _index_sheet(index, conv(say["about"].format(title=title, generated=generated)), entries, labels)
    wb.properties.creator = "reportkit"
    wb.properties.title = title
    wb.properties.language = html_lang(lang)
    wb.properties.created = wb.properties.modified = when
    return wb


def _timestamp(generated: str) -> datetime:
    """The build's time, as a naive UTC datetime (what the workbook and ZIP formats hold)."""
    try:
        when = datetime.fromisoformat(generated)
    except (TypeError, ValueError) as exc:
        raise RenderError(f"generated={generated!r} is not an ISO 8601 time; expected the build's, e.g. "
                          "2025-03-01T09:30:00+00:00") from exc
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return max(when, datetime(1980, 1, 1))  # the earliest time a ZIP entry can have


class _FixedTimeZip(zipfile.ZipFile):
    """A ZIP archive whose entries all carry one time (not the time of writing), so that the same
    workbook gives the same bytes."""

    def __init__(self, file: io.BytesIO, when: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._when = when.timetuple()[:6]

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._when)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16  # as ZipFile.writestr gives a name
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl writes each worksheet to a temporary file first: its time would be the file's
        self.writestr(str(arcname or filename), Path(filename).read_bytes(), compress_type, compresslevel)


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx file of ``wb`` with its modification date as set (openpyxl's ``save`` would stamp
    the time of saving) and every ZIP entry dated at the workbook's creation time."""
    from openpyxl.writer.excel import ExcelWriter

    buf = io.BytesIO()
    archive = _FixedTimeZip(buf, wb.properties.created or datetime(1980, 1, 1))
    ExcelWriter(wb, archive).save()  # writes every part and closes the archive
    return buf.getvalue()


def write_data_pack(path: str | Path, spec: ReportSpec, results: Mapping[str, SectionResults], *, lang: str,
                    generated: str, sources: Mapping[str, Sequence[str]] | None = None,
                    convert: Callable[[str], str] = _identity) -> Path:
    """Write the data pack of a report to ``path`` (``report-data.xlsx``) and return ``path``.

    ``results`` maps each section id to what its run recorded; ``lang`` is the edition's language
    (the numbers' labels, the fixed strings); ``generated`` the build's ISO time (shown in the index,
    and the workbook's dates: the same build gives the same bytes); ``sources`` maps a section id to
    the citations of its data (:func:`section_sources`); ``convert`` is applied to every string of
    the workbook (a Traditional Chinese edition's converter). Written under a temporary name and
    renamed: an error leaves no file, and an earlier one as it was.

    Raises :class:`RenderError` for a figure without data (naming each), an unknown language, a
    missing section's results or an unknown cross-reference in a caption or note.
    """
    wb = build_workbook(spec, results, lang=lang, generated=generated, sources=sources, convert=convert)
    return write_atomic(path, workbook_bytes(wb))
