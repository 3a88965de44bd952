from __future__ import annotations

import warnings
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from reportkit.analysis import narrative, plots
from reportkit.errors import AnalysisError, RenderError
from reportkit.record import make_record

LATEST = {"year": 2024, "level": 155225.0, "yoy_official_pct": 7.2, "yoy_from_levels_pct": 0.623, "gap_pp": 6.577}
CAGR = SimpleNamespace(start_year=2019, end_year=2024, cagr_pct=7.861)
END = {"period": "2029", "forecast": 184620.4, "lo80": 177304.0, "hi80": 192238.0}


def test_market_summary_numbers_come_from_the_inputs():
    zh = narrative.market_summary(series_label="全国网上零售额", latest=LATEST, cagr=CAGR, forecast_row=END,
                                  method_label="ETS", lang="zh")
    assert "155,225 亿元" in zh and "7.2%" in zh and "0.6%" in zh and "6.6 个百分点" in zh and "7.9%" in zh
    assert "184,620 亿元" in zh and "2019—2024" in zh
    en = narrative.market_summary(series_label="online retail sales", latest=LATEST, cagr=CAGR, forecast_row=END,
                                  method_label="ETS", lang="en")
    assert "15.52 trn yuan" in en and "up 7.2%" in en and "only 0.6%" in en


def test_engagement_summary_tests_the_claim_against_the_brand_bootstrap_interval():
    pooled = SimpleNamespace(r=0.728, ci_low=0.695, ci_high=0.759, n=832)
    boot = SimpleNamespace(r=0.728, ci_low=0.558, ci_high=0.804)
    within = SimpleNamespace(r=0.41, ci_low=0.34, ci_high=0.47)
    total = SimpleNamespace(estimate=0.565, ci_low=0.459, ci_high=0.670)
    quiet = SimpleNamespace(p_value=0.41, mde=0.21, rejected=False)
    loud = SimpleNamespace(p_value=0.004, mde=0.21, rejected=True)
    args = dict(category="美妆个护", engagement_label="互动量", conversion_label="加购数", pooled=pooled, boot=boot,
                within=within, total=total, n_lags=2)
    zh = narrative.engagement_summary(claimed_r=0.73, placebo=quiet, lang="zh", **args)
    assert "0.56 至 0.80" in zh and "在区间之内" in zh
    # association, cumulative over the lags it sums; no "passed": what the placebo can and cannot rule out
    assert "当周及此前 2 周的互动量都高出10%时，当周加购数平均高约5.5%" in zh  # 1.1 ** 0.565 − 1 = 5.53 %
    assert "弹性之和" in zh and "不能解读为提升互动带来的因果效应" in zh
    assert "安慰剂检验通过" not in zh and "最小超前效应为 0.21" in zh and "p = 0.410" in zh
    # 0.78 is outside the Fisher interval but inside the brand bootstrap one: the claim stands
    assert "在区间之内" in narrative.engagement_summary(claimed_r=0.78, placebo=quiet, lang="zh", **args)
    assert "不在区间之内" in narrative.engagement_summary(claimed_r=0.85, placebo=quiet, lang="zh", **args)
    en = narrative.engagement_summary(claimed_r=0.85, placebo=loud, lang="en", **args)
    assert "outside it" in en and "also associated with current conversion" in en and "not the causal effect" in en
    # a simulator calibrated to the claim: agreement is not evidence
    sim = narrative.engagement_summary(claimed_r=0.73, placebo=quiet, lang="en", calibrated_r=0.73, **args)
    assert "calibrated to r ≈ 0.73, so this agreement is not evidence" in sim
    assert "校准" in narrative.engagement_summary(claimed_r=0.73, placebo=quiet, lang="zh", calibrated_r=0.73, **args)
    assert "校准" not in zh


