"""One analyst time series (annual, quarterly or monthly; level or year-to-date cumulative), checked.

:class:`TimeSeries` is the container every trend function takes, for the NBS series and for an
analyst's own data alike (e.g. the US Census quarterly e-commerce series). Its ``values`` are a
float pandas Series on a :class:`pandas.PeriodIndex` that is sorted, unique and complete: every
period from the first to the last is present, and a period without a value is NaN, which only
happens when the construction policy allowed it (``on_gap="keep"``) or the value is derived and
unknown. Every such allowance leaves a :class:`QualityNote` in ``quality`` (bilingual text and
the periods affected), for the data-quality note of the report.

Constructors:

* :meth:`TimeSeries.from_frame`: a date column and a value column of a DataFrame;
* :meth:`TimeSeries.from_ytd_frame`: NBS style January-to-month cumulative periods
  (``2024-01..02``, January and February combined);
* :meth:`TimeSeries.read`: the same from a CSV or Parquet file (via
  :func:`reportkit.data.io.load_data`).

Data problems raise :class:`~reportkit.errors.DataError` naming the source, the column and the
first bad rows: empty data, unparsable or missing dates, an ambiguous frequency, non-numeric
values, duplicate periods (always), dates out of order (or sort with a note), gaps (or keep them
as NaN with a note), negative values (or keep them with a note).

Cumulative series: :meth:`TimeSeries.to_levels` differences within each year (the first period
of a year is its cumulative value). Where a cumulative period is missing, the periods on both
sides of it are only known as a total: the level series has NaN for each of them and the total
is kept as a :class:`PeriodBlock` in ``blocks`` (never split, never zero). The Jan–Feb value NBS
publishes as one figure is such a block.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from ..choices import check_choice
from ..errors import AnalysisError, DataError
from ..i18n import Text, check_language, unit_name
from .formats import file_format
from .io import load_data
from .messages import MAX_SHOWN, column_list, show_list
from .paths import resolve_data_path
from .periods import KIND_WORD, RANK, PeriodLabel, parse_period

__all__ = [
    "Freq",
    "Kind",
    "FREQS",
    "SEASON_LENGTH",
    "QualityNote",
    "PeriodBlock",
    "TimeSeries",
    "ytd_blocks",
]

Freq = Literal["annual", "quarterly", "monthly"]
Kind = Literal["level", "cumulative"]
OnGap = Literal["error", "keep"]
OnUnsorted = Literal["error", "sort"]
OnNegative = Literal["error", "keep"]

FREQS: tuple[str, ...] = get_args(Freq)
KINDS: tuple[str, ...] = get_args(Kind)
SEASON_LENGTH: Mapping[str, int] = MappingProxyType({"annual": 1, "quarterly": 4, "monthly": 12})
_PANDAS_FREQ = {"annual": "Y", "quarterly": "Q", "monthly": "M"}
_FREQ_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}
_UNIT_EN = {"annual": "year", "quarterly": "quarter", "monthly": "month"}
_UNIT_ZH = {"annual": "年", "quarterly": "个季度", "monthly": "个月"}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class QualityNote:
    """One data-quality finding: a short ``code``, the text as a :class:`~reportkit.i18n.Text`
    (one entry per language), and the periods affected (as labels such as ``"2024-04"``,
    ``"2024Q2"``, ``"2024"``).

    Codes: ``sorted`` (rows were out of order and sorted), ``gap`` (periods kept as unknown),
    ``negative`` (negative values kept), ``cumulative_decrease`` (a cumulative value falls within
    a year, kept), ``jan_feb_combined`` (January and February only known together), ``block``
    (several periods only known as a total), ``unknown`` (derived periods without any value),
    ``cut`` (:meth:`TimeSeries.complete` dropped earlier periods). ``message`` may be given as a
    ``{"zh": …, "en": …}`` mapping; it is kept as a Text.
    """

    code: str
    message: Text
    periods: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.message, Text):
            if not isinstance(self.message, Mapping):
                raise AnalysisError(f"QualityNote {self.code!r}: the message must be a Text, e.g. "
                                    f"Text(zh=..., en=...); got {type(self.message).__name__}")
            object.__setattr__(self, "message", Text(dict(self.message)))

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang`` (a missing entry fails loudly)."""
        return self.message[lang]

    def to_dict(self) -> dict[str, Any]:
        """Plain ``{"code", "message": {lang: text, ...}, "periods": [...]}`` (JSON-serialisable;
        ``message`` is :meth:`Text.to_json <reportkit.i18n.Text.to_json>`, one entry per language)."""
        return {"code": self.code, "message": self.message.to_json(), "periods": list(self.periods)}


@dataclass(frozen=True)
class PeriodBlock:
    """A run of consecutive periods of a series derived from cumulative values.

    ``status``: ``"period"`` (one period, ``C(t) − C(t−1)``), ``"jan_feb_combined"`` (January and
    February, published as one cumulative figure), ``"block"`` (several periods known only as a
    total because cumulative values inside are missing) or ``"unknown"`` (no value; ``value``
    and ``ytd_value`` are NaN). ``ytd_value`` is the cumulative value at ``end``; ``missing``
    the cumulative periods missing inside the block (January is not listed for a Jan–Feb
    block: NBS never publishes it).
    """

    start: pd.Period
    end: pd.Period
    value: float
    ytd_value: float
    status: str
    missing: tuple[pd.Period, ...] = ()

    @property
    def n_periods(self) -> int:
        return int((self.end - self.start).n) + 1

    @property
    def label(self) -> str:
        """``2024-04`` for one period, ``2024-04..05`` (or ``2024Q1..Q2``) for several."""
        if self.start == self.end:
            return str(self.start)
        if self.start.freqstr.startswith("Q"):
            return f"{self.start}..Q{self.end.quarter}"
        return f"{self.start}..{self.end.month:02d}"


# --------------------------------------------------------------------------- small helpers


