"""Restricted wild cluster bootstrap: exact agreement with a brute-force reference, the wildboottest
package, test inversion, the p-value floor and input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reportkit.analysis.models import estimate
from reportkit.analysis.wild_bootstrap import WildDesign, bootstrap_weights, method_label
from reportkit.errors import AnalysisError

G, T = 8, 25


def _panel(seed: int = 1, effect: float = 0.2):
    """8 brands × 25 weeks, brand and week effects, heteroskedastic errors, two regressors."""
    rng = np.random.default_rng(seed)
    brand = np.repeat(np.arange(G), T)
    week = np.tile(np.arange(T), G)
    x = rng.normal(size=(G * T, 2)) + 0.3 * rng.normal(size=G)[brand][:, None]
    y = (effect * x[:, 0] + rng.normal(size=G)[brand] + rng.normal(size=T)[week]
         + rng.normal(size=G * T) * (1 + brand / 4))
    return y, x, brand, week


def _dummies(x, brand, week):
    return np.column_stack([x, pd.get_dummies(brand, drop_first=True).to_numpy(float),
                            pd.get_dummies(week, drop_first=True).to_numpy(float), np.ones(len(brand))])


def _brute_force_p(y, design_matrix, brand, rows, r, draws, enumerated):
    """Refit the full dummy-variable model with statsmodels on every bootstrap sample (the reference)."""
    q = len(rows)
    r_full = np.zeros((q, design_matrix.shape[1]))
    r_full[:, : rows.shape[1]] = rows
    r = np.atleast_1d(np.asarray(r, dtype=float))

    def stat(yy):
        m = sm.OLS(yy, design_matrix).fit(cov_type="cluster", cov_kwds={"groups": brand})
        d = r_full @ m.params - r
        v = r_full @ m.cov_params() @ r_full.T
        return float(d @ np.linalg.solve(v, d)) / q, m

    observed, m = stat(y)
    a = np.linalg.solve(design_matrix.T @ design_matrix, r_full.T)
    beta_r = m.params - a @ np.linalg.solve(r_full @ a, r_full @ m.params - r)
    u_r = y - design_matrix @ beta_r
    count = sum(stat(design_matrix @ beta_r + u_r * v[brand])[0] >= observed * (1 - 1e-10) for v in draws)
    return count / len(draws) if enumerated else (count + 1) / (len(draws) + 1)


@pytest.mark.parametrize(
    "rows, value",
    [({"b": 1.0}, 0.0), ({"a": 1.0, "b": 1.0}, 0.1), ([{"a": 1.0}, {"b": 1.0}], [0.2, 0.0])],
    ids=["one coefficient", "linear combination", "joint test"],
)
def test_enumerated_rademacher_equals_brute_force_refits(rows, value):
    y, x, brand, week = _panel()
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], weights="rademacher")
    assert design.enumerated and len(design.v) == 2**G
    got = design.test(rows, value, invert=False)
    r_mat, _ = design.restriction(rows)
    want = _brute_force_p(y, _dummies(x, brand, week), brand, r_mat, value, design.v, True)
    assert got.p_value == pytest.approx(want, abs=1e-12)


def test_random_webb_draws_equal_brute_force_refits_with_the_same_draws():
    y, x, brand, week = _panel(seed=3)
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], weights="webb", draws=199, seed=7)
    assert not design.enumerated and design.weights == "webb"
    got = design.test({"a": 1.0}, 0.1, invert=False)
    want = _brute_force_p(y, _dummies(x, brand, week), brand, np.array([[1.0, 0.0]]), 0.1, design.v, False)
    assert got.p_value == pytest.approx(want, abs=1e-12)


def test_statistic_is_the_crv1_t_of_the_fixed_effects_model():
    y, x, brand, week = _panel()
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"])
    got = design.test({"a": 1.0}, invert=False)
    frame = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "brand": brand, "week": week})
    fit = estimate(frame, outcome="y", regressors=["a", "b"], fixed_effects=["brand", "week"],
                   vcov="cluster", cluster="brand")
    # pyfixest's CRV1 (brand effects nested in the clusters are not counted in K)
    assert got.estimate == pytest.approx(fit.coef("a").estimate, rel=1e-8)
    assert got.statistic == pytest.approx(fit.coef("a").statistic, rel=1e-7)
    # and statsmodels' with every dummy counted differs only by (N − K) factors
    m = sm.OLS(y, _dummies(x, brand, week)).fit(cov_type="cluster", cov_kwds={"groups": brand})
    assert got.estimate == pytest.approx(m.params[0], rel=1e-9)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_agrees_with_the_wildboottest_package():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    y, x, brand, week = _panel(seed=5)
    names = ["a", "b"] + [f"d{j}" for j in range(_dummies(x, brand, week).shape[1] - 2)]
    exog = pd.DataFrame(_dummies(x, brand, week), columns=names)
    model = sm.OLS(y, exog)
    ours = WildDesign(y, x, [brand, week], brand, ["a", "b"], weights="rademacher")
    for term in ("a", "b"):
        theirs = wbt.wildboottest(model, B=9999, cluster=brand, param=term, weights_type="rademacher",
                                  seed=1, show=False, parallel=False)
        p_theirs = float(np.asarray(theirs["p-value"]).ravel()[0])
        # both enumerate the 2^8 Rademacher vectors; theirs counts |t*| > |t| strictly, which
        # leaves out the two draws that reproduce the data (2/256 = 0.0078)
        assert ours.test({term: 1.0}, invert=False).p_value == pytest.approx(p_theirs, abs=0.01)


def test_string_cluster_ids_work():
    y, x, brand, week = _panel()
    names = np.array([f"品牌{b}" for b in brand], dtype=object)
    a = WildDesign(y, x, [brand, week], names, ["a", "b"]).test({"a": 1.0}, invert=False)
    b = WildDesign(y, x, [brand, week], brand, ["a", "b"]).test({"a": 1.0}, invert=False)
    assert a.p_value == b.p_value and a.n_clusters == G


def test_interval_is_the_inverted_test():
    y, x, brand, week = _panel()
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], draws=999)
    res = design.test({"a": 1.0, "b": 1.0})
    assert res.ci_low < res.estimate < res.ci_high
    width = res.ci_high - res.ci_low
    for bound, outward in ((res.ci_low, -1), (res.ci_high, 1)):
        inside = design.test({"a": 1.0, "b": 1.0}, bound - outward * 1e-3 * width, invert=False).p_value
        outside = design.test({"a": 1.0, "b": 1.0}, bound + outward * 1e-3 * width, invert=False).p_value
        assert inside > 0.05 >= outside


def test_smallest_attainable_p_value_binds_with_enumerated_rademacher():
    y, x, brand, week = _panel(effect=3.0)
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], weights="rademacher")
    res = design.test({"a": 1.0}, invert=False)
    assert res.min_p_value == pytest.approx(2 / 2**G)
    assert res.p_value == pytest.approx(2 / 2**G) and res.at_floor


def test_deterministic_for_a_seed_and_auto_weights():
    y, x, brand, week = _panel()
    one = WildDesign(y, x, [brand, week], brand, ["a", "b"], draws=999, seed=11).test({"a": 1.0})
    two = WildDesign(y, x, [brand, week], brand, ["a", "b"], draws=999, seed=11).test({"a": 1.0})
    assert one == two and one.weights == "webb"  # 8 clusters: Webb weights
    v, kind, enumerated = bootstrap_weights(20, draws=999)
    assert kind == "rademacher" and not enumerated and v.shape == (999, 20)
    v, kind, enumerated = bootstrap_weights(5, draws=9999)
    assert kind == "webb" and enumerated and v.shape == (6**5, 5)


def test_method_label_names_the_method_in_both_languages():
    label = method_label("webb", 9999, False, 3, 8)
    assert label["zh"].startswith("限制性野聚类自助法") and "9,999" in label["zh"]
    assert "wild cluster bootstrap" in label["en"] and "seed 3" in label["en"]


@pytest.mark.parametrize(
    "kwargs, match",
    [({"weights": "mammen"}, "expected one of auto, rademacher, webb; got 'mammen'"),
     ({"draws": 10}, "at least 99; got 10")],
)
def test_bad_options_are_refused(kwargs, match):
    y, x, brand, week = _panel()
    with pytest.raises(AnalysisError, match=match):
        WildDesign(y, x, [brand, week], brand, ["a", "b"], **kwargs)


def test_unknown_term_is_named():
    y, x, brand, week = _panel()
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], draws=99)
    with pytest.raises(AnalysisError, match="no term 'c'.*'a', 'b'"):
        design.test({"c": 1.0})


def test_weighted_design_equals_brute_force_weighted_refits():
    """Observation weights (the GLM working model): every draw refitted by statsmodels WLS with dummies."""
    y, x, brand, week = _panel(seed=9)
    w = np.exp(np.random.default_rng(2).normal(size=len(y)))
    design = WildDesign(y, x, [brand, week], brand, ["a", "b"], weights="rademacher", obs_weights=w)
    got = design.test({"a": 1.0, "b": -1.0}, 0.05, invert=False)
    full = _dummies(x, brand, week)
    r_full = np.zeros(full.shape[1])
    r_full[:2] = [1.0, -1.0]

    def t_stat(yy):
        m = sm.WLS(yy, full, weights=w).fit(cov_type="cluster", cov_kwds={"groups": brand})
        return (r_full @ m.params - 0.05) / np.sqrt(r_full @ m.cov_params() @ r_full), m

    t, m = t_stat(y)
    xtwx = full.T @ (full * w[:, None])
    a = np.linalg.solve(xtwx, r_full)
    beta_r = m.params - a * (r_full @ m.params - 0.05) / (r_full @ a)
    u_r = y - full @ beta_r
    count = sum(abs(t_stat(full @ beta_r + u_r * v[brand])[0]) >= abs(t) * (1 - 1e-10) for v in design.v)
    # statsmodels counts the brand dummies nested in the clusters in K; fixest (and we) do not
    n = len(y)
    assert got.statistic * np.sqrt((n - full.shape[1]) / (n - design.k_total)) == pytest.approx(t, rel=1e-6)
    assert got.p_value == pytest.approx(count / len(design.v), abs=1e-12)


@pytest.mark.parametrize("family", ["ppml", "logit"])
def test_glm_working_model_reproduces_the_glm_and_its_cluster_sandwich(family):
    rng = np.random.default_rng(3)
    brand = np.repeat(np.arange(G), 40)
    week = np.tile(np.arange(40), G)
    x = rng.normal(size=G * 40) + 0.5 * rng.normal(size=G)[brand]
    z = rng.normal(size=G * 40)
    mu = np.exp(2 + 0.3 * x - 0.2 * z + rng.normal(size=G)[brand] + 0.3 * rng.normal(size=40)[week])
    frame = pd.DataFrame({"y": rng.poisson(mu), "x": np.exp(x), "z": z, "brand": brand, "week": week,
                          "b": (rng.random(G * 40) < 1 / (1 + np.exp(-x))).astype(int)})
    outcome = "y" if family == "ppml" else "b"
    common = dict(outcome=outcome, regressors=["x"], controls=["z"], fixed_effects=["brand", "week"], family=family,
                  vcov="cluster", entity="brand", time="week")
    analytic = estimate(frame, inference="analytic", **common)
    wild = estimate(frame, bootstrap_draws=999, **common)
    design = wild._design
    # equal up to the GLM's own convergence tolerance (IRLS to 1e-10 in deviance)
    assert design.beta == pytest.approx([c.estimate for c in analytic.coefficients], rel=1e-6)
    assert np.sqrt(np.diag(design.vcov)) == pytest.approx([c.std_error for c in analytic.coefficients], rel=1e-4)
    assert all(w.linearised for w in wild.wild) and wild.inference == "wild"


def test_the_smallest_attainable_p_value_is_said_where_it_binds():
    y, x, brand, week = _panel(effect=3.0)
    frame = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "brand": brand, "week": week})
    fit = estimate(frame, outcome="y", regressors=["a", "b"], fixed_effects=["brand", "week"], vcov="cluster",
                   cluster="brand", bootstrap_weights="rademacher")
    assert fit.coef("a").p_value == pytest.approx(2 / 2**G)
    assert "smallest attainable p-value, 0.0078" in fit.inference_label["en"]
    assert "最小可得值 0.0078" in fit.inference_label["zh"]
