"""The adstock decay's interval: the sandwich against pyfixest, the exact slope, and coverage.

Coverage simulation: 8 brands × 104 weeks (the demo category's size), log engagement AR(1)
(ρ = 0.7), log add-to-cart = brand + week effects + 0.5·log(adstock(engagement, d = 0.4)) + u with
AR(1) errors (ρ = 0.5) within brand; the adstock starts at each brand's first week, as
:func:`fit_adstock` computes it, so the model is correctly specified. 200 seeded replications of
:func:`fit_adstock` (a 4-point grid that does not contain 0.4, to keep the test under a minute; the interval
comes from the least-squares decay between the best grid value's neighbours, not from the grid).
Found: coverage 0.940 of the nominal 0.95 (Monte Carlo SE 0.015; median width 0.24), inside 0.95 ± 3 SE;
a shade below nominal, as CRV1 intervals with 8 clusters usually are (0.92–0.94 for d = 0.2, 0.4, 0.6 in
400 replications each with the sandwich at the least-squares decay).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reportkit.analysis.dynamics import _StockLayout, adstock, fit_adstock
from reportkit.data.simulate import load_demo_panel

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

TRUE_DECAY = 0.4
COARSE_GRID = (0.0, 0.3, 0.6, 0.9)


def _ar1(rng: np.random.Generator, rho: float, sd: float, shape: tuple[int, int]) -> np.ndarray:
    shocks = rng.normal(0.0, sd, shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0] / np.sqrt(1.0 - rho**2)
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + shocks[:, t]
    return out


def adstock_panel(seed: int, decay: float = TRUE_DECAY, beta: float = 0.5, n_brands: int = 8,
                  n_weeks: int = 104) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.exp(7.0 + rng.normal(0.0, 0.5, (n_brands, 1)) + _ar1(rng, 0.7, 0.5, (n_brands, n_weeks)))
    stock = np.empty_like(x)
    stock[:, 0] = x[:, 0]
    for t in range(1, n_weeks):
        stock[:, t] = x[:, t] + decay * stock[:, t - 1]
    log_y = (1.0 + rng.normal(0.0, 0.3, (n_brands, 1)) + rng.normal(0.0, 0.1, n_weeks)
             + beta * np.log(stock) + _ar1(rng, 0.5, 0.3, (n_brands, n_weeks)))
    return pd.DataFrame({
        "brand": np.repeat([f"b{b:02d}" for b in range(n_brands)], n_weeks),
        "week": np.tile(np.arange(n_weeks), n_brands),
        "engagement": x.ravel(),
        "add_to_cart": np.exp(log_y).ravel(),
    })


@pytest.fixture(scope="module")
def beauty():
    demo = load_demo_panel()
    return demo[demo["category"] == "美妆个护"].reset_index(drop=True)


def test_slope_of_the_stock_is_the_derivative_in_the_decay(beauty):
    layout = _StockLayout(beauty, beauty["engagement"].to_numpy(float), entity="brand", time="week", gaps="error")
    for d in (0.0, 0.35, 0.8):
        h = 1e-5
        numeric = (adstock(beauty, "engagement", entity="brand", time="week", decay=d + h).to_numpy()
                   - (adstock(beauty, "engagement", entity="brand", time="week", decay=d - h).to_numpy() if d > 0
                      else layout.stock(0.0))) / (2 * h if d > 0 else h)
        assert layout.slope(d) == pytest.approx(numeric, rel=1e-4 if d > 0 else 1e-3, abs=1e-6)


def test_decay_standard_error_matches_the_gauss_newton_regression_in_pyfixest(beauty):
    """At the least-squares decay, the sandwich SE of d equals pyfixest's CRV1 SE of the second
    Jacobian column [β·∂x/∂d] in the regression of log y on the Jacobian with the fixed effects."""
    import pyfixest as pf

    res = fit_adstock(beauty)
    d = res.decay_nls
    stock = adstock(beauty, "engagement", entity="brand", time="week", decay=d).to_numpy()
    layout = _StockLayout(beauty, beauty["engagement"].to_numpy(float), entity="brand", time="week", gaps="error")
    data = beauty.assign(ly=np.log(beauty["add_to_cart"]), x=np.log(stock), dx=layout.slope(d) / stock)
    data = data[data.groupby("brand")["week"].rank(method="first") > res.burn_in]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiled = pf.feols("ly ~ x | brand + week", data=data, vcov={"CRV1": "brand"})
        beta = float(profiled.coef()["x"])
        data = data.assign(jac=beta * data["dx"])
        gnr = pf.feols("ly ~ x + jac | brand + week", data=data, vcov={"CRV1": "brand"})
    assert abs(float(gnr.coef()["jac"])) < 1e-3  # the Gauss–Newton step from the optimum is ~0
    assert res.decay_se == pytest.approx(float(gnr.se()["jac"]), rel=1e-3)
    half = stats.t.ppf(0.975, 7) * res.decay_se
    assert (res.decay_ci_low, res.decay_ci_high) == pytest.approx((max(0.0, d - half), min(1.0, d + half)))
    assert res.n_clusters == 8 and "t(7)" in res.decay_method["en"]


def test_decay_interval_is_clipped_and_widens_without_signal():
    flat = adstock_panel(3, beta=0.0)  # no effect: the decay is not identified
    res = fit_adstock(flat, grid=COARSE_GRID)
    assert res.decay_ci_low == 0.0 or res.decay_ci_high == 1.0
    assert res.decay_ci_high - res.decay_ci_low > 0.5


@pytest.mark.slow
def test_decay_interval_coverage_by_simulation():
    n_reps = 200
    covered = []
    for seed in range(n_reps):
        res = fit_adstock(adstock_panel(seed), grid=COARSE_GRID)
        covered.append(res.decay_ci_low <= TRUE_DECAY <= res.decay_ci_high)
    coverage = float(np.mean(covered))
    mc_se = np.sqrt(0.95 * 0.05 / n_reps)
    assert abs(coverage - 0.95) <= 3 * mc_se, f"coverage {coverage:.3f}"


def test_decay_note_carries_the_interval_in_both_languages():

    from reportkit.analysis.dynamics import fit_adstock
    from reportkit.style.formatting import format_number

    panel = pd.read_csv(Path(__file__).resolve().parents[1] / "data/simulated/brand_week_panel.csv")
    res = fit_adstock(panel[panel["category"] == "美妆个护"])
    lo, hi = format_number(res.decay_ci_low, 2), format_number(res.decay_ci_high, 2)
    assert res.decay_ci_low < res.decay_point < res.decay_ci_high
    assert f"95% 置信区间 {lo}–{hi}" in res.decay_note("zh") and f"95% CI {lo} to {hi}" in res.decay_note("en")
