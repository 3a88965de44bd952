"""Seeded simulator of the demo brand × week panel (content seeding → shopping conversion).

The demo report studies how engagement with notes on a content platform (小红书 style "种草")
turns into add-to-cart, orders and GMV on a shopping platform (天猫 style). Real platform data
cannot be published, so the demo runs on a *simulated* panel whose true parameters are known;
every estimate in the report can then be checked against the truth.

Model (all logs natural; ``i`` a brand in category ``c``, ``t`` a week; all noise terms
independent normal draws unless said otherwise):

* notes level  ``n_it = a_i + g_i · t/52 + s_t + u_it`` with ``u_it = ρ u_i,t-1 + ε_it`` (AR(1));
* expected engagement ``m_it = n_it + log(epn_c) + v_it``; ``notes ~ Poisson(exp(n_it))``, and
  ``likes``, ``comments``, ``saves`` ~ Poisson(share_k · exp(m_it + ω_k,it)); ``shares`` likewise
  (not part of engagement); ``engagement = likes + comments + saves`` (互动量);
* add-to-cart  ``log μ_it = κ_c + b_i + w_t + Σ_k β_k · log(engagement_i,t-k) + e_it + δ_it``
  and ``add_to_cart ~ Poisson(μ_it)`` (a Poisson–log-normal count). The lagged terms are what
  "seeding" means here: engagement this week still moves add-to-cart one and two weeks later;
  ``δ_it`` is the effect of the partnership (below);
* ``visits = add_to_cart + Poisson(add_to_cart · (1/q_c − 1) · exp(ν_it))``;
* ``orders ~ Binomial(add_to_cart, expit(logit(p_c) + λ · festival_t + η_it))``;
* ``gmv = orders · aov_c · exp(−δ · festival_t + ζ_it)``, in yuan, rounded to 2 dp.

``w_t`` (common to all brands) holds a mild trend, the 618 and 双11 spikes and the Spring
Festival (春节) dip; ``s_t`` holds the seeding build-up before each festival and the 春节 dip
in note activity. Brand effects are spread over fixed normal quantiles so that the spread between
brands does not depend much on the seed.

Staggered adoption: brands join a content-platform ↔ marketplace partnership in three waves, at
week indices ``g`` = 26, 52, 78 (``t`` = 0 the week of ``start``: 2023-07-03, 2024-01-01 and
2024-07-01 by default); in every category a quarter of the brands joins in each wave and a quarter
never does (2 each of 8; other sizes by largest remainder). Which brand is in which wave is drawn
from a generator of its own, ``numpy.random.default_rng([seed, 1])``, so the assignment does not
reorder the model's draws and is independent of everything else. The effect on add-to-cart is
simulate_adoption's (:mod:`reportkit.data.simulate_adoption`, whose functions compute it and its
truth): ``δ_it = 1[t ≥ g_i] · τ_c · m_g · (1 − exp(−(t − g_i + 1)/k))`` with τ_c by category,
wave multipliers m_g = 1.5, 1.0, 0.6 and build-up k = 4 weeks; no anticipation, engagement does
not respond, visits, orders and GMV follow add-to-cart through the funnel. The panel's
``adoption_week`` column holds the first treated week's Monday (NaT for never); the truth's
``adoption`` block holds the design, δ by event time and the true ATTs (on log μ). Because
adoption is random and independent of engagement, the elasticities β_k are unaffected in
expectation.

The conversion noise scale of 美妆个护 was set (before adoption was added) so that, with the
default seed, the pooled Pearson correlation of ``log(engagement)`` and ``log(add_to_cart)`` over
all 美妆个护 brand-weeks (8 brands × 104 weeks = 832 rows, no demeaning, brand differences
included) is close to 0.73, the published claim the report tests; the adoption effect lowers it
(0.705 with the default seed). See ``data/simulated/README.md``.

``python -m reportkit.data.simulate`` regenerates ``data/simulated/brand_week_panel.csv`` and
``data/simulated/true_params.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from ..atomic import write_atomic
from ..errors import DataError
from . import simulate_adoption as adoption
from .paths import project_root
from .simulate_checks import check_int, check_monday

__all__ = [
    "GENERATOR_VERSION",
    "DEFAULT_SEED",
    "CATEGORIES",
    "COLUMNS",
    "ADOPTION_COLUMN",
    "PANEL_COLUMNS",
    "COUNT_COLUMNS",
    "LAG_ELASTICITIES",
    "ADOPTION_WAVE_WEEKS",
    "ADOPTION_WAVE_SHARES",
    "ADOPTION_WAVE_MULTIPLIERS",
    "ADOPTION_BUILD_UP_WEEKS",
    "CategoryParams",
    "TrueParams",
    "SimulatedPanel",
    "simulate_panel",
    "write_demo_panel",
    "load_demo_panel",
    "load_true_params",
    "check_int",
    "check_monday",
    "pooled_log_correlation",
    "DEMO_FOLDER",
    "demo_folder",
    "main",
]

GENERATOR_VERSION = "reportkit-sim/1.1"  # 1.1: staggered adoption (adoption_week, δ_it)
DEFAULT_SEED = 618
#: Where the demo files live, relative to the project root (:func:`demo_folder`).
DEMO_FOLDER = Path("data") / "simulated"
PANEL_FILE = "brand_week_panel.csv"
PARAMS_FILE = "true_params.json"

COLUMNS: tuple[str, ...] = (
    "brand",
    "category",
    "week",
    "notes",
    "likes",
    "comments",
    "saves",
    "shares",
    "engagement",
    "visits",
    "add_to_cart",
    "orders",
    "gmv",
)
COUNT_COLUMNS: tuple[str, ...] = COLUMNS[3:12]
#: The brand's first week in the partnership (a Monday; empty in the CSV, NaT in frames, for a brand
#: that never adopts): the demo panel's last column, after :data:`COLUMNS` (the measured columns).
ADOPTION_COLUMN = "adoption_week"
#: The demo panel's columns, in the CSV's order.
PANEL_COLUMNS: tuple[str, ...] = (*COLUMNS, ADOPTION_COLUMN)

#: Lag elasticities β_0, β_1, β_2 of add-to-cart on log engagement (common to all categories).
LAG_ELASTICITIES: tuple[float, ...] = (0.35, 0.15, 0.05)

# Spring Festival (正月初一) dates, for the dip in week effects.
_SPRING_FESTIVAL = {
    2015: "2015-02-19",
    2016: "2016-02-08",
    2017: "2017-01-28",
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
}

_BURN_IN_WEEKS = 26  # simulated before `start` so the AR(1) is stationary and lags exist

# Staggered adoption of the content-platform ↔ marketplace partnership (the effect model, the τ_c of
# each category and the truth are reportkit.data.simulate_adoption's).
#: Week indices (0 = ``start``) at which the three adoption waves join.
ADOPTION_WAVE_WEEKS: tuple[int, ...] = (26, 52, 78)
#: Share of each category's brands in each wave; the rest (0.25) never adopts.
ADOPTION_WAVE_SHARES: tuple[float, ...] = (0.25, 0.25, 0.25)
#: m_g: the wave's long-run effect is m_g · τ_c (early adopters gain more).
ADOPTION_WAVE_MULTIPLIERS: tuple[float, ...] = (1.5, 1.0, 0.6)
#: k in 1 − exp(−(t − g + 1)/k): weeks to 63 % of the long-run effect.
ADOPTION_BUILD_UP_WEEKS = 4.0
#: Which brand joins in which wave is drawn from numpy.random.default_rng([seed, _ADOPTION_STREAM]),
#: apart from the model's own generator, so the model's draws are not reordered by the assignment.
_ADOPTION_STREAM = 1


@dataclass(frozen=True)
class CategoryParams:
    """Parameters of one category (levels are for the median brand)."""

    category: str  # exact Chinese name
    code: str  # brand id prefix
    notes_median: float  # notes per week, median brand, before trend and season
    engagement_per_note: float  # epn_c
    add_to_cart_median: float  # add-to-cart per week at the median brand's engagement
    cart_intercept: float  # κ_c = log(add_to_cart_median) − Σβ · log(median engagement)
    cart_noise_sd: float  # σ_e of e_it
    visit_to_cart_rate: float  # q_c
    cart_to_order_rate: float  # p_c
    aov_yuan: float  # average order value, yuan


@dataclass(frozen=True)
class TrueParams:
    """Everything the simulator used: the truth that estimates are checked against."""

    generator_version: str
    seed: int
    n_brands_per_category: int
    start: str
    n_weeks: int
    lag_elasticities: tuple[float, ...]  # β_0, β_1, β_2 (all categories)
    long_run_elasticity: float  # Σ β_k
    categories: tuple[CategoryParams, ...]
    engagement_model: dict[str, float]
    conversion_model: dict[str, float]
    seasonality: dict[str, float]
    funnel_model: dict[str, float]
    brands: tuple[dict[str, Any], ...]  # realised brand effects and adoption weeks
    calibration: dict[str, Any]
    adoption: dict[str, Any]  # the staggered-adoption design, effect paths and true ATTs
    notes: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        d["lag_elasticities"] = list(self.lag_elasticities)
        d["categories"] = [asdict(c) for c in self.categories]
        d["brands"] = [dict(b) for b in self.brands]
        out: dict[str, Any] = json.loads(json.dumps(d, ensure_ascii=False))
        return out

    def category(self, name: str) -> CategoryParams:
        for c in self.categories:
            if c.category == name:
                return c
        known = ", ".join(c.category for c in self.categories)
        raise DataError(f"unknown category {name!r}; expected one of {known}")


@dataclass(frozen=True)
class SimulatedPanel:
    """The simulated panel (one row per brand-week) and the true parameters behind it."""

    data: pd.DataFrame
    truth: TrueParams


# name, code, notes/week, engagement/note, add-to-cart/week, σ_e, visit→cart, cart→order, AOV
_CATEGORY_TABLE: tuple[tuple[str, str, float, float, float, float, float, float, float], ...] = (
    ("美妆个护", "BEA", 400.0, 60.0, 3000.0, 0.32, 0.12, 0.30, 160.0),
    ("服饰鞋包", "FAS", 500.0, 40.0, 2500.0, 0.30, 0.09, 0.25, 230.0),
    ("家居家装", "HOM", 200.0, 50.0, 900.0, 0.30, 0.07, 0.20, 280.0),
    ("母婴", "BAB", 150.0, 70.0, 1200.0, 0.25, 0.11, 0.35, 190.0),
    ("3C数码", "DIG", 120.0, 90.0, 700.0, 0.30, 0.06, 0.15, 1500.0),
    ("食品饮料", "FOO", 300.0, 35.0, 2800.0, 0.25, 0.15, 0.40, 85.0),
)
CATEGORIES: tuple[str, ...] = tuple(row[0] for row in _CATEGORY_TABLE)

_ENGAGEMENT_MODEL = {
    "brand_sd": 0.70,  # sd of a_i across brands (fixed normal quantiles + jitter)
    "brand_jitter_sd": 0.05,
    "trend_mean_per_year": 0.10,  # g_i ~ N(mean, sd)
    "trend_sd_per_year": 0.05,
    "ar1_rho": 0.70,  # ρ
    "ar1_innovation_sd": 0.20,  # sd of ε_it
    "per_note_noise_sd": 0.15,  # sd of v_it
    "component_noise_sd": 0.05,  # sd of ω_k,it
    "share_likes": 0.72,
    "share_comments": 0.08,
    "share_saves": 0.20,
    "shares_per_engagement": 0.05,  # `shares` mean = 0.05 · exp(m_it + ω)
}
_CONVERSION_MODEL = {
    "brand_sd": 0.10,  # sd of b_i (fixed normal quantiles, independent order)
    "trend_per_year": 0.04,  # in w_t
}
_SEASONALITY = {
    # conversion week effects w_t (log points)
    "cart_618_peak_week": 0.55,  # week containing 18 June
    "cart_618_other_weeks": 0.25,  # other weeks overlapping 1–17 June
    "cart_double11_peak_week": 0.80,  # week containing 11 November
    "cart_double11_other_weeks": 0.35,  # other weeks overlapping 31 October – 10 November
    "cart_spring_festival_week": -0.45,  # week containing 正月初一
    "cart_spring_festival_week_before": -0.10,
    "cart_spring_festival_week_after": -0.25,
    # note activity s_t (log points)
    "notes_preseason_3_weeks": 0.20,  # 3 weeks before each festival peak week (种草 build-up)
    "notes_festival_weeks": 0.10,  # festival weeks themselves
    "notes_spring_festival_week": -0.20,
}
_FUNNEL_MODEL = {
    "visit_noise_sd": 0.10,  # sd of ν_it
    "order_logit_festival_uplift": 0.30,  # λ
    "order_logit_noise_sd": 0.15,  # sd of η_it
    "gmv_festival_discount": 0.10,  # δ (log points lower price per order in festival weeks)
    "gmv_noise_sd": 0.08,  # sd of ζ_it
}


# --------------------------------------------------------------------------- validation
# check_int and check_monday live in reportkit.data.simulate_checks (shared with simulate_adoption);
# they are imported above and stay importable from here for existing callers.


# --------------------------------------------------------------------------- seasonality


def _overlaps(monday: dt.date, first: dt.date, last: dt.date) -> bool:
    return monday <= last and monday + dt.timedelta(days=6) >= first


def _contains(monday: dt.date, day: dt.date) -> bool:
    return monday <= day <= monday + dt.timedelta(days=6)


def _spring_festival(year: int) -> dt.date:
    if year not in _SPRING_FESTIVAL:
        raise DataError(
            f"the simulator knows Spring Festival dates for {min(_SPRING_FESTIVAL)}–"
            f"{max(_SPRING_FESTIVAL)} only; the weeks asked for reach {year}"
        )
    return dt.date.fromisoformat(_SPRING_FESTIVAL[year])


def _week_effects(mondays: list[dt.date]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (w_t seasonal part, s_t, festival indicator) for each Monday."""
    s = _SEASONALITY
    w = np.zeros(len(mondays))
    notes = np.zeros(len(mondays))
    festival = np.zeros(len(mondays))
    for j, monday in enumerate(mondays):
        sunday = monday + dt.timedelta(days=6)
        for year in {monday.year, sunday.year}:
            d618 = dt.date(year, 6, 18)
            d11 = dt.date(year, 11, 11)
            for peak_day, first, peak, other in (
                (d618, dt.date(year, 6, 1), "cart_618_peak_week", "cart_618_other_weeks"),
                (d11, dt.date(year, 10, 31), "cart_double11_peak_week", "cart_double11_other_weeks"),
            ):
                if _contains(monday, peak_day):
                    w[j] += s[peak]
                    festival[j] = 1.0
                elif _overlaps(monday, first, peak_day - dt.timedelta(days=1)):
                    w[j] += s[other]
                    festival[j] = 1.0
                if _overlaps(monday, first, peak_day):
                    notes[j] += s["notes_festival_weeks"]
                else:
                    # Monday of the first festival week, and the three weeks before it
                    first_monday = first - dt.timedelta(days=first.weekday())
                    if first_monday - dt.timedelta(weeks=3) <= monday < first_monday:
                        notes[j] += s["notes_preseason_3_weeks"]
        sf = _spring_festival(sunday.year)
        sf_monday = sf - dt.timedelta(days=sf.weekday())
        if monday == sf_monday:
            w[j] += s["cart_spring_festival_week"]
            notes[j] += s["notes_spring_festival_week"]
        elif monday == sf_monday - dt.timedelta(weeks=1):
            w[j] += s["cart_spring_festival_week_before"]
        elif monday == sf_monday + dt.timedelta(weeks=1):
            w[j] += s["cart_spring_festival_week_after"]
    return w, notes, festival


