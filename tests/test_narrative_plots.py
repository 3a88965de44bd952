from __future__ import annotations

import warnings
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from reportkit.analysis import narrative, plots  # noqa: E402
from reportkit.errors import AnalysisError, RenderError  # noqa: E402
from reportkit.record import make_record  # noqa: E402

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
    args = dict(category="美妆个护", engagement_label="互动量", conversion_label="加购数", pooled=pooled, boot=boot,
                within=within, total=total)
    zh = narrative.engagement_summary(claimed_r=0.73, placebo_passed=True, lang="zh", **args)
    assert "0.56 至 0.80" in zh and "在区间之内" in zh and "安慰剂检验通过" in zh
    assert "互动量每提升10%，加购数平均提升约5.5%" in zh  # 1.1 ** 0.565 − 1 = 5.53 %
    # 0.78 is outside the Fisher interval but inside the brand bootstrap one: the claim stands
    assert "在区间之内" in narrative.engagement_summary(claimed_r=0.78, placebo_passed=True, lang="zh", **args)
    assert "不在区间之内" in narrative.engagement_summary(claimed_r=0.85, placebo_passed=True, lang="zh", **args)
    en = narrative.engagement_summary(claimed_r=0.85, placebo_passed=False, lang="en", **args)
    assert "outside it" in en and "placebo test fails" in en


def test_few_clusters_are_flagged_in_the_methods():
    common = dict(formula="y ~ x | a + b", n_lags=2, n_leads=2, simulated=True)
    few = narrative.engagement_methods(vcov_label="按品牌聚类（CRV1）", n_obs=816, n_clusters=8, lang="zh", **common)
    many = narrative.engagement_methods(vcov_label="clustered by brand (CRV1)", n_obs=4896, n_clusters=48, lang="en",
                                        **common)
    assert "聚类数仅 8 个" in few and "fewer than about 30" not in many
    assert "模拟数据" in few and "simulated" in many


def test_labels_and_unknown_language():
    assert narrative.category_label("美妆个护", "en") == "Beauty & personal care"
    assert narrative.category_label("美妆个护", "zh") == "美妆个护"
    assert narrative.category_label("宠物", "en") == "宠物"
    assert narrative.vcov_label("brand", "zh") == "按品牌聚类（CRV1）"
    assert narrative.interval_note(177304, 192238, unit="亿元", decimals=0, level=80, lang="zh") == "80% 区间 177,304 亿元—192,238 亿元"
    assert narrative.interval_note(177304, 192238, unit="亿元", decimals=0, level=80, lang="en").startswith("80% interval 17.73 trn yuan")
    with pytest.raises(AnalysisError, match="expected one of zh, en"):
        narrative.words("fr")
    assert set(narrative.WORDS["zh"]) == set(narrative.WORDS["en"])


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
    assert zh == "笔记互动量每提升10%，加购量平均提升约5.5%（95%置信区间 4.5%–6.6%）。"
    en = narrative.elasticity_sentence(estimate=0.56, ci_low=0.46, ci_high=0.67, engagement_label="Note engagement",
                                       conversion_label="Add-to-cart", lang="en")
    assert en == "When note engagement rises by 10%, add-to-cart rises by about 5.5% on average (95% CI 4.5% to 6.6%)."
    assert narrative.uplift_pct(0.0) == 0.0
    assert narrative.uplift_pct(1.0) == pytest.approx(10.0)
