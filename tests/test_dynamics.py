"""Timing: adstock within entity, the decay profile, the lead placebo (pass and fail) and Granger tests
on constructed series with a known direction."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from reportkit import i18n
from reportkit.analysis.dynamics import (
    AdstockResult,
    PlaceboResult,
    adstock,
    fit_adstock,
    lead_placebo,
    minimum_detectable_effects,
    shift_within,
    wald_f_joint_test,
    wald_test,
)
from reportkit.analysis.granger import GrangerResult, granger
from reportkit.data.simulate import load_demo_panel
from reportkit.errors import AnalysisError, DataError
from reportkit.i18n import Text, TranslationError
from reportkit.style.formatting import format_number

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.fixture(scope="module")
def demo():
    return load_demo_panel()


@pytest.fixture
def small():
    # rows deliberately out of order; entity B must never see A's values
    return pd.DataFrame({
        "brand": ["A", "B", "A", "A", "B", "A", "B"],
        "week": [3, 1, 1, 2, 2, 4, 3],
        "x": [3.0, 10.0, 1.0, 2.0, 0.0, 4.0, 0.0],
    }, index=[10, 11, 12, 13, 14, 15, 16])


# --------------------------------------------------------------------------- adstock


def test_adstock_hand_computed_within_entity(small):
    a = adstock(small, "x", entity="brand", time="week", decay=0.5)
    assert a.name == "adstock_x" and list(a.index) == list(small.index)
    # A: 1, 2 + 0.5·1 = 2.5, 3 + 0.5·2.5 = 4.25, 4 + 0.5·4.25 = 6.125
    # B: 10, 0 + 5 = 5, 0 + 2.5 = 2.5 (B's first week is its own value: nothing leaks from A)
    expected = {12: 1.0, 13: 2.5, 10: 4.25, 15: 6.125, 11: 10.0, 14: 5.0, 16: 2.5}
    assert a.to_dict() == pytest.approx(expected)
    assert adstock(small, "x", entity="brand", time="week", decay=0).tolist() == small["x"].tolist()


def test_adstock_never_crosses_entities_on_the_demo_panel(demo):
    a = adstock(demo, "engagement", entity="brand", time="week", decay=0.6)
    first = demo.groupby("brand")["week"].transform("min") == demo["week"]
    assert (a[first] == demo.loc[first, "engagement"]).all()
    one = demo[demo["brand"] == "FAS03"]
    assert np.allclose(a[one.index], adstock(one, "engagement", entity="brand", time="week", decay=0.6))


def test_adstock_gaps_and_bad_decays(small):
    gap = pd.DataFrame({"brand": ["A", "A", "A"], "week": [1, 2, 4], "x": [1.0, 1.0, 1.0]})
    other = pd.DataFrame({"brand": ["B"] * 4, "week": [1, 2, 3, 4], "x": [0.0] * 4})
    both = pd.concat([gap, other], ignore_index=True)
    with pytest.raises(DataError, match="entity 'A' has 1 missing period"):
        adstock(both, "x", entity="brand", time="week", decay=0.5)
    filled = adstock(both, "x", entity="brand", time="week", decay=0.5, gaps="zero")
    assert filled.iloc[:3].tolist() == pytest.approx([1.0, 1.5, 1.0 + 0.25 * 1.5])
    for bad in (1.0, -0.1, True, "0.5", float("nan")):
        with pytest.raises(AnalysisError, match="0 ≤ decay < 1"):
            adstock(small, "x", entity="brand", time="week", decay=bad)
    with pytest.raises(AnalysisError, match="gaps: expected one of 'error', 'zero'; got 'fill'"):
        adstock(small, "x", entity="brand", time="week", decay=0.5, gaps="fill")
    with pytest.raises(DataError, match="repeat an \\(brand, week\\) pair"):
        adstock(pd.concat([small, small]), "x", entity="brand", time="week", decay=0.5)
    with pytest.raises(DataError, match="column 'y' not found"):
        adstock(small, "y", entity="brand", time="week", decay=0.5)


def test_shift_within_leads_and_lags(small):
    lag = shift_within(small, "x", entity="brand", time="week", k=1)
    lead = shift_within(small, "x", entity="brand", time="week", k=-1)
    assert lag.name == "x_l1" and lead.name == "x_f1"
    assert lag.to_dict() == pytest.approx({10: 2.0, 11: np.nan, 12: np.nan, 13: 1.0, 14: 10.0, 15: 3.0, 16: 0.0},
                                          nan_ok=True)
    assert lead.to_dict() == pytest.approx({10: 4.0, 11: 0.0, 12: 2.0, 13: 3.0, 14: 0.0, 15: np.nan, 16: np.nan},
                                           nan_ok=True)


# --------------------------------------------------------------------------- decay


def test_fit_adstock_chooses_a_decay_near_the_simulated_carry_over(demo):
    res = fit_adstock(demo)
    assert isinstance(res, AdstockResult) and res.estimated
    # true lags 0.35/0.15/0.05: ratios 0.43 then 0.33, so the best geometric decay is about 0.3–0.45
    assert 0.3 <= res.decay <= 0.45
    assert not res.at_grid_edge
    profile = res.profile
    assert list(profile.columns) == ["decay", "r2_within", "estimate", "std_error"]
    assert len(profile) == 19 and profile["decay"].tolist() == pytest.approx(np.linspace(0, 0.9, 19).tolist())
    assert profile.loc[profile["r2_within"].idxmax(), "decay"] == res.decay
    # the elasticity w.r.t. the stock is close to the long-run elasticity 0.55
    assert res.ci_low < 0.55 < res.ci_high
    assert res.n_clusters == 48 and res.n_obs == 48 * (104 - res.burn_in)
    assert res.long_run_multiplier == pytest.approx(1 / (1 - res.decay))
    # the decay's interval: centred on the least-squares decay, within one grid step of the grid's best
    assert abs(res.decay_nls - res.decay) <= 0.05 + 1e-9
    assert 0 <= res.decay_ci_low < res.decay_nls < res.decay_ci_high <= 1
    half = stats.t.ppf(0.975, res.n_clusters - 1) * res.decay_se
    assert res.decay_ci_high - res.decay_nls == pytest.approx(half)
    assert "t(47)" in res.decay_method["en"] and "CRV1" in res.decay_method["zh"]


def test_fit_adstock_with_a_fixed_decay_and_errors(demo):
    beauty = demo[demo["category"] == "美妆个护"]
    fixed = fit_adstock(beauty, decay=0.4)
    assert fixed.decay == 0.4 and not fixed.estimated and fixed.grid == (0.4,) and len(fixed.profile) == 1
    assert fixed.decay_ci_low is None and fixed.decay_ci_high is None and fixed.decay_se is None
    with pytest.raises(AnalysisError, match="decay"):
        fit_adstock(beauty, decay=1.2)
    with pytest.raises(AnalysisError, match="grid"):
        fit_adstock(beauty, grid=[0.5])
    with pytest.raises(AnalysisError, match="burn_in"):
        fit_adstock(beauty, burn_in=-1)
    with pytest.raises(DataError, match="column 'clicks' not found"):
        fit_adstock(beauty, engagement="clicks")


# --------------------------------------------------------------------------- placebo


def _future_driven_panel(seed: int = 5, n_brands: int = 30, n_weeks: int = 80, lead_effect: float = 0.4):
    """Conversion driven by NEXT week's engagement (e.g. a campaign that shows up in sales first)."""
    rng = np.random.default_rng(seed)
    rows = []
    week_fx = rng.normal(0, 0.1, n_weeks + 1)
    for b in range(n_brands):
        u = np.empty(n_weeks + 1)
        u[0] = rng.normal(0, 0.4)
        for t in range(1, n_weeks + 1):
            u[t] = 0.7 * u[t - 1] + rng.normal(0, 0.3)
        log_x = 8.0 + rng.normal(0, 0.5) + u
        log_y = 2.0 + rng.normal(0, 0.3) + week_fx[:n_weeks] + 0.1 * log_x[:n_weeks] \
            + lead_effect * log_x[1:] + rng.normal(0, 0.2, n_weeks)
        for t in range(n_weeks):
            rows.append((f"b{b:02d}", t, float(np.exp(log_x[t])), float(np.exp(log_y[t]))))
    return pd.DataFrame(rows, columns=["brand", "week", "engagement", "add_to_cart"])


