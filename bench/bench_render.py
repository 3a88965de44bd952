"""Benchmark: render the demo report from already-recorded results to HTML and PDF.

Builds the demo once (section runs are then in the run cache), then builds it again several times:
every later build reuses the recorded runs, so what remains is reading results, rendering the
HTML, the checks and the PDF. Reported: the median of `render_html + render_pdf` from each build's
manifest (`render_seconds`), merged into bench/results.json.

    python bench/bench_render.py [--runs 5] [--spec reports/china-ecommerce-2024.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from results import merge_results

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", type=Path, default=ROOT / "reports" / "china-ecommerce-2024.yaml")
    args = parser.parse_args(argv)

    from reportkit.build import build_report

    with tempfile.TemporaryDirectory(prefix="rk-bench-render-") as tmp:
        build_report(args.spec, out=Path(tmp) / "warm")  # fills the run cache if needed
        renders, pages = [], None
        for i in range(args.runs):
            result = build_report(args.spec, out=Path(tmp) / f"run{i}")
            t = result.manifest.timings_seconds
            assert all(s.reused_from_cache for s in result.manifest.sections), "runs were not reused"
            renders.append(t["render_html"] + t.get("render_pdf", 0.0))
            pages = result.manifest.pdf_pages
    render = statistics.median(renders)
    print(f"render from recorded results (HTML + checks + PDF, {pages} pages): median {render:.2f} s "
          f"over {args.runs} runs {[round(r, 2) for r in renders]}")
    path = merge_results({"render_seconds": round(render, 3), "render_runs_s": [round(r, 3) for r in renders],
                          "render_pdf_pages": pages})
    print(f"merged render_seconds into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
