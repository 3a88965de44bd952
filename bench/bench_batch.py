"""Benchmark: `reportkit batch` of one report per client against the plain chain, serial and parallel.

The chain is what a user would script without us: for every row of the matrix and every section
notebook, with the row's parameters,
    papermill NB OUT.ipynb -k reportkit -p name value …
    jupyter nbconvert --to html --no-input OUT.ipynb
    weasyprint OUT.html OUT.pdf
measured two ways: the serial loop (one chain after the other), and the honest baseline at the kit's
parallelism — ``--workers`` chains at a time (what ``xargs -P 2`` gives), each in its own output
folder, with a section that no row changes run once, as the kit shares it. Run that way the plain
tools do not clash: papermill's kernels take free ports, and the output folders are separate.

The parallel chain runs twice: as a user would script it, and with one BLAS/OpenMP thread per
process (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` = 1, the limits the kit
gives its kernels). Without them, two kernels' OpenBLAS threads oversubscribe two cores; the market
notebook's ARIMA back-test then takes about three times as long, and the chain's total varies by a
minute or more from run to run. The second figure shows how much of the kit's lead that one setting
would give a user of the plain tools.

The kit: `reportkit batch SPEC --matrix CSV --out DIR --workers 2` with an empty run cache (cold),
the same command again with nothing changed (warm), and once more after changing one row's
parameters (counting the notebook executions it needed). Keys merged into `bench/results.json`:

    batch24_chain_seconds, batch24_cold_seconds, batch24_speedup (serial chain / cold),
    batch24_parallel_chain_seconds, batch24_vs_parallel_chain (cold / parallel chain, target <= 0.3),
    batch24_parallel_chain_one_thread_seconds, batch24_vs_parallel_chain_one_thread (the same with
    one thread per process),
    batch24_warm_seconds, batch24_warm_fraction (warm / cold, target <= 0.01),
    batch24_one_row_changed_runs (must be that row's varying sections only: 1 for the demo)

    python bench/bench_batch.py [--rows 24] [--workers 2] [--no-serial] [--no-thread-limited-chain]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import merge_results, one_thread_env

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(cmd: list[str], *, check: bool = True, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=None if env is None else os.environ | env)
    seconds = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return seconds, proc


def _chain_commands(nb: Path, executed: Path, params: dict, row: dict[str, str], declared) -> list[list[str]]:
    """papermill → nbconvert --no-input → weasyprint for one notebook with the spec's and the row's values."""
    cmd = [str(BIN / "papermill"), str(nb), str(executed), "-k", "reportkit", "--cwd", str(ROOT), "--no-progress-bar"]
    for name, value in params.items():
        cmd += ["-y", json.dumps({name: value}, ensure_ascii=False)]
    for name, value in row.items():  # the row's values, as strings, for the parameters declared
        if name != "id" and value != "" and declared.get(name) is not None:
            cmd += ["-r" if declared.get(name).type_name == "str" else "-p", name, value]
    return [cmd, [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            [str(BIN / "weasyprint"), str(executed.with_suffix(".html")), str(executed.with_suffix(".pdf"))]]


def _sections(spec_path: Path):
    """(section id, notebook, spec parameters with the language, declared parameters) of each section."""
    from reportkit.params import read_parameters
    from reportkit.plan import LANGUAGE_PARAMETER
    from reportkit.spec import load_spec

    spec = load_spec(spec_path)
    out = []
    for section in spec.sections:
        nb = spec.resolve(section.notebook)
        declared = read_parameters(nb)
        params = dict(section.parameters)
        if declared.get(LANGUAGE_PARAMETER) is not None:
            params[LANGUAGE_PARAMETER] = spec.language
        out.append((section.id, nb, params, declared))
    return out


def chain_loop(spec_path: Path, rows: list[dict[str, str]], out: Path) -> float:
    """The plain serial loop over rows and sections: papermill → nbconvert --no-input → weasyprint."""
    sections = _sections(spec_path)
    started = time.perf_counter()
    for row in rows:
        folder = out / row["id"]
        folder.mkdir(parents=True, exist_ok=True)
        for section_id, nb, params, declared in sections:
            for cmd in _chain_commands(nb, folder / f"{section_id}.ipynb", params, row, declared):
                _run(cmd)
        print(f"  chain row {row['id']}: {time.perf_counter() - started:.1f} s so far", flush=True)
    return time.perf_counter() - started


def chain_parallel(spec_path: Path, rows: list[dict[str, str]], out: Path, workers: int,
                   env: dict[str, str] | None = None) -> tuple[float, int]:
    """The same plain tools, ``workers`` chains at a time (what ``xargs -P`` gives), each in its own
    output folder, and a section that no row's values change run once (as the kit shares it).
    ``env``: variables added to every command's environment. Returns (seconds, notebooks executed)."""
    from concurrent.futures import ThreadPoolExecutor

    sections = _sections(spec_path)
    jobs: list[list[list[str]]] = []
    for section_id, nb, params, declared in sections:
        varies = any(name != "id" and value != "" and declared.get(name) is not None
                     for row in rows for name, value in row.items())
        for row in rows if varies else rows[:1]:
            folder = out / (row["id"] if varies else "shared")
            folder.mkdir(parents=True, exist_ok=True)
            jobs.append(_chain_commands(nb, folder / f"{section_id}.ipynb", params, row if varies else {}, declared))

    def chain(commands: list[list[str]]) -> None:
        for cmd in commands:
            _run(cmd, env=env)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(chain, jobs))  # re-raises the first failure
    return time.perf_counter() - started, len(jobs)


