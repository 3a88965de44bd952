"""The words of the market chapter for any series: labels, captions, notes and the generated prose.

Every function returns an :class:`~reportkit.i18n.Text` (one entry per report language) built from
the catalogue group ``market`` and the series' own names (its metadata: name, unit, source, the
name of the published growth rate), so the chapter reads right for NBS statistics, a platform
export or a US Census series alike. Numbers are formatted per language by
:func:`reportkit.style.formatting.format_value` (``155,225 亿元`` / ``15.52 trn yuan``;
other units as ``308,910 USD million``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import i18n
from ..data.market import MarketParts, MarketSeries
from ..i18n import Text
from ..style.formatting import format_value
from .market import CompoundGrowth, ForecastTarget

__all__ = [
    "say",
    "say_parts",
    "period_text",
    "number",
    "pct",
    "source_note",
    "growth_words",
    "latest_paragraph",
    "gap_paragraph",
    "summary",
    "methods",
    "target_name",
]


def _unit_in_words(values: dict[str, Any]) -> dict[str, Any]:
    """``unit="亿元"`` as each language writes a unit in a label (:func:`reportkit.i18n.unit_name`)."""
    if isinstance(values.get("unit"), str):
        values["unit"] = i18n.unit_name(values["unit"])
    return values


def say(key: str, **values: Any) -> Text:
    """The catalogue's ``market.<key>`` in every language, filled with ``values`` (a ``unit`` given as
    recorded, "亿元", is written in the reader's words)."""
    return i18n.message(f"market.{key}").format(**_unit_in_words(values))


def say_parts(key: str, **values: Any) -> Text:
    """The catalogue's ``parts.<key>`` (the several-series section) in every language, filled with
    ``values`` (a ``unit`` as in :func:`say`)."""
    return i18n.message(f"parts.{key}").format(**_unit_in_words(values))


def period_text(label: Any) -> Text:
    """A period label as a reader writes it: ``2024`` → 「2024 年」/ 2024; ``2024Q4`` → 「2024 年第 4 季度」/
    2024 Q4; ``2024-12`` → 「2024 年 12 月」/ 2024-12. Other labels are kept as they are."""
    text = str(label)
    m = re.fullmatch(r"(\d{4})(?:Q([1-4])|-(\d{2}))?", text)
    if m is None:
        return Text.same(text)
    year, quarter, month = m.groups()
    if quarter:
        return say("when_quarter", year=year, quarter=quarter)
    if month:
        return say("when_month", year=year, month=int(month))
    return say("when_year", year=year)


def number(value: float, unit: str = "", decimals: int | None = 0) -> Text:
    """A value with its unit, formatted in every language."""
    return Text({lang: format_value(value, unit, decimals, lang=lang) for lang in i18n.LANGUAGES})


def pct(value: float, decimals: int = 1) -> Text:
    return number(value, "%", decimals)


def source_note(ms: MarketSeries | MarketParts) -> Text:
    """「来源：国家统计局；作者计算。」 from the series' source (else the file's name)."""
    return say("source_note", source=ms.source or Text.same(ms.path.rsplit("/", 1)[-1]))


def growth_words(ms: MarketSeries) -> dict[str, Text]:
    """Column labels of the growth table and chart: level, published, from levels, gap, period on period."""
    words = {
        "period": say("period"),
        "level": say("level_column", name=ms.name, unit=ms.unit),
        "from_levels": say("growth_from_levels"),
        "gap": say("gap"),
    }
    if ms.growth is not None:
        words["published"] = say("growth_published", growth_name=ms.growth_name or Text.same("—"))
    if ms.season_length > 1:
        words["pop"] = say(f"growth_pop_{ms.freq}")
    return words


def latest_paragraph(ms: MarketSeries, latest: Mapping[str, Any], cg: CompoundGrowth | None) -> Text:
    """The latest period's level and growth both ways, then the compound growth (both ways if it can)."""
    values = dict(period=period_text(latest["period"]), name=ms.name, level=number(latest["level"], ms.unit),
                  levels=pct(latest["yoy_from_levels_pct"]), published=pct(latest["yoy_published_pct"]),
                  growth_name=ms.growth_name or Text.same(""))
    if ms.levels is None:
        text = say("latest_growth", **values)
    elif ms.growth is not None and not _missing(latest["yoy_published_pct"]):
        text = say("latest_both", **values)
    else:
        text = say("latest_levels", **values)
    if cg is not None:
        text = text + say("cagr_sentence", start=period_text(cg.start), end=period_text(cg.end), rate=pct(cg.rate_pct))
        if not _missing(cg.chained_pct):
            text = text + say("cagr_chained", growth_name=ms.growth_name or Text.same(""), chained=pct(cg.chained_pct))
        text = text + say("sentence_end")
    return text


