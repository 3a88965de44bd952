"""Bootstrap CIs of a quoted correlation: iid pairs (scipy) vs whole brands (cluster bootstrap)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.claims import BootstrapCorrelation, bootstrap_correlation
from reportkit.analysis.engagement import ClaimTest, pooled_correlation
from reportkit.data.simulate import load_demo_panel
from reportkit.errors import AnalysisError, DataError

N = 400  # resamples in tests (the default is 2000)


@pytest.fixture(scope="module")
def beauty():
    df = load_demo_panel()
    return df[df["category"] == "美妆个护"].reset_index(drop=True)


def test_iid_bootstrap_matches_the_point_estimate_and_is_deterministic(beauty):
    a = bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N, seed=7)
    b = bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N, seed=7)
    c = bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N, seed=8)
    assert isinstance(a, BootstrapCorrelation)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.r == pytest.approx(pooled_correlation(beauty).r, abs=1e-12)
    assert a.ci_low < a.r < a.ci_high
    assert a.resampling == "iid pairs" and a.n == 832 and a.n_clusters is None and a.n_failed == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.r = 0.0  # type: ignore[misc]


def test_iid_bootstrap_is_scipy_bootstrap(beauty):
    res = bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N, seed=3)
    x, y = np.log(beauty["engagement"].to_numpy(float)), np.log(beauty["add_to_cart"].to_numpy(float))
    ref = stats.bootstrap((x, y), lambda a, b: stats.pearsonr(a, b).statistic, paired=True, vectorized=False,
                          n_resamples=N, method="percentile", rng=np.random.default_rng(3))
    assert res.ci_low == pytest.approx(ref.confidence_interval.low, abs=1e-10)
    assert res.ci_high == pytest.approx(ref.confidence_interval.high, abs=1e-10)


def test_cluster_bootstrap_is_wider_than_iid_on_the_demo_beauty_category(beauty):
    iid = bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N, seed=1)
    clu = bootstrap_correlation(beauty, "engagement", "add_to_cart", cluster="brand", n_resamples=N, seed=1)
    assert clu.r == iid.r
    assert clu.n_clusters == 8 and clu.resampling == "cluster bootstrap by brand"
    assert (clu.ci_high - clu.ci_low) > 2 * (iid.ci_high - iid.ci_low)
    assert clu.std_error > 2 * iid.std_error
    assert clu == bootstrap_correlation(beauty, "engagement", "add_to_cart", cluster="brand", n_resamples=N, seed=1)
    # the published 0.73 sits inside both; the claim test reuses engagement.ClaimTest
    test = clu.claim_test(0.73)
    assert isinstance(test, ClaimTest) and test.inside


def test_cluster_bootstrap_resamples_whole_clusters():
    # the same draws of whole clusters, done by hand, give the same percentile interval
    rng = np.random.default_rng(0)
    n_g, per = 12, 6
    g = np.repeat(np.arange(n_g), per)
    level = rng.normal(0, 1, n_g)[g]
    df = pd.DataFrame({"g": g, "x": level + rng.normal(0, 0.3, g.size), "y": level + rng.normal(0, 0.3, g.size)})
    clu = bootstrap_correlation(df, "x", "y", cluster="g", log=False, n_resamples=300, seed=0)
    # reference: resample clusters by hand with the same generator draws
    picks = np.random.default_rng(0).integers(0, n_g, size=(300, n_g))
    boot = []
    for row in picks:
        idx = np.concatenate([np.flatnonzero(g == k) for k in row])
        boot.append(stats.pearsonr(df["x"].to_numpy()[idx], df["y"].to_numpy()[idx]).statistic)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    assert clu.ci_low == pytest.approx(lo, abs=1e-10) and clu.ci_high == pytest.approx(hi, abs=1e-10)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("ci_method", ["percentile", "bca"])
def test_methods_give_sensible_intervals(beauty, method, ci_method):
    iid = bootstrap_correlation(beauty, "engagement", "add_to_cart", method=method, ci_method=ci_method,
                                n_resamples=N, seed=2)
    clu = bootstrap_correlation(beauty, "engagement", "add_to_cart", method=method, ci_method=ci_method,
                                cluster="brand", n_resamples=N, seed=2)
    if method == "spearman":
        assert iid.r == pytest.approx(stats.spearmanr(beauty["engagement"], beauty["add_to_cart"]).statistic)
    for res in (iid, clu):
        assert -1 <= res.ci_low < res.r < res.ci_high <= 1
        assert res.method == method and res.ci_method == ci_method
    assert clu.ci_high - clu.ci_low > iid.ci_high - iid.ci_low


def test_errors(beauty):
    with pytest.raises(DataError, match="column 'views' not found"):
        bootstrap_correlation(beauty, "views", "add_to_cart")
    with pytest.raises(AnalysisError, match="method: expected one of 'pearson', 'spearman'; got 'kendall'"):
        bootstrap_correlation(beauty, "engagement", "add_to_cart", method="kendall")
    with pytest.raises(AnalysisError, match="ci_method: expected one of 'percentile', 'bca'; got 'basic'"):
        bootstrap_correlation(beauty, "engagement", "add_to_cart", ci_method="basic")
    with pytest.raises(AnalysisError, match="n_resamples"):
        bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=10)
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        bootstrap_correlation(beauty, "engagement", "add_to_cart", cluster="category")
    zero = beauty.copy()
    zero.loc[0, "engagement"] = 0
    with pytest.raises(AnalysisError, match="'engagement' has 1 zero or negative"):
        bootstrap_correlation(zero, "engagement", "add_to_cart")
    with pytest.raises(AnalysisError, match="claimed"):
        bootstrap_correlation(beauty, "engagement", "add_to_cart", n_resamples=N).claim_test(1.5)
