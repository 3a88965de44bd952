"""Bilingual words and sentences of the report, written from results, never typed in.

Each sentence takes the result objects and formats their numbers with the same functions the
templates use (:mod:`reportkit.render.formatting`), so the text, the tables and the key-figure
cards cannot disagree.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import AnalysisError
from ..render.formatting import format_value

LANGS = ("zh", "en")

#: Below this many clusters the methods text warns that clustered standard errors may be too small
#: (Cameron, Gelbach and Miller 2008, "Bootstrap-based improvements for inference with clustered errors").
FEW_CLUSTERS = 30

WORDS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "year": "年份",
        "level": "规模",
        "yoy_official": "同比增长（统计局公布，可比口径）",
        "yoy_levels": "同比增长（按公布总量计算）",
        "gap": "口径差（百分点）",
        "flag": "差异超过阈值",
        "actual": "实际值",
        "forecast": "预测值",
        "band80": "80% 预测区间",
        "band95": "95% 预测区间",
        "lo80": "80% 下限",
        "hi80": "80% 上限",
        "lo95": "95% 下限",
        "hi95": "95% 上限",
        "share_published": "占社零比重（公布，%）",
        "share_levels": "占社零比重（按总量计算，%）",
        "term": "变量",
        "lag": "滞后周数",
        "estimate": "弹性估计",
        "std_error": "标准误",
        "p_value": "p 值",
        "ci_low": "95% 下限",
        "ci_high": "95% 上限",
        "truth": "模拟真实值",
        "engagement": "互动量（点赞+评论+收藏）",
        "add_to_cart": "加购数",
        "orders": "订单数",
        "gmv": "成交额",
        "visits": "访问数",
        "notes": "笔记数",
        "likes": "点赞数",
        "saves": "收藏数",
        "comments": "评论数",
        "shares": "分享数",
        "log_of": "{}（对数）",
        "lag_name": "互动量滞后 {} 周",
        "lag_now": "当周互动量",
        "elasticity_axis": "弹性（对数-对数系数）",
        "measure": "指标",
        "value": "数值",
        "n": "样本量",
        "brand": "品牌",
        "week": "周",
        "category": "类目",
    },
    "en": {
        "year": "Year",
        "level": "Level",
        "yoy_official": "YoY growth (NBS, comparable basis)",
        "yoy_levels": "YoY growth (from published levels)",
        "gap": "Gap (pp)",
        "flag": "Gap above threshold",
        "actual": "Actual",
        "forecast": "Forecast",
        "band80": "80% prediction interval",
        "band95": "95% prediction interval",
        "lo80": "80% low",
        "hi80": "80% high",
        "lo95": "95% low",
        "hi95": "95% high",
        "share_published": "Share of total retail (published, %)",
        "share_levels": "Share of total retail (from levels, %)",
        "term": "Term",
        "lag": "Lag (weeks)",
        "estimate": "Elasticity",
        "std_error": "Std. error",
        "p_value": "p-value",
        "ci_low": "95% low",
        "ci_high": "95% high",
        "truth": "Simulated true value",
        "engagement": "Engagement (likes + comments + saves)",
        "add_to_cart": "Add-to-cart",
        "orders": "Orders",
        "gmv": "GMV",
        "visits": "Visits",
        "notes": "Notes",
        "likes": "Likes",
        "saves": "Saves",
        "comments": "Comments",
        "shares": "Shares",
        "log_of": "{} (log)",
        "lag_name": "Engagement, lag {} wk",
        "lag_now": "Engagement, same week",
        "elasticity_axis": "Elasticity (log-log coefficient)",
        "measure": "Measure",
        "value": "Value",
        "n": "N",
        "brand": "Brand",
        "week": "Week",
        "category": "Category",
    },
}


def words(lang: str) -> Mapping[str, str]:
    """The label table of one language."""
    if lang not in WORDS:
        raise AnalysisError(f"language {lang!r} is not offered; expected one of {', '.join(LANGS)}")
    return WORDS[lang]


#: English names of the demo panel's categories (Chinese names are the data's own values).
CATEGORIES_EN: Mapping[str, str] = {
    "美妆个护": "Beauty & personal care",
    "服饰鞋包": "Apparel, shoes & bags",
    "家居家装": "Home & furnishing",
    "母婴": "Mother & baby",
    "3C数码": "Consumer electronics (3C)",
    "食品饮料": "Food & beverages",
}


def category_label(category: str, lang: str) -> str:
    """A category as the reader of ``lang`` sees it (unknown categories are shown as given)."""
    words(lang)
    return CATEGORIES_EN.get(category, category) if lang == "en" else category


def column_label(name: str, lang: str) -> str:
    """A data column's label in ``lang`` (the column name itself if there is none)."""
    return words(lang).get(name, name)


