"""Regression diagnostics: VIF, Breusch–Pagan, RESET and Cook's distance on constructed data with a
known answer, checked against statsmodels called directly, and the within-transformed (FE) case."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from reportkit.analysis import plots
from reportkit.analysis.diagnostics import Diagnostics, regression_diagnostics, residual_plot, vif
from reportkit.data.simulate import load_demo_panel
from reportkit.errors import AnalysisError, DataError

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.fixture(scope="module")
def demo():
    return load_demo_panel()


def _metrics(seed: int = 3, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    likes = rng.lognormal(7.0, 0.8, n)
    saves = 0.3 * likes * rng.lognormal(0.0, 0.1, n)  # saves move with likes
    comments = rng.lognormal(4.0, 0.8, n)  # independent
    return pd.DataFrame({"likes": likes, "saves": saves, "comments": comments,
                         "likes_plus_saves": likes + saves})


# --------------------------------------------------------------------------- VIF


def test_vif_matches_statsmodels_with_a_constant():
    df = _metrics()
    table = vif(df, ["likes", "saves", "comments"])
    assert list(table.columns) == ["variable", "vif"]
    assert list(table["variable"]) == ["likes", "saves", "comments"]
    design = sm.add_constant(df[["likes", "saves", "comments"]].to_numpy())
    expected = [variance_inflation_factor(design, j) for j in (1, 2, 3)]
    np.testing.assert_allclose(table["vif"].to_numpy(), expected, rtol=1e-10)
    # and it is 1 / (1 − R²) of the auxiliary regression with an intercept
    aux = sm.OLS(df["likes"], sm.add_constant(df[["saves", "comments"]])).fit()
    assert table["vif"].iloc[0] == pytest.approx(1.0 / (1.0 - aux.rsquared), rel=1e-8)


def test_vif_is_high_for_collinear_metrics_and_low_for_independent_ones():
    df = _metrics()
    table = vif(df, ["likes", "likes_plus_saves", "comments"]).set_index("variable")["vif"]
    assert table["likes"] > 5 and table["likes_plus_saves"] > 5
    assert table["comments"] < 1.5
    logged = vif(df, ["likes", "saves", "comments"], log=True).set_index("variable")["vif"]
    assert logged["likes"] > 5 and logged["comments"] < 1.5
    design = sm.add_constant(np.log(df[["likes", "saves", "comments"]].to_numpy()))
    assert logged["saves"] == pytest.approx(variance_inflation_factor(design, 2), rel=1e-10)


def test_vif_on_demo_engagement_components_is_high(demo):
    table = vif(demo, ["likes", "comments", "saves"], log=True)
    assert (table["vif"] > 5).all()


def test_vif_errors(demo):
    with pytest.raises(DataError, match="column 'retweets' not found"):
        vif(demo, ["likes", "retweets"])
    with pytest.raises(AnalysisError, match="at least two columns"):
        vif(demo, ["likes"])
    bad = demo[["likes", "saves"]].astype(float).copy()
    bad.loc[3, "saves"] = np.nan
    with pytest.raises(DataError, match="'saves' has 1 missing"):
        vif(bad, ["likes", "saves"])
    with pytest.raises(DataError, match="'brand' must be numeric"):
        vif(demo, ["likes", "brand"])
    zero = demo[["likes", "saves"]].copy()
    zero.loc[0, "likes"] = 0
    with pytest.raises(AnalysisError, match="'likes' has 1 zero or negative"):
        vif(zero, ["likes", "saves"], log=True)


# --------------------------------------------------------------------------- BP, RESET, Cook


def _xy(seed: int, n: int = 500, *, hetero: bool = False, quadratic: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 3.0, n)
    scale = 0.2 + 0.8 * x if hetero else np.ones(n)
    y = 1.0 + 0.5 * x + (0.6 * x**2 if quadratic else 0.0) + scale * rng.normal(0.0, 1.0, n)
    return pd.DataFrame({"x": x, "y": y})


def test_breusch_pagan_detects_constructed_heteroskedasticity():
    d = regression_diagnostics(_xy(11, hetero=True), outcome="y", regressors=["x"], log=False)
    assert d.bp_lm_p < 0.01 and d.heteroskedastic
    assert "heteroskedasticity present" in d.verdict("breusch_pagan", "en")
    assert "存在异方差" in d.verdict("breusch_pagan", "zh")
    # the same numbers as statsmodels called directly
    from statsmodels.stats.diagnostic import het_breuschpagan

    df = _xy(11, hetero=True)
    res = sm.OLS(df["y"], sm.add_constant(df["x"])).fit()
    lm, p, _, _ = het_breuschpagan(res.resid, sm.add_constant(df["x"]))
    assert d.bp_lm == pytest.approx(lm, rel=1e-10) and d.bp_lm_p == pytest.approx(p, rel=1e-10)


def test_breusch_pagan_quiet_on_homoskedastic_data():
    d = regression_diagnostics(_xy(12), outcome="y", regressors=["x"], log=False)
    assert d.bp_lm_p > 0.01 and not d.heteroskedastic
    assert "no evidence of heteroskedasticity" in d.verdict("breusch_pagan", "en")


def test_reset_detects_a_constructed_quadratic():
    quad = regression_diagnostics(_xy(13, quadratic=True), outcome="y", regressors=["x"], log=False)
    assert quad.reset_p < 0.01 and quad.misspecified
    assert (quad.reset_df_num, quad.reset_df_denom) == (2, 500 - 4)
    lin = regression_diagnostics(_xy(13), outcome="y", regressors=["x"], log=False)
    assert lin.reset_p > 0.01


def test_cooks_distance_finds_a_planted_outlier():
    df = _xy(14, n=200)
    df.index = [f"r{i}" for i in range(len(df))]
    df.loc["r37", ["x", "y"]] = [6.0, -8.0]  # high leverage and a large residual
    d = regression_diagnostics(df, outcome="y", regressors=["x"], log=False)
    assert d.cooks_top[0].index == "r37" and d.cooks_top[0].position == 37
    assert d.cooks_max == d.cooks_top[0].cooks_distance > 1.0
    assert len(d.cooks_top) == 5
    assert d.cooks_threshold == pytest.approx(4 / 200)
    assert d.cooks_n_above >= 1
    assert "D > 1" in d.verdict("cooks", "en")
    top = d.top_observations()
    assert list(top.columns) == ["index", "position", "entity", "time", "cooks_distance", "residual"]
    assert top["cooks_distance"].is_monotonic_decreasing


def test_within_transformed_model_has_the_fixed_effects_slope(demo):
    import pyfixest as pf

    d = regression_diagnostics(demo, outcome="add_to_cart", regressors=["engagement"], entity="brand", time="week")
    assert isinstance(d, Diagnostics)
    assert d.transform == "within: brand + week" and d.n_obs == len(demo)
    panel = demo.assign(ly=np.log(demo["add_to_cart"]), lx=np.log(demo["engagement"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe = pf.feols("ly ~ lx | brand + week", data=panel)
    assert d.slopes[0] == pytest.approx(float(fe.coef()["lx"]), rel=1e-6)  # Frisch–Waugh–Lovell
    top = d.cooks_top[0]
    assert top.entity in set(demo["brand"]) and top.time in set(demo["week"])
    assert demo.loc[top.index, "brand"] == top.entity
    for value in (d.bp_lm_p, d.reset_p):
        assert 0.0 <= value <= 1.0


def test_table_labels_and_reading(demo):
    d = regression_diagnostics(_xy(11, hetero=True), outcome="y", regressors=["x"], log=False)
    zh, en = d.table("zh"), d.table("en")
    assert list(zh.columns) == ["检验", "统计量", "p 值", "解读"]
    assert list(en.columns) == ["Test", "Statistic", "p-value", "Reading"]
    assert len(zh) == 3 and zh.iloc[0, 1] == pytest.approx(d.bp_lm)
    assert en.iloc[0, 3].startswith("p < 0.05: heteroskedasticity present → use robust/clustered SEs")
    assert np.isnan(en.iloc[2, 2])
    with pytest.raises(AnalysisError, match="expected one of zh, en"):
        d.table("fr")
    with pytest.raises(AnalysisError, match="expected one of 'breusch_pagan'"):
        d.verdict("white", "en")


def test_diagnostics_errors(demo):
    with pytest.raises(DataError, match="column 'clicks' not found"):
        regression_diagnostics(demo, outcome="clicks", regressors=["engagement"])
    with pytest.raises(AnalysisError, match="outcome 'add_to_cart' is also among the regressors"):
        regression_diagnostics(demo, outcome="add_to_cart", regressors=["add_to_cart"])
    neg = _xy(1)
    with pytest.raises(AnalysisError, match="zero or negative"):
        regression_diagnostics(neg.assign(x=neg["x"] - 5), outcome="y", regressors=["x"])
    gap = _xy(1).astype(float)
    gap.loc[4, "x"] = np.nan
    with pytest.raises(DataError, match="'x' has 1 missing value"):
        regression_diagnostics(gap, outcome="y", regressors=["x"], log=False)
    const = demo.assign(flat=5.0)
    with pytest.raises(AnalysisError, match="'flat' does not vary within the fixed effects"):
        regression_diagnostics(const, outcome="add_to_cart", regressors=["engagement", "flat"], entity="brand")


def test_residual_plot_renders_without_missing_glyphs(demo):
    plots.use_theme()
    d = regression_diagnostics(demo, outcome="add_to_cart", regressors=["engagement"], entity="brand", time="week")
    for lang in ("zh", "en"):
        fig = residual_plot(d, lang=lang)
        import io

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.savefig(io.BytesIO(), format="svg")
        assert len(fig.axes) == 2
        plt.close(fig)
    with pytest.raises(AnalysisError, match="expected a Diagnostics result"):
        residual_plot("nope", lang="zh")


def test_influential_periods_read_as_dates_when_the_panel_has_datetimes():
    from reportkit.analysis.diagnostics import _plain

    assert _plain(pd.Timestamp("2024-10-21")) == "2024-10-21"
    assert _plain(np.datetime64("2024-10-21T00:00:00")) == "2024-10-21"
    assert _plain(pd.Timestamp("2024-10-21 08:30")) == "2024-10-21T08:30:00"
    assert _plain(np.int64(3)) == 3 and isinstance(_plain(np.int64(3)), int)