def _amount_en(value: float, unit: str) -> str:
    """An amount in an English note, in the unit the tables show it in: "19,558 (100 mn yuan)"."""
    name = unit_name(unit)["en"] if unit else ""
    return f"{_fmt(value)} ({name})" if name else _fmt(value)


def _fmt(value: float) -> str:
    """A number for a message: whole numbers with thousands separators, else up to 4 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _pfreq(freq: str) -> str:
    return _PANDAS_FREQ[freq]


def _freq_of_index(index: pd.PeriodIndex) -> str:
    code = index.freqstr
    if code.startswith("Y") or code.startswith("A"):
        return "annual"
    if code.startswith("Q"):
        return "quarterly"
    if code == "M":
        return "monthly"
    raise AnalysisError(f"unsupported period frequency {code!r}; expected annual, quarterly or monthly")


def _period_zh(period: pd.Period) -> str:
    code = period.freqstr
    if code.startswith("Q"):
        return f"{period.year}年第{period.quarter}季度"
    if code == "M":
        return f"{period.year}年{period.month}月"
    return f"{period.year}年"


def _span_zh(start: pd.Period, end: pd.Period) -> str:
    if start == end:
        return _period_zh(start)
    if start.freqstr == "M" and start.year == end.year:
        return f"{start.year}年{start.month}–{end.month}月"
    if start.freqstr.startswith("Q") and start.year == end.year:
        return f"{start.year}年第{start.quarter}–{end.quarter}季度"
    return f"{_period_zh(start)}至{_period_zh(end)}"


def _ytd_label(period: pd.Period) -> str:
    """The cumulative period ending at ``period``: ``2024-01..04`` or ``2024Q1..Q3``."""
    if period.freqstr.startswith("Q"):
        return f"{period.year}Q1..Q{period.quarter}"
    return f"{period.year}-01..{period.month:02d}"


def _ytd_label_zh(period: pd.Period) -> str:
    if period.freqstr.startswith("Q"):
        return f"{period.year}年1–{period.quarter}季度累计"
    return f"{period.year}年1–{period.month}月累计"


def _position_in_year(period: pd.Period) -> int:
    """1..12 for a month, 1..4 for a quarter, 1 for a year."""
    code = period.freqstr
    if code == "M":
        return int(period.month)
    if code.startswith("Q"):
        return int(period.quarter)
    return 1


# --------------------------------------------------------------------------- frequency


def _infer_freq(parsed: list[PeriodLabel], rows: list[str], raw: list[Any], column: str,
                source: str | None) -> str:
    """The frequency implied by the dates; DataError when it is ambiguous."""
    resolutions = {p.resolution for p in parsed}
    if "ytd" in resolutions:
        return "monthly"
    labelled = resolutions - {"date"}
    if len(labelled) > 1 or (labelled and "date" in resolutions):
        seen: dict[str, int] = {}
        for i, p in enumerate(parsed):
            seen.setdefault(p.resolution, i)
        shown = "; ".join(f"{rows[i]} {raw[i]!r} ({KIND_WORD[r]})" for r, i in seen.items())
        raise DataError(
            f"column {column!r}: mixed date formats, so the frequency is ambiguous: {shown}; "
            "use one format, or pass freq='annual', 'quarterly' or 'monthly'",
            path=source or None, column=column,
        )
    if labelled:
        return labelled.pop()
    # every cell is a full date: look at the spacing in months
    months = sorted({p.start.year * 12 + p.start.month - 1 for p in parsed})
    stamps = {p.start.normalize() for p in parsed}
    if len(stamps) > len(months):
        by_month: dict[int, list[int]] = {}
        for i, p in enumerate(parsed):
            by_month.setdefault(p.start.year * 12 + p.start.month - 1, []).append(i)
        clash = next(v for v in by_month.values() if len({parsed[i].start.normalize() for i in v}) > 1)
        a, b = clash[0], next(i for i in clash if parsed[i].start.normalize() != parsed[clash[0]].start.normalize())
        raise DataError(
            f"column {column!r}: {rows[a]} ({raw[a]!r}) and {rows[b]} ({raw[b]!r}) fall in the same "
            "month, so the dates are finer than monthly; reportkit handles annual, quarterly and "
            "monthly series (aggregate first, or pass freq= to map each date to its period)",
            path=source or None, column=column,
        )
    if len(months) < 2:
        raise DataError(
            f"column {column!r}: one date ({raw[0]!r}) cannot tell the frequency; pass "
            "freq='annual', 'quarterly' or 'monthly'",
            path=source or None, column=column,
        )
    steps = [b - a for a, b in zip(months, months[1:], strict=False)]
    step = math.gcd(*steps)
    if step == 1:
        return "monthly"
    if step == 3:
        return "quarterly"
    if step % 12 == 0:
        return "annual"
    raise DataError(
        f"column {column!r}: the dates are {step} months apart (or multiples of it), which is not "
        f"annual (12), quarterly (3) or monthly (1), so the frequency is ambiguous (e.g. "
        f"{raw[0]!r}, {raw[1] if len(raw) > 1 else ''!r}); pass freq='annual', 'quarterly' or "
        "'monthly'",
        path=source or None, column=column,
    )


# --------------------------------------------------------------------------- YTD differencing


def ytd_blocks(cumulative: pd.Series, *, through_year_end: bool = False) -> list[PeriodBlock]:
    """Per-period values from year-to-date cumulative values, gaps kept as blocks.

    ``cumulative``: float Series on a monthly or quarterly PeriodIndex (any order, may skip
    periods); NaN or an absent period means the cumulative value is unknown. Within each year,
    the value of the periods after one known cumulative value and up to the next is their
    difference (the first known value of a year is the total from its first period); values are
    never differenced across years. Returns consecutive :class:`PeriodBlock` records covering
    every period from the first period of the first year to the last period in the index (to the
    end of every year with ``through_year_end``). Periods after a year's last known cumulative
    value form an ``"unknown"`` block: NaN, never zero.
    """
    index = cumulative.index
    if not isinstance(index, pd.PeriodIndex):
        raise AnalysisError("ytd_blocks: expected a Series on a PeriodIndex")
    freq = _freq_of_index(index)
    if freq == "annual":
        raise AnalysisError("ytd_blocks: an annual series has no year-to-date cumulative values")
    per_year = SEASON_LENGTH[freq]
    pfreq = _pfreq(freq)
    known = cumulative.dropna()
    by_year: dict[int, dict[int, float]] = {}
    for period, value in known.items():
        by_year.setdefault(period.year, {})[_position_in_year(period)] = float(value)
    if len(index) == 0:
        return []
    first_year, last_year = int(index.min().year), int(index.max().year)
    last_pos = _position_in_year(index.max())

    def period_at(year: int, pos: int) -> pd.Period:
        if freq == "monthly":
            return pd.Period(year=year, month=pos, freq=pfreq)
        return pd.Period(year=year, quarter=pos, freq=pfreq)

    blocks: list[PeriodBlock] = []
    for year in range(first_year, last_year + 1):
        end_of_year = per_year if (through_year_end or year < last_year) else last_pos
        prev_pos, prev_value = 0, 0.0
        for pos in sorted(p for p in by_year.get(year, {}) if p <= end_of_year):
            value = by_year[year][pos]
            start = prev_pos + 1
            first_missing = 2 if (freq == "monthly" and start == 1) else start
            missing = tuple(period_at(year, m) for m in range(first_missing, pos))
            if start == pos:
                status = "period"
            elif freq == "monthly" and start == 1 and pos == 2:
                status = "jan_feb_combined"
            else:
                status = "block"
            blocks.append(PeriodBlock(period_at(year, start), period_at(year, pos), value - prev_value,
                                      value, status, missing))
            prev_pos, prev_value = pos, value
        if prev_pos < end_of_year:
            blocks.append(PeriodBlock(period_at(year, prev_pos + 1), period_at(year, end_of_year),
                                      float("nan"), float("nan"), "unknown", ()))
    return blocks


# --------------------------------------------------------------------------- the container


@dataclass(frozen=True, eq=False)
class TimeSeries:
    """One analyst series on a complete PeriodIndex, with its data-quality notes.

    ``values``: float Series on a sorted, unique, complete :class:`pandas.PeriodIndex` of the
    frequency (``Y-DEC``, ``Q-DEC`` or ``M``); NaN marks an unknown value (only where a policy
    allowed it or a derivation left it unknown, always with a note in ``quality``). ``kind`` is
    ``"level"`` (the value of each period) or ``"cumulative"`` (January-to-period year-to-date
    total). ``blocks`` is set on level series derived by :meth:`to_levels` and holds the
    multi-period totals (``jan_feb_combined``, ``block``) and ``unknown`` runs whose periods are
    NaN in ``values``. Build with :meth:`from_frame`, :meth:`from_ytd_frame` or :meth:`read`;
    the constructor checks the invariants. Methods return new objects; ``as_series`` returns a
    copy, so the stored values cannot be changed through it.
    """

    values: pd.Series
    freq: Freq
    kind: Kind = "level"
    name: str = ""
    unit: str = ""
    source: str = ""
    quality: tuple[QualityNote, ...] = ()
    blocks: tuple[PeriodBlock, ...] = field(default=())

    def __post_init__(self) -> None:
        check_choice("freq", self.freq, FREQS)
        check_choice("kind", self.kind, KINDS)
        values = self.values
        if not isinstance(values, pd.Series) or not isinstance(values.index, pd.PeriodIndex):
            raise AnalysisError("TimeSeries.values must be a pandas Series on a PeriodIndex")
        if _freq_of_index(values.index) != self.freq:
            raise AnalysisError(
                f"TimeSeries: the index frequency {values.index.freqstr!r} does not match freq={self.freq!r}"
            )
        if len(values) == 0:
            raise AnalysisError("TimeSeries: no periods")
        expected = pd.period_range(values.index[0], values.index[-1], freq=values.index.freq)
        if len(expected) != len(values) or not (expected == values.index).all():
            raise AnalysisError(
                "TimeSeries: the index must be sorted, unique and complete (every period from "
                "the first to the last)"
            )
        if self.kind == "cumulative" and self.freq == "annual":
            raise AnalysisError("TimeSeries: an annual series cannot be year-to-date cumulative")
        clean = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index.copy(),
                          name=self.name or values.name)
        object.__setattr__(self, "values", clean)
        object.__setattr__(self, "quality", tuple(self.quality))
        object.__setattr__(self, "blocks", tuple(self.blocks))

    # ------------------------------------------------------------------ properties

    @property
    def season_length(self) -> int:
        """Periods per year: 1 (annual), 4 (quarterly), 12 (monthly)."""
        return SEASON_LENGTH[self.freq]

    @property
    def start(self) -> pd.Period:
        return self.values.index[0]

    @property
    def end(self) -> pd.Period:
        return self.values.index[-1]

    @property
    def n_missing(self) -> int:
        """Number of periods whose value is unknown (NaN)."""
        return int(self.values.isna().sum())

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return (f"TimeSeries(name={self.name!r}, freq={self.freq!r}, kind={self.kind!r}, "
                f"{self.start}..{self.end}, n={len(self)}, missing={self.n_missing}, "
                f"notes={[q.code for q in self.quality]})")

    def as_series(self) -> pd.Series:
        """A copy of ``values``: float, on the PeriodIndex, named after the series."""
        return self.values.copy()

    def quality_messages(self, lang: str = "zh") -> list[str]:
        """The data-quality notes as sentences in ``lang``, for the report's data-quality note."""
        check_language(lang, source="lang", error=AnalysisError)
        return [note.text(lang) for note in self.quality]

    def blocks_table(self) -> pd.DataFrame:
        """The multi-period totals and unknown runs of a derived level series, one row each.

        Columns: ``period`` (label, e.g. ``2024-04..05``), ``start``, ``end`` (Periods),
        ``n_periods``, ``value`` (NaN for ``unknown``), ``ytd_value``, ``status``.
        """
        rows = [
            {"period": b.label, "start": b.start, "end": b.end, "n_periods": b.n_periods,
             "value": b.value, "ytd_value": b.ytd_value, "status": b.status}
            for b in self.blocks
        ]
        return pd.DataFrame(rows, columns=["period", "start", "end", "n_periods", "value",
                                           "ytd_value", "status"])

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        date: str,
        value: str,
        freq: Freq | None = None,
        kind: Kind = "level",
        name: str = "",
        unit: str = "",
        source: str = "",
        on_gap: OnGap = "error",
        on_unsorted: OnUnsorted = "error",
        on_negative: OnNegative = "error",
        row_names: Sequence[str] | None = None,
    ) -> TimeSeries:
        """Build a series from the ``date`` and ``value`` columns of ``df``.

        Dates: years (``2024``, ``"2024"``, ``"2024年"``), quarters (``"2024Q1"``,
        ``"2024-Q1"``, ``"Q1 2024"``, ``"2024年第1季度"``), months (``"2024-03"``,
        ``"2024/3"``, ``"2024M03"``, ``"202403"``, ``"2024年3月"``), full dates (ISO
        ``"1999-10-01"``, datetime values, anything :class:`pandas.Timestamp` parses), pandas
        Periods, and for ``kind="cumulative"`` NBS labels ``"2024-01..MM"``. A full date is
        mapped to the period containing it. ``freq`` (``"annual"``, ``"quarterly"``,
        ``"monthly"``) is inferred when not given: from the labels, or for full dates from
        their spacing in months (1 → monthly, 3 → quarterly, multiples of 12 → annual); mixed
        formats, a single date, dates finer than monthly or any other spacing are ambiguous and
        raise. Labels coarser than ``freq`` (a year with ``freq="monthly"``) raise.

        Checks, each a :class:`DataError` naming ``source``, the column and the first bad rows:
        empty frame or no values; missing or unparsable dates; non-numeric values; duplicate
        periods (always); dates out of order (``on_unsorted="sort"`` sorts and records a note);
        gaps, i.e. missing periods or empty values (``on_gap="keep"`` keeps them as NaN with a
        note); negative values, and for cumulative series a value falling within a year
        (``on_negative="keep"`` keeps them with a note). For a monthly cumulative series a
        missing January before a known February is the Jan–Feb convention, not a gap.

        Rows are named by the frame's index labels (``row 3``), or by ``row_names`` (one per row,
        e.g. the file's ``line 7``); :meth:`read` names CSV lines.
        """
        return cls._build(df, date=date, value=value, freq=freq, kind=kind, name=name, unit=unit,
                          source=source, on_gap=on_gap, on_unsorted=on_unsorted,
                          on_negative=on_negative, csv_lines=False, ytd_only=False, row_names=row_names)

    @classmethod
    def from_ytd_frame(
        cls,
        df: pd.DataFrame,
        *,
        period: str = "period",
        value: str,
        name: str = "",
        unit: str = "",
        source: str = "",
        on_gap: OnGap = "keep",
        on_unsorted: OnUnsorted = "error",
        on_negative: OnNegative = "error",
    ) -> TimeSeries:
        """A monthly cumulative series from NBS style periods ``YYYY-01..MM`` in column ``period``.

        ``2024-01..02`` is the January–February cumulative value NBS publishes as one figure;
        January itself is never published, so its absence is not a gap (a ``jan_feb_combined``
        note is recorded). Missing cumulative periods are common in NBS data, so ``on_gap``
        defaults to ``"keep"`` (NaN with a ``gap`` note). Otherwise as :meth:`from_frame` with
        ``kind="cumulative"`` and ``freq="monthly"``. Use :meth:`to_levels` for monthly values.
        """
        if source == "" and isinstance(df, pd.DataFrame):
            source = str(df.attrs.get("source_path", ""))
        return cls._build(df, date=period, value=value, freq="monthly", kind="cumulative",
                          name=name, unit=unit, source=source, on_gap=on_gap,
                          on_unsorted=on_unsorted, on_negative=on_negative, csv_lines=False,
                          ytd_only=True)

    @classmethod
    def read(
        cls,
        path: str | Path,
        *,
        date: str,
        value: str,
        freq: Freq | None = None,
        kind: Kind = "level",
        name: str = "",
        unit: str = "",
        source: str | None = None,
        on_gap: OnGap = "error",
        on_unsorted: OnUnsorted = "error",
        on_negative: OnNegative = "error",
        **read_kwargs: Any,
    ) -> TimeSeries:
        """Read a CSV/TSV/Parquet file with :func:`reportkit.data.io.load_data` and build the series.

        As :meth:`from_frame`; ``source`` defaults to the resolved path, and for CSV/TSV files
        bad rows are named by their line in the file (the header is line 1). NBS cumulative
        labels (``YYYY-01..MM``) are accepted with ``kind="cumulative"``. ``read_kwargs`` go to
        the pandas reader (e.g. ``encoding="gb18030"``).
        """
        resolved = resolve_data_path(path)
        frame = load_data(resolved, **read_kwargs)
        fmt = file_format(resolved, reader="table")
        csv_lines = fmt.kind == "text" and fmt.separator is not None and "skiprows" not in read_kwargs
        return cls._build(frame.reset_index(drop=True), date=date, value=value, freq=freq,
                          kind=kind, name=name, unit=unit,
                          source=str(resolved) if source is None else source, on_gap=on_gap,
                          on_unsorted=on_unsorted, on_negative=on_negative, csv_lines=csv_lines,
                          ytd_only=False)

    @classmethod
    def _build(cls, df: Any, *, date: str, value: str, freq: str | None, kind: str, name: str,
               unit: str, source: str, on_gap: str, on_unsorted: str, on_negative: str,
               csv_lines: bool, ytd_only: bool, row_names: Sequence[str] | None = None) -> TimeSeries:
        """read → check → convert → order → fill → notes: one small function per phase."""
        _check_options(freq=freq, kind=kind, on_gap=on_gap, on_unsorted=on_unsorted,
                       on_negative=on_negative)
        cols = _Columns(date=date, value=value, source=source)
        _check_frame(df, cols)
        rows = _rows_of(df.index, csv_lines=csv_lines) if row_names is None else [str(r) for r in row_names]
        if len(rows) != len(df):
            raise DataError(f"row_names has {len(rows)} names for {len(df)} rows", path=cols.where)
        raw_dates = list(df[date])
        parsed = _parse_dates(raw_dates, rows, cols, kind=kind, ytd_only=ytd_only)
        freq = _check_freq(parsed, rows, raw_dates, cols, freq=freq, kind=kind)
        periods = [p.start.to_period(_pfreq(freq)) for p in parsed]
        numbers = _read_values(df[value], rows, periods, cols)
        _refuse_duplicates(periods, rows, raw_dates, cols)
        obs, notes = _in_order(_Observed(rows, periods, numbers), cols, on_unsorted=on_unsorted)
        values, jan_feb = _fill(obs, kind=kind, freq=freq)
        notes += _gap_notes(values, obs, jan_feb, cols, kind=kind, freq=freq, on_gap=on_gap)
        if jan_feb:
            notes.append(_jan_feb_note(jan_feb))
        notes += _negative_notes(values, obs, cols, on_negative=on_negative)
        if kind == "cumulative":
            notes += _cumulative_fall_notes(values, obs, cols, on_negative=on_negative)
        return cls(values=values.rename(name or str(value)), freq=freq, kind=kind,  # type: ignore[arg-type]
                   name=name or str(value), unit=unit, source=source, quality=tuple(notes))

    # ------------------------------------------------------------------ derived series

    def to_levels(self) -> TimeSeries:
        """Per-period values of a cumulative (year-to-date) series; a level series is returned as is.

        Within each year, the value of period t is ``C(t) − C(t−1)`` and the first period's is
        its cumulative value; nothing is differenced across years. Where cumulative values are
        missing, the periods between the two nearest known ones are only known as a total:
        each is NaN in ``values`` and the total is a :class:`PeriodBlock` in ``blocks``
        (``jan_feb_combined`` for NBS's combined January–February figure, ``block`` otherwise);
        periods after a year's last known cumulative value are an ``unknown`` block. A missing
        value is never zero. Each block and unknown run gets a quality note; the notes of the
        cumulative series are kept.
        """
        if self.kind == "level":
            return self
        blocks = ytd_blocks(self.values)
        values = pd.Series(np.nan, index=self.values.index, dtype=float, name=self.name)
        kept: list[PeriodBlock] = []
        # the per-year Jan-Feb notes below replace the cumulative series' summary note
        notes = [note for note in self.quality if note.code != "jan_feb_combined"]
        unit_en = _UNIT_EN[self.freq]
        for block in blocks:
            if block.status == "period":
                values[block.start] = block.value
                continue
            kept.append(block)
            span = pd.period_range(block.start, block.end, freq=self.values.index.freq)
            labels = tuple(str(p) for p in span)
            if block.status == "unknown":
                notes.append(QualityNote(
                    "unknown",
                    Text(en=f"{block.label}: unknown ({block.n_periods} {unit_en}(s) after the last "
                            f"cumulative value of {block.start.year}); left empty, not zero.",
                         zh=f"{_span_zh(block.start, block.end)}：数值未知（{block.start.year}年最后一个"
                            "累计值之后），留空，不作为零。"),
                    labels,
                ))
            elif block.status == "jan_feb_combined":
                notes.append(QualityNote(
                    "jan_feb_combined",
                    Text(en=f"{block.label}: January and February known only together, "
                            f"{_amount_en(block.value, self.unit)} (the cumulative value); not split.",
                         zh=f"{_span_zh(block.start, block.end)}：1–2月仅有合计值 {_fmt(block.value)}"
                            f"{self.unit}（即累计值），不拆分。"),
                    labels,
                ))
            else:
                missing = ", ".join(_ytd_label(p) for p in block.missing)
                missing_zh = "、".join(_ytd_label_zh(p) for p in block.missing)
                base = block.start - 1
                base_en = f"C({_ytd_label(base)})" if base.year == block.start.year else "0"
                notes.append(QualityNote(
                    "block",
                    Text(en=f"{block.label}: the {block.n_periods} {unit_en}s are known only as a "
                            f"total, {_amount_en(block.value, self.unit)}"
                            + f" = C({_ytd_label(block.end)}) − {base_en}, because the cumulative "
                            f"value(s) {missing} are missing; each {unit_en} is unknown.",
                         zh=f"{_span_zh(block.start, block.end)}：缺少{missing_zh}，这{block.n_periods}"
                            f"{_UNIT_ZH[self.freq]}仅知合计值 {_fmt(block.value)}{self.unit}，"
                            "单期数值未知。"),
                    labels,
                ))
        return TimeSeries(values=values, freq=self.freq, kind="level", name=self.name,
                          unit=self.unit, source=self.source, quality=tuple(notes),
                          blocks=tuple(kept))

    def complete(self) -> TimeSeries:
        """The longest trailing run of known values (for forecasting), with a note if it cut anything.

        Trailing unknown periods are dropped, then the run of consecutive known values ending
        at the last known one is kept. Raises :class:`AnalysisError` for a cumulative series
        (call :meth:`to_levels` first) or when no value is known. Blocks outside the run are
        dropped (a block's periods are unknown, so none lies inside it).
        """
        if self.kind != "level":
            raise AnalysisError("complete(): a cumulative series cannot be cut (its periods depend "
                                "on the start of the year); call to_levels() first")
        known = self.values.notna().to_numpy()
        if not known.any():
            raise AnalysisError(f"complete(): {self.name or 'the series'} has no known values")
        last = int(np.flatnonzero(known)[-1])
        first = last
        while first > 0 and known[first - 1]:
            first -= 1
        if first == 0 and last == len(known) - 1:
            return self
        kept = self.values.iloc[first:last + 1]
        dropped_before = self.values.iloc[:first]
        dropped_after = self.values.iloc[last + 1:]
        unit_en, unit_zh = _UNIT_EN[self.freq], _UNIT_ZH[self.freq]
        parts_en, parts_zh = [], []
        if len(dropped_before):
            parts_en.append(f"{len(dropped_before)} earlier {unit_en}(s) ({dropped_before.index[0]} to "
                            f"{dropped_before.index[-1]}, {int(dropped_before.isna().sum())} of them "
                            "unknown)")
            parts_zh.append(f"此前{len(dropped_before)}{unit_zh}（{_period_zh(dropped_before.index[0])}至"
                            f"{_period_zh(dropped_before.index[-1])}，其中{int(dropped_before.isna().sum())}"
                            "期未知）")
        if len(dropped_after):
            parts_en.append(f"{len(dropped_after)} unknown {unit_en}(s) at the end "
                            f"({dropped_after.index[0]} to {dropped_after.index[-1]})")
            parts_zh.append(f"末尾{len(dropped_after)}{unit_zh}未知数值")
        note = QualityNote(
            "cut",
            Text(en=f"Kept the last {len(kept)} consecutive known {unit_en}s ({kept.index[0]} to "
                    f"{kept.index[-1]}) for modelling; dropped " + " and ".join(parts_en) + ".",
                 zh=f"建模仅使用最近连续已知的{len(kept)}{unit_zh}（{_period_zh(kept.index[0])}至"
                    f"{_period_zh(kept.index[-1])}），舍去" + "及".join(parts_zh) + "。"),
            tuple(str(p) for p in self.values.index[:first]) + tuple(str(p) for p in dropped_after.index),
        )
        blocks = tuple(b for b in self.blocks if b.start >= kept.index[0] and b.end <= kept.index[-1])
        return replace(self, values=kept.copy(), quality=self.quality + (note,), blocks=blocks)