def vcov_label(cluster: str, lang: str) -> str:
    """How standard errors clustered by one column are described (as under the model's tables)."""
    words(lang)
    if lang == "zh":
        return f"按{column_label(cluster, 'zh')}聚类（CRV1）"
    return f"clustered by {cluster} (CRV1)"


def _pct(value: float, lang: str, decimals: int = 1) -> str:
    return format_value(value, "%", decimals, lang=lang)


def _yuan(value: float, lang: str) -> str:
    return format_value(value, "亿元", 0, lang=lang)


def interval_note(low: float, high: float, *, unit: str = "", decimals: int | None = None, level: int = 95,
                  lang: str) -> str:
    """"80% 区间 177,304 亿元—192,238 亿元" / "80% interval 17.73 trn yuan–19.22 trn yuan"."""
    lo, hi = format_value(low, unit, decimals, lang=lang), format_value(high, unit, decimals, lang=lang)
    return f"{level}% 区间 {lo}—{hi}" if words(lang) is WORDS["zh"] else f"{level}% interval {lo}–{hi}"


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
    year = int(latest["year"])
    level = _yuan(latest["level"], lang)
    official = _pct(latest["yoy_official_pct"], lang)
    levels = _pct(latest["yoy_from_levels_pct"], lang)
    gap = format_value(latest["gap_pp"], "", 1, lang=lang)
    c = _pct(cagr.cagr_pct, lang)
    chained = getattr(cagr, "cagr_official_chained_pct", None)
    has_chained = chained is not None and abs(float(chained)) < float("inf")  # False for NaN
    ch = _pct(chained, lang) if has_chained else ""
    h = forecast_row["period"]  # "2029", or "2029Q4" for a quarterly series
    f = _yuan(forecast_row["forecast"], lang)
    lo, hi = _yuan(forecast_row["lo80"], lang), _yuan(forecast_row["hi80"], lang)
    if lang == "zh":
        text = (
            f"{year} 年{series_label}为 {level}，国家统计局公布的可比口径同比增长 {official}；"
            f"若直接按相邻两年公布的总量计算，增长仅为 {levels}，两者相差 {gap} 个百分点，"
            f"原因是统计局按当年口径调整了上年基数。本报告两种增速并列并分别标注。"
            f"{cagr.start_year}—{cagr.end_year} 年按公布总量计算的年均复合增长率为 {c}"
            + (f"，按官方可比增速连乘计算为 {ch}" if has_chained else "") + "。"
            f"{method_label}预测 {h} 年为 {f}（80% 预测区间 {lo} 至 {hi}）"
        )
        if spread is not None:
            text += f"；参与组合的各模型预测在 {_yuan(spread[0], lang)} 至 {_yuan(spread[1], lang)} 之间"
        text += "。"
        if outturn is not None:
            text += (f"统计局已公布的 {outturn['period']} 年数值为 {_yuan(outturn['published'], lang)}（可信度低），"
                     f"较预测值{'低' if outturn['diff_pct'] < 0 else '高'} {_pct(abs(outturn['diff_pct']), lang)}。")
        return text
    text = (
        f"In {year}, {series_label} reached {level}, up {official} year on year on the comparable basis "
        f"published by NBS; computed from the two published levels, growth was only {levels}, a gap of "
        f"{gap} percentage points, because NBS restates the prior-year base to the current scope. "
        f"This report shows both measures, each labelled. The compound annual growth rate from "
        f"{cagr.start_year} to {cagr.end_year}, from published levels, was {c}"
        + (f"; compounding the official comparable-basis rates gives {ch}" if has_chained else "") + ". "
        f"The {method_label} forecast for {h} is {f} (80% prediction interval {lo} to {hi})"
    )
    if spread is not None:
        text += f"; the models combined range from {_yuan(spread[0], lang)} to {_yuan(spread[1], lang)}"
    text += "."
    if outturn is not None:
        text += (f" The {outturn['period']} figure already published by NBS (low confidence), "
                 f"{_yuan(outturn['published'], lang)}, is {_pct(abs(outturn['diff_pct']), lang)} "
                 f"{'below' if outturn['diff_pct'] < 0 else 'above'} the forecast.")
    return text


