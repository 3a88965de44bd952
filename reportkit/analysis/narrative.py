"""Bilingual words and sentences of the report, written from results, never typed in.

Each sentence takes the result objects and formats their numbers with the same functions the
templates use (:mod:`reportkit.style.formatting`), so the text, the tables and the key-figure
cards cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import i18n
from ..errors import AnalysisError
from ..style.formatting import format_value

#: Below this many clusters the methods text warns that clustered standard errors may be too small
#: (Cameron, Gelbach and Miller 2008, "Bootstrap-based improvements for inference with clustered errors").
FEW_CLUSTERS = 30

def words(lang: str) -> Mapping[str, str]:
    """The label table of one language (the ``words`` group of the catalogue, :mod:`reportkit.i18n`)."""
    return i18n.catalogue("words", i18n.check_language(lang, error=AnalysisError))


def _say(key: str, lang: str, **values: Any) -> str:
    """The catalogue's ``narrative.<key>`` sentence in ``lang``, filled with ``values``."""
    return i18n.message(f"narrative.{key}")[lang].format(**values)


def category_label(category: str, lang: str) -> str:
    """A category as the reader of ``lang`` sees it (the catalogue's ``data`` group; unknown
    categories are shown as given)."""
    return i18n.data_label(category)[i18n.check_language(lang, error=AnalysisError)]


def column_label(name: str, lang: str) -> str:
    """A data column's label in ``lang`` (the column name itself if there is none)."""
    return words(lang).get(name, name)


#: a column shifted ``k`` periods within each entity: ``engagement_l1`` (a lag), ``engagement_f2`` (a
#: lead), the names :func:`reportkit.analysis.dynamics.shift_within` gives
_SHIFTED = re.compile(r"^(?P<column>.+)_(?P<kind>[lf])(?P<k>[1-9][0-9]*)$")
#: the prefixes the log families give their terms (:mod:`reportkit.analysis.model_data`)
_LOG_PREFIXES = (("log1p_", "log1p_of"), ("log_", "log_of"))


def _short(label: str, lang: str) -> str:
    """A label without its qualifier: 互动量（点赞+评论+收藏） → 互动量 (inside a longer label or a formula)."""
    return label.split(i18n.message("granger.label_qualifier_start")[lang])[0]


def term_label(name: str, lang: str, *, time: str | None = None, short: bool = False) -> str:
    """A model term or a derived column as the reader of ``lang`` sees it, never its internal name
    where the catalogue can say it: a data column by :func:`column_label`; ``log_<x>`` and
    ``log1p_<x>`` (the log families' terms) as the log of ``x`` ("加购数（对数）"); ``<x>_l<k>`` and
    ``<x>_f<k>`` (``x`` shifted k periods within each entity) as its lag or lead in units of the
    ``time`` column ("互动量滞后 1 周", "Engagement, 1-week lag"; "期" / "period" without a time
    column; only for a column the catalogue labels). Any other name (an analyst's own column) is
    returned as given. ``short``: a column's label without its qualifier (互动量, not
    互动量（点赞+评论+收藏）), as in a formula; a lag or lead always has the short one."""
    w = words(lang)
    if name in w:
        return _short(column_label(name, lang), lang) if short else column_label(name, lang)
    for prefix, key in _LOG_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return w[key].format(term_label(name[len(prefix):], lang, time=time, short=short))
    shifted = _SHIFTED.match(name)
    if shifted and shifted["column"] in w:
        period = column_label(time, lang) if time and time in w else w["period_generic"]
        return w["lag_of" if shifted["kind"] == "l" else "lead_of"].format(
            label=_short(column_label(shifted["column"], lang), lang), k=int(shifted["k"]),
            period=period.lower())  # inside a phrase: "1-week lag" (no case in Chinese)
    return name


def formula_label(formula: str, lang: str, *, time: str | None = None) -> str:
    """A model's display formula (``y ~ a + b | fe1 + fe2``, :attr:`ModelResult.formula
    <reportkit.analysis.models.ModelResult.formula>`) in the reader's words: every term and fixed
    effect by its short label (:func:`term_label`), an interaction ``a^b`` as "a × b"."""
    def label(term: str) -> str:
        return " × ".join(term_label(part.strip(), lang, time=time, short=True) for part in term.split("^"))

    lhs, _, rhs = formula.partition("~")
    rhs, bar, fes = rhs.partition("|")
    text = f"{label(lhs)} ~ " + " + ".join(label(t) for t in rhs.split("+"))
    return text + (" | " + " + ".join(label(t) for t in fes.split("+")) if bar else "")


def vcov_label(cluster: str, lang: str) -> str:
    """How standard errors clustered by one column are described (as under the model's tables)."""
    return _say("vcov_clustered", lang, cluster=cluster, cluster_label=column_label(cluster, lang))


def _pct(value: float, lang: str, decimals: int = 1) -> str:
    return format_value(value, "%", decimals, lang=lang)


