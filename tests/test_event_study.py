"""Event study on staggered adoption: known answers, recovery over seeds, TWFE bias, clear errors.

The independent computations are written out here with statsmodels and numpy (dummy-variable OLS
on the untreated rows, then the mean imputed effect), and compared with pyfixest's own did2s and
saturated event study; the simulator (:mod:`reportkit.data.simulate_adoption`) knows the truth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from reportkit.analysis.event_imputation import imputation
from reportkit.analysis.event_panel import prepare_event_panel
from reportkit.analysis.event_study import fit_event_study
from reportkit.data.simulate_adoption import simulate_adoption
from reportkit.errors import AnalysisError, DataError

ROLES = dict(entity="brand", time="week", adoption="adoption_week", outcome="add_to_cart")


@pytest.fixture(scope="module")
def small():
    """2 categories × 10 brands × 40 weeks, waves at weeks 12 and 24 (small enough for dummy OLS)."""
    frame, truth = simulate_adoption(7, n_categories=2, n_brands_per_category=10, n_weeks=40, wave_weeks=(12, 24),
                                     wave_shares=(0.3, 0.3), wave_multipliers=(1.5, 0.7))
    return frame, truth


def _tiny(seed: int, n_brands: int = 8):
    """1 category × 8 brands × 30 weeks, waves at weeks 10 and 20, 30 % never."""
    return simulate_adoption(seed, n_categories=1, n_brands_per_category=n_brands, n_weeks=30, wave_weeks=(10, 20),
                             wave_shares=(0.4, 0.3), wave_multipliers=(1.2, 0.8))


@pytest.fixture(scope="module")
def default_fit():
    frame, truth = simulate_adoption(3)
    panel = prepare_event_panel(frame, group="category", **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_event_study(panel), truth


def _by_hand(frame: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Two-stage by statsmodels: OLS with brand and week dummies on untreated rows, imputed effects."""
    df = frame.assign(y=np.log(frame["add_to_cart"]))
    df["treated"] = df["adoption_week"].notna() & (pd.to_datetime(df["week"]) >= df["adoption_week"])
    first = smf.ols("y ~ C(brand) + C(week)", data=df[~df["treated"]]).fit()
    tau = df.loc[df["treated"], "y"] - first.predict(df[df["treated"]])
    return float(tau.mean()), df.loc[df["treated"]].assign(tau=tau)


def test_overall_att_equals_two_stage_written_out_with_statsmodels(small):
    frame, _ = small
    expected, _ = _by_hand(frame)
    result = fit_event_study(prepare_event_panel(frame, **ROLES), pretrend=False)
    assert result.att.estimate == pytest.approx(expected, abs=1e-9)


