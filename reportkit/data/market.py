"""An analyst's market series from any file: roles declared by a column mapping, unit as declared.

A market series is what a research house brings: a platform export of GMV by month, a national
statistic by year, a quarterly series from another country. :func:`read_market_series` reads it
through the same readers as a panel (:func:`reportkit.data.readers.read_located`: encoding,
sheet, the column mapping), converts the numbers explicitly (:mod:`reportkit.data.numbers`:
``1,234``, ``1.2万``, ``7.2%``) and builds checked :class:`~reportkit.data.timeseries.TimeSeries`
(one frequency, each period once, gaps named). What the file's columns mean is declared, not
guessed:

* **roles** (``columns`` maps the file's names to them): ``period`` (required); ``value`` (the
  series); ``growth`` (a year-on-year growth rate in % the source publishes beside the levels,
  e.g. NBS's comparable-basis rate); ``share`` (the series' share of a total in %, as published);
  ``total`` (the level of that total, same unit). ``value`` or ``share`` must be present.
* **what the values are** (``values``): ``"level"`` (the value of each period),
  ``"ytd"`` (January-to-period cumulative totals; differenced within each year, a missing
  cumulative period leaves the periods around it unknown, never zero) or ``"growth"`` (growth
  in % on the same period a year earlier; no levels).
* **unit**: shown as the analyst declares it (``元``, ``万元``, ``亿元``, ``USD million``, ``%``);
  nothing is converted.

**Metadata beside the data.** A YAML file next to the data file with the same stem
(``nbs_online_retail_annual.yaml`` beside ``nbs_online_retail_annual.csv``) may describe it:
``source`` and ``notes`` (caveats, one ``{zh: …, en: …}`` each) for the whole file, and under
``columns`` each column's ``name``, ``unit`` and ``note``. Arguments given to
:func:`read_market_series` override it. A source's caveats are thus data, kept with the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import yaml

from .. import yaml_files
from ..choices import check_choice
from ..errors import DataError
from ..i18n import LANGUAGES, Text, message
from .numbers import parse_numeric_column
from .paths import resolve_data_path
from .readers import read_located
from .schemas import parse_date_column
from .timeseries import FREQS, SEASON_LENGTH, QualityNote, TimeSeries

__all__ = [
    "ROLES",
    "VALUE_KINDS",
    "MarketSeries",
    "read_market_series",
    "MarketParts",
    "read_market_parts",
    "PART_SEPARATOR",
    "metadata_path",
]

ValueKind = Literal["level", "ytd", "growth"]
VALUE_KINDS: tuple[str, ...] = get_args(ValueKind)
#: the roles a column of a market-series file can play
ROLES: tuple[str, ...] = ("period", "value", "growth", "share", "total")
_PERCENT_ROLES = ("growth", "share")
_EXAMPLE = ("columns={'月份': 'period', '成交额': 'value'} (a level), "
            "{'year': 'period', 'yoy_pct': 'growth'} beside a value column, or "
            "{'date': 'period', 'pct_of_total': 'share'}")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class MarketSeries:
    """One market series as read: levels, published growth and share, with what the source says.

    ``levels`` is the value of each period (derived from cumulative totals when ``values="ytd"``;
    ``None`` when the file gives growth rates only); ``cumulative`` the January-to-period totals
    as given (``values="ytd"`` only). ``growth`` is the year-on-year growth in % the source
    publishes (the ``growth`` role, or the values themselves when ``values="growth"``), on the
    series' PeriodIndex, NaN where not published. ``share`` is the published share of a total in
    %, ``total`` the total's levels. ``name``, ``unit``, ``source``, ``notes`` (caveats) and
    ``growth_name``/``share_name`` come from the arguments or the metadata file beside the data.
    """

    name: Text
    unit: str
    freq: str
    values: str
    path: str
    levels: TimeSeries | None = None
    cumulative: TimeSeries | None = None
    growth: pd.Series | None = None
    share: pd.Series | None = None
    total: TimeSeries | None = None
    source: Text | None = None
    notes: tuple[Text, ...] = ()
    growth_name: Text | None = None
    growth_note: Text | None = None
    share_name: Text | None = None
    total_name: Text | None = None
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def season_length(self) -> int:
        """Periods per year: 1, 4 or 12."""
        return SEASON_LENGTH[self.freq]

    @property
    def periods(self) -> pd.PeriodIndex:
        """Every period of the series (the index of ``levels``, else of ``growth``/``share``)."""
        for part in (self.levels, self.total):
            if part is not None:
                return part.values.index
        for series in (self.growth, self.share):
            if series is not None:
                return series.index
        raise DataError("the market series holds no values", path=self.path)  # not reached: checked on read

    @property
    def quality(self) -> tuple[QualityNote, ...]:
        """Data-quality notes of every part (gaps, blocks, Jan–Feb combined, sorting)."""
        notes: list[QualityNote] = []
        for part in (self.cumulative, self.levels, self.total):
            if part is not None:
                notes.extend(n for n in part.quality if n not in notes)
        return tuple(notes)

    def level_series(self) -> pd.Series:
        """The levels as a float Series on the PeriodIndex (an error when only growth was given)."""
        if self.levels is None:
            raise DataError(f"{self.name[LANGUAGES[0]]}: the file gives growth rates only "
                            f"(values={self.values!r}), so there are no levels", path=self.path)
        return self.levels.as_series()

    def annual_totals(self) -> pd.Series:
        """Annual sums of the levels over years whose every period is known (annual: the levels).

        For a seasonally adjusted quarterly or monthly series the sum is the annual total at
        an annual rate's scale (the adjustment moves value between periods of a year, not out of
        it). Years with a missing or unknown period are left out, never summed short.
        """
        levels = self.level_series()
        if self.freq == "annual":
            return levels.dropna()
        years = levels.index.year
        out = {}
        for year in sorted(set(years)):
            part = levels[years == year]
            if len(part) == self.season_length and part.notna().all():
                out[pd.Period(str(year), freq="Y")] = float(part.sum())
        index = pd.PeriodIndex(list(out), freq="Y")
        return pd.Series(list(out.values()), index=index, dtype=float, name=levels.name)


# --------------------------------------------------------------------------- metadata


def metadata_path(path: str | Path) -> Path:
    """The metadata file beside a data file: same folder and stem, ``.yaml``."""
    return Path(path).with_suffix(".yaml")


def _read_metadata(data_path: Path) -> dict[str, Any]:
    meta = metadata_path(data_path)
    if not meta.is_file():
        return {}
    try:
        loaded = yaml_files.safe_load(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read the metadata file: {exc}", path=meta) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise DataError(f"the metadata file holds {type(loaded).__name__}; expected a mapping with "
                        "source, notes and columns", path=meta)
    unknown = sorted(set(loaded) - {"source", "notes", "columns", "licence", "title"})
    if unknown:
        raise DataError(f"the metadata file has unknown key(s) {unknown}; expected source, notes, "
                        "columns, licence, title", path=meta)
    loaded["_path"] = str(meta)
    return loaded


def _text(value: Any, what: str, where: str) -> Text | None:
    """A name or note: text the same in every language, or ``{zh: …, en: …}``."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, Text):
        return value
    if isinstance(value, str):
        return Text.same(value)
    if isinstance(value, Mapping):
        entries = {str(k): v for k, v in value.items()}
        bad = [k for k, v in entries.items() if not isinstance(v, str)]
        if bad:
            raise DataError(f"{what} has non-text entries for {bad}; expected e.g. "
                            "{'zh': '全国网上零售额', 'en': 'Online retail sales'}", path=where)
        missing = [lang for lang in LANGUAGES if lang not in entries]
        if missing:
            raise DataError(f"{what} has no entry for language(s) {missing}: got {sorted(entries)}; "
                            f"expected one per report language {list(LANGUAGES)}", path=where)
        return Text(entries)
    raise DataError(f"{what} is {type(value).__name__}; expected text or {{'zh': …, 'en': …}}",
                    path=where)


