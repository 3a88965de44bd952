"""A batch's index: ``index.json`` (every row and run, machine-readable) and ``index.html`` (a
self-contained table a person opens: status, parameters, links to each row's report, errors).
Both are rewritten atomically while the batch runs and when it ends; strings are escaped."""

from __future__ import annotations

import html
import json
import os
import time
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from .matrix import BatchPlan

if TYPE_CHECKING:
    from .run import BatchResult

def write_index(plan: BatchPlan, result: BatchResult) -> None:
    """``index.json`` (everything in the result) and ``index.html`` (a self-contained table)."""
    data = {
        "report": plan.spec.id,
        "spec": plan.spec.source_path,
        "matrix": plan.matrix_path,
        "language": plan.lang,
        "theme": plan.theme,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **result.to_json(),
    }
    for entry, row in zip(data["rows"], plan.rows, strict=True):
        entry["parameters"] = _public(row)
    write_atomic(result.out_dir / "index.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
    write_atomic(result.out_dir / "index.html", _index_html(plan, result))


def _public(row: Any) -> dict[str, Any]:
    """A row's matrix values with secret parameters redacted."""
    from ..secrets import redact

    return redact(row.values, {name for run in row.plan.runs for name in run.secret})


_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.done{color:#176b2c}.reused{color:#31589c}.failed{color:#b00020;font-weight:bold}
.interrupted{color:#8a5a00}
pre{white-space:pre-wrap;margin:0;font-size:.85em}
"""


def _index_html(plan: BatchPlan, result: BatchResult) -> str:
    esc = html.escape
    by_id = {row.id: row for row in plan.rows}
    lines = []
    for r in result.rows:
        links = " ".join(
            f'<a href="{esc(v, quote=True)}">{esc(os.path.basename(v))}</a>'
            for k, v in r.outputs.items() if k in ("html", "pdf")
        )
        params = ", ".join(f"{k}={v}" for k, v in _public(by_id[r.id]).items())
        error = f"<pre>{esc(r.error)}</pre>" if r.error else ""
        if r.failed_notebook:
            error += f"<p>failed notebook: <code>{esc(r.failed_notebook)}</code></p>"
        lines.append(
            f'<tr><td>{esc(r.id)}</td><td>{esc(params)}</td><td class="{esc(r.status)}">{esc(r.status)}</td>'
            f"<td>{r.seconds:.1f}</td><td>{links}</td><td>{error}</td></tr>"
        )
    s = result.summary()
    title = f"{plan.spec.title.get(plan.lang)} — batch"
    return (
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>{style}</style></head><body><h1>{title}</h1>"
        "<p>{rows} rows: {done} done, {reused} reused, {failed} failed, {intr} not finished; "
        "{ex} runs executed, {ca} cached, {rf} failed; {sec:.1f} s</p>"
        "<table><thead><tr><th>row</th><th>parameters</th><th>status</th><th>seconds</th><th>outputs</th>"
        "<th>error</th></tr></thead><tbody>\n{body}\n</tbody></table></body></html>\n"
    ).format(
        lang=esc(plan.lang), title=esc(title), style=_STYLE, rows=s["rows"], done=s["done"], reused=s["reused"],
        failed=s["failed"], intr=s["interrupted"], ex=s["runs_executed"], ca=s["runs_cached"], rf=s["runs_failed"], sec=s["seconds"],
        body="\n".join(lines),
    )
