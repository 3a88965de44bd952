"""reportkit.analysis.models.estimate: checked against certified values (NIST StRD), independent
implementations (statsmodels, numpy formulas), the simulator's truth and real data."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.engagement import fit_elasticity, prepare_panel
from reportkit.analysis.model_data import Notes
from reportkit.analysis.models import (
    Coef,
    ModelResult,
    ModelSpec,
    estimate,
    rate_by,
)
from reportkit.analysis.narrative import formula_label, term_label
from reportkit.data.simulate import simulate_panel
from reportkit.errors import AnalysisError, DataError
from reportkit.i18n import LANGUAGES, Text, TranslationError

REAL_DATA = Path(__file__).resolve().parents[2] / "shared/data/real/online_shoppers_intention.csv"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_panel().data


@pytest.fixture(scope="module")
def logs(panel) -> pd.DataFrame:
    """The simulated panel with log columns (no lags), for comparisons with statsmodels."""
    out = prepare_panel(panel, n_lags=0)
    out["log_notes"] = np.log(out["notes"])
    return out


def _small_frame(seed: int = 1, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.exponential(size=n),
            "g": rng.integers(0, 20, n),
            "t": np.tile(np.arange(30), n // 30),
            "i": np.repeat(np.arange(n // 30), 30),
        }
    )
    df["y"] = 1.0 + 0.5 * df["x1"] - 0.2 * df["x2"] + rng.normal(size=n) * (1.0 + df["x2"])
    return df


# --------------------------------------------------------------------------- (a) NIST StRD Longley

# NIST Statistical Reference Datasets, Linear Regression, "Longley" (higher difficulty), certified
# values: https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml
LONGLEY_CERTIFIED = {  # term: (estimate, standard error)
    "Intercept": (-3482258.63459582, 890420.383607373),
    "GNPDEFL": (15.0618722713733, 84.9149257747669),
    "GNP": (-0.358191792925910e-01, 0.334910077722432e-01),
    "UNEMP": (-2.02022980381683, 0.488399681651699),
    "ARMED": (-1.03322686717359, 0.214274163161675),
    "POP": (-0.511041056535807e-01, 0.226073200069370),
    "YEAR": (1829.15146461355, 455.478499142212),
}
LONGLEY_RESIDUAL_SD = 304.854073561965
LONGLEY_R2 = 0.995479004577296


def _lre(value: float, certified: float) -> float:
    """Log relative error: the number of correct significant digits."""
    err = abs(value - certified) / abs(certified)
    return 15.0 if err == 0 else -math.log10(err)


def test_longley_reproduces_nist_certified_values_to_7_digits():
    from statsmodels.datasets import longley

    data = longley.load_pandas().data
    res = estimate(data, outcome="TOTEMP", regressors=["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"], vcov="iid")
    assert res.terms == tuple(LONGLEY_CERTIFIED)
    digits = []
    for term, (b, se) in LONGLEY_CERTIFIED.items():
        c = res.coef(term)
        digits += [_lre(c.estimate, b), _lre(c.std_error, se)]
    digits += [_lre(res.resid_se, LONGLEY_RESIDUAL_SD), _lre(res.r2, LONGLEY_R2)]
    assert min(digits) >= 7.0, digits
    assert res.n_obs == 16 and res.df_t == 9 and res.n_clusters == ()


# --------------------------------------------------------------------------- (b) SEs vs statsmodels


@pytest.mark.parametrize(("vcov", "cov_type"), [("hc1", "HC1"), ("hc3", "HC3"), ("iid", "nonrobust")])
def test_robust_ses_equal_statsmodels_without_fixed_effects(vcov, cov_type):
    import statsmodels.api as sm

    df = _small_frame()
    res = estimate(df, outcome="y", regressors=["x1", "x2"], vcov=vcov)
    ref = sm.OLS(df["y"], sm.add_constant(df[["x1", "x2"]])).fit(cov_type=cov_type, use_t=True)
    np.testing.assert_allclose(res.tidy()["estimate"], ref.params.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse.to_numpy(), rtol=1e-8, atol=1e-6)
    np.testing.assert_allclose(res.tidy()["p_value"], ref.pvalues.to_numpy(), rtol=1e-6, atol=1e-12)


def test_clustered_ses_equal_statsmodels_on_the_panel_without_fixed_effects(logs):
    import statsmodels.api as sm

    res = estimate(logs, outcome="add_to_cart", regressors=["engagement"], controls=["log_notes"],
                   family="loglog", vcov="cluster", cluster="brand")
    ref = sm.OLS(logs["log_add_to_cart"], sm.add_constant(logs[["log_engagement", "log_notes"]])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(logs["brand"])[0]}
    )
    np.testing.assert_allclose(res.tidy()["estimate"], ref.params.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse.to_numpy(), rtol=1e-8, atol=1e-6)
    assert res.n_clusters == (48,) and res.df_t == 47
    assert res.vcov_label == Text(zh="按品牌聚类（CRV1）", en="clustered by brand (CRV1)")


def test_twoway_clustering_matches_the_cgm_formula_and_differs_from_iid(logs):
    res = estimate(logs, outcome="add_to_cart", regressors=["engagement"], family="loglog",
                   vcov="twoway", entity="brand", time="week")
    iid = estimate(logs, outcome="add_to_cart", regressors=["engagement"], family="loglog", vcov="iid")
    assert res.spec.cluster == ("brand", "week") and res.n_clusters == (48, 104)
    assert res.vcov_label["zh"] == "双向聚类（品牌、周）"
    # Cameron–Gelbach–Miller: V = c·B(M_brand + M_week − M_brand∩week)B, c from the smaller G
    X = np.column_stack([np.ones(len(logs)), logs["log_engagement"]])
    y = logs["log_add_to_cart"].to_numpy()
    bread = np.linalg.inv(X.T @ X)
    e = y - X @ (bread @ X.T @ y)

    def meat(groups):
        s = pd.DataFrame(X * e[:, None]).groupby(np.asarray(groups)).sum().to_numpy()
        return s.T @ s

    n, k = X.shape
    g = 48
    c = g / (g - 1) * (n - 1) / (n - k)
    pair = logs["brand"].astype(str) + "|" + logs["week"].astype(str)
    V = c * bread @ (meat(logs["brand"]) + meat(logs["week"]) - meat(pair)) @ bread
    np.testing.assert_allclose(res.tidy()["std_error"], np.sqrt(np.diag(V)), rtol=1e-8)
    assert np.all(np.isfinite(res.tidy()["std_error"]))
    assert abs(res.coefficients[1].std_error / iid.coefficients[1].std_error - 1) > 0.05


def test_driscoll_kraay_matches_statsmodels_groupsum(logs):
    """pyfixest 0.60's DK = statsmodels cov_nw_groupsum with use_correction='cluster'
    (T/(T−1)·(N−1)/(N−K)); the same Bartlett kernel, so they agree to rounding."""
    import statsmodels.api as sm
    from statsmodels.stats.sandwich_covariance import cov_nw_groupsum

    res = estimate(logs, outcome="add_to_cart", regressors=["engagement"], controls=["log_notes"],
                   family="loglog", vcov="driscoll_kraay", entity="brand", time="week")
    assert res.spec.dk_lags == 3  # floor(104 ** 0.25)
    assert res.vcov_label == Text(zh="Driscoll–Kraay（滞后 3 期）", en="Driscoll–Kraay (3 lags)")
    assert res.df_t == 103 and res.n_clusters == ()
    ols = sm.OLS(logs["log_add_to_cart"], sm.add_constant(logs[["log_engagement", "log_notes"]])).fit()
    t_codes = pd.factorize(logs["week"], sort=True)[0]
    V = cov_nw_groupsum(ols, 3, t_codes, use_correction="cluster")
    np.testing.assert_allclose(res.tidy()["std_error"], np.sqrt(np.diag(V)), rtol=1e-8)
    iid = estimate(logs, outcome="add_to_cart", regressors=["engagement"], controls=["log_notes"],
                   family="loglog", vcov="iid")
    assert abs(res.coefficients[1].std_error / iid.coefficients[1].std_error - 1) > 0.05
    lag5 = estimate(logs, outcome="add_to_cart", regressors=["engagement"], family="loglog",
                    vcov="driscoll_kraay", entity="brand", time="week", dk_lags=5, fixed_effects=("brand",))
    assert lag5.vcov_label["zh"] == "Driscoll–Kraay（滞后 5 期）" and np.isfinite(lag5.coefficients[0].std_error)


# --------------------------------------------------------------------------- fixed effects vs dummies


def test_entity_and_time_effects_equal_dummy_regression(logs):
    import statsmodels.api as sm

    res = estimate(logs, outcome="add_to_cart", regressors=["engagement"], controls=["log_notes"],
                   fixed_effects=("brand", "week"), family="loglog", vcov="iid")
    dummies = pd.get_dummies(logs[["brand", "week"]], drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([logs[["log_engagement", "log_notes"]], dummies], axis=1))
    ref = sm.OLS(logs["log_add_to_cart"], X).fit()
    np.testing.assert_allclose(res.tidy()["estimate"], ref.params[["log_engagement", "log_notes"]], rtol=0, atol=1e-8)
    # balanced two-way effects: K = 2 + 48 + 104 − 1 is the dummy model's rank, so iid SEs agree
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse[["log_engagement", "log_notes"]], rtol=1e-6)
    assert res.r2 == pytest.approx(ref.rsquared, abs=1e-8)
    assert res.log_likelihood == pytest.approx(ref.llf, rel=1e-9)
    assert 0 < res.r2_within < res.r2 and res.adj_r2 < res.r2


def test_interacted_effect_equals_dummy_regression(logs):
    import statsmodels.api as sm

    res = estimate(logs, outcome="add_to_cart", regressors=["engagement"], controls=["log_notes"],
                   fixed_effects=("brand", "category^week"), family="loglog", vcov="cluster", entity="brand")
    assert res.formula == "log_add_to_cart ~ log_engagement + log_notes | brand + category^week"
    cw = logs["category"].astype(str) + ":" + logs["week"].astype(str)
    dummies = pd.get_dummies(pd.DataFrame({"brand": logs["brand"], "cw": cw}), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([logs[["log_engagement", "log_notes"]], dummies], axis=1))
    with warnings.catch_warnings():  # category dummies are spanned by brand and category×week
        warnings.simplefilter("ignore")
        ref = sm.OLS(logs["log_add_to_cart"], X).fit()
    np.testing.assert_allclose(res.tidy()["estimate"], ref.params[["log_engagement", "log_notes"]], rtol=0, atol=1e-8)


def test_ppml_recovers_a_known_elasticity_and_equals_glm_with_dummies():
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    n_e, n_t, beta = 60, 25, 0.6
    ent = np.repeat(np.arange(n_e), n_t)
    per = np.tile(np.arange(n_t), n_e)
    x = np.exp(rng.normal(2.0, 1.0, n_e * n_t) + 0.3 * rng.normal(size=n_e)[ent])
    mu = np.exp(rng.normal(-1.0, 0.5, n_e)[ent] + 0.2 * np.sin(per) + beta * np.log(x) - 1.0)
    df = pd.DataFrame({"shop": ent, "day": per, "visits": x, "orders": rng.poisson(mu)})
    assert (df["orders"] == 0).mean() > 0.05  # zeros in the outcome are fine for PPML
    res = estimate(df, outcome="orders", regressors=["visits"], fixed_effects=("shop", "day"), family="ppml",
                   vcov="cluster", entity="shop")
    c = res.coef("log_visits")
    assert c.ci_low <= beta <= c.ci_high and abs(c.estimate - beta) < 0.05
    # clustered by shop: t(G − 1) inference, as for linear models (was the normal before)
    assert res.df_t == 59 and res.r2 is None and 0 < res.pseudo_r2 < 1
    kept = df.loc[df.groupby("shop")["orders"].transform("sum") > 0]
    dummies = pd.get_dummies(kept[["shop", "day"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([np.log(kept[["visits"]]), dummies], axis=1))
    ref = sm.GLM(kept["orders"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert c.estimate == pytest.approx(ref.params["visits"], abs=1e-6)
    assert res.log_likelihood == pytest.approx(ref.llf, rel=1e-7)
    assert res.n_obs == len(kept)


def _binary_frame(seed: int = 3, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 12, n)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    eta = -0.5 + 0.8 * x1 - 0.4 * x2 + 0.3 * (g % 4)
    return pd.DataFrame({"g": g, "t": rng.integers(0, 40, n), "x1": x1, "x2": x2,
                         "buy": rng.random(n) < 1 / (1 + np.exp(-eta))})


def test_logit_with_fixed_effects_equals_statsmodels_with_dummies():
    import statsmodels.api as sm

    df = _binary_frame()
    res = estimate(df, outcome="buy", regressors=["x1", "x2"], fixed_effects="g", family="logit", vcov="cluster",
                   cluster="t")
    dummies = pd.get_dummies(df["g"].astype(str), prefix="g", drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([df[["x1", "x2"]], dummies], axis=1))
    ref = sm.Logit(df["buy"].astype(float), X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": df["t"]})
    np.testing.assert_allclose(res.tidy()["estimate"], ref.params[["x1", "x2"]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse[["x1", "x2"]], rtol=1e-7)
    assert res.log_likelihood == pytest.approx(ref.llf, rel=1e-8)
    assert res.pseudo_r2 == pytest.approx(1 - ref.llf / sm.Logit(df["buy"].astype(float), np.ones(len(df))).fit(disp=0).llf, rel=1e-8)
    assert res.family_label == Text(zh="Logit 回归", en="logit")


def test_binomial_rates_with_trials_equal_the_binary_logit():
    df = _binary_frame()
    df["x1r"] = df["x1"].round(1)  # grouped data: cells of (g, x1r)
    cells = df.groupby(["g", "x1r"], as_index=False).agg(trials=("buy", "size"), rate=("buy", "mean"))
    binary = estimate(df, outcome="buy", regressors=["x1r"], fixed_effects="g", family="logit", vcov="hc1")
    rates = estimate(cells, outcome="rate", regressors=["x1r"], fixed_effects="g", family="logit", vcov="hc1",
                     weights="trials")
    assert rates.coef("x1r").estimate == pytest.approx(binary.coef("x1r").estimate, abs=1e-6)
    assert rates.family_label["en"].startswith("binomial GLM")
    assert rates.terms == ("Intercept", "x1r")
    with pytest.raises(AnalysisError, match="200 levels"):
        many = cells.assign(g=np.arange(len(cells)) % 300, trials=cells["trials"] + 1)
        many = pd.concat([many, many.assign(rate=many["rate"] * 0.5)], ignore_index=True)
        estimate(many, outcome="rate", regressors=["x1r"], fixed_effects="g", family="logit", vcov="hc1", weights="trials")


# --------------------------------------------------------------------------- (d) real data


@pytest.fixture(scope="module")
def shoppers() -> pd.DataFrame:
    if not REAL_DATA.is_file():
        pytest.skip(f"real data not available: {REAL_DATA} (UCI Online Shoppers Purchasing Intention)")
    return pd.read_csv(REAL_DATA)


def test_online_shoppers_logit_pagevalues_positive_and_significant(shoppers):
    res = estimate(shoppers, outcome="Revenue",
                   regressors=["PageValues", "ProductRelated_Duration", "BounceRates", "ExitRates"],
                   fixed_effects=("Month", "VisitorType"), family="logit", vcov="hc1")
    pv = res.coef("PageValues")
    assert pv.estimate > 0 and pv.p_value < 0.001 and pv.ci_low > 0
    assert res.n_obs + res.dropped_rows == len(shoppers) == 12330
    assert res.formula == "Revenue ~ PageValues + ProductRelated_Duration + BounceRates + ExitRates | Month + VisitorType"
    assert 0 < res.pseudo_r2 < 1


def test_online_shoppers_purchase_rates_by_pagevalues(shoppers):
    groups = np.where(shoppers["PageValues"] > 0, "PageValues > 0", "PageValues = 0")
    rates = rate_by(shoppers, "Revenue", groups).set_index("group")
    assert round(rates.loc["PageValues = 0", "rate"] * 100, 1) == 3.9
    assert round(rates.loc["PageValues > 0", "rate"] * 100, 1) == 56.3
    assert rates["n"].sum() == len(shoppers)


def test_rate_by_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    df = pd.DataFrame({"buy": [1, 0, 0, 1, 1, 0, 0, 0, 1, 0], "seg": list("aabbbbcccc")})
    out = rate_by(df, "buy", "seg")
    assert out["group"].tolist() == ["a", "b", "c"] and out["n"].tolist() == [2, 4, 4]
    for row in out.itertuples():
        lo, hi = proportion_confint(row.events, row.n, alpha=0.05, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    with pytest.raises(AnalysisError, match="0/1"):
        rate_by(df.assign(buy=df["buy"] * 2), "buy", "seg")


# --------------------------------------------------------------------------- (e) bad input


def test_no_variation_in_engagement_names_the_column(panel):
    df = panel.assign(engagement=5)
    with pytest.raises(AnalysisError, match=r"regressor 'engagement' has no variation"):
        estimate(df, outcome="add_to_cart", regressors="engagement", family="loglog", vcov="cluster", entity="brand")


def test_regressor_absorbed_by_fixed_effects_names_the_column(panel):
    brand_size = panel.groupby("brand")["engagement"].transform("mean")
    df = panel.assign(brand_size=brand_size)
    with pytest.raises(AnalysisError, match=r"'brand_size' does not vary within the fixed effects \(brand \+ week\)"):
        estimate(df, outcome="add_to_cart", regressors=["engagement", "brand_size"], fixed_effects=("brand", "week"),
                 family="loglog", entity="brand")


def test_collinear_regressors_are_named():
    df = _small_frame()
    df["x3"] = df["x1"] + 2 * df["x2"]
    with pytest.raises(AnalysisError, match=r"collinear regressors: 'x3' is an exact linear combination of 'x1', 'x2'"):
        estimate(df, outcome="y", regressors=["x1", "x2"], controls=["x3"], vcov="hc1")
    with pytest.raises(AnalysisError, match=r"'x3' is an exact linear combination of 'x1', 'x2' \(after removing"):
        estimate(df, outcome="y", regressors=["x1", "x2", "x3"], fixed_effects="g", vcov="hc1")


def test_zeros_in_a_log_model_raise_or_are_recorded(panel):
    df = panel.copy()
    df.loc[df.index[:7], "engagement"] = 0
    with pytest.raises(AnalysisError, match=r"'engagement' has 7 zero or negative row\(s\)") as info:
        estimate(df, outcome="add_to_cart", regressors="engagement", family="loglog", entity="brand")
    assert "zeros='log1p'" in str(info.value) and "ppml" in str(info.value)
    res = estimate(df, outcome="add_to_cart", regressors="engagement", family="loglog", entity="brand", zeros="log1p")
    assert res.terms == ("Intercept", "log1p_engagement")
    assert any("log1p" in w and "'engagement'" in w and "7 zero" in w for w in res.warnings_in("en"))
    assert any("log1p" in w for w in res.warnings_in("zh"))
    df.loc[df.index[10], "engagement"] = -3
    with pytest.raises(AnalysisError, match=r"'engagement' has 1 negative row"):
        estimate(df, outcome="add_to_cart", regressors="engagement", family="loglog", entity="brand", zeros="log1p")
    with pytest.raises(AnalysisError, match=r"'engagement' has 8 zero or negative"):
        estimate(df, outcome="orders", regressors="engagement", family="ppml", entity="brand")


def test_fewer_observations_than_parameters_gives_both_numbers():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(5, 6)), columns=["y", "a", "b", "c", "d", "e"])
    with pytest.raises(AnalysisError, match=r"5 row\(s\) but 6 parameters \(5 coefficient\(s\) \+ the intercept\)"):
        estimate(df, outcome="y", regressors=["a", "b", "c", "d", "e"], vcov="iid")
    panel = pd.DataFrame({"y": rng.normal(size=8), "x": rng.normal(size=8), "f": [0, 0, 1, 1, 2, 2, 3, 3]})
    with pytest.raises(AnalysisError, match=r"8 row\(s\) but 8 parameters \(4 coefficient\(s\) \+ 4 fixed-effect level\(s\)\)"):
        estimate(panel.assign(x2=rng.normal(size=8), x3=rng.normal(size=8), x4=rng.normal(size=8)),
                 outcome="y", regressors=["x", "x2", "x3", "x4"], fixed_effects="f", vcov="iid")


def test_non_numeric_column_names_column_and_first_bad_values():
    df = _small_frame().astype({"x2": object})
    df.loc[[3, 8], "x2"] = ["n/a", "twelve"]
    with pytest.raises(DataError, match=r"column 'x2' \(regressor\) must be numeric.*2 value\(s\).*'n/a', 'twelve'") as info:
        estimate(df, outcome="y", regressors=["x1", "x2"], vcov="iid")
    assert info.value.column == "x2"


@pytest.mark.parametrize(
    ("column", "kwargs"),
    [
        ("i", {"entity": "i", "vcov": "cluster"}),
        ("t", {"entity": "i", "time": "t", "vcov": "twoway"}),
        ("g", {"fixed_effects": ("g",), "vcov": "iid"}),
        ("g", {"cluster": "g", "vcov": "cluster"}),
    ],
)
def test_missing_values_in_keys_raise_data_error(column, kwargs):
    df = _small_frame().astype({column: float})
    df.loc[[0, 5, 9], column] = np.nan
    with pytest.raises(DataError, match=rf"column '{column}' .*has 3 missing value") as info:
        estimate(df, outcome="y", regressors=["x1"], **kwargs)
    assert info.value.column == column


def test_missing_values_in_regressors_are_dropped_and_reported(panel):
    res = fit_elasticity(panel).model
    assert res.dropped_rows == 2 * 48
    assert any("dropped 96 of 4,992 rows with missing values" in w for w in res.warnings_in("en"))
    assert any("删除 96 行含缺失值" in w for w in res.warnings_in("zh"))
    # the note reaches the report under the regression table: the columns by the report's labels
    assert "（共 4,992 行；互动量滞后 1 周：48，互动量滞后 2 周：96）" in res.warnings_in("zh")[0]
    assert "(Engagement, 1-week lag: 48, Engagement, 2-week lag: 96)" in res.warnings_in("en")[0]


def test_the_formula_in_the_readers_words(panel):
    res = fit_elasticity(panel).model
    assert res.formula == "log_add_to_cart ~ log_engagement + log_engagement_l1 + log_engagement_l2 | brand + week"
    assert res.formula_label["zh"] == "加购数（对数） ~ 互动量（对数） + 互动量滞后 1 周（对数） + 互动量滞后 2 周（对数） | 品牌 + 周"
    assert res.formula_label["en"] == ("Add-to-cart (log) ~ Engagement (log) + Engagement, 1-week lag (log) + "
                                       "Engagement, 2-week lag (log) | Brand + Week")


def test_term_labels_of_derived_and_unknown_columns():
    assert term_label("engagement_f2", "zh", time="week") == "互动量超前 2 周"
    assert term_label("engagement_l1", "en") == "Engagement, 1-period lag"  # no time column: periods
    assert term_label("log1p_orders", "en") == "Orders (log(1 + x))"
    # an analyst's own columns keep their names; their logs are said as logs
    assert term_label("PageValues_l1", "zh") == "PageValues_l1" and term_label("log_PageValues", "zh") == "PageValues（对数）"
    assert formula_label("log_add_to_cart ~ log_engagement | brand + category^week", "zh") == (
        "加购数（对数） ~ 互动量（对数） | 品牌 + 类目 × 周")


def test_singletons_and_separated_groups_are_dropped_and_reported():
    df = _binary_frame()
    df.loc[len(df)] = {"g": 99, "t": 1, "x1": 0.1, "x2": 0.2, "buy": True}  # a singleton group
    df.loc[df["g"] == 5, "buy"] = False  # group 5 never buys: separated
    res = estimate(df, outcome="buy", regressors=["x1"], fixed_effects="g", family="logit", vcov="hc1")
    n5 = int((df["g"] == 5).sum())
    assert res.dropped_rows == n5 + 1  # a one-row logit group is separated too (all 1)
    assert any(f"dropped {n5 + 1} row(s) in fixed-effect groups whose outcome is all 0 or all 1" in w for w in res.warnings_in("en"))
    ols = estimate(df.assign(buy=df["buy"].astype(float)), outcome="x2", regressors=["x1"], fixed_effects="g", vcov="hc1")
    assert ols.dropped_rows == 1 and any("1 singleton row" in w for w in ols.warnings_in("en"))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"family": "probit"}, "family: expected one of 'ols', 'loglog', 'ppml', 'logit'; got 'probit'"),
        ({"vcov": "HC1"}, "vcov: expected one of 'iid', 'hc1', 'hc3', 'cluster', 'crv3', 'twoway', 'driscoll_kraay'; got 'HC1'"),
        ({"vcov": "iid", "zeros": "drop"}, "zeros: expected one of 'error', 'log1p'; got 'drop'"),
        ({"vcov": "iid", "conf_level": 95}, "conf_level: expected a number between 0 and 1"),
        ({}, "vcov='cluster' needs a cluster column"),
        ({"vcov": "twoway", "entity": "i"}, "vcov='twoway' needs two cluster columns"),
        ({"vcov": "cluster", "cluster": ("i", "t")}, "use vcov='twoway' for two"),
        ({"vcov": "driscoll_kraay", "time": "t"}, "vcov='driscoll_kraay' needs entity= and time="),
        ({"vcov": "iid", "dk_lags": 2}, "dk_lags is only used with vcov='driscoll_kraay'"),
        ({"vcov": "hc3", "fixed_effects": "g"}, "vcov='hc3' is offered for linear models"),
        ({"vcov": "hc1", "cluster": "g"}, "cluster= is only used with vcov='cluster', 'crv3' or 'twoway'"),
        ({"vcov": "hc1", "family": "logit"}, "family='logit' needs a binary 0/1"),
        ({"vcov": "hc1", "controls": ["x1"]}, "column 'x1' is used both as a regressor and as a control"),
        ({"vcov": "hc1", "weights": "g"}, "weights= (the number of trials of a rate outcome) is only used with family='logit'"),
        ({"vcov": "cluster", "cluster": "one"}, "clustering by 'one' needs at least 2 clusters"),
    ],
)
def test_bad_options_raise_analysis_error(kwargs, needle):
    df = _small_frame().assign(one=1)
    with pytest.raises(AnalysisError, match=re.escape(needle)):
        estimate(df, outcome="y", regressors=["x1"], **kwargs)


def test_missing_column_lists_available_ones():
    df = _small_frame()
    with pytest.raises(DataError, match=re.escape("column 'clicks' not found; available columns: x1, x2, g, t, i, y")):
        estimate(df, outcome="y", regressors=["clicks"], vcov="iid")


# --------------------------------------------------------------------------- lincom, result object


def test_lincom_matches_statsmodels_t_test():
    import statsmodels.api as sm

    df = _small_frame()
    res = estimate(df, outcome="y", regressors=["x1", "x2"], vcov="hc1")
    comb = res.lincom({"x1": 1.0, "x2": -2.0})
    ref = sm.OLS(df["y"], sm.add_constant(df[["x1", "x2"]])).fit(cov_type="HC1", use_t=True)
    tt = ref.t_test(np.array([[0.0, 1.0, -2.0]]))
    assert comb.estimate == pytest.approx(res.coef("x1").estimate - 2 * res.coef("x2").estimate, abs=1e-12)
    assert comb.estimate == pytest.approx(float(np.squeeze(tt.effect)), abs=1e-10)
    assert comb.std_error == pytest.approx(float(np.squeeze(tt.sd)), rel=1e-8)
    assert comb.p_value == pytest.approx(float(np.squeeze(tt.pvalue)), rel=1e-6)
    assert comb.term == "x1 − 2·x2"
    with pytest.raises(AnalysisError, match=r"no term 'x9' in the model; its terms are 'Intercept', 'x1', 'x2'"):
        res.lincom({"x9": 1.0})


def test_lincom_long_run_matches_pyfixest_wald_test(panel):
    import pyfixest as pf

    fit = fit_elasticity(panel)
    res = fit.model
    terms = ["log_engagement", "log_engagement_l1", "log_engagement_l2"]
    total = res.lincom({t: 1 for t in terms}, name="long run")
    assert total.estimate == pytest.approx(sum(res.coef(t).estimate for t in terms), abs=1e-12)
    assert total.term == "long run"
    # the model's rows: the lags exist (adoption_week, NaT for never-adopting brands, is not a model column)
    data = prepare_panel(panel).drop(columns="adoption_week").dropna().reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(res.formula, data=data, vcov={"CRV1": "brand"})
        ref.wald_test(R=np.ones(3), q=np.array([0.0]), distribution="chi2")
    assert ref._wald_statistic == pytest.approx((total.estimate / total.std_error) ** 2, rel=1e-9)


def test_result_is_frozen_tidy_and_json_serialisable():
    df = _small_frame()
    res = estimate(df, outcome="y", regressors=["x1", "x2"], vcov="hc1")
    assert isinstance(res, ModelResult) and isinstance(res.spec, ModelSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_obs = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.spec.family = "ppml"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.coefficients[0].estimate = 1.0  # type: ignore[misc]
    hash(res)
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    tidy.loc[0, "estimate"] = 99.0
    assert res.tidy().loc[0, "estimate"] != 99.0
    text = json.dumps(res.to_dict(), allow_nan=False, ensure_ascii=False)
    back = json.loads(text)
    assert back["spec"]["vcov"] == "hc1" and back["r2_within"] is None
    assert [c["term"] for c in back["coefficients"]] == ["Intercept", "x1", "x2"]
    assert isinstance(res.coef("x1"), Coef)
    with pytest.raises(AnalysisError, match=r"no term 'x3' in the model; its terms are 'Intercept', 'x1', 'x2'"):
        res.coef("x3")


def test_no_warnings_escape_our_calls(panel):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate(panel, outcome="add_to_cart", regressors="engagement", fixed_effects=("brand", "week"),
                 family="loglog", entity="brand")
        estimate(panel, outcome="orders", regressors="engagement", fixed_effects=("brand", "week"),
                 family="ppml", entity="brand")
    assert not caught, [str(w.message)[:80] for w in caught]


# --------------------------------------------------------------------------- (c) recovery


@pytest.mark.slow
def test_recovery_over_seeded_replications(record_property):
    """200 simulated panels (≥ 50 asked): the 95% CI of the same-week elasticity covers the truth in ≥ 90%."""
    started = time.perf_counter()
    truth = simulate_panel(seed=1).truth
    betas = truth.lag_elasticities
    n_rep = 200
    est = np.zeros((n_rep, len(betas)))
    cover = np.zeros((n_rep, len(betas)), dtype=bool)
    cover_total = np.zeros(n_rep, dtype=bool)
    for r in range(n_rep):
        sim = simulate_panel(seed=1000 + r)
        fit = fit_elasticity(sim.data, n_lags=len(betas) - 1)
        for c in fit.coefficients:
            est[r, c.lag] = c.estimate
            cover[r, c.lag] = c.ci_low <= sim.truth.lag_elasticities[c.lag] <= c.ci_high
        cover_total[r] = fit.total.ci_low <= sim.truth.long_run_elasticity <= fit.total.ci_high
    coverage = cover.mean(axis=0)
    seconds = time.perf_counter() - started
    record_property("coverage_by_lag", coverage.tolist())
    record_property("coverage_long_run", float(cover_total.mean()))
    record_property("seconds", seconds)
    print(f"\ncoverage by lag {coverage.tolist()}, long run {cover_total.mean():.2f}, {seconds:.1f} s")
    assert coverage[0] >= 0.90
    assert (coverage >= 0.85).all() and cover_total.mean() >= 0.85
    mc_se = est.std(axis=0, ddof=1) / math.sqrt(n_rep)
    bias = est.mean(axis=0) - np.array(betas)
    assert (np.abs(bias) < 4 * mc_se + 0.01).all(), (bias, mc_se)


def test_model_result_warnings_come_in_every_language():
    df = _small_frame()
    df.loc[df.index[:3], "x2"] = np.nan  # rows dropped: a note
    res = estimate(df, outcome="y", regressors=["x1", "x2"], vcov="hc1")
    assert res.warnings and all(isinstance(w, Text) for w in res.warnings)
    for w in res.warnings:
        assert w.languages == LANGUAGES
    for lang in LANGUAGES:
        texts = res.warnings_in(lang)
        assert len(texts) == len(res.warnings) and all(isinstance(t, str) and t for t in texts)
        assert res.vcov_label[lang] and res.family_label[lang] and res.inference_label[lang]
    assert "dropped 3 of" in res.warnings_in("en")[0] and "删除 3 行" in res.warnings_in("zh")[0]
    with pytest.raises(TranslationError, match="not offered"):
        res.warnings_in("fr")
    # JSON: one {lang: text} per warning; a result built from it again reads the same
    back = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert back["warnings"] == [w.to_json() for w in res.warnings] and "warnings_zh" not in back
    assert dataclasses.replace(res, warnings=tuple(back["warnings"])).warnings == res.warnings
    # a warning missing a language is refused when the result is made
    with pytest.raises(TranslationError, match=r"no 'en' entry"):
        dataclasses.replace(res, warnings=(Text(zh="只有中文"),))
    with pytest.raises(TranslationError, match="every language"):
        dataclasses.replace(res, warnings=("English only",))


def test_notes_reject_a_note_missing_a_language():
    notes = Notes()
    notes.add(Text({lang: f"note in {lang}" for lang in LANGUAGES}))
    with pytest.raises(TranslationError, match=r"no 'en' entry") as info:
        notes.add(Text(zh="只有中文"))
    assert info.value.lang == "en"
    with pytest.raises(TranslationError, match="every language"):
        notes.add("a plain string")  # type: ignore[arg-type]
    assert len(notes) == 1 and notes.in_language("zh") == ["note in zh"]
    with pytest.raises(TranslationError, match=r"no 'en' entry"):
        Notes([Text(zh="只有中文")])
