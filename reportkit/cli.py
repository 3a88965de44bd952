"""The ``reportkit`` command: build a report, run one notebook, list a notebook's parameters.

This is the only place that configures logging and talks to the terminal. Errors are one clear
paragraph on stderr and a non-zero exit; Ctrl-C is one line and exit code 130.

Messages carry paths, parameter values, cell sources and exception text (``data[i]``, ``[/x]``), so
both consoles print without rich markup: text is shown exactly as written, and styling is applied
with :class:`rich.text.Text` spans, never by markup in a string.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .errors import ReportKitError, RunInterrupted
from .startup import skip_slow_optional_imports

skip_slow_optional_imports()  # before anything imports nbformat (see reportkit.startup)

if TYPE_CHECKING:
    from .batch import BatchPlan, BatchResult

app = typer.Typer(
    name="reportkit",
    help="Parameterised notebooks → papermill runs → HTML and PDF industry reports.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, markup=False, highlight=False)  # see the module docstring
out = Console(markup=False)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("papermill", "traitlets", "fontTools", "weasyprint", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)


def _say(label: str, message: str, style: str = "bold red") -> None:
    """``label message`` on stderr, the label styled, the message exactly as written."""
    console.print(Text.assemble((label, style), " ", message), soft_wrap=True)


def _fail(exc: BaseException, code: int = 1) -> None:
    _say("error:", str(exc))
    raise typer.Exit(code=code)


def _interrupted(exc: KeyboardInterrupt, consequence: str) -> None:
    """One line for Ctrl-C (where it happened, what was not written) and exit code 130."""
    where = str(exc) if isinstance(exc, RunInterrupted) else "interrupted"
    console.print(Text(f"{where}; {consequence}", style="yellow"), soft_wrap=True)
    raise typer.Exit(code=130)


def _version(value: bool) -> None:
    if value:
        from .version import __version__

        out.print(f"reportkit {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print reportkit's version and exit")] = False,
) -> None:
    pass


class _Bars:
    """A rich progress bar per section, driven by nbclient's cell hooks."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, section: str, done: int, total: int) -> None:
        if section not in self.tasks:
            self.tasks[section] = self.progress.add_task(section, total=total or None)
        self.progress.update(self.tasks[section], completed=done, total=total or None)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
        TextColumn("cells"), TimeElapsedColumn(), console=console, transient=False,
    )


