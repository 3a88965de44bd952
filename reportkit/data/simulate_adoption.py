"""Seeded simulator of staggered platform adoption: a brand × week panel with a known effect.

Brands join a content-to-marketplace partnership (notes on the content platform link straight to
the brand's store on the shopping platform) in waves; some never join. The effect of joining on
add-to-cart builds up over several weeks, differs by category and by adoption wave, and is zero
before a brand joins (no anticipation). The true effect of every brand-week is known, so an
event-study estimate can be checked against it.

Model (logs natural; ``i`` a brand in category ``c`` adopting in week ``g_i`` (``∞`` for
never), ``t`` a week index 0 … T−1, ``e = t − g_i`` the event time; noise terms independent):

* engagement ``x_it = log(eng_c) + a_i + s_t + u_it`` with ``u_it = ρ_u u_i,t−1 + ε_it``
  (AR(1), started from its stationary law) and ``engagement ~ Poisson(exp(x_it))``; adoption
  does not move engagement (engagement is a driver, not a mediator);
* add-to-cart ``log μ_it = log(cart_c) + b_i + w_t + β · (log engagement_it − log eng_c)
  + δ_it + v_it`` with ``v_it = ρ_v v_i,t−1 + η_it`` (AR(1) conversion shock), and
  ``add_to_cart = F⁻¹_Poisson(U_it; μ_it)`` with ``U_it ~ Uniform(0, 1)`` drawn before the effect
  is applied (inversion keeps common random numbers: the same seed with another effect path
  changes only treated rows);
* the effect ``δ_it = 1[t ≥ g_i] · τ_c · m_g · (1 − exp(−(e + 1)/k))``: τ_c the long-run effect
  of category ``c``, m_g the multiplier of wave ``g`` (early waves gain more: the heterogeneity
  that biases a static two-way fixed-effects regression), ``k`` the build-up time in weeks
  (after ``k`` weeks 63 % of the long-run effect, after ``3k`` 95 %).

``a_i``, ``b_i`` are brand effects; ``s_t`` and ``w_t`` common week effects (a trend, an annual
cycle and week noise), so untreated outcomes follow parallel trends in logs. The effect is on
``log μ_it``; ``log(add_to_cart)`` adds Poisson noise of sd ≈ μ^−½ (a few hundredths at these
counts) and a bias of ≈ −1/(2μ) that is the same, to 10⁻³, with and without treatment.

Brands are assigned to waves within each category, the same counts in every category (shares
rounded by largest remainder), at random by seed; who is treated when is therefore fixed by the
design, and so are the true ATTs: the seed moves the noise and which brand is in which wave.

Truth (``truth`` dict, JSON-ready, written as ``adoption_truth.json``):

* ``path``: for each category and wave, ``δ`` by event time ``e = −g … T−1−g`` (zero for e < 0);
* ``att_overall``: the simple mean of ``δ_it`` over all treated brand-weeks of the panel
  (``t ≥ g_i``, every week to the end of the panel, each brand-week weighing the same). It is
  the estimand of the imputation / two-stage estimator with one pooled treatment dummy;
* ``att_by_cohort``, ``att_by_category``: the same mean within a wave, within a category;
* ``att_by_event_time``: the mean of ``δ_it`` over treated brand-weeks at each event time
  ``e ≥ 0`` (the composition changes with ``e``: late waves drop out of long horizons), with
  the number of brand-weeks behind it;
* every parameter, the realised brand effects, the wave of every brand and the seed.

``python -m reportkit.data.simulate_adoption --folder DIR`` writes ``adoption_panel.csv`` and
``adoption_truth.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..atomic import write_atomic
from ..errors import DataError
from .simulate_checks import check_float, check_int, check_monday, check_sequence

__all__ = [
    "GENERATOR_VERSION",
    "DEFAULT_SEED",
    "COLUMNS",
    "CATEGORIES",
    "PANEL_FILE",
    "TRUTH_FILE",
    "AdoptionDesign",
    "AdoptionPanel",
    "effect_path",
    "adoption_design",
    "wave_counts",
    "assign_waves",
    "adoption_week_index",
    "adoption_effects",
    "wave_paths",
    "mean_effects",
    "effect_truth",
    "parse_adoption_week",
    "simulate_adoption",
    "write_adoption",
    "read_adoption",
    "main",
]

GENERATOR_VERSION = "reportkit-sim-adoption/1.0"
DEFAULT_SEED = 1111
PANEL_FILE = "adoption_panel.csv"
TRUTH_FILE = "adoption_truth.json"
COLUMNS: tuple[str, ...] = ("brand", "category", "week", "adoption_week", "engagement", "add_to_cart")

# name, code, engagement/week (median brand), add-to-cart/week (median brand), τ_c (long-run effect)
_CATEGORY_TABLE: tuple[tuple[str, str, float, float, float], ...] = (
    ("美妆个护", "BEA", 24000.0, 3000.0, 0.20),
    ("服饰鞋包", "FAS", 20000.0, 2500.0, 0.12),
    ("家居家装", "HOM", 10000.0, 900.0, 0.06),
    ("母婴", "BAB", 10500.0, 1200.0, 0.15),
    ("3C数码", "DIG", 10800.0, 700.0, 0.08),
    ("食品饮料", "FOO", 10500.0, 2800.0, 0.10),
)
CATEGORIES: tuple[str, ...] = tuple(row[0] for row in _CATEGORY_TABLE)

_MODEL = {
    "engagement_brand_sd": 0.60,  # sd of a_i
    "engagement_ar1_rho": 0.70,  # ρ_u
    "engagement_ar1_innovation_sd": 0.20,  # sd of ε_it
    "engagement_cycle": 0.10,  # amplitude of the annual cycle in s_t
    "cart_brand_sd": 0.30,  # sd of b_i
    "cart_engagement_elasticity": 0.35,  # β
    "cart_ar1_rho": 0.50,  # ρ_v
    "cart_ar1_innovation_sd": 0.08,  # sd of η_it
    "cart_trend_per_year": 0.04,  # in w_t
    "cart_cycle": 0.15,  # amplitude of the annual cycle in w_t
    "week_noise_sd": 0.05,  # sd of the week noise in s_t and in w_t
}


@dataclass(frozen=True)
class AdoptionDesign:
    """The checked inputs of one simulation (what :func:`simulate_adoption` was asked for)."""

    seed: int
    n_categories: int
    n_brands_per_category: int
    n_weeks: int
    start: str  # ISO date of week 0, a Monday
    wave_weeks: tuple[int, ...]  # g: week index (0-based) of each wave's first treated week
    wave_shares: tuple[float, ...]  # share of each category's brands in each wave
    never_share: float  # 1 − Σ wave_shares, > 0
    wave_multipliers: tuple[float, ...]  # m_g
    category_effects: dict[str, float]  # τ_c, long-run effect on log μ
    build_up_weeks: float  # k


class AdoptionPanel(NamedTuple):
    """The simulated panel and its truth; unpacks as ``frame, truth = simulate_adoption()``."""

    data: pd.DataFrame
    truth: dict[str, Any]


def effect_path(event_time: np.ndarray | Sequence[int] | int, tau: float, build_up_weeks: float) -> np.ndarray:
    """``δ(e) = τ · (1 − exp(−(e + 1)/k))`` for ``e ≥ 0`` and 0 before adoption (``e < 0``)."""
    e = np.asarray(event_time, dtype=float)
    return np.where(e >= 0, tau * -np.expm1(-(np.maximum(e, 0.0) + 1.0) / build_up_weeks), 0.0)


# --------------------------------------------------------------------------- validation


def adoption_design(
    seed: Any,
    n_categories: Any,
    n_brands_per_category: Any,
    n_weeks: Any,
    start: Any,
    wave_weeks: Any,
    wave_shares: Any,
    wave_multipliers: Any,
    category_effects: Any,
    build_up_weeks: Any,
) -> AdoptionDesign:
    """Check :func:`simulate_adoption`'s arguments and return them as an :class:`AdoptionDesign`.

    Raises a :class:`~reportkit.errors.DataError` naming the argument and its value when one is out
    of range or of the wrong type, or when the shares round to no brand in a wave or no never-treated
    brand (largest-remainder rounding of ``n_brands_per_category``, :func:`wave_counts`).
    """
    seed = check_int("seed", seed, 0, 2**63 - 1)
    n_c = check_int("n_categories", n_categories, 1, len(_CATEGORY_TABLE))
    n_b = check_int("n_brands_per_category", n_brands_per_category, 2, 999)
    n_weeks = check_int("n_weeks", n_weeks, 4, 520)
    start_day = check_monday(start)

    weeks = tuple(
        check_int(f"wave_weeks[{j}]", g, 1, n_weeks - 1)
        for j, g in enumerate(check_sequence("wave_weeks", wave_weeks))
    )
    if any(b <= a for a, b in zip(weeks, weeks[1:], strict=False)):
        raise DataError(f"wave_weeks must be strictly increasing week indices; got {list(weeks)}")
    shares = tuple(
        check_float(f"wave_shares[{j}]", s, 0.0, 1.0, open_lo=True)
        for j, s in enumerate(check_sequence("wave_shares", wave_shares))
    )
    if len(shares) != len(weeks):
        raise DataError(f"wave_shares needs one share per wave ({len(weeks)}); got {list(shares)}")
    never = 1.0 - sum(shares)
    if never <= 1e-9:
        raise DataError(
            f"wave_shares must leave a never-treated share > 0 (the comparison group); "
            f"got {list(shares)}, summing to {sum(shares):g}"
        )
    mults = tuple(
        check_float(f"wave_multipliers[{j}]", m, 0.0, 10.0)
        for j, m in enumerate(check_sequence("wave_multipliers", wave_multipliers))
    )
    if len(mults) != len(weeks):
        raise DataError(f"wave_multipliers needs one multiplier per wave ({len(weeks)}); got {list(mults)}")

    names = CATEGORIES[:n_c]
    defaults = {row[0]: row[4] for row in _CATEGORY_TABLE}
    if category_effects is None:
        effects = {name: defaults[name] for name in names}
    else:
        if not isinstance(category_effects, Mapping):
            raise DataError(f"category_effects must map category names to effects; got {category_effects!r}")
        unknown = [k for k in category_effects if k not in names]
        if unknown:
            raise DataError(
                f"category_effects names unknown categories {unknown}; expected some of {', '.join(names)}"
            )
        effects = {
            name: check_float(f"category_effects[{name!r}]", category_effects.get(name, defaults[name]), -2.0, 2.0)
            for name in names
        }
    k = check_float("build_up_weeks", build_up_weeks, 0.0, 520.0, open_lo=True)

    counts = wave_counts(shares, never, n_b)
    if counts[-1] < 1:
        raise DataError(
            f"with n_brands_per_category={n_b} the never-treated share {never:g} rounds to no brand; "
            "use more brands or a larger never-treated share"
        )
    empty = [weeks[j] for j, n in enumerate(counts[:-1]) if n < 1]
    if empty:
        raise DataError(
            f"with n_brands_per_category={n_b} the waves starting in weeks {empty} get no brand; "
            "use more brands or larger wave_shares"
        )
    return AdoptionDesign(
        seed=seed,
        n_categories=n_c,
        n_brands_per_category=n_b,
        n_weeks=n_weeks,
        start=start_day.isoformat(),
        wave_weeks=weeks,
        wave_shares=shares,
        never_share=round(never, 12),
        wave_multipliers=mults,
        category_effects=effects,
        build_up_weeks=k,
    )


def wave_counts(shares: Sequence[float], never: float, n: int) -> list[int]:
    """Brands per wave and never-treated (last) out of ``n``: largest-remainder rounding."""
    exact = np.array([*shares, never]) * n
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return [int(c) for c in counts]


# --------------------------------------------------------------------------- the effect
# The building blocks of the adoption model, shared with the demo panel (reportkit.data.simulate).


def assign_waves(rng: np.random.Generator, counts: Sequence[int]) -> np.ndarray:
    """The wave index of each of ``sum(counts)`` brands in random order: ``counts[j]`` brands get
    ``j``; the last entry of ``counts`` (index ``len(counts) − 1``) is never-treated."""
    return rng.permutation(np.repeat(np.arange(len(counts)), counts))


def adoption_week_index(wave: np.ndarray, wave_weeks: Sequence[int]) -> np.ndarray:
    """The adoption week index ``g`` of each brand from its wave index (:func:`assign_waves`); −1
    for never-treated brands (wave index ``len(wave_weeks)``)."""
    g: np.ndarray = np.array([*wave_weeks, -1])[wave]
    return g


def adoption_effects(wave: np.ndarray, weeks: np.ndarray, design: AdoptionDesign, tau: float) -> np.ndarray:
    """``δ_it`` (brands × weeks) for brands with wave indices ``wave`` (:func:`assign_waves`) at
    week indices ``weeks`` (0 = the design's week 0; earlier weeks may be negative):
    ``m_g · effect_path(t − g_i, τ, k)``, 0 before adoption and for never-treated brands."""
    n_waves = len(design.wave_weeks)
    g = adoption_week_index(wave, design.wave_weeks)
    treated_brand = wave < n_waves
    event = np.where(treated_brand[:, None], weeks[None, :] - g[:, None], -(10**6))
    mult = np.where(treated_brand, np.array([*design.wave_multipliers, 0.0])[wave], 0.0)
    delta: np.ndarray = mult[:, None] * effect_path(event, tau, design.build_up_weeks)
    return delta


def wave_paths(design: AdoptionDesign, tau: float) -> dict[str, dict[str, list[Any]]]:
    """The truth's ``path`` of one category (long-run effect ``tau``): for each wave ``g`` (key
    ``str(g)``), ``event_time`` ``−g … n_weeks−1−g`` and ``effect`` ``δ`` at each (zero for e < 0)."""
    path: dict[str, dict[str, list[Any]]] = {}
    for j, gj in enumerate(design.wave_weeks):
        e = np.arange(-gj, design.n_weeks - gj)
        path[str(gj)] = {
            "event_time": e.tolist(),
            "effect": [
                round(float(x), 12) for x in design.wave_multipliers[j] * effect_path(e, tau, design.build_up_weeks)
            ],
        }
    return path


# --------------------------------------------------------------------------- simulation


def _ar1(rng: np.random.Generator, rho: float, sd: float, shape: tuple[int, int]) -> np.ndarray:
    """AR(1) rows started from the stationary law: ``z_t = ρ z_t−1 + N(0, sd²)``."""
    z = np.empty(shape)
    z[:, 0] = rng.normal(0.0, sd / math.sqrt(1.0 - rho**2), shape[0])
    eps = rng.normal(0.0, sd, shape)
    for t in range(1, shape[1]):
        z[:, t] = rho * z[:, t - 1] + eps[:, t]
    return z


def simulate_adoption(
    seed: int = DEFAULT_SEED,
    *,
    n_categories: int = 3,
    n_brands_per_category: int = 20,
    n_weeks: int = 104,
    start: str | dt.date = "2023-01-02",
    wave_weeks: Sequence[int] = (26, 52, 78),
    wave_shares: Sequence[float] = (0.25, 0.25, 0.2),
    wave_multipliers: Sequence[float] = (1.5, 1.0, 0.6),
    category_effects: Mapping[str, float] | None = None,
    build_up_weeks: float = 4.0,
) -> AdoptionPanel:
    """Simulate the staggered-adoption panel (the model is in the module docstring).

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same panel.
    n_categories
        The first ``n_categories`` of :data:`CATEGORIES` (1–6).
    n_brands_per_category
        Brands in each category (ids ``BEA01`` …).
    n_weeks, start
        Weeks 0 … n_weeks−1, week 0 the Monday ``start``.
    wave_weeks
        The week index ``g`` (0-based, ≥ 1 so every wave has a pre-period) at which each wave
        joins; strictly increasing.
    wave_shares
        The share of each category's brands joining in each wave; ``1 − Σ`` never join and must
        be > 0. Counts are rounded by largest remainder, the same in every category.
    wave_multipliers
        ``m_g``, one per wave: the wave's long-run effect is ``m_g · τ_c``.
    category_effects
        ``τ_c``, the long-run effect on ``log μ`` by category name (defaults: 美妆个护 0.20,
        服饰鞋包 0.12, 家居家装 0.06, 母婴 0.15, 3C数码 0.08, 食品饮料 0.10).
    build_up_weeks
        ``k`` in ``1 − exp(−(e + 1)/k)``.

    Returns
    -------
    AdoptionPanel
        ``(data, truth)``: ``data`` has :data:`COLUMNS`, one row per brand-week sorted by
        category, brand and week; ``week`` an ISO date string (as in the demo panel),
        ``adoption_week`` datetime64 (NaT for never-treated brands), counts int64. ``truth`` is a
        JSON-ready dict (see the module docstring).

    Raises
    ------
    DataError
        If an argument is out of range or of the wrong type (the message names it and its value).
    """
    design = adoption_design(
        seed, n_categories, n_brands_per_category, n_weeks, start, wave_weeks, wave_shares,
        wave_multipliers, category_effects, build_up_weeks,
    )
    md = _MODEL
    rng = np.random.default_rng(design.seed)
    n_b, n_t = design.n_brands_per_category, design.n_weeks
    t = np.arange(n_t)
    start_day = dt.date.fromisoformat(design.start)
    mondays = [start_day + dt.timedelta(weeks=int(j)) for j in t]
    cycle = np.sin(2 * np.pi * t / 52.0)
    s_t = md["engagement_cycle"] * cycle + rng.normal(0.0, md["week_noise_sd"], n_t)
    w_t = (md["cart_trend_per_year"] * t / 52.0 + md["cart_cycle"] * cycle
           + rng.normal(0.0, md["week_noise_sd"], n_t))
    counts = wave_counts(design.wave_shares, design.never_share, n_b)
    n_waves = len(design.wave_weeks)

    frames: list[pd.DataFrame] = []
    brands: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    path: dict[str, dict[str, Any]] = {}
    for name, code, eng_med, cart_med, _default_tau in _CATEGORY_TABLE[: design.n_categories]:
        tau = design.category_effects[name]
        wave = assign_waves(rng, counts)  # wave index of each brand (n_waves: never)
        a = rng.normal(0.0, md["engagement_brand_sd"], n_b)
        b = rng.normal(0.0, md["cart_brand_sd"], n_b)
        u = _ar1(rng, md["engagement_ar1_rho"], md["engagement_ar1_innovation_sd"], (n_b, n_t))
        v = _ar1(rng, md["cart_ar1_rho"], md["cart_ar1_innovation_sd"], (n_b, n_t))
        uniforms = rng.random((n_b, n_t))

        x = math.log(eng_med) + a[:, None] + s_t[None, :] + u
        engagement = np.maximum(rng.poisson(np.exp(x)), 1)  # in the thousands; guard only
        g = adoption_week_index(wave, design.wave_weeks)
        treated_brand = wave < n_waves
        delta = adoption_effects(wave, t, design, tau)
        log_mu = (math.log(cart_med) + b[:, None] + w_t[None, :]
                  + md["cart_engagement_elasticity"] * (np.log(engagement) - math.log(eng_med))
                  + delta + v)
        add_to_cart = stats.poisson.ppf(uniforms, np.exp(log_mu)).astype("int64")

        ids = [f"{code}{j + 1:02d}" for j in range(n_b)]
        adoption = pd.to_datetime([mondays[gi].isoformat() if ok else None for gi, ok in zip(g, treated_brand, strict=True)])
        frames.append(pd.DataFrame({
            "brand": np.repeat(ids, n_t),
            "category": name,
            "week": np.tile([d.isoformat() for d in mondays], n_b),
            "adoption_week": np.repeat(adoption.to_numpy(), n_t),
            "engagement": engagement.ravel(),
            "add_to_cart": add_to_cart.ravel(),
        }))
        categories.append({"category": name, "code": code, "engagement_median": eng_med,
                           "add_to_cart_median": cart_med, "long_run_effect_tau": tau})
        path[name] = wave_paths(design, tau)
        for j in range(n_b):
            brands.append({
                "brand": ids[j],
                "category": name,
                "adoption_week_index": int(g[j]) if treated_brand[j] else None,
                "adoption_week": mondays[g[j]].isoformat() if treated_brand[j] else None,
                "engagement_effect_a": round(float(a[j]), 6),
                "cart_effect_b": round(float(b[j]), 6),
            })

    data = pd.concat(frames, ignore_index=True)
    for col in ("brand", "category", "week"):
        data[col] = data[col].astype("str")
    data["adoption_week"] = data["adoption_week"].astype("datetime64[ns]")
    for col in ("engagement", "add_to_cart"):
        data[col] = data[col].astype("int64")

    truth = _truth(design, counts, path, categories, brands, s_t, w_t)
    return AdoptionPanel(data=data, truth=truth)


def mean_effects(path: Mapping[str, Mapping[str, Any]], weights: Mapping[tuple[str, str], int],
                 keep: Any) -> float | None:
    """Mean of δ over treated brand-weeks (e ≥ 0) of the (category, wave) cells ``keep`` accepts,
    each wave's path counted once per brand in it."""
    total, n = 0.0, 0
    for (cat, wave), n_brands in weights.items():
        if not keep(cat, wave):
            continue
        cell = path[cat][wave]
        post = [d for e, d in zip(cell["event_time"], cell["effect"], strict=True) if e >= 0]
        total += n_brands * sum(post)
        n += n_brands * len(post)
    return round(total / n, 12) if n else None