def test_few_clusters_name_the_wild_bootstrap_in_the_methods():
    common = dict(formula="y ~ x | a + b", n_lags=2, n_leads=2, simulated=True)
    few = narrative.engagement_methods(vcov_label="按品牌聚类（CRV1）", n_obs=816, n_clusters=8, lang="zh",
                                       inference_label="限制性野聚类自助法（WCR）", coverage_replications=500, **common)
    many = narrative.engagement_methods(vcov_label="clustered by brand (CRV1)", n_obs=4896, n_clusters=48, lang="en",
                                        inference_label="t(47)", **common)
    assert "聚类数仅 8 个" in few and "限制性野聚类自助法" in few and "得分自助法" in few
    assert "500 次" in few and "fewer than about 30" not in many and "Coverage check" not in many
    assert "模拟数据" in few and "simulated" in many
    assert "不应解读为因果效应" in few and "not causal effects" in many


def test_labels_and_unknown_language():
    assert narrative.category_label("美妆个护", "en") == "Beauty & personal care"
    assert narrative.category_label("美妆个护", "zh") == "美妆个护"
    assert narrative.category_label("宠物", "en") == "宠物"
    assert narrative.vcov_label("brand", "zh") == "按品牌聚类（CRV1）"
    assert narrative.interval_note(177304, 192238, unit="亿元", decimals=0, level=80, lang="zh") == "80% 区间 177,304 亿元—192,238 亿元"
    assert narrative.interval_note(177304, 192238, unit="亿元", decimals=0, level=80, lang="en").startswith("80% interval 17.73 trn yuan")
    with pytest.raises(AnalysisError, match="expected one of zh, en"):
        narrative.words("fr")
    assert set(narrative.words("zh")) == set(narrative.words("en"))


def test_chinese_labels_draw_without_missing_glyphs():
    plots.use_theme()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    ax.set_xlabel("互动量（点赞+评论+收藏）")
    ax.set_title("美妆个护：加购数")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph … missing" warning would fail here
        rec = make_record("fig", fig)
    assert rec.svg.startswith("<svg")
    plt.close(fig)


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(plots, "cjk_font_files", lambda: [])
    with pytest.raises(RenderError, match="no Noto Sans CJK SC font found.*fonts-noto-cjk"):
        plots.use_theme()


def test_a_figure_with_tofu_is_refused():
    from reportkit.errors import RecordError

    fig, ax = plt.subplots()
    ax.set_title("美妆个护", fontfamily="DejaVu Sans")  # DejaVu has no Chinese glyphs
    with pytest.raises(RecordError, match="cannot draw"):
        make_record("fig", fig)
    plt.close(fig)


def test_elasticity_sentence_maps_the_interval_exactly():
    # 1.1 ** 0.56 − 1 = 5.478…%; 1.1 ** 0.46 − 1 = 4.481…%; 1.1 ** 0.67 − 1 = 6.594…%
    zh = narrative.elasticity_sentence(estimate=0.56, ci_low=0.46, ci_high=0.67, engagement_label="笔记互动量",
                                       conversion_label="加购量", lang="zh")
    assert zh.startswith("笔记互动量高出10%的品牌周，加购量平均高约5.5%（95%置信区间 4.5%–6.6%）；")
    assert "关联" in zh and "不能解读为因果效应" in zh
    lagged = narrative.elasticity_sentence(estimate=0.56, ci_low=0.46, ci_high=0.67, engagement_label="笔记互动量",
                                           conversion_label="加购量", lang="zh", n_lags=2)
    assert lagged.startswith("当周及此前 2 周的笔记互动量都高出10%时，当周加购量平均高约5.5%（95%置信区间 4.5%–6.6%）。")
    assert "当周与滞后 1—2 周弹性之和" in lagged
    en = narrative.elasticity_sentence(estimate=0.56, ci_low=0.46, ci_high=0.67, engagement_label="Note engagement",
                                       conversion_label="Add-to-cart", lang="en", n_lags=2)
    assert en.startswith("When note engagement is 10% higher in the same week and in each of the 2 weeks before, "
                         "add-to-cart in that week is on average about 5.5% higher (95% CI 4.5% to 6.6%).")
    assert "sum of the same-week and lag 1–2 elasticities" in en and "not the causal effect" in en
    assert narrative.uplift_pct(0.0) == 0.0
    assert narrative.uplift_pct(1.0) == pytest.approx(10.0)