def _column_meta(meta: Mapping[str, Any], source: str | None) -> Mapping[str, Any]:
    columns = meta.get("columns") or {}
    if source is None or not isinstance(columns, Mapping):
        return {}
    found = columns.get(source) or {}
    return found if isinstance(found, Mapping) else {}


# --------------------------------------------------------------------------- reading


def _roles(frame: pd.DataFrame, columns: Mapping[str, str], path: Path) -> dict[str, str]:
    """Which role each mapped or role-named column plays; check the roles are known and enough."""
    mapped = {role: source for source, role in columns.items()}
    unknown = sorted(r for r in mapped if r not in ROLES)
    if unknown:
        raise DataError(f"columns maps to unknown role(s) {unknown}; a market series has the roles "
                        f"{list(ROLES)}, e.g. {_EXAMPLE}", path=path, expected=f"one of {list(ROLES)}")
    present = {role: mapped.get(role, role) for role in ROLES if role in frame.columns}
    if "period" not in present:
        raise DataError(
            f"no column for the role 'period' (the date, month, quarter or year of each row); the "
            f"file's columns are {columns_of(frame, columns)}; map one, e.g. "
            f"columns={{{columns_of(frame, columns)[0]!r}: 'period', …}}, as in {_EXAMPLE}",
            path=path, column="period", expected="a period column")
    if "value" not in present and "share" not in present:
        raise DataError(
            f"no column for the role 'value' (or 'share'); the file's columns are "
            f"{columns_of(frame, columns)}; map the series, e.g. {_EXAMPLE}",
            path=path, column="value", expected="a value or share column")
    return present


