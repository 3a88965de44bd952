"""Seasonal decomposition (STL) of one series, and the Chinese retail calendar.

* :func:`decompose`: statsmodels STL (robust LOESS by default) on a quarterly or monthly
  :class:`~reportkit.data.timeseries.TimeSeries` with at least two full years of consecutive
  known values. When that is not the case (annual data, unknown periods, too short, values
  ≤ 0 with ``log=True``) the result says so in ``reason`` (a Text, in every language) with
  ``available=False`` instead of raising, so a report can print why.
* :func:`calendar_events` and :func:`calendar_regressors`: the moving Spring Festival (春节,
  Chinese New Year) and the fixed 618 (June) and Double 11 (双11, November) promotion periods,
  as annotations or 0/1 regressors.
* :func:`decomposition_plot`: observed, trend, seasonal and remainder panels with the events
  as light bands, in the style of :mod:`reportkit.analysis.plots` (call
  :func:`~reportkit.analysis.plots.use_theme` first, as for every figure).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..data.timeseries import SEASON_LENGTH, TimeSeries
from ..errors import AnalysisError

__all__ = [
    "SPRING_FESTIVAL",
    "EVENTS",
    "Decomposition",
    "decompose",
    "calendar_events",
    "calendar_regressors",
    "decomposition_plot",
]

# First day of the Chinese lunar new year (正月初一, Spring Festival) in the Gregorian calendar,
# 2010-2035. Public calendar facts, typed in: the Chinese calendar as defined by the national
# standard GB/T 33661-2017 《农历的编算和颁行》 and published by the Purple Mountain Observatory
# of the Chinese Academy of Sciences (中国科学院紫金山天文台); for past years they are also the
# dates of the State Council's annual public-holiday notices (国务院办公厅关于部分节假日安排的通知).
SPRING_FESTIVAL: Mapping[int, _dt.date] = MappingProxyType({
    2010: _dt.date(2010, 2, 14),
    2011: _dt.date(2011, 2, 3),
    2012: _dt.date(2012, 1, 23),
    2013: _dt.date(2013, 2, 10),
    2014: _dt.date(2014, 1, 31),
    2015: _dt.date(2015, 2, 19),
    2016: _dt.date(2016, 2, 8),
    2017: _dt.date(2017, 1, 28),
    2018: _dt.date(2018, 2, 16),
    2019: _dt.date(2019, 2, 5),
    2020: _dt.date(2020, 1, 25),
    2021: _dt.date(2021, 2, 12),
    2022: _dt.date(2022, 2, 1),
    2023: _dt.date(2023, 1, 22),
    2024: _dt.date(2024, 2, 10),
    2025: _dt.date(2025, 1, 29),
    2026: _dt.date(2026, 2, 17),
    2027: _dt.date(2027, 2, 6),
    2028: _dt.date(2028, 1, 26),
    2029: _dt.date(2029, 2, 13),
    2030: _dt.date(2030, 2, 3),
    2031: _dt.date(2031, 1, 23),
    2032: _dt.date(2032, 2, 11),
    2033: _dt.date(2033, 1, 31),
    2034: _dt.date(2034, 2, 19),
    2035: _dt.date(2035, 2, 8),
})

# event key -> its label (the catalogue's ``decompose.event_<key>``). 618 and Double 11 are fixed-date promotions: the sale around
# JD.com's anniversary on 18 June, and the Singles' Day sale on 11 November (Taobao/Tmall since
# 2009). Their pre-sales now start weeks earlier (late May, late October), so part of the effect
# falls in the month before; the annotation marks the month of the day itself.
EVENTS: Mapping[str, i18n.Text] = MappingProxyType({
    key: i18n.message(f"decompose.event_{key}") for key in ("spring_festival", "m618", "double11")
})
_EVENT_MONTH = {"m618": 6, "double11": 11}
_EVENT_DAY = {"m618": 18, "double11": 11}
_EVENT_COLOURS = {"spring_festival": "#c0504d", "m618": "#e3a21a", "double11": "#8064a2"}
_EVENT_COLUMNS = ["period", "event", *(f"label_{lang}" for lang in i18n.LANGUAGES)]


def _text(key: str, **values: Any) -> i18n.Text:
    """The catalogue's ``decompose.<key>`` in every language, filled with ``values`` (a Text value
    contributes its entry in the same language)."""
    return i18n.message(f"decompose.{key}").format(**values)


def _check_lang(lang: Any) -> str:
    return i18n.check_language(lang, source="lang", error=AnalysisError)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class Decomposition:
    """An STL decomposition of one series, or the reason why there is none.

    When ``available``: ``periods`` and the component tuples ``observed``, ``trend``,
    ``seasonal``, ``resid`` (on the log scale when ``log``; ``observed = trend + seasonal +
    resid`` exactly) and the strengths of Hyndman & Athanasopoulos (*Forecasting: Principles
    and Practice*, 3rd ed., §4.2)::

        seasonal_strength = max(0, 1 − Var(R) / Var(S + R))
        trend_strength    = max(0, 1 − Var(R) / Var(T + R))

    (0: none, near 1: strong). :attr:`frame` builds the components as a DataFrame on access.
    When not ``available``: ``reason`` (an :class:`~reportkit.i18n.Text`, ``reason[lang]``; a
    ``{lang: str}`` mapping is accepted) says why, the tuples are empty and the strengths NaN.
    """

    name: str
    freq: str
    available: bool
    reason: i18n.Text | None = None
    periods: tuple[pd.Period, ...] = ()
    observed: tuple[float, ...] = ()
    trend: tuple[float, ...] = ()
    seasonal: tuple[float, ...] = ()
    resid: tuple[float, ...] = ()
    season_length: int = 1
    log: bool = True
    robust: bool = True
    seasonal_window: int = 7
    unit: str = ""
    seasonal_strength: float = float("nan")
    trend_strength: float = float("nan")
    method: str = ""

    def __post_init__(self) -> None:
        if self.reason is not None:
            object.__setattr__(self, "reason", i18n.Text.coerce(self.reason, source="Decomposition.reason"))

    @property
    def index(self) -> pd.PeriodIndex:
        return pd.PeriodIndex(list(self.periods), freq=self.periods[0].freq) if self.periods else \
            pd.PeriodIndex([], freq="M")

    @property
    def frame(self) -> pd.DataFrame:
        """Columns ``observed``, ``trend``, ``seasonal``, ``resid`` on the PeriodIndex (empty if unavailable)."""
        return pd.DataFrame(
            {"observed": self.observed, "trend": self.trend, "seasonal": self.seasonal,
             "resid": self.resid},
            index=self.index, dtype=float,
        )

    def reason_text(self, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
        """Why there is no decomposition, in ``lang``; ``""`` when there is one."""
        lang = _check_lang(lang)
        return "" if self.reason is None else self.reason[lang]


def _strength(component: np.ndarray, resid: np.ndarray) -> float:
    total = float(np.var(component + resid))
    if total <= 0.0:
        return float("nan")
    return max(0.0, 1.0 - float(np.var(resid)) / total)


def _unavailable(ts: TimeSeries, reason: i18n.Text, *, log: bool, robust: bool) -> Decomposition:
    return Decomposition(name=ts.name, freq=ts.freq, available=False,
                         reason=reason, season_length=ts.season_length, log=log,
                         robust=robust, unit=ts.unit)


def _known_runs(known: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of the runs of True."""
    runs: list[tuple[int, int]] = []
    for i, ok in enumerate(known):
        if ok and runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        elif ok:
            runs.append((i, i))
    return runs