# --------------------------------------------------------------------------- building a series


@dataclass(frozen=True)
class _Columns:
    """The two columns a series is built from, and its source as error messages name it."""

    date: str
    value: str
    source: str

    @property
    def where(self) -> str | None:
        return self.source or None


@dataclass(frozen=True)
class _Observed:
    """The rows that hold a value: each row's name for messages, its period and its value."""

    rows: list[str]
    periods: list[pd.Period]
    numbers: np.ndarray

    def row_of(self, period: pd.Period) -> str:
        return self.rows[self.periods.index(period)]


def _rows_of(index: pd.Index, *, csv_lines: bool) -> list[str]:
    if csv_lines:
        return [f"line {i + 2}" for i in range(len(index))]
    return [f"row {label}" for label in index]


def _check_options(*, freq: str | None, kind: str, on_gap: str, on_unsorted: str,
                   on_negative: str) -> None:
    if freq is not None:
        check_choice("freq", freq, FREQS)
    check_choice("kind", kind, KINDS)
    check_choice("on_gap", on_gap, get_args(OnGap))
    check_choice("on_unsorted", on_unsorted, get_args(OnUnsorted))
    check_choice("on_negative", on_negative, get_args(OnNegative))


def _check_frame(df: Any, cols: _Columns) -> None:
    """A DataFrame with both columns (two different ones) and at least one row."""
    date, value, where = cols.date, cols.value, cols.where
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; got {type(df).__name__}", path=where)
    for col in (date, value):
        if col not in df.columns:
            raise DataError(f"column {col!r} not found; available columns: {column_list(df.columns)}",
                            path=where, column=col)
    if date == value:
        raise DataError(f"the date and value columns are both {date!r}", path=where, column=date)
    if len(df) == 0:
        raise DataError(f"no rows: the series in column {value!r} is empty; expected at least "
                        "one dated value", path=where, column=value)


