"""Read an analyst's table as it was written: CSV/TSV/TXT, Excel .xlsx and Parquet files.

:func:`read_table` returns the cells as text (``str`` columns; an empty cell is missing) for
text files and Excel sheets, and the stored types for Parquet files. It never guesses a type:
numbers and dates are converted later, explicitly, by :mod:`reportkit.data.numbers` and
:mod:`reportkit.data.schemas`, so a cell such as ``1.2万`` or ``2024/1/8`` is either read as
meant or refused with its row, never half-converted.

Encodings of text files (the rule is the same for every reader of the kit):

* a byte-order mark decides: UTF-8, UTF-16 LE/BE or UTF-32 LE/BE;
* a declared ``encoding`` (e.g. ``"gb18030"``) is used as given, strictly; a byte that does not
  decode is reported with its byte offset and line;
* otherwise the file must be strict UTF-8. A file that is not UTF-8 but decodes as GB18030 (the
  superset of GBK that Excel and WPS use on Chinese Windows) is **refused**, not read: the error
  says so and asks for ``encoding="gb18030"``. A guess that turns out wrong (a Big5 or Latin-1
  file also often "decodes" as GBK) would put garbled brand names into a report without anyone
  noticing; one explicit word from the analyst costs nothing.

Structure is checked while reading: blank lines are skipped, a header-only or empty file, a
row with more or fewer cells than the header, an empty or repeated header name, a file split by
the wrong separator, merged cells, title rows and two-row headers in a sheet, Excel error cells
and formulas without a saved value are refused. Every problem raises
:class:`~reportkit.errors.DataError` naming the file, the column and the line (text files:
the header is line 1) or sheet row; no other exception type escapes, and nothing is written.

``columns={"品牌": "brand", "周": "week"}`` renames the analyst's columns to the kit's roles.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import math
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from .formats import file_format
from .messages import MAX_SHOWN, RowNumbers, and_more
from .paths import resolve_data_path

__all__ = [
    "Table",
    "read_table",
    "read_located",
    "decode_text",
    "sniff_separator",
    "SheetValues",
    "read_excel_values",
    "map_columns",
]

# (mark, codec, name, declared codecs that agree with it); UTF-32 marks first: they start
# with the UTF-16 LE mark.
_BOMS: tuple[tuple[bytes, str, str, frozenset[str]], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE", frozenset({"utf-32", "utf-32-le"})),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE", frozenset({"utf-32", "utf-32-be"})),
    (codecs.BOM_UTF8, "utf-8", "UTF-8", frozenset({"utf-8", "utf-8-sig"})),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE", frozenset({"utf-16", "utf-16-le"})),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE", frozenset({"utf-16", "utf-16-be"})),
)
_MAGIC = ((b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook under a text-file name?)"),
          (b"PAR1", "a Parquet file"),
          (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV)"))


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A table read from a file, with where each row came from."""

    frame: pd.DataFrame
    path: Path
    rows: RowNumbers
    kind: str  # "text" | "excel" | "parquet"
    header_line: int = 1
    encoding: str | None = None
    sheet: str | None = None

    @property
    def where_header(self) -> str:
        """``"line 1"`` (text), ``"row 1 of sheet 'Data'"`` (Excel) or ``"the schema"`` (Parquet)."""
        if self.kind == "text":
            return f"line {self.header_line}"
        if self.kind == "excel":
            return f"row {self.header_line} of sheet {self.sheet!r}"
        return "the Parquet schema"


