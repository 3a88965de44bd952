"""The kit's two data shapes as pandera schemas, with explicit conversion and one clear error.

**Panel** (one row per entity × period, e.g. brand × week): ``entity`` text, non-empty, without
surrounding spaces; ``period`` a date, between :data:`MIN_PERIOD` and ``today`` (no future
dates); the metrics present among :data:`METRICS` non-negative, the counts whole numbers, none
absurd (a count above :data:`MAX_COUNT` or a GMV above :data:`MAX_GMV` yuan in one
entity-period); metrics under the analyst's own names non-negative and not absurd (they may be
durations, page values or amounts, so they need not be whole); ``binary`` metrics 0 or 1 (a
yes/no column such as "purchased", converted from TRUE/FALSE by :func:`parse_binary_column`);
the ``required`` metrics present and without empty cells; each entity × period once.

**Cross-section** (one row per campaign, store or session; no time role): the same checks with
``period=None``; ``entity`` (the unit's id) is optional too (``entity=None``: the rows are the
units) and, when given, appears once. :func:`require_roles` refuses a file that lacks a declared
role with one error naming the role, the file's columns and how to map it, or, for the time role,
how to declare a cross-section instead.

* Absurd values: 1e10 interactions (or visits, orders) for one brand in one week is more than
  the number of people on earth interacting 1 time each, a sure sign of a unit or separator
  mistake; 1e12 yuan (1万亿) of GMV for one brand-week is more than a month of all of China's
  online retail (15.5万亿 in 2024). Cross-column rules (orders ≤ add-to-cart, …) are **not**
  checked: real platforms count them differently (buy-now orders skip the cart).
* Dates out of order within an entity: the panel is returned sorted by entity and period, and
  a :class:`~reportkit.errors.DataWarning` names the first lines that were out of order
  (``on_unsorted="error"`` refuses instead). Row order carries no meaning in a panel, but a
  period that goes backwards in a file is often a sign of a mis-typed date, so it is shown.
* Mixed date formats in one column (``2024-01-01``, ``2024/1/8``, ``01/15/2024``) are refused,
  naming the rows of the minority formats; day-first/month-first dates (``01/02/2024``) are
  refused unless ``date_format`` is declared.

**Market series** (``period``, ``value``, ``unit``): period labels as
:func:`reportkit.data.periods.parse_period` reads them (``2024``, ``2024Q1``, ``2024-03``,
``2024年3月``; one frequency per file, each period once, none in the future); ``value`` finite;
``unit`` one of :data:`UNITS` (or the declared ones), the same in every row; levels in money
or people non-negative and below :data:`MAX_BY_UNIT`.

:func:`convert_panel` / :func:`convert_market_series` turn text cells into typed columns
(numbers by :mod:`reportkit.data.numbers`, dates by :func:`parse_date_column`), nothing is
coerced silently; :func:`validate_panel` / :func:`validate_market_series` run pandera with
``lazy=True`` and turn every failure into **one** :class:`~reportkit.errors.DataError` naming the
file, each failing column, what was expected and the first five bad rows as file lines (data
row i is line i + 2 for a file with one header line). Columns the kit does not know get a
:class:`~reportkit.errors.DataWarning`. Both return a new frame and write nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..choices import check_choice
from ..errors import DataError, DataWarning
from .messages import MAX_SHOWN, RowNumbers, and_more, show
from .numbers import Percent, parse_numeric_column
from .periods import PeriodLabel, parse_period

__all__ = [
    "COUNT_METRICS", "MONEY_METRICS", "METRICS", "DESCRIPTIVE_COLUMNS", "DEFAULT_REQUIRED",
    "MIN_PERIOD", "MAX_COUNT", "MAX_GMV", "UNITS", "MAX_BY_UNIT", "SERIES_EXTRA_COLUMNS",
    "OnUnsorted", "panel_schema", "PANEL", "market_series_schema", "MARKET_SERIES",
    "parse_date_column", "parse_binary_column", "require_roles", "convert_panel", "validate_panel",
    "convert_market_series", "validate_market_series",
]

COUNT_METRICS: tuple[str, ...] = ("notes", "likes", "comments", "saves", "shares", "engagement",
                                  "visits", "add_to_cart", "orders")
MONEY_METRICS: tuple[str, ...] = ("gmv",)
METRICS: tuple[str, ...] = COUNT_METRICS + MONEY_METRICS
#: Panel columns that are neither keys nor metrics but expected (no warning).
DESCRIPTIVE_COLUMNS: tuple[str, ...] = ("category", "platform")
#: Metrics a panel must have by default: the engagement and the conversion metric.
DEFAULT_REQUIRED: tuple[str, ...] = ("engagement", "add_to_cart")
MIN_PERIOD = pd.Timestamp("2000-01-01")
MAX_COUNT = 1e10
MAX_GMV = 1e12
#: Units of a market series and, for levels, the largest believable value per period.
MAX_BY_UNIT: Mapping[str, float] = {"元": 1e15, "万元": 1e11, "亿元": 1e7, "万亿元": 1e3,
                                    "人": 1e10, "万人": 1e6, "亿人": 1e2}
UNITS: tuple[str, ...] = (*MAX_BY_UNIT, "%")
SERIES_EXTRA_COLUMNS: tuple[str, ...] = ("source", "note", "name", "series", "verification")
_MAX_PERCENT = 1e4  # |growth| above 10000 % in one period is a unit mistake

OnUnsorted = Literal["sort", "error"]


# --------------------------------------------------------------------------- schemas


def _today(today: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(today) if today is not None else pd.Timestamp.today()
    except (ValueError, TypeError) as exc:
        raise DataError(f"today must be a date such as '2025-06-30'; got {today!r} ({exc})",
                        expected="a date") from None
    if pd.isna(stamp):
        raise DataError(f"today must be a date; got {today!r}", expected="a date")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _no_surrounding_space(series: pd.Series) -> pd.Series:
    text = series.astype(object).map(lambda v: isinstance(v, str) and v == v.strip() and v != "")
    return text.astype(bool)


def panel_schema(*, entity: str | None = "brand", period: str | None = "week",
                 metrics: Iterable[str] = METRICS, required: Iterable[str] = DEFAULT_REQUIRED,
                 today: Any = None, binary: Iterable[str] = ()) -> pa.DataFrameSchema:
    """The pandera schema of a typed panel (see the module doc); ``today=None``: the run's date.

    ``period=None``: a cross-section (no time column); ``entity=None``: no unit id (rows are the
    units). ``binary`` metrics must be 0 or 1 instead of counts."""
    def not_future(series: pd.Series) -> pd.Series:
        return series <= _today(today)

    required = set(required)
    binary = set(binary)
    columns: dict[str, pa.Column] = {}
    if entity:
        columns[entity] = pa.Column(None, pa.Check(_no_surrounding_space, error="expected a name without "
                                                   "leading or trailing spaces"), nullable=False)
    if period:
        columns[period] = pa.Column(None, [
            pa.Check(not_future, error="expected no date in the future"),
            pa.Check.ge(MIN_PERIOD, error=f"expected a date on or after {MIN_PERIOD.date()}"),
        ], nullable=False)
    per = " and ".join(k for k in (entity, period) if k) or "row"
    for metric in metrics:
        limit = MAX_GMV if metric in MONEY_METRICS else MAX_COUNT
        if metric in binary:
            checks = [pa.Check.isin([0.0, 1.0], error="expected 0 or 1 (a yes/no column)")]
        else:
            checks = [pa.Check.ge(0, error="expected a value >= 0 (it cannot be negative)"),
                      pa.Check(lambda s: np.isfinite(s), error="expected a finite number"),
                      pa.Check.le(limit, error=f"expected at most {limit:.0e} per {per} "
                                  "(a larger value is absurd: a unit or separator slip?)")]
        if metric in COUNT_METRICS and metric not in binary:
            checks.append(pa.Check(lambda s: s == np.floor(s),
                                   error="expected a whole number (it is a count)"))
        columns[metric] = pa.Column(None, checks, nullable=metric not in required,
                                    required=metric in required)
    keys = [k for k in (entity, period) if k]
    return pa.DataFrameSchema(columns, unique=keys or None, report_duplicates="all", name="panel")


#: The demo panel's schema: brand × week, engagement and add_to_cart required.
PANEL = panel_schema()


def market_series_schema(*, period: str = "period", value: str = "value", unit: str = "unit",
                         units: Iterable[str] = UNITS, today: Any = None,
                         level_unit: str | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a typed market series (``period`` a pandas Period column).

    ``level_unit``: the series' unit when it is a level with a known ceiling
    (:data:`MAX_BY_UNIT`): values must then be >= 0 and below the ceiling.
    """
    units = list(units)

    def not_future(series: pd.Series) -> pd.Series:
        return series.map(lambda p: p.start_time <= _today(today)).astype(bool)

    def one_unit(series: pd.Series) -> pd.Series:
        known = series.dropna()
        return series == known.mode().iloc[0] if len(known) else series.isna()

    value_checks = [pa.Check(lambda s: np.isfinite(s), error="expected a finite number")]
    if level_unit is not None and level_unit in MAX_BY_UNIT:
        top = MAX_BY_UNIT[level_unit]
        value_checks += [
            pa.Check.ge(0, error=f"expected a value >= 0 (a level in {level_unit})"),
            pa.Check.le(top, error=f"expected at most {top:.0e} {level_unit} per period "
                        "(more is absurd: a unit slip?)"),
        ]
    elif level_unit == "%":
        value_checks.append(pa.Check(lambda s: s.abs() <= _MAX_PERCENT,
                                     error=f"expected a rate within ±{_MAX_PERCENT:.0f} %"))
    return pa.DataFrameSchema({
        period: pa.Column(None, pa.Check(not_future, error="expected no period in the future"),
                          nullable=False, unique=True, report_duplicates="all"),
        value: pa.Column(None, value_checks, nullable=False),
        unit: pa.Column(None, [pa.Check.isin(units, error=f"expected a unit in {units}"),
                               pa.Check(one_unit, error="expected the same unit in every row")],
                        nullable=False),
    }, name="market_series")