def _yuan(value: float, lang: str) -> str:
    return format_value(value, "亿元", 0, lang=lang)


def interval_note(low: float, high: float, *, unit: str = "", decimals: int | None = None, level: int = 95,
                  lang: str) -> str:
    """"80% 区间 177,304 亿元—192,238 亿元" / "80% interval 17.73 trn yuan–19.22 trn yuan"."""
    lo, hi = format_value(low, unit, decimals, lang=lang), format_value(high, unit, decimals, lang=lang)
    return _say("interval", lang, level=level, lo=lo, hi=hi)


# --------------------------------------------------------------------------- market


def market_summary(*, series_label: str, latest: Mapping[str, Any], cagr: Any, forecast_row: Mapping[str, Any],
                   method_label: str, lang: str, spread: tuple[float, float] | None = None,
                   outturn: Mapping[str, Any] | None = None) -> str:
    """The market section's summary paragraph from the growth table's last row, CAGR and forecast.

    ``cagr`` may carry ``cagr_official_chained_pct`` (the official growth rates compounded over
    the same years); when finite it is given beside the from-levels CAGR. ``spread`` is the
    (lowest, highest) forecast of the models combined, for the same period; ``outturn`` a
    published value for a forecast period (``period``, ``published``, ``diff_pct``: published ÷
    forecast − 1 in %), stated as low confidence.
    """
    values = dict(year=int(latest["year"]), series=series_label, level=_yuan(latest["level"], lang),
                  official=_pct(latest["yoy_official_pct"], lang), levels=_pct(latest["yoy_from_levels_pct"], lang),
                  gap=format_value(latest["gap_pp"], "", 1, lang=lang), start=cagr.start_year, end=cagr.end_year,
                  cagr=_pct(cagr.cagr_pct, lang))
    text = _say("market_summary_growth", lang, **values)
    chained = getattr(cagr, "cagr_official_chained_pct", None)
    if chained is not None and abs(float(chained)) < float("inf"):  # False for NaN
        text += _say("market_summary_chained", lang, chained=_pct(chained, lang))
    # forecast_row["period"]: "2029", or "2029Q4" for a quarterly series
    text += _say("market_summary_forecast", lang, method=method_label, period=forecast_row["period"],
                 forecast=_yuan(forecast_row["forecast"], lang), lo=_yuan(forecast_row["lo80"], lang),
                 hi=_yuan(forecast_row["hi80"], lang))
    if spread is not None:
        text += _say("market_summary_spread", lang, low=_yuan(spread[0], lang), high=_yuan(spread[1], lang))
    text += _say("market_summary_end", lang)
    if outturn is not None:
        key = "market_summary_outturn_below" if outturn["diff_pct"] < 0 else "market_summary_outturn_above"
        text += _say(key, lang, period=outturn["period"], published=_yuan(outturn["published"], lang),
                     diff=_pct(abs(outturn["diff_pct"]), lang))
    return text


def market_methods(*, series_label: str, first_fit_year: int, last_year: int, method_label: str,
                   threshold_pp: float, n_origins: int, lang: str, horizon_steps: int | None = None,
                   top: int | None = None, coverage80: float | None = None) -> str:
    """The market section's method note. With ``horizon_steps`` (the longest backtest step),
    ``top`` (models combined) and ``coverage80`` (pooled cross-validated coverage, a share) it
    describes the combined forecast with empirical intervals; without them, a single model."""
    n_years = last_year - first_fit_year + 1
    common = _say("market_methods_common", lang, series=series_label, threshold_pp=threshold_pp)
    if horizon_steps is None or top is None:
        return common + _say("market_methods_single", lang, method=method_label, first_fit_year=first_fit_year,
                             last_year=last_year, n_years=n_years, n_origins=n_origins)
    cov = (_say("market_methods_coverage", lang, coverage_pct=coverage80 * 100) if coverage80 is not None else "")
    return common + _say("market_methods_combined", lang, method=method_label, first_fit_year=first_fit_year,
                         last_year=last_year, n_years=n_years, n_origins=n_origins, horizon_steps=horizon_steps,
                         top=top, coverage=cov)


# --------------------------------------------------------------------------- engagement


def inference_note(result: Any, lang: str) -> str:
    """Under a figure or table of a model's coefficients: its standard errors and, when they differ,
    where its 95% intervals come from (e.g. the wild cluster bootstrap)."""
    vcov, how = result.vcov_label[lang], result.inference_label[lang]
    if getattr(result, "inference", "analytic") != "wild":
        return _say("inference_analytic", lang, vcov=vcov)
    return _say("inference_wild", lang, vcov=vcov, how=how)


def ci_method_note(low: float, high: float, *, wild: bool, lang: str, decimals: int = 2) -> str:
    """「95% 置信区间 0.46–0.66（野聚类自助法）」 / "95% CI 0.46–0.66 (wild cluster bootstrap)"."""
    lo, hi = format_value(low, "", decimals, lang=lang), format_value(high, "", decimals, lang=lang)
    return _say("ci_method", lang, lo=lo, hi=hi) + (_say("ci_method_wild", lang) if wild else "")