def test_event_time_and_cohort_effects_equal_the_hand_computed_cell_means(small):
    frame, _ = small
    _, treated = _by_hand(frame)
    treated = treated.assign(e=(pd.to_datetime(treated["week"]) - treated["adoption_week"]).dt.days // 7)
    result = fit_event_study(prepare_event_panel(frame, **ROLES), window=(-4, 6), pretrend=False)
    lags = result.path[result.path["part"] == "lag"].set_index("event_time")["estimate"]
    expected = treated.groupby("e")["tau"].mean().loc[0:6]
    np.testing.assert_allclose(lags.to_numpy(), expected.to_numpy(), atol=1e-9)
    cohorts = result.by_cohort.set_index("cohort")["estimate"]
    by_wave = treated.groupby(treated["adoption_week"].dt.strftime("%Y-%m-%d"))["tau"].mean()
    np.testing.assert_allclose(cohorts.loc[by_wave.index].to_numpy(), by_wave.to_numpy(), atol=1e-9)


def test_estimates_and_gmm_covariance_match_pyfixest_did2s(small):
    import pyfixest as pf

    frame, _ = small
    panel = prepare_event_panel(frame, group="category", **ROLES)
    f = panel.frame.assign(d=panel.frame["rk_d"], cat_d=np.where(panel.frame["rk_d"], panel.frame["rk_c"], "none"))
    ours = fit_event_study(panel, pretrend=False)
    g = panel.n_entities
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(f, yname="rk_y", first_stage="~ 0 | rk_i + rk_t", second_stage="~ d", treatment="d",
                       cluster="rk_i")
    assert ours.att.estimate == pytest.approx(float(fit.coef()["d"]), abs=1e-10)
    # pyfixest's GMM variance has no G/(G − 1); ours applies it
    assert ours.att.se == pytest.approx(float(fit.se()["d"]) * np.sqrt(g / (g - 1)), rel=1e-8)
    # several cells at once: the full covariance, by category
    imp = imputation(panel)
    cells = np.where(f["rk_d"], pd.factorize(f["rk_c"], sort=True)[0], -1)
    beta, vcov = imp.effects(cells, 2)
    for j, cat in enumerate(sorted(f["rk_c"].unique())):
        f[f"d{j}"] = (f["rk_d"] & (f["rk_c"] == cat)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit2 = pf.did2s(f, yname="rk_y", first_stage="~ 0 | rk_i + rk_t", second_stage="~ d0 + d1", treatment="d",
                        cluster="rk_i")
    np.testing.assert_allclose(beta, fit2.coef()[["d0", "d1"]].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(vcov * (g - 1) / g, np.asarray(fit2._vcov), rtol=1e-8, atol=1e-14)


def test_sun_abraham_path_matches_pyfixest_saturated_aggregate(small):
    import pyfixest as pf

    frame, _ = small
    panel = prepare_event_panel(frame, **ROLES)
    ours = fit_event_study(panel, estimator="sunab", window=(-5, 8))
    f = panel.frame.assign(g=panel.frame["rk_g"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(f, yname="rk_y", idname="rk_i", tname="rk_t", gname="g", estimator="saturated")
        agg = fit.aggregate()
    agg.index = agg.index.astype(float).astype(int)
    lags = ours.path[ours.path["part"] == "lag"].set_index("event_time")
    np.testing.assert_allclose(lags["estimate"].to_numpy(), agg.loc[lags.index, "Estimate"].astype(float), atol=1e-9)
    np.testing.assert_allclose(lags["se"].to_numpy(), agg.loc[lags.index, "Std. Error"].astype(float), rtol=1e-7)
    assert ours.control == "never" and ours.by_group is None


def test_default_design_recovers_the_truth_by_category_and_cohort(default_fit):
    result, truth = default_fit
    assert result.att.ci_low < truth["att_overall"] < result.att.ci_high
    groups = result.by_group.set_index("group")
    for cat, value in truth["att_by_category"].items():
        assert groups.loc[cat, "ci_low"] < value < groups.loc[cat, "ci_high"], cat
    # lags near the true mean path: within 4 SEs everywhere, and the path builds up
    true = dict(zip(truth["att_by_event_time"]["event_time"], truth["att_by_event_time"]["effect"], strict=True))
    lags = result.path[result.path["part"] == "lag"]
    z = (lags["estimate"] - lags["event_time"].map(true)) / lags["se"]
    assert (z.abs() < 4).all()
    assert lags["estimate"].iloc[-4:].mean() > lags["estimate"].iloc[:2].mean() + 0.05


def test_pretrend_test_has_its_size_power_and_a_detectable_slope(default_fit):
    result, _ = default_fit
    pre = result.pretrend
    assert pre.df1 == 8 and pre.df2 == result.n_entities - 1 and pre.method == "wild_bootstrap"  # 60 brands too
    assert 0.0 <= pre.p_value <= 1.0
    # the MDE slope has 80 % power by construction; half of it much less
    assert pre.power_at(pre.mde_slope) == pytest.approx(0.80, abs=1e-6)
    assert pre.power_at(pre.mde_slope / 2) < 0.4
    assert list(result.path["event_time"].iloc[:8]) == list(range(-8, 0))


def test_pretrend_test_detects_a_planted_trend():
    """A differential trend in the treated brands' untreated outcome, 3 × the MDE slope: rejected."""
    frame, _ = simulate_adoption(5)
    panel = prepare_event_panel(frame, **ROLES)
    clean = fit_event_study(panel, sensitivity=False).pretrend
    slope = 3 * clean.mde_slope
    f = panel.frame
    ev = f["rk_e"].astype(float).fillna(0.0).to_numpy()
    bent = frame.assign(add_to_cart=np.exp(f["rk_y"].to_numpy() + slope * ev))  # panel rows are in frame order
    assert (panel.frame["rk_i"].to_numpy() == frame["brand"].to_numpy()).all()
    pre = fit_event_study(prepare_event_panel(bent, **ROLES), sensitivity=False).pretrend
    assert pre.p_value < 0.01
    assert pre.slope == pytest.approx(slope, abs=3 * pre.slope_se)


def test_breakdown_slope_is_where_the_trend_adjusted_interval_reaches_zero(default_fit):
    result, _ = default_fit
    b = result.sensitivity
    assert b.breakdown_slope is not None and b.bias_per_slope > 0
    # subtracting that trend's bias moves the lower bound to zero exactly
    assert result.att.ci_low - b.breakdown_slope * b.bias_per_slope == pytest.approx(0.0, abs=1e-12)
    assert 0 < b.power_at_breakdown < 1


def test_bias_per_slope_is_the_estimate_on_a_pure_trend():
    frame, _ = _tiny(3, n_brands=12)
    panel = prepare_event_panel(frame, **ROLES)
    result = fit_event_study(panel, window=(-4, 5))
    ev = panel.frame["rk_e"].astype(float).fillna(0.0).to_numpy()
    shifted = frame.assign(add_to_cart=np.exp(panel.frame["rk_y"].to_numpy() + 0.01 * ev))
    moved = fit_event_study(prepare_event_panel(shifted, **ROLES), window=(-4, 5), pretrend=False)
    assert moved.att.estimate - result.att.estimate == pytest.approx(0.01 * result.sensitivity.bias_per_slope, abs=1e-10)


def test_recovery_over_60_seeds_covers_the_att_and_twfe_is_biased():
    """Acceptance: the 95 % interval of the overall ATT covers the truth in ≥ 90 % of 60 seeds;
    the static TWFE, with effects that build up and differ by wave, is biased downwards."""
    covered, did2s_err, twfe_err = [], [], []
    for seed in range(60):
        frame, truth = simulate_adoption(1000 + seed)
        panel = prepare_event_panel(frame, **ROLES)
        result = fit_event_study(panel, pretrend=False)
        att = truth["att_overall"]
        covered.append(result.att.ci_low <= att <= result.att.ci_high)
        did2s_err.append(result.att.estimate - att)
        twfe_err.append(result.twfe.estimate - att)
    coverage = np.mean(covered)
    print(f"coverage of the 95 % interval over 60 seeds: {coverage:.3f}; mean error did2s "
          f"{np.mean(did2s_err):+.4f}, TWFE {np.mean(twfe_err):+.4f}")
    assert coverage >= 0.90
    # did2s unbiased: mean error within 3 Monte Carlo SEs of 0; TWFE: far below
    se = np.std(did2s_err, ddof=1) / np.sqrt(60)
    assert abs(np.mean(did2s_err)) < 3 * se
    assert np.mean(twfe_err) < -0.02
    assert stats.ttest_1samp(twfe_err, 0.0).pvalue < 1e-6


def test_twfe_weighs_some_treated_weeks_negatively(default_fit):
    result, truth = default_fit
    assert 0 < result.twfe_negative_share < 1
    assert result.twfe.estimate < truth["att_overall"] < result.att.ci_high


# --------------------------------------------------------------------------- errors


def test_no_not_yet_treated_left_names_the_period_and_column():
    frame, _ = _tiny(2)
    adopters = frame[frame["adoption_week"].notna()]
    panel = prepare_event_panel(adopters, **ROLES)
    with pytest.raises(AnalysisError, match=r"from 2023-05-22 on every entity .*'adoption_week'.*not-yet-treated"):
        fit_event_study(panel)
    with pytest.raises(AnalysisError, match="control='never' needs entities that never adopt"):
        fit_event_study(panel, estimator="sunab")


def test_adoption_outside_the_panel_names_the_column_and_brands():
    frame, _ = _tiny(2)
    late = frame.copy()
    late.loc[late["brand"] == "BEA01", "adoption_week"] = pd.Timestamp("2025-06-02")
    with pytest.raises(DataError, match=r"'adoption_week'.*outside the panel.*BEA01 adopt after the last period") as err:
        prepare_event_panel(late, **ROLES)
    assert err.value.column == "adoption_week"
    early = frame.copy()
    early.loc[early["brand"] == "BEA02", "adoption_week"] = pd.Timestamp("2022-01-03")
    with pytest.raises(DataError, match="BEA02 adopt before the first period 2023-01-02"):
        prepare_event_panel(early, **ROLES)
    first = frame.copy()
    first.loc[first["brand"] == "BEA03", "adoption_week"] = pd.Timestamp("2023-01-02")
    with pytest.raises(DataError, match="BEA03 adopt in or before their first observed period"):
        prepare_event_panel(first, **ROLES)


def test_treatment_switching_off_is_refused_with_the_brand_and_period():
    frame, _ = _tiny(2)
    weeks = pd.to_datetime(frame["week"])
    flag = frame.assign(joined=(frame["adoption_week"].notna() & (weeks >= frame["adoption_week"])).astype(int))
    ok = prepare_event_panel(flag, entity="brand", time="week", adoption="joined", outcome="add_to_cart")
    dated = prepare_event_panel(frame, **ROLES)
    assert ok.cohorts == dated.cohorts  # a 0/1 indicator gives the same waves as the dates
    brand = flag.loc[flag["joined"] == 1, "brand"].iloc[0]
    leave = flag.index[(flag["brand"] == brand) & (flag["joined"] == 1)][3]
    flag.loc[leave, "joined"] = 0
    with pytest.raises(DataError, match=rf"'joined'.*switches off again for {brand} \(period"):
        prepare_event_panel(flag, entity="brand", time="week", adoption="joined", outcome="add_to_cart")
    mixed = frame.copy()
    first_row = mixed.index[mixed["adoption_week"].notna()][0]
    mixed.loc[first_row, "adoption_week"] = pd.NaT
    with pytest.raises(DataError, match="one adoption date per entity"):
        prepare_event_panel(mixed, **ROLES)


def test_window_longer_than_the_data_says_what_the_data_allow():
    frame, _ = _tiny(2)
    panel = prepare_event_panel(frame, **ROLES)
    with pytest.raises(AnalysisError, match=r"window \(-8, 40\) is longer than the data: in the data adopters are observed from 20 periods before adoption to 19 after"):
        fit_event_study(panel, window=(-8, 40))
    with pytest.raises(AnalysisError, match="window must be two whole numbers"):
        fit_event_study(panel, window=(-8,))


def test_control_must_match_the_estimator():
    frame, _ = _tiny(2)
    panel = prepare_event_panel(frame, **ROLES)
    with pytest.raises(AnalysisError, match="for control='never' use estimator='sunab'"):
        fit_event_study(panel, control="never")
    with pytest.raises(AnalysisError, match="estimator must be one of did2s, sunab"):
        fit_event_study(panel, estimator="twfe")


def test_missing_column_and_log_of_zero_are_named():
    frame, _ = _tiny(2)
    with pytest.raises(DataError, match="has no column 'joined'"):
        prepare_event_panel(frame, entity="brand", time="week", adoption="joined", outcome="add_to_cart")
    zero = frame.copy()
    zero.loc[5, "add_to_cart"] = 0
    with pytest.raises(DataError, match=r"'add_to_cart'.*1 zero or negative values \(rows 6\).*log=False"):
        prepare_event_panel(zero, **ROLES)


def test_few_brands_get_the_wild_cluster_bootstrap_pretrend_test_and_a_note(small):
    frame, _ = small  # 20 brands: below FEW_CLUSTERS
    result = fit_event_study(prepare_event_panel(frame, **ROLES), window=(-4, 6))
    assert result.pretrend.method == "wild_bootstrap"
    assert 0 < result.pretrend.p_value <= 1
    assert any("only 20 entities" in note for note in result.notes)


def test_adoption_inside_a_period_belongs_to_it_and_integer_periods_work():
    """A mid-week adoption date counts from the week that contains it; period numbers work as time."""
    frame, _ = _tiny(4)
    midweek = frame.assign(adoption_week=frame["adoption_week"] + pd.Timedelta(days=2))
    assert prepare_event_panel(midweek, **ROLES).cohorts == prepare_event_panel(frame, **ROLES).cohorts
    weeks = pd.to_datetime(frame["week"])
    numbered = frame.assign(
        week=((weeks - weeks.min()).dt.days // 7 + 1),
        adoption_week=((frame["adoption_week"] - weeks.min()).dt.days // 7 + 1),
    )
    a = fit_event_study(prepare_event_panel(numbered, **ROLES), pretrend=False)
    b = fit_event_study(prepare_event_panel(frame, **ROLES), pretrend=False)
    assert a.att.estimate == pytest.approx(b.att.estimate, abs=1e-12)
    mixed = frame.assign(week=numbered["week"])
    with pytest.raises(DataError, match="holds dates but the time column holds period numbers"):
        prepare_event_panel(mixed, **ROLES)


def test_a_lead_window_that_leaves_no_reference_period_is_refused():
    frame, _ = simulate_adoption(1, n_categories=1, n_brands_per_category=10, n_weeks=30, wave_weeks=(10,),
                                 wave_shares=(0.5,), wave_multipliers=(1.0,))
    panel = prepare_event_panel(frame, **ROLES)
    with pytest.raises(AnalysisError, match=r"event times -1 from the entity effects: the window starts at -10"):
        fit_event_study(panel, window=(-10, 5))
    assert fit_event_study(panel, window=(-6, 5)).pretrend.df1 == 6


def test_analyst_text_roles_yes_no_indicator_and_chinese_dates():
    """From a CSV the adoption role arrives as text: "是"/"否" or "0"/"1" flags, 2024年1月1日 dates."""
    frame, _ = _tiny(6)
    weeks = pd.to_datetime(frame["week"])
    on = frame["adoption_week"].notna() & (weeks >= frame["adoption_week"])
    dated = prepare_event_panel(frame, **ROLES)
    for flags in (np.where(on, "是", "否"), np.where(on, "1", "0")):
        text = frame.assign(joined=flags)
        panel = prepare_event_panel(text, entity="brand", time="week", adoption="joined", outcome="add_to_cart")
        assert panel.cohorts == dated.cohorts
    chinese = frame.assign(
        week=weeks.map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
        adoption_week=frame["adoption_week"].map(lambda d: "" if pd.isna(d) else f"{d.year}年{d.month}月{d.day}日"),
    )
    assert prepare_event_panel(chinese, **ROLES).cohorts == dated.cohorts
    bad = chinese.assign(adoption_week=chinese["adoption_week"].replace({"": ""}).where(chinese.index != 40, "soon"))
    with pytest.raises(DataError, match="'adoption_week'"):
        prepare_event_panel(bad, **ROLES)


def test_sun_abraham_warns_nothing_for_the_cells_no_wave_has():
    frame, _ = simulate_adoption(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = fit_event_study(prepare_event_panel(frame, **ROLES), estimator="sunab")
    assert result.att.ci_low < result.att.estimate < result.att.ci_high


# --------------------------------------------------------------------------- Sun–Abraham's pre-trend test


def _saturated_by_pyfixest(panel):
    """The saturated regression as pyfixest fits it, and each cell's treated entity-periods (the weights)."""
    import pyfixest as pf

    f = panel.frame
    data = pd.DataFrame({"y": f["rk_y"].to_numpy(float), "rk_i": f["rk_i"].to_numpy(), "rk_t": f["rk_t"].to_numpy(),
                         "rel": f["rk_e"].fillna(-1).astype(int).to_numpy(), "wave": f["rk_g"].to_numpy()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("y ~ i(rel, wave, ref=-1, ref2=0) | rk_i + rk_t", data=data, vcov={"CRV1": "rk_i"})
    counts = data[data["wave"] != 0].groupby(["wave", "rel"]).size()
    return fit, counts


def test_sun_abraham_pretrend_is_pyfixests_wald_test_of_the_leads_in_the_figure(small):
    """R: one row per lead of the path, its cells weighted by their treated brand-weeks; the statistic
    is pyfixest's own Wald statistic of Rβ = 0 divided by the number of leads, against F(q, G − 1)."""
    frame, _ = small
    panel = prepare_event_panel(frame, **ROLES)
    ours = fit_event_study(panel, estimator="sunab", window=(-5, 8))
    pre = ours.pretrend
    fit, counts = _saturated_by_pyfixest(panel)
    names = list(fit._coefnames)
    rows = []
    for e in range(-5, -1):
        cells = {n: counts[(int(float(n.split("::")[2])), e)] for n in names
                 if float(n.split("::")[1].split(":")[0]) == e}
        total = sum(cells.values())
        rows.append([cells.get(n, 0) / total for n in names])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest switches to chi2 for a general R, and says so
        fit.wald_test(R=np.array(rows), distribution="chi2")
    q, g = len(rows), panel.frame["rk_i"].nunique()
    assert (pre.df1, pre.df2, pre.method) == (q, g - 1, "wild_bootstrap")
    assert pre.statistic * q == pytest.approx(float(fit._wald_statistic), rel=1e-9)
    assert list(pre.leads["event_time"]) == [-5, -4, -3, -2]
    np.testing.assert_allclose(pre.leads["estimate"], np.array(rows) @ np.asarray(fit._beta_hat), atol=1e-12)
    assert ours.sensitivity is not None and ours.sensitivity.mde_slope == pre.mde_slope


def test_sun_abraham_pretrend_with_many_brands():
    frame, _ = simulate_adoption(3)
    result = fit_event_study(prepare_event_panel(frame, **ROLES), estimator="sunab", sensitivity=False)
    pre = result.pretrend
    assert (pre.df1, pre.df2, pre.method) == (7, result.n_entities - 1, "wild_bootstrap")  # leads −8 … −2
    assert 0 < pre.p_value <= 1
    assert pre.power_at(pre.mde_slope) == pytest.approx(0.80, abs=1e-6)
    lead_rows = result.path[result.path["part"] == "lead"].reset_index(drop=True)
    pd.testing.assert_frame_equal(pre.leads, lead_rows)


def test_sun_abraham_pretrend_detects_a_planted_trend():
    """The treated brands' outcome drifting by 3 × the detectable slope per week: rejected, and the
    fitted slope is the planted one."""
    frame, _ = simulate_adoption(5)
    panel = prepare_event_panel(frame, **ROLES)
    clean = fit_event_study(panel, estimator="sunab", sensitivity=False).pretrend
    slope = 3 * clean.mde_slope
    ev = panel.frame["rk_e"].astype(float).fillna(0.0).to_numpy()
    bent = frame.assign(add_to_cart=np.exp(panel.frame["rk_y"].to_numpy() + slope * ev))
    pre = fit_event_study(prepare_event_panel(bent, **ROLES), estimator="sunab", sensitivity=False).pretrend
    assert pre.p_value < 0.01
    assert pre.slope - clean.slope == pytest.approx(slope, rel=1e-6)  # the regression is linear in the outcome


def test_sun_abraham_bias_per_slope_is_its_att_on_a_pure_trend():
    frame, _ = _tiny(3, n_brands=12)
    panel = prepare_event_panel(frame, **ROLES)
    result = fit_event_study(panel, estimator="sunab", window=(-4, 5))
    ev = panel.frame["rk_e"].astype(float).fillna(0.0).to_numpy()
    shifted = frame.assign(add_to_cart=np.exp(panel.frame["rk_y"].to_numpy() + 0.01 * ev))
    moved = fit_event_study(prepare_event_panel(shifted, **ROLES), estimator="sunab", window=(-4, 5), pretrend=False)
    b = result.sensitivity
    assert moved.att.estimate - result.att.estimate == pytest.approx(0.01 * b.bias_per_slope, abs=1e-10)
    assert result.pretrend.method == "wild_bootstrap" and 0 < result.pretrend.p_value <= 1  # 12 brands
    assert moved.pretrend is None and moved.sensitivity is None


def test_sun_abraham_without_leads_before_the_reference_has_no_pretrend():
    frame, _ = _tiny(4, n_brands=12)
    result = fit_event_study(prepare_event_panel(frame, **ROLES), estimator="sunab", window=(-1, 5))
    assert result.pretrend is None and result.sensitivity is None


def test_with_100_brands_or_more_the_pretrend_p_value_is_the_f_one():
    """Below WILD_JOINT_BELOW entities the bootstrap (tests/test_pretrend_size.py: why); at 100 and
    more the F(q, G − 1) reference, whose size was about right there and whose cost does not grow
    with G² as the bootstrap's does."""
    from reportkit.analysis.event_inference import pretrend_test
    from reportkit.analysis.model_data import WILD_JOINT_BELOW

    frame, _ = simulate_adoption(8, n_categories=5, n_brands_per_category=20)
    panel = prepare_event_panel(frame, **ROLES)
    assert panel.n_entities == WILD_JOINT_BELOW == 100
    pre = pretrend_test(panel, -8)
    assert pre.method == "crv1_f" and pre.p_value == pytest.approx(stats.f.sf(pre.statistic, 8, 99), rel=1e-12)
    sunab = fit_event_study(panel, estimator="sunab", sensitivity=False).pretrend
    assert sunab.method == "crv1_f" and sunab.p_value == pytest.approx(stats.f.sf(sunab.statistic, 7, 99), rel=1e-12)