#: The default market-series schema (units from :data:`UNITS`, no level ceiling).
MARKET_SERIES = market_series_schema()


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _Format:
    label: str
    pattern: re.Pattern[str]


_FORMATS = (
    _Format("YYYY-MM-DD", re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})"
                                     r"(?::(\d{2})(?:\.\d+)?)?)?")),
    _Format("YYYY/MM/DD", re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")),
    _Format("YYYY.MM.DD", re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})")),
    _Format("YYYY年MM月DD日", re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")),
    _Format("YYYYMMDD", re.compile(r"(\d{4})(\d{2})(\d{2})")),
)
_AMBIGUOUS = "MM/DD/YYYY or DD/MM/YYYY"
_AMBIGUOUS_RE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}")
_SERIAL_RE = re.compile(r"\d{5}(?:\.0+)?")


def _date_of(value: Any, date_format: str | None) -> tuple[str, pd.Timestamp] | str | None:
    """(format label, date) for one cell, None when empty, or the reason it is refused."""
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return "a number, not a date"
    if isinstance(value, (dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
        if not 1900 <= stamp.year <= 2200:
            return f"year {stamp.year} out of range (expected 1900-2200)"
        if stamp.tzinfo is not None:
            return "a date with a time zone; expected a plain date"
        if stamp != stamp.normalize():
            return "a time of day; expected a date"
        return "date value", stamp
    if not isinstance(value, str):
        return f"a {type(value).__name__} value, not a date"
    text = value.strip()
    if not text:
        return None
    if date_format is not None:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            return f"does not match date_format {date_format!r}"
        if parsed.time() != dt.time(0):
            return "a time of day; expected a date"
        return date_format, pd.Timestamp(parsed)
    for fmt in _FORMATS:
        match = fmt.pattern.fullmatch(text)
        if match is None:
            continue
        year, month, day = (int(g) for g in match.groups()[:3])
        if any(int(g or 0) for g in match.groups()[3:]):
            return "a time of day; expected a date"
        if not 1900 <= year <= 2200:
            return f"year {year} out of range (expected 1900-2200)"
        try:
            return fmt.label, pd.Timestamp(dt.date(year, month, day))
        except ValueError as exc:
            return f"not a calendar date ({exc})"
    if _AMBIGUOUS_RE.fullmatch(text):
        return _AMBIGUOUS
    if _SERIAL_RE.fullmatch(text) and 20000 <= float(text) <= 80000:
        return ("an Excel serial day number (e.g. 45292 is 2024-01-01); format the column as "
                "dates in Excel")
    return ("not a recognised date (expected e.g. 2024-01-08, 2024/1/8, 2024年1月8日 or "
            "20240108)")


def parse_date_column(series: pd.Series, *, column: str, path: str | Path | None = None,
                      rows: RowNumbers | None = None, date_format: str | None = None
                      ) -> pd.Series:
    """Convert a column of dates to ``datetime64[ns]`` (empty cells NaT), or refuse it.

    Accepted, one format per column: ``YYYY-MM-DD`` (also without leading zeros, and with a
    midnight time), ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYY年MM月DD日``, ``YYYYMMDD``, and date
    values (Excel, Parquet). A column that mixes formats is refused naming the rows of the
    minority formats; ``01/02/2024`` (day or month first?) is refused unless ``date_format``
    (a :func:`datetime.datetime.strptime` format such as ``"%m/%d/%Y"``) is declared, in which
    case every text cell must match it. A time of day, a number, an Excel serial day number and
    an impossible date (2024-02-30) are refused. One :class:`DataError` names the file, the
    column, the first bad rows and what was expected.
    """
    where = RowNumbers.for_series(series, rows)
    kind = getattr(series.dtype, "kind", "O")
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise DataError(f"column {column!r} holds dates with a time zone ({series.dtype}); "
                        "expected plain dates", path=path, column=column,
                        expected="dates without a time zone")
    if kind == "M":
        values: Sequence[Any] = list(series.to_numpy())
    elif isinstance(series.dtype, pd.PeriodDtype) or kind in "mcb":
        raise DataError(f"column {column!r} holds {series.dtype} values; expected dates",
                        path=path, column=column, expected="dates")
    else:
        values = list(series.astype(object).to_numpy())
    cache: dict[tuple[type, Any], tuple[str, pd.Timestamp] | str | None] = {}
    results = []
    for v in values:
        cell = None if isinstance(v, np.datetime64) and np.isnat(v) else v
        try:
            key = (type(cell), cell)
            if key not in cache:
                cache[key] = _date_of(cell, date_format)
            results.append(cache[key])
        except TypeError:  # an unhashable cell
            results.append(_date_of(cell, date_format))
    expected = (f"dates in the format {date_format!r}" if date_format else
                "dates in one format, e.g. 2024-01-08 (YYYY-MM-DD)")
    bad = [i for i, r in enumerate(results) if isinstance(r, str) and r != _AMBIGUOUS]
    if bad:
        shown = "; ".join(f"{where.label(i)}: {show(values[i])} ({results[i]})"
                          for i in bad[:MAX_SHOWN])
        more = and_more(len(bad))
        raise DataError(f"column {column!r} has {len(bad)} cell(s) that are not dates: {shown}"
                        f"{more}; expected {expected}", path=path, column=column,
                        rows=[where.at(i) for i in bad[:MAX_SHOWN]], expected=expected)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(results):
        if r is not None:
            label = r if isinstance(r, str) else ("YYYY-MM-DD" if r[0] == "date value" else r[0])
            groups.setdefault(label, []).append(i)
    if len(groups) > 1:
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
        parts = [f"{len(ordered[0][1])} row(s) as {ordered[0][0]}"]
        minority: list[int] = []
        for label, members in ordered[1:]:
            parts.append(f"{len(members)} as {label} ("
                         + ", ".join(f"{where.label(i)}: {show(values[i])}" for i in members[:3])
                         + (", …" if len(members) > 3 else "") + ")")
            minority += members
        raise DataError(f"column {column!r} mixes date formats: {'; '.join(parts)}; expected one "
                        "date format in the whole column (YYYY-MM-DD recommended)",
                        path=path, column=column, rows=sorted(where.at(i) for i in minority)[:MAX_SHOWN],
                        expected="one date format per column")
    if _AMBIGUOUS in groups:
        members = groups[_AMBIGUOUS]
        raise DataError(
            f"column {column!r} holds dates like {show(values[members[0]])} ({where.label(members[0])}) "
            "where the day and the month could be either way round; expected YYYY-MM-DD, or "
            "declare date_format='%m/%d/%Y' (month first) or '%d/%m/%Y' (day first)",
            path=path, column=column, rows=[where.at(i) for i in members[:MAX_SHOWN]],
            expected="unambiguous dates or a declared date_format",
        )
    stamps = [r[1] if isinstance(r, tuple) else pd.NaT for r in results]
    return pd.Series(pd.DatetimeIndex(stamps).as_unit("ns"), index=series.index, name=series.name)


# --------------------------------------------------------------------------- error reporting


@dataclass(frozen=True)
class _Problem:
    column: str
    text: str
    rows: tuple[int, ...]
    expected: str


def _raise_problems(problems: Sequence[_Problem], path: str | Path | None) -> None:
    if not problems:
        return
    if len(problems) == 1:
        only = problems[0]
        message = f"column {only.column!r}: {only.text}"
    else:
        message = (f"{len(problems)} problems, nothing was loaded:\n"
                   + "\n".join(f"  - column {p.column!r}: {p.text}" for p in problems))
    first = problems[0]
    raise DataError(message, path=path, column=first.column, rows=first.rows,
                    expected=first.expected)


_BUILTIN = {"not_nullable": "expected a value in every row (empty cells found)",
            "field_uniqueness": "expected each value once (duplicates found)"}


def _schema_problems(err: SchemaErrors, frame: pd.DataFrame, where: RowNumbers,
                     keys: Sequence[str]) -> list[_Problem]:
    """pandera's failure cases as problems: one per column and check, with file lines."""
    cases = err.failure_cases
    problems: list[_Problem] = []
    seen: dict[tuple[str, str], list[int]] = {}
    order: list[tuple[str, str]] = []
    for _, case in cases.iterrows():
        check = str(case["check"])
        column = case["column"]
        if check == "column_in_dataframe":
            problems.append(_Problem(str(case["failure_case"]), "missing column", (),
                                     "the column to be present"))
            continue
        if check == "multiple_fields_uniqueness":
            column = " × ".join(keys)
        key = (str(column), check)
        if key not in seen:
            seen[key] = []
            order.append(key)
        index = case["index"]
        if index is not None and not (isinstance(index, float) and math.isnan(index)):
            seen[key].append(int(index))
    for column, check in order:
        positions = sorted(set(seen[(column, check)]))
        if check == "multiple_fields_uniqueness":
            groups: dict[tuple[Any, ...], list[int]] = {}
            for pos in positions:
                groups.setdefault(tuple(frame.iloc[pos][k] for k in keys), []).append(pos)
            shown = "; ".join(
                " and ".join(where.label(p) for p in members) + " ("
                + ", ".join(f"{k}={show(v)}" for k, v in zip(keys, value, strict=True)) + ")"
                for value, members in list(groups.items())[:MAX_SHOWN])
            more = and_more(len(groups))
            problems.append(_Problem(column, f"duplicate rows {shown}{more}; expected one row "
                                     f"per {' and '.join(keys)}",
                                     tuple(where.at(p) for p in positions[:MAX_SHOWN]),
                                     f"one row per {' and '.join(keys)}"))
            continue
        words = _BUILTIN.get(check, check)
        if check.startswith("dtype("):
            words = f"expected the type {check[6:-1]}"
        shown = "; ".join(f"{where.label(p)}: {show(frame.iloc[p][column])}"
                          for p in positions[:MAX_SHOWN])
        more = and_more(len(positions))
        text = f"{words}; bad rows: {shown}{more}" if positions else words
        problems.append(_Problem(column, text, tuple(where.at(p) for p in positions[:MAX_SHOWN]),
                                 words.removeprefix("expected ")))
    return problems


def _run_schema(schema: pa.DataFrameSchema, frame: pd.DataFrame, where: RowNumbers,
                keys: Sequence[str], path: str | Path | None) -> None:
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        _raise_problems(_schema_problems(err, frame, where, keys), path)
    except pa.errors.SchemaError as err:  # pragma: no cover - lazy=True collects them all
        raise DataError(f"the data fail the {schema.name} schema: {err}", path=path) from None


# --------------------------------------------------------------------------- shared checks


def _check_frame(frame: Any, path: str | Path | None) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; got {type(frame).__name__}", path=path)
    names = list(frame.columns)
    odd = [c for c in names if not isinstance(c, str)]
    if odd:
        raise DataError(f"column names {odd[:MAX_SHOWN]!r} are not text; expected named columns",
                        path=path, expected="text column names")
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise DataError(f"the column name(s) {dup} appear more than once; expected unique names",
                        path=path, column=dup[0], expected="unique column names")
    if len(frame) == 0:
        raise DataError(f"no data rows (columns: {names}); expected at least one row", path=path,
                        expected="at least one data row")
    return frame.reset_index(drop=True)


def _require(frame: pd.DataFrame, needed: Sequence[str], path: str | Path | None, what: str,
             where: RowNumbers) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; the header ({where.header_label}) has "
            f"{list(frame.columns)}; "
            f"expected the {what} columns {list(needed)}: rename them in the file or map them "
            "with columns={'your name': 'role'}",
            path=path, column=missing[0], expected=f"columns {list(needed)}",
        )


def _warn(message: str) -> None:
    """Warn with a :class:`DataWarning` attributed to the first caller outside reportkit.data."""
    here = Path(__file__).resolve().parent
    level = 2
    frame: FrameType | None = sys._getframe(1)  # noqa: SLF001 - a documented CPython function (warnings uses it too)
    while frame is not None and Path(frame.f_code.co_filename).resolve().parent == here:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DataWarning, stacklevel=level)


