"""Market trends: growth both ways, CAGR, shares, contributions, monthly values, forecasts.

The NBS functions take the validated frames from :mod:`reportkit.data.nbs`; :func:`mom` and
:func:`yoy` take any :class:`~reportkit.data.timeseries.TimeSeries` (an analyst's own annual,
quarterly or monthly series). All return tables, Series or frozen results; nothing prints or
plots.

Two growth measures are kept side by side and never mixed up:

* **official** (``yoy_official_pct``): what NBS publishes, on a comparable basis (the
  prior-year base is restated to the current scope of platforms and firms);
* **from levels** (``yoy_from_levels_pct``): the naive ratio of consecutive published levels.

For 2024 online retail the first is +7.2 % and the second +0.6 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..data.nbs import SERIES, SeriesInfo
from ..data.timeseries import TimeSeries, ytd_blocks
from ..errors import AnalysisError
from .inputs import check_choice, check_columns
from .market import growth_over

__all__ = [
    "growth_table",
    "CAGRResult",
    "cagr",
    "share_table",
    "monthly_from_ytd",
    "mom",
    "yoy",
    "contribution_to_growth",
    "growth_caveat",
]


# --------------------------------------------------------------------------- helpers


def _series(series: str) -> SeriesInfo:
    check_choice("series", series, tuple(SERIES), as_list=True)
    return SERIES[series]


def _text(key: str, **values: Any) -> i18n.Text:
    """The catalogue's ``trends.<key>`` in every language, filled with ``values`` (a Text value
    contributes its entry in the same language)."""
    return i18n.message(f"trends.{key}").format(**values)


def _series_name(info: SeriesInfo) -> i18n.Text:
    """The NBS series' name in every language (its ``label_<lang>`` attributes)."""
    return i18n.Text({lang: getattr(info, f"label_{lang}") for lang in i18n.LANGUAGES
                      if isinstance(getattr(info, f"label_{lang}", None), str)})


def _by_language(prefix: str, text: i18n.Text) -> dict[str, Any]:
    """``{prefix_<lang>: text[lang]}`` for every language (the ``label_zh``/``label_en`` attributes)."""
    return {f"{prefix}_{lang}": text[lang] for lang in i18n.LANGUAGES}


def _need_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """The columns of a frame read by :mod:`reportkit.data.nbs` (the error names its file)."""
    check_columns(
        frame, *columns, frame=what, hint="expected the frame from reportkit.data.nbs",
        path=frame.attrs.get("source_path"),
    )


def _annual_levels(annual_df: pd.DataFrame, info: SeriesInfo) -> pd.DataFrame:
    """Year and level, sorted, rows without a level dropped."""
    _need_columns(annual_df, ["year", info.level_column], "the annual frame")
    out = annual_df[["year", info.level_column]].rename(columns={info.level_column: "level"})
    out = out.astype({"year": int, "level": float}).sort_values("year")
    return out.dropna(subset=["level"]).reset_index(drop=True)


def _pct_from_levels(years: pd.Series, levels: pd.Series) -> pd.Series:
    """Year-on-year % from levels; NaN where the previous year is not in the data."""
    pct = levels.pct_change() * 100.0
    consecutive = years.diff() == 1
    return pct.where(consecutive)


# --------------------------------------------------------------------------- growth