# --------------------------------------------------------------------------- simulation


def _quantile_spread(rng: np.random.Generator, n: int) -> np.ndarray:
    """n standard normal quantiles at (j − ½)/n, in random order (fixed spread, random ranks)."""
    z = stats.norm.ppf((np.arange(n) + 0.5) / n)
    return rng.permutation(z)


def simulate_panel(
    seed: int = DEFAULT_SEED,
    n_brands_per_category: int = 8,
    start: str = "2023-01-02",
    n_weeks: int = 104,
) -> SimulatedPanel:
    """Simulate the brand × week panel; same arguments → identical data.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng` (a non-negative integer).
    n_brands_per_category
        Brands per category (4–99: every adoption wave needs a brand and so does the never-adopting
        group); brand ids are the category code plus two digits (``BEA01``).
    start
        ISO date of the first week's Monday.
    n_weeks
        Number of weeks (79–520: the last adoption wave joins in week index 78).

    Returns
    -------
    SimulatedPanel
        ``.data`` with the columns of :data:`PANEL_COLUMNS` (one row per brand-week, sorted by
        category order, brand and week; ``week`` an ISO date string, ``adoption_week``
        datetime64[ns] with NaT for brands that never adopt) and ``.truth`` (:class:`TrueParams`).

    Raises
    ------
    DataError
        If an argument is out of range or of the wrong type.
    """
    seed = check_int("seed", seed, 0, 2**63 - 1)
    n_b = check_int("n_brands_per_category", n_brands_per_category, 2, 99)
    n_weeks = check_int("n_weeks", n_weeks, 1, 520)
    start_day = check_monday(start)
    design = _adoption_design(seed, n_b, n_weeks, start_day)

    rng = np.random.default_rng(seed)
    adoption_rng = np.random.default_rng([seed, _ADOPTION_STREAM])  # its own stream: see _ADOPTION_STREAM
    counts = adoption.wave_counts(design.wave_shares, design.never_share, n_b)
    n_waves = len(design.wave_weeks)
    week_index = np.arange(-_BURN_IN_WEEKS, n_weeks)  # 0 = `start`; the burn-in weeks are negative
    em, cm, fm = _ENGAGEMENT_MODEL, _CONVERSION_MODEL, _FUNNEL_MODEL
    betas = np.array(LAG_ELASTICITIES)
    n_lags = len(betas) - 1
    total_weeks = _BURN_IN_WEEKS + n_weeks
    first_monday = start_day - dt.timedelta(weeks=_BURN_IN_WEEKS)
    mondays = [first_monday + dt.timedelta(weeks=j) for j in range(total_weeks)]
    w_season, s_notes, festival = _week_effects(mondays)
    t_years = (np.arange(total_weeks) - _BURN_IN_WEEKS) / 52.0
    w_t = w_season + cm["trend_per_year"] * t_years

    frames: list[pd.DataFrame] = []
    categories: list[CategoryParams] = []
    brands: list[dict[str, Any]] = []
    median_log_eng = {}
    paths: dict[str, dict[str, Any]] = {}
    for name, code, notes_med, epn, cart_med, cart_sd, q_c, p_c, aov in _CATEGORY_TABLE:
        # adoption: which brand joins in which wave (own generator), the effect δ_it of joining
        tau = design.category_effects[name]
        wave = adoption.assign_waves(adoption_rng, counts)  # wave index of each brand (n_waves: never)
        g_adopt = adoption.adoption_week_index(wave, design.wave_weeks)
        adopts = wave < n_waves
        delta = adoption.adoption_effects(wave, week_index, design, tau)
        paths[name] = adoption.wave_paths(design, tau)

        # brand effects
        a = np.log(notes_med) + em["brand_sd"] * _quantile_spread(rng, n_b)
        a = a + rng.normal(0.0, em["brand_jitter_sd"], n_b)
        b = cm["brand_sd"] * _quantile_spread(rng, n_b)
        g = rng.normal(em["trend_mean_per_year"], em["trend_sd_per_year"], n_b)

        # note activity: AR(1) in logs, started from its stationary distribution
        rho, sd_eps = em["ar1_rho"], em["ar1_innovation_sd"]
        u = np.empty((n_b, total_weeks))
        u[:, 0] = rng.normal(0.0, sd_eps / np.sqrt(1 - rho**2), n_b)
        eps = rng.normal(0.0, sd_eps, (n_b, total_weeks))
        for t in range(1, total_weeks):
            u[:, t] = rho * u[:, t - 1] + eps[:, t]
        n_level = a[:, None] + g[:, None] * t_years[None, :] + s_notes[None, :] + u
        m = n_level + np.log(epn) + rng.normal(0.0, em["per_note_noise_sd"], (n_b, total_weeks))

        notes = rng.poisson(np.exp(n_level))
        comp = {}
        for key in ("likes", "comments", "saves"):
            share = em[f"share_{key}"]
            omega = rng.normal(0.0, em["component_noise_sd"], (n_b, total_weeks))
            comp[key] = rng.poisson(share * np.exp(m + omega))
        omega = rng.normal(0.0, em["component_noise_sd"], (n_b, total_weeks))
        shares = rng.poisson(em["shares_per_engagement"] * np.exp(m + omega))
        engagement = comp["likes"] + comp["comments"] + comp["saves"]
        log_eng = np.log(np.maximum(engagement, 1))  # engagement is in the thousands; guard only

        # add-to-cart from current and lagged realised engagement
        log_med_eng = np.log(notes_med) + np.log(epn)
        median_log_eng[name] = log_med_eng
        kappa = float(np.log(cart_med) - betas.sum() * log_med_eng)
        lin = np.full((n_b, total_weeks), np.nan)
        for t in range(n_lags, total_weeks):
            lin[:, t] = sum(betas[k] * log_eng[:, t - k] for k in range(n_lags + 1))
        e = rng.normal(0.0, cart_sd, (n_b, total_weeks))
        keep = slice(_BURN_IN_WEEKS, total_weeks)
        log_mu = kappa + b[:, None] + w_t[None, :] + lin + e + delta  # δ = 0 before adoption and for never
        add_to_cart = rng.poisson(np.exp(log_mu[:, keep]))

        # funnel: visits, orders, GMV
        nu = rng.normal(0.0, fm["visit_noise_sd"], add_to_cart.shape)
        visits = add_to_cart + rng.poisson(add_to_cart * (1.0 / q_c - 1.0) * np.exp(nu))
        fest = festival[keep][None, :]
        eta = rng.normal(0.0, fm["order_logit_noise_sd"], add_to_cart.shape)
        p_it = special.expit(special.logit(p_c) + fm["order_logit_festival_uplift"] * fest + eta)
        orders = rng.binomial(add_to_cart, p_it)
        zeta = rng.normal(0.0, fm["gmv_noise_sd"], add_to_cart.shape)
        price = aov * np.exp(-fm["gmv_festival_discount"] * fest + zeta)
        gmv = np.round(orders * price, 2)

        ids = [f"{code}{j + 1:02d}" for j in range(n_b)]
        weeks = [d.isoformat() for d in mondays[_BURN_IN_WEEKS:]]
        adopt_day = [
            (start_day + dt.timedelta(weeks=int(gi))).isoformat() if ok else None
            for gi, ok in zip(g_adopt, adopts, strict=True)
        ]
        frame = pd.DataFrame(
            {
                "brand": np.repeat(ids, n_weeks),
                "category": name,
                "week": np.tile(weeks, n_b),
                "notes": notes[:, keep].ravel(),
                "likes": comp["likes"][:, keep].ravel(),
                "comments": comp["comments"][:, keep].ravel(),
                "saves": comp["saves"][:, keep].ravel(),
                "shares": shares[:, keep].ravel(),
                "engagement": engagement[:, keep].ravel(),
                "visits": visits.ravel(),
                "add_to_cart": add_to_cart.ravel(),
                "orders": orders.ravel(),
                "gmv": gmv.ravel(),
                ADOPTION_COLUMN: np.repeat(pd.to_datetime(adopt_day).to_numpy(), n_weeks),
            }
        )
        frames.append(frame)
        categories.append(
            CategoryParams(
                category=name,
                code=code,
                notes_median=notes_med,
                engagement_per_note=epn,
                add_to_cart_median=cart_med,
                cart_intercept=round(kappa, 10),
                cart_noise_sd=cart_sd,
                visit_to_cart_rate=q_c,
                cart_to_order_rate=p_c,
                aov_yuan=aov,
            )
        )
        for j in range(n_b):
            brands.append(
                {
                    "brand": ids[j],
                    "category": name,
                    "notes_level_a": round(float(a[j]), 6),
                    "cart_effect_b": round(float(b[j]), 6),
                    "notes_trend_per_year_g": round(float(g[j]), 6),
                    "adoption_week_index": int(g_adopt[j]) if adopts[j] else None,
                    "adoption_week": adopt_day[j],
                }
            )

    data = pd.concat(frames, ignore_index=True)
    for col in ("brand", "category", "week"):
        data[col] = data[col].astype("str")
    for col in COUNT_COLUMNS:
        data[col] = data[col].astype("int64")
    data["gmv"] = data["gmv"].astype("float64")
    data[ADOPTION_COLUMN] = data[ADOPTION_COLUMN].astype("datetime64[ns]")

    realised = pooled_log_correlation(data, "美妆个护")
    truth = TrueParams(
        generator_version=GENERATOR_VERSION,
        seed=seed,
        n_brands_per_category=n_b,
        start=start_day.isoformat(),
        n_weeks=n_weeks,
        lag_elasticities=tuple(float(x) for x in betas),
        long_run_elasticity=round(float(betas.sum()), 10),
        categories=tuple(categories),
        engagement_model=dict(em),
        conversion_model=dict(cm),
        seasonality=dict(_SEASONALITY),
        funnel_model=dict(fm),
        brands=tuple(brands),
        calibration={
            "target": "pooled Pearson r of log(engagement) and log(add_to_cart), "
            "all 美妆个护 brand-weeks, no demeaning",
            "category": "美妆个护",
            "engagement": "engagement",
            "conversion": "add_to_cart",
            "target_value": 0.73,
            "realised_value": None if realised is None else round(realised, 6),
            "n_brand_weeks": int((data["category"] == "美妆个护").sum()),
        },
        adoption=_adoption_truth(design, counts, paths, start_day),
        notes="Simulated data, not real platform data. Lag elasticities are common to all "
        "categories; the week effect w_t is common to all brands. Brands join the partnership in "
        "staggered waves (the adoption block); joining raises add_to_cart, not engagement.",
    )
    return SimulatedPanel(data=data, truth=truth)


