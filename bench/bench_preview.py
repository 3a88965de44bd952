"""Benchmark: how long an analyst waits between saving an edit and seeing it in `reportkit preview --watch`.

On a copy of the demo project (reports/, notebooks/, data/ in a temporary folder; the repository is
never edited), a Watcher and its server run in this process, as `reportkit preview SPEC --watch`
runs them, on a warm run cache. Measured from the moment the edited file is written until an HTTP
GET of the served report.html shows the change:

- ``preview_prose_edit_seconds``: one sentence of a narrative (report-tagged markdown) cell of the
  market notebook is changed; nothing executes (the check asserts it). Target <= 1.5 s.
- ``preview_param_edit_seconds``: the market section's ``cagr_start`` in the spec changes; that
  section executes again on the session's warm kernels, the others come from the run cache.

Medians of ``--runs`` edits each, merged into bench/results.json.

    python bench/bench_preview.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
from results import merge_results

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path("reports") / "china-ecommerce-2024.yaml"


def _served(url: str) -> str:
    return urllib.request.urlopen(url, timeout=30).read().decode("utf-8")


def _until(url: str, needle: str, started: float, timeout: float = 120) -> float:
    while time.perf_counter() - started < timeout:
        if needle in _served(url):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise SystemExit(f"the served page did not show {needle!r} within {timeout} s")


def _narrative_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "markdown"
                and {"report", "report-zh"} & set(c.metadata.get("tags", [])) and "。" in c.source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from reportkit.watch import Watcher, serve

    work = Path(tempfile.mkdtemp(prefix="rk-bench-preview-"))
    try:
        for folder in ("reports", "notebooks", "data"):
            shutil.copytree(ROOT / folder, work / folder)
        watcher = Watcher(work / SPEC, work / "build" / "preview", warm_kernels=True)
        first = watcher.check()
        assert first is not None and first.error is None, first
        print(f"first build (cold cache): {first.seconds:.1f} s, executed {', '.join(first.executed)}", flush=True)
        server = serve(work / "build" / "preview", port=0, watcher=watcher)
        url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
        stop = threading.Event()
        seen: list = []
        thread = threading.Thread(target=watcher.watch, kwargs={"report": seen.append, "stop": stop}, daemon=True)
        thread.start()
        time.sleep(1.0)
        try:
            notebook = work / "notebooks" / "market_trends.ipynb"
            prose: list[float] = []
            for i in range(args.runs):
                nb = nbformat.read(notebook, as_version=4)
                cell = _narrative_cell(nb)
                marker = f"（第 {i + 1} 次修改的句子）"
                cell.source = cell.source.rstrip() + marker
                before = len(seen)
                started = time.perf_counter()
                nbformat.write(nb, notebook)
                prose.append(_until(url, marker, started))
                time.sleep(0.3)
                assert all(r.executed == () and r.error is None for r in seen[before:]), seen[before:]
                print(f"  prose edit {i + 1}: {prose[-1]:.2f} s (executed nothing)", flush=True)

            spec_path = work / SPEC
            param: list[float] = []
            for i, year in enumerate(["2016", "2017", "2018", "2020", "2021"][: args.runs]):  # never a cached value
                text = spec_path.read_text(encoding="utf-8")
                current = text.split('cagr_start: "', 1)[1].split('"', 1)[0]
                before, generation = len(seen), watcher.generation
                started = time.perf_counter()
                spec_path.write_text(text.replace(f'cagr_start: "{current}"', f'cagr_start: "{year}"'), encoding="utf-8")
                param.append(_until(url, f"var generation = {generation + 1},", started))  # the new build is served
                executed = [r.executed for r in seen[before:]]
                assert all(r.error is None for r in seen[before:]), seen[before:]
                print(f"  parameter edit {i + 1} (cagr_start {current} → {year}): {param[-1]:.2f} s, executed {executed}",
                      flush=True)
        finally:
            stop.set()
            thread.join(10)
            server.shutdown()
            watcher.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {"preview_prose_edit_seconds": round(statistics.median(prose), 3),
              "preview_prose_edit_runs_s": [round(x, 3) for x in prose],
              "preview_param_edit_seconds": round(statistics.median(param), 3),
              "preview_param_edit_runs_s": [round(x, 3) for x in param]}
    for key, value in result.items():
        print(f"{key}: {value}")
    print(f"wrote {merge_results(result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