def columns_of(frame: pd.DataFrame, columns: Mapping[str, str]) -> list[str]:
    """The file's own column names (before the mapping renamed them)."""
    back = {role: source for source, role in columns.items()}
    return [back.get(str(c), str(c)) for c in frame.columns]


_AMBIGUOUS_DATE = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*$")


def _periods(table_frame: pd.DataFrame, rows: Any, path: Path, date_format: str | None) -> pd.Series:
    """The period column, dates parsed with ``date_format`` when one is declared; a day- or
    month-first date (``10/1/99``: 1 October or 10 January?) is refused without one."""
    if not date_format:
        cells = table_frame["period"].astype(object)
        ambiguous = [i for i, v in enumerate(cells) if isinstance(v, str) and _AMBIGUOUS_DATE.match(v)]
        if ambiguous:
            shown = "; ".join(f"{rows.label(i)}: {cells.iloc[i]!r}" for i in ambiguous[:3])
            raise DataError(f"column 'period' holds dates with the day or the month first ({shown}); which "
                            "comes first cannot be told from the file: declare it, e.g. date_format='%m/%d/%y' "
                            "(US, month first) or '%d/%m/%Y' (day first)", path=path, column="period",
                            expected="a declared date_format")
        return table_frame["period"]
    return parse_date_column(table_frame["period"], column="period", path=path, rows=rows,
                             date_format=date_format)


def _numbers(frame: pd.DataFrame, role: str, path: Path, rows: Any, missing: Iterable[str],
             unit: str) -> pd.Series:
    percent = "points" if role in _PERCENT_ROLES or unit.strip() == "%" else "refuse"
    return parse_numeric_column(frame[role], column=role, path=path, rows=rows, missing=missing,
                                percent=percent)  # type: ignore[arg-type]


def _series(frame: pd.DataFrame, role: str, *, freq: str | None, kind: str, name: str, unit: str,
            source: str, on_negative: str) -> TimeSeries:
    return TimeSeries.from_frame(frame, date="period", value=role, freq=freq, kind=kind,  # type: ignore[arg-type]
                                 name=name, unit=unit, source=source, on_gap="keep",
                                 on_unsorted="sort", on_negative=on_negative,  # type: ignore[arg-type]
                                 row_names=frame.attrs["row_names"])


def _chained_index(rates: pd.Series, name: str, source: str) -> TimeSeries:
    """Annual growth rates (%) chained into an index, first year = 100 (its own rate is not used)."""
    factors = (1.0 + rates.astype(float) / 100.0).to_numpy(copy=True)
    factors[0] = 1.0
    values = pd.Series(100.0 * np.cumprod(factors), index=rates.index)
    return TimeSeries(values=values, freq="annual", kind="level", name=name, unit=f"{rates.index[0]} = 100",
                      source=source)


def _open(path: str | Path, columns: dict[str, str], frequency: str | None, encoding: str | None,
          sheet: str | int | None) -> tuple[str | None, dict[str, Any], Any, dict[str, str]]:
    """What both readers start with: the declared frequency (None: infer), the metadata beside the
    file, the file read as text with the mapping applied, and the roles its columns play."""
    freq = None if frequency in (None, "", "auto") else frequency
    if freq is not None:
        check_choice("frequency", freq, FREQS, error=DataError)
    resolved = resolve_data_path(path)
    meta = _read_metadata(resolved)
    table = read_located(resolved, encoding=encoding or None, sheet=sheet, columns=columns)
    return freq, meta, table, _roles(table.frame, columns, table.path)