def market_methods(*, series_label: str, first_fit_year: int, last_year: int, method_label: str,
                   threshold_pp: float, n_origins: int, lang: str, horizon_steps: int | None = None,
                   top: int | None = None, coverage80: float | None = None) -> str:
    """The market section's method note. With ``horizon_steps`` (the longest backtest step),
    ``top`` (models combined) and ``coverage80`` (pooled cross-validated coverage, a share) it
    describes the combined forecast with empirical intervals; without them, a single model."""
    n_years = last_year - first_fit_year + 1
    combined = horizon_steps is not None and top is not None
    if lang == "zh":
        common = (
            f"市场规模：{series_label}年度数据来自国家统计局。同比增速给出两种口径：统计局公布的可比口径增速，"
            f"以及按相邻年份公布总量直接计算的增速；两者相差超过 {threshold_pp:g} 个百分点的年份在表中标出，并在正文说明原因。"
            f"年均复合增长率给出两种：按起止年份公布总量计算，以及将各年官方可比增速连乘后折算。月度值由 1 至当月累计值逐月相减得到，"
            f"1–2 月合并发布的值不拆分，缺少累计值的月份记为未知、不补零。"
        )
        if not combined:
            return common + (
                f"预测模型以滚动起点回测按 MASE 比较，选用{method_label}；模型在 {first_fit_year}—{last_year} 年总量的对数上拟合"
                f"（statsmodels），预测值为预测分布的中位数，并给出 80% 与 95% 预测区间。年度序列仅 {n_years} 个观测，"
                f"回测只有 {n_origins} 个预测起点，模型之间的差异证据有限；预测区间应从宽解读。"
            )
        cov = f"，交叉验证的 80% 区间合并覆盖率为 {coverage80 * 100:.0f}%" if coverage80 is not None else ""
        return common + (
            f"预测：候选模型（朴素法、带漂移的随机游走、Theta 法、阻尼趋势 ETS、自动定阶 ARIMA，均在 {first_fit_year}—{last_year} 年"
            f"总量的对数上拟合；以及官方可比增速的局部水平模型，预测增速后自最后一个公布总量连乘）在 {n_origins} 个滚动起点上"
            f"逐一回测向前 1–{horizon_steps} 年的每个步长，按对数误差计算 MASE。报告的预测为回测最优的 {top} 个模型按 MASE 倒数加权的组合"
            f"（{method_label}），而不是只取回测中略占优的单一模型；预测区间为按各步长回测误差校准的经验区间{cov}。"
            f"年度序列仅 {n_years} 个观测，最长步长只有少数起点可评估，且早期起点处于高增长年份；公布总量存在口径调整，"
            f"预测值与区间应从宽解读，并参考各模型预测的分布。"
        )
    common = (
        f"Market size: annual {series_label} from NBS. Growth is given two ways: the official rate on a comparable "
        f"basis as published, and the rate computed from consecutive published levels; years where they differ by more "
        f"than {threshold_pp:g} percentage points are flagged and explained in the text. The CAGR is given two ways: from "
        f"the published levels of its first and last year, and by compounding the official comparable-basis rates. "
        f"Monthly values are differences of January-to-month cumulative values within a year; the combined "
        f"January–February value is not split, and months without a cumulative release are unknown, never zero. "
    )
    if not combined:
        return common + (
            f"The forecasting models are compared by MASE in a rolling-origin backtest, and the {method_label} is used; "
            f"it is fitted to the log of {first_fit_year}–{last_year} levels (statsmodels), forecasts are medians of the "
            f"predictive distribution, with 80% and 95% prediction intervals. With only {n_years} annual observations the "
            f"backtest has {n_origins} origins, so the evidence separating the models is thin; read the intervals generously."
        )
    cov = (f"; their pooled cross-validated 80% coverage is {coverage80 * 100:.0f}%" if coverage80 is not None else "")
    return common + (
        f"Forecast: the candidate models (naive, random walk with drift, Theta, ETS with damped trend and ARIMA with "
        f"automatic order, all fitted to the log of {first_fit_year}–{last_year} levels; and a local-level model of the "
        f"official comparable-basis growth rate, whose forecast growth is compounded from the last published level) are "
        f"backtested from {n_origins} rolling origins at every horizon from 1 to {horizon_steps} years, on log errors "
        f"(MASE). The forecast shown combines the best {top} models with inverse-MASE weights ({method_label}) instead "
        f"of picking the winner of a small gap; its prediction intervals are empirical, calibrated on the backtest errors "
        f"at each horizon{cov}. With only {n_years} annual observations few origins reach the longest horizon, and the "
        f"early origins fall in the boom years; published levels carry scope changes, so read the forecast and its "
        f"intervals generously, together with the spread of the individual models."
    )


