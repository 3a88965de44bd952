"""One build: spec → plan → run sections → results → render HTML/PDF → manifest.

Outputs go to ``build/<report id>/`` (or ``out``): ``report.html``, ``report.pdf``,
``manifest.json`` and ``runs/<section>.ipynb`` (the executed notebooks). Every file is written
under a temporary name and renamed, so a failed or killed build never leaves a half-written file.

A build has a language, a theme (``templates/themes/<name>/``; default: the spec's) and an
edition: ``client`` (the default: no code) or ``analyst`` (adds the executed notebooks as an
appendix). The default output folder names whatever differs from the spec's defaults
(``build/<id>-en``, ``build/<id>-acme``, ``build/<id>-analyst``, ``build/<id>-en-acme-analyst``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from .atomic import write_atomic
from .cache import RunCache
from .choices import check_choice
from .errors import ReportKitError, SpecError
from .execute import DEFAULT_KERNEL
from .hashing import file_sha256
from .manifest import GitState, Manifest
from .plan import Plan, PlannedRun, make_plan, pinned_env
from .provenance import git_commit
from .record import SectionResults
from .section_run import SectionRun, run_section
from .spec import PdfVariant, ReportSpec, load_spec
from .version import __version__

if TYPE_CHECKING:
    from .kernel_pool import KernelPool

LOG = logging.getLogger(__name__)

#: the data pack a build writes beside report.pdf (spec outputs: xlsx); embedded in an archival PDF
DATA_PACK = "report-data.xlsx"

#: the variables that set BLAS/OpenMP threads (as batch workers set them)
THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

Edition = Literal["client", "analyst"]  # as reportkit.render.html.EDITIONS; checked at run time

#: progress(section_id, done_cells, total_cells)
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    """One build: its folder, its outputs (kind → path), its :class:`~reportkit.manifest.Manifest`
    (what ``manifest.json`` holds) and each section's results."""

    out_dir: Path
    outputs: dict[str, Path]
    manifest: Manifest
    results: dict[str, SectionResults] = field(repr=False)


def default_cache_dir(spec: ReportSpec) -> Path:
    return Path(spec.root) / "build" / ".runs"