def _parse_dates(raw_dates: list[Any], rows: list[str], cols: _Columns, *, kind: str,
                 ytd_only: bool) -> list[PeriodLabel]:
    """Every date cell as a label; one DataError listing the missing and unreadable ones."""
    parsed: list[PeriodLabel] = []
    bad: list[str] = []
    for row, cell in zip(rows, raw_dates, strict=True):
        result = parse_period(cell)
        if isinstance(result, str):
            bad.append(f"{row} (empty)" if result == "missing" else f"{row} ({cell!r}: {result})")
            parsed.append(None)  # type: ignore[arg-type]
        else:
            if ytd_only and result.resolution != "ytd":
                bad.append(f"{row} ({cell!r}: expected a cumulative period like 2024-01..02)")
            elif result.resolution == "ytd" and kind != "cumulative":
                bad.append(f"{row} ({cell!r}: a January-to-month cumulative period; pass "
                           "kind='cumulative' or use TimeSeries.from_ytd_frame)")
            parsed.append(result)
    if bad:
        raise DataError(f"column {cols.date!r} has {len(bad)} missing or unreadable date(s): "
                        + show_list(bad), path=cols.where, column=cols.date)
    return parsed


def _check_freq(parsed: list[PeriodLabel], rows: list[str], raw_dates: list[Any], cols: _Columns,
                *, freq: str | None, kind: str) -> str:
    """``freq``, or the one the labels imply; refuse labels coarser than it."""
    if freq is None:
        freq = _infer_freq(parsed, rows, raw_dates, cols.date, cols.source)
    coarse = [f"{row} ({cell!r} is {KIND_WORD[p.resolution]})"
              for row, cell, p in zip(rows, raw_dates, parsed, strict=True)
              if p.resolution != "ytd" and RANK[p.resolution] < RANK[freq]]
    if coarse:
        raise DataError(f"column {cols.date!r}: label(s) coarser than freq={freq!r}: "
                        + show_list(coarse), path=cols.where, column=cols.date)
    if kind == "cumulative" and freq == "annual":
        raise DataError("an annual series cannot be year-to-date cumulative; use kind='level'",
                        path=cols.where, column=cols.value)
    return freq