def decompose(ts: TimeSeries, *, robust: bool = True, log: bool = True, seasonal: int = 7,
              name: i18n.Text | str | None = None) -> Decomposition:
    """STL decomposition of a quarterly or monthly level series, or ``available=False`` with a reason.

    Uses :class:`statsmodels.tsa.seasonal.STL` with ``period = ts.season_length`` (4 or 12),
    seasonal smoother length ``seasonal`` (odd, ≥ 3; statsmodels' default 7) and
    statsmodels' defaults for the trend and low-pass windows; ``robust=True`` fits with
    robustness weights, so single outlying periods (a promotion month, a lockdown) go to the
    remainder instead of bending trend and season. ``log=True`` decomposes the natural log
    (a multiplicative decomposition, usual for sales).

    Needs at least two full seasonal cycles (8 quarters / 24 months) of consecutive known
    values and, with ``log``, values > 0. Otherwise returns ``available=False`` with a
    ``reason`` stating the numbers (periods, known, unknown runs, the longest known run and
    what is needed), never an exception; an annual series has no season and is unavailable.
    Raises :class:`AnalysisError` only for a wrong argument (not a TimeSeries, a cumulative
    series — call ``to_levels()`` first —, a bad ``seasonal``).

    ``name``: the series' name as the reason writes it, in every language (e.g. a market series'
    ``name``); default ``ts.name`` as recorded.
    """
    if not isinstance(ts, TimeSeries):
        raise AnalysisError(f"decompose: expected a reportkit TimeSeries; got {type(ts).__name__}")
    if ts.kind != "level":
        raise AnalysisError(
            f"decompose: {ts.name or 'the series'} is cumulative (year-to-date); call "
            "ts.to_levels() first"
        )
    if isinstance(seasonal, bool) or not isinstance(seasonal, (int, np.integer)) or seasonal < 3 \
            or seasonal % 2 == 0:
        raise AnalysisError(f"decompose: seasonal must be an odd integer >= 3; got {seasonal!r}")
    if name is not None:
        name = i18n.Text.coerce(name, source="decompose(name=…)")
    elif ts.name:
        name = i18n.Text.same(ts.name)
    else:
        name = i18n.message("decompose.the_series")
    if ts.freq == "annual":
        return _unavailable(ts, _text("reason_annual", name=name), log=log, robust=robust)
    m = SEASON_LENGTH[ts.freq]
    need = 2 * m
    values = ts.values.to_numpy(dtype=float)
    known = ~np.isnan(values)
    n = len(values)
    unit = i18n.message(f"decompose.unit_{ts.freq}")
    if not known.all():
        runs = _known_runs(known)
        gaps = _known_runs(~known)
        longest = max(runs, key=lambda r: (r[1] - r[0], r[1]), default=None)
        if longest is None:
            run = i18n.message("decompose.run_none")
        else:
            length = longest[1] - longest[0] + 1
            a, b = ts.values.index[longest[0]], ts.values.index[longest[1]]
            run = _text("run_longest", unit=unit, length=length, first=a, last=b)
        n_unknown = int((~known).sum())
        return _unavailable(
            ts, _text("reason_unknown", name=name, n=n, unit=unit, start=ts.start, end=ts.end, known=n - n_unknown,
                      unknown=n_unknown, gaps=len(gaps), run=run, need=need),
            log=log, robust=robust,
        )
    if n < need:
        return _unavailable(
            ts, _text("reason_short", name=name, n=n, unit=unit, start=ts.start, end=ts.end, need=need),
            log=log, robust=robust,
        )
    if log and (values <= 0).any():
        bad = ts.values[ts.values <= 0]
        return _unavailable(
            ts, _text("reason_non_positive", name=name, count=len(bad), period=bad.index[0], value=bad.iloc[0]),
            log=log, robust=robust,
        )

    from statsmodels.tsa.seasonal import STL

    y = np.log(values) if log else values
    result = STL(y, period=m, seasonal=int(seasonal), robust=robust).fit()
    trend = np.asarray(result.trend, dtype=float)
    season = np.asarray(result.seasonal, dtype=float)
    resid = np.asarray(result.resid, dtype=float)
    method = (
        f"STL (statsmodels), period {m}, seasonal window {int(seasonal)}, "
        f"{'robust' if robust else 'non-robust'} LOESS, on {'log ' if log else ''}levels"
    )
    return Decomposition(
        name=ts.name, freq=ts.freq, available=True, reason=None,
        periods=tuple(ts.values.index), observed=tuple(float(v) for v in y),
        trend=tuple(float(v) for v in trend), seasonal=tuple(float(v) for v in season),
        resid=tuple(float(v) for v in resid), season_length=m, log=log, robust=robust,
        seasonal_window=int(seasonal), unit=ts.unit,
        seasonal_strength=_strength(season, resid), trend_strength=_strength(trend, resid),
        method=method,
    )


