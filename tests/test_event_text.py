"""The words of the adoption chapter (reportkit.analysis.event_text) and its figure (event_plots):
sentences in both languages carry the numbers and intervals they describe, tables have their
columns, the figure builds with and without the truth."""
from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from reportkit.analysis import event_plots, plots
from reportkit.analysis import event_text as et
from reportkit.analysis.event_imputation import Effect
from reportkit.analysis.event_inference import Breakdown, PreTrend
from reportkit.analysis.event_panel import prepare_event_panel
from reportkit.analysis.event_study import EventStudy, fit_event_study, true_path_frame
from reportkit.errors import AnalysisError
from reportkit.record import make_record

# --------------------------------------------------------------------------- a known result


def _effect(est: float, lo: float, hi: float, df: int = 47, n_obs: int = 1872, n_ent: int = 36) -> Effect:
    return Effect(estimate=est, se=(hi - lo) / 4, ci_low=lo, ci_high=hi, p_value=0.0004, df=df, n_obs=n_obs,
                  n_entities=n_ent)


def _path() -> pd.DataFrame:
    e = list(range(-8, 0)) + list(range(0, 17))
    est = [0.01 * (k % 3 - 1) for k in range(8)] + [0.03 + 0.006 * k for k in range(17)]
    return pd.DataFrame({"event_time": e, "part": ["lead"] * 8 + ["lag"] * 17, "estimate": est,
                         "se": 0.05, "ci_low": [x - 0.1 for x in est], "ci_high": [x + 0.1 for x in est],
                         "p_value": 0.5, "n_obs": 36, "n_entities": 36})


PRE = PreTrend(leads=_path().iloc[:8], statistic=0.527, df1=8, df2=47, p_value=0.830, method="crv1_f",
               slope=-0.0002, slope_se=0.00168, mde_slope=0.0070327)
FRAGILE = Breakdown(bias_per_slope=37.6, breakdown_slope=0.0015156, mde_slope=0.0070327, power_at_breakdown=0.0748)
ROBUST = Breakdown(bias_per_slope=37.6, breakdown_slope=0.0123, mde_slope=0.0070327, power_at_breakdown=0.97)
BY_GROUP = pd.DataFrame({"group": ["美妆个护", "母婴", "服饰鞋包"], "estimate": [0.205, 0.209, 0.030],
                         "se": 0.04, "ci_low": [0.094, 0.136, -0.059], "ci_high": [0.316, 0.281, 0.119],
                         "p_value": 0.01, "n_obs": 312, "n_entities": [6, 6, 5], "df": [5, 5, 4]})
BY_COHORT = pd.DataFrame({"cohort": ["2023-07-03", "2024-01-01"], "period": [27, 53], "estimate": [0.126, 0.131],
                          "se": 0.04, "ci_low": [0.052, 0.040], "ci_high": [0.201, 0.221], "p_value": 0.01,
                          "n_obs": [936, 624], "n_entities": [12, 12]})
ES = EventStudy(estimator="did2s", control="not_yet", window=(-8, 16), conf_level=0.95, log=True, n_obs=4992,
                n_entities=48, n_treated=36, n_never=12, path=_path(), att=_effect(0.12002, 0.0569, 0.1831),
                by_cohort=BY_COHORT, by_group=BY_GROUP, twfe=_effect(0.114, 0.058, 0.170),
                twfe_negative_share=1 / 6, pretrend=PRE, sensitivity=FRAGILE)
TRUTH = {"att_overall": 0.1318, "design": {"start": "2023-01-02"},
         "att_by_cohort": {"26": 0.1695, "52": 0.1103},
         "att_by_category": {"美妆个护": 0.2227, "母婴": 0.1670, "服饰鞋包": 0.1336},
         "att_by_event_time": {"event_time": list(range(0, 30)), "effect": [0.12 * (1 - np.exp(-(e + 1) / 4))
                                                                           for e in range(30)]}}