def _read_values(series: pd.Series, rows: list[str], periods: list[pd.Period],
                 cols: _Columns) -> np.ndarray:
    """The value column as floats (NaN where empty); refuse booleans, text, infinities, all-empty."""
    value, where = cols.value, cols.where
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f"column {value!r} must be numeric; it holds booleans", path=where,
                        column=value)
    numbers = pd.to_numeric(series, errors="coerce")
    nonnum = numbers.isna() & series.notna()
    if nonnum.any():
        shown = [f"{rows[i]} ({series.iloc[i]!r})" for i in np.flatnonzero(nonnum.to_numpy())]
        hint = ""
        if any(isinstance(v, str) and re.fullmatch(r"-?[\d,]+(\.\d+)?", v.strip())
               for v in series[nonnum]):
            hint = "; remove thousands separators (e.g. pandas.read_csv(..., thousands=','))"
        raise DataError(f"column {value!r} has {len(shown)} non-numeric value(s): "
                        + show_list(shown) + hint, path=where, column=value)
    floats: np.ndarray = numbers.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(floats).any():
        shown = [f"{rows[i]} ({periods[i]})" for i in np.flatnonzero(np.isinf(floats))]
        raise DataError(f"column {value!r} has infinite value(s): " + show_list(shown),
                        path=where, column=value)
    if np.isnan(floats).all():
        raise DataError(f"column {value!r} has no values (all {len(floats)} cells are empty); "
                        "the series is empty", path=where, column=value)
    return floats