def _warn_extra(frame: pd.DataFrame, known: Iterable[str], path: str | Path | None, what: str,
                where: RowNumbers) -> None:
    extra = [c for c in frame.columns if c not in set(known)]
    if extra:
        prefix = f"{path}: " if path else ""
        _warn(f"{prefix}column(s) {extra} in the header ({where.header_label}) are not {what} "
              "columns; they are kept as they are but not checked")


def _is_float(value: Any) -> bool:
    """A number (not a boolean) that a float can hold."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _numeric_problem(frame: pd.DataFrame, column: str, where: RowNumbers) -> _Problem | None:
    series = frame[column]
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) \
            and getattr(dtype, "kind", "") != "c":
        return None
    cells = series.astype(object)
    bad = [i for i, v in enumerate(cells) if not (v is None or v is pd.NA or _is_float(v))]
    if not bad and getattr(dtype, "kind", "") == "O":
        return None  # an object column holding only numbers (and empty cells)
    shown = "; ".join(f"{where.label(i)}: {show(cells.iloc[i])}" for i in bad[:MAX_SHOWN])
    return _Problem(column, f"holds {dtype} values, not numbers ({shown}); expected numbers: "
                    "read the file with load_panel (it converts 1,234, 12%, 1.2万) or convert "
                    "the column first", tuple(where.at(i) for i in bad[:MAX_SHOWN]), "numbers")


def _sort_or_refuse(frame: pd.DataFrame, where: RowNumbers, keys: Sequence[str],
                    on_unsorted: str, path: str | Path | None) -> tuple[pd.DataFrame, RowNumbers]:
    """Sort by ``keys``; warn (or refuse) when the last key went backwards within the others."""
    group, last = list(keys[:-1]), keys[-1]
    previous = frame.groupby(group, sort=False)[last].shift(1) if group else frame[last].shift(1)
    back = np.flatnonzero((frame[last] < previous).to_numpy(dtype=bool))
    if len(back):
        shown = "; ".join(f"{where.label(i)}: " + ", ".join(f"{k}={show(frame.iloc[i][k])}"
                                                            for k in keys)
                          for i in back[:MAX_SHOWN])
        text = (f"column {last!r}: periods out of order (earlier than the row before"
                f"{' for the same ' + ' and '.join(group) if group else ''}): {shown}")
        if on_unsorted == "error":
            raise DataError(f"{text}; expected rows sorted by {' and '.join(keys)}", path=path,
                            column=last, rows=[where.at(i) for i in back[:MAX_SHOWN]],
                            expected=f"rows sorted by {' and '.join(keys)}")
        prefix = f"{path}: " if path else ""
        _warn(f"{prefix}{text}; the rows were sorted by {' and '.join(keys)}")
    order = frame.sort_values(list(keys), kind="stable").index.to_numpy()
    return frame.iloc[order].reset_index(drop=True), where.take([int(i) for i in order])


# --------------------------------------------------------------------------- panel


_TRUE = frozenset({"true", "yes", "1", "1.0", "是"})
_FALSE = frozenset({"false", "no", "0", "0.0", "否"})


def _binary_of(value: Any, declared: set[str]) -> float | str:
    """1.0 / 0.0 for one yes/no cell, NaN when empty (or declared missing), else the reason."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        return float(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if value in (0, 1) else "a number other than 0 or 1"
    if not isinstance(value, str):
        return f"a {type(value).__name__} value"
    text = value.strip()
    if text in declared or not text:
        return math.nan
    if text.lower() in _TRUE:
        return 1.0
    if text.lower() in _FALSE:
        return 0.0
    return "not a yes/no value"