def _adoption_design(seed: int, n_b: int, n_weeks: int, start_day: dt.date) -> adoption.AdoptionDesign:
    """The demo panel's adoption design, refusing sizes for which a wave or the never-adopting group
    would be empty (a DataError naming the argument)."""
    last = max(ADOPTION_WAVE_WEEKS)
    if n_weeks <= last:
        raise DataError(
            f"n_weeks must be at least {last + 1}: the adoption waves join in week indices "
            f"{', '.join(map(str, ADOPTION_WAVE_WEEKS))} and the last one needs a week in the panel; got {n_weeks}"
        )
    never = 1.0 - sum(ADOPTION_WAVE_SHARES)
    counts = adoption.wave_counts(ADOPTION_WAVE_SHARES, never, n_b)
    if min(counts) < 1:
        raise DataError(
            f"n_brands_per_category must give every category at least one brand in each of the "
            f"{len(ADOPTION_WAVE_WEEKS)} adoption waves and one that never adopts (shares "
            f"{', '.join(f'{x:g}' for x in [*ADOPTION_WAVE_SHARES, never])}, rounded by largest remainder: "
            f"{counts}); got {n_b}"
        )
    return adoption.adoption_design(
        seed,
        len(CATEGORIES),
        n_b,
        n_weeks,
        start_day,
        ADOPTION_WAVE_WEEKS,
        ADOPTION_WAVE_SHARES,
        ADOPTION_WAVE_MULTIPLIERS,
        None,
        ADOPTION_BUILD_UP_WEEKS,
    )