def _refuse_duplicates(periods: list[pd.Period], rows: list[str], raw_dates: list[Any],
                       cols: _Columns) -> None:
    """A period twice is always an error, naming its rows and labels."""
    seen: set[pd.Period] = set()
    for p in periods:
        if p in seen:
            dup_rows = [rows[j] for j, q in enumerate(periods) if q == p]
            n_dup = len(periods) - len(set(periods))
            raise DataError(
                f"column {cols.date!r}: period {p} appears more than once ({', '.join(dup_rows)}: "
                f"{', '.join(repr(raw_dates[j]) for j, q in enumerate(periods) if q == p)}); "
                f"{n_dup} duplicate row(s) in all; expected one row per period",
                path=cols.where, column=cols.date,
            )
        seen.add(p)


def _in_order(obs: _Observed, cols: _Columns, *, on_unsorted: str
              ) -> tuple[_Observed, list[QualityNote]]:
    """The rows oldest first: as they are, or sorted with a ``sorted`` note, or refused."""
    periods, rows = obs.periods, obs.rows
    out_of_order = [i for i in range(1, len(periods)) if periods[i] < periods[i - 1]]
    if not out_of_order:
        return obs, []
    i = out_of_order[0]
    pair = (f"{rows[i]} ({periods[i]}) comes after {rows[i - 1]} ({periods[i - 1]})")
    if on_unsorted == "error":
        raise DataError(
            f"column {cols.date!r}: dates out of order: {pair}"
            + (f"; {len(out_of_order)} row(s) are earlier than the row before them"
               if len(out_of_order) > 1 else "")
            + "; expected oldest first (pass on_unsorted='sort' to sort them and record a "
            "data-quality note)",
            path=cols.where, column=cols.date,
        )
    order = sorted(range(len(periods)), key=lambda j: periods[j])
    source = cols.source
    note = QualityNote(
        "sorted",
        Text(en=f"The rows of {source or 'the data'} were not in date order (first: {pair}); "
                "they were sorted by date.",
             zh=f"{source or '数据'}的行未按日期排序（首处：{periods[i]}排在{periods[i - 1]}之后），"
                "已按日期重新排序。"),
        tuple(str(periods[j]) for j in out_of_order),
    )
    return _Observed([rows[j] for j in order], [periods[j] for j in order],
                     obs.numbers[order]), [note]


