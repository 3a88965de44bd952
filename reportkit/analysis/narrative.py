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
                   method_label: str, lang: str) -> str:
    """The market section's summary paragraph from the growth table's last row, CAGR and forecast."""
    year = int(latest["year"])
    level = _yuan(latest["level"], lang)
    official = _pct(latest["yoy_official_pct"], lang)
    levels = _pct(latest["yoy_from_levels_pct"], lang)
    gap = format_value(latest["gap_pp"], "", 1, lang=lang)
    c = _pct(cagr.cagr_pct, lang)
    h = forecast_row["period"]  # "2029", or "2029Q4" for a quarterly series
    f = _yuan(forecast_row["forecast"], lang)
    lo, hi = _yuan(forecast_row["lo80"], lang), _yuan(forecast_row["hi80"], lang)
    if lang == "zh":
        return (
            f"{year} 年{series_label}为 {level}，国家统计局公布的可比口径同比增长 {official}；"
            f"若直接按相邻两年公布的总量计算，增长仅为 {levels}，两者相差 {gap} 个百分点，"
            f"原因是统计局按当年口径调整了上年基数。本报告两种增速并列并分别标注。"
            f"{cagr.start_year}—{cagr.end_year} 年按公布总量计算的年均复合增长率为 {c}。"
            f"{method_label}预测 {h} 年为 {f}（80% 预测区间 {lo} 至 {hi}）。"
        )
    return (
        f"In {year}, {series_label} reached {level}, up {official} year on year on the comparable basis "
        f"published by NBS; computed from the two published levels, growth was only {levels}, a gap of "
        f"{gap} percentage points, because NBS restates the prior-year base to the current scope. "
        f"This report shows both measures, each labelled. The compound annual growth rate from "
        f"{cagr.start_year} to {cagr.end_year}, from published levels, was {c}. The {method_label} "
        f"forecast for {h} is {f} (80% prediction interval {lo} to {hi})."
    )


def market_methods(*, series_label: str, first_fit_year: int, last_year: int, method_label: str,
                   threshold_pp: float, n_origins: int, lang: str) -> str:
    n_years = last_year - first_fit_year + 1
    if lang == "zh":
        return (
            f"市场规模：{series_label}年度数据来自国家统计局。同比增速给出两种口径：统计局公布的可比口径增速，"
            f"以及按相邻年份公布总量直接计算的增速；两者相差超过 {threshold_pp:g} 个百分点的年份在表中标出，并在正文说明原因。"
            f"年均复合增长率按起止年份的公布总量计算。月度值由 1 至当月累计值逐月相减得到，1–2 月合并发布的值不拆分，"
            f"缺少累计值的月份记为未知、不补零。预测模型（朴素法、带漂移的随机游走、Theta 法、ETS、自动定阶 ARIMA）"
            f"以滚动起点回测按 MASE 比较，选用{method_label}；模型在 {first_fit_year}—{last_year} 年总量的对数上拟合"
            f"（statsmodels），预测值为预测分布的中位数，并给出 80% 与 95% 预测区间。年度序列仅 {n_years} 个观测，"
            f"回测只有 {n_origins} 个预测起点，模型之间的差异证据有限；公布总量存在口径调整，模型按可比序列外推，"
            f"预测区间应从宽解读。"
        )
    return (
        f"Market size: annual {series_label} from NBS. Growth is given two ways: the official rate on a comparable "
        f"basis as published, and the rate computed from consecutive published levels; years where they differ by more "
        f"than {threshold_pp:g} percentage points are flagged and explained in the text. CAGR uses the published levels "
        f"of its first and last year. Monthly values are differences of January-to-month cumulative values within a "
        f"year; the combined January–February value is not split, and months without a cumulative release are unknown, "
        f"never zero. The forecasting models (naive, random walk with drift, Theta, ETS, ARIMA with automatic order "
        f"selection) are compared by MASE in a rolling-origin backtest, and the {method_label} is used; it is fitted to "
        f"the log of {first_fit_year}–{last_year} levels (statsmodels), forecasts are medians of the predictive "
        f"distribution, with 80% and 95% prediction intervals. With only {n_years} annual observations the backtest has "
        f"{n_origins} origins, so the evidence separating the models is thin; published levels carry scope changes "
        f"that every model extrapolates as if comparable, so read the intervals generously."
    )