def templates_digest(templates_dir: str | Path | None = None) -> str:
    """Hash of every file under the templates folder (layouts, styles, strings, themes)."""
    from .style.themes import default_templates_dir

    root = Path(templates_dir) if templates_dir is not None else default_templates_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_key(plan: Plan, *, edition: str = "client", templates: str | None = None) -> str:
    """The identity of a build's outputs: its runs' keys (code, parameters, data, environment), the
    sections' narrative (markdown cells, which the run keys leave out), the spec's texts and options, the language, theme and edition, and the templates. Outputs whose
    manifest carries the same key (and whose files match their hashes) need not be built again."""
    payload = json.dumps(
        {
            "runs": [r.run_key for r in plan.runs],
            "narrative": [r.narrative for r in plan.runs],  # prose edits re-render without re-running
            # the spec's content, not where it lies: a project moved, or extracted on a worker, is the same report
            "spec": plan.spec.model_dump(mode="json", exclude={"root", "source_path"}),
            "lang": plan.lang, "theme": plan.theme, "edition": edition,
            "templates": templates or templates_digest(),
            "environment": dict(sorted(plan.environment.items())),
        },
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def outputs_current(out_dir: str | Path, key: str) -> bool:
    """True when ``out_dir/manifest.json`` was written by a build with ``key`` and every output it
    lists is there with the size and SHA-256 the manifest records (a finished, intact build)."""
    try:
        manifest = Manifest.read(Path(out_dir) / "manifest.json")
    except ReportKitError:
        return False
    if manifest.build_key != key or not manifest.files:
        return False
    try:
        return all(Path(out_dir, f.path).stat().st_size == f.bytes and file_sha256(Path(out_dir, f.path)) == f.sha256
                   for f in manifest.files)
    except OSError:
        return False


def default_out_dir(spec: ReportSpec, lang: str, theme: str | None = None, edition: str = "client") -> Path:
    parts = [spec.id]
    if lang != spec.language:
        parts.append(lang)
    if theme and theme != spec.theme:
        parts.append(theme)
    if edition != "client":
        parts.append(edition)
    return Path(spec.root) / "build" / "-".join(parts)


@dataclass(frozen=True)
class PlanRuns:
    """What running a plan gave: each section's :class:`~reportkit.section_run.SectionRun`."""

    runs: dict[str, SectionRun]

    @property
    def results(self) -> dict[str, SectionResults]:
        return {s: r.results for s, r in self.runs.items()}

    @property
    def notebooks(self) -> dict[str, Any]:  # section → executed nbformat.NotebookNode
        return {s: r.nb for s, r in self.runs.items()}

    @property
    def timings(self) -> dict[str, float]:
        return {f"run:{s}": r.seconds for s, r in self.runs.items()}

    @property
    def reused(self) -> dict[str, bool]:
        return {s: r.reused for s, r in self.runs.items()}


def thread_limits() -> dict[str, str]:
    """One BLAS/OpenMP thread per kernel, as batch workers have, unless the user set the variables:
    the models of a section are small (a 10-year series, a few thousand rows), where more threads
    only add overhead — an ARIMA back-test took 3.8 s on one OpenBLAS thread and 38 s on two on a
    busy 2-core machine — and sections running side by side share the cores between them."""
    return {name: os.environ.get(name, "1") for name in THREAD_LIMITS}


def kernel_env(cache: RunCache | None) -> dict[str, str]:
    """What a build adds to its kernels' environment: :func:`thread_limits`, and with a run cache
    the folder where results a later run repeats are stored (:mod:`reportkit.analysis.memo`). A
    :class:`~reportkit.kernel_pool.KernelPool` given to :func:`run_plan` must be opened with it."""
    env = thread_limits()
    if cache is not None:
        from .analysis.memo import MEMO_ENV

        env[MEMO_ENV] = str(cache.folder / "memo")
    return env


def run_plan(
    plan: Plan, out_dir: Path, *, cache: RunCache | None = None, progress: BuildProgress | None = None,
    workers: int | None = None, kernels: KernelPool | Literal["warm", "cold"] = "warm",
) -> PlanRuns:
    """Execute (or reuse from ``cache``) every planned run; read back what each recorded.

    Runs that must execute run ``workers`` at a time (default: the number of cores), each in its
    own kernel with private sockets and its own output files, one BLAS thread each
    (:func:`thread_limits`). ``kernels``: ``"warm"`` (the default) forks the kernels of a build that
    executes two runs or more from one pre-imported template (:mod:`reportkit.kernel_pool`),
    ``"cold"`` starts each kernel from scratch, a :class:`~reportkit.kernel_pool.KernelPool` (opened
    with :func:`kernel_env`) is used as given and left open. Results and the order of ``runs`` do not depend on either choice.
    """
    cached = {r.section for r in plan.runs if cache is not None and cache.get(r.run_key) is not None}
    todo = [r for r in plan.runs if r.section not in cached]
    n = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    env = kernel_env(cache)
    pool: KernelPool | None = kernels if not isinstance(kernels, str) else None
    own_pool = kernels == "warm" and len(todo) >= 2
    if own_pool:
        from .kernel_pool import open_pool

        pool = open_pool(DEFAULT_KERNEL, [r.notebook for r in todo], env=env)

    def one(run: PlannedRun, stop: threading.Event | None = None) -> SectionRun:
        hook = (lambda d, total, _s=run.section: progress(_s, d, total)) if progress else None
        return run_section(
            run.notebook, out_dir / "runs" / f"{run.section}.ipynb", run.parameters, cwd=plan.spec.root,
            section=run.section, shown_as=os.path.relpath(run.notebook, plan.spec.root), secret=run.secret,
            run_key=run.run_key, cache=cache, progress=hook, kernels=pool, env={**env, **pinned_env(run)}, stop=stop)

    try:
        done = {r.section: one(r) for r in plan.runs if r.section in cached}
        if n == 1:
            done.update({r.section: one(r) for r in todo})
        else:
            done.update(_in_parallel(todo, one, n))
    finally:
        if own_pool and pool is not None:
            pool.close()
    return PlanRuns({r.section: done[r.section] for r in plan.runs})


def _in_parallel(todo: list[PlannedRun], one: Callable[..., SectionRun], n: int) -> dict[str, SectionRun]:
    """``one(run, stop)`` for each run, ``n`` at a time in threads (each drives its own kernel
    process). On Ctrl-C the running kernels are interrupted and the first interruption is raised;
    otherwise the first error, in plan order, once every run has ended."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="reportkit-run") as executor:
        futures = {run.section: executor.submit(one, run, stop) for run in todo}
        try:
            futures_wait(futures.values())
        except KeyboardInterrupt:
            stop.set()  # each run interrupts its kernel and raises RunInterrupted, leaving nothing behind
            for future in futures.values():
                future.cancel()
            futures_wait([f for f in futures.values() if not f.cancelled()])
            for future in futures.values():
                if not future.cancelled() and isinstance(future.exception(), KeyboardInterrupt):
                    raise future.exception() from None  # type: ignore[misc]
            raise
    errors = [f.exception() for f in futures.values() if f.exception() is not None]
    if errors:
        raise errors[0]  # type: ignore[misc]
    return {section: f.result() for section, f in futures.items()}


def _warm_renderer() -> None:
    """Import the renderer and lay out a line of Chinese and Latin text once (WeasyPrint's import and
    the first font look-up take about half a second), so that the report's own render starts warm."""
    try:
        from weasyprint import HTML

        from . import render  # noqa: F401 - its import is part of what is warmed

        HTML(string='<html lang="zh"><body><p style="font-family: sans-serif">中文 Abc 123</p>'
                    '<p style="font-family: serif">中文 Abc 123</p></body></html>').render()
    except Exception:
        LOG.debug("warming the renderer failed", exc_info=True)


def build_report(
    spec: str | Path | ReportSpec,
    *,
    lang: str | None = None,
    out: str | Path | None = None,
    cache: bool = True,
    progress: BuildProgress | None = None,
    theme: str | None = None,
    edition: Edition = "client",
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    kernels: KernelPool | Literal["warm", "cold"] = "warm",
    pdf: str | None = None,
) -> BuildResult:
    """Build one report. Validates everything first; raises a ReportKitError on any failure.

    With ``cache`` (the default), runs whose key is in ``build/.runs/`` of the project are reused
    instead of executed; ``cache=False`` executes every section. ``theme`` overrides the spec's
    theme (report colours and fonts, and the figures' palette: notebooks with a ``theme``
    parameter receive it). ``edition``: ``"client"`` (no code) or ``"analyst"`` (adds each
    executed section notebook, code and outputs, as an appendix). ``cache_dir`` replaces the
    project's ``build/.runs/``. ``workers``: sections executed at once (default: the number of
    cores); ``kernels``: ``"warm"``, ``"cold"`` or a pool (see :func:`run_plan`). ``pdf``
    overrides the spec's PDF variant: ``"standard"``, ``"accessible"`` (tagged PDF/UA-1) or
    ``"archival"`` (PDF/A-3a with the data pack embedded).
    """
    from .render import check_html, render_html, write_pdf
    from .render.font_checks import check_glyphs, report_fonts
    from .render.html import check_edition
    from .render.problems import raise_if_problems
    from .render.result_checks import check_results
    from .style.themes import load_theme

    started = time.perf_counter()
    check_edition(edition)  # before anything runs
    spec = spec if isinstance(spec, ReportSpec) else load_spec(spec)
    if pdf is not None:  # part of the spec from here on, so the build key and the manifest carry it
        spec = spec.model_copy(update={"pdf": check_choice("--pdf", pdf, get_args(PdfVariant), error=SpecError)})
    theme = load_theme(theme or spec.theme).name  # an unknown theme lists the available ones
    store = RunCache(cache_dir if cache_dir is not None else default_cache_dir(spec)) if cache else None
    with ExitStack() as stack:
        if kernels == "warm" and len(spec.sections) >= 2 and (store is None or store.is_empty()):
            # every run will execute: the warm-kernel template starts importing while the plan is made
            from .kernel_pool import open_pool

            early = open_pool(DEFAULT_KERNEL, [spec.resolve(s.notebook) for s in spec.sections], env=kernel_env(store))
            if early is not None:
                kernels = stack.enter_context(early)
        plan = make_plan(spec, lang=lang, theme=theme)
        out_dir = Path(out) if out is not None else default_out_dir(spec, plan.lang, theme, edition)
        out_dir.mkdir(parents=True, exist_ok=True)
        timings: dict[str, float] = {"plan": round(time.perf_counter() - started, 3)}
        # while kernels execute, this process is idle: load the renderer and its fonts off the critical path
        warming = threading.Thread(target=_warm_renderer, name="reportkit-warm-renderer", daemon=True)
        warming.start()
        runs = run_plan(plan, out_dir, cache=store, progress=progress, workers=workers, kernels=kernels)
        warming.join()
    results = runs.results
    timings.update(runs.timings)
    # checks before anything reaches a client: tracebacks, stderr, missing values, placeholders, …
    t0 = time.perf_counter()
    raise_if_problems(check_results(results, runs.notebooks))
    if "xlsx" in spec.outputs:  # the data pack holds every figure's data: one recorded without it fails here
        from .render.data_pack import figures_without_data

        raise_if_problems(figures_without_data(results), what="the data pack")
    timings["check_results"] = round(time.perf_counter() - t0, 3)

    git = git_commit(spec.root)
    manifest = Manifest.from_runs(
        plan, runs.runs, out_dir=out_dir, edition=edition, git=GitState(git["commit"], git.get("dirty")),
        generated=datetime.now(UTC).replace(microsecond=0).isoformat(),
        build_key=build_key(plan, edition=edition), version=__version__)
    notebooks = runs.notebooks if edition == "analyst" else None
    outputs: dict[str, Path] = {}
    t0 = time.perf_counter()
    html = render_html(spec, results, lang=plan.lang, build_info=manifest.build_info, theme=theme, edition=edition,
                       notebooks=notebooks)
    check_html(html)
    raise_if_problems(check_glyphs(html, fonts=report_fonts(plan.lang)), what="the report's text")
    timings["render_html"] = round(time.perf_counter() - t0, 3)
    if "html" in spec.outputs:
        outputs["html"] = out_dir / "report.html"
        write_atomic(outputs["html"], html)
    if "xlsx" in spec.outputs:  # before the PDF: an archival PDF embeds it
        from .hanzi import converter
        from .render.data_pack import section_sources, write_data_pack

        t0 = time.perf_counter()
        outputs["xlsx"] = write_data_pack(out_dir / DATA_PACK, spec, results, lang=plan.lang, generated=manifest.generated,
                                          sources=section_sources(plan),
                                          convert=converter(plan.lang, keep=spec.proper_names))
        timings["render_xlsx"] = round(time.perf_counter() - t0, 3)
    else:  # a data pack left by an earlier build of this folder is not this build's (nor in its manifest)
        (out_dir / DATA_PACK).unlink(missing_ok=True)
    if "pdf" in spec.outputs:
        t0 = time.perf_counter()
        embedded = (out_dir / DATA_PACK,) if spec.pdf == "archival" else ()
        if embedded and not embedded[0].is_file():
            raise SpecError(f"pdf: archival embeds the data pack {DATA_PACK}, which this build does not write; "
                            "add xlsx to the spec's outputs", path=spec.source_path)
        pdf_info = write_pdf(html, out_dir / "report.pdf", base_dir=out_dir, variant=spec.pdf, attachments=embedded,
                             created=datetime.fromisoformat(manifest.generated))
        timings["render_pdf"] = round(time.perf_counter() - t0, 3)
        outputs["pdf"] = out_dir / "report.pdf"
    timings["total"] = round(time.perf_counter() - started, 3)

    manifest = manifest.with_outputs(outputs, out_dir, pdf_pages=pdf_info.pages if "pdf" in outputs else None,
                                     timings=timings)
    write_atomic(out_dir / "manifest.json", manifest.to_json())
    outputs["manifest"] = out_dir / "manifest.json"
    return BuildResult(out_dir, outputs, manifest, results)
