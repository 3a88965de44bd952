"""Clustered inference with few clusters: t(G−1) for GLMs, refusal below MIN_CLUSTERS, the forced
warning reaching the rendered regression table's note.

Reference values come from statsmodels (GLM / Logit with ``use_t=True``, whose clustered inference
uses G − 1 degrees of freedom) and from scipy's t distribution, computed here.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.models import FEW_CLUSTERS, MIN_CLUSTERS, estimate
from reportkit.analysis.tables import regression_table
from reportkit.errors import AnalysisError
from reportkit.i18n import LANGUAGES
from reportkit.record import SectionResults, make_record
from reportkit.render import render_html
from reportkit.spec import ReportSpec


def _panel(n_brands: int, n_weeks: int = 40, seed: int = 11) -> pd.DataFrame:
    """Brand × week counts: orders ~ Poisson(exp(brand + 0.4·log engagement)), a 0/1 purchase flag."""
    rng = np.random.default_rng(seed)
    brand = np.repeat(np.arange(n_brands), n_weeks)
    week = np.tile(np.arange(n_weeks), n_brands)
    shock = rng.normal(0.0, 0.4, n_brands)[brand]
    engagement = np.exp(rng.normal(3.0, 0.6, len(brand)) + shock)
    mu = np.exp(-0.5 + shock + 0.4 * np.log(engagement) + 0.05 * np.sin(week))
    eta = -0.3 + 0.6 * (np.log(engagement) - 3.0) + shock
    return pd.DataFrame({
        "brand": [f"品牌{b}" for b in brand],
        "week": week,
        "engagement": engagement,
        "orders": rng.poisson(mu),
        "bought": (rng.random(len(brand)) < 1 / (1 + np.exp(-eta))).astype(int),
        "noise": rng.normal(size=len(brand)),
    })


def test_the_thresholds_are_named_constants():
    assert MIN_CLUSTERS == 5 and FEW_CLUSTERS == 30


# --------------------------------------------------------------------------- (1) GLMs: t(G − 1)


def test_ppml_clustered_on_8_brands_uses_t_with_7_df_as_statsmodels():
    import statsmodels.api as sm

    df = _panel(8)
    res = estimate(df, outcome="orders", regressors=["engagement"], controls=["noise"], fixed_effects="week",
                   family="ppml", vcov="cluster", entity="brand", inference="analytic")  # the t(G−1) path
    assert res.n_clusters == (8,) and res.df_t == 7
    # statsmodels: Poisson GLM with week dummies; cluster SEs with G/(G−1)·(N−1)/(N−K) (K = every
    # column, the same K as pyfixest's when the fixed effect is not nested in the cluster)
    X = pd.concat([np.log(df[["engagement"]]).rename(columns={"engagement": "log_engagement"}), df[["noise"]],
                   pd.get_dummies(df["week"].astype(str), prefix="w", drop_first=True, dtype=float)], axis=1)
    ref = sm.GLM(df["orders"], sm.add_constant(X), family=sm.families.Poisson()).fit(
        tol=1e-12, cov_type="cluster", cov_kwds={"groups": pd.factorize(df["brand"])[0]}, use_t=True)
    tidy = res.tidy().set_index("term")
    for term in ("log_engagement", "noise"):
        assert tidy.loc[term, "std_error"] == pytest.approx(ref.bse[term], rel=1e-6)
        assert tidy.loc[term, "p_value"] == pytest.approx(ref.pvalues[term], rel=1e-5)
        crit = stats.t.ppf(0.975, 7)
        assert tidy.loc[term, "ci_high"] == pytest.approx(ref.params[term] + crit * ref.bse[term], rel=1e-6)
    # and it is not the normal p-value any more
    z = tidy.loc["noise", "statistic"]
    assert tidy.loc["noise", "p_value"] > 2 * stats.norm.sf(abs(z)) * 1.01
    # lincom follows the same distribution
    comb = res.lincom({"log_engagement": 1.0})
    assert comb.p_value == pytest.approx(float(2 * stats.t.sf(abs(comb.statistic), 7)), rel=1e-12)


def test_logit_clustered_uses_t_with_g_minus_1_df_as_statsmodels():
    import statsmodels.api as sm

    df = _panel(9)
    res = estimate(df, outcome="bought", regressors=["engagement", "noise"], family="logit", vcov="cluster",
                   cluster="brand", inference="analytic")  # the t(G−1) path; by default the wild bootstrap
    assert res.df_t == 8
    X = sm.add_constant(df[["engagement", "noise"]])
    ref = sm.Logit(df["bought"].astype(float), X).fit(disp=0, cov_type="cluster",
                                                       cov_kwds={"groups": pd.factorize(df["brand"])[0]}, use_t=True)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.tidy()["p_value"], ref.pvalues.to_numpy(), rtol=1e-5)


def test_twoway_glm_uses_the_smaller_g():
    df = _panel(8, n_weeks=20)
    res = estimate(df, outcome="orders", regressors=["engagement"], family="ppml", vcov="twoway",
                   entity="brand", time="week")
    assert res.n_clusters == (8, 20) and res.df_t == 7


@pytest.mark.filterwarnings("ignore:cov_type not fully supported with var_weights")  # the reference fit's
def test_weighted_binomial_glm_clustered_uses_t_as_statsmodels():
    import statsmodels.api as sm

    df = _panel(8)
    df["eng_r"] = np.round(np.log(df["engagement"]), 1)
    cells = df.groupby(["brand", "eng_r"], as_index=False).agg(trials=("bought", "size"), rate=("bought", "mean"))
    res = estimate(cells, outcome="rate", regressors=["eng_r"], family="logit", weights="trials", vcov="cluster",
                   cluster="brand")
    assert res.df_t == 7
    ref = sm.GLM(cells["rate"], sm.add_constant(cells[["eng_r"]]), family=sm.families.Binomial(),
                 var_weights=cells["trials"]).fit(cov_type="cluster",
                                                  cov_kwds={"groups": pd.factorize(cells["brand"])[0]}, use_t=True)
    np.testing.assert_allclose(res.tidy()["std_error"], ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.tidy()["p_value"], ref.pvalues.to_numpy(), rtol=1e-5)


def test_glms_without_clusters_keep_normal_inference():
    df = _panel(8)
    for family, outcome in (("ppml", "orders"), ("logit", "bought")):
        res = estimate(df, outcome=outcome, regressors=["engagement"], family=family, vcov="hc1")
        assert res.df_t is None
        c = res.coefficients[1]
        assert c.p_value == pytest.approx(float(2 * stats.norm.sf(abs(c.statistic))), rel=1e-12)


# --------------------------------------------------------------------------- (2) fewer than 5 clusters


@pytest.mark.parametrize(("family", "outcome"), [("ols", "noise"), ("ppml", "orders"), ("logit", "bought")])
def test_three_clusters_are_refused_naming_the_column_and_count(family, outcome):
    df = _panel(3)
    with pytest.raises(AnalysisError) as info:
        estimate(df, outcome=outcome, regressors=["engagement"], family=family, vcov="cluster", entity="brand")
    text = str(info.value)
    assert "'brand'" in text and "3 clusters" in text and f"fewer than {MIN_CLUSTERS}" in text
    assert "allow_few_clusters=True" in text and "vcov='hc1'" in text


def test_twoway_with_a_dimension_below_the_minimum_is_refused():
    df = _panel(8, n_weeks=4)
    with pytest.raises(AnalysisError, match=r"'week'.*4 clusters"):
        estimate(df, outcome="noise", regressors=["engagement"], vcov="twoway", entity="brand", time="week")


def test_five_clusters_are_accepted_without_a_warning():
    res = estimate(_panel(5), outcome="noise", regressors=["engagement"], vcov="cluster", entity="brand")
    assert res.n_clusters == (5,) and res.df_t == 4
    assert not any("clusters" in w for w in res.warnings_in("en"))


def test_forced_three_clusters_carry_a_warning_in_both_languages():
    df = _panel(3)
    res = estimate(df, outcome="noise", regressors=["engagement"], vcov="cluster", entity="brand",
                   allow_few_clusters=True)
    assert res.n_clusters == (3,) and res.df_t == 2 and res.spec.allow_few_clusters is True
    assert any("3 clusters" in w and "unreliable" in w and "'brand'" in w for w in res.warnings_in("en"))
    assert any("3 个聚类" in w and "不可靠" in w for w in res.warnings_in("zh"))
    assert all(w.languages == LANGUAGES for w in res.warnings)
    assert res.to_dict()["spec"]["allow_few_clusters"] is True


def test_allow_few_clusters_must_be_a_bool():
    with pytest.raises(AnalysisError, match=r"allow_few_clusters: expected True or False; got 'yes'"):
        estimate(_panel(3), outcome="noise", regressors=["engagement"], vcov="cluster", entity="brand",
                 allow_few_clusters="yes")  # type: ignore[arg-type]


def _spec() -> ReportSpec:
    return ReportSpec.model_validate({
        "id": "few-clusters",
        "title": {"zh": "少聚类示例", "en": "Few clusters"},
        "sections": [{"id": "engagement", "notebook": "notebooks/engagement_conversion.ipynb",
                      "title": {"zh": "内容互动与转化", "en": "Engagement and conversion"}}],
    })


BUILD_INFO = {"generated": "2025-03-01T09:30:00+08:00", "commit": "abc1234", "reportkit_version": "0.1.0",
              "spec_path": "reports/few.yaml",
              "sections": {"engagement": {"notebook": "notebooks/engagement_conversion.ipynb",
                                          "parameters": {}, "run_key": "0" * 16}},
              "data": [], "environment": {"python": "3.11"}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_forced_few_cluster_warning_reaches_the_rendered_table_note(lang):
    df = _panel(3)
    forced = estimate(df, outcome="orders", regressors=["engagement"], family="ppml", vcov="cluster",
                      entity="brand", allow_few_clusters=True)
    fine = estimate(df, outcome="orders", regressors=["engagement"], family="ppml", vcov="hc1")
    reg = regression_table([fine, forced], lang=lang)
    # recorded the way notebooks/engagement_conversion.ipynb records its regression table
    table = make_record("regression_table", reg.frame, decimals=None, style="regression", caption="回归",
                        note=" ".join([reg.note, *reg.warnings]))
    results = {"engagement": SectionResults("engagement", "notebooks/engagement_conversion.ipynb", {}, (table,))}
    page = render_html(_spec(), results, lang=lang, build_info=BUILD_INFO)
    block = re.search(r'<div class="table-block" id="table-1">.*?<table class="[^"]*table-regression[^"]*">.*?</table>'
                      r'\s*</div>\s*<p class="note">(.*?)</p>\s*</div>', page, re.S)
    assert block, "the regression table with a note under it was not rendered"
    note = html.unescape(re.sub(r"<[^>]+>", "", block.group(1)))
    assert note.startswith(reg.note)
    texts = forced.warnings_in(lang)
    (warning,) = [t for t in texts if ("3 个聚类" in t if lang == "zh" else "3 clusters" in t)]
    assert f"(2): {warning}" in " ".join(note.split())
