"""Raw engagement and conversion events → a brand × week (or day) panel, out of core, with DuckDB.

Inputs are event logs too large for pandas: engagement events (one row per note and burst of
activity: note id, brand, category, timestamp, likes, comments, saves, shares) and conversion
events (brand, timestamp, add-to-cart, orders, GMV and, if present, visits), in Parquet or CSV
files. :func:`aggregate_events` sums them per brand and period and returns a small pandas frame
with the columns of the kit's panel (``data/simulated/brand_week_panel.csv``), ready for
:func:`reportkit.analysis.models.estimate`.

Out-of-core design and memory bounds
    All the work is one in-memory DuckDB connection; the event rows never reach Python. Each
    source is read once by a grouped aggregation that streams the files (only the columns it
    needs) and keeps one row per brand, period and category (plus one per brand, period and note
    for the distinct-note count). DuckDB is given ``memory_limit`` (default 1 GB), ``threads`` and
    a private ``temp_directory`` (made for the call and removed afterwards): hash tables that
    outgrow the limit spill to that folder instead of growing, and ``preserve_insertion_order``
    is off so no operator buffers rows to keep their order. The process therefore needs about
    the Python interpreter and its libraries (~150 MB) plus ``memory_limit`` plus the result
    (a few thousand rows), whatever the number of events: 50 million synthetic events (600 MB
    of Parquet) peak at about 650 MB of RSS with the default 1 GB and at about 280 MB with
    ``memory_limit="100MB"``, for the same panel in much the same time. The settings are
    passed as the connection's configuration, the same as ``SET memory_limit = ...`` etc., but
    without putting a value into SQL text; file lists are passed as query parameters.

Checks, in DuckDB and without an extra pass when the files allow it
    Files, columns and column types are checked first (from the Parquet footers or the CSV
    header). Null brands, timestamps and categories show up as groups with a NULL key in the
    aggregated result, so they cost nothing. Nulls and negative values in the note id and metric
    columns are read from the Parquet row-group statistics (exact min and null count) when every
    row group has them; otherwise (CSV, or Parquet without statistics) the aggregation carries
    ``min`` and ``count`` of those columns. Only when a check fails is another query run, to
    count the bad rows and show the first few (file, row number for Parquet, note id, brand,
    timestamp, value). Every failure is a :class:`~reportkit.errors.DataError` naming the file,
    the column and what was expected; DuckDB's own errors are wrapped the same way.

Timestamps
    Naive timestamps (and dates) are taken as local time as they are. Time-zone-aware Parquet
    timestamps (``TIMESTAMP WITH TIME ZONE``) are converted to China Standard Time
    (UTC+8, no daylight saving; :data:`UTC_OFFSET_HOURS`) before the period is taken. A week is
    the ISO week, labelled by its Monday. The first and last periods are partial if the files
    start or end inside one.
"""

from __future__ import annotations

import glob
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import duckdb
import pandas as pd

from ..errors import DataError
from .formats import file_format
from .paths import project_root, resolve_data_path

__all__ = [
    "Freq",
    "FREQS",
    "ENGAGEMENT_ROLES",
    "CONVERSION_ROLES",
    "OPTIONAL_ROLES",
    "UTC_OFFSET_HOURS",
    "quote_identifier",
    "aggregate_events",
]

Freq = Literal["week", "day"]
FREQS: tuple[str, ...] = get_args(Freq)
ENGAGEMENT_ROLES: tuple[str, ...] = ("note_id", "brand", "category", "ts", "likes", "comments", "saves", "shares")
CONVERSION_ROLES: tuple[str, ...] = ("brand", "ts", "add_to_cart", "orders", "gmv")
OPTIONAL_ROLES: tuple[str, ...] = ("visits",)  # conversion; summed when the files have it
UTC_OFFSET_HOURS = 8  # China Standard Time, for time-zone-aware timestamps

_ALL_ROLES = tuple(dict.fromkeys(ENGAGEMENT_ROLES + CONVERSION_ROLES + OPTIONAL_ROLES))
_COUNTS = {"likes", "comments", "saves", "shares", "visits", "add_to_cart", "orders"}
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
            "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_NUMERIC_PREFIXES = ("FLOAT", "DOUBLE", "DECIMAL", "REAL")