def kit_batch(spec: Path, matrix: Path, out: Path, cache: Path, workers: int) -> tuple[float, list[dict]]:
    cmd = [str(BIN / "reportkit"), "batch", str(spec), "--matrix", str(matrix), "--out", str(out),
           "--workers", str(workers), "--cache-dir", str(cache), "--json"]
    seconds, proc = _run(cmd)
    return seconds, [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "reports" / "china-ecommerce-2024.yaml")
    parser.add_argument("--matrix", type=Path, default=ROOT / "reports" / "clients.csv")
    parser.add_argument("--rows", type=int, default=24, help="first N rows of the matrix")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-serial", action="store_true",
                        help="skip the serial chain loop (about 16 minutes here); batch24_speedup is then not reported")
    parser.add_argument("--no-thread-limited-chain", action="store_true",
                        help="skip the parallel chain with one BLAS/OpenMP thread per process (about 5 minutes here)")
    args = parser.parse_args(argv)

    with open(args.matrix, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[: args.rows]
    n = len(rows)
    work = Path(tempfile.mkdtemp(prefix="rk-bench-batch-"))
    try:
        matrix = work / "matrix.csv"
        with open(matrix, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"{n} reports (HTML + PDF each), {args.workers} workers; work folder {work}", flush=True)

        chain = None
        if not args.no_serial:
            chain = chain_loop(args.spec, rows, work / "chain")
            print(f"chain loop: {chain:.1f} s", flush=True)
        parallel, n_jobs = chain_parallel(args.spec, rows, work / "chain-parallel", args.workers)
        print(f"chain, {args.workers} at a time, shared sections once: {parallel:.1f} s ({n_jobs} notebooks)", flush=True)
        limited = None
        if not args.no_thread_limited_chain:
            limited, _ = chain_parallel(args.spec, rows, work / "chain-one-thread", args.workers, env=one_thread_env())
            print(f"chain, {args.workers} at a time, one BLAS/OpenMP thread per process: {limited:.1f} s", flush=True)
        cold, events = kit_batch(args.spec, matrix, work / "kit", work / "cache", args.workers)
        summary = events[-1]["detail"]
        assert summary["done"] == n and summary["failed"] == 0, summary
        print(f"reportkit batch, empty cache: {cold:.1f} s ({summary['runs_executed']} runs executed)", flush=True)
        warm, events = kit_batch(args.spec, matrix, work / "kit", work / "cache", args.workers)
        assert events[-1]["detail"]["reused"] == n, events[-1]
        print(f"reportkit batch, nothing changed: {warm:.2f} s", flush=True)

        # change one row's parameters: the row's varying section runs again, nothing else does
        changed_row = rows[min(4, n - 1)]
        field = "n_lags" if "n_lags" in changed_row else next(k for k in changed_row if k != "id")
        changed = [dict(r) for r in rows]
        target = changed[rows.index(changed_row)]
        target[field] = str(int(target[field]) + 1) if target[field].isdigit() else target[field] + "x"
        with open(matrix, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(changed)
        one, events = kit_batch(args.spec, matrix, work / "kit", work / "cache", args.workers)
        executed = [e for e in events if e["kind"] == "run" and e["status"] == "executed"]
        rebuilt = [e["name"] for e in events if e["kind"] == "row" and e["status"] == "done"]
        print(f"one row changed ({changed_row['id']}: {field}): {len(executed)} run(s) executed "
              f"({', '.join(e['detail']['section'] for e in executed)}), rows built: {rebuilt}, {one:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    prefix = f"batch{n}"
    result = {
        **({f"{prefix}_chain_seconds": round(chain, 2), f"{prefix}_speedup": round(chain / cold, 2)} if chain else {}),
        f"{prefix}_cold_seconds": round(cold, 2),
        f"{prefix}_parallel_chain_seconds": round(parallel, 2),
        f"{prefix}_vs_parallel_chain": round(cold / parallel, 3),
        **({f"{prefix}_parallel_chain_one_thread_seconds": round(limited, 2),
            f"{prefix}_vs_parallel_chain_one_thread": round(cold / limited, 3)} if limited else {}),
        f"{prefix}_warm_seconds": round(warm, 3),
        f"{prefix}_warm_fraction": round(warm / cold, 4),
        f"{prefix}_one_row_changed_runs": len(executed),
        f"{prefix}_one_row_changed_seconds": round(one, 2),
        f"{prefix}_machine": {"cpus": os.cpu_count(), "workers": args.workers, "python": platform.python_version()},
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(f"wrote {merge_results(result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