def read_market_series(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    values: str = "level",
    frequency: str | None = None,
    unit: str | None = None,
    name: Any = None,
    source: Any = None,
    notes: Iterable[Any] = (),
    growth_name: Any = None,
    share_name: Any = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    missing: Iterable[str] = ("", "-", "—", "..", "NA"),
) -> MarketSeries:
    """Read an analyst's market series: roles by ``columns``, ``values`` as declared, unit as given.

    ``columns`` maps the file's names to :data:`ROLES` (columns already named after a role need
    no entry). ``values``: ``"level"``, ``"ytd"`` or ``"growth"`` (see the module doc).
    ``frequency``: ``"annual"``, ``"quarterly"``, ``"monthly"``, or ``None``/``"auto"`` to infer
    it from the labels (dates: from their spacing). ``date_format`` (strptime, e.g.
    ``"%m/%d/%y"``) reads day- or month-first dates; each date stands for the period that
    contains it. ``unit``, ``name``, ``source``, ``notes``, ``growth_name``, ``share_name``
    override the metadata file beside the data (:func:`metadata_path`); ``name`` defaults to the
    value column's own name. Gaps are kept as unknown with a data-quality note; rows out of
    order are sorted with a note; a period twice, a cell that is not a number, an unknown role or
    a missing ``period`` role raise one :class:`DataError` naming the file, the column and the
    first bad lines.
    """
    check_choice("values", values, VALUE_KINDS, error=DataError)
    columns = dict(columns or {})
    freq, meta, table, roles = _open(path, columns, frequency, encoding, sheet)
    where = str(table.path)
    missing = tuple(missing)

    def column_text(role: str, key: str) -> Any:
        return _column_meta(meta, roles.get(role)).get(key)

    value_role = "value" if "value" in roles else "share"
    declared_unit = unit if unit not in (None, "") else column_text(value_role, "unit")
    if declared_unit is None:
        declared_unit = "%" if value_role == "share" or values == "growth" else ""
    series_name = (_text(name, "name", where) or _text(column_text(value_role, "name"), "the column's name", where)
                   or Text.same(roles[value_role]))

    frame = pd.DataFrame(index=range(len(table.frame)))
    frame["period"] = _periods(table.frame, table.rows, table.path, date_format).to_numpy()
    for role in roles:
        if role != "period":
            frame[role] = _numbers(table.frame, role, table.path, table.rows, missing,
                                   "%" if role in _PERCENT_ROLES else str(declared_unit)).to_numpy()
    frame.attrs["row_names"] = [table.rows.label(i) for i in range(len(frame))]  # the file's lines or rows

    levels = cumulative = total = None
    growth = share = None
    label = series_name[LANGUAGES[0]]
    if "value" in roles:
        if values == "level":
            levels = _series(frame, "value", freq=freq, kind="level", name=label, unit=str(declared_unit),
                             source=where, on_negative="error")
        elif values == "ytd":
            cumulative = _series(frame, "value", freq=freq or "monthly", kind="cumulative", name=label,
                                 unit=str(declared_unit), source=where, on_negative="error")
            levels = cumulative.to_levels()
        else:
            rates = _series(frame, "value", freq=freq, kind="level", name=label, unit="%", source=where,
                            on_negative="keep")
            growth = rates.as_series()
            if rates.freq == "annual" and growth.iloc[1:].notna().all():
                levels, declared_unit = _chained_index(growth, label, where), f"{growth.index[0]} = 100"
                index_note = message("market.index_note").format(first=str(growth.index[0]))
                growth = None  # the rates are the index's own growth: shown as growth of the levels
    anchor = levels or cumulative
    freq_found = anchor.freq if anchor is not None else (rates.freq if values == "growth" and "value" in roles else None)
    if "total" in roles:
        total = _series(frame, "total", freq=freq_found or freq, kind="cumulative" if values == "ytd" else "level",
                        name=str(roles["total"]), unit=str(declared_unit), source=where, on_negative="error")
        if values == "ytd":
            total = total.to_levels()
        freq_found = freq_found or total.freq
    for role in ("growth", "share"):
        if role in roles:
            ts = _series(frame, role, freq=freq_found or freq, kind="level", name=str(roles[role]), unit="%",
                         source=where, on_negative="keep")
            freq_found = freq_found or ts.freq
            if role == "growth":
                growth = ts.as_series()
            else:
                share = ts.as_series()
    if growth is not None and levels is not None:
        growth = growth.reindex(levels.values.index)
    if share is not None and levels is not None:
        share = share.reindex(levels.values.index)

    meta_notes = [_text(n, "a note of the metadata file", where) for n in (meta.get("notes") or [])]
    if values == "growth" and levels is not None:
        meta_notes.append(index_note)
    given_notes = [_text(n, "a note", where) for n in notes]
    column_notes = [_text(column_text(role, "note"), f"the note of column {roles[role]!r}", where)
                    for role in roles if role not in ("period", "growth")]
    return MarketSeries(
        name=series_name,
        unit=str(declared_unit),
        freq=str(freq_found),
        values=values,
        path=where,
        levels=levels,
        cumulative=cumulative,
        growth=growth,
        share=share,
        total=total,
        source=_text(source, "source", where) or _text(meta.get("source"), "the metadata's source", where),
        notes=tuple(n for n in [*meta_notes, *column_notes, *given_notes] if n is not None),
        growth_name=_text(growth_name, "growth_name", where) or _text(column_text("growth", "name"), "name", where),
        growth_note=_text(column_text("growth", "note"), "note", where),
        share_name=_text(share_name, "share_name", where) or _text(column_text("share", "name"), "name", where),
        total_name=_text(column_text("total", "name"), "name", where),
        columns=dict(columns),
    )