# --------------------------------------------------------------------------- engagement


def inference_note(result: Any, lang: str) -> str:
    """Under a figure or table of a model's coefficients: its standard errors and, when they differ,
    where its 95% intervals come from (e.g. the wild cluster bootstrap)."""
    words(lang)
    vcov, how = result.vcov_label[lang], result.inference_label[lang]
    if getattr(result, "inference", "analytic") != "wild":
        return f"标准误{vcov}。" if lang == "zh" else f"Standard errors {vcov}."
    if lang == "zh":
        return f"标准误{vcov}；95% 置信区间来自{how}。"
    return f"Standard errors {vcov}; 95% intervals from {how}."


def ci_method_note(low: float, high: float, *, wild: bool, lang: str, decimals: int = 2) -> str:
    """「95% 置信区间 0.46–0.66（野聚类自助法）」 / "95% CI 0.46–0.66 (wild cluster bootstrap)"."""
    words(lang)
    lo, hi = format_value(low, "", decimals, lang=lang), format_value(high, "", decimals, lang=lang)
    if lang == "zh":
        return f"95% 置信区间 {lo}–{hi}" + ("（野聚类自助法）" if wild else "")
    return f"95% CI {lo} to {hi}" + (" (wild cluster bootstrap)" if wild else "")


def uplift_pct(elasticity: float, step_pct: float = 10.0) -> float:
    """The % change in the outcome when the regressor rises by ``step_pct`` %, for a log-log
    elasticity: (1 + step/100) ** elasticity − 1, in %. Exact, not the linear approximation."""
    return ((1.0 + step_pct / 100.0) ** elasticity - 1.0) * 100.0


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
    step = f"{step_pct:g}%"
    level = f"{conf_level * 100:g}%"
    if lang == "zh":
        verb = "高" if x >= 0 else "低"
        if n_lags > 0:
            return (f"当周及此前 {n_lags} 周的{engagement_label}都高出{step}时，当周{conversion_label}平均{verb}约{fx}"
                    f"（{level}置信区间 {fa}–{fb}）。这是当周与滞后 1—{n_lags} 周弹性之和，描述的是控制品牌与周固定效应后的"
                    "关联，不能解读为提升互动带来的因果效应。")
        return (f"{engagement_label}高出{step}的品牌周，{conversion_label}平均{verb}约{fx}（{level}置信区间 {fa}–{fb}）；"
                "这是控制品牌与周固定效应后的关联，不能解读为因果效应。")
    words(lang)
    verb = "higher" if x >= 0 else "lower"
    if n_lags > 0:
        return (f"When {engagement_label.lower()} is {step} higher in the same week and in each of the {n_lags} weeks "
                f"before, {conversion_label.lower()} in that week is on average about {fx} {verb} ({level} CI {fa} to "
                f"{fb}). This is the sum of the same-week and lag 1–{n_lags} elasticities: an association after brand "
                "and week fixed effects, not the causal effect of raising engagement.")
    return (f"Brand-weeks with {step} more {engagement_label.lower()} have on average about {fx} {verb} "
            f"{conversion_label.lower()} ({level} CI {fa} to {fb}): an association after brand and week fixed "
            "effects, not a causal effect.")


