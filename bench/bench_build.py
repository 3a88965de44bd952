"""Benchmark: `reportkit build` of the demo report against the plain chain a user would script.

The chain, per section notebook, with the same parameters the spec gives:
    papermill NB OUT.ipynb -k reportkit -p name value …
    jupyter nbconvert --to html --no-input OUT.ipynb
    weasyprint OUT.html OUT.pdf
run one section after the other (serial) and ``--workers`` sections at a time (what ``xargs -P 2``
gives: the honest baseline at the kit's parallelism), the latter also with one BLAS/OpenMP thread
per process, as the kit's kernels have (:func:`results.one_thread_env`: without it, two kernels'
OpenBLAS threads oversubscribe two cores and the market notebook's back-test slows down about
threefold). All are run as subprocesses, alternating, several times each, in one run of this
script; the table shows medians and `bench/results.json` (git-ignored) gets `report_vs_chain` =
kit / serial chain, `report_vs_parallel_chain` = kit / parallel chain and
`report_vs_parallel_chain_one_thread` = kit / parallel chain with one thread per process.

    python bench/bench_build.py [--runs 3] [--spec reports/china-ecommerce-2024.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import merge_results, one_thread_env

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=None if env is None else os.environ | env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return seconds


def kit_once(spec: Path, work: Path) -> dict[str, float]:
    out = work / "kit"
    # --no-cache: every run executes, as in the chain; a warm (cached) build is not a fair comparison
    t = _run([str(BIN / "reportkit"), "build", str(spec), "--out", str(out), "--no-cache"], ROOT)
    assert (out / "report.pdf").is_file()
    return {"total": t}


def _section_chains(spec_obj, out: Path) -> list[list[tuple[str, list[str]]]]:
    """Per section: (step, command) for papermill → nbconvert --no-input → weasyprint."""
    from reportkit.params import read_parameters
    from reportkit.plan import LANGUAGE_PARAMETER

    chains = []
    for section in spec_obj.sections:
        nb = spec_obj.resolve(section.notebook)
        params = dict(section.parameters)
        if read_parameters(nb).get(LANGUAGE_PARAMETER) is not None:
            params[LANGUAGE_PARAMETER] = spec_obj.language
        executed = out / f"{section.id}.ipynb"
        cmd = [str(BIN / "papermill"), str(nb), str(executed), "-k", "reportkit", "--cwd", str(ROOT), "--no-progress-bar"]
        for name, value in params.items():
            cmd += ["-y", json.dumps({name: value}, ensure_ascii=False)]
        chains.append([
            ("papermill", cmd),
            ("nbconvert", [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)]),
            ("weasyprint", [str(BIN / "weasyprint"), str(executed.with_suffix(".html")), str(executed.with_suffix(".pdf"))]),
        ])
    return chains


def chain_once(spec_obj, work: Path) -> dict[str, float]:
    """The sections one after the other."""
    out = work / "chain"
    out.mkdir(parents=True, exist_ok=True)
    steps = {"papermill": 0.0, "nbconvert": 0.0, "weasyprint": 0.0}
    for chain in _section_chains(spec_obj, out):
        for step, cmd in chain:
            steps[step] += _run(cmd, ROOT)
    steps["total"] = sum(steps.values())
    return steps


def parallel_chain_once(spec_obj, work: Path, workers: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """The same section chains, ``workers`` at a time (as ``xargs -P`` runs them): wall time.
    ``env``: variables added to every command's environment."""
    from concurrent.futures import ThreadPoolExecutor

    out = work / "chain"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda chain: [_run(cmd, ROOT, env) for _step, cmd in chain], _section_chains(spec_obj, out)))
    return {"total": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", type=Path, default=ROOT / "reports" / "china-ecommerce-2024.yaml")
    parser.add_argument("--workers", type=int, default=2, help="section chains at a time in the parallel chain")
    args = parser.parse_args(argv)

    from reportkit.spec import load_spec

    spec_obj = load_spec(args.spec)
    kit_runs: list[dict[str, float]] = []
    chain_runs: list[dict[str, float]] = []
    parallel_runs: list[dict[str, float]] = []
    limited_runs: list[dict[str, float]] = []
    for i in range(args.runs):
        order = ("kit", "chain", "parallel", "limited") if i % 2 == 0 else ("limited", "parallel", "chain", "kit")
        for which in order:
            work = Path(tempfile.mkdtemp(prefix=f"rk-bench-{which}-"))
            try:
                if which == "kit":
                    kit_runs.append(kit_once(args.spec, work))
                elif which == "chain":
                    chain_runs.append(chain_once(spec_obj, work))
                elif which == "parallel":
                    parallel_runs.append(parallel_chain_once(spec_obj, work, args.workers))
                else:
                    limited_runs.append(parallel_chain_once(spec_obj, work, args.workers, env=one_thread_env()))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            last = {"kit": kit_runs, "chain": chain_runs, "parallel": parallel_runs, "limited": limited_runs}[which][-1]["total"]
            print(f"run {i + 1}/{args.runs} {which}: {last:.2f} s", flush=True)

    kit = statistics.median(r["total"] for r in kit_runs)
    chain = statistics.median(r["total"] for r in chain_runs)
    parallel = statistics.median(r["total"] for r in parallel_runs)
    limited = statistics.median(r["total"] for r in limited_runs)
    chain_steps = {k: statistics.median(r[k] for r in chain_runs) for k in ("papermill", "nbconvert", "weasyprint")}
    rows = [("reportkit build (HTML + PDF + manifest)", kit)] + [(f"  chain: {k}", v) for k, v in chain_steps.items()] + [
        ("plain chain total (per-notebook HTML + PDF)", chain),
        (f"plain chain, {args.workers} sections at a time (wall)", parallel),
        ("  the same, one BLAS/OpenMP thread per process", limited)]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  median s  (runs: {args.runs})")
    for name, value in rows:
        print(f"{name:<{width}}  {value:8.2f}")
    ratio = kit / chain
    print(f"\nreport_vs_chain = {ratio:.3f}  (kit time / chain time; below 1 means the kit is faster)")
    print(f"report_vs_parallel_chain = {kit / parallel:.3f}  (against the chain at {args.workers} sections at a time)")
    print(f"report_vs_parallel_chain_one_thread = {kit / limited:.3f}  (the same chain, one thread per process)")
    result = {
        "report_vs_chain": round(ratio, 4),
        "report_vs_parallel_chain": round(kit / parallel, 4),
        "parallel_chain_median_s": round(parallel, 3),
        "report_vs_parallel_chain_one_thread": round(kit / limited, 4),
        "parallel_chain_one_thread_median_s": round(limited, 3),
        "kit_median_s": round(kit, 3),
        "chain_median_s": round(chain, 3),
        "chain_steps_median_s": {k: round(v, 3) for k, v in chain_steps.items()},
        "runs": args.runs,
        "kit_runs_s": [round(r["total"], 3) for r in kit_runs],
        "chain_runs_s": [round(r["total"], 3) for r in chain_runs],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "spec": str(args.spec.relative_to(ROOT) if args.spec.is_relative_to(ROOT) else args.spec),
    }
    print(f"wrote {merge_results(result)}")  # other benchmarks keep their keys
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