def growth_table(
    annual_df: pd.DataFrame,
    series: str = "online_retail",
    first_year: int | None = None,
    last_year: int | None = None,
    *,
    flag_threshold_pp: float = 1.0,
    tolerance_pp: float = 0.1,
) -> pd.DataFrame:
    """Annual level and growth measured both ways, with their gap.

    Columns: ``year``; ``level`` (亿元, 100 million yuan); ``yoy_official_pct`` (as published by
    NBS, comparable basis); ``yoy_from_levels_pct`` (recomputed here from consecutive published
    levels); ``gap_pp`` (official − from levels, percentage points); ``flag`` (True where
    ``|gap_pp| > flag_threshold_pp``); ``note`` (empty unless the recomputed from-levels growth
    differs from the published from-levels column by more than ``tolerance_pp``, in which case
    the recomputed value is kept and the note gives both).

    Growth is computed on the whole file before the ``first_year``/``last_year`` window is
    applied, so the first year shown still has its growth. Years without a level are dropped.
    Column labels are in ``.attrs["labels"]``.
    """
    info = _series(series)
    _need_columns(
        annual_df,
        ["year", info.level_column, info.yoy_official_column, info.yoy_from_levels_column],
        "the annual frame",
    )
    frame = annual_df[
        ["year", info.level_column, info.yoy_official_column, info.yoy_from_levels_column]
    ].rename(
        columns={
            info.level_column: "level",
            info.yoy_official_column: "yoy_official_pct",
            info.yoy_from_levels_column: "_published_from_levels",
        }
    )
    frame = frame.astype({"year": int}).sort_values("year")
    frame = frame.dropna(subset=["level"]).reset_index(drop=True)
    frame["yoy_from_levels_pct"] = _pct_from_levels(frame["year"], frame["level"])
    frame["gap_pp"] = frame["yoy_official_pct"] - frame["yoy_from_levels_pct"]
    frame["flag"] = (frame["gap_pp"].abs() > flag_threshold_pp).fillna(False).astype(bool)

    published = frame["_published_from_levels"]
    computed = frame["yoy_from_levels_pct"]
    differs = (computed - published).abs() > tolerance_pp
    one_missing = computed.isna() != published.isna()
    notes = []
    for is_diff, is_missing, pub, comp in zip(differs, one_missing, published, computed, strict=True):
        if is_diff:
            notes.append(
                f"published from-levels growth {pub:.1f} % differs from the recomputed "
                f"{comp:.2f} % by more than {tolerance_pp} pp; recomputed value kept"
            )
        elif is_missing and not np.isnan(comp):
            notes.append(
                f"no published from-levels growth; recomputed {comp:.2f} % from levels"
            )
        elif is_missing:
            notes.append(
                f"published from-levels growth {pub:.1f} % cannot be recomputed (previous "
                "year's level missing); left unknown"
            )
        else:
            notes.append("")
    frame["note"] = notes

    if first_year is not None:
        frame = frame[frame["year"] >= first_year]
    if last_year is not None:
        frame = frame[frame["year"] <= last_year]
    if frame.empty:
        raise AnalysisError(
            f"growth_table: no years with a {series} level between {first_year} and "
            f"{last_year}; the data cover {annual_df['year'].min()}–{annual_df['year'].max()}"
        )
    out = frame[
        ["year", "level", "yoy_official_pct", "yoy_from_levels_pct", "gap_pp", "flag", "note"]
    ].reset_index(drop=True)
    out.attrs["series"] = series
    out.attrs["labels"] = {
        "year": "Year",
        "level": f"{info.label}, {info.unit} ({info.unit_en})",
        "yoy_official_pct": "Growth, official (NBS, comparable basis), %",
        "yoy_from_levels_pct": "Growth from published levels (naive ratio), %",
        "gap_pp": "Official minus from-levels growth, pp",
        "flag": f"|gap| > {flag_threshold_pp} pp",
        "note": "Note",
    }
    return out


# --------------------------------------------------------------------------- CAGR


@dataclass(frozen=True)
class CAGRResult:
    """Compound annual growth rate between two years, from published levels.

    ``cagr_pct`` uses the published levels of ``start_year`` and ``end_year`` only, so it
    inherits the base-restatement issue: NBS's official growth rates are computed on a restated
    (comparable) prior-year base, and chaining them (``cagr_official_chained_pct``, given for
    comparison, NaN if a rate is missing) usually gives a different, higher figure.
    """

    series: str
    start_year: int
    end_year: int
    start_value: float
    end_value: float
    years: int
    cagr_pct: float
    cagr_official_chained_pct: float = float("nan")
    basis: str = "published levels (亿元); not the comparable basis of NBS official growth"

    def __str__(self) -> str:
        return (
            f"{self.series} CAGR {self.start_year}→{self.end_year}: {self.cagr_pct:.2f} % a year "
            f"from published levels {self.start_value:,.0f} → {self.end_value:,.0f} 亿元"
        )