def engagement_summary(*, category: str, engagement_label: str, conversion_label: str, pooled: Any, boot: Any,
                       within: Any, claimed_r: float, total: Any, placebo: Any, n_lags: int, lang: str,
                       calibrated_r: float | None = None) -> str:
    """Summary paragraph: the claim tested against the brand-level bootstrap interval (and, for a
    simulated panel, that its simulator was calibrated to the claim), the within-brand correlation,
    the long-run elasticity as an association cumulative over its lags, and what the lead placebo
    test did and did not rule out (its p-value and minimum detectable lead effect)."""
    f2 = lambda v: format_value(v, "", 2, lang=lang)  # noqa: E731
    inside = boot.ci_low <= claimed_r <= boot.ci_high
    uplift = elasticity_sentence(estimate=total.estimate, ci_low=total.ci_low, ci_high=total.ci_high,
                                 engagement_label=engagement_label, conversion_label=conversion_label, lang=lang,
                                 n_lags=n_lags)
    p = format_value(placebo.p_value, "", 3, lang=lang)
    mde = f2(placebo.mde)
    if lang == "zh":
        verdict = "在区间之内，数据与该说法一致" if inside else "不在区间之内，数据不支持该说法"
        calibrated = (f"但本报告的互动与转化数据是模拟数据，其模拟器按 r ≈ {f2(calibrated_r)} 校准，"
                      "因此这一致性不构成支持该说法的证据。" if calibrated_r is not None else "")
        timing = (f"加入未来各周互动量的安慰剂检验联合 p = {p}；在 80% 检验力下可检出的最小超前效应为 {mde}，"
                  "更小的超前关联无法排除。" if not placebo.rejected else
                  f"但未来各周互动量与当周转化也显著相关（安慰剂检验 p = {p}），估计可能混有反向时序或共同冲击（如营销活动）。")
        return (
            f"{category}类目中，{engagement_label}与{conversion_label}（均取对数）的混合相关系数为 {f2(pooled.r)}"
            f"（n = {pooled.n:,} 个品牌周）。品牌周之间并不独立，按品牌整块重抽样的自助法 95% 置信区间为 "
            f"{f2(boot.ci_low)} 至 {f2(boot.ci_high)}（Fisher 区间 {f2(pooled.ci_low)} 至 {f2(pooled.ci_high)} 偏窄）；"
            f"公开说法 r = {f2(claimed_r)} {verdict}。{calibrated}混合相关主要来自品牌之间的规模差异：剔除品牌与周固定效应后，"
            f"品牌内部的偏相关系数仅为 {f2(within.r)}（{f2(within.ci_low)} 至 {f2(within.ci_high)}）。"
            f"{uplift}{timing}"
        )
    verdict = "inside it, so the data are consistent with the claim" if inside else \
        "outside it, so the data do not support the claim"
    calibrated = (f" But the engagement and conversion data of this report are simulated, by a simulator calibrated to "
                  f"r ≈ {f2(calibrated_r)}, so this agreement is not evidence for the claim." if calibrated_r is not None else "")
    timing = (f"The placebo test adding future engagement has a joint p = {p}; the smallest lead effect it detects with "
              f"80% power is {mde}, so smaller lead associations are not ruled out." if not placebo.rejected else
              f"But future engagement is also associated with current conversion (placebo p = {p}): the estimate may mix "
              "in reverse timing or common shocks such as campaigns.")
    return (
        f"In {category}, the pooled correlation of {engagement_label.lower()} and {conversion_label.lower()} (both in "
        f"logs) is {f2(pooled.r)} (n = {pooled.n:,} brand-weeks). Brand-weeks are not independent: resampling whole "
        f"brands, the bootstrap 95% CI is {f2(boot.ci_low)} to {f2(boot.ci_high)} (the Fisher interval, "
        f"{f2(pooled.ci_low)} to {f2(pooled.ci_high)}, is too narrow); the published claim r = {f2(claimed_r)} is "
        f"{verdict}.{calibrated} The pooled figure mostly reflects size differences between brands: after removing brand "
        f"and week fixed effects, the within-brand partial correlation is only {f2(within.r)} ({f2(within.ci_low)} to "
        f"{f2(within.ci_high)}). {uplift} {timing}"
    )


