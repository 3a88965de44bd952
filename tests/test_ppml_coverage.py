"""PPML on the report's design: 8 brands of the demo's beauty category, serially correlated errors.

Counts are simulated from the PPML fitted on the demo panel (its engagement, lags, brand and week
effects) times multiplicative AR(1) noise (ρ = 0.5, each brand's residual scale), so the design is
the report's and the truth is known. The interval the report prints for the long-run elasticity
must cover it within 95 % ± 3 Monte Carlo standard errors; the t(G − 1) and normal intervals
are reported beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.dynamics import shift_within
from reportkit.analysis.models import estimate

ROOT = Path(__file__).resolve().parents[1]
LAGS = ["engagement", "engagement_l1", "engagement_l2"]
RHO = 0.5


def _beauty() -> pd.DataFrame:
    panel = pd.read_csv(ROOT / "data/simulated/brand_week_panel.csv")
    beauty = panel[panel["category"] == "美妆个护"]
    beauty = beauty.assign(**{f"engagement_l{k}": shift_within(beauty, "engagement", entity="brand", time="week", k=k)
                              for k in (1, 2)})
    return beauty.dropna(subset=LAGS).sort_values(["brand", "week"]).reset_index(drop=True)


def _fit(frame: pd.DataFrame, **kw):
    return estimate(frame, outcome="add_to_cart", regressors=LAGS, fixed_effects=["brand", "week"], family="ppml",
                    vcov="cluster", entity="brand", time="week", **kw)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pyfixest 0.60 under pandas 3, in the direct fit
def test_ppml_interval_covers_on_the_reports_design_with_serially_correlated_errors():
    import pyfixest as pf

    beauty = _beauty()
    logs = beauty.assign(lx=np.log(beauty["engagement"]), lx1=np.log(beauty["engagement_l1"]),
                         lx2=np.log(beauty["engagement_l2"]))
    base = pf.fepois("add_to_cart ~ lx + lx1 + lx2 | brand + week", data=logs, vcov={"CRV1": "brand"})
    mu = np.asarray(base.predict(type="response"), dtype=float)
    truth = float(np.sum(np.asarray(base.coef())))
    brand = pd.factorize(beauty["brand"])[0]
    resid = np.log(beauty["add_to_cart"].to_numpy() / mu)
    sd = pd.Series(resid).groupby(brand).std().to_numpy()[brand]
    first = np.r_[True, brand[1:] != brand[:-1]]

    rng = np.random.default_rng(13)
    reps = 400
    weights = {f"log_{c}": 1.0 for c in LAGS}
    crit_t = float(stats.t.ppf(0.975, 7))
    covered = covered_t = covered_z = 0
    for _ in range(reps):
        eta = rng.standard_normal(len(mu)) * sd
        u = np.empty(len(mu))
        for i in range(len(mu)):
            u[i] = eta[i] if first[i] else RHO * u[i - 1] + math.sqrt(1 - RHO * RHO) * eta[i]
        sim = beauty.assign(add_to_cart=rng.poisson(mu * np.exp(u - sd**2 / 2)))
        total = _fit(sim, bootstrap_draws=999).lincom(weights)
        covered += total.ci_low <= truth <= total.ci_high
        covered_t += abs(total.estimate - truth) <= crit_t * total.std_error
        covered_z += abs(total.estimate - truth) <= 1.959964 * total.std_error
    coverage = covered / reps
    mc_se = math.sqrt(0.95 * 0.05 / reps)
    print(f"\nPPML long-run elasticity, 95% interval coverage over {reps}: wild score bootstrap {coverage:.3f} "
          f"(±{mc_se:.3f}), CRV1 t(7) {covered_t / reps:.3f}, CRV1 normal {covered_z / reps:.3f}")
    assert abs(coverage - 0.95) <= 3 * mc_se


def test_ppml_with_few_clusters_is_bootstrapped_through_its_working_model():
    beauty = _beauty()
    fit = _fit(beauty, bootstrap_draws=999)
    assert fit.inference == "wild" and fit.wild[0].linearised and fit.df_t == 7
    assert "线性化" in fit.inference_label["zh"] and "linearised" in fit.inference_label["en"]
    analytic = _fit(beauty, inference="analytic")
    for a, b in zip(fit.coefficients, analytic.coefficients, strict=True):  # same estimates and CRV1 SEs, other p and CI
        assert (a.estimate, a.std_error) == pytest.approx((b.estimate, b.std_error), rel=1e-9)