# --------------------------------------------------------------------------- entry points


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a .csv/.tsv/.txt, .xlsx/.xlsm or .parquet file without inferring any type.

    Text files and sheets come back as ``str`` columns exactly as written (an empty or blank
    cell is missing); Parquet columns keep their stored types. ``encoding`` declares a text
    file's encoding (see the module doc: undeclared GBK is refused), ``sheet`` picks a sheet by
    name or 0-based position (default: the first), ``columns`` renames the analyst's columns to
    the kit's roles. ``frame.attrs`` holds ``source_path`` and ``reportkit_rows``
    (:class:`RowNumbers`). Raises :class:`DataError` only; writes nothing.
    """
    table = read_located(path, encoding=encoding, sheet=sheet, columns=columns)
    frame = table.frame
    frame.attrs["source_path"] = str(table.path)
    frame.attrs["reportkit_rows"] = table.rows
    return frame


def read_located(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Table:
    """As :func:`read_table`, returning a :class:`Table` (frame, resolved path, row locations)."""
    resolved = resolve_data_path(path)
    fmt = file_format(resolved, reader="table")
    if fmt.kind == "text":
        table = _read_text(resolved, encoding=encoding, separator=fmt.separator)
    elif fmt.kind == "excel":
        _no_encoding(encoding, resolved, "an Excel workbook")
        table = _read_excel(resolved, sheet=sheet)
    else:
        _no_encoding(encoding, resolved, "a Parquet file")
        table = _read_parquet(resolved)
    if sheet is not None and table.kind != "excel":
        raise DataError(f"sheet={sheet!r} was given but the file is not an Excel workbook",
                        path=resolved)
    if columns is not None:
        frame = map_columns(table.frame, columns, path=resolved, where=table.where_header)
        table = Table(frame, table.path, table.rows, table.kind, table.header_line,
                      table.encoding, table.sheet)
    return table


def _no_encoding(encoding: str | None, path: Path, what: str) -> None:
    if encoding is not None:
        raise DataError(f"encoding={encoding!r} was given but the file is {what}, which has no "
                        "text encoding to declare; leave encoding unset", path=path)


# --------------------------------------------------------------------------- text files


def _line_of(data: bytes, offset: int, codec: str) -> int:
    return data[:offset].decode(codec, errors="replace").count("\n") + 1


def _codec_name(encoding: str, path: Path) -> str:
    if not isinstance(encoding, str) or not encoding.strip():
        raise DataError(f"encoding must be a codec name such as 'utf-8' or 'gb18030'; got "
                        f"{encoding!r}", path=path, expected="a codec name")
    try:
        return codecs.lookup(encoding.strip()).name
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}; expected a codec name such as 'utf-8', "
                        "'gb18030' or 'utf-16'", path=path, expected="a known codec name") from None


def _decode(data: bytes, codec: str, path: Path, *, declared: str | None, shift: int = 0) -> str:
    try:
        return data.decode(codec, errors="strict")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start, codec)
        bad = data[exc.start:exc.start + 4].hex(" ")
        how = f"the declared encoding {declared!r}" if declared else codec.upper()
        raise DataError(
            f"cannot decode the file as {how}: {exc.reason} at byte {exc.start + shift} "
            f"(line {line}, bytes {bad}); expected text in {how}; check the encoding the file "
            "was saved with",
            path=path, rows=[line], expected=f"text in {how}",
        ) from None


def decode_text(data: bytes, *, path: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file's bytes by the kit's rule; return (text, codec used).

    See the module doc. The byte-order mark is removed. Raises :class:`DataError` for an
    undecodable byte (offset and line), a mark that contradicts the declared encoding, an
    undeclared non-UTF-8 file (GBK/GB18030 or other), NUL characters, and binary files (a
    workbook or Parquet file under a text-file name).
    """
    path = Path(path)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DataError(f"this is {what}, not a text file; rename it with the right suffix "
                            "or export it as CSV", path=path, expected="a text (CSV/TSV) file")
    declared = _codec_name(encoding, path) if encoding is not None else None
    text: str | None = None
    codec = declared
    for mark, bom_codec, name, agrees in _BOMS:
        if data.startswith(mark):
            if declared is not None and declared not in agrees:
                raise DataError(
                    f"the file starts with a {name} byte-order mark but encoding={encoding!r} was "
                    f"declared; expected the two to agree: leave encoding unset (the mark decides) "
                    f"or re-save the file",
                    path=path, rows=[1], expected=f"encoding {name} as the byte-order mark says",
                )
            text = _decode(data[len(mark):], bom_codec, path, declared=encoding, shift=len(mark))
            codec = bom_codec
            break
    if text is None and declared is not None:
        text = _decode(data, declared, path, declared=encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
    if text is None:
        try:
            text = data.decode("utf-8", errors="strict")
            codec = "utf-8"
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start, "utf-8")
            bad = data[exc.start:exc.start + 4].hex(" ")
            try:
                data.decode("gb18030", errors="strict")
            except UnicodeDecodeError:
                looks = _no_bom_utf16(data)
                hint = (f"it looks like UTF-16 without a byte-order mark: declare "
                        f"encoding={looks!r}" if looks else
                        "it is not GB18030/GBK either: declare the encoding it was saved with, "
                        "e.g. encoding='big5' or encoding='latin-1'")
            else:
                hint = ("it decodes as GB18030 (the superset of GBK that Excel and WPS use for "
                        'Chinese exports): declare encoding="gb18030" when loading it; the kit '
                        "does not guess encodings")
            raise DataError(
                f"the file is not UTF-8 (invalid byte at offset {exc.start}, line {line}, bytes "
                f"{bad}); {hint}",
                path=path, rows=[line], expected="UTF-8 text, or a declared encoding",
            ) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        looks = _no_bom_utf16(data)
        hint = (f"it looks like UTF-16 without a byte-order mark: declare encoding={looks!r}"
                if looks and encoding is None else "is it a binary file?")
        raise DataError(f"the text holds NUL characters (first on line {line}); {hint}",
                        path=path, rows=[line], expected="text without NUL characters")
    return text, codec or "utf-8"