def cagr(annual_df: pd.DataFrame, series: str, start_year: int, end_year: int) -> CAGRResult:
    """Compound annual growth rate of ``series`` from ``start_year`` to ``end_year`` (levels).

    ``cagr_pct = ((end_value / start_value) ** (1 / years) - 1) * 100`` with
    ``years = end_year - start_year``. See :class:`CAGRResult` for why this differs from
    chaining NBS's official growth rates.
    """
    info = _series(series)
    if end_year <= start_year:
        raise AnalysisError(
            f"cagr: end_year must be after start_year; got start_year={start_year}, "
            f"end_year={end_year}"
        )
    levels = _annual_levels(annual_df, info).set_index("year")["level"]
    for year in (start_year, end_year):
        if year not in levels.index:
            raise AnalysisError(
                f"cagr: no published {series} level for {year}; levels exist for "
                f"{levels.index.min()}–{levels.index.max()}"
            )
    start_value = float(levels[start_year])
    end_value = float(levels[end_year])
    if start_value <= 0:
        raise AnalysisError(f"cagr: the {start_year} level is {start_value}; expected > 0")
    years = end_year - start_year
    rate = ((end_value / start_value) ** (1.0 / years) - 1.0) * 100.0

    chained = float("nan")
    if info.yoy_official_column in annual_df.columns:
        official = annual_df.set_index("year")[info.yoy_official_column]
        wanted = range(start_year + 1, end_year + 1)
        if all(y in official.index for y in wanted):
            values = official.loc[list(wanted)].astype(float)
            if values.notna().all():
                chained = (float(np.prod(1.0 + values / 100.0)) ** (1.0 / years) - 1.0) * 100.0
    return CAGRResult(
        series=series,
        start_year=int(start_year),
        end_year=int(end_year),
        start_value=start_value,
        end_value=end_value,
        years=years,
        cagr_pct=rate,
        cagr_official_chained_pct=chained,
    )


# --------------------------------------------------------------------------- shares


def share_table(
    annual_df: pd.DataFrame,
    numerator: str = "physical_online",
    denominator: str = "scgr",
) -> pd.DataFrame:
    """Share of ``numerator`` in ``denominator``, in %, published and computed from levels.

    Columns: ``year``, ``numerator_level``, ``denominator_level`` (亿元), ``share_published_pct``
    (the NBS published share where one exists: physical online goods in total retail sales,
    ``physical_share_of_scgr_pct``; NaN for other pairs), ``share_from_levels_pct`` (100 ×
    numerator / denominator), ``gap_pp`` (published − from levels). Years where either level
    is missing are dropped. Labels in ``.attrs["labels"]``.

    Note that NBS's published share and growth rates are on its own basis; the online total
    includes services, so only physical goods are a true part of retail sales of consumer goods.
    """
    num = _series(numerator)
    den = _series(denominator)
    if numerator == denominator:
        raise AnalysisError(f"share_table: numerator and denominator are both {numerator!r}")
    _need_columns(annual_df, ["year", num.level_column, den.level_column], "the annual frame")
    frame = pd.DataFrame(
        {
            "year": annual_df["year"].astype(int),
            "numerator_level": annual_df[num.level_column].astype(float),
            "denominator_level": annual_df[den.level_column].astype(float),
        }
    )
    published_col = num.share_of_scgr_column if denominator == "scgr" else None
    if published_col and published_col in annual_df.columns:
        frame["share_published_pct"] = annual_df[published_col].astype(float)
    else:
        frame["share_published_pct"] = np.nan
    frame = frame.dropna(subset=["numerator_level", "denominator_level"])
    frame = frame.sort_values("year").reset_index(drop=True)
    frame["share_from_levels_pct"] = 100.0 * frame["numerator_level"] / frame["denominator_level"]
    frame["gap_pp"] = frame["share_published_pct"] - frame["share_from_levels_pct"]
    frame.attrs["numerator"] = numerator
    frame.attrs["denominator"] = denominator
    frame.attrs["labels"] = {
        "year": "Year",
        "numerator_level": f"{num.label}, {num.unit}",
        "denominator_level": f"{den.label}, {den.unit}",
        "share_published_pct": "Share as published by NBS, %",
        "share_from_levels_pct": "Share computed from published levels, %",
        "gap_pp": "Published minus computed share, pp",
    }
    return frame


# --------------------------------------------------------------------------- monthly


def _label(year: int, start: int, end: int) -> str:
    return f"{year}-{start:02d}" if start == end else f"{year}-{start:02d}..{end:02d}"