def _is_binary(series: pd.Series, missing: Iterable[str]) -> bool:
    """Every cell of ``series`` is a yes/no value (and at least one is TRUE/FALSE-like text)."""
    declared = {str(m).strip() for m in missing}
    cells = series.astype(object).to_numpy()
    return any(isinstance(v, (str, bool, np.bool_)) and str(v).strip().lower() in {"true", "false", "yes", "no"}
               for v in cells) and not any(isinstance(_binary_of(v, declared), str) for v in cells)


def parse_binary_column(series: pd.Series, *, column: str, path: str | Path | None = None,
                        rows: RowNumbers | None = None, missing: Iterable[str] = ("",)) -> pd.Series:
    """Convert a yes/no column (``TRUE``/``FALSE`` in any case, ``yes``/``no``, ``1``/``0``,
    ``是``/``否``, or boolean values from Excel or Parquet) to float64 1.0/0.0, empty cells (and
    cells in ``missing``) NaN; any other cell refuses the column with one :class:`DataError`
    naming the first bad rows. Used for a declared binary outcome such as "purchased"."""
    where = RowNumbers.for_series(series, rows)
    declared = {str(m).strip() for m in missing}
    cells = list(series.astype(object).to_numpy())
    parsed = [_binary_of(v, declared) for v in cells]
    bad = [i for i, v in enumerate(parsed) if isinstance(v, str)]
    if bad:
        shown = "; ".join(f"{where.label(i)}: {show(cells[i])} ({parsed[i]})" for i in bad[:MAX_SHOWN])
        raise DataError(f"column {column!r} has {len(bad)} cell(s) that are not yes/no values: {shown}"
                        f"{and_more(len(bad))}; expected TRUE/FALSE, yes/no, 1/0 or 是/否 (a binary column)",
                        path=path, column=column, rows=[where.at(i) for i in bad[:MAX_SHOWN]],
                        expected="TRUE/FALSE, yes/no, 1/0 or 是/否")
    return pd.Series(np.asarray(parsed, dtype="float64"), index=series.index, name=series.name)


