"""Benchmark: the event study of a staggered adoption on 1,000 brands × 104 weeks.

1. ``event_study_seconds``: :func:`reportkit.analysis.event_study.fit_event_study` with its
   defaults (two-stage / imputation estimator, event-time effects −8 … 16, overall, cohort and
   category ATTs with their GMM cluster covariance, the static TWFE beside it, the pre-trend test
   with its power, the linear-trend breakdown), after :func:`prepare_event_panel`; the median of
   ``--runs`` timed runs after one untimed warm-up (imports, numba compilation). Target ≤ 5 s.
   The panel: :func:`reportkit.data.simulate_adoption.simulate_adoption` with 5 categories × 200
   brands × 104 weeks (104,000 rows), waves at weeks 26, 52, 78, 30 % never.
2. ``event_study_vs_pyfixest_speedup``: what one would call without us for the overall ATT alone,
   ``pyfixest.did2s`` (two stages and its GMM covariance, which builds dense dummy matrices),
   against our whole event study; the ATT and its SE are checked to agree (ours carries G/(G − 1)).

Keys merged into ``bench/results.json``::

    python bench/bench_event_study.py [--runs 3] [--brands-per-category 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from results import merge_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--brands-per-category", type=int, default=200, help="5 categories of this many brands")
    parser.add_argument("--no-pyfixest", action="store_true", help="skip the pyfixest did2s comparison")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch bench/results.json")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    import pyfixest as pf

    from reportkit.analysis.event_panel import prepare_event_panel
    from reportkit.analysis.event_study import fit_event_study
    from reportkit.data.simulate_adoption import simulate_adoption

    roles = dict(entity="brand", time="week", adoption="adoption_week", outcome="add_to_cart", group="category")
    small, _ = simulate_adoption(1, n_categories=2, n_brands_per_category=10)
    fit_event_study(prepare_event_panel(small, **roles))  # warm-up, not timed
    frame, truth = simulate_adoption(20240618, n_categories=5, n_brands_per_category=args.brands_per_category)
    n_brands = frame["brand"].nunique()
    print(f"panel: {n_brands:,} brands × {frame['week'].nunique()} weeks = {len(frame):,} rows", flush=True)

    runs = []
    for i in range(args.runs):
        started = time.perf_counter()
        result = fit_event_study(prepare_event_panel(frame, **roles))
        runs.append(time.perf_counter() - started)
        print(f"run {i + 1}/{args.runs}: {runs[-1]:.2f} s", flush=True)
    seconds = statistics.median(runs)
    att = result.att
    print(f"  ATT {att.estimate:.4f} [{att.ci_low:.4f}, {att.ci_high:.4f}] (truth {truth['att_overall']:.4f}); "
          f"TWFE {result.twfe.estimate:.4f}; pre-trend p = {result.pretrend.p_value:.3f}")
    updates: dict[str, float] = {"event_study_seconds": round(seconds, 3)}

    if not args.no_pyfixest:
        panel = prepare_event_panel(frame, **roles)
        f = panel.frame.assign(d=panel.frame["rk_d"])
        started = time.perf_counter()
        fit = pf.did2s(f, yname="rk_y", first_stage="~ 0 | rk_i + rk_t", second_stage="~ d", treatment="d",
                       cluster="rk_i")
        pf_seconds = time.perf_counter() - started
        g = panel.n_entities
        diff = abs(float(fit.coef()["d"]) - att.estimate)
        se_ratio = att.se / (float(fit.se()["d"]) * np.sqrt(g / (g - 1)))
        if diff > 1e-8 or abs(se_ratio - 1) > 1e-6:
            raise SystemExit(f"pyfixest did2s disagrees: |Δ ATT| = {diff:.2e}, SE ratio {se_ratio:.8f}")
        speedup = pf_seconds / seconds
        print(f"pyfixest did2s, overall ATT only: {pf_seconds:.2f} s (|Δ ATT| = {diff:.1e}, SE ratio {se_ratio:.8f}); "
              f"our whole event study is {speedup:.1f}× faster")
        updates["event_study_pyfixest_did2s_seconds"] = round(pf_seconds, 3)
        updates["event_study_vs_pyfixest_speedup"] = round(speedup, 2)

    print(f"\nevent_study_seconds = {seconds:.3f} (target ≤ 5 s)")
    if not args.no_write:
        merge_results(updates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