def engagement_methods(*, formula: str, vcov_label: str, n_obs: int, n_clusters: int, n_lags: int,
                       n_leads: int, simulated: bool, lang: str, inference_label: str = "",
                       coverage_replications: int = 0) -> str:
    """The methods paragraph of the engagement section. ``inference_label`` names how the main
    table's p-values and intervals were obtained (the wild cluster bootstrap below
    :data:`FEW_CLUSTERS` clusters); ``coverage_replications`` > 0 mentions the coverage certificate."""
    few = n_clusters < FEW_CLUSTERS
    if lang == "zh":
        return (
            f"内容种草与转化：以品牌 × 周面板做对数-对数回归，转化指标对当周及滞后 1—{n_lags} 周的互动量回归，"
            f"以去均值方式吸收品牌与周固定效应（pyfixest，模型 {formula}），标准误{vcov_label}；样本 {n_obs:,} 个品牌周，"
            f"{n_clusters} 个品牌。滞后与超前项均在品牌内部构造，不跨品牌。主表并列当周模型、分布滞后模型、"
            f"泊松伪极大似然（PPML，水平值为因变量）与 Driscoll–Kraay 标准误的同一模型。"
            + (f"聚类数仅 {n_clusters} 个（少于 {FEW_CLUSTERS} 个时常规聚类 t 检验可能过度拒绝），因此按品牌聚类的模型的 p 值与 "
               f"95% 置信区间来自{inference_label}；PPML 以同一方法作用于其在估计值处线性化的 IRLS 工作模型（得分自助法）；"
               "括号内仍为 CRV1 聚类标准误。Driscoll–Kraay 列按周期数使用 t 分布。"
               if few and inference_label else "")
            + (f"覆盖率检验：在与本节相同的品牌、周期、滞后项与固定效应上，按残差估计的一阶自相关生成误差，重复模拟 "
               f"{coverage_replications:,} 次，统计长期弹性置信区间覆盖真值的比例。" if coverage_replications else "")
            + f"安慰剂检验在模型中加入未来 1—{n_leads} 周的互动量，对其系数全为零做联合检验，并报告 80% 检验力下可检出的最小超前效应；"
            "p 值不显著只说明没有发现超前关联，不说明超前关联为零。Granger 检验在类目汇总的周度时间序列上"
            "双向进行，只说明先后顺序，不等于因果。广告存量（adstock）按几何衰减构造，衰减率以组内 R² 最大在网格上选取，"
            "其置信区间由按品牌聚类的非线性最小二乘稳健方差得到。"
            "相关系数给出 Fisher z 区间和按品牌整块重抽样的自助法区间；品牌内偏相关为两变量去除品牌与周固定效应后残差的相关。"
            "回归诊断（方差膨胀因子、Breusch–Pagan、RESET、Cook 距离）见附录，基于去除固定效应后的模型。"
            "本节的回归描述关联；没有随机分配或外生冲击，弹性不应解读为因果效应。"
            + ("互动与转化数据为模拟数据，真实参数已知，用于检验方法能否还原真实值。" if simulated else "")
        )
    return (
        f"Content seeding and conversion: a log-log regression on the brand × week panel of conversion on "
        f"engagement in the same week and lags 1–{n_lags}, with brand and week fixed effects absorbed by demeaning "
        f"(pyfixest, model {formula}); standard errors {vcov_label}; {n_obs:,} brand-weeks, {n_clusters} brands. "
        f"Lags and leads are built within brand, never across brands. The main table sets side by side the "
        f"same-week model, the distributed-lag model, Poisson pseudo-maximum likelihood (PPML, outcome in levels) "
        f"and the distributed-lag model with Driscoll–Kraay standard errors. "
        + (f"With only {n_clusters} clusters (conventional clustered t tests can over-reject below about "
           f"{FEW_CLUSTERS}), the p-values and 95% CIs of the brand-clustered models come from {inference_label}; PPML "
           "gets the same bootstrap on its IRLS working model linearised at the estimate (a score bootstrap); the "
           "standard errors in parentheses stay CRV1. The Driscoll–Kraay column uses t with the number of periods. "
           if few and inference_label else "")
        + (f"Coverage check: {coverage_replications:,} simulations of this section's own design (the same brands, "
           "periods, lags and fixed effects, errors with the residuals' first-order autocorrelation) count how often "
           "the long-run elasticity's interval covers the true value. " if coverage_replications else "")
        + f"The placebo test adds engagement 1–{n_leads} weeks ahead, tests jointly that their coefficients are zero "
        "and reports the smallest lead effect it detects with 80% power; a non-significant p-value means no lead "
        "association was found, not that there is none. Granger tests run both ways on the weekly category totals "
        "and show which series moves first, not causation. Adstock is a geometric carry-over whose decay is chosen "
        "on a grid by the highest within-R², with a confidence interval from the brand-clustered sandwich of the "
        "nonlinear least-squares fit. Correlations come with Fisher z intervals and with a bootstrap that resamples "
        "whole brands; the within-brand partial correlation is the correlation of both variables' residuals after "
        "brand and week fixed effects. Diagnostics (variance inflation factors, Breusch–Pagan, RESET, Cook's "
        "distance), on the demeaned model, are in the appendix. The regressions describe associations: without "
        "random assignment or an external shock, the elasticities are not causal effects."
        + (" The engagement and conversion data are simulated with known true parameters, so the report can check "
           "that the method recovers them." if simulated else "")
    )