@app.command()
def build(
    spec: Annotated[Path, typer.Argument(help="report spec (YAML), e.g. reports/china-ecommerce-2024.yaml")],
    lang: Annotated[str | None, typer.Option("--lang", help="language edition: zh, en, zh-Hant (Traditional, Taiwan phrasing) or zh-HK (default: the spec's)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="output folder (default: build/<report id>)")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="execute every section even if an identical run is cached")] = False,
    theme: Annotated[str | None, typer.Option("--theme", help="report theme, a folder in templates/themes/ (default: the spec's)")] = None,
    edition: Annotated[str, typer.Option("--edition", help="client (no code) or analyst (adds the executed notebooks)")] = "client",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log what papermill and WeasyPrint do")] = False,
    workers: Annotated[int | None, typer.Option("--workers", help="sections executed at once (default: the number of cores)", min=1)] = None,
    cold_kernels: Annotated[bool, typer.Option("--cold-kernels", help="start every kernel from scratch instead of forking pre-imported ones")] = False,
    pdf: Annotated[str | None, typer.Option("--pdf", help="standard, accessible (tagged PDF/UA-1) or archival (PDF/A-3a with the data pack embedded); default: the spec's pdf, else standard")] = None,
) -> None:
    """Run every section notebook of SPEC and render the outputs the spec lists (report.html, report.pdf,
    the data pack report-data.xlsx) and manifest.json."""
    _configure_logging(verbose)
    from .build import build_report

    try:
        with _progress() as progress:
            result = build_report(spec, lang=lang, out=out_dir, cache=not no_cache, progress=_Bars(progress),
                                  theme=theme, edition=edition,  # type: ignore[arg-type]  # checked by build_report
                                  workers=workers, kernels="cold" if cold_kernels else "warm", pdf=pdf)
    except ReportKitError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt as exc:
        _interrupted(exc, "no report written (finished section runs are cached and will be reused)")
        return
    m = result.manifest
    if m.reused:
        out.print(f"reused cached runs (same code, parameters, data and environment): {', '.join(m.reused)}",
                  soft_wrap=True)
    for kind, path in result.outputs.items():
        out.print(f"{kind:>8}: {path}", soft_wrap=True)
    total = m.timings_seconds["total"]
    out.print(f"built {m.report} ({m.language}, theme {m.theme}, {m.edition} edition) in {total:.1f} s"
              + (f", {m.pdf_pages} PDF pages" if m.pdf_pages else ""), soft_wrap=True)


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
    cwd: Annotated[Path | None, typer.Option("--cwd", help="working directory of the kernel (default: here)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Execute one notebook with parameters; unknown or mistyped parameters are refused before a kernel starts."""
    _configure_logging(verbose)
    from .section_run import check_values, run_section

    try:
        values, secret = check_values(notebook, _parse_pairs(param, notebook))
        with _progress() as progress:
            task = progress.add_task(notebook.stem, total=None)
            run_ = run_section(notebook, out_dir / f"{notebook.stem}.ipynb", values, cwd=cwd or Path.cwd(),
                               shown_as=str(notebook), secret=secret,
                               progress=lambda done, total: progress.update(task, completed=done, total=total))
    except ReportKitError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt as exc:
        _interrupted(exc, "nothing written")
        return
    out.print(f"executed: {run_.output} in {run_.seconds:.1f} s", soft_wrap=True)
    kinds: dict[str, int] = {}
    for rec in run_.results.records:
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
    out_dir: Annotated[str, typer.Option("--out", help="batch folder (or s3://bucket/prefix): one sub-folder per row, index.html, index.json")],
    workers: Annotated[int | None, typer.Option("--workers", help="local worker processes (default: CPU count)")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")] = None,
    dask_local: Annotated[int | None, typer.Option("--dask-local", help="start a Dask LocalCluster of N worker processes")] = None,
    retries: Annotated[int, typer.Option("--retries", help="re-run a failed run or build up to N times")] = 0,
    force: Annotated[bool, typer.Option("--force", help="execute every run and build every row, even if cached or current")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="language edition: zh, en, zh-Hant (Traditional, Taiwan phrasing) or zh-HK (default: the spec's)")] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="theme for every row (default: the spec's)")] = None,
    cache_dir: Annotated[str | None, typer.Option("--cache", "--cache-dir", help="run cache: a folder or s3://bucket/prefix, shared by every worker (default: build/.runs of the project)")] = None,
    json_events: Annotated[bool, typer.Option("--json", help="print one JSON event per line on stdout instead of progress")] = False,
    cold_kernels: Annotated[bool, typer.Option("--cold-kernels", help="start every kernel from scratch instead of forking pre-imported ones")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Build SPEC once per row of MATRIX; sections whose parameters do not vary run once and are shared.

    Runs already in the cache are reused and rows whose outputs are current are kept, so running the
    same command again after Ctrl-C or a crash completes only what is missing. Exit code 1 if any row
    failed (each failure is named, with its kept notebook), 2 for a bad spec or matrix.
    """
    import json as jsonlib

    _configure_logging(verbose)
    from .batch import BatchEvent, make_executor, plan_batch, run_batch

    def emit_json(event: BatchEvent) -> None:
        print(jsonlib.dumps(event.to_json(), ensure_ascii=False, default=str), flush=True)

    def refuse(exc: ReportKitError, code: int) -> None:
        if json_events:
            emit_json(BatchEvent("batch", "error", str(spec), error=str(exc)))
        _fail(exc, code)

    try:
        plan = plan_batch(spec, matrix, lang=lang, theme=theme)
        executor = None
        if scheduler is not None or dask_local is not None:
            executor = make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local)
    except ReportKitError as exc:
        refuse(exc, 2)
        return
    try:
        if json_events:
            result = run_batch(plan, out_dir, workers=workers, executor=executor, force=force, retries=retries,
                               cache_dir=cache_dir, on_event=emit_json, warm_kernels=not cold_kernels)
        else:
            result = _batch_with_progress(plan, out_dir, workers=workers, executor=executor, force=force,
                                          retries=retries, cache_dir=cache_dir, warm_kernels=not cold_kernels)
    except ReportKitError as exc:
        refuse(exc, 2)
        return
    except KeyboardInterrupt as exc:
        _interrupted(exc, f"unfinished rows are marked interrupted in {out_dir.rstrip('/')}/index.json; "
                          "run the same command again to complete only what is missing")
        return
    finally:
        if executor is not None:
            executor.close()
    if not json_events:
        s = result.summary()
        out.print(f"batch {plan.spec.id}: {s['done']} done, {s['reused']} reused, {s['failed']} failed "
                  f"({s['runs_executed']} runs executed, {s['runs_cached']} cached) in {s['seconds']:.1f} s "
                  f"on {s['executor'] or 'nothing (all current)'}")
        out.print(f"   index: {result.location}/index.html", soft_wrap=True)
        for row in result.failed:
            kept = f" (notebook kept: {row.failed_notebook})" if row.failed_notebook else ""
            _say(f"row {row.id} failed:", f"{row.error or ''}{kept}")
    if not result.ok:
        raise typer.Exit(code=1)


@app.command()
def publish(
    source: Annotated[str, typer.Argument(help="a build folder, or a batch folder (each row goes to the client its id names); either may be s3://bucket/prefix")],
    to: Annotated[str, typer.Option("--to", help="destination: a local folder or s3://bucket/prefix")],
    client: Annotated[str | None, typer.Option("--client", help="the client of a single build (or one row of a batch)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be written; write nothing")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Publish finished builds to DEST/<client>/<report>/<version>/ (immutable, verifiable).

    S3 credentials and endpoint come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL) or ~/.config/reportkit/storage.toml, never from a spec.
    """
    _configure_logging(verbose)
    from .publish import publish as do_publish

    try:
        releases = do_publish(source, to, client=client, dry_run=dry_run)
    except ReportKitError as exc:
        _fail(exc, 2)
    for r in releases:
        if dry_run:
            state = "would write" if r.created else "already published; would write nothing new"
            out.print(f"{r.client}/{r.report}/{r.version}: {state}", highlight=False)
            for path in r.written if r.created else []:
                out.print(f"   {path}", highlight=False, soft_wrap=True)
        else:
            state = "published" if r.created else "already published (no new version)"
            out.print(f"{r.client}/{r.report}/{r.version}: {state} → {r.location}", highlight=False, soft_wrap=True)


@app.command()
def verify(
    release: Annotated[str, typer.Argument(help="a published release: DEST/<client>/<report>/<version>")],
) -> None:
    """Re-hash every file of a published release against its manifest; exit 1 on any mismatch."""
    from .publish import verify as do_verify

    try:
        problems = do_verify(release)
    except ReportKitError as exc:
        _fail(exc, 2)
    if problems:
        for problem in problems:
            _say("mismatch:", problem)
        raise typer.Exit(code=1)
    out.print(f"{release}: ok, every file matches its manifest", highlight=False, soft_wrap=True)


@app.command()
def share(
    path: Annotated[str, typer.Argument(help="a published file: s3://bucket/prefix/<client>/<report>/<version>/report.pdf")],
    expires: Annotated[str, typer.Option("--expires", help="how long the link works: e.g. 3600, 30m, 12h, 7d")] = "7d",
) -> None:
    """Print a presigned link to one published file, valid for --expires (S3 destinations)."""
    from .publish import share as do_share

    try:
        seconds = _seconds(expires)
        link = do_share(path, expires=seconds)
    except ReportKitError as exc:
        _fail(exc, 2)
    console.print(f"valid for {expires} ({seconds} s):", highlight=False)
    print(link)


def _seconds(text: str) -> int:
    import re

    from .errors import PublishError

    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise PublishError(f"--expires {text!r}: expected a positive duration such as 3600, 30m, 12h or 7d")
    seconds = int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    if seconds > 7 * 86400:
        raise PublishError(f"--expires {text!r}: S3 presigned links last at most 7 days (604800 s)")
    return seconds


@app.command()
def doctor(
    kernel: Annotated[str, typer.Option("--kernel", help="the Jupyter kernel section notebooks run on")] = "reportkit",
) -> None:
    """Check this machine's set-up (Python, packages, kernel, CJK fonts, WeasyPrint, build/ folder,
    optional Dask and S3 credentials); each problem comes with its fix. Exit 1 if a required part fails."""
    from .doctor import main as run_doctor

    code = run_doctor(kernel_name=kernel)
    if code:
        raise typer.Exit(code=code)


@app.command()
def preview(
    spec: Annotated[Path, typer.Argument(help="report spec (YAML)")],
    watch_files: Annotated[bool, typer.Option("--watch", help="rebuild when a notebook, template or data file changes")] = False,
    port: Annotated[int, typer.Option("--port", help="serve on http://127.0.0.1:PORT/report.html (0: any free port)")] = 8000,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder of the preview build (default: build/<id>-preview)")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh, en, zh-Hant or zh-HK (default: the spec's)")] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="theme (default: the spec's)")] = None,
    debounce: Annotated[int, typer.Option("--debounce", help="milliseconds that group a burst of saves into one rebuild")] = 50,
    interval: Annotated[float, typer.Option("--interval", help="with --poll, or where the file system gives no change events (network drives): seconds between looks")] = 1.0,
    poll: Annotated[bool, typer.Option("--poll", help="look for changes every --interval seconds instead of waiting for file events")] = False,
) -> None:
    """Build SPEC's HTML and serve it on localhost; with --watch, rebuild on every change, running
    only the sections whose code, parameters or data changed (the run cache does the rest), and
    reload the page in the browser where it was scrolled to."""
    from .spec import load_spec
    from .watch import Rebuild, Watcher, serve, watch

    try:
        spec_obj = load_spec(spec)
        if debounce < 1:
            raise ReportKitError(f"--debounce {debounce}: expected a positive number of milliseconds")
        if not interval > 0:
            raise ReportKitError(f"--interval {interval}: expected a positive number of seconds")
        out_path = out_dir or Path(spec_obj.root) / "build" / f"{spec_obj.id}-preview"
        watcher = Watcher(spec, out_path, lang=lang, theme=theme, warm_kernels=watch_files)
        server = serve(out_path, port, watcher=watcher)  # first: the page says "building" until the build is done
    except ReportKitError as exc:
        _fail(exc)
        return

    def report(r: Rebuild) -> None:
        if r.error:
            _say("rebuild failed", f"(the last good page stays): {r.error}")
        else:
            ran = ", ".join(r.executed) or "nothing (all from the run cache)"
            console.print(f"rebuilt in {r.seconds:.1f} s; executed: {ran}", soft_wrap=True)

    url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
    out.print(f"serving {url}" + (" — watching for changes (Ctrl-C to stop)" if watch_files else " (Ctrl-C to stop)"),
              highlight=False, soft_wrap=True)
    try:
        first = watcher.check()
        if first is not None:
            report(first)
        if watch_files and poll:
            watch(watcher, interval=interval, report=report)
        elif watch_files:
            watcher.watch(report=report, debounce_ms=debounce, poll_delay_ms=int(interval * 1000))
        else:
            import threading

            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    except ReportKitError as exc:
        _fail(exc)
    finally:
        server.shutdown()
        server.server_close()
        watcher.close()


