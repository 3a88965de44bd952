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
from typing import Any, Literal, get_args

import pandas as pd

from ..choices import check_choice
from ..errors import DataError
from ..hashing import file_sha256 as _sha256
from .formats import file_format
from .paths import resolve_data_path
from .readers import decode_text, read_excel_values, read_located, sniff_separator
from .schemas import (
    DEFAULT_REQUIRED,
    DESCRIPTIVE_COLUMNS,
    METRICS,
    OnUnsorted,
    convert_market_series,
    convert_panel,
    require_roles,
    validate_market_series,
    validate_panel,
)

__all__ = [
    "resolve_data_path",  # documented here (notebooks import it from this module); see paths
    "load_data",
    "load_panel",
    "OtherColumns",
    "AGGREGATIONS",
    "aggregate_panel",
    "load_market_series",
    "file_sha256",
]

#: What :func:`load_panel` says about columns that play no role: warn (default) or keep them quietly.
OtherColumns = Literal["warn", "keep"]

#: What :func:`aggregate_panel` (``load_panel(aggregate=...)``) can sum a daily panel to.
AGGREGATIONS: tuple[str, ...] = ("week",)
_DAYS_IN = {"week": 7}


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
    entity: str | None = "brand",
    period: str | None = "week",
    group: str | None = None,
    required: Iterable[str] = DEFAULT_REQUIRED,
    today: Any = None,
    missing: Iterable[str] = ("",),
    date_format: str | None = None,
    on_unsorted: OnUnsorted = "sort",
    metrics: Iterable[str] = (),
    binary: Iterable[str] = (),
    extra: Iterable[str] = (),
    aggregate: str | None = None,
    other_columns: OtherColumns = "warn",
) -> pd.DataFrame:
    """Read, convert and check an entity × period panel (e.g. brand × week), or a cross-section.

    The file is read as text by :func:`reportkit.data.readers.read_table` (``encoding``,
    ``sheet``; ``columns`` maps the analyst's names to roles, e.g. ``{"品牌": "brand",
    "周": "week", "互动量": "engagement", "加购": "add_to_cart"}``), metrics are converted by
    :mod:`reportkit.data.numbers` (``1,234``, ``1.2万``; cells in ``missing`` are empty) and
    dates by :func:`reportkit.data.schemas.parse_date_column` (``date_format`` for day/month
    first dates), then checked by :func:`reportkit.data.schemas.validate_panel` (``required``
    metrics, ``today`` for future dates, ``on_unsorted``). ``metrics``: more numeric columns
    under the analyst's own names, converted and checked like the known ones; ``binary``: yes/no
    columns (``TRUE``/``FALSE``, ``1``/``0``, ``是``/``否``) converted to 1.0/0.0 and checked to
    be 0 or 1; ``group``: the column naming each row's category (a role: it must be present);
    ``extra``: more descriptive (text) columns that are expected, so no warning names them.
    ``other_columns``: what to say about the file's other columns, which play no role and are
    kept unchecked: ``"warn"`` (a :class:`~reportkit.errors.DataWarning` naming them, the
    default) or ``"keep"`` (no warning: a file with many columns of which an analysis uses a
    few; their names are in ``attrs["other_columns"]``).

    Roles: ``entity``, ``period`` (the time role), ``group`` and the ``required`` metrics. A file
    without a declared role's column is refused before anything is converted, by one
    :class:`DataError` naming the role, the file's columns and how to map it
    (:func:`reportkit.data.schemas.require_roles`). ``period=None`` (or ``""``) declares a
    **cross-section**: one row per unit (campaign, store, session) and no time column; ``entity``
    is then the unit's id, or None when the rows have none, and appears once.

    ``aggregate="week"`` sums a **daily** panel to weeks (Monday to Sunday) with
    :func:`aggregate_panel` after the checks: metrics summed (counts and money), entity-weeks with
    fewer than 7 days of data left out, the period column holding each week's Monday, the group
    and ``extra`` columns kept (one value per entity and week), the other columns dropped; what
    was done is in ``attrs["aggregate"]``. A request that makes no sense (an unknown value, a
    cross-section, a file that is not daily) is refused naming the value.

    Returns a new frame sorted by entity and period: entity as text, the period as
    ``datetime64[ns]``, metrics as float64, other columns as text. ``attrs["source_path"]`` is
    the file. Any problem raises one :class:`DataError` naming the file, the columns, the first
    bad lines and what was expected; nothing is written.
    """
    entity, period, group = (name or None for name in (entity, period, group))
    check_choice("other_columns", other_columns, get_args(OtherColumns), as_list=True, error=DataError)
    if aggregate is not None and aggregate != "":
        _check_aggregate(aggregate, period, path)
    table = read_located(path, encoding=encoding, sheet=sheet, columns=columns)
    required = list(required)
    metrics = [*required, *metrics]
    binary = list(binary)
    expected = {entity, period, group, *metrics, *binary, *METRICS, *DESCRIPTIVE_COLUMNS, *extra}
    others = [str(c) for c in table.frame.columns if c not in expected]
    declared = [*DESCRIPTIVE_COLUMNS, *([group] if group else []), *extra]
    roles = [("entity", entity), ("time", period), ("group", group),
             *(("metric", m) for m in dict.fromkeys([*required, *binary]))]
    try:
        require_roles(table.frame, roles, path=table.path, header=table.where_header)
        typed = convert_panel(table.frame, path=table.path, rows=table.rows, entity=entity,
                              period=period, missing=missing, date_format=date_format, metrics=metrics,
                              binary=binary)
        panel = validate_panel(typed, path=table.path, entity=entity, period=period,
                               required=required, today=today, rows=table.rows,
                               on_unsorted=on_unsorted, metrics=metrics, binary=binary,
                               extra=[*declared, *(others if other_columns == "keep" else [])])
    except DataError as exc:
        raise _with_file_names(exc, columns) from None
    attrs: dict[str, Any] = {"source_path": str(table.path), "other_columns": others}
    if aggregate:
        assert entity is not None and period is not None  # _check_aggregate and validate_panel saw to it
        summed = [c for c in panel.columns if c in {*METRICS, *metrics, *binary}]
        kept = [c for c in panel.columns if c in declared and c not in summed]  # other columns are dropped
        panel = aggregate_panel(panel, entity=entity, period=period, to=aggregate, path=table.path,
                                metrics=summed, keep=kept)
        attrs["aggregate"] = dict(panel.attrs["aggregate"])
    panel.attrs = attrs
    return panel