def test_lead_placebo_passes_on_the_demo_panel(demo):
    res = lead_placebo(demo)
    assert isinstance(res, PlaceboResult)
    assert res.passed and res.p_value >= 0.05
    assert (res.df_num, res.df_denom) == (2, 47) and res.n_clusters == 48
    assert res.n_obs == 48 * (104 - 4)
    leads = res.leads
    assert list(leads.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    assert len(leads) == 2 and (leads["estimate"].abs() < 0.1).all()
    lags = res.lags
    assert lags["estimate"].iloc[0] == pytest.approx(0.35, abs=0.08)
    assert "p = " in res.sentence("zh") and "安慰剂检验" in res.sentence("zh")
    # changed on purpose: the sentence reports p and the minimum detectable effect, never a "pass"
    assert res.sentence("en").startswith("Lead placebo test adding engagement in the next 2 weeks")


def test_lead_placebo_fails_when_the_future_drives_conversion():
    res = lead_placebo(_future_driven_panel())
    assert not res.passed and res.p_value < 0.001
    assert res.leads["estimate"].iloc[0] == pytest.approx(0.4, abs=0.1)
    # changed on purpose: no "failed"; the leads are an association (reverse timing or a common driver)
    en, zh = res.sentence("en"), res.sentence("zh")
    assert en.startswith("Lead placebo test") and "jointly associated" in en and "not causation" in en
    assert "campaign" in en and "共同因素" in zh and "相关关系而非因果" in zh
    assert "fail" not in en.lower() and "未通过" not in zh


def _lead_vcov_from_pyfixest(panel: pd.DataFrame, n_leads: int, n_lags: int) -> np.ndarray:
    """The clustered covariance of the lead coefficients, fitted with pyfixest directly."""
    import pyfixest as pf

    panel = panel.copy()
    panel["ly"] = np.log(panel["add_to_cart"])
    panel["lx"] = np.log(panel["engagement"])
    names = [f"lx_l{k}" for k in range(1, n_lags + 1)] + [f"lx_f{k}" for k in range(1, n_leads + 1)]
    ks = list(range(1, n_lags + 1)) + [-k for k in range(1, n_leads + 1)]
    for name, k in zip(names, ks, strict=True):
        panel[name] = np.log(shift_within(panel, "engagement", entity="brand", time="week", k=k))
    panel = panel.dropna(subset=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(f"ly ~ lx + {' + '.join(names)} | brand + week", data=panel, vcov={"CRV1": "brand"})
    vcov = pd.DataFrame(fit._vcov, index=fit._coefnames, columns=fit._coefnames)
    leads = names[n_lags:]
    return vcov.loc[leads, leads].to_numpy()


def test_lead_placebo_reports_the_minimum_detectable_effect_not_a_pass(demo):
    """Review: 「安慰剂检验通过」 although the smallest lead effect detectable with 80 % power exceeds
    the lag-1 effect. The result now carries that MDE and the sentence says what is not ruled out."""
    beauty = demo[demo["category"] == "美妆个护"]
    res = lead_placebo(beauty, n_leads=2, n_lags=2)
    assert (res.df_num, res.df_denom, res.n_clusters) == (2, 7, 8) and res.power == 0.8
    # reference: the noncentrality at which F(2, 7) at 5 % rejects with probability 0.8, from scipy,
    # and the lead covariance from pyfixest directly
    crit = stats.f.isf(res.alpha, 2, 7)
    lam = optimize.brentq(lambda nc: stats.ncf.sf(crit, 2, 7, nc) - 0.8, 1e-9, 200)
    prec = np.linalg.inv(_lead_vcov_from_pyfixest(beauty, 2, 2))
    assert res.mde == pytest.approx(np.sqrt(lam / prec[0, 0]), rel=1e-5)
    assert res.mde_common == pytest.approx(np.sqrt(lam / prec.sum()), rel=1e-5)
    # the estimated lag-1 effect is below the MDE here: the sentence says such a lead is not ruled out
    lag1 = res.lags["estimate"].iloc[1]
    assert abs(lag1) < res.mde
    zh, en = res.sentence("zh"), res.sentence("en")
    mde_text = format_number(res.mde, 2)
    assert f"最小超前 1 期效应为 {mde_text}" in zh and f"滞后 1 期效应 {format_number(abs(lag1), 2)}" in zh
    assert "无法排除" in zh and "野聚类自助法" in zh and "通过" not in zh
    assert f"80% power is {mde_text}" in en and "cannot be ruled out" in en and "pass" not in en.lower()
    # 8 clusters: the joint test follows the model's wild cluster bootstrap; its label reaches the sentence
    assert "wild cluster bootstrap joint Wald test, 8 clusters" in en
    assert not res.analytic and res.passed  # `passed` kept for compatibility
    analytic = lead_placebo(beauty, n_leads=2, n_lags=2, joint_test=wald_f_joint_test)
    assert analytic.p_value == analytic.p_value_analytic == res.p_value_analytic and analytic.analytic
    assert "F(2, 7)" in analytic.sentence("zh") and "cluster-robust Wald test" in analytic.sentence("en")
    record = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert record["mde"] == res.mde and record["power"] == 0.8 and record["lead_rows"][0]["term"] == "log_engagement_f1"


def test_minimum_detectable_effect_when_the_lag_is_detectable(demo):
    """All 48 brands: the MDE is below the estimated lag-1 effect, and the sentence says so."""
    res = lead_placebo(demo)
    lag1 = abs(res.lags["estimate"].iloc[1])
    assert res.mde < lag1
    assert "would probably have been detected" in res.sentence("en") and "多半能被检出" in res.sentence("zh")
    # more power → a larger MDE; a smaller alpha → a larger MDE
    assert lead_placebo(demo, power=0.9).mde > res.mde > 0
    assert lead_placebo(demo, alpha=0.01).mde > res.mde


def test_lead_placebo_takes_a_pluggable_joint_test(demo):
    beauty = demo[demo["category"] == "美妆个护"]
    seen = {}

    def custom(model, terms):
        seen["terms"] = terms
        return 3.5, 0.012, {"zh": "自定义自助法检验", "en": "custom bootstrap test"}

    res = lead_placebo(beauty, joint_test=custom)
    default = lead_placebo(beauty)
    assert seen["terms"] == ("log_engagement_f1", "log_engagement_f2")
    assert (res.statistic, res.p_value, res.passed, res.analytic) == (3.5, 0.012, False, False)
    assert res.p_value_analytic == pytest.approx(default.p_value_analytic)  # the F test is still there
    # the label is kept as a Text (notebooks read test_method[lang]); it records as the same mapping
    assert res.test_method == Text(zh="自定义自助法检验", en="custom bootstrap test")
    assert res.to_dict()["test_method"] == {"zh": "自定义自助法检验", "en": "custom bootstrap test"}
    en = res.sentence("en")
    assert "(custom bootstrap test): joint statistic = 3.50, p = 0.012" in en and "jointly associated" in en
    assert "自定义自助法检验" in res.sentence("zh")
    # the analytic test, called directly, has the same shape
    stat, p, label = wald_f_joint_test(_placebo_model(beauty), ["log_engagement_f1", "log_engagement_f2"])
    assert (stat, p) == pytest.approx((default.f_stat, default.p_value_analytic))
    assert isinstance(label, Text) and set(label.languages) == set(i18n.LANGUAGES)
    # a joint test may return a Text as its label, too
    as_text = lead_placebo(beauty, joint_test=lambda model, terms: (3.5, 0.012, Text(zh="甲", en="a")))
    assert as_text.test_method == Text(zh="甲", en="a") and "(a): joint statistic" in as_text.sentence("en")


@pytest.mark.parametrize("bad, match", [
    ((1.0, 2.0), "expected a tuple"),
    ((1.0, 1.5, {"zh": "a", "en": "b"}), "p-value 1.5"),
    ((1.0, 0.5, {"en": "b"}), "non-empty 'zh' and 'en'"),
    (("x", 0.5, {"zh": "a", "en": "b"}), "statistic 'x'"),
])
def test_lead_placebo_checks_what_the_joint_test_returns(demo, bad, match):
    beauty = demo[demo["category"] == "美妆个护"]
    with pytest.raises(AnalysisError, match=match):
        lead_placebo(beauty, joint_test=lambda model, terms: bad)
    with pytest.raises(AnalysisError, match="joint_test: expected a callable"):
        lead_placebo(beauty, joint_test="wild")
    with pytest.raises(AnalysisError, match="power: expected a number between alpha"):
        lead_placebo(beauty, power=0.01)


def _placebo_model(panel: pd.DataFrame):
    from reportkit.analysis.models import estimate

    data = panel[["brand", "week", "engagement", "add_to_cart"]].copy()
    names = []
    for k in (1, 2, -1, -2):
        s = shift_within(panel, "engagement", entity="brand", time="week", k=k)
        data[s.name] = s
        names.append(str(s.name))
    data = data.dropna().reset_index(drop=True)
    return estimate(data, outcome="add_to_cart", regressors=["engagement", *names], fixed_effects=("brand", "week"),
                    family="loglog", vcov="cluster", cluster="brand", entity="brand", time="week")


def test_minimum_detectable_effects_directly(demo):
    model = _placebo_model(demo[demo["category"] == "美妆个护"])
    first, common = minimum_detectable_effects(model, ["log_engagement_f1", "log_engagement_f2"])
    # at the MDE the noncentral F power is exactly 0.8
    cov = np.asarray(model.vcov_matrix)[-2:, -2:]
    lam = first ** 2 * np.linalg.inv(cov)[0, 0]
    assert stats.ncf.sf(stats.f.isf(0.05, 2, model.df_t), 2, model.df_t, lam) == pytest.approx(0.8, abs=1e-8)
    one, _ = minimum_detectable_effects(model, ["log_engagement_f1"])
    se = model.coef("log_engagement_f1").std_error
    lam1 = optimize.brentq(lambda nc: stats.ncf.sf(stats.f.isf(0.05, 1, 7), 1, 7, nc) - 0.8, 1e-9, 200)
    assert one == pytest.approx(se * np.sqrt(lam1), rel=1e-6)


def test_wald_test_matches_pyfixest(demo):
    """The joint lead test from the model's covariance equals pyfixest's own wald_test."""
    import pyfixest as pf

    res = lead_placebo(demo, n_leads=2, n_lags=1)
    panel = demo.copy()
    panel["ly"] = np.log(panel["add_to_cart"])
    panel["lx"] = np.log(panel["engagement"])
    for name, k in (("lx_l1", 1), ("lx_f1", -1), ("lx_f2", -2)):
        panel[name] = np.log(shift_within(demo, "engagement", entity="brand", time="week", k=k))
    panel = panel.dropna(subset=["lx_l1", "lx_f1", "lx_f2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("ly ~ lx + lx_l1 + lx_f1 + lx_f2 | brand + week", data=panel, vcov={"CRV1": "brand"})
        R = np.array([[0, 0, 1, 0], [0, 0, 0, 1]], dtype=float)
        ref = fit.wald_test(R=R, distribution="chi2")  # pyfixest gives χ² when R is not the identity
    assert res.chi2 == pytest.approx(float(ref["statistic"]), rel=1e-6)
    assert res.p_value_chi2 == pytest.approx(float(ref["pvalue"]), rel=1e-6)
    # the F form: W / q against F(q, G − 1), pyfixest's F convention for clustered models
    assert res.p_value == pytest.approx(stats.f.sf(float(ref["statistic"]) / 2, 2, 47), rel=1e-6)


def test_wald_test_input_errors(demo):
    from reportkit.analysis.models import estimate

    data = demo[demo["category"] == "母婴"]
    res_model = estimate(data, outcome="add_to_cart", regressors=["engagement"], fixed_effects=("brand", "week"),
                          family="loglog", vcov="cluster", cluster="brand")
    with pytest.raises(AnalysisError, match="term 'nope' is not in the model"):
        wald_test(res_model, ["nope"])
    with pytest.raises(AnalysisError, match="at least one"):
        wald_test(res_model, [])
    with pytest.raises(AnalysisError, match="expected a ModelResult"):
        wald_test("model", ["log_engagement"])


def test_lead_placebo_errors(demo):
    with pytest.raises(AnalysisError, match="n_leads: expected an integer ≥ 1; got 0"):
        lead_placebo(demo, n_leads=0)
    with pytest.raises(AnalysisError, match="alpha"):
        lead_placebo(demo, alpha=5)
    with pytest.raises(AnalysisError, match="must be different columns"):
        lead_placebo(demo, outcome="engagement")


# --------------------------------------------------------------------------- Granger


def _granger_frame(seed: int = 9, n: int = 200, random_walk: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    y = np.zeros(n)
    for t in range(1, n):
        x[t] = (1.0 if random_walk else 0.6) * x[t - 1] + rng.normal(0, 0.2)
        y[t] = 0.3 * y[t - 1] + 0.6 * x[t - 1] + rng.normal(0, 0.1)
    if random_walk:
        y = y + np.cumsum(rng.normal(0, 0.05, n))
    # two brands per week: the test works on the weekly sums
    half = pd.DataFrame({"week": np.arange(n), "engagement": np.exp(6 + x) / 2, "add_to_cart": np.exp(3 + y) / 2})
    return pd.concat([half, half], ignore_index=True)


def test_granger_finds_the_direction_on_constructed_series():
    res = granger(_granger_frame(), maxlag=4)
    assert isinstance(res, GrangerResult)
    fwd, rev = res.p_values("forward"), res.p_values("reverse")
    assert len(fwd) == 4 and max(fwd) < 0.01
    assert min(rev) > 0.05
    st = res.stationarity
    assert list(st.columns) == ["group", "series", "adf_stat", "adf_p", "adf_lags", "differenced"]
    assert not st["differenced"].any()
    tests = res.tests
    assert list(tests.columns) == ["group", "direction", "lag", "f_stat", "p_value", "df_num", "df_denom"]
    assert tests["df_denom"].iloc[0] == 200 - 1 - 3  # n − lag − (2·lag + 1) parameters


def test_granger_matches_statsmodels_directly():
    from statsmodels.tsa.stattools import grangercausalitytests

    df = _granger_frame()
    res = granger(df, maxlag=2)
    agg = df.groupby("week")[["add_to_cart", "engagement"]].sum()
    ref = grangercausalitytests(np.log(agg[["add_to_cart", "engagement"]].to_numpy()), 2)
    assert res.p_values("forward") == pytest.approx([ref[k][0]["ssr_ftest"][1] for k in (1, 2)], rel=1e-10)


def test_granger_differences_a_random_walk_and_labels():
    res = granger(_granger_frame(random_walk=True), maxlag=2)
    assert res.stationarity["differenced"].all()
    forced = granger(_granger_frame(), maxlag=2, differencing="always")
    assert forced.stationarity["differenced"].all()
    zh, en = res.table("zh"), res.table("en")
    assert list(zh.columns) == ["方向", "滞后阶数", "F 统计量", "p 值", "分子自由度", "分母自由度"]
    assert zh["方向"].iloc[0] == "互动量 → 加购数" and en["Direction"].iloc[-1] == "Add-to-cart → Engagement (reverse)"


def test_granger_on_the_demo_panel_by_category(demo):
    res = granger(demo, group="category", maxlag=2)
    tests = res.tests
    assert set(tests["group"]) == set(demo["category"]) and len(tests) == 6 * 2 * 2
    assert "Group" in res.table("en").columns
    overall = granger(demo, maxlag=4)
    assert min(overall.p_values("forward")) < 0.01


def test_granger_errors(demo):
    with pytest.raises(AnalysisError, match="too few for Granger tests up to lag 40"):
        granger(demo, maxlag=40)
    with pytest.raises(AnalysisError, match="differencing: expected one of 'auto', 'always', 'never'"):
        granger(demo, differencing="twice")
    with pytest.raises(DataError, match="column 'day' not found"):
        granger(demo, time="day")


def test_a_missing_translation_of_the_dynamics_group_fails_loudly(demo, monkeypatch):
    """Sentences come from the catalogue's ``dynamics`` group: a language without the entry is an
    error naming the key, never a quiet fallback to another language."""
    res = fit_adstock(demo[demo["category"] == "美妆个护"], decay=0.4)
    real = i18n.catalogue

    def without_half_life(group, lang):
        strings = real(group, lang)
        if group == "dynamics" and lang == "en":
            return {k: v for k, v in strings.items() if k != "half_life"}
        return strings

    monkeypatch.setattr(i18n, "catalogue", without_half_life)
    with pytest.raises(TranslationError, match="no 'dynamics.half_life' in the 'en' catalogue"):
        res.decay_note("en")
    with pytest.raises(TranslationError, match="dynamics.half_life"):
        res.decay_note("zh")  # the catalogues must agree: every language needs every key
    monkeypatch.undo()
    with pytest.raises(AnalysisError, match="expected one of zh, en"):
        res.decay_note("fr")