_TIMES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE", "DATE"}
_CSV_TYPES = {"note_id": "VARCHAR", "brand": "VARCHAR", "category": "VARCHAR", "ts": "TIMESTAMP", "gmv": "DOUBLE"}
_EXAMPLES = 5


def quote_identifier(name: str) -> str:
    """``name`` as a SQL identifier: in double quotes, inner double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Group:
    """Files of one source read by one ``read_parquet``/``read_csv`` call (same columns, types)."""

    kind: Literal["parquet", "csv"]
    files: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (role, column in the file)
    types: tuple[tuple[str, str], ...]  # (role, DuckDB type)

    def reader(self, key: str, *, locate: bool = False) -> tuple[str, dict[str, Any]]:
        """The table function call; ``locate`` adds ``filename`` (and ``file_row_number``)."""
        params: dict[str, Any] = {f"f{key}": list(self.files)}
        if self.kind == "parquet":
            extra = ", filename = true, file_row_number = true" if locate else ""
            return f"read_parquet($f{key}{extra})", params
        params[f"t{key}"] = {col: _CSV_TYPES.get(role, "BIGINT") for role, col in self.columns}
        extra = ", filename = true" if locate else ""
        return f"read_csv($f{key}, header = true, types = $t{key}{extra})", params


@dataclass(frozen=True)
class _Source:
    """One input (engagement or conversion): its label for messages, roles and file groups."""

    what: str
    label: str
    roles: tuple[str, ...]
    groups: tuple[_Group, ...]

    def column(self, role: str, file: str | None = None) -> str:
        """The file's column that holds ``role`` (of the group holding ``file``; default the first)."""
        group = next((g for g in self.groups if file in g.files), self.groups[0])
        return dict(group.columns)[role]

    def select(self, *, locate: bool = False) -> tuple[str, dict[str, Any]]:
        """SQL selecting every role (as its role name) from all files, and its parameters."""
        parts, params = [], {}
        for j, group in enumerate(self.groups):
            reader, p = group.reader(f"{self.what[0]}{j}", locate=locate)
            params.update(p)
            types = dict(group.types)
            cols = [f"{_role_expr(role, col, types[role])} AS {role}" for role, col in group.columns]
            if locate:
                cols.append("filename AS _file")
                cols.append("file_row_number + 1 AS _row" if group.kind == "parquet" else "NULL::BIGINT AS _row")
            parts.append(f"SELECT {', '.join(cols)} FROM {reader}")
        return "\nUNION ALL BY NAME\n".join(parts), params


def _role_expr(role: str, column: str, dtype: str) -> str:
    col = quote_identifier(column)
    if role == "ts" and dtype == "TIMESTAMP WITH TIME ZONE":
        return f"make_timestamp(epoch_us({col}) + {UTC_OFFSET_HOURS * 3_600_000_000}::BIGINT)"
    if role in ("brand", "category") and dtype != "VARCHAR":
        return f"CAST({col} AS VARCHAR)"
    return col


# --------------------------------------------------------------------------- files and columns


def _expand(inputs: str | Path | Sequence[str | Path], what: str) -> tuple[list[Path], str]:
    """Files named by paths and glob patterns (sorted, no repeats) and a label for messages."""
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not items:
        raise DataError(f"no {what} files given; expected a path, a glob pattern or a list of them")
    files: list[Path] = []
    for item in items:
        text = str(item)
        if re.search(r"[*?[]", text):
            found = sorted(glob.glob(text))
            if not found and not Path(text).is_absolute():
                found = sorted(glob.glob(str(project_root() / text)))
            if not found:
                where = "" if Path(text).is_absolute() else f" (tried in {Path.cwd()} and in the project root)"
                raise DataError(f"no {what} file matches this pattern{where}", path=text)
            found = [f for f in found if Path(f).is_file()]
            if not found:
                raise DataError(f"the pattern matches folders only; expected {what} files", path=text)
            files.extend(Path(f).resolve() for f in found)
        else:
            files.append(resolve_data_path(item))
    files = list(dict.fromkeys(files))
    if len(files) == 1:
        label = str(files[0])
    else:
        named = ", ".join(map(str, items[:2])) + (f" and {len(items) - 2} more" if len(items) > 2 else "")
        label = f"{named} ({len(files)} files)"
    return files, label


def _kind(path: Path) -> Literal["parquet", "csv"]:
    return "parquet" if file_format(path, reader="events").kind == "parquet" else "csv"