new_app = typer.Typer(help="Scaffold a section notebook or a report spec.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("section")
def new_section_cmd(
    name: Annotated[str, typer.Argument(help="section id: lowercase letters, digits, _ (e.g. channel_mix)")],
    kind: Annotated[str, typer.Option("--kind", help="engagement (a brand × week panel), market (a market series: "
                                      "growth, compound growth, a forecast with its interval) or blank")] = "engagement",
    spec: Annotated[Path | None, typer.Option("--spec", help="register the section in this report spec")] = None,
    notebooks_dir: Annotated[Path, typer.Option("--notebooks", help="where the notebook goes")] = Path("notebooks"),
    title_zh: Annotated[str | None, typer.Option("--title-zh", help="Chinese title (default: the name)")] = None,
    title_en: Annotated[str | None, typer.Option("--title-en", help="English title (default: the name)")] = None,
    data: Annotated[str | None, typer.Option("--data", help="default data file of the notebook (engagement: the "
                                             "panel, market: the series, blank: a table; default: the demo's)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE: a parameter of the section in the spec (repeatable)")] = None,
) -> None:
    """Scaffold notebooks/NAME.ipynb of a kind (typed parameters holding its data roles, data loading,
    analysis, records, report narrative with placeholders) and, with --spec, add it to that report
    (-p NAME=VALUE sets the section's parameters there, e.g. -p encoding=gb18030 -p 'columns={品牌: brand, 周: week}';
    a market series: --kind market -p data_path=data/my.csv -p 'columns={月份: period, 成交额: value}' -p unit=万元)."""
    from .scaffold import new_section

    try:
        values = _parse_pairs(param or [], Path(f"{name}.ipynb"))
        path = new_section(name, spec=spec, notebooks_dir=notebooks_dir, title_zh=title_zh, title_en=title_en,
                           data_path=data, parameters=values or None, kind=kind)
    except ReportKitError as exc:
        _fail(exc)
        return
    out.print(f"created {path}" + (f"; added section {name!r} to {spec}" if spec else ""), highlight=False)
    out.print(f"   open it in JupyterLab, or: reportkit run {path}", highlight=False)


@new_app.command("report")
def new_report_cmd(
    name: Annotated[str, typer.Argument(help="report id, e.g. beauty-2025")],
    title_zh: Annotated[str, typer.Option("--title-zh", help="Chinese title")],
    title_en: Annotated[str, typer.Option("--title-en", help="English title")],
    reports_dir: Annotated[Path, typer.Option("--reports", help="where the spec goes")] = Path("reports"),
    notebooks_dir: Annotated[Path | None, typer.Option("--notebooks", help="where its first section notebook goes")] = None,
) -> None:
    """Scaffold reports/NAME.yaml (cover, summary, a first section, appendix) and its first section notebook."""
    from .scaffold import new_report

    try:
        path = new_report(name, reports_dir=reports_dir, title_zh=title_zh, title_en=title_en,
                          notebooks_dir=notebooks_dir)
    except ReportKitError as exc:
        _fail(exc)
        return
    out.print(f"created {path}", highlight=False)
    out.print(f"   build it: reportkit build {path}", highlight=False)


def _batch_with_progress(plan: BatchPlan, out_dir: str | Path, **options: Any) -> BatchResult:
    """run_batch with rich bars (runs, rows) and a line per finished run and row."""
    from .batch import BatchEvent, run_batch

    colours = {"failed": "red", "reused": "blue", "cached": "blue", "retry": "yellow", "interrupted": "yellow"}
    with Progress(
        TextColumn("{task.description:<5}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        bars: dict[str, TaskID] = {}

        def on_event(event: BatchEvent) -> None:
            if event.kind == "batch":
                if event.status == "planned":
                    d = event.detail
                    progress.console.print(
                        f"{d['rows']} rows ({d['current_rows']} already current), {d['runs']} distinct runs needed "
                        f"({d['to_execute']} to execute, {d['cached']} cached) on {d['executor']}", highlight=False)
                    bars["run"] = progress.add_task("runs", total=d["to_execute"])
                    bars["row"] = progress.add_task("rows", total=d["rows"])
                return
            colour = colours.get(event.status, "green")
            took = f" {event.seconds:.1f} s" if event.seconds else ""
            why = f" — {event.error.splitlines()[0]}" if event.error else ""
            line = Text.assemble(f"{event.kind} {event.name}: ", (event.status, colour), f"{took}{why}")
            progress.console.print(line, soft_wrap=True)
            if event.status in ("executed", "failed", "done", "reused") and event.kind in bars:
                progress.advance(bars[event.kind])

        return run_batch(plan, out_dir, on_event=on_event, **options)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
