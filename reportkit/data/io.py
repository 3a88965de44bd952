"""Load data files (CSV, Excel, Parquet), typed by pandas or converted and checked by a schema.

Small and general on purpose: every reader in reportkit goes through :func:`load_data` (types
inferred, for the kit's own well-formed files) or :func:`load_panel` /
:func:`load_market_series` (an analyst's file: read as text, converted explicitly, checked by
a schema). Both share :mod:`reportkit.data.readers`, so a missing file, an empty file or a file
in the wrong encoding gives the same clear :class:`~reportkit.errors.DataError` everywhere.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from ..hashing import file_sha256 as _sha256
from .formats import file_format
from .paths import resolve_data_path
from .readers import decode_text, read_excel_values, read_located, sniff_separator
from .schemas import (
    DEFAULT_REQUIRED,
    DESCRIPTIVE_COLUMNS,
    OnUnsorted,
    convert_market_series,
    convert_panel,
    validate_market_series,
    validate_panel,
)

__all__ = [
    "resolve_data_path",  # documented here (notebooks import it from this module); see paths
    "load_data",
    "load_panel",
    "load_market_series",
    "file_sha256",
]


def load_data(path: str | Path, **read_kwargs: Any) -> pd.DataFrame:
    """Read a CSV/TSV/TXT, Excel (.xlsx) or Parquet file into a DataFrame, types inferred.

    ``path`` is resolved with :func:`resolve_data_path`. Text files are decoded by the kit's
    rule (:func:`reportkit.data.readers.decode_text`: a byte-order mark decides, UTF-8 or a
    declared ``encoding="gb18030"`` otherwise; an undeclared GBK file is refused with a hint),
    then parsed by :func:`pandas.read_csv`, which infers the column types; other
    ``read_kwargs`` go to it. Excel sheets are read by
    :func:`reportkit.data.readers.read_excel_values` (``sheet=`` name or position; merged cells
    and two-row headers are refused) and typed like ``read_csv`` would. Parquet files go to
    :func:`pandas.read_parquet` with ``read_kwargs``. Problems raise :class:`DataError` with
    the path. For a checked panel with explicit conversions use :func:`load_panel`.
    """
    resolved = resolve_data_path(path)
    if resolved.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes); expected a header row and data", path=resolved)

    fmt = file_format(resolved, reader="table")
    if fmt.kind == "text":
        frame = _load_text(resolved, fmt.separator, read_kwargs)
    elif fmt.kind == "excel":
        frame = _load_excel(resolved, read_kwargs)
    else:
        frame = _load_parquet(resolved, read_kwargs)

    if frame.shape[1] == 0:
        raise DataError("the file has no columns; expected a header row and data", path=resolved)
    return frame


def _load_text(resolved: Path, separator: str | None, read_kwargs: dict[str, Any]) -> pd.DataFrame:
    kwargs = dict(read_kwargs)
    encoding = kwargs.pop("encoding", None)
    try:
        data = resolved.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", path=resolved) from None
    text, _ = decode_text(data, path=resolved, encoding=encoding)
    kwargs.setdefault("sep", sniff_separator(text, separator))
    try:
        return pd.read_csv(io.StringIO(text), **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            "the file has no columns (blank); expected a header row and data", path=resolved
        ) from exc
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise DataError(f"cannot parse the CSV file: {exc}", path=resolved) from exc


def _load_excel(resolved: Path, read_kwargs: dict[str, Any]) -> pd.DataFrame:
    kwargs = dict(read_kwargs)
    sheet = kwargs.pop("sheet", kwargs.pop("sheet_name", None))
    if kwargs:
        raise DataError(
            f"for Excel files load_data takes only sheet=...; got {sorted(kwargs)}", path=resolved
        )
    table = read_excel_values(resolved, sheet=sheet)
    frame = pd.DataFrame(table.rows, columns=table.names, dtype=object)
    return frame.infer_objects()


def _load_parquet(resolved: Path, read_kwargs: dict[str, Any]) -> pd.DataFrame:
    if "engine" not in read_kwargs and importlib.util.find_spec("pyarrow") is None:
        raise DataError(
            "reading Parquet needs the pyarrow package, which is not installed: "
            "pip install pyarrow",
            path=resolved,
        )
    try:
        return pd.read_parquet(resolved, **read_kwargs)
    except ImportError as exc:
        raise DataError(
            f"reading Parquet needs pyarrow: pip install pyarrow ({exc})", path=resolved
        ) from exc
    except Exception as exc:
        raise DataError(
            f"cannot read the Parquet file ({type(exc).__name__}: {exc})", path=resolved
        ) from exc


def load_panel(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    entity: str = "brand",
    period: str = "week",
    required: Iterable[str] = DEFAULT_REQUIRED,
    today: Any = None,
    missing: Iterable[str] = ("",),
    date_format: str | None = None,
    on_unsorted: OnUnsorted = "sort",
    metrics: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> pd.DataFrame:
    """Read, convert and check an entity × period panel (e.g. brand × week) from any file.

    The file is read as text by :func:`reportkit.data.readers.read_table` (``encoding``,
    ``sheet``; ``columns`` maps the analyst's names to roles, e.g. ``{"品牌": "brand",
    "周": "week", "互动量": "engagement", "加购": "add_to_cart"}``), metrics are converted by
    :mod:`reportkit.data.numbers` (``1,234``, ``1.2万``; cells in ``missing`` are empty) and
    dates by :func:`reportkit.data.schemas.parse_date_column` (``date_format`` for day/month
    first dates), then checked by :func:`reportkit.data.schemas.validate_panel` (``required``
    metrics, ``today`` for future dates, ``on_unsorted``). ``metrics``: more numeric columns
    under the analyst's own names, converted and checked like the known ones; ``extra``: more
    descriptive (text) columns that are expected, so no warning names them. Returns a new frame
    sorted by entity and period: entity as text, the period as ``datetime64[ns]``, metrics as
    float64, other columns as text. Any problem raises one :class:`DataError` naming the file, the columns,
    the first bad lines and what was expected; nothing is written.
    """
    table = read_located(path, encoding=encoding, sheet=sheet, columns=columns)
    required = list(required)
    metrics = [*required, *metrics]
    try:
        typed = convert_panel(table.frame, path=table.path, rows=table.rows, entity=entity,
                              period=period, missing=missing, date_format=date_format, metrics=metrics)
        panel = validate_panel(typed, path=table.path, entity=entity, period=period,
                               required=required, today=today, rows=table.rows,
                               on_unsorted=on_unsorted, metrics=metrics,
                               extra=[*DESCRIPTIVE_COLUMNS, *extra])
    except DataError as exc:
        raise _with_file_names(exc, columns) from None
    panel.attrs = {"source_path": str(table.path)}
    return panel


def _with_file_names(exc: DataError, columns: Mapping[str, str] | None) -> DataError:
    """The error with the file's own names of the mapped columns it mentions, so the analyst can
    find them: "column 'engagement' (your '互动量')"."""
    if not columns:
        return exc
    message = str(exc)
    for source, role in columns.items():
        if source != role:
            message = message.replace(f"column {role!r}", f"column {role!r} (your {source!r})")
    prefix = f"{exc.path}: " if exc.path else ""
    return DataError(message.removeprefix(prefix), path=exc.path, column=exc.column, rows=exc.rows,
                     expected=exc.expected)


def load_market_series(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    period: str = "period",
    value: str = "value",
    unit: str = "unit",
    units: Iterable[str] | None = None,
    today: Any = None,
    missing: Iterable[str] = ("",),
    on_unsorted: OnUnsorted = "sort",
) -> pd.DataFrame:
    """Read, convert and check a market series (period, value, unit) from any file.

    As :func:`load_panel`, with :func:`reportkit.data.schemas.convert_market_series` and
    :func:`reportkit.data.schemas.validate_market_series`: periods become pandas Periods (one
    frequency), values float64 (``7.2%`` only where the unit is ``%``, kept as 7.2), one unit
    from ``units`` (default :data:`reportkit.data.schemas.UNITS`). Sorted by period.
    """
    table = read_located(path, encoding=encoding, sheet=sheet, columns=columns)
    typed = convert_market_series(table.frame, path=table.path, rows=table.rows, period=period,
                                  value=value, unit=unit, missing=missing)
    series = validate_market_series(typed, path=table.path, period=period, value=value,
                                    unit=unit, units=units, today=today, rows=table.rows,
                                    on_unsorted=on_unsorted)
    series.attrs = {"source_path": str(table.path)}
    return series


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (path resolved like :func:`load_data`)."""
    return _sha256(resolve_data_path(path))