#: How the error of :func:`require_roles` names each role, and the hint's placeholder column.
_ROLE_WORDS: Mapping[str, tuple[str, str]] = {
    "entity": ("the entity role", "your id column"),
    "time": ("the time role", "your date column"),
    "group": ("the group role", "your category column"),
    "metric": ("the metric", "your column"),
}


def require_roles(frame: pd.DataFrame, roles: Sequence[tuple[str, str | None]], *,
                  path: str | Path | None = None, header: str = "line 1") -> None:
    """Every declared role has its column in ``frame``; else one :class:`DataError` naming the
    roles without a column, the file's columns and how to map them.

    ``roles`` pairs a role (``"entity"``, ``"time"``, ``"group"``, ``"metric"``) with the column
    it was declared as (None or "": not declared, nothing to check). For a missing time role the
    message also shows how to declare a cross-section instead (``time=''`` in the engagement
    notebook, ``period=None`` in :func:`reportkit.data.io.load_panel`). ``header`` says where the
    file's column names are ("line 1", "row 1 of sheet 'Data'", "the Parquet schema").
    """
    have = [str(c) for c in frame.columns]
    declared = [(role, column) for role, column in roles if column]
    missing = [(role, column) for role, column in declared if column not in have]
    if not missing:
        return
    named = " and ".join(f"{_ROLE_WORDS[role][0]} {column!r}" for role, column in missing)
    mapping = ", ".join(f"{_ROLE_WORDS[role][1]!r}: {column!r}" for role, column in missing)
    needed = [column for _, column in declared]
    message = (f"no column for {named}; the columns in the header ({header}) are {have}; expected the "
               f"panel columns {needed}: rename them in the file or map them with columns={{{mapping}}}")
    roles_missing = {role for role, _ in missing}
    if "group" in roles_missing:
        message += ", or declare no group (group='') when the rows have no category"
    if "time" in roles_missing:
        no_id = "entity" in roles_missing
        message += (", or, for a file with one row per campaign, store or session and no dates, declare a "
                    "cross-section with time=''" + (" and entity='' (no id column)" if no_id else "")
                    + " (load_panel(period=None" + (", entity=None" if no_id else "") + ")): no time effects, "
                    "lags or leads")
    first = missing[0][1]
    raise DataError(message, path=path, column=first, expected=f"columns {needed}")