def _no_bom_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when most odd/even bytes are NUL (ASCII text in UTF-16)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def sniff_separator(text: str, separator: str | None) -> str:
    """``separator``, or for a file that does not say (``.txt``): a tab if the first non-blank
    line has one, else a comma."""
    if separator is not None:
        return separator
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first else ","


def _read_text(path: Path, *, encoding: str | None, separator: str | None) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if not data:
        raise DataError("the file is empty (0 bytes); expected a header row and data rows",
                        path=path, expected="a header row and data rows")
    text, codec = decode_text(data, path=path, encoding=encoding)
    sep = sniff_separator(text, separator)
    records = _csv_records(text, sep, path)
    if not records:
        n_lines = len(text.splitlines()) or 1
        raise DataError(f"the file has no header row: all its {n_lines} line(s) are blank; "
                        "expected a header row on line 1 and data rows below it", path=path,
                        rows=[1], expected="a header row and data rows")
    header_line, header = records[0]
    body = records[1:]
    _check_separator([c.strip() for c in header if c.strip()], sep, path, header_line)
    width = len(header)
    _check_widths([(line, cells) for line, cells in body
                   if len(cells) > width and any(c.strip() for c in cells[width:])],
                  width, header_line, sep, path)
    names, keep = _clean_header(header, [cells for _, cells in body], path=path,
                                label=lambda i: f"column #{i + 1}",
                                header_where=f"the header (line {header_line})")
    if not body:
        raise DataError(
            f"the file has a header (line {header_line}: {', '.join(names)}) but no data rows; "
            "expected at least one data row", path=path, rows=[header_line],
            expected="at least one data row",
        )
    _check_widths([(line, cells) for line, cells in body
                   if len(cells) < width and any(i >= len(cells) for i in keep)],
                  width, header_line, sep, path)
    padded = [cells if len(cells) >= width else cells + [""] * (width - len(cells))
              for _, cells in body]
    by_column = list(zip(*padded, strict=False))  # transposed in C: one tuple of cells per column
    frame = pd.DataFrame({name: _text_column(by_column[i]) for name, i in zip(names, keep, strict=True)})
    rows = RowNumbers(tuple(line for line, _ in body), "line", header_line)
    return Table(frame, path, rows, "text", header_line=header_line, encoding=codec)