# --------------------------------------------------------------------------- several series at once


@dataclass(frozen=True, eq=False)
class MarketParts:
    """Several series that add up to a total: GMV by platform, by category, or by category × platform.

    ``levels`` holds one column per part (named ``"美妆 · 天猫"`` from the key columns, in the
    order first seen in the file) on a complete PeriodIndex; NaN where a part has no value for a
    period (a gap, with a note in ``quality``). ``keys`` names the file's columns that identify a
    part (``by``); ``key_values`` gives each part's values of them. The total is the sum of the parts,
    known only where every part is known.
    """

    name: Text
    unit: str
    freq: str
    values: str
    path: str
    levels: pd.DataFrame
    keys: tuple[str, ...]
    key_values: Mapping[str, tuple[str, ...]]
    source: Text | None = None
    notes: tuple[Text, ...] = ()
    quality: tuple[QualityNote, ...] = ()

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.levels.columns)

    @property
    def season_length(self) -> int:
        return SEASON_LENGTH[self.freq]

    def total(self) -> pd.Series:
        """The sum of the parts by period; NaN where any part is unknown (never summed short)."""
        return self.levels.sum(axis=1, min_count=len(self.levels.columns)).where(self.levels.notna().all(axis=1))

    def annual(self) -> pd.DataFrame:
        """Annual sums of every part over the years where every part's every period is known, plus
        ``total``; annual data as they are (years with every part known). PeriodIndex of years."""
        levels = self.levels
        years = levels.index.year
        rows, index = [], []
        for year in sorted(set(years)):
            block = levels[years == year]
            if len(block) == self.season_length and block.notna().all().all():
                rows.append(block.sum().to_numpy(dtype=float))
                index.append(pd.Period(str(year), freq="Y"))
        out = pd.DataFrame(rows, index=pd.PeriodIndex(index, freq="Y"), columns=levels.columns, dtype=float)
        out["total"] = out.sum(axis=1)
        return out


PART_SEPARATOR = " · "