def _adoption_truth(
    design: adoption.AdoptionDesign, counts: list[int], paths: dict[str, dict[str, Any]], start_day: dt.date
) -> dict[str, Any]:
    """The ``adoption`` block of the truth, JSON-ready: simulate_adoption's design and effect truth
    (:func:`reportkit.data.simulate_adoption.effect_truth`), the waves' Mondays and how brands were
    assigned."""
    block = {
        "design": asdict(design),
        "wave_mondays": {str(g): (start_day + dt.timedelta(weeks=g)).isoformat() for g in design.wave_weeks},
        "assignment": "within each category, the same number of brands per wave "
        "(wave_counts_per_category), which brand in which wave at random: "
        f"numpy.random.default_rng([seed, {_ADOPTION_STREAM}]).permutation, category by category",
        **adoption.effect_truth(design, counts, paths),
        "notes": "Wave keys are 0-based week indices g of the panel (0 = start; adoption in the "
        "Monday start + g weeks, wave_mondays). delta_it is added to log(mu_it) of add_to_cart before "
        "its Poisson draw; visits, orders and gmv follow through the funnel; engagement does not "
        "respond. No anticipation: delta_it = 0 before adoption and for brands that never adopt.",
    }
    ready: dict[str, Any] = json.loads(json.dumps(block, ensure_ascii=False))
    return ready


