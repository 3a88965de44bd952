"""Benchmark: raw event files → brand × week panel (reportkit.data.events) → fixed-effects model.

Synthetic events are written first (``reportkit.data.event_synth``, not timed) into a temporary
folder: ``--events`` engagement events (default 50 million, in 4 Parquet files) plus about 5 %
as many conversion events, and a second set of ``--pandas-events`` (default 10 million) for the
pandas comparison. Every measurement runs in a fresh Python subprocess, so that its peak RSS is
that of the measured work (plus the interpreter and its imports) and nothing is cached in memory;
the timings are taken inside the child, after the imports. Keys merged into
``bench/results.json`` (prefix ``events50m`` for 50 million events, ``events5m`` for 5 million …):

    events50m_seconds        aggregate_events(engagement, conversion) to a brand × week panel,
                             then estimate(): log(add_to_cart) on log(engagement), brand and week
                             fixed effects, brand-clustered SEs (target <= 30 s)
    events50m_peak_rss_mb    peak RSS of that child process (ru_maxrss; target <= 2,000 MB)
    events_vs_pandas_speedup pandas (read_parquet of every file, then groupby and merge) / ours,
                             on the --pandas-events set, median of --repeats runs each (target >= 5)
    events_vs_duckdb_overhead ours / the bare DuckDB query an expert would write by hand (same
                             settings, no checks), on the --events set, alternating, median of
                             --repeats runs each (target <= 1.5)

    python bench/bench_events.py [--events 50000000] [--pandas-events 10000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import RESULTS, merge_results

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = "1GB"

# What an expert would type: one aggregation per source, a join, zeros for missing cart rows.
BARE_SQL = """
WITH e AS (
    SELECT brand, category, date_trunc('week', ts)::DATE AS week, count(DISTINCT note_id) AS notes,
           sum(likes)::BIGINT AS likes, sum(comments)::BIGINT AS comments, sum(saves)::BIGINT AS saves,
           sum(shares)::BIGINT AS shares
    FROM read_parquet($engagement) GROUP BY ALL),
c AS (
    SELECT brand, date_trunc('week', ts)::DATE AS week, sum(add_to_cart)::BIGINT AS add_to_cart,
           sum(orders)::BIGINT AS orders, sum(gmv) AS gmv
    FROM read_parquet($conversion) GROUP BY ALL)
SELECT e.*, e.likes + e.comments + e.saves AS engagement, coalesce(c.add_to_cart, 0) AS add_to_cart,
       coalesce(c.orders, 0) AS orders, coalesce(c.gmv, 0) AS gmv