def gap_paragraph(ms: MarketSeries, growth: pd.DataFrame, threshold_pp: float) -> Text | None:
    """Where the published rate and the growth from levels differ: how often, the largest gap, and
    the source's own explanation (its metadata note); ``None`` without a published rate."""
    if ms.growth is None or ms.levels is None:
        return None
    both = growth.dropna(subset=["gap_pp"])
    if both.empty:
        return None
    name = ms.growth_name or Text.same("")
    flagged = both[both["gap_pp"].abs() > threshold_pp]
    if flagged.empty:
        text = say("gap_none", growth_name=name, threshold=threshold_pp)
    else:
        worst = flagged.loc[flagged["gap_pp"].abs().idxmax()]
        last = both.iloc[-1]
        text = say("gap_summary", n_shown=len(both), n_flagged=len(flagged), growth_name=name,
                   threshold=threshold_pp, period=period_text(worst["period"]),
                   published=pct(worst["yoy_published_pct"]), levels=pct(worst["yoy_from_levels_pct"]),
                   latest=period_text(last["period"]), latest_published=pct(last["yoy_published_pct"]),
                   latest_levels=pct(last["yoy_from_levels_pct"]))
    return (ms.growth_note + text) if ms.growth_note is not None and not flagged.empty else text


def target_name(ms: MarketSeries, target: ForecastTarget) -> Text:
    """What the forecast is of: the annual levels, or annual totals of a finer series."""
    if not target.aggregated:
        return say("target_annual")
    return say("target_aggregated", n=ms.season_length, period_word=say(f"period_word_{ms.freq}"))


def summary(ms: MarketSeries, latest: Mapping[str, Any], cg: CompoundGrowth | None, target: ForecastTarget,
            forecast_row: Mapping[str, Any], *, spread: tuple[float, float] | None = None,
            outturn: Mapping[str, Any] | None = None) -> Text:
    """The chapter's summary: latest growth both ways, compound growth, the combined forecast with its
    80% interval and the spread of the models, and a value the data hold after the fitting period."""
    text = latest_paragraph(ms, latest, cg)
    u = ms.unit
    text = text + say("summary_forecast", method=say("combined"), target=target_name(ms, target),
                      period=str(forecast_row["period"]), forecast=number(forecast_row["forecast"], u),
                      lo=number(forecast_row["lo80"], u), hi=number(forecast_row["hi80"], u))
    if spread is not None:
        text = text + say("summary_spread", low=number(spread[0], u), high=number(spread[1], u))
    text = text + say("sentence_end")
    if outturn is not None:
        key = "summary_outturn_below" if outturn["diff_pct"] < 0 else "summary_outturn_above"
        text = text + say(key, period=outturn["period"], published=number(outturn["published"], u),
                          diff=pct(abs(outturn["diff_pct"])))
    return text


def methods(ms: MarketSeries, *, threshold_pp: float, target: ForecastTarget, cf: Any, n_models: int,
            detail: MarketSeries | None = None) -> Text:
    """The method note: the data as declared, the growth measures, derived values, the forecast."""
    text = say("methods_data", name=ms.name, freq_word=say(f"freq_{ms.freq}"),
               source=ms.source or say("source_unknown"), path=Text.same(ms.path.rsplit("/", 1)[-1]),
               unit=i18n.unit_name(ms.unit))
    if ms.growth is not None and ms.levels is not None:
        text = text + say("methods_growth_both", growth_name=ms.growth_name or Text.same(""), threshold=threshold_pp)
    else:
        text = text + say("methods_growth_levels")
    if ms.values == "ytd" or (detail is not None and detail.values == "ytd"):
        text = text + say("methods_ytd")
    coverage = cf.coverage.get(80)
    cov = say("methods_coverage", pct=coverage * 100) if coverage is not None and math.isfinite(coverage) else Text.same("")
    text = text + say("methods_forecast", target=target_name(ms, target), models=n_models,
                      first_fit=str(cf.fitted[0]), last=str(target.series.index[-1]),
                      n_origins=len(cf.backtest.origins), h=cf.backtest.horizon, top=cf.top, coverage=cov)
    return text


def _missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True