def _keys(entity: str | None, period: str | None) -> list[str]:
    return [k for k in (entity, period) if k]


def convert_panel(frame: pd.DataFrame, *, path: str | Path | None = None,
                  rows: RowNumbers | None = None, entity: str | None = "brand",
                  period: str | None = "week", missing: Iterable[str] = ("",),
                  date_format: str | None = None, metrics: Iterable[str] = (),
                  binary: Iterable[str] = ()) -> pd.DataFrame:
    """Type a panel read as text: metrics to float64, ``period`` to dates, ``entity`` as text.

    The metrics are those of :data:`METRICS` present, plus ``metrics``: numeric columns under
    the analyst's own names (e.g. a notebook's ``engagement_metric="interactions"``), plus
    ``binary``: yes/no columns converted to 1.0/0.0 by :func:`parse_binary_column`.
    ``period=None`` types a cross-section (no dates); ``entity=None``: no unit id.

    Numbers follow :mod:`reportkit.data.numbers` (percents are refused in metrics: a count is
    not a percent); dates follow :func:`parse_date_column`. Problems in several columns are
    reported together in one :class:`DataError`. Returns a new frame; other columns unchanged.
    """
    frame = _check_frame(frame, path)
    missing = tuple(missing)  # read by every column: a generator would be used up by the first
    where = RowNumbers.for_frame(frame, rows)
    keys = _keys(entity, period)
    _require(frame, keys, path, "panel key", where)
    binary = [b for b in dict.fromkeys(binary) if b not in keys]
    _require(frame, binary, path, "binary", where)
    out = frame.copy()
    problems: list[_Problem] = []
    jobs: list[tuple[str, Callable[[str], pd.Series]]] = []  # (column, its conversion given the column)
    if period:
        jobs.append((period, lambda c: parse_date_column(frame[c], column=c, path=None, rows=where,
                                                         date_format=date_format)))
    for metric in (m for m in dict.fromkeys([*METRICS, *metrics]) if m in frame.columns
                   and m not in keys and m not in binary):
        jobs.append((metric, lambda c: parse_numeric_column(
            frame[c], column=c, rows=where, missing=missing, percent="refuse")))
    for column in binary:
        jobs.append((column, lambda c: parse_binary_column(frame[c], column=c, rows=where, missing=missing)))
    for column, job in jobs:
        try:
            out[column] = job(column)
        except DataError as exc:
            text = str(exc).removeprefix(f"column {column!r} ")
            if column not in binary and column != period and _is_binary(frame[column], missing):
                text += (f"; the column holds yes/no values: declare it binary (load_panel(binary=[{column!r}]), "
                         "or conversion_binary=True in the engagement notebook)")
            problems.append(_Problem(column, text, exc.rows, exc.expected or ""))
    _raise_problems(problems, path)
    if entity and not pd.api.types.is_numeric_dtype(out[entity].dtype):
        out[entity] = out[entity].astype(object).where(out[entity].notna(), None)
    return out