def monthly_from_ytd(monthly_df: pd.DataFrame, series: str = "online_retail") -> pd.DataFrame:
    """Monthly values derived from January-to-month cumulative values, gaps kept visible.

    Within each year, the value of the period after one cumulative figure and up to the next is
    their difference. One row per period, covering every month of every year in the data:

    * ``status="jan_feb_combined"``: the January–February value NBS publishes as one figure
      (label ``2024-01..02``), equal to the cumulative value; it is not split.
    * ``status="month"``: one month, ``C(01..m) − C(01..m−1)``.
    * ``status="block"``: cumulative periods are missing, so several months are only known as
      a total; reported as one block (e.g. ``2022-05..09`` = ``C(01..09) − C(01..04)``). The
      individual months are unknown and are not shown or invented.
    * ``status="unknown"``: months after the last cumulative value of a year (or a year with
      none); ``value`` is NaN. A missing value is never reported as zero.

    Columns: ``year``, ``period``, ``start_month``, ``end_month``, ``n_months``, ``value``
    (亿元), ``ytd_value`` (the cumulative value at ``end_month``, NaN if unknown), ``status``,
    ``note``. The differencing is :func:`reportkit.data.timeseries.ytd_blocks`, the same that
    :meth:`TimeSeries.to_levels <reportkit.data.timeseries.TimeSeries.to_levels>` uses.
    """
    info = _series(series)
    if "year" not in monthly_df.columns or "end_month" not in monthly_df.columns:
        from ..data.periods import parse_ytd_period

        _need_columns(monthly_df, ["period"], "the monthly frame")
        parsed = [parse_ytd_period(p) for p in monthly_df["period"]]
        monthly_df = monthly_df.assign(
            year=[p[0] for p in parsed], end_month=[p[1] for p in parsed]
        )
    _need_columns(monthly_df, ["year", "end_month", info.ytd_level_column], "the monthly frame")

    years = sorted(int(y) for y in monthly_df["year"].unique())
    published = {
        (int(y), int(m)) for y, m in zip(monthly_df["year"], monthly_df["end_month"], strict=True)
    }
    cumulative = pd.Series(
        monthly_df[info.ytd_level_column].astype(float).to_numpy(),
        index=pd.PeriodIndex(
            [pd.Period(year=int(y), month=int(m), freq="M")
             for y, m in zip(monthly_df["year"], monthly_df["end_month"], strict=True)],
            freq="M",
        ),
    ).sort_index()
    blocks = ytd_blocks(cumulative, through_year_end=True) if len(cumulative) else []

    rows: list[dict] = []
    for block in blocks:
        year = int(block.start.year)
        if year not in years:
            continue
        start, end = int(block.start.month), int(block.end.month)
        n_months = end - start + 1
        if block.status == "period":
            status, note = "month", ""
        elif block.status == "jan_feb_combined":
            status, note = "jan_feb_combined", "January and February published combined"
        elif block.status == "block":
            status = "block"
            missing = [
                _label(year, 1, p.month)
                + ("" if (year, p.month) not in published else f" ({series} empty)")
                for p in block.missing
            ]
            base = f"C({_label(year, 1, start - 1)})" if start > 1 else "0"
            note = (
                f"cumulative period(s) {', '.join(missing)} missing; the {n_months} months "
                f"are known only as a total, C({_label(year, 1, end)}) − {base}; "
                "individual months unknown"
            )
        else:
            status = "unknown"
            after = f"after {_label(year, 1, start - 1)}" if start > 1 else "for this year"
            note = f"no {series} cumulative value {after} in the data; unknown, not zero"
        rows.append(
            {
                "year": year,
                "period": _label(year, start, end),
                "start_month": start,
                "end_month": end,
                "n_months": n_months,
                "value": float(block.value),
                "ytd_value": float(block.ytd_value),
                "status": status,
                "note": note,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "year", "period", "start_month", "end_month", "n_months",
            "value", "ytd_value", "status", "note",
        ],
    )
    out = out.astype({"year": int, "start_month": int, "end_month": int, "n_months": int,
                      "value": float, "ytd_value": float})
    out.attrs["series"] = series
    out.attrs["labels"] = {
        "period": "Period (YYYY-MM, or YYYY-MM..MM for a multi-month value)",
        "value": f"{info.label}, {info.unit} ({info.unit_en}), value of the period",
        "ytd_value": f"{info.label}, January-to-month cumulative, {info.unit}",
        "status": "How the value was derived",
    }
    return out


# --------------------------------------------------------------------------- period growth

