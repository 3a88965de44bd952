"""Market trends on any series: growth both ways, compound growth, share, contribution, forecast target.

Every function takes a :class:`~reportkit.data.market.MarketSeries` (an analyst's file read by
:func:`reportkit.data.market.read_market_series`: annual, quarterly or monthly; levels,
year-to-date totals or growth rates; any unit) and returns a table or a frozen result; nothing
prints or plots. The NBS series are read through the same path (their caveats are in the metadata
file beside the data).

Growth is measured the ways the data allow, and labelled:

* ``yoy_from_levels_pct``: each period against the same period a year earlier, from the levels
  (``100 × (v_t / v_{t−s} − 1)``, ``s`` = 1, 4 or 12), NaN across an unknown period;
* ``yoy_published_pct``: the year-on-year rate the source publishes beside the levels (the
  ``growth`` role; NBS's comparable-basis rate), or the values themselves when the file gives
  growth only; ``gap_pp`` is published − from levels;
* ``pop_pct`` (quarterly, monthly): on the period before (for a seasonally adjusted series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.market import MarketSeries
from ..errors import AnalysisError

__all__ = [
    "growth_over",
    "growth_table",
    "CompoundGrowth",
    "compound_growth",
    "share_table",
    "contribution_table",
    "period_values",
    "ForecastTarget",
    "forecast_target",
]


def _check(ms: object, what: str) -> MarketSeries:
    if not isinstance(ms, MarketSeries):
        raise AnalysisError(f"{what}: expected a MarketSeries (reportkit.data.market.read_market_series); "
                            f"got {type(ms).__name__}")
    return ms


def growth_over(values: pd.Series, lag: int) -> pd.Series:
    """``100 × (v_t / v_{t−lag} − 1)`` on a complete PeriodIndex; NaN if either is unknown or the earlier ≤ 0."""
    previous = values.shift(lag)
    ok = values.notna() & previous.notna() & (previous > 0)
    return ((values / previous.where(previous > 0) - 1.0) * 100.0).where(ok)


def _window(frame: pd.DataFrame, periods: pd.PeriodIndex, first: str | int | None, last: str | int | None,
            what: str) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    years = periods.year
    if first is not None:
        keep &= _at_or_after(periods, years, first)
    if last is not None:
        keep &= _at_or_before(periods, years, last)
    out = frame[keep].reset_index(drop=True)
    if out.empty:
        raise AnalysisError(f"{what}: no periods between {first} and {last}; the data cover "
                            f"{periods[0]}–{periods[-1]}")
    return out


def _bound(periods: pd.PeriodIndex, value: str | int) -> pd.Period | int:
    text = str(value).strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    try:
        return pd.Period(text, freq=periods.freq)
    except (ValueError, TypeError) as exc:
        raise AnalysisError(f"period bound {value!r} is not a year or a period like {periods[-1]}") from exc


def _at_or_after(periods: pd.PeriodIndex, years: np.ndarray, first: str | int) -> np.ndarray:
    b = _bound(periods, first)
    return np.asarray(years >= b) if isinstance(b, int) else np.asarray(periods >= b)


def _at_or_before(periods: pd.PeriodIndex, years: np.ndarray, last: str | int) -> np.ndarray:
    b = _bound(periods, last)
    return np.asarray(years <= b) if isinstance(b, int) else np.asarray(periods <= b)


# --------------------------------------------------------------------------- growth


def growth_table(ms: MarketSeries, *, first: str | int | None = None, last: str | int | None = None,
                 flag_threshold_pp: float = 1.0) -> pd.DataFrame:
    """Level and growth by period, measured the ways the data allow.

    Columns: ``period`` (label: ``2024``, ``2024Q4``, ``2024-12``), ``level`` (NaN when the file
    gives growth only), ``yoy_published_pct``, ``yoy_from_levels_pct``, ``gap_pp``, ``flag``
    (``|gap_pp| > flag_threshold_pp``) and, for quarterly or monthly data, ``pop_pct``. Growth is
    computed on the whole series before ``first``/``last`` (a year, or a period label) cut the
    window, so the first period shown keeps its growth. Periods without a level and without a
    published rate are dropped.
    """
    ms = _check(ms, "growth_table")
    index = ms.periods
    level = ms.levels.as_series() if ms.levels is not None else pd.Series(np.nan, index=index)
    published = ms.growth.reindex(index) if ms.growth is not None else pd.Series(np.nan, index=index)
    frame = pd.DataFrame({
        "period": [str(p) for p in index],
        "level": level.to_numpy(dtype=float),
        "yoy_published_pct": published.to_numpy(dtype=float),
        "yoy_from_levels_pct": growth_over(level, ms.season_length).to_numpy(dtype=float),
    })
    frame["gap_pp"] = frame["yoy_published_pct"] - frame["yoy_from_levels_pct"]
    frame["flag"] = (frame["gap_pp"].abs() > flag_threshold_pp).fillna(False).astype(bool)
    if ms.season_length > 1:
        frame["pop_pct"] = growth_over(level, 1).to_numpy(dtype=float)
    known = frame["level"].notna() | frame["yoy_published_pct"].notna()
    periods = index[known.to_numpy()]
    frame = frame[known].reset_index(drop=True)
    out = _window(frame, periods, first, last, "growth_table")
    out.attrs["freq"] = ms.freq
    return out


# --------------------------------------------------------------------------- compound growth


@dataclass(frozen=True)
class CompoundGrowth:
    """Compound annual growth between two periods of the same season, from levels.

    ``rate_pct = ((end_value / start_value) ** (1 / years) − 1) × 100``; ``years`` is the
    distance in years (periods ÷ periods per year). ``chained_pct`` compounds the published
    year-on-year rates of the same season over the same years (``∏ (1 + g/100)``, as a yearly
    average), NaN when any is missing: with a restated base (NBS) it differs from ``rate_pct``.
    """

    start: str
    end: str
    start_value: float
    end_value: float
    years: float
    rate_pct: float
    chained_pct: float = float("nan")

    @property
    def start_year(self) -> int:
        return int(str(self.start)[:4])

    @property
    def end_year(self) -> int:
        return int(str(self.end)[:4])

    # the attribute names the market narrative reads (those of trends.CAGRResult)
    @property
    def cagr_pct(self) -> float:
        return self.rate_pct

    @property
    def cagr_official_chained_pct(self) -> float:
        return self.chained_pct


def compound_growth(ms: MarketSeries, start: str | int, end: str | int) -> CompoundGrowth:
    """Compound annual growth of the levels from ``start`` to ``end`` (years, or periods of one season).

    A bare year on quarterly or monthly data means the same season as the series' last period in
    that year (``2019`` → ``2019Q4`` when the data end in a Q4). Raises :class:`AnalysisError`
    when a level is missing or not positive, or the two periods are not a whole number of years apart.
    """
    ms = _check(ms, "compound_growth")
    levels = ms.level_series()
    periods = levels.index

    def at(value: str | int) -> pd.Period:
        b = _bound(periods, value)
        if isinstance(b, int):
            season = periods[-1] if ms.season_length > 1 else None
            if season is None:
                return pd.Period(str(b), freq=periods.freq)
            return season + (b - season.year) * ms.season_length
        return b

    p0, p1 = at(start), at(end)
    steps = (p1 - p0).n
    if steps <= 0 or steps % ms.season_length:
        raise AnalysisError(f"compound_growth: from {p0} to {p1} is not a whole number of years forward; "
                            f"expected two periods of the same season, the end after the start")
    for p in (p0, p1):
        if p not in levels.index or not math.isfinite(float(levels[p])):
            raise AnalysisError(f"compound_growth: no level for {p}; levels exist for "
                                f"{levels.dropna().index[0]}–{levels.dropna().index[-1]}")
    v0, v1 = float(levels[p0]), float(levels[p1])
    if v0 <= 0:
        raise AnalysisError(f"compound_growth: the {p0} level is {v0:g}; expected > 0")
    years = steps / ms.season_length
    rate = ((v1 / v0) ** (1.0 / years) - 1.0) * 100.0
    chained = float("nan")
    if ms.growth is not None:
        wanted = [p0 + k * ms.season_length for k in range(1, int(years) + 1)]
        rates = ms.growth.reindex(pd.PeriodIndex(wanted, freq=periods.freq)).astype(float)
        if rates.notna().all():
            chained = (float(np.prod(1.0 + rates.to_numpy() / 100.0)) ** (1.0 / years) - 1.0) * 100.0
    return CompoundGrowth(start=str(p0), end=str(p1), start_value=v0, end_value=v1, years=years,
                          rate_pct=rate, chained_pct=chained)


# --------------------------------------------------------------------------- share and contribution


def share_table(ms: MarketSeries, *, first: str | int | None = None, last: str | int | None = None) -> pd.DataFrame:
    """The series' share of a total, in %: as published and from the levels, where each exists.

    Columns: ``period``, ``share_published_pct`` (the ``share`` role), ``share_from_levels_pct``
    (100 × value ÷ total, when both levels are in the file), ``gap_pp``. Periods with neither are
    dropped. Raises :class:`AnalysisError` when the file has no ``share`` and no ``total`` role.
    """
    ms = _check(ms, "share_table")
    if ms.share is None and (ms.total is None or ms.levels is None):
        raise AnalysisError("share_table: the series has no share of a total: map a 'share' column (the "
                            "published share in %) or a 'total' column beside the value")
    index = ms.periods
    published = ms.share.reindex(index) if ms.share is not None else pd.Series(np.nan, index=index)
    if ms.total is not None and ms.levels is not None:
        from_levels = 100.0 * ms.levels.as_series().reindex(index) / ms.total.as_series().reindex(index)
    else:
        from_levels = pd.Series(np.nan, index=index)
    frame = pd.DataFrame({"period": [str(p) for p in index],
                          "share_published_pct": published.to_numpy(dtype=float),
                          "share_from_levels_pct": from_levels.to_numpy(dtype=float)})
    frame["gap_pp"] = frame["share_published_pct"] - frame["share_from_levels_pct"]
    known = (frame["share_published_pct"].notna() | frame["share_from_levels_pct"].notna()).to_numpy()
    return _window(frame[known].reset_index(drop=True), index[known], first, last, "share_table")


def contribution_table(ms: MarketSeries, *, first: str | int | None = None,
                       last: str | int | None = None) -> pd.DataFrame:
    """Percentage points of the total's year-on-year growth that came from the series and from the rest.

    For period t and ``s`` periods per year: ``part_pp = (P_t − P_{t−s}) / T_{t−s} × 100`` and
    ``other_pp = ((T_t − P_t) − (T_{t−s} − P_{t−s})) / T_{t−s} × 100``, so the two add up to the
    total's growth from levels, ``total_growth_pct``. Needs the ``value`` and ``total`` roles
    (levels of a part and of the whole it belongs to). Periods where a term is unknown are dropped.
    """
    ms = _check(ms, "contribution_table")
    if ms.total is None or ms.levels is None:
        raise AnalysisError("contribution_table: needs the levels of the series and of its total; map a "
                            "'total' column beside the 'value' column")
    index = ms.periods
    part = ms.levels.as_series().reindex(index)
    total = ms.total.as_series().reindex(index)
    s = ms.season_length
    base = total.shift(s)
    frame = pd.DataFrame({
        "period": [str(p) for p in index],
        "total_growth_pct": ((total / base - 1.0) * 100.0).to_numpy(dtype=float),
        "part_contribution_pp": ((part - part.shift(s)) / base * 100.0).to_numpy(dtype=float),
        "other_contribution_pp": (((total - part) - (total - part).shift(s)) / base * 100.0).to_numpy(dtype=float),
    })
    known = frame[["total_growth_pct", "part_contribution_pp", "other_contribution_pp"]].notna().all(axis=1).to_numpy()
    return _window(frame[known].reset_index(drop=True), index[known], first, last, "contribution_table")


# --------------------------------------------------------------------------- values of one year


def period_values(ms: MarketSeries, year: int) -> pd.DataFrame:
    """The values of the periods of one year, as the data give them.

    Columns ``period``, ``value``, ``status``: ``"period"`` (one period); for a series derived
    from year-to-date totals also ``"jan_feb_combined"`` and ``"block"`` (several periods known
    only as a total; never split). Unknown periods are left out, never shown as zero.
    """
    ms = _check(ms, "period_values")
    levels = ms.levels
    if levels is None:
        raise AnalysisError("period_values: the series has no levels (the file gives growth rates only)")
    values = levels.as_series()
    known = values[(values.index.year == year) & values.notna().to_numpy()]
    rows = [{"period": str(p), "value": float(v), "status": "period"} for p, v in known.items()]
    for b in levels.blocks:
        if b.status in ("jan_feb_combined", "block") and b.start.year == year:
            rows.append({"period": _block_label(b.start, b.end), "value": float(b.value), "status": b.status})
    out = pd.DataFrame(rows, columns=["period", "value", "status"])
    if out.empty:
        raise AnalysisError(f"period_values: no known value in {year}; the data cover "
                            f"{values.index[0]}–{values.index[-1]}")
    return out.sort_values("period").reset_index(drop=True)


def _block_label(start: pd.Period, end: pd.Period) -> str:
    if start.freqstr.startswith("M"):
        return f"{start.year}-{start.month:02d}..{end.month:02d}"
    return f"{start}..{end}"


# --------------------------------------------------------------------------- forecast target


@dataclass(frozen=True, eq=False)
class ForecastTarget:
    """What is forecast: annual levels (``series``, PeriodIndex of years), with the published annual
    growth rates for the ``"growth"`` model where the source gives them for every year (else
    ``None``), and ``aggregated`` = True when the levels are annual sums of a quarterly or monthly
    series over complete years."""

    series: pd.Series
    growth: pd.Series | None
    aggregated: bool


def forecast_target(ms: MarketSeries, *, last: str | int | None = None) -> ForecastTarget:
    """The annual levels a combined forecast is fitted to, up to ``last`` (a year).

    Annual data: the levels. Quarterly or monthly data: sums over the years whose every period is
    known (:meth:`MarketSeries.annual_totals`). Published growth is passed on only for annual
    levels with a rate for every year after the first. A file of growth rates only has no levels
    to forecast: :class:`AnalysisError`.
    """
    ms = _check(ms, "forecast_target")
    if ms.levels is None:
        raise AnalysisError("forecast_target: the file gives growth rates only, so there are no levels to forecast")
    annual = ms.annual_totals()
    if last is not None:
        annual = annual[annual.index.year <= int(str(last)[:4])]
    growth = None
    if ms.freq == "annual" and ms.growth is not None:
        g = ms.growth.reindex(annual.index)
        if g.iloc[1:].notna().all():
            growth = g
    return ForecastTarget(series=annual, growth=growth, aggregated=ms.freq != "annual")