def calibrated_claim(truth: Mapping[str, Any] | None, *, category: str, engagement: str, conversion: str) -> float | None:
    """The correlation the simulator was calibrated to, when ``truth`` is a simulated panel's
    parameters and the analysis is the calibrated one (same category and columns); else None.

    A report that "tests" a published claim on data simulated to reproduce it must say so: the
    agreement is then built in, not evidence.
    """
    calibration = (truth or {}).get("calibration") or {}
    same = (calibration.get("category"), calibration.get("engagement"), calibration.get("conversion")) == (
        category, engagement, conversion)
    value = calibration.get("target_value")
    return float(value) if same and value is not None else None


def pooled_log_correlation(
    df: pd.DataFrame, category: str = "美妆个护", x: str = "engagement", y: str = "add_to_cart"
) -> float | None:
    """Pooled Pearson r of log(x) and log(y) over all brand-weeks of one category (no demeaning).

    Returns None if the category has fewer than 3 rows. This is the quantity the simulator is
    tuned on; :func:`reportkit.analysis.engagement.correlation` gives it with a CI.
    """
    for col in ("category", x, y):
        if col not in df.columns:
            raise DataError(
                f"column {col!r} not found; available columns: {', '.join(map(str, df.columns))}",
                column=col,
            )
    sub = df[df["category"] == category]
    if len(sub) < 3:
        return None
    lx = np.log(sub[x].to_numpy(dtype=float))
    ly = np.log(sub[y].to_numpy(dtype=float))
    return float(stats.pearsonr(lx, ly).statistic)