def _panel(freq: str = "7D", time_values=None) -> pd.DataFrame:
    periods = time_values if time_values is not None else pd.date_range("2024-01-01", periods=6, freq=freq)
    rows = []
    for b, adopt in (("A", periods[3]), ("B", periods[2]), ("C", None), ("D", None)):
        for t in periods:
            rows.append({"brand": b, "category": "美妆个护", "week": t, "adoption_week": adopt, "add_to_cart": 100.0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def w() -> et.EventWords:
    return et.words(prepare_event_panel(_panel(), entity="brand", time="week", adoption="adoption_week",
                                        outcome="add_to_cart", group="category"))


# --------------------------------------------------------------------------- words


def test_words_name_the_panels_parts_in_both_languages(w):
    assert (w.entity["zh"], w.entity["en"]) == ("品牌", "brand")
    assert (w.entities["en"], w.entity_period["zh"], w.entity_period["en"]) == ("brands", "品牌周", "brand-weeks")
    assert (w.period["zh"], w.periods["en"]) == ("周", "weeks")
    assert (w.outcome["en"], w.outcome_label["en"], w.group["en"], w.group_label["zh"]) == (
        "add-to-cart", "Add-to-cart", "category", "类目")


def test_the_period_word_follows_the_spacing_of_the_periods():
    def words_of(frame):
        return et.words(prepare_event_panel(frame, entity="brand", time="week", adoption="adoption_week",
                                            outcome="add_to_cart"))
    monthly = words_of(_panel("MS"))
    assert (monthly.period["zh"], monthly.periods["en"]) == ("月", "months")
    numbered = words_of(_panel(time_values=list(range(1, 7))))
    assert (numbered.period["zh"], numbered.period["en"]) == ("期", "period")
    assert numbered.group["en"] == "group"  # no group column: a generic word, never an empty hole


# --------------------------------------------------------------------------- sentences


def test_att_sentence_carries_the_effect_its_interval_the_method_and_the_assumptions(w):
    text = et.att_sentence(ES, w)
    zh, en = text["zh"], text["en"]
    for s in (zh, en):  # log points and the % change, each with its interval; 100·(e^x − 1)
        for number in ("0.120", "0.057", "0.183", "+12.8%", "+5.9%", "+20.1%"):
            assert number in s, (number, s)
        assert "Gardner" in s and "ATT" in s
    assert "平行趋势" in zh and "无预期效应" in zh and "尚未上线和从未上线的品牌" in zh
    assert "parallel trends" in en and "no anticipation" in en and "not adopted yet or never do" in en
    assert "区间包含零" not in zh and "includes zero" not in en
    assert "association" not in en  # the design supports an effect statement, resting on the assumptions


def test_an_interval_covering_zero_says_so_and_a_level_outcome_has_no_percent(w):
    zero = dataclasses.replace(ES, att=_effect(0.020, -0.030, 0.070), sensitivity=dataclasses.replace(
        FRAGILE, breakdown_slope=None, power_at_breakdown=None))
    assert "区间包含零" in et.att_sentence(zero, w)["zh"]
    assert "cannot tell this effect from none" in et.att_sentence(zero, w)["en"]
    assert "no breakdown slope" in et.sensitivity_sentence(zero, w)["en"]
    assert "区间已包含零" in et.summary(zero, w)["zh"]
    level = dataclasses.replace(ES, log=False, att=_effect(12.5, 3.25, 21.75))
    en = et.att_sentence(level, w)["en"]
    assert "by 12.500 on average (95% CI 3.250 to 21.750)" in en and "%" not in en.split(".")[0]
    assert "log points" not in et.att_label(level, w)["en"]
    assert "ATT，加购数" in et.att_label(level, w)["zh"]
    # slopes in the outcome's units: no "(about x%)" from a log-point conversion
    assert "about" not in et.pretrend_sentence(level, w)["en"] and "约" not in et.sensitivity_sentence(level, w)["zh"]
    assert "per week that" not in et.pretrend_sentence(level, w)["en"] and "0.00703 per week" in et.pretrend_sentence(level, w)["en"]
    assert et.mde_note(level, w)["en"] == "smaller differential trends could go unnoticed"
    assert et.breakdown_note(level, w)["zh"] == "趋势检验对它的检验力为 7%"


def test_twfe_sentence_puts_the_biased_estimate_beside_the_robust_one_and_says_why(w):
    text = et.twfe_sentence(ES, w)
    zh, en = text["zh"], text["en"]
    assert "0.114" in zh and "0.058" in zh and "0.170" in zh and "低 0.006" in zh and "16.7%" in zh
    assert "已经上线的品牌当作后上线品牌的对照" in zh and "减去一部分效应" in zh
    assert "0.006 lower than the robust estimate" in en and "16.7% of the treated brand-weeks" in en
    assert "already adopted as controls for later adopters" in en and "subtract part of it" in en
    higher = dataclasses.replace(ES, twfe=_effect(0.150, 0.1, 0.2))
    assert "0.030 higher" in et.twfe_sentence(higher, w)["en"]
    assert "16.7%" in et.twfe_note(ES, w)["en"] and "0.058 to 0.170" in et.twfe_note(ES, w)["en"]


def test_pretrend_sentence_gives_the_test_its_method_and_what_it_can_detect(w):
    text = et.pretrend_sentence(ES, w)
    for s in (text["zh"], text["en"]):
        assert "F(8, 47) = 0.53" in s and "p = 0.830" in s and "0.00703" in s and "80%" in s
    assert "聚类稳健 Wald F 检验" in text["zh"] and "约 0.706%" in text["zh"]
    assert "8 to 1 weeks before" in text["en"] and "cluster-robust Wald F test" in text["en"]
    assert "smaller trends could go unnoticed" in text["en"]
    failing = dataclasses.replace(ES, pretrend=dataclasses.replace(PRE, p_value=0.0004, method="wild_bootstrap",
                                                                   slope=0.0051))
    en = et.pretrend_sentence(failing, w)["en"]
    assert "p < 0.001" in en and "p-value by the restricted wild cluster bootstrap" in en
    assert "p 值由限制性野聚类自助法计算" in et.pretrend_sentence(failing, w)["zh"]
    assert "parallel trends are in doubt" in en and "0.0051 log points per week" in en
    assert "平行趋势存疑" in et.pretrend_sentence(failing, w)["zh"]
    assert "rejects parallel trends (p < 0.001)" in et.summary(failing, w)["en"]


def test_sensitivity_compares_the_breakdown_slope_with_the_detectable_one(w):
    fragile = et.sensitivity_sentence(ES, w)
    for s in (fragile["zh"], fragile["en"]):
        assert "0.00152" in s and "0.00703" in s and "7%" in s and "0.152%" in s
    assert "only 7% of the time" in fragile["en"] and "rests on the parallel-trends assumption" in fragile["en"]
    assert "检验发现这么大趋势的概率只有 7%" in fragile["zh"]
    robust = et.sensitivity_sentence(dataclasses.replace(ES, sensitivity=ROBUST), w)
    assert "0.0123" in robust["en"] and "with 97% power" in robust["en"] and "would probably have shown" in robust["en"]
    assert "多半会在上线前显现" in robust["zh"]
    assert "7%" in et.breakdown_note(ES, w)["en"] and "0.152% per week" in et.breakdown_note(ES, w)["en"]


def test_summary_and_methods_in_both_languages(w):
    s = et.summary(ES, w)
    for text in (s["zh"], s["en"]):
        assert "+12.8%" in text and "+5.9%" in text and "+20.1%" in text and "0.114" in text and "0.120" in text
        assert "p = 0.830" in text and "0.00703" in text and "0.00152" in text and "7%" in text
    assert "parallel trends and no anticipation" in s["en"] and "平行趋势与无预期效应" in s["zh"]
    m = et.methods(ES, w, simulated=True)
    for text in (m["zh"], m["en"]):
        for ref in ("Gardner, J. (2021)", "Borusyak, K., Jaravel, X. & Spiess, J. (2024)", "Sun, L. & Abraham, S. (2021)",
                    "Goodman-Bacon, A. (2021)", "Roth, J. (2022)", "Rambachan, A. & Roth, J. (2023)"):
            assert ref in text, ref
        assert "t(47)" in text and "G/(G − 1)" in text and "48" in text and "4,992" in text
    en = m["en"]
    assert "clustered by brand (48 clusters)" in en and "not-yet-treated and never-treated brands" in en
    assert "from 8 weeks before adoption to 16 after" in en and "simulated" in en
    assert "fewer than 30 brands (" not in en  # 48 clusters: the few-cluster sentence is not needed
    few = et.methods(dataclasses.replace(ES, n_entities=20, att=_effect(0.12, 0.05, 0.19, df=19)), w)
    assert "With fewer than 30 brands (20 here)" in few["en"] and "少于 30 个（此处 20 个）" in few["zh"]
    assert "simulated" not in et.methods(ES, w)["en"]


def test_without_a_pretrend_test_the_text_says_so(w):
    sunab = dataclasses.replace(ES, estimator="sunab", control="never", by_group=None, pretrend=None, sensitivity=None)
    assert "No joint pre-trend test was run" in et.pretrend_sentence(sunab, w)["en"]
    assert "未进行上线前趋势的联合检验" in et.pretrend_sentence(sunab, w)["zh"]
    assert et.sensitivity_sentence(sunab, w) == et.Text.same("")
    assert "that never adopt" in et.att_sentence(sunab, w)["en"] and "Sun and Abraham" in et.att_sentence(sunab, w)["en"]
    m = et.methods(sunab, w)["en"]
    assert "interaction-weighted" in m and "CRV1" in m and "Pre-trends:" not in m
    assert "relative to the week before adoption (fixed at 0)" in et.figure_note(sunab, w)["en"]
    with pytest.raises(AnalysisError, match="by group"):
        et.group_table(sunab, w)
    with pytest.raises(AnalysisError, match="pre-trend"):
        et.pretrend_label(sunab)


def test_a_sunab_pretrend_names_its_leads_and_its_regression(w):
    """Sun–Abraham's leads run to 2 periods before adoption (the period before is the reference)."""
    leads = _path().iloc[:7].assign(event_time=list(range(-8, -1)))
    pre = dataclasses.replace(PRE, leads=leads, df1=7, statistic=2.32, p_value=0.0368, df2=59)
    sunab = dataclasses.replace(ES, estimator="sunab", control="never", by_group=None, pretrend=pre,
                                sensitivity=FRAGILE)
    sentence = et.pretrend_sentence(sunab, w)
    assert "the 7 leads (8 to 2 weeks before) are jointly different from zero (F(7, 59) = 2.32" in sentence["en"]
    assert "上线前的 7 个超前项（上线前 8 至 2 周）联合显著不为零（F(7, 59) = 2.32" in sentence["zh"]
    m = et.methods(sunab, w)
    assert "from 8 to 2 weeks before adoption" in m["en"] and "same saturated regression" in m["en"]
    assert "below 100 brands and from F(7, G − 1) at 100 or more" in m["en"]
    assert "shown as F(7, G − 1)" in m["en"] and "Borusyak" not in m["en"].split("Pre-trends:")[1].split("Sensitivity")[0]
    assert "记为 F(7, G − 1)" in m["zh"] and "同一饱和回归" in m["zh"]
    assert "relative to the week before adoption (fixed at 0)" in et.figure_note(sunab, w)["en"]
    assert et.pretrend_label(sunab)["en"] == "Pre-trend test p-value (7 leads jointly)"
    assert "the 8 leads (8 to 1 weeks before)" in et.pretrend_sentence(ES, w)["en"]  # did2s: unchanged


def test_labels_and_notes_carry_their_numbers(w):
    assert et.att_label(ES, w)["en"] == "Average effect of adoption on add-to-cart (ATT, log points)"
    assert et.att_note(ES, w)["zh"] == "95% 置信区间 0.057 至 0.183；两阶段估计量（did2s），t(47)，按品牌聚类"
    assert "+5.9% to +20.1%" in et.att_pct_note(ES)["en"]
    assert et.pretrend_note(ES, w)["en"] == "F(8, 47) = 0.53; cluster-robust Wald F test"
    assert et.pretrend_label(ES)["zh"] == "上线前趋势检验 p 值（8 个超前项联合）"
    assert "per week" in et.mde_label(ES, w)["en"] and "0.706%" in et.mde_note(ES, w)["en"]
    assert et.axis_x(w)["en"] == "Weeks relative to adoption (0 = the week of adoption)"
    assert et.axis_y(ES, w)["zh"] == "效应（对数点）"
    assert et.log_pct(0.1) == pytest.approx(10.517, abs=1e-3)


def test_group_sentence_names_the_range_and_cites_the_table(w):
    text = et.group_sentence(ES, w, table="att_by_group")
    assert "[[tab:att_by_group]]" in text["zh"] and "[[tab:att_by_group]]" in text["en"]
    assert "服饰鞋包的 0.030 个对数点到母婴的 0.209 个对数点" in text["zh"]
    assert "from 0.030 log points (Apparel, shoes & bags) to 0.209 log points (Mother & baby)" in text["en"]
    assert "only 5–6 adopting brands" in text["en"]


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize(("lang", "columns"), [
    ("zh", ["类目", "ATT", "95% 下限", "95% 上限", "变化（%）", "上线品牌数", "真实 ATT"]),
    ("en", ["Category", "ATT", "95% low", "95% high", "Change (%)", "Adopting brands", "True ATT"]),
])
def test_group_table_has_intervals_adopters_and_the_truth(w, lang, columns):
    table = et.group_table(ES, w, truth=TRUTH, lang=lang)
    assert list(table.frame.columns) == columns
    assert set(table.decimals) == {columns[i] for i in (1, 2, 3, 4, 6)} and table.decimals[columns[4]] == 1
    first = table.frame.iloc[0]
    assert first.iloc[0] == ("美妆个护" if lang == "zh" else "Beauty & personal care")
    assert (first.iloc[1], first.iloc[2], first.iloc[3]) == (0.205, 0.094, 0.316)
    assert first.iloc[4] == pytest.approx(100 * np.expm1(0.205)) and first.iloc[5] == 6 and first.iloc[6] == 0.2227
    assert "t(4), t(5)" in table.note[lang] and "t(47)" in table.note[lang] and "e^ATT" in table.note[lang]
    assert "log points" in table.caption["en"] and "对数点" in table.caption["zh"]
    no_truth = et.group_table(ES, w, lang=lang)
    assert len(no_truth.frame.columns) == 6 and "真实" not in no_truth.note["zh"] and "True" not in no_truth.note["en"]


def test_group_table_note_says_intervals_use_adopters_minus_one(w):
    note = et.group_table(ES, w).note
    assert "t(adopting brands in the category − 1)" in note["en"] and "t(该类目已上线品牌数 − 1)" in note["zh"]


def test_cohort_table_dates_the_waves_and_matches_the_truth_by_date(w):
    table = et.cohort_table(ES, w, truth=TRUTH, lang="en")
    assert list(table.frame.columns) == ["Wave (first week)", "ATT", "95% low", "95% high", "Change (%)",
                                         "Adopting brands", "Treated brand-weeks", "True ATT"]
    assert list(table.frame.iloc[:, 0]) == ["2023-07-03", "2024-01-01"]
    assert list(table.frame["True ATT"]) == [0.1695, 0.1103]  # week 26 and 52 after 2023-01-02
    assert list(table.frame["Treated brand-weeks"]) == [936, 624]
    assert et.true_by_cohort({**TRUTH, "wave_mondays": {"26": "x", "52": "y"}}) == {"x": 0.1695, "y": 0.1103}
    assert "adoption wave" in table.caption["en"] and "t(47)" in table.note["en"]


def test_tables_and_texts_record_without_missing_values(w):
    for table in (et.group_table(ES, w, truth=TRUTH), et.cohort_table(ES, w, truth=TRUTH)):
        rec = make_record("t", table.frame, decimals=table.decimals, caption=table.caption, note=table.note)
        assert all(v is not None for row in rec.rows for v in row)


# --------------------------------------------------------------------------- the figure


@pytest.fixture(scope="module", autouse=True)
def _theme():
    plots.use_theme("default")
    yield
    plt.close("all")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figure_builds_with_and_without_the_truth(w, lang):
    with_truth = event_plots.event_study_plot(ES.path, truth=true_path_frame(TRUTH), lang=lang,
                                              x_label=et.axis_x(w), y_label=et.axis_y(ES, w))
    ax = with_truth.axes[0]
    assert ax.get_xlabel() == et.axis_x(w)[lang] and ax.get_ylabel() == et.axis_y(ES, w)[lang]
    legend = [t.get_text() for t in with_truth.legends[0].get_texts()]
    assert legend == [et.say("legend_lead", level="95")[lang], et.say("legend_lag", level="95")[lang],
                      et.say("legend_truth")[lang]]
    truth_line = [line for line in ax.get_lines() if line.get_linestyle() == "--"][0]
    assert list(truth_line.get_xdata()) == list(range(0, 17))  # only inside the path's event times
    assert any(line.get_xdata()[0] == -0.5 for line in ax.get_lines())  # between −1 and 0
    rec = make_record("event_path", with_truth)  # SVG with the CJK font: no missing glyphs
    assert "<svg" in rec.svg
    bare = event_plots.event_study_plot(ES.path, lang=lang)
    assert len(bare.legends[0].get_texts()) == 2 and bare.axes[0].get_xlabel()
    # the simulator's truth mapping is accepted as it is
    event_plots.event_study_plot(ES.path, truth=TRUTH, lang=lang)


def test_a_path_without_the_reference_period_marks_it():
    path = _path()
    path = path[path["event_time"] != -1]
    fig = event_plots.event_study_plot(path, lang="en")
    assert "Reference period (fixed at 0)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_the_figure_refuses_what_is_not_a_path():
    with pytest.raises(AnalysisError, match="lacks columns"):
        event_plots.event_study_plot(pd.DataFrame({"event_time": [0]}))
    with pytest.raises(AnalysisError, match="truth"):
        event_plots.event_study_plot(_path(), truth=[0.1, 0.2])


# --------------------------------------------------------------------------- on a real fit


def test_sentences_of_a_real_fit_show_its_numbers():
    from reportkit.data.simulate_adoption import simulate_adoption

    frame, truth = simulate_adoption(1111, n_categories=2, n_brands_per_category=12)
    ep = prepare_event_panel(frame, entity="brand", time="week", adoption="adoption_week", outcome="add_to_cart",
                             group="category")
    es = fit_event_study(ep)
    words = et.words(ep)
    a = es.att
    text = et.att_sentence(es, words)
    for lang in ("zh", "en"):
        for x in (a.estimate, a.ci_low, a.ci_high):
            assert f"{x:.3f}".replace("-", "\u2212") in text[lang]
        assert f"{100 * np.expm1(a.estimate):.1f}%" in text[lang]
    cohort = et.cohort_table(es, words, truth=truth, lang="en").frame
    assert cohort["True ATT"].notna().all() and len(cohort) == 3