_POP_NAMES = {"monthly": "mom_pct", "quarterly": "qoq_pct", "annual": "yoy_pct"}
#: catalogue keys (group ``trends``) of the period-on-period growth labels, by frequency
_POP_LABELS = {"monthly": "growth_mom_monthly", "quarterly": "growth_mom_quarterly",
               "annual": "growth_yoy_from_levels"}


def _level_series(ts: TimeSeries, what: str) -> pd.Series:
    if not isinstance(ts, TimeSeries):
        raise AnalysisError(
            f"{what}: expected a reportkit TimeSeries (TimeSeries.from_frame / read); "
            f"got {type(ts).__name__}"
        )
    if ts.kind != "level":
        raise AnalysisError(
            f"{what}: {ts.name or 'the series'} is cumulative (year-to-date); growth of "
            "cumulative totals is not period growth. Call ts.to_levels() first"
        )
    return ts.as_series()


def mom(ts: TimeSeries) -> pd.Series:
    """Period-on-period growth in % of a level series: month-on-month, quarter-on-quarter, annual.

    ``100 × (v_t / v_{t−1} − 1)`` on the series' complete PeriodIndex, so a period whose
    previous period is unknown (a gap, a month inside a multi-month block from
    :meth:`TimeSeries.to_levels`) gets NaN: growth is never computed across a missing period.
    NaN also where the previous value is zero or negative (the ratio has no meaning). For a
    monthly or quarterly series that is not seasonally adjusted this mostly measures the
    season; compare with :func:`yoy`. Returns a float Series on the PeriodIndex named
    ``mom_pct`` / ``qoq_pct`` / ``yoy_pct`` with ``attrs["label_zh"]``/``["label_en"]``.
    Raises :class:`AnalysisError` for a cumulative series (call ``to_levels()`` first).
    """
    values = _level_series(ts, "mom")
    out = growth_over(values, 1).rename(_POP_NAMES[ts.freq])
    out.attrs.update(_by_language("label", _text(_POP_LABELS[ts.freq])))
    out.attrs["series"] = ts.name
    return out


def yoy(ts: TimeSeries) -> pd.Series:
    """Year-on-year growth in % from levels: each period against the same period a year earlier.

    ``100 × (v_t / v_{t−s} − 1)`` with ``s = ts.season_length`` (12, 4 or 1); NaN where either
    value is unknown or the earlier one is ≤ 0. This is growth *from levels*; NBS's official
    growth is on a comparable basis and differs (see :func:`growth_table`). Returns a float
    Series named ``yoy_pct`` with bilingual labels in ``attrs``.
    """
    values = _level_series(ts, "yoy")
    out = growth_over(values, ts.season_length).rename("yoy_pct")
    out.attrs.update(_by_language("label", _text("growth_yoy_from_levels")))
    out.attrs["series"] = ts.name
    return out


# --------------------------------------------------------------------------- contribution

# (part, whole) pairs where the part is a component of the whole in the NBS definitions
_COMPONENT_OF = frozenset({("physical_online", "scgr"), ("physical_online", "online_retail")})


