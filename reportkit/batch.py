"""Batches: one spec × a matrix of parameter rows (a CSV of clients) → one build per row.

:func:`plan_batch` merges each row's values into the parameters of every section that declares a
parameter of that name and plans each row with :func:`reportkit.plan.make_plan` (the same
validation and run keys as a single build). Runs with the same key are planned once: a section
whose parameters do not vary across rows (the market section of the demo) is one run shared by
every row. Everything that can be wrong with the matrix is found here, before a kernel starts.

:func:`run_batch` executes the distinct runs that are not in the run cache in a local process pool
(``spawn`` context; one kernel per run on IPC transport, so parallel runs never clash), stores them
in the cache, then builds each row into ``out_dir/<row id>/`` with
:func:`reportkit.build.build_report` (which now finds every run in the cache and only renders),
also in the pool. A failing run or row does not stop the others. ``out_dir/index.json`` and
``out_dir/index.html`` list every row's status, outputs and error.
"""

from __future__ import annotations

import csv
import html
import json
import multiprocessing
import os
import re
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

from .atomic import write_atomic
from .build import default_cache_dir
from .cache import RunCache
from .errors import ReportKitError, SpecError
from .params import read_parameters, validate_parameters
from .plan import LANGUAGE_PARAMETER, THEME_PARAMETER, Plan, PlannedRun, make_plan, notebook_path
from .spec import ReportSpec, load_spec

#: the matrix column naming a row; it becomes the row's output folder
ID_COLUMN = "id"
ROW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
#: where executed runs of a batch are written (a row id cannot start with "_")
RUNS_FOLDER = "_runs"

RowStatus = Literal["done", "reused", "failed"]
#: progress(kind, name, status): kind "run" (name = "<section> <key[:12]>") or "row" (name = row id);
#: status "executed" | "failed" for runs, "done" | "reused" | "failed" for rows
BatchProgress = Callable[[str, str, str], None]


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class BatchRow:
    id: str
    values: dict[str, Any]  # the row's matrix values, coerced (empty cells left out)
    spec: ReportSpec  # the spec with the row's values merged into its sections' parameters
    plan: Plan

    @property
    def run_keys(self) -> tuple[str, ...]:
        return tuple(r.run_key for r in self.plan.runs)


@dataclass(frozen=True)
class BatchPlan:
    spec: ReportSpec
    lang: str
    theme: str
    rows: tuple[BatchRow, ...]
    runs: tuple[PlannedRun, ...]  # distinct runs, deduplicated by run key, in first-use order
    matrix_path: str = ""

    def rows_using(self, run_key: str) -> tuple[str, ...]:
        return tuple(row.id for row in self.rows if run_key in row.run_keys)


def read_matrix(path: str | Path) -> list[dict[str, str]]:
    """Read a matrix CSV (UTF-8, with or without BOM; header row first) into dicts of strings."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"matrix file {str(path)!r} does not exist; expected a CSV with an {ID_COLUMN!r} column", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"matrix file is not UTF-8 ({exc}); save it as UTF-8 CSV", path=path) from None
    reader = csv.DictReader(text.splitlines())
    rows: list[dict[str, str]] = []
    for line, raw in enumerate(reader, start=2):
        if None in raw or any(v is None for v in raw.values()):
            raise SpecError(f"row has {'more' if None in raw else 'fewer'} cells than the header", path=path, line=line)
        if not any((v or "").strip() for v in raw.values()):
            continue  # blank line
        rows.append({(k or "").strip(): (v or "").strip() for k, v in raw.items()})
    if not rows:
        raise SpecError("matrix has no rows; expected a header and at least one row", path=path)
    return rows


def _section_parameters(spec: ReportSpec) -> dict[str, Any]:
    """section id → its notebook's declared parameters (errors name a missing notebook)."""
    declared: dict[str, Any] = {}
    for section in spec.sections:
        declared[section.id] = read_parameters(notebook_path(spec, section))
    return declared