def _check_mapping(columns: Mapping[str, str] | None) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise DataError(f"columns: expected a dict from file column names to roles; got {type(columns).__name__}")
    for name, role in columns.items():
        if not isinstance(name, str) or not name:
            raise DataError(f"columns: expected file column names (non-empty strings) as keys; got {name!r}")
        if role not in _ALL_ROLES:
            raise DataError(f"columns: {name!r} is mapped to {role!r}; expected one of {', '.join(_ALL_ROLES)}")
    return dict(columns)


def _candidates(role: str, mapping: dict[str, str]) -> list[str]:
    names = [name for name, r in mapping.items() if r == role]
    if role not in mapping:  # a file column named like the role, unless it is mapped elsewhere
        names.append(role)
    return names


def _check_type(role: str, dtype: str, path: str, column: str) -> None:
    if role == "ts":
        ok, expected = dtype in _TIMES, "a timestamp or a date (TIMESTAMP, TIMESTAMP WITH TIME ZONE, DATE)"
    elif role in _COUNTS:
        ok, expected = dtype in _INTEGER, "whole-number counts (an integer type such as BIGINT)"
    elif role == "gmv":
        ok, expected = dtype in _INTEGER or dtype.startswith(_NUMERIC_PREFIXES), "numbers (yuan)"
    else:
        ok, expected = not dtype.endswith("]") and not dtype.startswith(("STRUCT", "MAP", "UNION")), "a scalar id"
    if not ok:
        raise DataError(f"column {column!r} ({role}) has type {dtype}; expected {expected}", path=path, column=column)


def _inspect(con: duckdb.DuckDBPyConnection, what: str, inputs: Any, roles: tuple[str, ...],
             mapping: dict[str, str]) -> _Source:
    """Resolve files, find each role's column in each file and check its type."""
    files, label = _expand(inputs, what)
    signatures: dict[tuple, list[str]] = {}
    for path in files:
        kind = _kind(path)
        reader = "read_parquet(?)" if kind == "parquet" else "read_csv(?, header = true)"
        described = _run(con, f"DESCRIBE SELECT * FROM {reader}", [str(path)], path=path).fetchall()
        present = {row[0]: row[1] for row in described}
        cols, types = [], []
        for role in roles + (OPTIONAL_ROLES if what == "conversion" else ()):
            found = next((c for c in _candidates(role, mapping) if c in present), None)
            if found is None:
                if role in OPTIONAL_ROLES:
                    continue
                wanted = " or ".join(repr(c) for c in _candidates(role, mapping))
                raise DataError(
                    f"{what} events: no column for {role!r} (looked for {wanted}); the file has: "
                    f"{', '.join(present)}; name yours with columns={{'<your column>': '{role}'}}",
                    path=path, column=_candidates(role, mapping)[0])
            dtype = present[found] if kind == "parquet" else _CSV_TYPES.get(role, "BIGINT")
            _check_type(role, dtype, str(path), found)
            cols.append((role, found))
            types.append((role, dtype))
        signatures.setdefault((kind, tuple(cols), tuple(types)), []).append(str(path))
    optional = {tuple(r for r, _ in sig[1] if r in OPTIONAL_ROLES) for sig in signatures}
    if len(optional) > 1:
        raise DataError(f"{what} events: some files have a visits column and some do not; expected all or none",
                        path=label, column="visits")
    groups = tuple(_Group(k, tuple(f), c, t) for (k, c, t), f in signatures.items())
    present_roles = tuple(r for r, _ in groups[0].columns)
    return _Source(what, label, present_roles, groups)


# --------------------------------------------------------------------------- running and errors


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None, *, path: Any) -> duckdb.DuckDBPyConnection:
    """``con.execute`` with DuckDB's errors turned into DataError naming the file (and column)."""
    try:
        return con.execute(sql, params)
    except duckdb.Error as exc:
        text = str(exc)
        file = re.search(r"^\s*file = (.+)$", text, re.M)
        column = re.search(r'converting column "([^"]+)"', text)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
        hint = ""
        if "invalid unicode" in text.lower():
            hint = "; the file is probably not UTF-8 (GBK/GB18030 is common): convert it, e.g. iconv -f gb18030 -t utf-8"
        raise DataError(f"DuckDB cannot read the events: {' | '.join(lines)}{hint}",
                        path=file.group(1).strip() if file else path,
                        column=column.group(1) if column else None) from exc