def contribution_to_growth(
    annual_df: pd.DataFrame,
    parts: tuple[str, ...] | list[str] = ("physical_online",),
    total: str = "scgr",
    first_year: int | None = None,
    last_year: int | None = None,
) -> pd.DataFrame:
    """Contribution of each part's growth to the growth of ``total``, in percentage points, from levels.

    For year t: ``contribution_p = (P_t − P_{t−1}) / T_{t−1} × 100`` for each part P, and the
    remainder ``other = ((T_t − ΣP_t) − (T_{t−1} − ΣP_{t−1})) / T_{t−1} × 100``, so the
    contributions add up exactly to the total's growth from published levels,
    ``(T_t / T_{t−1} − 1) × 100`` (not to NBS's official growth, which uses a restated base).

    Meaningful for the NBS data: online sales of *physical goods* (``physical_online``) are a
    component of total retail sales of consumer goods (``scgr``), so the default gives the
    percentage points of scgr growth that came from physical goods sold online, and ``other``
    is the rest of scgr (offline sales, plus catering and other goods not sold online).
    Online retail (``online_retail``) includes services, which are not in scgr: with
    ``parts=("online_retail",)`` the identity still holds, but ``other`` is not "offline"
    (``attrs["caveat"]`` says so). Parts must differ from ``total`` and may not contain one
    another.

    Columns: ``year``; ``total_level`` (亿元); ``total_growth_pct`` (from levels); for each part
    ``<part>_level`` and ``<part>_contribution_pp``; ``other_level``;
    ``other_contribution_pp``; ``note`` (why a contribution is unknown, e.g. a part not
    published for t−1). A year's values are NaN where the previous year is missing. Labels in
    ``attrs["labels"]`` (English) and ``attrs["labels_zh"]``.
    """
    if isinstance(parts, str):
        parts = (parts,)
    parts = tuple(parts)
    if not parts:
        raise AnalysisError("contribution_to_growth: parts is empty; expected e.g. ('physical_online',)")
    total_info = _series(total)
    part_infos = [_series(p) for p in parts]
    if len(set(parts)) != len(parts):
        raise AnalysisError(f"contribution_to_growth: parts repeat a series: {list(parts)}")
    if total in parts:
        raise AnalysisError(f"contribution_to_growth: {total!r} is both a part and the total")
    for a in parts:
        for b in parts:
            if (a, b) in _COMPONENT_OF:
                raise AnalysisError(
                    f"contribution_to_growth: {a!r} is part of {b!r}, so they cannot both be "
                    "parts (their contributions would double-count)"
                )
    _need_columns(annual_df, ["year", total_info.level_column,
                              *[i.level_column for i in part_infos]], "the annual frame")
    frame = pd.DataFrame({"year": annual_df["year"].astype(int),
                          "total_level": annual_df[total_info.level_column].astype(float)})
    for p, info in zip(parts, part_infos, strict=True):
        frame[f"{p}_level"] = annual_df[info.level_column].astype(float).to_numpy()
    frame = frame.dropna(subset=["total_level"]).sort_values("year").reset_index(drop=True)
    part_cols = [f"{p}_level" for p in parts]
    frame["other_level"] = frame["total_level"] - frame[part_cols].sum(axis=1, min_count=len(parts))
    previous = frame.shift(1)
    consecutive = frame["year"].diff() == 1
    base = previous["total_level"].where(consecutive)
    frame["total_growth_pct"] = (frame["total_level"] / base - 1.0) * 100.0
    for p in parts:
        frame[f"{p}_contribution_pp"] = (frame[f"{p}_level"] - previous[f"{p}_level"]) / base * 100.0
    frame["other_contribution_pp"] = (frame["other_level"] - previous["other_level"]) / base * 100.0

    notes = []
    for i, row in frame.iterrows():
        if not consecutive.iloc[i]:
            notes.append(f"no {total} level for {int(row['year']) - 1}; growth unknown")
            continue
        unknown = [
            p for p in parts
            if np.isnan(row[f"{p}_level"]) or np.isnan(previous.at[i, f"{p}_level"])
        ]
        notes.append(
            "" if not unknown else
            f"{', '.join(unknown)} level not published for {int(row['year']) - 1} or "
            f"{int(row['year'])}; contributions unknown"
        )
    frame["note"] = notes
    if first_year is not None:
        frame = frame[frame["year"] >= first_year]
    if last_year is not None:
        frame = frame[frame["year"] <= last_year]
    if frame.empty:
        raise AnalysisError(
            f"contribution_to_growth: no years with a {total} level between {first_year} and "
            f"{last_year}"
        )
    columns = ["year", "total_level", "total_growth_pct"]
    for p in parts:
        columns += [f"{p}_level", f"{p}_contribution_pp"]
    columns += ["other_level", "other_contribution_pp", "note"]
    out = frame[columns].reset_index(drop=True)

    components = all((p, total) in _COMPONENT_OF for p in parts)
    total_name = _series_name(total_info)
    part_names = [_series_name(SERIES[p]) for p in parts]
    sep = i18n.message("trends.contribution_parts_sep")
    names = {"total": total_name, "parts": i18n.Text.join(sep, part_names),
             "parts_lower": i18n.Text.join(sep, [n.lower() for n in part_names])}
    if components:
        other = _text("contribution_other_component", **names)
        caveat = ""
    else:
        other = _text("contribution_other_remainder", **names)
        caveat = (
            f"{', '.join(p for p in parts if (p, total) not in _COMPONENT_OF)} is not a "
            f"component of {total} (online retail includes services, which total retail sales of "
            "consumer goods exclude), so 'other' is the arithmetic remainder, not offline sales"
        )
    unit = i18n.unit_name(total_info.unit)  # in the reader's words (100 mn yuan)
    texts = {
        "year": _text("contribution_year"),
        "total_level": _text("contribution_total_level", total=total_name, total_label=total_info.label, unit=unit),
        "total_growth_pct": _text("contribution_total_growth", total=total_name),
        "other_level": _text("contribution_other_level", other=other, unit=unit),
        "other_contribution_pp": _text("contribution_other_pp", other=other,
                                       other_lower=other.map(lambda t: t[:1].lower() + t[1:])),
        "note": _text("contribution_note"),
    }
    for p, name in zip(parts, part_names, strict=True):
        info = SERIES[p]
        texts[f"{p}_level"] = _text("contribution_part_level", part=name, part_label=info.label,
                                         unit=i18n.unit_name(info.unit))
        texts[f"{p}_contribution_pp"] = _text("contribution_part_pp", part=name, part_lower=name.lower(),
                                              total=total_name, total_lower=total_name.lower())
    order = ["year", "total_level", "total_growth_pct", "other_level", "other_contribution_pp", "note"]
    order += [k for k in texts if k not in order]
    # ``labels`` is the English table (the attribute predates the others), ``labels_<lang>`` each
    # other language's (a language needs the series' names, SeriesInfo.label_<lang>)
    by_lang = {lang: {k: texts[k][lang] for k in order} for lang in i18n.LANGUAGES}
    labels = by_lang.pop("en")
    out.attrs.update({
        "parts": parts, "total": total, "labels": labels,
        **{f"labels_{lang}": table for lang, table in by_lang.items()},
        "caveat": caveat,
        "basis": "published levels (亿元); contributions add up to growth from levels, not to "
                 "NBS official (comparable-basis) growth",
    })
    return out