def _allowed_columns(declared: Mapping[str, Any]) -> str:
    by_name: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for section, params in declared.items():
        for p in params.parameters:
            if p.name in (LANGUAGE_PARAMETER, THEME_PARAMETER):
                continue
            by_name.setdefault(p.name, []).append(section)
            types.setdefault(p.name, p.type_name)
    names = ", ".join(f"{n} ({types[n]}; {'/'.join(s)})" for n, s in sorted(by_name.items()))
    return f"{ID_COLUMN} (the row's folder), {names}"


def plan_batch(
    spec: str | Path | ReportSpec,
    matrix_rows: Sequence[Mapping[str, Any]] | str | Path,
    *,
    lang: str | None = None,
    theme: str | None = None,
) -> BatchPlan:
    """Plan one build per matrix row; raise a ReportKitError (before any kernel) for an unknown
    column, a bad or duplicate row id, or a value of the wrong type.

    ``matrix_rows``: a CSV path, or rows as mappings with an ``id`` key. Values may be strings
    (as read from CSV: parsed like ``-p name=value``) or already typed; an empty cell leaves the
    spec's value for that row.
    """
    from .render.themes import load_theme

    spec = spec if isinstance(spec, ReportSpec) else load_spec(spec)
    matrix_path = ""
    if isinstance(matrix_rows, (str, Path)):
        matrix_path = str(matrix_rows)
        matrix_rows = read_matrix(matrix_rows)
    where = matrix_path or "the matrix"
    theme = load_theme(theme or spec.theme).name
    declared = _section_parameters(spec)
    if not matrix_rows:
        raise SpecError(f"{where} has no rows", path=matrix_path or None)
    columns: list[str] = []
    for row in matrix_rows:
        columns.extend(k for k in row if k not in columns)
    if ID_COLUMN not in columns:
        raise SpecError(f"{where} has no {ID_COLUMN!r} column; the allowed columns are: {_allowed_columns(declared)}",
                        path=matrix_path or None)
    for col in columns:
        if col in (LANGUAGE_PARAMETER, THEME_PARAMETER):
            raise SpecError(f"matrix column {col!r} is set for the whole batch (--lang / --theme), not per row",
                            path=matrix_path or None)
        if col != ID_COLUMN and not any(d.get(col) is not None for d in declared.values()):
            raise SpecError(
                f"matrix column {col!r} is not a parameter of any section of {spec.id!r}; "
                f"the allowed columns are: {_allowed_columns(declared)}",
                path=matrix_path or None,
            )

    rows: list[BatchRow] = []
    distinct: dict[str, PlannedRun] = {}
    seen: set[str] = set()
    for n, raw in enumerate(matrix_rows, start=1):
        row_id = str(raw.get(ID_COLUMN) or "").strip()
        if not ROW_ID.match(row_id):
            raise SpecError(
                f"row {n}: id {row_id!r} is not folder-safe; expected letters, digits, '-' or '_' "
                "(starting with a letter or digit, at most 100 characters), e.g. 'bea-beauty'",
                path=matrix_path or None,
            )
        if row_id in seen:
            raise SpecError(f"row {n}: id {row_id!r} is used twice; row ids must be unique", path=matrix_path or None)
        seen.add(row_id)
        given = {k: v for k, v in raw.items() if k != ID_COLUMN and not (isinstance(v, str) and v.strip() == "")}
        values: dict[str, Any] = {}
        sections = []
        for section in spec.sections:
            params = declared[section.id]
            mine = {k: v for k, v in given.items() if params.get(k) is not None}
            coerced = validate_parameters(
                params, mine, source=f"{where} (row {row_id!r}, section {section.id!r})",
                from_cli=True,  # strings are parsed as YAML scalars for non-str parameters
            ) if mine else {}
            values.update(coerced)
            sections.append(section.model_copy(update={"parameters": {**section.parameters, **coerced}}))
        row_spec = spec.model_copy(update={"sections": tuple(sections)})
        plan = make_plan(row_spec, lang=lang, theme=theme)
        for run in plan.runs:
            distinct.setdefault(run.run_key, run)
        rows.append(BatchRow(row_id, values, row_spec, plan))
    return BatchPlan(spec, rows[0].plan.lang, theme, tuple(rows), tuple(distinct.values()), matrix_path)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class RunOutcome:
    run_key: str
    section: str
    status: Literal["executed", "cached", "failed"]
    seconds: float
    error: str | None = None
    failed_notebook: str | None = None


