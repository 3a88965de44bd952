"""CRV3 (cluster jackknife), the joint F (Wald) test and the residual standard error of
:func:`reportkit.analysis.models.estimate`, each against an independent computation made here:
leave-one-cluster-out statsmodels fits with dummy fixed effects, statsmodels' ``f_test`` and
dummy-variable OLS."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.models import estimate
from reportkit.errors import AnalysisError
from reportkit.i18n import Text


def _panel(n_brands: int = 8, n_weeks: int = 30, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    brand = np.repeat(np.arange(n_brands), n_weeks)
    week = np.tile(np.arange(n_weeks), n_brands)
    shock = rng.normal(0.0, 1.0, n_brands)
    x1 = rng.normal(size=len(brand)) + 0.5 * shock[brand]
    x2 = rng.exponential(size=len(brand))
    y = 1.0 + 0.4 * x1 - 0.2 * x2 + shock[brand] + 0.3 * np.cos(week) + rng.normal(size=len(brand)) * (1 + 0.5 * shock[brand] ** 2)
    orders = rng.poisson(np.exp(0.5 + 0.3 * x1 + 0.1 * np.cos(week)))
    return pd.DataFrame({"brand": [f"b{b}" for b in brand], "week": week, "x1": x1, "x2": x2, "y": y,
                         "orders": orders, "engagement": np.exp(x1)})


def _ols(df: pd.DataFrame, dummies: tuple[str, ...]):
    import statsmodels.api as sm

    X = df[["x1", "x2"]]
    if dummies:
        X = pd.concat([X, pd.get_dummies(df[list(dummies)].astype(str), drop_first=True, dtype=float)], axis=1)
    return sm.OLS(df["y"], sm.add_constant(X))


# --------------------------------------------------------------------------- CRV3


@pytest.mark.parametrize("fixed_effects", [(), ("week",), ("brand", "week")])
def test_crv3_equals_the_leave_one_cluster_out_jackknife(fixed_effects):
    df = _panel()
    res = estimate(df, outcome="y", regressors=["x1"], controls=["x2"], fixed_effects=fixed_effects,
                   vcov="crv3", cluster="brand")
    terms = list(res.terms)
    sm_names = ["const" if t == "Intercept" else t for t in terms]
    full = _ols(df, fixed_effects).fit().params[sm_names].to_numpy()
    clusters = sorted(df["brand"].unique())
    G = len(clusters)
    jack = np.array([_ols(df[df["brand"] != g].reset_index(drop=True), fixed_effects).fit().params[sm_names].to_numpy()
                     for g in clusters])
    dev_hat = jack - full  # centred at the full-sample estimate (pyfixest's choice, MNW's CV3)
    v_hat = (G - 1) / G * dev_hat.T @ dev_hat
    beta_bar = jack.mean(axis=0)
    dev_bar = jack - beta_bar  # centred at the mean of the leave-one-out estimates (MNW's CV3J)
    v_bar = (G - 1) / G * dev_bar.T @ dev_bar
    V = np.array(res.vcov_matrix)
    np.testing.assert_allclose(res.tidy()["estimate"], full, rtol=0, atol=1e-8)
    np.testing.assert_allclose(V, v_hat, rtol=1e-5, atol=1e-12)
    # the two centrings differ by exactly (G − 1)·(β̄ − β̂)(β̄ − β̂)'
    np.testing.assert_allclose(v_hat - v_bar, (G - 1) * np.outer(beta_bar - full, beta_bar - full), atol=1e-12)
    assert not np.allclose(V, v_bar, rtol=1e-3)
    # t(G − 1) inference
    assert res.df_t == G - 1 and res.n_clusters == (G,)
    c = res.coef("x1")
    assert c.std_error == pytest.approx(float(np.sqrt(v_hat[terms.index("x1"), terms.index("x1")])), rel=1e-5)
    assert c.p_value == pytest.approx(float(2 * stats.t.sf(abs(c.estimate / c.std_error), G - 1)), rel=1e-12)
    assert res.vcov_label == Text(zh="按品牌聚类（CRV3 刀切法）", en="clustered by brand (CRV3 jackknife)")


def test_crv3_is_larger_than_crv1_here_and_uses_the_entity_by_default():
    df = _panel()
    crv3 = estimate(df, outcome="y", regressors=["x1"], fixed_effects="week", vcov="crv3", entity="brand")
    crv1 = estimate(df, outcome="y", regressors=["x1"], fixed_effects="week", vcov="cluster", entity="brand")
    assert crv3.spec.cluster == ("brand",)
    assert crv3.coef("x1").estimate == pytest.approx(crv1.coef("x1").estimate, abs=1e-12)
    assert crv3.coef("x1").std_error > crv1.coef("x1").std_error


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"family": "ppml", "outcome": "orders", "regressors": ["engagement"]},
         "vcov='crv3' (the leave-one-cluster-out jackknife) is offered for linear models (ols, loglog) only; "
         "got family='ppml'. For logit and PPML use vcov='cluster'"),
        ({"cluster": ("brand", "week")}, "vcov='crv3' clusters by one column; got 2 (brand, week)"),
        ({"cluster": None}, "vcov='crv3' needs a cluster column"),
    ],
)
def test_crv3_refusals_name_the_alternatives(kwargs, needle):
    args = {"outcome": "y", "regressors": ["x1"], "vcov": "crv3", "cluster": "brand", **kwargs}
    with pytest.raises(AnalysisError, match=re.escape(needle)):
        estimate(_panel(), **args)


def test_crv3_with_few_clusters_is_refused_like_crv1():
    with pytest.raises(AnalysisError, match=r"'brand'.*only 4 clusters, fewer than 5"):
        estimate(_panel(n_brands=4), outcome="y", regressors=["x1"], vcov="crv3", cluster="brand")


# --------------------------------------------------------------------------- F (Wald) test


def test_clustered_f_matches_statsmodels_f_test_with_dummies():
    """Week dummies (not nested in the brand clusters): statsmodels' K (every column) equals
    pyfixest's, so both use G/(G−1)·(N−1)/(N−K); statsmodels' clustered F uses G − 1 as df_denom."""
    df = _panel()
    res = estimate(df, outcome="y", regressors=["x1"], controls=["x2"], fixed_effects="week", vcov="cluster",
                   cluster="brand")
    ref = _ols(df, ("week",)).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df["brand"])[0]}, use_t=True)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse[["x1", "x2"]], rtol=1e-8)
    R = np.zeros((2, len(ref.params)))
    R[0, list(ref.params.index).index("x1")] = 1.0
    R[1, list(ref.params.index).index("x2")] = 1.0
    ft = ref.f_test(R)
    assert res.f_statistic == pytest.approx(float(np.squeeze(ft.fvalue)), rel=1e-7)
    assert res.f_df == (2, 7) == (int(ft.df_num), int(ft.df_denom))
    assert res.f_p_value == pytest.approx(float(ft.pvalue), rel=1e-6)


def test_iid_f_without_fixed_effects_is_the_classical_regression_f():
    df = _panel()
    res = estimate(df, outcome="y", regressors=["x1", "x2"], vcov="iid")
    ref = _ols(df, ()).fit()
    assert res.f_statistic == pytest.approx(ref.fvalue, rel=1e-8)
    assert res.f_df == (2, int(ref.df_resid))
    assert res.f_p_value == pytest.approx(ref.f_pvalue, rel=1e-6)


def test_glm_without_clusters_gives_the_chi2_form():
    import pyfixest as pf

    df = _panel()
    df["log_engagement"] = np.log(df["engagement"])
    res = estimate(df, outcome="orders", regressors=["engagement"], controls=["x2"], family="ppml", vcov="hc1")
    assert res.df_t is None and res.f_df == (2, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.fepois("orders ~ log_engagement + x2", data=df, vcov="hetero", iwls_tol=1e-10)
        fit.wald_test(R=np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), distribution="chi2")
    w = float(np.squeeze(fit._wald_statistic))
    assert res.f_statistic == pytest.approx(w / 2, rel=1e-6)
    assert res.f_p_value == pytest.approx(float(stats.chi2.sf(w, 2)), rel=1e-5, abs=1e-300)


def test_f_is_none_when_the_clustered_covariance_is_singular():
    rng = np.random.default_rng(0)
    df = _panel(n_brands=5)
    extra = {f"z{j}": rng.normal(size=len(df)) for j in range(6)}  # 7 restrictions, 5 clusters
    df = df.assign(**extra)
    res = estimate(df, outcome="y", regressors=["x1"], controls=list(extra), vcov="cluster", cluster="brand")
    assert res.f_statistic is None and res.f_df is None and res.f_p_value is None
    assert json.loads(json.dumps(res.to_dict()))["f_statistic"] is None


# --------------------------------------------------------------------------- residual SE


def test_resid_se_counts_absorbed_fixed_effects_like_dummy_ols_and_pyfixest():
    import pyfixest as pf

    df = _panel()
    res = estimate(df, outcome="y", regressors=["x1"], controls=["x2"], fixed_effects=("brand", "week"), vcov="iid")
    ref = _ols(df, ("brand", "week")).fit()
    assert res.resid_se == pytest.approx(float(np.sqrt(ref.scale)), rel=1e-9)  # SSR / (N − K), K = rank
    assert res.n_obs - (2 + 8 + 30 - 1) == int(ref.df_resid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("y ~ x1 + x2 | brand + week", data=df, vcov="iid")
    ssr = float(np.sum(np.asarray(fit.resid()) ** 2))
    assert fit._df_k == 2 + 8 + 30 - 1  # pyfixest's iid K counts the absorbed levels the same way
    assert res.resid_se == pytest.approx(float(np.sqrt(ssr / (fit._N - fit._df_k))), rel=1e-7)
    d = res.to_dict()
    assert d["resid_se"] == pytest.approx(res.resid_se) and d["f_df"] == [2, int(ref.df_resid)]
    ppml = estimate(df, outcome="orders", regressors=["engagement"], family="ppml", vcov="hc1")
    assert ppml.resid_se is None