# --------------------------------------------------------------------------- calendar


def _as_period_index(periods: Any) -> pd.PeriodIndex:
    if isinstance(periods, TimeSeries):
        return periods.values.index
    if isinstance(periods, Decomposition):
        return periods.index
    if isinstance(periods, (pd.Series, pd.DataFrame)):
        periods = periods.index
    if isinstance(periods, pd.PeriodIndex):
        return periods
    if isinstance(periods, Iterable) and not isinstance(periods, (str, bytes)):
        items = list(periods)
        if items and all(isinstance(p, pd.Period) for p in items):
            return pd.PeriodIndex(items, freq=items[0].freq)
    raise AnalysisError(
        "expected a PeriodIndex (or a TimeSeries, a Series on a PeriodIndex, or Periods); got "
        f"{type(periods).__name__}"
    )


def _freq(index: pd.PeriodIndex) -> str:
    code = index.freqstr
    if code == "M":
        return "monthly"
    if code.startswith("Q"):
        return "quarterly"
    if code.startswith(("Y", "A")):
        return "annual"
    raise AnalysisError(f"unsupported period frequency {code!r}; expected monthly, quarterly or annual")


def _event_dates(year: int) -> dict[str, _dt.date | None]:
    return {
        "spring_festival": SPRING_FESTIVAL.get(year),
        "m618": _dt.date(year, 6, 18),
        "double11": _dt.date(year, 11, 11),
    }


