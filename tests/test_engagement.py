"""Engagement → conversion elasticities and correlations, checked against the simulator's truth
and against independent references (numpy formulas, statsmodels with dummies)."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.engagement import (
    ClaimTest,
    CorrelationResult,
    ElasticityResult,
    claim_test,
    correlation,
    fit_elasticity,
    pooled_correlation,
    prepare_panel,
    within_correlation,
)
from reportkit.data.simulate import simulate_panel
from reportkit.errors import AnalysisError, DataError

# pyfixest 0.60 calls pandas with inplace=..., which pandas 3.1 deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

TIDY_COLUMNS = ["term", "lag", "estimate", "std_error", "t", "p_value", "ci_low", "ci_high"]


@pytest.fixture(scope="module")
def sim():
    return simulate_panel()


@pytest.fixture(scope="module")
def panel(sim) -> pd.DataFrame:
    return sim.data


@pytest.fixture(scope="module")
def beauty(panel) -> pd.DataFrame:
    return panel[panel["category"] == "美妆个护"].reset_index(drop=True)


@pytest.fixture(scope="module")
def fit_all(panel) -> ElasticityResult:
    return fit_elasticity(panel)


# --------------------------------------------------------------------------- elasticities


def test_tidy_has_the_exact_columns_and_one_row_per_lag(fit_all):
    tidy = fit_all.tidy
    assert list(tidy.columns) == TIDY_COLUMNS
    assert tidy["term"].tolist() == ["log_engagement", "log_engagement_l1", "log_engagement_l2"]
    assert tidy["lag"].tolist() == [0, 1, 2]
    assert (tidy["ci_low"] < tidy["estimate"]).all() and (tidy["estimate"] < tidy["ci_high"]).all()
    assert fit_all.formula == (
        "log_add_to_cart ~ log_engagement + log_engagement_l1 + log_engagement_l2 | brand + week"
    )
    assert fit_all.vcov_label == "clustered by brand (CRV1)"
    assert fit_all.n_clusters == 48
    assert fit_all.df_t == 47
    assert 0 < fit_all.r2_within < 1


def test_result_is_immutable_and_hashable(fit_all):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit_all.n_obs = 1  # type: ignore[misc]
    hash(fit_all)
    tidy = fit_all.tidy
    tidy.loc[0, "estimate"] = 99.0  # a fresh frame each time: editing it changes nothing
    assert fit_all.tidy.loc[0, "estimate"] != 99.0


def test_recovers_true_lag_elasticities_on_the_whole_panel(fit_all, sim):
    truth = sim.truth
    for row in fit_all.tidy.itertuples():
        beta = truth.lag_elasticities[row.lag]
        assert row.ci_low <= beta <= row.ci_high, (row.term, row.estimate, beta)
    total = fit_all.total
    assert total.ci_low <= truth.long_run_elasticity <= total.ci_high
    assert total.estimate == pytest.approx(fit_all.tidy["estimate"].sum(), abs=1e-12)


def test_recovers_true_elasticity_in_beauty(beauty, sim):
    res = fit_elasticity(beauty)
    lag0 = res.coefficient(0)
    assert lag0.ci_low <= sim.truth.lag_elasticities[0] <= lag0.ci_high
    assert res.total.ci_low <= sim.truth.long_run_elasticity <= res.total.ci_high
    assert res.n_clusters == 8


def test_first_weeks_of_each_brand_are_excluded(fit_all, panel):
    n_brands = panel["brand"].nunique()
    assert fit_all.n_obs == len(panel) - 2 * n_brands


def test_total_se_matches_pyfixest_wald_test(panel, fit_all):
    import pyfixest as pf

    # the model's rows: the lags exist (adoption_week, NaT for never-adopting brands, is not a model column)
    data = prepare_panel(panel).drop(columns="adoption_week").dropna().reset_index(drop=True)
    fit = pf.feols(fit_all.formula, data=data, vcov={"CRV1": "brand"})
    fit.wald_test(R=np.ones(3), q=np.array([0.0]), distribution="chi2")
    assert fit._wald_statistic == pytest.approx((fit_all.total.estimate / fit_all.total.std_error) ** 2, rel=1e-10)


def test_clustered_se_matches_statsmodels_with_dummies(panel, fit_all):
    """pyfixest CRV1 vs statsmodels OLS + brand and week dummies, cov_type='cluster'.

    Coefficients agree to ~1e-15 (balanced panel, so the two-way demeaning is exact). Both use
    the small-sample factor G/(G−1)·(N−1)/(N−K), but K differs: statsmodels counts every dummy
    (K = 152 here), pyfixest's default ssc(k_fixef="nonnested") leaves out the brand effects
    because they are nested in the brand clusters (K = 105). So pyfixest/statsmodels SE =
    sqrt((N−152)/(N−105)) = 0.99508 for every coefficient; with ssc(k_fixef="full") the two
    agree to ~1e-15.
    """
    import pyfixest as pf
    import statsmodels.api as sm

    # the model's rows: the lags exist (adoption_week, NaT for never-adopting brands, is not a model column)
    data = prepare_panel(panel).drop(columns="adoption_week").dropna().reset_index(drop=True)
    xcols = ["log_engagement", "log_engagement_l1", "log_engagement_l2"]
    dummies = pd.get_dummies(data[["brand", "week"]], drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([data[xcols], dummies], axis=1))
    ols = sm.OLS(data["log_add_to_cart"], X).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["brand"])[0]}
    )
    est = fit_all.tidy["estimate"].to_numpy()
    se = fit_all.tidy["std_error"].to_numpy()
    np.testing.assert_allclose(est, ols.params[xcols].to_numpy(), rtol=0, atol=1e-8)

    n, k_sm = X.shape
    k_pf = 3 + (data["brand"].nunique() + data["week"].nunique() - 1) - data["brand"].nunique() + 1
    ratio = se / ols.bse[xcols].to_numpy()
    np.testing.assert_allclose(ratio, math.sqrt((n - k_sm) / (n - k_pf)), rtol=1e-6)
    assert ratio[0] == pytest.approx(0.99508, abs=1e-5)

    full = pf.feols(fit_all.formula, data=data, vcov={"CRV1": "brand"}, ssc=pf.ssc(k_fixef="full"))
    np.testing.assert_allclose(full.se()[xcols].to_numpy(), ols.bse[xcols].to_numpy(), rtol=1e-6)

    # the long-run SE: statsmodels' linear-combination t test, same K ratio
    contrast = np.zeros(k_sm)
    contrast[[X.columns.get_loc(c) for c in xcols]] = 1.0
    sm_total_se = float(np.squeeze(ols.t_test(contrast).sd))
    assert fit_all.total.std_error / sm_total_se == pytest.approx(math.sqrt((n - k_sm) / (n - k_pf)), rel=1e-6)


def test_other_column_names_and_lag_counts(panel):
    res = fit_elasticity(panel, conversion="orders", n_lags=1)
    assert res.tidy["term"].tolist() == ["log_engagement", "log_engagement_l1"]
    assert res.formula.startswith("log_orders ~ ")
    res0 = fit_elasticity(panel, n_lags=0)
    assert res0.n_obs == len(panel)
    assert res0.total.estimate == pytest.approx(res0.coefficient(0).estimate)


# --------------------------------------------------------------------------- panel preparation


def _tiny() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-01", 10, 100),
        ("A", "2024-01-08", 20, 200),
        ("A", "2024-01-15", 40, 400),
        ("B", "2024-01-01", 1000, 5),
        ("B", "2024-01-08", 3000, 7),
        ("B", "2024-01-15", 9000, 11),
        ("C", "2024-01-01", 50, 3),
        ("C", "2024-01-15", 70, 9),  # C has no row for 2024-01-08
    ]
    df = pd.DataFrame(rows, columns=["brand", "week", "engagement", "add_to_cart"])
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)  # shuffled on purpose


def test_lags_are_within_brand_and_never_leak():
    out = prepare_panel(_tiny(), n_lags=2).set_index(["brand", "week"])
    log = np.log
    # the first week of every brand has no lag
    for b in "ABC":
        assert np.isnan(out.loc[(b, "2024-01-01"), "log_engagement_l1"])
        assert np.isnan(out.loc[(b, "2024-01-01"), "log_engagement_l2"])
    # B's first lag is B's own previous week, not A's last week
    assert out.loc[("B", "2024-01-08"), "log_engagement_l1"] == pytest.approx(log(1000))
    assert out.loc[("B", "2024-01-15"), "log_engagement_l1"] == pytest.approx(log(3000))
    assert out.loc[("B", "2024-01-15"), "log_engagement_l2"] == pytest.approx(log(1000))
    assert out.loc[("A", "2024-01-15"), "log_engagement_l2"] == pytest.approx(log(10))
    # a gap gives NaN, not the row before the gap
    assert np.isnan(out.loc[("C", "2024-01-15"), "log_engagement_l1"])
    assert out.loc[("C", "2024-01-15"), "log_engagement_l2"] == pytest.approx(log(50))
    assert out.loc[("A", "2024-01-08"), "log_add_to_cart"] == pytest.approx(log(200))


def test_prepare_panel_sorts_and_does_not_touch_the_input():
    df = _tiny()
    before = df.copy()
    out = prepare_panel(df, n_lags=1)
    pd.testing.assert_frame_equal(df, before)
    assert list(out[["brand", "week"]].itertuples(index=False, name=None)) == sorted(
        df[["brand", "week"]].itertuples(index=False, name=None)
    )


def test_lagged_rows_are_excluded_from_the_fit():
    rng = np.random.default_rng(0)
    rows = []
    for b in range(6):
        for t in range(12):
            e = float(np.exp(5 + b * 0.3 + rng.normal(0, 0.5)))
            rows.append((f"b{b}", f"2024-{1 + t // 4:02d}-{1 + 7 * (t % 4):02d}", e, e * 2 + 50))
    df = pd.DataFrame(rows, columns=["brand", "week", "engagement", "add_to_cart"])
    res = fit_elasticity(df, n_lags=2)
    assert res.n_obs == len(df) - 2 * 6


def test_zeros_raise_analysis_error_naming_column_and_count():
    df = _tiny()
    df.loc[df.index[:3], "add_to_cart"] = 0
    with pytest.raises(AnalysisError, match=r"'add_to_cart' has 3 zero or negative") as info:
        prepare_panel(df)
    assert "log1p" in str(info.value) and "PPML" in str(info.value)
    df = _tiny()
    df.loc[df.index[0], "engagement"] = -1
    with pytest.raises(AnalysisError, match=r"'engagement' has 1 zero or negative"):
        fit_elasticity(df)


def test_missing_values_and_duplicates_raise_data_error():
    df = _tiny().astype({"engagement": float})
    df.loc[df.index[0], "engagement"] = np.nan
    with pytest.raises(DataError, match="1 missing"):
        prepare_panel(df)
    dup = pd.concat([_tiny(), _tiny().iloc[:1]], ignore_index=True)
    with pytest.raises(DataError, match="repeat"):
        prepare_panel(dup)


def test_missing_column_raises_data_error_listing_available():
    df = _tiny()
    with pytest.raises(DataError, match=re.escape("available columns: brand, week, engagement, add_to_cart")) as info:
        prepare_panel(df, conversion="orders")
    assert info.value.column == "orders"
    with pytest.raises(DataError, match="'category'"):
        fit_elasticity(df, cluster="category")


def test_bad_n_lags_raises_analysis_error():
    with pytest.raises(AnalysisError, match="n_lags"):
        prepare_panel(_tiny(), n_lags=-1)


# --------------------------------------------------------------------------- correlations

X_SMALL = np.array([1.2, 2.3, 2.9, 4.1, 5.0, 6.2, 6.8, 8.1, 9.3, 9.9, 11.4, 12.0])
Y_SMALL = np.array([2.0, 1.7, 3.5, 3.1, 4.8, 4.0, 6.9, 5.5, 7.2, 8.8, 7.9, 10.1])


def test_pearson_matches_fisher_z_reference():
    res = correlation(X_SMALL, Y_SMALL)
    n = len(X_SMALL)
    xc, yc = X_SMALL - X_SMALL.mean(), Y_SMALL - Y_SMALL.mean()
    r = float(xc @ yc / math.sqrt((xc @ xc) * (yc @ yc)))
    half = 1.959963984540054 / math.sqrt(n - 3)
    assert res.r == pytest.approx(r, abs=1e-12)
    assert res.ci_low == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-10)
    assert res.ci_high == pytest.approx(math.tanh(math.atanh(r) + half), abs=1e-10)
    t = r * math.sqrt((n - 2) / (1 - r * r))
    assert res.p_value == pytest.approx(2 * stats.t.sf(t, n - 2), rel=1e-8)
    assert (res.n, res.method, res.conf_level) == (n, "pearson", 0.95)
    wider = correlation(X_SMALL, Y_SMALL, conf_level=0.99)
    assert wider.ci_low < res.ci_low and wider.ci_high > res.ci_high


def test_spearman_matches_bonett_wright_reference():
    res = correlation(X_SMALL, Y_SMALL, method="spearman")
    n = len(X_SMALL)
    rx = np.argsort(np.argsort(X_SMALL)).astype(float)
    ry = np.argsort(np.argsort(Y_SMALL)).astype(float)
    rho = np.corrcoef(rx, ry)[0, 1]
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))
    assert res.r == pytest.approx(rho, abs=1e-12)
    assert res.ci_low == pytest.approx(math.tanh(math.atanh(rho) - 1.959963984540054 * se), abs=1e-10)
    assert res.ci_high == pytest.approx(math.tanh(math.atanh(rho) + 1.959963984540054 * se), abs=1e-10)
    assert res.method == "spearman"


@pytest.mark.parametrize("method", ["kendall", "Pearson", None])
def test_unknown_method_raises_analysis_error(method):
    with pytest.raises(AnalysisError, match=re.escape(f"expected one of 'pearson', 'spearman'; got {method!r}")):
        correlation(X_SMALL, Y_SMALL, method=method)


@pytest.mark.parametrize(
    ("x", "y", "conf", "needle"),
    [
        (X_SMALL, Y_SMALL[:-1], 0.95, "same length"),
        (X_SMALL[:3], Y_SMALL[:3], 0.95, "at least 4"),
        (np.r_[X_SMALL[:-1], np.nan], Y_SMALL, 0.95, "1 missing or infinite"),
        (np.ones(12), Y_SMALL, 0.95, "constant"),
        (X_SMALL, Y_SMALL, 95, "conf_level"),
    ],
)
def test_bad_correlation_input_raises(x, y, conf, needle):
    with pytest.raises(AnalysisError, match=needle):
        correlation(x, y, conf_level=conf)


def test_pooled_correlation_in_beauty_and_the_claim(beauty):
    pooled = pooled_correlation(beauty)
    assert isinstance(pooled, CorrelationResult)
    ref = stats.pearsonr(np.log(beauty["engagement"]), np.log(beauty["add_to_cart"]))
    assert pooled.r == pytest.approx(ref.statistic, abs=1e-12)
    assert pooled.n == 832 and pooled.kind == "pooled"
    verdict = claim_test(pooled, 0.73)
    assert isinstance(verdict, ClaimTest)
    assert verdict.inside and verdict.claimed == 0.73
    assert verdict.difference == pytest.approx(pooled.r - 0.73)
    assert not claim_test(pooled, 0.9).inside
    with pytest.raises(AnalysisError, match="between -1 and 1"):
        claim_test(pooled, 7.3)


def test_within_correlation_matches_fe_regression_r2(beauty):
    import pyfixest as pf

    within = within_correlation(beauty)
    data = prepare_panel(beauty, n_lags=0)
    fit = pf.feols("log_add_to_cart ~ log_engagement | brand + week", data=data)
    slope = float(fit.coef().iloc[0])
    assert within.r == pytest.approx(math.copysign(math.sqrt(fit._r2_within), slope), abs=1e-8)
    assert within.df_absorbed == 8 + 104 - 2
    assert within.ci_low < within.r < within.ci_high
    assert within.r < pooled_correlation(beauty).r  # between-brand differences are gone
    assert within.kind.startswith("within")