FROM e LEFT JOIN c USING (brand, week)
ORDER BY brand, week
"""


def _peak_rss_mb() -> float:
    """Peak resident set of this process and its waited-for children, MB (Linux: ru_maxrss in KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _checksum(panel) -> list[int]:
    """Totals that two correct panels of the same events share (rows, notes, engagement, cart)."""
    return [len(panel), int(panel["notes"].sum()), int(panel["engagement"].sum()), int(panel["add_to_cart"].sum())]


# --------------------------------------------------------------------------- child processes


def _child_panel(eng: list[str], conv: list[str]) -> dict:
    """aggregate_events + estimate, timed."""
    from reportkit.analysis.models import estimate
    from reportkit.data.events import aggregate_events

    started = time.perf_counter()
    panel = aggregate_events(eng, conv, memory_limit=MEMORY_LIMIT)
    aggregated = time.perf_counter()
    res = estimate(panel, outcome="add_to_cart", regressors="engagement", fixed_effects=("brand", "week"),
                   family="loglog", vcov="cluster", entity="brand", time="week",
                   zeros="log1p")  # log1p only for columns with zeros: none at full size, some in small runs
    done = time.perf_counter()
    term = next(c.term for c in res.coefficients if c.term.endswith("_engagement"))
    coef = res.coef(term)
    return {"seconds": done - started, "aggregate_seconds": aggregated - started, "model_seconds": done - aggregated,
            "rows": len(panel), "elasticity": coef.estimate, "se": coef.std_error, "checksum": _checksum(panel)}


def _child_ours(eng: list[str], conv: list[str]) -> dict:
    from reportkit.data.events import aggregate_events

    started = time.perf_counter()
    panel = aggregate_events(eng, conv, memory_limit=MEMORY_LIMIT)
    return {"seconds": time.perf_counter() - started, "checksum": _checksum(panel)}


def _child_pandas(eng: list[str], conv: list[str]) -> dict:
    """The plain pandas way: read everything, add the week's Monday, group, sum, merge."""
    import pandas as pd

    started = time.perf_counter()
    e = pd.read_parquet(eng)
    c = pd.read_parquet(conv)
    for frame in (e, c):
        frame["week"] = frame["ts"].dt.normalize() - pd.to_timedelta(frame["ts"].dt.day_of_week, unit="D")
    panel = e.groupby(["brand", "category", "week"], as_index=False).agg(
        notes=("note_id", "nunique"), likes=("likes", "sum"), comments=("comments", "sum"),
        saves=("saves", "sum"), shares=("shares", "sum"))
    panel["engagement"] = panel["likes"] + panel["comments"] + panel["saves"]
    cart = c.groupby(["brand", "week"], as_index=False)[["add_to_cart", "orders", "gmv"]].sum()
    panel = panel.merge(cart, on=["brand", "week"], how="left").fillna({"add_to_cart": 0, "orders": 0, "gmv": 0.0})
    panel = panel.sort_values(["brand", "week"], ignore_index=True)
    return {"seconds": time.perf_counter() - started, "checksum": _checksum(panel)}


def _child_overhead(eng: list[str], conv: list[str], repeats: int) -> dict:
    """Ours and the bare query, alternating, in one process (same page cache, same warm-up)."""
    import duckdb

    from reportkit.data.events import aggregate_events

    def bare():
        spill = tempfile.mkdtemp(prefix="rk-bench-bare-")
        try:
            with duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill,
                                        "preserve_insertion_order": False}) as con:
                con.execute("SET enable_progress_bar = false")
                return con.execute(BARE_SQL, {"engagement": eng, "conversion": conv}).df()
        finally:
            shutil.rmtree(spill, ignore_errors=True)

    runs: dict[str, list[float]] = {"ours": [], "bare": []}
    sums: dict[str, list[int]] = {}
    for i in range(repeats):
        order = (("bare", bare), ("ours", lambda: aggregate_events(eng, conv, memory_limit=MEMORY_LIMIT)))
        for name, fn in order if i % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            panel = fn()
            runs[name].append(time.perf_counter() - started)
            sums[name] = _checksum(panel)
    return {"runs": runs, "checksum": sums}


def _child(mode: str, folder: Path, repeats: int) -> None:
    files = json.loads((folder / "files.json").read_text(encoding="utf-8"))
    eng, conv = files["engagement"], files["conversion"]
    if mode == "panel":
        out = _child_panel(eng, conv)
    elif mode == "ours":
        out = _child_ours(eng, conv)
    elif mode == "pandas":
        out = _child_pandas(eng, conv)
    else:
        out = _child_overhead(eng, conv, repeats)
    out["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(out))


def _spawn(mode: str, folder: Path, repeats: int = 1) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--folder", str(folder), "--repeats", str(repeats)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_seconds"] = time.perf_counter() - started
    return out


# --------------------------------------------------------------------------- parent


def _generate(folder: Path, n_events: int) -> None:
    from reportkit.data.event_synth import write_synthetic_events

    started = time.perf_counter()
    files = write_synthetic_events(folder, n_events=n_events, files=4, seed=618)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for paths in files.values() for p in paths) / 1e6
    (folder / "files.json").write_text(json.dumps({k: [str(p) for p in v] for k, v in files.items()}), encoding="utf-8")
    print(f"wrote {n_events:,} engagement events ({size:,.0f} MB of Parquet) in {seconds:.1f} s (not timed)", flush=True)