def _check_aggregate(aggregate: Any, period: str | None, path: str | Path) -> None:
    if not isinstance(aggregate, str) or aggregate not in AGGREGATIONS:
        raise DataError(f"aggregate={aggregate!r}: expected one of {list(AGGREGATIONS)} (a daily panel summed "
                        "to weeks), or '' to keep the file's periods", path=path,
                        expected=f"one of {list(AGGREGATIONS)} or ''")
    if period is None:
        raise DataError(f"aggregate={aggregate!r} sums a daily panel over time, but no time role was declared "
                        "(a cross-section, time=''): there are no days to sum; declare the date column as the "
                        "time role, or drop aggregate", path=path, expected="a time role with daily dates")


def aggregate_panel(
    panel: pd.DataFrame,
    *,
    entity: str,
    period: str,
    metrics: Iterable[str],
    to: str = "week",
    keep: Iterable[str] = (),
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Sum a checked daily panel to weeks (Monday to Sunday), one row per entity and week.

    ``metrics`` are summed (counts and money: summing a rate or a share would be wrong, so do
    not list one); a week in which a metric has an empty day gets an empty cell, never a partial
    sum. Entity-weeks with fewer than 7 days of data (the first and last weeks of a file that
    does not start on a Monday or end on a Sunday, or a week with a missing day) are left out
    and counted. ``keep`` columns (a category) are kept when they hold one value per entity and
    week; other columns are dropped. The period column then holds each week's Monday.

    Refused with :class:`DataError` naming the value: ``to`` other than ``"week"``; dates that
    are not daily (consecutive dates of an entity more than one day apart everywhere: a weekly
    panel needs no aggregation); no complete week. ``attrs["aggregate"]`` records ``to``, the
    rows read (``rows``), the entity-weeks kept (``periods``) and left out (``dropped``) and the
    first and last week.
    """
    if to not in AGGREGATIONS:
        raise DataError(f"aggregate={to!r}: expected one of {list(AGGREGATIONS)}", path=path,
                        expected=f"one of {list(AGGREGATIONS)}")
    metrics = [m for m in dict.fromkeys(metrics) if m in panel.columns and m not in (entity, period)]
    keep = [k for k in dict.fromkeys(keep) if k in panel.columns and k not in (entity, period, *metrics)]
    dates = pd.to_datetime(panel[period])
    steps = dates.groupby(panel[entity].to_numpy()).diff().dropna()
    if steps.empty:
        raise DataError(f"aggregate={to!r}: column {period!r} has one date per {entity}, so there are no days "
                        "to sum; expected a daily panel (one row per entity and day)", path=path, column=period,
                        expected="daily dates")
    smallest = int(steps.min() / pd.Timedelta(days=1))
    if smallest != 1:
        raise DataError(f"aggregate={to!r}: the dates in column {period!r} are at least {smallest} days apart "
                        f"within each {entity}, so the panel is not daily (a weekly panel needs no aggregation); "
                        "expected one row per entity and day, or leave aggregate empty", path=path, column=period,
                        expected="daily dates")
    start = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize()
    frame = panel.assign(**{period: start})
    grouped = frame.groupby([entity, period], sort=True)
    days = grouped.size()
    sums = grouped[metrics].sum(min_count=1) if metrics else pd.DataFrame(index=days.index)
    complete_cells = grouped[metrics].count() if metrics else None
    if complete_cells is not None:
        sums = sums.where(complete_cells.eq(days, axis=0))
    for column in keep:
        values = grouped[column].nunique(dropna=False)
        if (values > 1).any():
            entity_value, week = values[values > 1].index[0]
            raise DataError(f"aggregate={to!r}: column {column!r} holds more than one value for {entity} "
                            f"{entity_value!r} in the week of {week.date()}; expected one {column} per {entity} "
                            "and week", path=path, column=column, expected=f"one {column} per {entity} and week")
        sums[column] = grouped[column].first()
    full = days >= _DAYS_IN[to]
    out = sums[full.to_numpy()].reset_index()
    dropped = int((~full).sum())
    if out.empty:
        raise DataError(f"aggregate={to!r}: no {entity}-week has {_DAYS_IN[to]} days of data ({len(days)} "
                        "incomplete ones); expected daily rows covering whole weeks, Monday to Sunday", path=path,
                        column=period, expected="complete weeks of daily data")
    out = out[[entity, period, *keep, *metrics]]
    out.attrs = {"aggregate": {"to": to, "rows": len(panel), "periods": len(out), "dropped": dropped,
                               "first": str(out[period].min().date()), "last": str(out[period].max().date())}}
    return out


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