def _one_row(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of an aggregate query without GROUP BY, which always returns exactly one."""
    row = cursor.fetchone()
    assert row is not None, "an aggregate query without GROUP BY returned no row"
    return row


def _stats_vouch(con: duckdb.DuckDBPyConnection, source: _Source, metrics: Sequence[str],
                 ids: Sequence[str] = ()) -> bool:
    """True when every Parquet row group's statistics show no null in ``metrics`` and ``ids``
    and no negative value in ``metrics`` (statistics missing anywhere: False)."""
    for group in source.groups:
        if group.kind != "parquet":
            return False
        cols = dict(group.columns)
        metric_cols = [cols[r] for r in metrics if r in cols]
        id_cols = [cols[r] for r in ids if r in cols]
        n_expected, n_seen, n_clean = _one_row(_run(con, """
            WITH md AS (SELECT * FROM parquet_metadata($files)),
                 row_groups AS (SELECT count(*) AS n FROM md WHERE column_id = 0)
            SELECT (SELECT n FROM row_groups) * $n_cols,
                   count(*),
                   count(*) FILTER (WHERE stats_null_count = 0 AND (
                       path_in_schema IN (SELECT unnest($ids))
                       OR (TRY_CAST(stats_min_value AS DOUBLE) >= 0 AND min_is_exact IS DISTINCT FROM false)))
            FROM md WHERE path_in_schema IN (SELECT unnest($cols))""",
            {"files": list(group.files), "cols": metric_cols + id_cols, "ids": id_cols or [""],
             "n_cols": len(metric_cols) + len(id_cols)}, path=source.label))
        if not (n_expected == n_seen == n_clean):
            return False
    return True


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _bad_rows(con: duckdb.DuckDBPyConnection, source: _Source, role: str, condition: str, problem: str, expected: str) -> None:
    """Count the rows where ``condition`` holds, show the first few and raise DataError."""
    body, params = source.select(locate=True)
    ident = [r for r in ("note_id", "brand", "ts") if r in source.roles and r != role]
    n, n_files = _one_row(_run(con, f"SELECT count(*), count(DISTINCT _file) FROM ({body}) WHERE {condition}",
                               params, path=source.label))
    if not n:
        return
    rows = _run(con, f"SELECT _file, _row, {', '.join(ident + [role])} FROM ({body}) WHERE {condition} "
                     f"ORDER BY _file, _row LIMIT {_EXAMPLES}", params, path=source.label).fetchall()
    shown = []
    for file, row_no, *values in rows:
        where = f"{Path(file).name} row {row_no}" if row_no is not None else Path(file).name
        shown.append(where + ": " + ", ".join(f"{k}={v}" for k, v in zip(ident + [role], values, strict=True)))
    column = source.column(role, rows[0][0])
    raise DataError(
        f"{source.what} events: column {column!r} ({role}) has {problem} in {_plural(n, 'row')} "
        f"({_plural(n_files, 'file')}); expected {expected}. First rows: " + "; ".join(shown),
        path=rows[0][0], column=column)


# --------------------------------------------------------------------------- aggregation


def _aggregate(con: duckdb.DuckDBPyConnection, source: _Source, period: str, metrics: Sequence[str], checks: bool) -> None:
    """CREATE TEMP TABLE <what> with one row per brand, period (and category) and the checks."""
    body, params = source.select()
    keys = ["brand", f"{period} AS period"] + (["category"] if "category" in source.roles else [])
    aggs = [f"CAST(sum({m}) AS {'BIGINT' if m in _COUNTS else 'DOUBLE'}) AS {m}" for m in metrics]
    if "note_id" in source.roles:
        aggs.insert(0, "count(DISTINCT note_id) AS notes")
    aggs.append("count(*) AS _rows")
    checked = [m for m in ("note_id", *metrics) if checks and m in source.roles]
    aggs += [f"min({m}) AS _min_{m}, count({m}) AS _n_{m}" for m in checked if m != "note_id"]
    aggs += ["count(note_id) AS _n_note_id"] if "note_id" in checked else []
    sql = f"CREATE TEMP TABLE {source.what} AS SELECT {', '.join(keys)}, {', '.join(aggs)} FROM ({body}) GROUP BY ALL"
    _run(con, sql, params, path=source.label)

    def total(expr: str) -> Any:
        return _one_row(con.execute(f"SELECT {expr} FROM {source.what}"))[0]

    if not total("sum(_rows)"):
        raise DataError(f"no {source.what} events in the files (0 rows); expected event rows", path=source.label)
    for role, key in (("brand", "brand"), ("ts", "period"), ("category", "category")):
        if role in source.roles and total(f"count(*) FILTER (WHERE {key} IS NULL)"):
            _bad_rows(con, source, role, f"{role} IS NULL", "missing values", "a value on every event")
    for m in checked:
        if total(f"sum(_rows) - sum(_n_{m})"):
            _bad_rows(con, source, m, f"{m} IS NULL", "missing values", "a value on every event")
        if m != "note_id" and total(f"min(_min_{m})") < 0:
            _bad_rows(con, source, m, f"{m} < 0", "negative values", "values ≥ 0")


def _check_categories(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    rows = con.execute("SELECT brand, list(DISTINCT category ORDER BY category) FROM engagement "
                       "GROUP BY brand HAVING count(DISTINCT category) > 1 ORDER BY brand").fetchall()
    if rows:
        brand, cats = rows[0]
        more = f" ({len(rows) - 1} more brands with several categories)" if len(rows) > 1 else ""
        raise DataError(f"engagement events: brand {brand!r} has {len(cats)} categories ({', '.join(cats)}){more}; "
                        "expected one category per brand", path=source.label, column=source.column("category"))


def _check_conversion_brands(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    rows = con.execute("SELECT DISTINCT brand FROM conversion EXCEPT SELECT brand FROM engagement ORDER BY brand").fetchall()
    if rows:
        shown = ", ".join(repr(r[0]) for r in rows[:_EXAMPLES]) + (" …" if len(rows) > _EXAMPLES else "")
        raise DataError(f"conversion events: {len(rows)} brand(s) have no engagement events, so no category: {shown}; "
                        "expected the same brand ids in both sources", path=source.label, column=source.column("brand"))


def aggregate_events(
    engagement: str | Path | Sequence[str | Path],
    conversion: str | Path | Sequence[str | Path] | None = None,
    *,
    freq: Freq = "week",
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Aggregate engagement (and conversion) event files into a brand × week or brand × day panel.

    Parameters
    ----------
    engagement, conversion
        A path, a glob pattern (``"events/2024-*.parquet"``) or a list of them; Parquet
        (``.parquet``, ``.pq``) or CSV (``.csv``, ``.tsv``, optionally ``.gz``; UTF-8, header
        row; counts are read as BIGINT, GMV as DOUBLE, timestamps as TIMESTAMP, ids as text).
        Relative paths are looked up like :func:`reportkit.data.io.resolve_data_path`.
    freq
        ``"week"`` (ISO weeks; column ``week`` holds the Monday) or ``"day"`` (column ``day``).
    memory_limit, threads, temp_directory
        DuckDB's memory limit (e.g. ``"1GB"``), worker threads (default: one per core) and the
        folder under which a private spill folder is made and removed.
    columns
        Your column names → roles, e.g. ``{"品牌": "brand", "时间": "ts", "笔记ID": "note_id"}``.
        Roles: engagement ``note_id, brand, category, ts, likes, comments, saves, shares``;
        conversion ``brand, ts, add_to_cart, orders, gmv`` and optional ``visits``. A role not
        mapped is looked for under its own name.

    Returns
    -------
    pandas.DataFrame
        One row per brand and period, sorted by brand and period, with ``brand, category,
        week|day, notes, likes, comments, saves, shares, engagement`` and, with conversion,
        ``[visits,] add_to_cart, orders, gmv``. ``notes`` is the number of distinct note ids with
        at least one event in the period; ``engagement = likes + comments + saves`` (shares are
        not part of it, as in the simulated panel). ``visits`` is there only if the conversion
        files have it. Counts are int64, ``gmv`` float64, ``week``/``day`` datetime64.

    The two sources are joined FULL OUTER on brand and period: an event log records every event,
    so a brand-period with no event of one kind has zero of it, and gets 0, not a missing value,
    as long as the period lies within the span (first to last period) the *other* source covers.
    Outside that span nothing is known and the value stays missing (pandas ``<NA>``/NaN; the
    count columns are then nullable Int64). A brand's category comes from its engagement events;
    conversion brands absent from the engagement events are an error.

    Raises
    ------
    DataError
        Missing files or a pattern matching nothing; a missing column (the message lists the
        file's columns); a column of the wrong type (non-numeric metric, non-timestamp time);
        missing brand, timestamp, category, note id or metric values; negative metrics (with the
        number of bad rows and the first few: file, row, note id, brand, timestamp); a brand with
        several categories; unreadable files (DuckDB's error, with the file).
    """
    if freq not in FREQS:
        raise DataError(f"freq: expected one of {', '.join(map(repr, FREQS))}; got {freq!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise DataError(f"threads: expected a positive integer or None (one per core); got {threads!r}")
    mapping = _check_mapping(columns)
    if temp_directory is not None and not Path(temp_directory).is_dir():
        raise DataError("temp_directory: the folder does not exist; expected an existing folder for "
                        "DuckDB's spill files", path=temp_directory)
    spill = Path(tempfile.mkdtemp(prefix="reportkit-events-", dir=temp_directory))
    config: dict[str, Any] = {"memory_limit": str(memory_limit), "temp_directory": str(spill),
                              "preserve_insertion_order": False}
    if threads is not None:
        config["threads"] = threads
    try:
        try:
            con = duckdb.connect(config=config)
        except duckdb.Error as exc:
            raise DataError(f"cannot start DuckDB with memory_limit={memory_limit!r}, threads={threads!r}: {exc}; "
                            "expected a memory size such as '1GB' or '500MB'") from exc
        with con:
            con.execute("SET enable_progress_bar = false")  # a session option: no bar in notebooks' output
            return _aggregate_all(con, engagement, conversion, freq, mapping)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _aggregate_all(con: duckdb.DuckDBPyConnection, engagement: Any, conversion: Any, freq: str,
                   mapping: dict[str, str]) -> pd.DataFrame:
    period = "date_trunc('week', ts)::DATE" if freq == "week" else "ts::DATE"
    out = quote_identifier(freq)
    eng = _inspect(con, "engagement", engagement, ENGAGEMENT_ROLES, mapping)
    eng_metrics = ("likes", "comments", "saves", "shares")
    _aggregate(con, eng, period, eng_metrics, checks=not _stats_vouch(con, eng, eng_metrics, ids=("note_id",)))
    _check_categories(con, eng)
    eng_cols = ("notes", *eng_metrics)
    if conversion is None:
        sql = (f"SELECT brand, category, period AS {out}, {', '.join(eng_cols)}, "
               f"likes + comments + saves AS engagement FROM engagement ORDER BY brand, {out}")
        return _run(con, sql, path=eng.label).df()

    conv = _inspect(con, "conversion", conversion, CONVERSION_ROLES, mapping)
    conv_metrics = tuple(m for m in ("visits", "add_to_cart", "orders", "gmv") if m in conv.roles)
    _aggregate(con, conv, period, conv_metrics, checks=not _stats_vouch(con, conv, conv_metrics))
    _check_conversion_brands(con, conv)

    def filled(side: str, col: str) -> str:
        """The side's value; 0 where it has no row but covers the period; else NULL."""
        return (f"CASE WHEN {side}.brand IS NOT NULL THEN {side}.{col} "
                f"WHEN coalesce(e.period, c.period) BETWEEN {side}_lo AND {side}_hi THEN 0 END AS {col}")

    sql = f"""
        WITH spans AS (SELECT (SELECT min(period) FROM engagement) AS e_lo, (SELECT max(period) FROM engagement) AS e_hi,
                              (SELECT min(period) FROM conversion) AS c_lo, (SELECT max(period) FROM conversion) AS c_hi),
             joined AS (
                SELECT coalesce(e.brand, c.brand) AS brand, coalesce(e.period, c.period) AS period,
                       {", ".join(filled("e", col) for col in eng_cols)},
                       {", ".join(filled("c", col) for col in conv_metrics)}
                FROM engagement AS e FULL JOIN conversion AS c ON e.brand = c.brand AND e.period = c.period
                     CROSS JOIN spans)
        SELECT brand, b.category, j.period AS {out}, {", ".join(eng_cols)}, likes + comments + saves AS engagement,
               {", ".join(conv_metrics)}
        FROM joined AS j JOIN (SELECT DISTINCT brand, category FROM engagement) AS b USING (brand)
        ORDER BY brand, {out}"""
    return _run(con, sql, path=conv.label).df()