def validate_panel(frame: pd.DataFrame, *, path: str | Path | None = None,
                   entity: str | None = "brand", period: str | None = "week",
                   required: Iterable[str] = DEFAULT_REQUIRED, today: Any = None,
                   rows: RowNumbers | None = None, extra: Iterable[str] = DESCRIPTIVE_COLUMNS,
                   on_unsorted: OnUnsorted = "sort", metrics: Iterable[str] = (),
                   binary: Iterable[str] = ()) -> pd.DataFrame:
    """Check a typed panel against :func:`panel_schema`; return a new, sorted frame.

    ``required`` metrics must be present (and complete); the other metrics of :data:`METRICS`
    and ``metrics`` (numeric columns under other names) are checked when present; ``binary``
    metrics must be 0 or 1. ``today`` (default: the run's date) bounds the periods. ``rows``
    maps data rows to file lines (default: from ``frame.attrs``, else row i is line i + 2).
    Columns outside keys, metrics and ``extra`` get a :class:`DataWarning`. Rows come back
    sorted by entity and period (see the module doc for ``on_unsorted``), metrics as float64,
    the period as ``datetime64[ns]``. ``period=None`` checks a cross-section: one row per
    ``entity`` (or, with ``entity=None`` too, rows as given, in file order). Any failure raises
    one :class:`DataError`.
    """
    check_choice("on_unsorted", on_unsorted, get_args(OnUnsorted), as_list=True, error=DataError)
    frame = _check_frame(frame, path)
    where = RowNumbers.for_frame(frame, rows)
    keys = _keys(entity, period)
    if period and not entity:
        raise DataError(f"a panel with the time role {period!r} needs an entity role (the brand, shop or "
                        "campaign each row belongs to); got entity=None", path=path,
                        expected="an entity column")
    required = [r for r in dict.fromkeys(required)]
    binary = [b for b in dict.fromkeys(binary) if b not in keys]
    _require(frame, [*keys, *required, *binary], path, "panel", where)
    metrics = [m for m in dict.fromkeys([*METRICS, *required, *metrics, *binary]) if m in frame.columns
               and m not in keys]
    _warn_extra(frame, [*keys, *metrics, *extra], path, "panel", where)
    problems = [p for p in (_numeric_problem(frame, m, where) for m in metrics) if p]
    if entity:
        ent = frame[entity]
        if pd.api.types.is_numeric_dtype(ent.dtype) or ent.dtype.kind in "mMb":
            problems.append(_Problem(entity, f"holds {ent.dtype} values; expected names (text)",
                                     where.numbers[:1], "names (text)"))
        else:
            odd = [i for i, v in enumerate(ent.astype(object)) if v is not None and not
                   (isinstance(v, float) and math.isnan(v)) and not isinstance(v, str)]
            if odd:
                problems.append(_Problem(
                    entity, "holds values that are not text: " + "; ".join(
                        f"{where.label(i)}: {show(ent.iloc[i])}" for i in odd[:MAX_SHOWN])
                    + "; expected names (text)", tuple(where.at(i) for i in odd[:MAX_SHOWN]),
                    "names (text)"))
    if period:
        per = frame[period]
        if per.dtype.kind != "M" or isinstance(per.dtype, pd.DatetimeTZDtype):
            problems.append(_Problem(period, f"holds {per.dtype} values; expected dates without a "
                                     "time zone (read the file with load_panel, or convert with "
                                     "parse_date_column)", where.numbers[:1], "dates"))
    _raise_problems(problems, path)
    typed = frame.copy()
    if entity:
        typed[entity] = frame[entity].astype(object).where(frame[entity].notna(), None)
    for metric in metrics:
        typed[metric] = typed[metric].astype("float64")
    schema = panel_schema(entity=entity, period=period, metrics=metrics, required=required,
                          today=today, binary=binary)
    try:
        _run_schema(schema, typed, where, keys, path)
    except DataError as exc:
        if period or not (exc.expected or "").startswith("one row per"):
            raise
        raise DataError(str(exc).removeprefix(f"{path}: " if path else "")
                        + f"; a cross-section (no time role) has one row per {entity}: if the file "
                        "holds several periods per unit, declare its time column instead of time=''",
                        path=path, column=exc.column, rows=exc.rows, expected=exc.expected) from None
    if period:
        typed[period] = typed[period].astype("datetime64[ns]")
    if period:
        typed, _ = _sort_or_refuse(typed, where, keys, on_unsorted, path)
    elif entity:  # a cross-section: row order means nothing, so it is not checked
        typed = typed.sort_values(entity, kind="stable").reset_index(drop=True)
    if entity:
        typed[entity] = typed[entity].astype("str")
    return typed


# --------------------------------------------------------------------------- market series