def _size_label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000, help="engagement events for the panel and overhead runs")
    parser.add_argument("--pandas-events", type=int, default=10_000_000, help="engagement events for the pandas comparison")
    parser.add_argument("--repeats", type=int, default=5, help="runs per side for the ratios (median)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch bench/results.json")
    parser.add_argument("--child", choices=("panel", "ours", "pandas", "overhead"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.folder, args.repeats)
        return 0
    if args.events < 100_000 or args.pandas_events < 100_000 or args.repeats < 1:
        parser.error("need --events ≥ 100,000, --pandas-events ≥ 100,000 and --repeats ≥ 1")

    load_before = os.getloadavg()[0]  # other work on the machine slows the 2-thread runs most
    work = Path(tempfile.mkdtemp(prefix="rk-bench-events-"))
    try:
        big, small = work / "big", work / "small"
        _generate(big, args.events)
        _generate(small, args.pandas_events)

        panel = _spawn("panel", big)
        print(f"{args.events:,} events → panel ({panel['rows']:,} brand-weeks) → model: {panel['seconds']:.2f} s "
              f"(aggregate {panel['aggregate_seconds']:.2f} s, model {panel['model_seconds']:.2f} s), "
              f"peak RSS {panel['peak_rss_mb']:.0f} MB; elasticity {panel['elasticity']:.3f} (SE {panel['se']:.3f})", flush=True)

        ours_runs, pandas_runs = [], []
        for i in range(args.repeats):
            for which in (("ours", "pandas") if i % 2 == 0 else ("pandas", "ours")):
                got = _spawn(which, small)
                (ours_runs if which == "ours" else pandas_runs).append(got)
                print(f"  {args.pandas_events:,} events, {which}: {got['seconds']:.2f} s, peak RSS {got['peak_rss_mb']:.0f} MB", flush=True)
        if ours_runs[-1]["checksum"] != pandas_runs[-1]["checksum"]:
            raise SystemExit(f"pandas and reportkit panels differ: {pandas_runs[-1]['checksum']} vs {ours_runs[-1]['checksum']}")
        ours_s = statistics.median(r["seconds"] for r in ours_runs)
        pandas_s = statistics.median(r["seconds"] for r in pandas_runs)

        over = _spawn("overhead", big, args.repeats)
        if over["checksum"]["ours"] != over["checksum"]["bare"]:
            raise SystemExit(f"bare query and reportkit panels differ: {over['checksum']}")
        ours_big = statistics.median(over["runs"]["ours"])
        bare_big = statistics.median(over["runs"]["bare"])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    prefix = f"events{_size_label(args.events)}"
    result = {
        f"{prefix}_seconds": round(panel["seconds"], 2),
        f"{prefix}_peak_rss_mb": round(panel["peak_rss_mb"], 1),
        "events_vs_pandas_speedup": round(pandas_s / ours_s, 2),
        "events_vs_duckdb_overhead": round(ours_big / bare_big, 3),
        "events_bench": {
            "events": args.events,
            "aggregate_seconds": round(panel["aggregate_seconds"], 2),
            "model_seconds": round(panel["model_seconds"], 2),
            "child_process_seconds": round(panel["process_seconds"], 2),
            "panel_rows": panel["rows"],
            "elasticity": round(panel["elasticity"], 4),
            "memory_limit": MEMORY_LIMIT,
            "pandas_events": args.pandas_events,
            "pandas_runs_s": [round(r["seconds"], 2) for r in pandas_runs],
            "pandas_peak_rss_mb": round(max(r["peak_rss_mb"] for r in pandas_runs), 1),
            "ours_runs_s": [round(r["seconds"], 2) for r in ours_runs],
            "ours_peak_rss_mb": round(max(r["peak_rss_mb"] for r in ours_runs), 1),
            "overhead_ours_runs_s": [round(x, 2) for x in over["runs"]["ours"]],
            "overhead_bare_runs_s": [round(x, 2) for x in over["runs"]["bare"]],
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # at start, at end
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        },
    }
    targets = {f"{prefix}_seconds": "<= 30", f"{prefix}_peak_rss_mb": "<= 2000",
               "events_vs_pandas_speedup": ">= 5", "events_vs_duckdb_overhead": "<= 1.5"}
    width = max(len(k) for k in targets)
    print(f"\n{'key':<{width}}  {'value':>10}  target")
    for key, target in targets.items():
        print(f"{key:<{width}}  {result[key]:>10}  {target}")
    if not args.no_write:
        merge_results(result)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