def _fill(obs: _Observed, *, kind: str, freq: str) -> tuple[pd.Series, list[pd.Period]]:
    """The values on the complete index (NaN where unknown; a cumulative series from January or
    Q1 of its first year) and the Januaries only known together with February."""
    pfreq = _pfreq(freq)
    first = obs.periods[0]
    if kind == "cumulative":
        first = pd.Period(year=first.year, month=1, freq="M") if freq == "monthly" else \
            pd.Period(year=first.year, quarter=1, freq="Q")
    index = pd.period_range(first, obs.periods[-1], freq=pfreq)
    values = pd.Series(np.nan, index=index, dtype=float)
    values.loc[pd.PeriodIndex(obs.periods, freq=pfreq)] = obs.numbers
    jan_feb: list[pd.Period] = []
    if kind == "cumulative" and freq == "monthly":
        for p in index:
            if p.month == 1 and np.isnan(values[p]):
                feb = p + 1
                if feb in values.index and not np.isnan(values[feb]):
                    jan_feb.append(p)
    return values, jan_feb


def _gap_notes(values: pd.Series, obs: _Observed, jan_feb: list[pd.Period], cols: _Columns, *,
               kind: str, freq: str, on_gap: str) -> list[QualityNote]:
    """Missing periods and empty values: refused, or one ``gap`` note."""
    index, present = values.index, set(obs.periods)
    absent = [p for p in index if p not in present and p not in jan_feb]
    empty = [(obs.rows[k], p) for k, p in enumerate(obs.periods)
             if np.isnan(obs.numbers[k]) and p not in jan_feb]
    if not absent and not empty:
        return []
    if on_gap == "error":
        _refuse_gaps(absent, empty, obs, index, cols, freq=freq)
    gap_periods = sorted(set(absent) | {p for _, p in empty})
    what = _ytd_label if kind == "cumulative" else str
    what_zh = _ytd_label_zh if kind == "cumulative" else _period_zh
    labels = [what(p) for p in gap_periods]
    empty_set = {p for _, p in empty}
    en_detail = ("" if not empty_set else
                 f" ({len(empty_set)} of them a row with an empty value: "
                 + show_list([what(p) for p in sorted(empty_set)]) + ")")
    return [QualityNote(
        "gap",
        Text(en=f"{len(gap_periods)} {'cumulative ' if kind == 'cumulative' else ''}period(s) "
                f"have no value and are kept as unknown (not zero): "
                + show_list(labels, 12) + en_detail + ".",
             zh=f"{len(gap_periods)}个{'累计' if kind == 'cumulative' else ''}期间缺少数值，"
                f"按未知处理（不作为零）：" + "、".join(what_zh(p) for p in gap_periods[:12])
                + ("等" if len(gap_periods) > 12 else "") + "。"),
        tuple(str(p) for p in gap_periods),
    )]


