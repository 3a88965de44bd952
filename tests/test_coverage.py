"""Coverage on the report's own design: 8 clusters, serially correlated errors.

The simulator here is written independently of :mod:`reportkit.analysis.coverage` (its own AR(1)
engagement and errors, brand heteroskedasticity, week shocks), so the coverage figures are a check
of the inference, not of the certificate's own simulator.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.coverage import ar1_from_residuals, coverage_certificate
from reportkit.analysis.models import estimate
from reportkit.analysis.wild_bootstrap import WildDesign
from reportkit.errors import AnalysisError

G, T, LAGS = 8, 100, 2
TRUE = np.array([0.35, 0.15, 0.05])


def _panel(rng: np.random.Generator, rho: float = 0.6) -> pd.DataFrame:
    """Brand × week log-log panel with two lags of engagement and AR(1) errors within brand."""
    rows = []
    for b in range(G):
        n = T + LAGS
        e = np.empty(n)
        e[0] = rng.normal()
        for t in range(1, n):  # engagement itself is persistent, as real engagement is
            e[t] = 0.7 * e[t - 1] + rng.normal() * math.sqrt(1 - 0.49)
        e += 1.0 * rng.normal()
        u = np.empty(T)
        sd = 0.3 * (1 + b / 3)
        u[0] = rng.normal() * sd
        for t in range(1, T):
            u[t] = rho * u[t - 1] + math.sqrt(1 - rho * rho) * rng.normal() * sd
        for t in range(T):
            lags = e[t + LAGS - np.arange(LAGS + 1)]
            rows.append((f"b{b}", t, *lags, float(TRUE @ lags) + u[t]))
    frame = pd.DataFrame(rows, columns=["brand", "week", "x", "x_l1", "x_l2", "y"])
    week_shock = rng.normal(size=T)
    brand_level = dict(zip([f"b{b}" for b in range(G)], rng.normal(size=G), strict=True))
    frame["y"] += week_shock[frame["week"]] + frame["brand"].map(brand_level)
    return frame


def _design(frame: pd.DataFrame, draws: int = 999) -> WildDesign:
    brand = pd.factorize(frame["brand"])[0]
    week = frame["week"].to_numpy()
    return WildDesign(frame["y"].to_numpy(), frame[["x", "x_l1", "x_l2"]].to_numpy(), [brand, week], brand,
                      ["x", "x_l1", "x_l2"], draws=draws, seed=5)


@pytest.mark.slow
def test_wild_bootstrap_interval_covers_on_the_8_cluster_design_with_serial_correlation():
    rng = np.random.default_rng(2024)
    reps = 500
    truth = float(TRUE.sum())
    crit = float(stats.t.ppf(0.975, G - 1))
    covered = naive = 0
    for _ in range(reps):
        design = _design(_panel(rng))  # a new panel each time: new engagement, errors and effects
        test = design.test({"x": 1, "x_l1": 1, "x_l2": 1}, truth, invert=False)
        covered += test.p_value > 0.05
        naive += abs(test.statistic) <= crit
    coverage, coverage_naive = covered / reps, naive / reps
    mc_se = math.sqrt(0.95 * 0.05 / reps)
    print(f"\nWCR coverage {coverage:.3f} (±{mc_se:.3f}); naive CRV1 t(7) {coverage_naive:.3f}")
    assert abs(coverage - 0.95) <= 3 * mc_se


def test_the_interval_estimate_reports_is_the_inverted_wild_test():
    frame = _panel(np.random.default_rng(1))
    res = _design(frame).test({"x": 1, "x_l1": 1, "x_l2": 1})
    fit = estimate(frame, outcome="y", regressors=["x", "x_l1", "x_l2"], fixed_effects=["brand", "week"],
                   vcov="cluster", entity="brand", time="week", inference="wild", bootstrap_draws=999, seed=5)
    total = fit.lincom({"x": 1, "x_l1": 1, "x_l2": 1})
    assert total.estimate == pytest.approx(res.estimate, rel=1e-8)
    assert (total.ci_low, total.ci_high) == pytest.approx((res.ci_low, res.ci_high), rel=1e-6)
    assert total.p_value == pytest.approx(res.p_value)


def test_serial_correlation_is_recovered_from_fixed_effect_residuals():
    frame = _panel(np.random.default_rng(3), rho=0.5)
    design = _design(frame, draws=99)
    rho, sd = ar1_from_residuals(design.resid, pd.factorize(frame["brand"])[0], frame["week"].to_numpy())
    assert rho == pytest.approx(0.5, abs=0.1)  # demeaning biases it down by about 1/T
    assert sd.iloc[-1] > sd.iloc[0]  # the brands' error scales differ, as simulated


def test_certificate_on_a_serially_correlated_design_is_deterministic_and_near_nominal():
    frame = _panel(np.random.default_rng(7), rho=0.6)
    fit = estimate(frame, outcome="y", regressors=["x", "x_l1", "x_l2"], fixed_effects=["brand", "week"],
                   vcov="cluster", entity="brand", time="week")
    weights = {"x": 1, "x_l1": 1, "x_l2": 1}
    cert = coverage_certificate(frame, fit, weights, replications=300, draws=999)
    again = coverage_certificate(frame, fit, weights, replications=300, draws=999)
    assert cert == again
    assert cert.rho > 0.35 and cert.n_clusters == G and cert.truth == pytest.approx(fit.lincom(weights).estimate)
    assert abs(cert.coverage - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / 300)
    zh, en = cert.sentence("zh"), cert.sentence("en")
    assert f"{cert.coverage * 100:.1f}%" in zh and "蒙特卡洛误差" in zh and f"{cert.coverage_naive * 100:.1f}%" in zh
    assert "simulations of this design" in en and f"±{cert.mc_se * 100:.1f}" in en


def test_certificate_refuses_designs_it_does_not_simulate():
    frame = _panel(np.random.default_rng(1))
    fit = estimate(frame, outcome="y", regressors=["x"], fixed_effects=["brand", "week"], vcov="driscoll_kraay",
                   entity="brand", time="week")
    with pytest.raises(AnalysisError, match="vcov='cluster'; got family='ols', vcov='driscoll_kraay'"):
        coverage_certificate(frame, fit, {"x": 1})


def test_joint_wild_test_of_a_fitted_model_matches_the_design():
    frame = _panel(np.random.default_rng(2))
    fit = estimate(frame, outcome="y", regressors=["x", "x_l1", "x_l2"], fixed_effects=["brand", "week"],
                   vcov="cluster", entity="brand", time="week", bootstrap_draws=999, seed=5)
    joint = fit.wild_test(["x_l1", "x_l2"])
    direct = _design(frame).test(["x_l1", "x_l2"], invert=False)
    assert joint.q == 2 and joint.p_value == pytest.approx(direct.p_value) and joint.ci_low is None
    assert estimate(frame, outcome="y", regressors=["x"], fixed_effects=["brand", "week"], vcov="cluster",
                    entity="brand", time="week", inference="analytic").wild_test({"x": 1}) is None


def test_certificate_of_an_analytic_model_reports_the_crv1_interval_first():
    frame = _panel(np.random.default_rng(8))
    fit = estimate(frame, outcome="y", regressors=["x", "x_l1", "x_l2"], fixed_effects=["brand", "week"],
                   vcov="cluster", entity="brand", time="week", inference="analytic")
    cert = coverage_certificate(frame, fit, {"x": 1}, replications=40, draws=199)
    assert cert.method == "analytic" and cert.reported == cert.coverage_naive
    assert "本报告所用的聚类标准误" in cert.sentence("zh") and "clustered-standard-error" in cert.sentence("en")
    from reportkit.analysis.coverage import supports

    assert supports(fit)
    assert not supports(estimate(frame, outcome="y", regressors=["x"], fixed_effects=["brand", "week"], vcov="hc1"))


def _ar1_written_out(rng: np.random.Generator, rho: float, sd: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    eta = rng.standard_normal(n) * sd
    out, innov, prev = np.empty(n), math.sqrt(1 - rho * rho), 0.0
    for i in range(n):
        prev = eta[i] if starts[i] else rho * prev + innov * eta[i]
        out[i] = prev
    return out


@pytest.mark.parametrize("lengths", [[102] * 8, [1, 5, 1, 30, 2], [1, 1, 1], [7], [40, 3, 17, 1, 9, 22]])
@pytest.mark.parametrize("rho", [0.0, 0.37, -0.95, 0.95])
def test_simulated_errors_are_the_ar1_recursion_to_the_last_bit(lengths, rho):
    """The certificate's AR(1) errors (computed by a linear filter) are exactly the recursion
    e_i = ρ e_{i−1} + √(1−ρ²) η_i within each entity, restarted at each entity's first row: the
    same draws give the same coverage figures as the recursion written out."""
    from reportkit.analysis.coverage import _ar1_errors

    n = sum(lengths)
    starts = np.zeros(n, dtype=bool)
    starts[np.r_[0, np.cumsum(lengths)[:-1]]] = True
    sd = np.random.default_rng(5).uniform(0.2, 2.0, n)
    got = _ar1_errors(np.random.default_rng(11), rho, sd, starts, n)
    want = _ar1_written_out(np.random.default_rng(11), rho, sd, starts, n)
    assert np.array_equal(got, want)
