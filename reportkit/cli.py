"""The ``reportkit`` command: build a report, run one notebook, list a notebook's parameters.

This is the only place that configures logging and talks to the terminal. Errors are one clear
paragraph on stderr and a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import ReportKitError

app = typer.Typer(
    name="reportkit",
    help="Parameterised notebooks → papermill runs → HTML and PDF industry reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("papermill", "traitlets", "fontTools", "weasyprint", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)


def _fail(exc: BaseException) -> None:
    console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


class _Bars:
    """A rich progress bar per section, driven by nbclient's cell hooks."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def __call__(self, section: str, done: int, total: int) -> None:
        if section not in self.tasks:
            self.tasks[section] = self.progress.add_task(section, total=total or None)
        self.progress.update(self.tasks[section], completed=done, total=total or None)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("cells"), TimeElapsedColumn(), console=console, transient=False,
    )


@app.command()
def build(
    spec: Annotated[Path, typer.Argument(help="report spec (YAML), e.g. reports/china-ecommerce-2024.yaml")],
    lang: Annotated[Optional[str], typer.Option("--lang", help="language edition: zh or en (default: the spec's)")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="output folder (default: build/<report id>)")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="execute every section even if an identical run is cached")] = False,
    theme: Annotated[Optional[str], typer.Option("--theme", help="report theme, a folder in templates/themes/ (default: the spec's)")] = None,
    edition: Annotated[str, typer.Option("--edition", help="client (no code) or analyst (adds the executed notebooks)")] = "client",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log what papermill and WeasyPrint do")] = False,
) -> None:
    """Run every section notebook of SPEC and render report.html, report.pdf and manifest.json."""
    _configure_logging(verbose)
    from .build import build_report

    try:
        with _progress() as progress:
            result = build_report(spec, lang=lang, out=out_dir, cache=not no_cache, progress=_Bars(progress),
                                  theme=theme, edition=edition)  # type: ignore[arg-type] - checked at run time
    except ReportKitError as exc:
        _fail(exc)
        return
    reused = [s["id"] for s in result.manifest["sections"] if s["reused_from_cache"]]
    if reused:
        out.print(f"reused cached runs (same code, parameters, data and environment): {', '.join(reused)}")
    for kind, path in result.outputs.items():
        out.print(f"{kind:>8}: {path}")
    pages = result.manifest.get("pdf_pages")
    total = result.manifest["timings_seconds"]["total"]
    m = result.manifest
    out.print(f"built {m['report']} ({m['language']}, theme {m['theme']}, {m['edition']} edition) in {total:.1f} s"
              + (f", {pages} PDF pages" if pages else ""))


def _parse_pairs(pairs: list[str], notebook: Path) -> dict[str, str]:
    from .errors import ParameterError

    values: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"-p {pair!r} is not name=value", notebook=notebook)
        name, value = pair.split("=", 1)
        values[name.strip()] = value
    return values


@app.command()
def run(
    notebook: Annotated[Path, typer.Argument(help="section notebook (.ipynb)")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="parameter as name=value (repeatable)")] = [],  # noqa: B006
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the executed notebook")] = Path("build/runs"),
    cwd: Annotated[Optional[Path], typer.Option("--cwd", help="working directory of the kernel (default: here)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Execute one notebook with parameters; unknown or mistyped parameters are refused before a kernel starts."""
    _configure_logging(verbose)
    from .params import read_parameters, validate_parameters

    try:
        declared = read_parameters(notebook)
        values = validate_parameters(declared, _parse_pairs(param, notebook), source="the command line", from_cli=True)
        from .execute import execute_notebook
        from .record import read_results

        target = out_dir / f"{notebook.stem}.ipynb"
        with _progress() as progress:
            task = progress.add_task(notebook.stem, total=None)
            executed = execute_notebook(
                notebook, target, values, cwd=cwd or Path.cwd(),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        results = read_results(executed.nb, section=notebook.stem, notebook=str(notebook), parameters=values)
    except ReportKitError as exc:
        _fail(exc)
        return
    out.print(f"executed: {executed.output} in {executed.seconds:.1f} s")
    kinds: dict[str, int] = {}
    for rec in results.records:
        kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
    out.print("recorded: " + (", ".join(f"{n} {k}(s)" for k, n in kinds.items()) or "nothing"))


@app.command()
def params(notebook: Annotated[Path, typer.Argument(help="section notebook (.ipynb)")]) -> None:
    """List NOTEBOOK's typed parameters with their defaults and help."""
    from .params import read_parameters

    try:
        declared = read_parameters(notebook)
    except ReportKitError as exc:
        _fail(exc)
        return
    table = Table(title=f"parameters of {notebook}")
    for col in ("name", "type", "default", "help"):
        table.add_column(col)
    for p in declared.parameters:
        table.add_row(p.name, p.type_name, repr(p.default), p.help)
    out.print(table)


@app.command()
def batch(
    spec: Annotated[Path, typer.Argument(help="report spec (YAML), e.g. reports/china-ecommerce-2024.yaml")],
    matrix: Annotated[Path, typer.Option("--matrix", help="CSV of rows: an id column (the row's folder) and parameter columns")],
    out_dir: Annotated[Path, typer.Option("--out", help="batch folder: one sub-folder per row, index.html, index.json")],
    workers: Annotated[Optional[int], typer.Option("--workers", help="parallel processes (default: CPU count)")] = None,
    force: Annotated[bool, typer.Option("--force", help="execute every distinct run even if it is cached")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help="language edition: zh or en (default: the spec's)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Build SPEC once per row of MATRIX; sections whose parameters do not vary run once and are shared."""
    _configure_logging(verbose)
    from rich.markup import escape

    from .batch import plan_batch, run_batch

    try:
        plan = plan_batch(spec, matrix, lang=lang)
    except ReportKitError as exc:
        _fail(exc)
        return
    from .cache import RunCache
    from .build import default_cache_dir

    store = RunCache(default_cache_dir(plan.spec))
    to_run = len(plan.runs) if force else sum(1 for r in plan.runs if store.get(r.run_key) is None)
    out.print(f"{len(plan.rows)} rows, {len(plan.runs)} distinct runs ({to_run} to execute, "
              f"{len(plan.runs) - to_run} cached)")
    with Progress(
        TextColumn("[bold]{task.description:<6}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        runs_task = progress.add_task("runs", total=to_run)
        rows_task = progress.add_task("rows", total=len(plan.rows))

        def on_event(kind: str, name: str, status: str) -> None:
            colour = {"failed": "red", "reused": "blue"}.get(status, "green")
            progress.console.print(f"{kind} {name}: [{colour}]{status}[/]", highlight=False)
            progress.advance(runs_task if kind == "run" else rows_task)

        result = run_batch(plan, out_dir, workers=workers or None, force=force, progress=on_event)
    s = result.to_json()["summary"]
    out.print(f"batch {plan.spec.id}: {s['done']} done, {s['reused']} reused, {s['failed']} failed "
              f"({s['runs_executed']} runs executed, {s['runs_cached']} cached) in {s['seconds']:.1f} s")
    out.print(f"   index: {result.out_dir / 'index.html'}")
    for row in result.failed:
        console.print(f"[bold red]row {row.id} failed:[/] {escape(row.error or '')}", markup=True, highlight=False,
                      soft_wrap=True)
    if result.failed:
        raise typer.Exit(code=1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