# --------------------------------------------------------------------------- engagement


def uplift_pct(elasticity: float, step_pct: float = 10.0) -> float:
    """The % change in the outcome when the regressor rises by ``step_pct`` %, for a log-log
    elasticity: (1 + step/100) ** elasticity − 1, in %. Exact, not the linear approximation."""
    return ((1.0 + step_pct / 100.0) ** elasticity - 1.0) * 100.0


def elasticity_sentence(*, estimate: float, ci_low: float, ci_high: float, engagement_label: str,
                        conversion_label: str, lang: str, step_pct: float = 10.0, conf_level: float = 0.95) -> str:
    """「笔记互动量每提升10%，加购量平均提升约x%（95%置信区间 a%–b%）」 from an elasticity and its CI.

    The interval is the elasticity's interval mapped through the same (monotone) transformation.
    """
    x, a, b = (uplift_pct(v, step_pct) for v in (estimate, ci_low, ci_high))
    fx, fa, fb = (format_value(v, "%", 1, lang=lang) for v in (x, a, b))
    step = f"{step_pct:g}%"
    level = f"{conf_level * 100:g}%"
    if lang == "zh":
        verb = "提升" if x >= 0 else "下降"
        return f"{engagement_label}每提升{step}，{conversion_label}平均{verb}约{fx}（{level}置信区间 {fa}–{fb}）。"
    words(lang)
    verb = "rises" if x >= 0 else "falls"
    return (f"When {engagement_label.lower()} rises by {step}, {conversion_label.lower()} {verb} by about {fx} on "
            f"average ({level} CI {fa} to {fb}).")


def engagement_summary(*, category: str, engagement_label: str, conversion_label: str, pooled: Any, boot: Any,
                       within: Any, claimed_r: float, total: Any, placebo_passed: bool, lang: str) -> str:
    """Summary paragraph: the claim tested against the brand-level bootstrap interval, the
    within-brand correlation, the long-run elasticity as a 10 % uplift, and the placebo verdict."""
    f2 = lambda v: format_value(v, "", 2, lang=lang)  # noqa: E731
    inside = boot.ci_low <= claimed_r <= boot.ci_high
    uplift = elasticity_sentence(estimate=total.estimate, ci_low=total.ci_low, ci_high=total.ci_high,
                                 engagement_label=engagement_label, conversion_label=conversion_label, lang=lang)
    if lang == "zh":
        verdict = "在区间之内，数据与该说法一致" if inside else "不在区间之内，数据不支持该说法"
        placebo = ("未来互动量对当期转化没有显著解释力（安慰剂检验通过），与互动先于转化的时间顺序一致。" if placebo_passed
                   else "但未来互动量对当期转化也有显著解释力（安慰剂检验未通过），估计可能混有反向因果或共同冲击。")
        return (
            f"{category}类目中，{engagement_label}与{conversion_label}（均取对数）的混合相关系数为 {f2(pooled.r)}"
            f"（n = {pooled.n:,} 个品牌周）。品牌周之间并不独立，按品牌整块重抽样的自助法 95% 置信区间为 "
            f"{f2(boot.ci_low)} 至 {f2(boot.ci_high)}（Fisher 区间 {f2(pooled.ci_low)} 至 {f2(pooled.ci_high)} 偏窄）；"
            f"公开说法 r = {f2(claimed_r)} {verdict}。但混合相关主要来自品牌之间的规模差异：剔除品牌与周固定效应后，"
            f"品牌内部的偏相关系数仅为 {f2(within.r)}（{f2(within.ci_low)} 至 {f2(within.ci_high)}）。"
            f"双向固定效应回归显示：{uplift}{placebo}"
        )
    verdict = "inside it, so the data are consistent with the claim" if inside else \
        "outside it, so the data do not support the claim"
    placebo = ("Future engagement does not predict current conversion (the placebo test passes), consistent with "
               "engagement coming first." if placebo_passed else
               "But future engagement also predicts current conversion (the placebo test fails): the estimate may "
               "mix in reverse causality or common shocks.")
    return (
        f"In {category}, the pooled correlation of {engagement_label.lower()} and {conversion_label.lower()} (both in "
        f"logs) is {f2(pooled.r)} (n = {pooled.n:,} brand-weeks). Brand-weeks are not independent: resampling whole "
        f"brands, the bootstrap 95% CI is {f2(boot.ci_low)} to {f2(boot.ci_high)} (the Fisher interval, "
        f"{f2(pooled.ci_low)} to {f2(pooled.ci_high)}, is too narrow); the published claim r = {f2(claimed_r)} is "
        f"{verdict}. The pooled figure mostly reflects size differences between brands: after removing brand and "
        f"week fixed effects, the within-brand partial correlation is only {f2(within.r)} ({f2(within.ci_low)} to "
        f"{f2(within.ci_high)}). The two-way fixed-effects regression: {uplift} {placebo}"
    )