@dataclass(frozen=True)
class RowResult:
    id: str
    status: RowStatus
    seconds: float  # building (rendering) this row; runs shared between rows are timed in `runs`
    outputs: dict[str, str]  # kind → path relative to the batch folder
    error: str | None = None
    failed_notebook: str | None = None
    executed: tuple[str, ...] = ()  # sections whose run was executed by this batch (not cached before)


@dataclass(frozen=True)
class BatchResult:
    out_dir: Path
    rows: tuple[RowResult, ...]
    runs: tuple[RunOutcome, ...]
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def failed(self) -> tuple[RowResult, ...]:
        return tuple(r for r in self.rows if r.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [asdict(r) for r in self.rows],
            "runs": [asdict(r) for r in self.runs],
            "summary": {
                "rows": len(self.rows), "done": self.count("done"), "reused": self.count("reused"),
                "failed": self.count("failed"),
                "runs_executed": sum(1 for r in self.runs if r.status == "executed"),
                "runs_cached": sum(1 for r in self.runs if r.status == "cached"),
                "runs_failed": sum(1 for r in self.runs if r.status == "failed"),
                "seconds": self.seconds,
            },
        }


def _describe(exc: BaseException) -> tuple[str, str | None]:
    message = str(exc) if isinstance(exc, ReportKitError) else f"{type(exc).__name__}: {exc}"
    return message, getattr(exc, "saved", None)


def _execute_run(notebook: str, target: str, parameters: dict[str, Any], cwd: str) -> dict[str, Any]:
    """Pool worker: execute one run. Returns a plain dict (reportkit errors do not pickle)."""
    from . import execute

    os.environ.setdefault("MPLBACKEND", "Agg")
    started = time.perf_counter()
    try:  # execute_notebook gives each kernel private IPC sockets: parallel workers cannot clash
        execute.execute_notebook(notebook, target, parameters, cwd=cwd)
    except Exception as exc:  # noqa: BLE001 - reported per run; the batch goes on
        message, saved = _describe(exc)
        return {"ok": False, "seconds": time.perf_counter() - started, "error": message, "saved": saved}
    return {"ok": True, "seconds": time.perf_counter() - started}


def _build_row(row_spec: ReportSpec, out: str, lang: str, theme: str) -> dict[str, Any]:
    """Pool worker: build one row (its runs are in the cache, so this only renders)."""
    from .build import build_report

    os.environ.setdefault("MPLBACKEND", "Agg")
    started = time.perf_counter()
    try:
        result = build_report(row_spec, lang=lang, theme=theme, out=out, cache=True)
    except Exception as exc:  # noqa: BLE001
        message, saved = _describe(exc)
        return {"ok": False, "seconds": time.perf_counter() - started, "error": message, "saved": saved}
    return {
        "ok": True, "seconds": time.perf_counter() - started,
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "reused": {s["id"]: s["reused_from_cache"] for s in result.manifest["sections"]},
    }


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"))


def run_batch(
    plan: BatchPlan,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Execute the plan's distinct runs that are not cached (all of them with ``force``), then
    build every row into ``out_dir/<row id>/``; write ``index.json`` and ``index.html``.

    Failures are collected, never raised: a row fails when one of its runs fails (the row names
    the run's error and its saved failed notebook) or when its build fails.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    store = RunCache(default_cache_dir(plan.spec))
    report = progress or (lambda kind, name, status: None)

    outcomes: dict[str, RunOutcome] = {}
    pending = [r for r in plan.runs if force or store.get(r.run_key) is None]
    for run in plan.runs:
        if run not in pending:
            outcomes[run.run_key] = RunOutcome(run.run_key, run.section, "cached", 0.0)

    with _pool(min(workers, max(len(pending), len(plan.rows)))) as pool:
        futures: dict[Future, Any] = {}
        for run in pending:
            target = out_dir / RUNS_FOLDER / f"{run.section}-{run.run_key[:16]}.ipynb"
            fut = pool.submit(_execute_run, str(run.notebook), str(target), dict(run.parameters), plan.spec.root)
            futures[fut] = (run, target)
        for fut in as_completed(futures):
            run, target = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - the worker process died
                res = {"ok": False, "seconds": 0.0, "error": _describe(exc)[0], "saved": None}
            if res["ok"]:
                try:
                    store.put(run.run_key, target)
                except OSError as exc:
                    res = {"ok": False, "seconds": res["seconds"], "error": f"could not store the run: {exc}", "saved": None}
            status = "executed" if res["ok"] else "failed"
            outcomes[run.run_key] = RunOutcome(run.run_key, run.section, status, round(res["seconds"], 3),
                                               res.get("error"), res.get("saved"))
            report("run", f"{run.section} {run.run_key[:12]}", status)

        rows: dict[str, RowResult] = {}
        builds: dict[Future, Any] = {}
        for row in plan.rows:
            failed = [outcomes[k] for k in row.run_keys if outcomes[k].status == "failed"]
            if failed:
                first = failed[0]
                rows[row.id] = RowResult(
                    row.id, "failed", 0.0, {},
                    error=f"section {first.section!r} failed: {first.error}", failed_notebook=first.failed_notebook,
                )
                report("row", row.id, "failed")
                continue
            fut = pool.submit(_build_row, row.spec, str(out_dir / row.id), plan.lang, plan.theme)
            builds[fut] = row
        for fut in as_completed(builds):
            row = builds[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001
                res = {"ok": False, "seconds": 0.0, "error": _describe(exc)[0], "saved": None}
            executed = tuple(r.section for r in row.plan.runs if outcomes[r.run_key].status == "executed")
            if res["ok"]:
                outputs = {k: os.path.relpath(v, out_dir) for k, v in res["outputs"].items()}
                status: RowStatus = "done" if executed else "reused"
                rows[row.id] = RowResult(row.id, status, round(res["seconds"], 3), outputs, executed=executed)
            else:
                rows[row.id] = RowResult(row.id, "failed", round(res["seconds"], 3), {}, error=res["error"],
                                         failed_notebook=res.get("saved"), executed=executed)
            report("row", row.id, rows[row.id].status)

    result = BatchResult(
        out_dir,
        tuple(rows[row.id] for row in plan.rows),
        tuple(outcomes[r.run_key] for r in plan.runs),
        round(time.perf_counter() - started, 3),
    )
    write_index(plan, result)
    return result


# --------------------------------------------------------------------------- index


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
    for entry, row in zip(data["rows"], plan.rows):
        entry["parameters"] = row.values
    write_atomic(result.out_dir / "index.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
    write_atomic(result.out_dir / "index.html", _index_html(plan, result))


_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.done{color:#176b2c}.reused{color:#31589c}.failed{color:#b00020;font-weight:bold}
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
        params = ", ".join(f"{k}={v}" for k, v in by_id[r.id].values.items())
        error = f"<pre>{esc(r.error)}</pre>" if r.error else ""
        lines.append(
            f'<tr><td>{esc(r.id)}</td><td>{esc(params)}</td><td class="{esc(r.status)}">{esc(r.status)}</td>'
            f"<td>{r.seconds:.1f}</td><td>{links}</td><td>{error}</td></tr>"
        )
    s = result.to_json()["summary"]
    title = f"{plan.spec.title.get(plan.lang)} — batch"
    return (
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>{style}</style></head><body><h1>{title}</h1>"
        "<p>{rows} rows: {done} done, {reused} reused, {failed} failed; "
        "{ex} runs executed, {ca} cached, {rf} failed; {sec:.1f} s</p>"
        "<table><thead><tr><th>row</th><th>parameters</th><th>status</th><th>seconds</th><th>outputs</th>"
        "<th>error</th></tr></thead><tbody>\n{body}\n</tbody></table></body></html>\n"
    ).format(
        lang=esc(plan.lang), title=esc(title), style=_STYLE, rows=s["rows"], done=s["done"], reused=s["reused"],
        failed=s["failed"], ex=s["runs_executed"], ca=s["runs_cached"], rf=s["runs_failed"], sec=s["seconds"],
        body="\n".join(lines),
    )