def _refuse_gaps(absent: list[pd.Period], empty: list[tuple[str, pd.Period]], obs: _Observed,
                 index: pd.PeriodIndex, cols: _Columns, *, freq: str) -> None:
    """The gaps as a DataError: each missing run with its known neighbours, then empty values."""
    present = set(obs.periods)
    parts = []
    if absent:
        before_after = []
        for run_start, run_end in _runs(absent)[:MAX_SHOWN]:
            prev, nxt = run_start - 1, run_end + 1
            around = []
            if prev in present:
                around.append(f"after {obs.row_of(prev)} ({prev})")
            if nxt in present:
                around.append(f"before {obs.row_of(nxt)} ({nxt})")
            label = str(run_start) if run_start == run_end else f"{run_start}..{run_end}"
            before_after.append(f"{label} ({', '.join(around)})" if around else label)
        parts.append(f"column {cols.date!r} misses {len(absent)} period(s) between "
                     f"{index[0]} and {index[-1]}: " + show_list(before_after))
    if empty:
        parts.append(f"column {cols.value!r} is empty at "
                     + show_list([f"{r} ({p})" for r, p in empty]))
    raise DataError(
        f"gaps in the {freq} series: " + "; ".join(parts)
        + "; pass on_gap='keep' to keep them as unknown (NaN) with a data-quality note",
        path=cols.where, column=cols.date if absent else cols.value,
    )


def _jan_feb_note(jan_feb: list[pd.Period]) -> QualityNote:
    """January and February published as one cumulative figure (the NBS convention)."""
    return QualityNote(
        "jan_feb_combined",
        Text(en="January and February are published as one cumulative figure (NBS "
                "convention); January alone is unknown and the two months are kept "
                "together, not split: " + ", ".join(f"{p.year}-01..02" for p in jan_feb) + ".",
             zh="1月和2月合并发布（国家统计局惯例），1月单月数值未知，两个月合并计算、不拆分："
                + "、".join(f"{p.year}年1–2月" for p in jan_feb) + "。"),
        tuple(str(p) for j in jan_feb for p in (j, j + 1)),
    )


def _negative_notes(values: pd.Series, obs: _Observed, cols: _Columns, *,
                    on_negative: str) -> list[QualityNote]:
    """Negative values: refused, or one ``negative`` note."""
    negative = values[values < 0]
    if not len(negative):
        return []
    labels = [f"{obs.row_of(p)} ({p} = {_fmt(v)})" for p, v in negative.items()]
    if on_negative == "error":
        raise DataError(
            f"column {cols.value!r} has {len(negative)} negative value(s): " + show_list(labels)
            + "; expected values >= 0 (pass on_negative='keep' to keep them with a "
            "data-quality note)",
            path=cols.where, column=cols.value,
        )
    return [QualityNote(
        "negative",
        Text(en=f"{len(negative)} negative value(s) kept as given: "
                + show_list([f"{p} = {_fmt(v)}" for p, v in negative.items()], 12) + ".",
             zh=f"{len(negative)}个负值按原值保留：" + "、".join(
                 f"{_period_zh(p)} = {_fmt(v)}" for p, v in list(negative.items())[:12]) + "。"),
        tuple(str(p) for p in negative.index),
    )]


def _cumulative_fall_notes(values: pd.Series, obs: _Observed, cols: _Columns, *,
                           on_negative: str) -> list[QualityNote]:
    """A cumulative value falling within a year: refused, or one ``cumulative_decrease`` note."""
    falls = []
    known = values.dropna()
    for (p0, v0), (p1, v1) in zip(known.items(), list(known.items())[1:], strict=False):
        if p1.year == p0.year and v1 < v0:
            falls.append((p0, v0, p1, v1))
    if not falls:
        return []
    pairs = [f"{_ytd_label(p1)} = {_fmt(v1)} < {_ytd_label(p0)} = {_fmt(v0)}"
             for p0, v0, p1, v1 in falls]
    if on_negative == "error":
        shown = [f"{obs.row_of(f[2])} ({pair})" for f, pair in zip(falls, pairs, strict=True)]
        raise DataError(
            f"column {cols.value!r}: the cumulative value falls within a year (a "
            "year-to-date total cannot decrease, the period value would be negative): "
            + show_list(shown) + "; pass on_negative='keep' to keep it with a "
            "data-quality note",
            path=cols.where, column=cols.value,
        )
    return [QualityNote(
        "cumulative_decrease",
        Text(en="The cumulative value falls within a year, so the derived period value is "
                "negative: " + show_list(pairs, 12) + ".",
             zh="累计值在年内下降，推算的当期值为负："
                + "、".join(_ytd_label_zh(p1) for _, _, p1, _ in falls[:12]) + "。"),
        tuple(str(p1) for _, _, p1, _ in falls),
    )]


def _runs(periods: Iterable[pd.Period]) -> list[tuple[pd.Period, pd.Period]]:
    """Consecutive runs of sorted periods as (first, last) pairs."""
    runs: list[tuple[pd.Period, pd.Period]] = []
    for p in periods:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs
