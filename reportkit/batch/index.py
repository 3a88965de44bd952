"""A batch's index: ``index.json`` (every row and run, machine-readable) and ``index.html`` (the page
an analyst opens: each row's status in colour, filters by status, its parameters, links to its
report, the logs of its runs and the notebook a failed run kept, its error).

Both are rewritten atomically while the batch runs and when it ends. The page is self-contained
(inline CSS in the batch's theme, a small inline script for the filters; without script every row
shows), its fixed strings come from the catalogue's ``batch_page`` group in the batch's language,
every string from the batch is escaped and every link is relative to the batch folder."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from ..i18n import html_lang
from ..render.pages import PageStrings, environment, href, page_strings, page_theme, theme_head
from ..style import formatting
from .matrix import BatchPlan

if TYPE_CHECKING:
    from .run import BatchResult, RowResult, RunOutcome

#: the page's template and the catalogue group of its strings
TEMPLATE = "publish/batch.html.j2"
GROUP = "batch_page"
#: row statuses in the order the filters list them (reportkit.batch.run.RowStatus)
STATUSES = ("done", "reused", "failed", "interrupted")
#: the outputs a row links to, in this order (kind → catalogue key of the link text)
OUTPUT_LINKS = {"html": "link_html", "pdf": "link_pdf", "xlsx": "link_xlsx", "manifest": "link_manifest"}


def write_index(plan: BatchPlan, result: BatchResult) -> None:
    """``index.json`` (everything in the result) and ``index.html`` (the page; see the module doc)."""
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


def _link(out_dir: Path, path: str | None) -> str | None:
    """A relative link to ``path`` (absolute, or relative to the batch folder) when it is a file
    inside the batch folder; else None (a notebook kept in object storage is shown, not linked)."""
    if not path:
        return None
    target = Path(path) if os.path.isabs(path) else out_dir / path
    try:
        rel = target.resolve().relative_to(out_dir.resolve())
    except (ValueError, OSError):
        return None
    return href(*rel.parts) if target.is_file() else None


def _runs(out_dir: Path, row: Any, outcomes: dict[str, RunOutcome]) -> list[dict[str, Any]]:
    runs = []
    for planned in dict.fromkeys((r.section, r.run_key) for r in row.plan.runs):
        outcome = outcomes.get(planned[1])
        runs.append({"section": planned[0], "run_key": planned[1][:12],
                     "status": outcome.status if outcome else "interrupted",
                     "log": _link(out_dir, outcome.log) if outcome else None})
    return runs


def _row(out_dir: Path, r: RowResult, row: Any, outcomes: dict[str, RunOutcome], t: PageStrings) -> dict[str, Any]:
    outputs = [{"label": t[key], "href": href(*r.outputs[kind].replace(os.sep, "/").split("/"))}
               for kind, key in OUTPUT_LINKS.items() if kind in r.outputs]
    return {
        "id": r.id, "status": r.status, "seconds": formatting.format_number(r.seconds, 1),
        "parameters": [(k, formatting.format_parameter(v)) for k, v in _public(row).items()],
        "outputs": outputs, "runs": _runs(out_dir, row, outcomes), "error": r.error,
        "failed_notebook": r.failed_notebook, "failed_href": _link(out_dir, r.failed_notebook),
    }


def _index_html(plan: BatchPlan, result: BatchResult) -> str:
    t = page_strings(GROUP, plan.lang)
    by_id = {row.id: row for row in plan.rows}
    outcomes = {run.run_key: run for run in result.runs}
    rows = [_row(result.out_dir, r, by_id[r.id], outcomes, t) for r in result.rows]
    s = result.summary()
    head = theme_head(page_theme(plan.theme), plan.lang)
    return environment().get_template(TEMPLATE).render(
        t=t, html_lang=html_lang(plan.lang), title=plan.spec.title.get(plan.lang), rows=rows, statuses=STATUSES,
        counts={status: s[status] for status in STATUSES}, summary=s,
        seconds=formatting.format_number(s["seconds"], 1), **head,
    ) + "\n"