# --------------------------------------------------------------------------- files


def demo_folder() -> Path:
    """The project's demo folder, ``<project root>/data/simulated`` (see
    :func:`reportkit.data.paths.project_root`; never the installed package's folder)."""
    return project_root() / DEMO_FOLDER


def write_demo_panel(
    folder: Path | str | None = None, seed: int = DEFAULT_SEED
) -> tuple[Path, Path]:
    """Simulate with ``seed`` and write ``brand_week_panel.csv`` and ``true_params.json``.

    Both files are written to a temporary name in ``folder`` first and then moved into place
    (:func:`os.replace`), so a reader never sees a half-written file. The CSV is UTF-8 without
    an index, ``gmv`` with two decimals, ``adoption_week`` an ISO date or empty (never adopts).
    ``folder`` defaults to :func:`demo_folder`. Returns (csv path, json path).
    """
    folder = demo_folder() if folder is None else Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the output folder: {exc}", path=folder) from exc
    panel = simulate_panel(seed=seed)
    csv_path = folder / PANEL_FILE
    json_path = folder / PARAMS_FILE
    out = panel.data.assign(**{ADOPTION_COLUMN: panel.data[ADOPTION_COLUMN].dt.strftime("%Y-%m-%d")})
    csv_text = out.to_csv(index=False, float_format="%.2f", lineterminator="\n")
    json_text = json.dumps(panel.truth.to_dict(), ensure_ascii=False, indent=2) + "\n"
    write_atomic(csv_path, csv_text)
    write_atomic(json_path, json_text)
    return csv_path, json_path