def _period_of(value: Any) -> pd.Period | str | None:
    """One cell of a market series' period column: a Period, None (empty) or the reason."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    try:
        parsed = parse_period(value)
    except Exception as exc:  # noqa: BLE001 - any failure of one label is that label's problem
        return f"not a period ({type(exc).__name__})"
    if not isinstance(parsed, PeriodLabel):
        return None if parsed == "missing" else parsed
    period = parsed.period()
    if period is None:
        return ("a January-to-month cumulative period; read it with "
                "TimeSeries.from_ytd_frame")
    return period


def _freq_word(freqstr: str) -> str:
    for prefix, word in (("Y", "annual"), ("A", "annual"), ("Q", "quarterly"), ("M", "monthly")):
        if freqstr.startswith(prefix):
            return word
    return "a date"


def convert_market_series(frame: pd.DataFrame, *, path: str | Path | None = None,
                          rows: RowNumbers | None = None, period: str = "period",
                          value: str = "value", unit: str = "unit",
                          missing: Iterable[str] = ("",)) -> pd.DataFrame:
    """Type a market series read as text: ``period`` to pandas Periods, ``value`` to float64.

    A percent cell (``7.2%``) is accepted only in rows whose unit is ``%`` and stays in points
    (7.2); elsewhere it is refused. Period labels of several frequencies in one column are
    refused naming the minority rows. Returns a new frame; one :class:`DataError` otherwise.
    """
    frame = _check_frame(frame, path)
    missing = tuple(missing)  # read once per kind of unit: a generator would be used up by the first
    where = RowNumbers.for_frame(frame, rows)
    _require(frame, [period, value, unit], path, "market series", where)
    out = frame.copy()
    problems: list[_Problem] = []
    parsed = [_period_of(v) for v in frame[period].astype(object)]
    bad = [i for i, p in enumerate(parsed) if isinstance(p, str)]
    freqs: dict[str, list[int]] = {}
    for i, p in enumerate(parsed):
        if isinstance(p, pd.Period):
            freqs.setdefault(p.freqstr, []).append(i)
    if bad:
        problems.append(_Problem(period, "has cells that are not periods: " + "; ".join(
            f"{where.label(i)}: {show(frame[period].iloc[i])} ({parsed[i]})" for i in bad[:MAX_SHOWN])
            + "; expected labels such as 2024, 2024Q1, 2024-03 or 2024年3月",
            tuple(where.at(i) for i in bad[:MAX_SHOWN]), "period labels"))
    elif len(freqs) > 1:
        ordered = sorted(freqs.items(), key=lambda kv: len(kv[1]), reverse=True)
        minority = sorted((i, freq) for freq, members in ordered[1:] for i in members)
        main_freq, main_rows = ordered[0]
        problems.append(_Problem(period, "mixes frequencies: " + "; ".join(
            f"{where.label(i)}: {show(frame[period].iloc[i])} is {_freq_word(freq)}"
            for i, freq in minority[:MAX_SHOWN])
            + f", while {len(main_rows)} other row(s) are {_freq_word(main_freq)}; expected one "
            "frequency per series", tuple(where.at(i) for i, _ in minority[:MAX_SHOWN]),
            "one frequency per series"))
    else:
        freq = next(iter(freqs), "M")
        out[period] = pd.Series(pd.PeriodIndex([p if p is not None else pd.NaT for p in parsed],
                                               freq=freq), index=frame.index)
    units = frame[unit].astype(object)
    is_pct = units.map(lambda u: isinstance(u, str) and u.strip() == "%").to_numpy(dtype=bool)
    values = pd.Series(np.nan, index=frame.index, dtype="float64")
    modes: tuple[tuple[np.ndarray, Percent], ...] = ((is_pct, "points"), (~is_pct, "refuse"))
    for mask, percent in modes:
        if mask.any():
            try:
                values[mask] = parse_numeric_column(
                    frame[value][mask], column=value, rows=where.take(np.flatnonzero(mask).tolist()),
                    missing=missing, percent=percent).to_numpy()
            except DataError as exc:
                problems.append(_Problem(value, str(exc).removeprefix(f"column {value!r} "),
                                         exc.rows, exc.expected or ""))
    out[value] = values
    _raise_problems(problems, path)
    out[unit] = units.map(lambda u: u.strip() if isinstance(u, str) else u)
    return out


def validate_market_series(frame: pd.DataFrame, *, path: str | Path | None = None,
                           period: str = "period", value: str = "value", unit: str = "unit",
                           units: Iterable[str] | None = None, today: Any = None,
                           rows: RowNumbers | None = None,
                           extra: Iterable[str] = SERIES_EXTRA_COLUMNS,
                           on_unsorted: OnUnsorted = "sort") -> pd.DataFrame:
    """Check a typed market series against :func:`market_series_schema`; return a new frame.

    ``period`` must hold pandas Periods (see :func:`convert_market_series`), ``value`` numbers.
    ``units`` replaces the allowed set (default :data:`UNITS`); a declared unit outside
    :data:`MAX_BY_UNIT` gets no sign or ceiling check. Rows come back sorted by period.
    """
    check_choice("on_unsorted", on_unsorted, get_args(OnUnsorted), as_list=True, error=DataError)
    frame = _check_frame(frame, path)
    where = RowNumbers.for_frame(frame, rows)
    _require(frame, [period, value, unit], path, "market series", where)
    _warn_extra(frame, [period, value, unit, *extra], path, "market series", where)
    problems = [p for p in [_numeric_problem(frame, value, where)] if p]
    per = frame[period]
    if not isinstance(per.dtype, pd.PeriodDtype):
        problems.append(_Problem(period, f"holds {per.dtype} values; expected periods (read the "
                                 "file with load_market_series)", where.numbers[:1], "periods"))
    odd = [i for i, v in enumerate(frame[unit].astype(object))
           if v is not None and not (isinstance(v, float) and math.isnan(v)) and not isinstance(v, str)]
    if odd:
        problems.append(_Problem(unit, "holds values that are not text: " + "; ".join(
            f"{where.label(i)}: {show(frame[unit].iloc[i])}" for i in odd[:MAX_SHOWN]),
            tuple(where.at(i) for i in odd[:MAX_SHOWN]), "a unit such as 亿元"))
    _raise_problems(problems, path)
    typed = frame.copy()
    typed[value] = typed[value].astype("float64")
    typed[unit] = typed[unit].astype(object).where(typed[unit].notna(), None)
    known = typed[unit].dropna()
    level = str(known.mode().iloc[0]) if len(known) else None
    schema = market_series_schema(period=period, value=value, unit=unit,
                                  units=UNITS if units is None else units, today=today,
                                  level_unit=level)
    _run_schema(schema, typed, where, [period], path)
    typed, _ = _sort_or_refuse(typed, where, [period], on_unsorted, path)
    typed[unit] = typed[unit].astype("str")
    return typed