def uplift_pct(elasticity: float, step_pct: float = 10.0) -> float:
    """The % change in the outcome when the regressor rises by ``step_pct`` %, for a log-log
    elasticity: (1 + step/100) ** elasticity − 1, in %. Exact, not the linear approximation."""
    factor: float = (1.0 + step_pct / 100.0) ** elasticity  # typeshed: float ** float is Any (complex if base < 0)
    return (factor - 1.0) * 100.0


def elasticity_sentence(*, estimate: float, ci_low: float, ci_high: float, engagement_label: str,
                        conversion_label: str, lang: str, n_lags: int = 0, step_pct: float = 10.0,
                        conf_level: float = 0.95) -> str:
    """The elasticity as an association in words, cumulative over the lags it sums.

    With ``n_lags`` > 0 the estimate is the sum of the same-period and lag 1…n elasticities: the
    sentence says that engagement ``step_pct`` % higher in the same week *and* each of the n weeks
    before goes with x % more conversion this week (x = (1 + step)^elasticity − 1, exact; the
    interval mapped through the same monotone transformation), and that this is an association
    after the fixed effects, not a causal effect.
    """
    x, a, b = (uplift_pct(v, step_pct) for v in (estimate, ci_low, ci_high))
    fx, fa, fb = (format_value(v, "%", 1, lang=lang) for v in (x, a, b))
    return _say("elasticity_lags" if n_lags > 0 else "elasticity_same", lang, n_lags=n_lags, step=f"{step_pct:g}%",
                level=f"{conf_level * 100:g}%", x=fx, lo=fa, hi=fb, verb=_say("higher" if x >= 0 else "lower", lang),
                engagement=engagement_label, conversion=conversion_label,
                engagement_lower=engagement_label.lower(), conversion_lower=conversion_label.lower())


def engagement_summary(*, category: str, engagement_label: str, conversion_label: str, pooled: Any, boot: Any,
                       within: Any, claimed_r: float, total: Any, placebo: Any, n_lags: int, lang: str,
                       calibrated_r: float | None = None) -> str:
    """Summary paragraph: the claim tested against the brand-level bootstrap interval (and, for a
    simulated panel, that its simulator was calibrated to the claim), the within-brand correlation,
    the long-run elasticity as an association cumulative over its lags, and what the lead placebo
    test did and did not rule out (its p-value and minimum detectable lead effect)."""
    def f2(v: float) -> str:
        return format_value(v, "", 2, lang=lang)

    uplift = elasticity_sentence(estimate=total.estimate, ci_low=total.ci_low, ci_high=total.ci_high,
                                 engagement_label=engagement_label, conversion_label=conversion_label, lang=lang,
                                 n_lags=n_lags)
    p = format_value(placebo.p_value, "", 3, lang=lang)
    inside = boot.ci_low <= claimed_r <= boot.ci_high
    return _say(
        "engagement_summary", lang, category=category, engagement=engagement_label, conversion=conversion_label,
        engagement_lower=engagement_label.lower(), conversion_lower=conversion_label.lower(), r=f2(pooled.r),
        n=pooled.n, boot_lo=f2(boot.ci_low), boot_hi=f2(boot.ci_high), fisher_lo=f2(pooled.ci_low),
        fisher_hi=f2(pooled.ci_high), claim=f2(claimed_r), verdict=_say("claim_inside" if inside else "claim_outside", lang),
        calibrated=_say("claim_calibrated", lang, r=f2(calibrated_r)) if calibrated_r is not None else "",
        within=f2(within.r), within_lo=f2(within.ci_low), within_hi=f2(within.ci_high), uplift=uplift,
        timing=_say("placebo_rejected" if placebo.rejected else "placebo_clear", lang, p=p, mde=f2(placebo.mde)))


def engagement_methods(*, formula: str, vcov_label: str, n_obs: int, n_clusters: int, n_lags: int,
                       n_leads: int, simulated: bool, lang: str, inference_label: str = "",
                       coverage_replications: int = 0) -> str:
    """The methods paragraph of the engagement section. ``inference_label`` names how the main
    table's p-values and intervals were obtained (the wild cluster bootstrap below
    :data:`FEW_CLUSTERS` clusters); ``coverage_replications`` > 0 mentions the coverage certificate."""
    few = n_clusters < FEW_CLUSTERS
    return (
        _say("engagement_methods", lang, n_lags=n_lags, formula=formula, vcov=vcov_label, n_obs=n_obs,
             n_clusters=n_clusters)
        + (_say("engagement_methods_few", lang, n_clusters=n_clusters, few=FEW_CLUSTERS, inference=inference_label)
           if few and inference_label else "")
        + (_say("engagement_methods_coverage", lang, replications=coverage_replications) if coverage_replications else "")
        + _say("engagement_methods_rest", lang, n_leads=n_leads)
        + (_say("engagement_methods_simulated", lang) if simulated else "")
    )