# --------------------------------------------------------------------------- growth caveat


def _pct(value: float, lang: str) -> str:
    return i18n.message("trends.pct")[lang].format(value=value)


def growth_caveat(
    growth_table_frame: pd.DataFrame,
    *,
    threshold_pp: float = 1.0,
    series_label: str | None = None,
    lang: str = i18n.DEFAULT_LANGUAGE,
) -> str:
    """The caveat for the report wherever official and from-levels growth differ by more than ``threshold_pp``.

    ``growth_table_frame`` is a frame from :func:`growth_table` (columns ``year``,
    ``yoy_official_pct``, ``yoy_from_levels_pct``). Every year where
    ``|official − from levels| > threshold_pp`` is listed with both rates (one decimal) and
    their gap in percentage points, followed once by the reason: NBS computes official growth
    on a comparable basis, restating the prior-year base to the current scope of reporting
    platforms and firms (for total retail sales also to economic-census revisions), so it is not
    the ratio of the two published levels. ``series_label`` defaults to the NBS label of ``attrs["series"]`` in ``lang``.
    Returns ``""`` when no year exceeds the threshold (years with a rate missing are skipped).
    """
    lang = i18n.check_language(lang, source="lang", error=AnalysisError)
    if isinstance(threshold_pp, bool) or not isinstance(threshold_pp, (int, float)) or threshold_pp < 0:
        raise AnalysisError(f"growth_caveat: threshold_pp must be a number >= 0; got {threshold_pp!r}")
    _need_columns(growth_table_frame, ["year", "yoy_official_pct", "yoy_from_levels_pct"],
                  "the growth table")
    key = growth_table_frame.attrs.get("series")
    say = i18n.catalogue("trends", lang)
    census = say["caveat_census"] if key == "scgr" else ""
    if series_label is None:
        series_label = _series_name(SERIES[key])[lang] if key in SERIES else say["the_series"]
    frame = growth_table_frame.sort_values("year")
    gap = frame["yoy_official_pct"].astype(float) - frame["yoy_from_levels_pct"].astype(float)
    hits = frame[gap.abs() > threshold_pp]
    if hits.empty:
        return ""
    items = []
    for _, row in hits.iterrows():
        year = int(row["year"])
        off, lev = float(row["yoy_official_pct"]), float(row["yoy_from_levels_pct"])
        diff = off - lev
        items.append(say["caveat_year"].format(year=year, official=_pct(off, lang), levels=_pct(lev, lang), gap=diff))
    return say["caveat"].format(series=series_label, threshold=threshold_pp, items=say["caveat_sep"].join(items),
                                census=census)