def engagement_methods(*, formula: str, vcov_label: str, n_obs: int, n_clusters: int, n_lags: int,
                       n_leads: int, simulated: bool, lang: str) -> str:
    few = n_clusters < FEW_CLUSTERS
    if lang == "zh":
        return (
            f"内容种草与转化：以品牌 × 周面板做对数-对数回归，转化指标对当周及滞后 1—{n_lags} 周的互动量回归，"
            f"以去均值方式吸收品牌与周固定效应（pyfixest，模型 {formula}），标准误{vcov_label}；样本 {n_obs:,} 个品牌周，"
            f"{n_clusters} 个品牌。滞后与超前项均在品牌内部构造，不跨品牌。主表并列当周模型、分布滞后模型、"
            f"泊松伪极大似然（PPML，水平值为因变量）与 Driscoll–Kraay 标准误的同一模型。安慰剂检验在模型中加入"
            f"未来 1—{n_leads} 周的互动量，对其系数全为零做联合 Wald 检验；Granger 检验在类目汇总的周度时间序列上"
            f"双向进行，只说明先后顺序，不等于因果。广告存量（adstock）按几何衰减构造，衰减率以组内 R² 最大在网格上选取。"
            f"相关系数给出 Fisher z 区间和按品牌整块重抽样的自助法区间；品牌内偏相关为两变量去除品牌与周固定效应后残差的相关。"
            f"回归诊断（方差膨胀因子、Breusch–Pagan、RESET、Cook 距离）见附录，基于去除固定效应后的模型。"
            + ("互动与转化数据为模拟数据，真实参数已知，用于检验方法能否还原真实值。" if simulated else "")
            + (f"聚类数仅 {n_clusters} 个，少于约 30 个时聚类稳健标准误可能偏小，置信区间应从宽解读。" if few else "")
        )
    return (
        f"Content seeding and conversion: a log-log regression on the brand × week panel of conversion on "
        f"engagement in the same week and lags 1–{n_lags}, with brand and week fixed effects absorbed by demeaning "
        f"(pyfixest, model {formula}); standard errors {vcov_label}; {n_obs:,} brand-weeks, {n_clusters} brands. "
        f"Lags and leads are built within brand, never across brands. The main table sets side by side the "
        f"same-week model, the distributed-lag model, Poisson pseudo-maximum likelihood (PPML, outcome in levels) "
        f"and the distributed-lag model with Driscoll–Kraay standard errors. The placebo test adds engagement "
        f"1–{n_leads} weeks ahead and tests jointly (Wald) that their coefficients are zero; Granger tests run both "
        f"ways on the weekly category totals and show which series moves first, not causation. Adstock is a "
        f"geometric carry-over whose decay is chosen on a grid by the highest within-R². Correlations come with "
        f"Fisher z intervals and with a bootstrap that resamples whole brands; the within-brand partial "
        f"correlation is the correlation of both variables' residuals after brand and week fixed effects. "
        f"Diagnostics (variance inflation factors, Breusch–Pagan, RESET, Cook's distance), on the demeaned model, "
        f"are in the appendix."
        + (" The engagement and conversion data are simulated with known true parameters, so the report can check "
           "that the method recovers them." if simulated else "")
        + (f" With only {n_clusters} clusters (fewer than about 30), clustered standard errors can be too "
           f"small; read the intervals generously." if few else "")
    )