def read_market_parts(
    path: str | Path,
    *,
    by: Iterable[str],
    columns: Mapping[str, str] | None = None,
    values: str = "level",
    frequency: str | None = None,
    unit: str | None = None,
    name: Any = None,
    source: Any = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    missing: Iterable[str] = ("", "-", "—", "..", "NA"),
) -> MarketParts:
    """Read several series of one file that add up to a total: one row per period and part.

    ``columns`` maps the file's period and value columns to the roles ``period`` and ``value``;
    ``by`` names the file's columns that identify a part (``["品类", "平台"]``: category × platform).
    ``values`` is ``"level"`` or ``"ytd"`` (each part's cumulative totals differenced within a year).
    Otherwise as :func:`read_market_series`: the unit as declared (or from the metadata file beside
    the data), numbers such as ``1,234.5`` or ``1.2万`` converted explicitly, a period twice for one
    part, a cell that is not a number or a missing role raise one :class:`DataError` naming the file,
    the column and the first bad lines. Gaps stay unknown, with a note.
    """
    check_choice("values", values, ("level", "ytd"), error=DataError)
    keys = tuple(str(k) for k in ([by] if isinstance(by, str) else by))
    columns = dict(columns or {})
    freq, meta, table, roles = _open(path, columns, frequency, encoding, sheet)
    where = str(table.path)
    if "value" not in roles:
        raise DataError(f"no column for the role 'value' (the amount of each part in each period); the file's "
                        f"columns are {columns_of(table.frame, columns)}", path=table.path, column="value")
    if not keys:
        raise DataError("by is empty; expected the column(s) that name each part, e.g. by=['平台'] or "
                        "by=['品类', '平台']", path=table.path, expected="one or more columns")
    absent = [k for k in keys if k not in table.frame.columns]
    if absent:
        raise DataError(f"by names {absent}, which the file does not have; its columns are "
                        f"{columns_of(table.frame, columns)}", path=table.path, column=absent[0],
                        expected=f"columns of the file naming the parts, e.g. {list(table.frame.columns[:1])}")
    declared_unit = unit if unit not in (None, "") else _column_meta(meta, roles["value"]).get("unit", "")
    series_name = (_text(name, "name", where) or _text(_column_meta(meta, roles["value"]).get("name"), "name", where)
                   or Text.same(roles["value"]))
    frame = pd.DataFrame(index=range(len(table.frame)))
    frame["period"] = _periods(table.frame, table.rows, table.path, date_format).to_numpy()
    frame["value"] = _numbers(table.frame, "value", table.path, table.rows, tuple(missing), str(declared_unit)).to_numpy()
    frame.attrs["row_names"] = [table.rows.label(i) for i in range(len(frame))]
    empty = [i for i, v in enumerate(table.frame[list(keys)].astype(object).itertuples(index=False))
             if any(c is None or (isinstance(c, float) and c != c) or str(c).strip() == "" for c in v)]
    if empty:
        shown = "; ".join(table.rows.label(i) for i in empty[:5])
        raise DataError(f"{len(empty)} row(s) have no value in the part column(s) {list(keys)}: {shown}",
                        path=table.path, column=keys[0], expected="every row names its part")
    labels = pd.Series([PART_SEPARATOR.join(str(c).strip() for c in r)
                        for r in table.frame[list(keys)].astype(object).itertuples(index=False)])
    series: dict[str, pd.Series] = {}
    key_values: dict[str, tuple[str, ...]] = {}
    quality: list[QualityNote] = []
    found_freq = freq
    for label in dict.fromkeys(labels):
        rows = np.flatnonzero((labels == label).to_numpy())
        sub = frame.iloc[rows].reset_index(drop=True)
        sub.attrs["row_names"] = [frame.attrs["row_names"][i] for i in rows]
        ts = _series(sub, "value", freq=found_freq or (None if values == "level" else "monthly"),
                     kind="cumulative" if values == "ytd" else "level", name=f"{series_name[LANGUAGES[0]]}: {label}",
                     unit=str(declared_unit), source=where, on_negative="error")
        if values == "ytd":
            ts = ts.to_levels()
        found_freq = ts.freq
        series[label] = ts.as_series()
        key_values[label] = tuple(str(v).strip() for v in table.frame.iloc[rows[0]][list(keys)])
        quality.extend(ts.quality)
    levels = pd.DataFrame(series)
    levels = levels.reindex(pd.period_range(levels.index.min(), levels.index.max(), freq=levels.index.freq))
    return MarketParts(
        name=series_name, unit=str(declared_unit), freq=str(found_freq), values=values, path=where, levels=levels,
        keys=keys, key_values=key_values,
        source=_text(source, "source", where) or _text(meta.get("source"), "the metadata's source", where),
        notes=tuple(n for n in (_text(x, "a note of the metadata file", where) for x in (meta.get("notes") or []))
                    if n is not None),
        quality=tuple(quality),
    )