_CSV_DTYPES = {"brand": "str", "category": "str", "week": "str", "gmv": "float64", ADOPTION_COLUMN: "str"}
_CSV_DTYPES.update({c: "int64" for c in COUNT_COLUMNS})


def load_demo_panel(folder: Path | str | None = None) -> pd.DataFrame:
    """Read the committed demo panel (``week`` stays an ISO date string, counts int64,
    ``adoption_week`` datetime64[ns] with NaT for brands that never adopt).

    ``folder`` defaults to :func:`demo_folder`.
    """
    path = (demo_folder() if folder is None else Path(folder)) / PANEL_FILE
    if not path.is_file():
        raise DataError(
            "the demo panel is missing; regenerate it with `python -m reportkit.data.simulate`",
            path=path,
        )
    try:
        df = pd.read_csv(path, dtype=_CSV_DTYPES, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the demo panel: {exc}", path=path) from exc
    missing = [c for c in PANEL_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the demo panel lacks columns {missing}; expected {list(PANEL_COLUMNS)} (an older file: "
            "regenerate it with `python -m reportkit.data.simulate`)",
            path=path,
        )
    df[ADOPTION_COLUMN] = adoption.parse_adoption_week(df[ADOPTION_COLUMN], path=path)
    return df


def load_true_params(folder: Path | str | None = None) -> dict[str, Any]:
    """Read the committed ``true_params.json`` as a dict (``folder`` defaults to :func:`demo_folder`)."""
    path = (demo_folder() if folder is None else Path(folder)) / PARAMS_FILE
    if not path.is_file():
        raise DataError(
            "the true parameters file is missing; regenerate it with "
            "`python -m reportkit.data.simulate`",
            path=path,
        )
    try:
        params: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the true parameters: {exc}", path=path) from exc
    return params


def main(argv: list[str] | None = None) -> int:
    """Regenerate the demo files: ``python -m reportkit.data.simulate [--seed N] [--folder DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m reportkit.data.simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--folder", type=Path, default=None,
                        help="output folder (default: data/simulated in the project root)")
    args = parser.parse_args(argv)
    csv_path, json_path = write_demo_panel(args.folder, seed=args.seed)
    params = load_true_params(csv_path.parent)
    size = csv_path.stat().st_size
    print(f"wrote {csv_path} ({size / 1024:.0f} KiB)")
    print(f"wrote {json_path}")
    print(f"美妆个护 pooled log correlation: {params['calibration']['realised_value']:.4f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