def _check_widths(bad: list[tuple[int, list[str]]], width: int, header_line: int, sep: str,
                  path: Path) -> None:
    """Refuse rows with more (non-empty) or fewer cells than the header has columns."""
    if not bad:
        return
    shown = "; ".join(f"line {line} has {len(cells)}" for line, cells in bad[:MAX_SHOWN])
    more = and_more(len(bad))
    raise DataError(
        f"rows with a different number of cells than the header (line {header_line} has "
        f"{width} columns): {shown}{more}; expected {width} cells on every line (a separator "
        f"{sep!r} inside an unquoted cell?)",
        path=path, rows=[line for line, _ in bad[:MAX_SHOWN]], expected=f"{width} cells per line",
    )


def _text_column(cells: Sequence[str]) -> pd.Series:
    """Cells as a ``str`` column; blank cells (only spaces) are missing."""
    column = pd.Series(cells, dtype="str")
    return column.where(column.str.strip() != "")


def _csv_records(text: str, sep: str, path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if "".join(cells).strip():
                records.append((start, cells))
    except csv.Error as exc:
        line = reader.line_num
        raise DataError(
            f"cannot parse line {line}: {exc}; expected {sep!r}-separated cells, quoted with "
            "\" when a cell holds the separator, a quote or a line break",
            path=path, rows=[line], expected="well-formed CSV",
        ) from None
    return records


def _check_separator(names: list[str], sep: str, path: Path, header_line: int) -> None:
    if len(names) != 1:
        return
    for other, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'"), (",", "commas")):
        if other != sep and other in names[0]:
            raise DataError(
                f"the header (line {header_line}) is one column {names[0][:60]!r}: the file "
                f"seems to be separated by {label}, not {sep!r}; expected {sep!r} between "
                "cells (re-export it, or name it .tsv for tab-separated text)",
                path=path, column=names[0], rows=[header_line],
                expected=f"cells separated by {sep!r}",
            )


def _clean_header(header: Sequence[Any], body: Sequence[Sequence[Any]], *, path: Path,
                  label: Callable[[int], str], header_where: str) -> tuple[list[str], list[int]]:
    """Names (stripped) and positions of the columns kept; nameless empty columns are dropped."""
    names: list[str] = []
    keep: list[int] = []
    width = max([len(header), *(len(cells) for cells in body)]) if body else len(header)
    for i in range(width):
        raw = header[i] if i < len(header) else None
        name = str(raw).strip() if raw is not None else ""
        if not name:
            filled = [cells[i] for cells in body if i < len(cells) and _filled(cells[i])]
            if filled:
                raise DataError(
                    f"{label(i)} of {header_where} has no name but the column holds data "
                    f"(e.g. {filled[0]!r}); "
                    "expected a name for every column that holds data",
                    path=path, column=f"#{i + 1}", expected="a name for every column",
                )
            continue
        names.append(name)
        keep.append(i)
    seen: dict[str, int] = {}
    for name, i in zip(names, keep, strict=True):
        if name in seen:
            raise DataError(
                f"the column name {name!r} appears twice in {header_where} ({label(seen[name])} "
                f"and {label(i)}); "
                "expected unique column names", path=path, column=name,
                expected="unique column names",
            )
        seen[name] = i
    if not names:
        raise DataError("the header row has no column names; expected a header row naming "
                        "the columns", path=path, expected="named columns")
    return names, keep


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


# --------------------------------------------------------------------------- Excel


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class SheetValues:
    """The plain table found in one sheet: names, rows of stored values, where rows are."""

    names: list[str]
    rows: list[list[Any]]
    numbers: list[int]  # sheet row number of each data row
    sheet: str
    header_row: int


def read_excel_values(path: Path, *, sheet: str | int | None = None) -> SheetValues:
    """Cell values of one sheet as stored (numbers, dates, text), checked for a plain table.

    The header is the first non-empty row. Refuses a file that is not an .xlsx workbook, an unknown
    sheet (listing the sheets), merged cells (header or data), a title row above the header, a
    two-row header, Excel error cells and formulas without a saved value.
    """
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataError("reading Excel files needs the openpyxl package: pip install openpyxl",
                        path=path) from None
    if not zipfile.is_zipfile(path):
        raise DataError(
            "unsupported content: the file is not an Excel .xlsx workbook (it is not a ZIP "
            "archive; old .xls workbooks and renamed CSV files are not supported); save it as "
            ".xlsx or CSV", path=path, expected="an .xlsx workbook",
        )
    workbook = _open_workbook(openpyxl, path, data_only=False)
    sheets = [ws.title for ws in workbook.worksheets]
    if not sheets:
        raise DataError("the workbook has no worksheets", path=path)
    if sheet is None:
        index = 0
    elif isinstance(sheet, str) and sheet in sheets:
        index = sheets.index(sheet)
    elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(sheets):
        index = sheet
    else:
        raise DataError(f"no sheet {sheet!r}; the workbook has sheets {sheets}; expected one of "
                        "these names (or a 0-based position)", path=path,
                        expected=f"one of {sheets}")
    ws = workbook.worksheets[index]
    name = ws.title
    cells = [list(row) for row in ws.iter_rows()]  # from A1, so row r is sheet row r + 1
    formulas = [c for row in cells for c in row if c.data_type == "f"]
    if formulas:
        cells = [list(row) for row in
                 _open_workbook(openpyxl, path, data_only=True).worksheets[index].iter_rows()]
        saved = {c.coordinate: c.value for row in cells for c in row}
        unsaved = [c for c in formulas if saved.get(c.coordinate) is None]
        _refuse_cells(unsaved, cells, name, path, "hold formulas without a saved value (the "
                      "workbook was written by a program, never opened and saved in Excel); "
                      "expected values: open and save the file in Excel or WPS, or paste values")
    _refuse_cells([c for row in cells for c in row if c.data_type == "e"], cells, name, path,
                  "hold Excel errors; expected values (fix the formulas or clear the cells)")
    values = [[c.value for c in row] for row in cells]
    return _excel_table(ws, values, name, path)


def _refuse_cells(bad: list[Any], cells: list[list[Any]], sheet: str, path: Path, what: str
                  ) -> None:
    """Refuse the cells ``bad``, each named by its coordinate and its column's header name."""
    if not bad:
        return
    top = next((row for row in cells if any(_filled(c.value) for c in row)), [])
    header_row = top[0].row if top else 0
    header = [c.value for c in top]

    def column_of(cell: Any) -> str | None:
        return None if cell.row == header_row else _name_at(header, cell.column - 1)

    shown = ", ".join(f"{c.coordinate} (column {column_of(c) or c.column_letter!r}"
                      + (f": {c.value!r})" if c.value is not None else ")") for c in bad[:MAX_SHOWN])
    raise DataError(f"sheet {sheet!r}: cell(s) {shown} {what}", path=path,
                    column=column_of(bad[0]), rows=[c.row for c in bad[:MAX_SHOWN]],
                    expected="cell values")


def _open_workbook(openpyxl: Any, path: Path, *, data_only: bool) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            return openpyxl.load_workbook(path, read_only=False, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - a damaged workbook fails in many library-specific ways
        raise DataError(
            f"cannot open the workbook ({type(exc).__name__}: {exc}); expected an .xlsx file "
            "saved by Excel, WPS or LibreOffice", path=path, expected="a readable .xlsx workbook",
        ) from None


def _excel_table(ws: Any, values: list[list[Any]], name: str, path: Path) -> SheetValues:
    """Find the header and the data rows of a sheet's values (row r is sheet row r + 1)."""
    filled = [r for r, row in enumerate(values) if any(_filled(v) for v in row)]
    if not filled:
        raise DataError(f"sheet {name!r} is empty; expected a header row and data rows",
                        path=path, expected="a header row and data rows")
    top = filled[0]
    header_row = top + 1
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= header_row <= rng.max_row or rng.min_row > header_row:
            part = "in the header row" if rng.min_row <= header_row else "in data rows"
            column = _name_at(values[top], rng.min_col - 1)
            raise DataError(
                f"sheet {name!r}: cells {rng.coord} are merged ({part}, column "
                f"{column or _column_letter(rng.min_col - 1)!r}, header at row {header_row}); "
                "expected one header row with one name per column and every cell filled, "
                "a plain table without merged cells: unmerge the cells and fill them",
                path=path, rows=[rng.min_row], column=column,
                expected="a plain table without merged cells",
            )
    header = values[top]
    named = [j for j, v in enumerate(header) if _filled(v)]
    below = [values[r] for r in filled[1:]]
    if len(named) == 1 and any(sum(_filled(v) for v in row) > 1 for row in below):
        cell = f"{_column_letter(named[0])}{header_row}"
        raise DataError(
            f"sheet {name!r}: row {header_row} holds only {cell}={header[named[0]]!r} (a title?) "
            "while the rows below have several cells; expected the column names in the first "
            "non-empty row: delete the title rows above the header",
            path=path, rows=[header_row], expected="the header as the first non-empty row",
        )
    if below and len(named) > 1:
        gaps = [j for j in range(named[0], named[-1]) if j not in named]
        nxt = below[0]
        sub = [j for j in gaps if j < len(nxt) and isinstance(nxt[j], str) and _filled(nxt[j])]
        texty = all(isinstance(v, str) for v in nxt if _filled(v))
        if sub and texty:
            cells = ", ".join(f"{_column_letter(j)}{filled[1] + 1} ({nxt[j]!r})" for j in sub[:3])
            raise DataError(
                f"sheet {name!r}: rows {header_row} and {filled[1] + 1} look like a "
                f"two-row header (row {header_row} has blanks above the names in {cells}); "
                "expected a single header row: combine the two rows into one name per column",
                path=path, rows=[header_row, filled[1] + 1], column=str(nxt[sub[0]]).strip(),
                expected="a single header row",
            )
    body_rows = [values[r] for r in filled[1:]]
    names, keep = _clean_header(header, body_rows, path=path,
                                label=lambda j: f"cell {_column_letter(j)}{header_row}",
                                header_where=f"the header (row {header_row} of sheet {name!r})")
    if not body_rows:
        raise DataError(
            f"sheet {name!r} has a header (row {header_row}: {', '.join(names)}) but no data "
            "rows; expected at least one data row", path=path, rows=[header_row],
            expected="at least one data row",
        )
    rows = [[row[j] if j < len(row) else None for j in keep] for row in body_rows]
    return SheetValues(names, rows, [r + 1 for r in filled[1:]], name, header_row)


def _name_at(row: list[Any], j: int) -> str | None:
    value = row[j] if 0 <= j < len(row) else None
    return str(value).strip() if _filled(value) else None


def _excel_text(value: Any) -> str | None:
    """One cell as text: numbers without a spurious '.0', dates as ISO, booleans TRUE/FALSE."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _read_excel(path: Path, *, sheet: str | int | None) -> Table:
    sheet_values = read_excel_values(path, sheet=sheet)
    frame = pd.DataFrame({
        col: pd.Series([_excel_text(row[j]) for row in sheet_values.rows], dtype="str")
        for j, col in enumerate(sheet_values.names)
    })
    return Table(frame, path, RowNumbers(tuple(sheet_values.numbers), "row",
                                         sheet_values.header_row), "excel",
                 header_line=sheet_values.header_row, sheet=sheet_values.sheet)


# --------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataError("reading Parquet needs the pyarrow package, which is not installed: "
                        "pip install pyarrow", path=path) from None
    try:
        if path.stat().st_size == 0:
            raise DataError("the file is empty (0 bytes); expected a Parquet file with data",
                            path=path, expected="a Parquet file with data")
        arrow = pq.read_table(path)
        arrow.validate(full=True)  # e.g. invalid UTF-8 in a string column, which pandas would only meet later
        frame = arrow.to_pandas(ignore_metadata=True)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow reports damaged files in many ways
        raise DataError(f"cannot read the Parquet file ({type(exc).__name__}: {exc}); expected "
                        "a readable Parquet file", path=path,
                        expected="a readable Parquet file") from None
    frame = frame.drop(columns=[c for c in frame.columns
                                if isinstance(c, str) and c.startswith("__index_level_")])
    bad = [c for c in frame.columns if not isinstance(c, str) or not c.strip()]
    if bad:
        raise DataError(f"column names {bad!r} are not text; expected named columns",
                        path=path, expected="text column names")
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"the column name(s) {dup} appear more than once; expected unique names",
                        path=path, column=dup[0], expected="unique column names")
    if frame.shape[1] == 0:
        raise DataError("the file has no columns; expected named columns with data", path=path)
    if len(frame) == 0:
        raise DataError(f"the file has columns ({', '.join(frame.columns)}) but no rows; "
                        "expected at least one data row", path=path,
                        expected="at least one data row")
    frame = frame.reset_index(drop=True)
    return Table(frame, path, RowNumbers(tuple(range(1, len(frame) + 1)), "row", None), "parquet",
                 header_line=0)


# --------------------------------------------------------------------------- column mapping


def map_columns(frame: pd.DataFrame, columns: Mapping[str, str], *, path: str | Path | None,
                where: str = "the header") -> pd.DataFrame:
    """Rename the analyst's columns to the kit's roles: ``{"品牌": "brand", "周": "week"}``.

    Every source name must be a column of the file (else the error lists the file's columns
    and the closest names); two sources may not map to one role, and a role may not collide
    with a column that keeps its name. Returns a new frame; columns not in the mapping keep
    their names.
    """
    if not isinstance(columns, Mapping):
        raise DataError(f"columns must be a mapping from the file's names to roles, e.g. "
                        f"{{'品牌': 'brand'}}; got {type(columns).__name__}", path=path,
                        expected="a mapping {source name: role}")
    have = [str(c) for c in frame.columns]
    for source, role in columns.items():
        if not isinstance(source, str) or not isinstance(role, str) or not role.strip():
            raise DataError(f"columns maps {source!r} to {role!r}; expected text on both sides",
                            path=path, expected="a mapping {source name: role}")
    unknown = [s for s in columns if s not in have]
    if unknown:
        hints = []
        for source in unknown:
            close = difflib.get_close_matches(source.strip(), have, n=1, cutoff=0.6)
            if close:
                hints.append(f"{source!r} → did you mean {close[0]!r}?")
        raise DataError(
            f"the column mapping names {unknown} but {where} has no such column; the file's "
            f"columns are {have}" + (f" ({'; '.join(hints)})" if hints else ""),
            path=path, column=unknown[0], expected=f"one of {have}",
        )
    by_role: dict[str, list[str]] = {}
    for source, role in columns.items():
        by_role.setdefault(role, []).append(source)
    for role, sources in by_role.items():
        if len(sources) > 1:
            raise DataError(f"the column mapping sends {sources} all to {role!r}; expected one "
                            "source column per role", path=path, column=role,
                            expected="one source column per role")
        if role in have and role not in columns and sources[0] != role:
            raise DataError(
                f"the column mapping renames {sources[0]!r} to {role!r}, but the file already "
                f"has a column {role!r} ({where}); expected one column per role: map or drop one",
                path=path, column=role, expected="one column per role",
            )
    renamed = frame.rename(columns=dict(columns))
    renamed.attrs = dict(frame.attrs)
    return renamed
