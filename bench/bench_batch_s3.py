"""Benchmark: the same batch with its run cache and outputs in object storage, against local disk.

A SeaweedFS server on loopback (the tests' fixture, ``tests/seaweed.py``) stands in for S3. The
demo's batch of one report per client is run twice from an empty run cache, with the same local
process pool (``--workers``):

    reportkit batch SPEC --matrix CSV --out DIR          --cache DIR          (local disk)
    reportkit batch SPEC --matrix CSV --out s3://b/out   --cache s3://b/runs  (object storage)

With ``--out s3://…`` the workers take the project from a bundle in the cache, build each row in
a local folder and upload it, and every run goes through the S3 cache (the notebook, then its
record), so this measures what object storage adds: bundling, uploads, downloads and checks.
Both runs use empty download, bundle and mirror folders. Keys merged into ``bench/results.json``:

    batch24_s3_seconds, batch24_local_seconds, batch24_s3_vs_local (target <= 1.3)

    python bench/bench_batch_s3.py [--rows 24] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from results import merge_results

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))  # the SeaweedFS server the tests use


def _batch(spec: Path, matrix: Path, out: str, cache: str, workers: int, env: dict[str, str]) -> tuple[float, dict]:
    cmd = [str(BIN / "reportkit"), "batch", str(spec), "--matrix", str(matrix), "--out", out,
           "--cache", cache, "--workers", str(workers), "--json"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    summary = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")][-1]["detail"]
    return seconds, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "reports" / "china-ecommerce-2024.yaml")
    parser.add_argument("--matrix", type=Path, default=ROOT / "reports" / "clients.csv")
    parser.add_argument("--rows", type=int, default=24, help="first N rows of the matrix")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from seaweed import ADMIN, running_server

    def unavailable(reason: str) -> None:
        raise SystemExit(f"no S3 server for the benchmark: {reason}")

    with open(args.matrix, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[: args.rows]
    n = len(rows)
    work = Path(tempfile.mkdtemp(prefix="rk-bench-s3-"))
    try:
        matrix = work / "matrix.csv"
        with open(matrix, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        with running_server(skip=unavailable, fail=unavailable) as server:
            key, secret = server.credentials[ADMIN]
            prefix = f"s3://{server.bucket}/bench-{uuid.uuid4().hex[:8]}"
            results = {}
            for where in ("local", "s3"):
                home = work / f"{where}-home"  # empty caches of downloads, bundles and mirrors for each run
                env = {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                       "AWS_ENDPOINT_URL": server.endpoint, "AWS_REGION": "us-east-1",
                       "REPORTKIT_STORAGE_CONFIG": "/nonexistent", "XDG_CACHE_HOME": str(home / "cache"),
                       "REPORTKIT_DOWNLOADS": str(home / "downloads"), "REPORTKIT_BUNDLES": str(home / "bundles")}
                if where == "local":
                    out, cache = str(work / "out"), str(work / "runs")
                else:
                    out, cache = f"{prefix}/out", f"{prefix}/runs"
                seconds, summary = _batch(args.spec, matrix, out, cache, args.workers, env)
                assert summary["done"] == n and summary["failed"] == 0, summary
                results[where] = seconds
                print(f"{where:>5}: {seconds:.1f} s ({summary['runs_executed']} runs executed, out {out})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    keys = {
        f"batch{n}_s3_seconds": round(results["s3"], 2),
        f"batch{n}_local_seconds": round(results["local"], 2),
        f"batch{n}_s3_vs_local": round(results["s3"] / results["local"], 3),
    }
    for k, v in keys.items():
        print(f"{k:<28} {v}")
    print(f"wrote {merge_results(keys)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