def calendar_events(periods: Any) -> pd.DataFrame:
    """The Spring Festival, 618 and Double 11 periods that fall within ``periods``.

    ``periods``: a monthly or quarterly PeriodIndex (or a TimeSeries, a Series on one, a
    Decomposition). One row per event and year: the month (monthly data) or quarter
    (quarterly data) containing the date of the Spring Festival (正月初一, from
    :data:`SPRING_FESTIVAL`, 2010–2035), 18 June (618) and 11 November (Double 11).
    Columns ``period``, ``event`` (``spring_festival``, ``m618``, ``double11``),
    ``label_<lang>`` for every language (``label_zh``, ``label_en``; the labels include the date). Sorted by period. Annual data get
    no rows (every year has every event). Years outside the Spring Festival table get no
    Spring Festival row; they are listed in ``attrs["missing_years"]``.
    """
    index = _as_period_index(periods)
    out = pd.DataFrame(columns=_EVENT_COLUMNS)
    out.attrs["missing_years"] = ()
    if len(index) == 0:
        return out
    freq = _freq(index)
    if freq == "annual":
        return out
    inside = set(index)
    rows, missing = [], []
    for year in range(int(index.min().year), int(index.max().year) + 1):
        for event, day in _event_dates(year).items():
            if day is None:
                missing.append(year)
                continue
            period = pd.Period(day, freq=index.freq)
            if period not in inside:
                continue
            label = _text("event_on", event=EVENTS[event], year=day.year, month=day.month, day=day.day,
                          month_label=day.strftime("%b"))
            rows.append({"period": period, "event": event,
                         **{f"label_{lang}": label[lang] for lang in i18n.LANGUAGES}})
    if rows:
        out = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
        order = {key: i for i, key in enumerate(EVENTS)}
        out = out.assign(_o=out["event"].map(order)).sort_values(["period", "_o"]).drop(columns="_o")
        out = out.reset_index(drop=True)
    out.attrs["missing_years"] = tuple(sorted(set(missing) & {p.year for p in index}))
    return out


def calendar_regressors(index: Any) -> pd.DataFrame:
    """0/1 dummies ``spring_festival``, ``m618``, ``double11`` on a monthly or quarterly index.

    1 in the month (quarter) containing the event's date, else 0; usable as exogenous
    regressors (e.g. ``SARIMAX(exog=...)``). Only the Spring Festival moves (between January
    and February, so between months but always in Q1); 618 is always June (Q2) and Double 11
    always November (Q4), so in a model that already has monthly (quarterly) seasonal terms
    those two dummies are collinear with the season and add nothing; use them in models
    without a seasonal component, or as annotations. With NBS data, whose January and February
    are published together, the Spring Festival effect is inside the combined value.

    Raises :class:`AnalysisError` for annual data, and for years outside the Spring Festival
    table (2010–2035), where a 0 would be wrong rather than unknown.
    """
    idx = _as_period_index(index)
    freq = _freq(idx)
    if freq == "annual":
        raise AnalysisError("calendar_regressors: annual data contain every event every year; "
                            "expected a monthly or quarterly index")
    years = sorted({p.year for p in idx})
    outside = [y for y in years if y not in SPRING_FESTIVAL]
    if outside:
        raise AnalysisError(
            f"calendar_regressors: no Spring Festival date for {outside[:5]}; the table covers "
            f"{min(SPRING_FESTIVAL)}–{max(SPRING_FESTIVAL)}"
        )
    flags: dict[str, list[int]] = {key: [] for key in EVENTS}
    for p in idx:
        dates = _event_dates(p.year)
        for key, day in dates.items():
            flags[key].append(int(pd.Period(day, freq=idx.freq) == p))
    return pd.DataFrame(flags, index=idx, dtype=int)