def effect_truth(
    design: AdoptionDesign, counts: Sequence[int], path: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The truth about the effect, from the design, the brands per wave in each category
    (:func:`wave_counts`, never-treated last) and each category's :func:`wave_paths`: the effect
    formula, the wave counts, the ATT's definition, ``att_overall``, ``att_by_cohort``,
    ``att_by_category``, ``att_by_event_time``, ``n_treated_brand_weeks`` and ``path`` (in this
    order; see the module docstring)."""
    waves = [str(g) for g in design.wave_weeks]
    weights = {(c, w): counts[j] for c in path for j, w in enumerate(waves)}
    by_e: dict[int, tuple[float, int]] = {}
    for (cat, wave), n_brands in weights.items():
        cell = path[cat][wave]
        for e, d in zip(cell["event_time"], cell["effect"], strict=True):
            if e >= 0:
                total, n = by_e.get(e, (0.0, 0))
                by_e[e] = (total + n_brands * d, n + n_brands)
    return {
        "effect_formula": "delta_it = 1[t >= g_i] * tau_c * m_g * (1 - exp(-(t - g_i + 1) / k)); "
                          "on log(mu_it), the log of expected add_to_cart",
        "wave_counts_per_category": dict(zip([*waves, "never"], counts, strict=True)),
        "att_definition": "simple mean of delta_it over all treated brand-weeks (t >= g_i, up to the "
                          "panel's last week), every brand-week weighing the same; by cohort and by "
                          "category: the same mean within the wave or the category",
        "att_overall": mean_effects(path, weights, lambda c, w: True),
        "att_by_cohort": {w: mean_effects(path, weights, lambda c, w2, w=w: w2 == w) for w in waves},
        "att_by_category": {c: mean_effects(path, weights, lambda c2, w, c=c: c2 == c) for c in path},
        "att_by_event_time": {
            "event_time": sorted(by_e),
            "effect": [round(by_e[e][0] / by_e[e][1], 12) for e in sorted(by_e)],
            "n_brand_weeks": [by_e[e][1] for e in sorted(by_e)],
        },
        "n_treated_brand_weeks": sum(n * (design.n_weeks - int(w)) for (_c, w), n in weights.items()),
        "path": path,
    }


def _truth(design: AdoptionDesign, counts: list[int], path: dict[str, dict[str, Any]],
           categories: list[dict[str, Any]], brands: list[dict[str, Any]],
           s_t: np.ndarray, w_t: np.ndarray) -> dict[str, Any]:
    truth = {
        "generator_version": GENERATOR_VERSION,
        "seed": design.seed,
        "design": asdict(design),
        **effect_truth(design, counts, path),
        "model": dict(_MODEL),
        "categories": categories,
        "week_effects": {"engagement_s_t": [round(float(x), 6) for x in s_t],
                         "cart_w_t": [round(float(x), 6) for x in w_t]},
        "brands": brands,
        "notes": "Simulated data, not real platform data. Wave keys are 0-based week indices g "
                 "(adoption in week g, the Monday start + g weeks). Engagement does not respond to adoption.",
    }
    ready: dict[str, Any] = json.loads(json.dumps(truth, ensure_ascii=False))
    return ready


# --------------------------------------------------------------------------- files


def write_adoption(folder: Path | str, seed: int = DEFAULT_SEED, **options: Any) -> tuple[Path, Path]:
    """Simulate (``seed`` and :func:`simulate_adoption`'s options) and write
    ``adoption_panel.csv`` (UTF-8, no index, ``adoption_week`` an ISO date or empty) and
    ``adoption_truth.json`` in ``folder``, each through a temporary file and a rename. Returns
    (csv path, json path)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the output folder: {exc}", path=folder) from exc
    frame, truth = simulate_adoption(seed, **options)
    out = frame.assign(adoption_week=frame["adoption_week"].dt.strftime("%Y-%m-%d"))
    csv_path = write_atomic(folder / PANEL_FILE, out.to_csv(index=False, lineterminator="\n"))
    json_path = write_atomic(folder / TRUTH_FILE, json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
    return csv_path, json_path


def parse_adoption_week(values: pd.Series, *, path: Path | str | None = None) -> pd.Series:
    """An ``adoption_week`` column read as text (ISO dates ``YYYY-MM-DD``; empty or missing for a
    brand that never adopts) as ``datetime64[ns]`` with NaT for never; a cell that is not such a
    date raises a DataError naming it and its line in the file (the header is line 1)."""
    dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & values.notna() & (values.astype("str").str.strip() != "")
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())[:5]]
        first = values[bad].iloc[0]
        raise DataError(
            f"adoption_week must be an ISO date such as '2023-07-03' or empty (never adopts); "
            f"got {first!r} on line {rows[0]}",
            path=path,
            column="adoption_week",
            rows=rows,
            expected="an ISO date YYYY-MM-DD or an empty cell",
        )
    return dates.astype("datetime64[ns]")


_CSV_DTYPES = {
    "brand": "str",
    "category": "str",
    "week": "str",
    "adoption_week": "str",
    "engagement": "int64",
    "add_to_cart": "int64",
}


def read_adoption(folder: Path | str) -> pd.DataFrame:
    """Read ``adoption_panel.csv`` from ``folder`` (as :func:`write_adoption` wrote it) with the
    types :func:`simulate_adoption` returns: ``brand``, ``category``, ``week`` text (``week`` an ISO
    date string), ``adoption_week`` datetime64[ns] with NaT for never-treated brands, counts int64.

    A missing or unreadable file, a missing column or a bad date raises a DataError naming the file.
    """
    path = Path(folder) / PANEL_FILE
    if not path.is_file():
        raise DataError(
            "the adoption panel is missing; write it with `python -m reportkit.data.simulate_adoption --folder DIR`",
            path=path,
        )
    try:
        frame = pd.read_csv(path, dtype=_CSV_DTYPES, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the adoption panel: {exc}", path=path) from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"the adoption panel lacks columns {missing}; expected {list(COLUMNS)}", path=path)
    frame["adoption_week"] = parse_adoption_week(frame["adoption_week"], path=path)
    return frame[list(COLUMNS)]


def main(argv: list[str] | None = None) -> int:
    """``python -m reportkit.data.simulate_adoption --folder DIR [--seed N]``."""
    parser = argparse.ArgumentParser(prog="python -m reportkit.data.simulate_adoption",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    csv_path, json_path = write_adoption(args.folder, seed=args.seed)
    truth = json.loads(json_path.read_text(encoding="utf-8"))
    print(f"wrote {csv_path} ({csv_path.stat().st_size / 1024:.0f} KiB)")
    print(f"wrote {json_path}")
    print(f"true ATT (mean over {truth['n_treated_brand_weeks']} treated brand-weeks): {truth['att_overall']:.4f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
