"""Benchmark: few-cluster inference of the demo's beauty model.

1. ``wcb_seconds``: the restricted wild cluster bootstrap of the long-run elasticity (the sum of
   the same-week and two lagged elasticities) of the demo's beauty model (8 brands, brand and week
   fixed effects), 9,999 draws with Webb weights, the p-value and the interval by test inversion;
   timed from the fitted design (model prepared, fixed effects partialled) to the result. Median
   of ``--runs``. Target ≤ 5 s.
2. ``coverage_500_seconds``: the coverage certificate of the same design, 500 replications (each
   a wild bootstrap test at the true value with 9,999 draws and the CRV1 test). Target ≤ 30 s.

Both are compared, in the same run, with what one writes without reportkit: the wildboottest
package (PyPI) on the same model with brand and week dummy columns (``wildboottest_seconds``, one
p-value, no interval).

    python bench/bench_inference.py [--runs 3] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from results import RESULTS, merge_results

ROOT = Path(__file__).resolve().parents[1]
LAGS = ("engagement", "engagement_l1", "engagement_l2")


def beauty_model():
    from reportkit.analysis import dynamics
    from reportkit.analysis.models import estimate

    panel = pd.read_csv(ROOT / "data/simulated/brand_week_panel.csv")
    sample = panel[(panel["category"] == "美妆个护") & (panel["week"] >= "2023-01-02") & (panel["week"] <= "2024-12-23")]
    sample = sample.assign(**{f"engagement_l{k}": dynamics.shift_within(sample, "engagement", entity="brand",
                                                                        time="week", k=k) for k in (1, 2)})
    fit = estimate(sample, outcome="add_to_cart", regressors=list(LAGS), fixed_effects=["brand", "week"],
                   family="loglog", vcov="cluster", entity="brand", time="week", inference="analytic")
    return sample, fit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch bench/results.json")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from reportkit.analysis.coverage import coverage_certificate
    from reportkit.analysis.model_data import prepare
    from reportkit.analysis.wild_bootstrap import WildDesign

    sample, fit = beauty_model()
    used = sample.dropna(subset=list(LAGS))
    prepared = prepare(used, fit.spec)
    weights = {f"log_{c}": 1.0 for c in LAGS}

    def wcb():
        return WildDesign.from_prepared(prepared, draws=9999).test(weights)

    wcb()  # warm-up (numba-compiled demeaning)
    runs = []
    for _ in range(args.runs):
        started = time.perf_counter()
        res = wcb()
        runs.append(time.perf_counter() - started)
    wcb_s = statistics.median(runs)
    print(f"wild bootstrap, long-run elasticity {res.estimate:.3f} [{res.ci_low:.3f}, {res.ci_high:.3f}], "
          f"p = {res.p_value:.4f} ({res.weights}, {res.draws:,} draws): {wcb_s:.3f} s (median of {args.runs})")

    started = time.perf_counter()
    cert = coverage_certificate(sample, fit, weights, replications=500, draws=9999)
    cov_s = time.perf_counter() - started
    print(f"coverage certificate, 500 replications: {cov_s:.2f} s — WCR {cert.coverage:.3f} (±{cert.mc_se:.3f}), "
          f"CRV1 t(7) {cert.coverage_naive:.3f}, ρ = {cert.rho:.3f}")

    wbt_s = None
    try:
        import statsmodels.api as sm
        from wildboottest.wildboottest import wildboottest

        x = np.log(used[list(LAGS)].to_numpy())
        x_total = np.column_stack([x[:, 0], x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]])  # β0 of this = the sum
        dummies = pd.get_dummies(used[["brand", "week"]].astype(str), drop_first=True, dtype=float).to_numpy()
        exog = pd.DataFrame(np.column_stack([x_total, dummies, np.ones(len(used))]))
        exog.columns = ["total", "d1", "d2"] + [f"fe{j}" for j in range(exog.shape[1] - 3)]
        model = sm.OLS(np.log(used["add_to_cart"].to_numpy()), exog)
        started = time.perf_counter()
        theirs = wildboottest(model, B=9999, cluster=pd.factorize(used["brand"])[0], param="total", weights_type="webb",
                              seed=1, show=False, parallel=False)
        wbt_s = time.perf_counter() - started
        print(f"wildboottest package, same hypothesis with dummies, p only, integer cluster ids (it fails on string ids): {wbt_s:.3f} s "
              f"(p = {float(np.asarray(theirs['p-value']).ravel()[0]):.4f})")
    except ImportError:
        print("wildboottest not installed: comparison skipped")

    updates = {
        "wcb_seconds": round(wcb_s, 3),
        "coverage_500_seconds": round(cov_s, 2),
        "inference_bench": {
            "wcb_runs_s": [round(r, 4) for r in runs],
            "long_run": [res.estimate, res.ci_low, res.ci_high, res.p_value],
            "coverage": cert.to_dict(),
            "wildboottest_package_seconds": None if wbt_s is None else round(wbt_s, 3),
        },
    }
    if not args.no_write:
        merge_results(updates)
        print(f"merged wcb_seconds, coverage_500_seconds, inference_bench into {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
