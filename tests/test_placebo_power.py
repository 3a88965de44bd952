"""The lead placebo's minimum detectable effect (MDE), checked by simulation.

Panel: 8 brands × 100 weeks (the demo category's size), log engagement AR(1) (ρ = 0.7) around a
brand level, log add-to-cart = brand + week effects + 0.35·x_t + 0.15·x_{t−1} + δ·x_{t+1} + u with
AR(1) errors (ρ = 0.5) within brand. Seeded.

Two readings of "power at the MDE":

* per data set (the number the report prints): the clustered covariance, hence the MDE, does not
  depend on the true coefficients (the residuals do not), so for each seed the MDE computed on the
  data without a lead effect is also the MDE reported on the same data with δ = that MDE. The
  share of such data sets where the joint test rejects should be 0.8. Found: 0.805 (seeds
  0–199, Monte Carlo SE 0.028); the tolerance is ±0.10 (3 Monte Carlo SE plus 0.015 for the
  noncentral-F approximation). Without a lead effect the same fits reject 7.5 % of the time
  (nominal 5 %: the analytic F test with 8 clusters is a little liberal).
* for the design (a fixed δ, the median MDE over seeds, 0.082): with 8 clusters the CRV1
  covariance understates the sampling variance of the lead coefficient (mean SE 6–12 % below the
  simulated SD, depending on the seeds), so the fixed-δ power is lower: found 0.76 (seeds
  10000–10199; 0.705 on another set of 200). The test pins it in [0.55, 0.88] and documents the
  gap rather than hiding it: read the reported MDE as somewhat optimistic with few clusters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.dynamics import lead_placebo

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

N_REPS = 200


def _ar1(rng: np.random.Generator, rho: float, sd: float, shape: tuple[int, int]) -> np.ndarray:
    shocks = rng.normal(0.0, sd, shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0] / np.sqrt(1.0 - rho**2)  # stationary start
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + shocks[:, t]
    return out


def ar1_panel(seed: int, lead: float = 0.0, n_brands: int = 8, n_weeks: int = 100) -> pd.DataFrame:
    """Brand × week panel whose conversion has a first-lead effect ``lead`` (0: none)."""
    rng = np.random.default_rng(seed)
    # weeks −2 … n_weeks: one spare week for the lag and one for the lead
    log_x = 7.0 + rng.normal(0.0, 0.5, (n_brands, 1)) + _ar1(rng, 0.7, 0.4, (n_brands, n_weeks + 3))
    errors = _ar1(rng, 0.5, 0.25, (n_brands, n_weeks))
    week_effect = rng.normal(0.0, 0.1, n_weeks)
    now, lag1, lead1 = log_x[:, 2:n_weeks + 2], log_x[:, 1:n_weeks + 1], log_x[:, 3:n_weeks + 3]
    log_y = (2.0 + rng.normal(0.0, 0.3, (n_brands, 1)) + week_effect
             + 0.35 * now + 0.15 * lag1 + lead * lead1 + errors)
    return pd.DataFrame({
        "brand": np.repeat([f"b{b:02d}" for b in range(n_brands)], n_weeks),
        "week": np.tile(np.arange(n_weeks), n_brands),
        "engagement": np.exp(now).ravel(),
        "add_to_cart": np.exp(log_y).ravel(),
    })


def test_rejection_rate_at_the_reported_mde_is_the_nominal_power():
    mdes, rejected = [], []
    for seed in range(N_REPS):
        mde = lead_placebo(ar1_panel(seed), n_leads=2, n_lags=2).mde
        res = lead_placebo(ar1_panel(seed, lead=mde), n_leads=2, n_lags=2)
        assert res.mde == pytest.approx(mde, rel=1e-8)  # the MDE does not depend on the true lead effect
        mdes.append(mde)
        rejected.append(res.p_value < res.alpha)
    rate = float(np.mean(rejected))
    mc_se = np.sqrt(0.8 * 0.2 / N_REPS)
    assert abs(rate - 0.8) <= 3 * mc_se + 0.015, f"rejection rate {rate:.3f} at the per-data-set MDE"

    # a fixed lead effect equal to the median MDE: lower power, because CRV1 with 8 clusters
    # understates the lead coefficient's variance (see the module docstring)
    design_mde = float(np.median(mdes))
    fixed = [lead_placebo(ar1_panel(seed, lead=design_mde), n_leads=2, n_lags=2).p_value < 0.05
             for seed in range(10_000, 10_000 + N_REPS)]
    assert 0.55 <= float(np.mean(fixed)) <= 0.88, f"rejection rate {np.mean(fixed):.3f} at the median MDE"
