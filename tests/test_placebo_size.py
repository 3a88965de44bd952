"""Size of the lead placebo test on the report's design: 8 brands, serially correlated errors.

With no lead effect in the data, :func:`lead_placebo` at 5 % must reject at most 7 % of the time.
The analytic cluster-robust F(2, 7) test over-rejects here; the default (the wild cluster bootstrap
joint test, since 8 clusters < 30) must not.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.dynamics import lead_placebo, wald_f_joint_test

G, T = 8, 100
LAG_EFFECTS = np.array([0.35, 0.15, 0.05])


def _panel(rng: np.random.Generator) -> pd.DataFrame:
    """Persistent engagement, conversion on engagement now and 2 lags (no lead effect), AR(1) errors."""
    frames = []
    for b in range(G):
        n = T + 2
        e = np.empty(n)
        e[0] = rng.normal()
        for t in range(1, n):
            e[t] = 0.7 * e[t - 1] + math.sqrt(0.51) * rng.normal()
        u = np.empty(T)
        u[0] = rng.normal() * 0.3
        for t in range(1, T):
            u[t] = 0.6 * u[t - 1] + 0.8 * rng.normal() * 0.3 * (1 + b / 4)
        log_e = 5 + e[2:] + rng.normal()
        lags = np.column_stack([e[2:], e[1:-1], e[:-2]])
        log_y = 3 + lags @ LAG_EFFECTS + u + rng.normal()
        frames.append(pd.DataFrame({"brand": f"b{b}", "week": np.arange(T), "engagement": np.exp(log_e),
                                    "add_to_cart": np.exp(log_y)}))
    out = pd.concat(frames, ignore_index=True)
    week_shock = rng.normal(scale=0.2, size=T)
    out["add_to_cart"] *= np.exp(week_shock[out["week"]])
    return out


@pytest.mark.slow
def test_lead_placebo_size_is_at_most_7_percent_at_5_percent():
    rng = np.random.default_rng(20241204)
    reps = 400
    rejected = rejected_f = 0
    for _ in range(reps):
        panel = _panel(rng)
        res = lead_placebo(panel, n_leads=2, n_lags=2)
        rejected += res.p_value < 0.05
        rejected_f += res.p_value_analytic < 0.05
    size, size_f = rejected / reps, rejected_f / reps
    print(f"\nlead placebo size at 5%: wild bootstrap {size:.3f}, analytic F(2, 7) {size_f:.3f} ({reps} replications)")
    assert not res.analytic and "wild" in res.test_method["en"]
    assert size <= 0.07


def test_the_analytic_joint_test_remains_available():
    panel = _panel(np.random.default_rng(1))
    res = lead_placebo(panel, joint_test=wald_f_joint_test)
    assert res.analytic and res.p_value == res.p_value_analytic and res.df_denom == G - 1
