"""Benchmark: `reportkit.analysis.models.estimate` with high-dimensional fixed effects.

1. ``fe_1m_seconds``: a log-log fit on a simulated 1,000,000-row panel with 1,000 brand and 104
   week fixed effects (brand and week ids drawn at random per row, so ~9.6 rows per brand-week
   cell, e.g. several products of a brand in a week) and brand-clustered SEs; the median of
   ``--runs`` timed runs, after one untimed warm-up on a small frame (imports, JIT). The whole
   call is timed: validation, dropping checks, pyfixest's demeaning and the clustered covariance.
2. ``fe_vs_dummies_speedup``: statsmodels OLS with brand and week dummy columns and
   brand-clustered SEs (what one would write without a demeaning package) against ``estimate``
   on the same random subsample of ``--subsample`` rows (default 100,000: 1e6 rows × 1,104 dummy
   columns would need ~9 GB for the design matrix alone). Speedup = statsmodels time / ours; the
   coefficient is checked to agree between the two.

The keys are merged into ``bench/results.json`` (existing keys kept; written atomically)::

    python bench/bench_models.py [--runs 3] [--rows 1000000] [--subsample 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from results import RESULTS, merge_results

ROOT = Path(__file__).resolve().parents[1]
TRUE_ELASTICITY = 0.35


def simulate(rows: int, brands: int = 1000, weeks: int = 104, seed: int = 20240618) -> pd.DataFrame:
    """Rows with random brand and week ids; log add-to-cart = brand + week + 0.35 log engagement + noise."""
    rng = np.random.default_rng(seed)
    brand = rng.integers(0, brands, rows)
    week = rng.integers(0, weeks, rows)
    brand_fx = rng.normal(0.0, 1.0, brands)
    week_fx = rng.normal(0.0, 0.3, weeks)
    log_eng = 6.0 + 0.8 * brand_fx[brand] + week_fx[week] + rng.normal(0.0, 0.5, rows)
    brand_shock = rng.normal(0.0, 0.1, brands)[brand]  # within-brand correlation: why we cluster
    log_cart = 1.0 + brand_fx[brand] + 0.5 * week_fx[week] + TRUE_ELASTICITY * log_eng + brand_shock + rng.normal(0.0, 0.3, rows)
    return pd.DataFrame(
        {
            "brand": brand,
            "week": week,
            "engagement": np.exp(log_eng),
            "add_to_cart": np.exp(log_cart),
        }
    )


def ours(df: pd.DataFrame):
    from reportkit.analysis.models import estimate

    return estimate(
        df,
        outcome="add_to_cart",
        regressors="engagement",
        fixed_effects=("brand", "week"),
        family="loglog",
        vcov="cluster",
        cluster="brand",
    )


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def statsmodels_dummies(df: pd.DataFrame) -> tuple[float, float]:
    """statsmodels OLS with brand and week dummies, brand-clustered: (estimate, SE)."""
    import statsmodels.api as sm

    dummies = pd.get_dummies(df[["brand", "week"]].astype(str), drop_first=True, dtype=float)
    X = pd.concat([np.log(df[["engagement"]]), dummies], axis=1)
    X.insert(0, "const", 1.0)
    fit = sm.OLS(np.log(df["add_to_cart"]), X).fit(cov_type="cluster", cov_kwds={"groups": df["brand"].to_numpy()})
    return float(fit.params["engagement"]), float(fit.bse["engagement"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the 1M-row fit (median reported)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subsample", type=int, default=100_000, help="rows for the dummy-variable comparison")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch bench/results.json")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rows < 10_000 or args.subsample < 5_000 or args.subsample > args.rows:
        parser.error("need --runs ≥ 1, --rows ≥ 10,000 and 5,000 ≤ --subsample ≤ --rows")

    warnings.simplefilter("ignore")  # a benchmark script: keep the output to the table
    print(f"simulating {args.rows:,} rows (1,000 brands × 104 weeks, ids at random) …", flush=True)
    df = simulate(args.rows)
    ours(simulate(20_000, seed=1))  # warm-up: imports and first-call costs, not timed

    runs = []
    for i in range(args.runs):
        seconds, res = timed(ours, df)
        runs.append(seconds)
        print(f"run {i + 1}/{args.runs}: estimate on {args.rows:,} rows: {seconds:.2f} s", flush=True)
    fe_1m = statistics.median(runs)
    beta = res.coef("log_engagement")  # type: ignore[attr-defined]
    print(f"  log_engagement = {beta.estimate:.4f} (SE {beta.std_error:.4f}; true {TRUE_ELASTICITY}), "
          f"N = {res.n_obs:,}, clusters = {res.n_clusters[0]:,}")  # type: ignore[attr-defined]

    sub = df.sample(n=args.subsample, random_state=7).reset_index(drop=True)
    ours_sub_runs = [timed(ours, sub)[0] for _ in range(3)]
    ours_sub = statistics.median(ours_sub_runs)
    sub_res = ours(sub)
    print(f"statsmodels OLS with {sub['brand'].nunique() + sub['week'].nunique() - 2:,} dummy columns on "
          f"{args.subsample:,} rows …", flush=True)
    sm_seconds, (sm_beta, sm_se) = timed(statsmodels_dummies, sub)
    ours_beta = sub_res.coef("log_engagement")
    agree = abs(sm_beta - ours_beta.estimate)
    if agree > 1e-6:
        raise SystemExit(f"estimates disagree: statsmodels {sm_beta!r} vs ours {ours_beta.estimate!r}")
    speedup = sm_seconds / ours_sub

    rows = [
        (f"estimate, {args.rows:,} rows, brand + week FE, clustered (median of {args.runs})", fe_1m),
        (f"estimate, {args.subsample:,}-row subsample (median of 3)", ours_sub),
        (f"statsmodels OLS + dummies, {args.subsample:,}-row subsample", sm_seconds),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  seconds")
    for name, value in rows:
        print(f"{name:<{width}}  {value:7.2f}")
    print(f"\nfe_1m_seconds = {fe_1m:.3f}   fe_vs_dummies_speedup = {speedup:.1f}× "
          f"(|Δβ| = {agree:.1e}; SE ratio ours/statsmodels = {ours_beta.std_error / sm_se:.6f}, differs by "
          "the FE nested in the clusters, which statsmodels counts in K)")

    updates = {
        "fe_1m_seconds": round(fe_1m, 3),
        "fe_vs_dummies_speedup": round(speedup, 2),
        "models_bench": {
            "rows": args.rows,
            "brands": 1000,
            "weeks": 104,
            "fe_1m_runs_s": [round(r, 3) for r in runs],
            "subsample_rows": args.subsample,
            "ours_subsample_s": round(ours_sub, 3),
            "statsmodels_dummies_subsample_s": round(sm_seconds, 3),
            "coef_abs_diff": agree,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        },
    }
    if not args.no_write:
        merge_results(updates)
        print(f"merged fe_1m_seconds, fe_vs_dummies_speedup, models_bench into {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