# --------------------------------------------------------------------------- figure

def _midpoints(index: pd.PeriodIndex) -> pd.DatetimeIndex:
    start = index.start_time
    end = index.end_time
    return start + (end - start) / 2


def decomposition_plot(dec: Decomposition, events: pd.DataFrame | None = None, *, lang: str = i18n.DEFAULT_LANGUAGE) -> Any:
    """Four stacked panels (observed, trend, seasonal, remainder) of an available decomposition.

    ``events`` (from :func:`calendar_events`) are drawn as light vertical bands over their
    month or quarter in every panel, with a legend below in ``lang``. Points sit at the middle
    of their period. Style as :mod:`reportkit.analysis.plots` (its palette and width; call
    ``plots.use_theme()`` first for the CJK font). Raises :class:`AnalysisError` if ``dec``
    is not available (its reason is in the message).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from . import plots

    lang = _check_lang(lang)
    if not isinstance(dec, Decomposition):
        raise AnalysisError(f"decomposition_plot: expected a Decomposition; got {type(dec).__name__}")
    if not dec.available:
        raise AnalysisError(f"decomposition_plot: no decomposition to draw: {dec.reason_text(lang)}")
    say = i18n.catalogue("decompose", lang)
    obs, trend_l, seas_l, resid_l = (say[f"panel_{k}"] for k in ("observed", "trend", "seasonal", "remainder"))
    index = dec.index
    x = _midpoints(index)
    frame = dec.frame
    fig, axes = plt.subplots(4, 1, sharex=True, figsize=(plots.FIGSIZE[0], plots.FIGSIZE[1] * 1.9))
    observed_label = (say["panel_log"].format(panel=obs) if dec.log else
                      say["panel_unit"].format(panel=obs, unit=i18n.unit_name(dec.unit)[lang]) if dec.unit else obs)
    specs = [
        (frame["observed"], observed_label, plots.PALETTE[2], "line"),
        (frame["trend"], trend_l, plots.PALETTE[0], "line"),
        (frame["seasonal"], seas_l, plots.PALETTE[3], "line"),
        (frame["resid"], resid_l, plots.PALETTE[1], "stem"),
    ]
    for ax, (series, label, colour, how) in zip(axes, specs, strict=True):
        if how == "stem":
            ax.vlines(x, 0, series.to_numpy(), color=colour, linewidth=1.2)
            ax.scatter(x, series.to_numpy(), color=colour, s=6, zorder=3)
            ax.axhline(0, color="#999999", linewidth=0.8)
        else:
            ax.plot(x, series.to_numpy(), color=colour, linewidth=1.5)
        if label == seas_l:
            ax.axhline(0, color="#999999", linewidth=0.8)
        ax.set_ylabel(label)
    if dec.log:
        axes[1].plot(x, frame["observed"].to_numpy(), color=plots.PALETTE[2], linewidth=0.8,
                     alpha=0.5)
    handles, labels = [], []
    if events is not None and len(events):
        for key in EVENTS:
            part = events[events["event"] == key]
            if part.empty:
                continue
            colour = _EVENT_COLOURS[key]
            for period in part["period"]:
                p = pd.Period(period, freq=index.freq)
                for ax in axes:
                    ax.axvspan(p.start_time, p.end_time, color=colour, alpha=0.12, linewidth=0)
            handles.append(Patch(facecolor=colour, alpha=0.3))
            labels.append(EVENTS[key][lang])
    for ax in axes:
        ax.margins(x=0.01)
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
    # the data drawn: a row per period, a column per panel, and the calendar events shaded in it
    drawn = pd.DataFrame({plots.data_column("period", lang): [str(p) for p in index]}
                         | {label: series.to_numpy(dtype=float) for series, label, _, _ in specs})
    if events is not None and len(events):
        shaded: dict[str, list[str]] = {}
        for key, period in zip(events["event"], events["period"], strict=True):
            if key in EVENTS:
                shaded.setdefault(str(pd.Period(period, freq=index.freq)), []).append(EVENTS[key][lang])
        drawn[plots.data_column("event", lang)] = [" / ".join(shaded.get(str(p), [])) for p in index]
    return plots.attach_data(fig, drawn, unit="" if dec.log else dec.unit)
