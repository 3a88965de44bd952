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
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

import nbformat

from . import __version__
from .atomic import write_atomic
from .cache import RunCache
from .execute import execute_notebook
from .plan import Plan, make_plan
from .provenance import file_sha256, git_commit
from .record import SectionResults, read_results
from .spec import ReportSpec, load_spec

Edition = Literal["client", "analyst"]  # as reportkit.render.html.EDITIONS; checked at run time

#: progress(section_id, done_cells, total_cells)
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    outputs: dict[str, Path]
    manifest: dict[str, Any]
    results: dict[str, SectionResults] = field(repr=False)


def default_cache_dir(spec: ReportSpec) -> Path:
    return Path(spec.root) / "build" / ".runs"


def templates_digest(templates_dir: str | Path | None = None) -> str:
    """Hash of every file under the templates folder (layouts, styles, strings, themes)."""
    from .render.themes import default_templates_dir

    root = Path(templates_dir) if templates_dir is not None else default_templates_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_key(plan: Plan, *, edition: str = "client", templates: str | None = None) -> str:
    """The identity of a build's outputs: its runs' keys (code, parameters, data, environment),
    the spec's texts and options, the language, theme and edition, and the templates. Outputs whose
    manifest carries the same key (and whose files match their hashes) need not be built again."""
    payload = json.dumps(
        {
            "runs": [r.run_key for r in plan.runs],
            "spec": plan.spec.model_dump(mode="json"),
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
        manifest = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("build_key") != key or not manifest.get("files"):
            return False
        for rel, meta in manifest["files"].items():
            path = Path(out_dir) / rel
            if path.stat().st_size != meta["bytes"] or file_sha256(path) != meta["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


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
    """What running a plan gave: each section's results and executed notebook, timings, reuse."""

    results: dict[str, SectionResults]
    notebooks: dict[str, Any]  # section → executed nbformat.NotebookNode
    timings: dict[str, float]
    reused: dict[str, bool]


def run_plan(
    plan: Plan, out_dir: Path, *, cache: RunCache | None = None, progress: BuildProgress | None = None
) -> PlanRuns:
    """Execute (or reuse from ``cache``) every planned run; read back what each recorded."""
    done = PlanRuns({}, {}, {}, {})
    for run in plan.runs:
        target = out_dir / "runs" / f"{run.section}.ipynb"
        rel = os.path.relpath(run.notebook, plan.spec.root)
        started = time.perf_counter()
        if cache is not None and cache.get(run.run_key) is not None:
            cache.copy_to(run.run_key, target)
            nb = nbformat.read(target, as_version=4)
            done.reused[run.section] = True
            if progress:
                progress(run.section, len(nb.cells), len(nb.cells))
        else:
            hook = (lambda d, total, _s=run.section: progress(_s, d, total)) if progress else None
            nb = execute_notebook(run.notebook, target, run.parameters, cwd=plan.spec.root, progress=hook,
                                  secret=run.secret).nb
            if cache is not None:
                cache.put(run.run_key, target)
            done.reused[run.section] = False
        done.timings[f"run:{run.section}"] = round(time.perf_counter() - started, 3)
        done.notebooks[run.section] = nb
        done.results[run.section] = read_results(nb, section=run.section, notebook=rel,
                                                 parameters=run.public_parameters)
    return done


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
) -> BuildResult:
    """Build one report. Validates everything first; raises a ReportKitError on any failure.

    With ``cache`` (the default), runs whose key is in ``build/.runs/`` of the project are reused
    instead of executed; ``cache=False`` executes every section. ``theme`` overrides the spec's
    theme (report colours and fonts, and the figures' palette: notebooks with a ``theme``
    parameter receive it). ``edition``: ``"client"`` (no code) or ``"analyst"`` (adds each
    executed section notebook, code and outputs, as an appendix). ``cache_dir`` replaces the
    project's ``build/.runs/``.
    """
    from .render import check_html, render_html, write_pdf
    from .render.checks import check_glyphs, check_results, raise_if_problems
    from .render.html import check_edition
    from .render.themes import load_theme

    started = time.perf_counter()
    edition = check_edition(edition)  # before anything runs
    spec = spec if isinstance(spec, ReportSpec) else load_spec(spec)
    theme = load_theme(theme or spec.theme).name  # an unknown theme lists the available ones
    plan = make_plan(spec, lang=lang, theme=theme)
    out_dir = Path(out) if out is not None else default_out_dir(spec, plan.lang, theme, edition)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {"plan": round(time.perf_counter() - started, 3)}

    store = RunCache(cache_dir if cache_dir is not None else default_cache_dir(spec)) if cache else None
    runs = run_plan(plan, out_dir, cache=store, progress=progress)
    results, reused = runs.results, runs.reused
    timings.update(runs.timings)
    # checks before anything reaches a client: tracebacks, stderr, missing values, placeholders, …
    t0 = time.perf_counter()
    raise_if_problems(check_results(results, runs.notebooks))
    timings["check_results"] = round(time.perf_counter() - t0, 3)

    git = git_commit(spec.root)
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    build_info = {
        "generated": generated,
        "commit": git["commit"] + (" (uncommitted changes)" if git.get("dirty") else ""),
        "reportkit_version": __version__,
        "spec_path": os.path.relpath(spec.source_path, spec.root) if spec.source_path else "",
        "sections": {
            r.section: {"notebook": results[r.section].notebook, "parameters": r.public_parameters,
                        "run_key": r.run_key}
            for r in plan.runs
        },
        "data": [{"path": path, "sha256": digest} for path, digest in plan.data_hashes.items()],
        "environment": dict(plan.environment),
    }
    notebooks = runs.notebooks if edition == "analyst" else None
    outputs: dict[str, Path] = {}
    t0 = time.perf_counter()
    html = render_html(spec, results, lang=plan.lang, build_info=build_info, theme=theme, edition=edition,
                       notebooks=notebooks)
    check_html(html)
    raise_if_problems(check_glyphs(html), what="the report's text")
    timings["render_html"] = round(time.perf_counter() - t0, 3)
    if "html" in spec.outputs:
        outputs["html"] = out_dir / "report.html"
        write_atomic(outputs["html"], html)
    if "pdf" in spec.outputs:
        t0 = time.perf_counter()
        pdf_info = write_pdf(html, out_dir / "report.pdf", base_dir=out_dir)
        timings["render_pdf"] = round(time.perf_counter() - t0, 3)
        outputs["pdf"] = out_dir / "report.pdf"
    timings["total"] = round(time.perf_counter() - started, 3)

    manifest = {
        "report": spec.id,
        "title": spec.title.get(plan.lang),
        "language": plan.lang,
        "theme": theme,
        "edition": edition,
        "spec": build_info["spec_path"],
        "generated": generated,
        "git": git,
        "reportkit_version": __version__,
        "environment": plan.environment,
        "data": [
            {"path": src.path, "sha256": plan.data_hashes[src.path], "source": src.source.get(plan.lang), "licence": src.licence}
            for src in spec.data
        ],
        "sections": [
            {
                "id": r.section,
                "notebook": results[r.section].notebook,
                "executed_notebook": os.path.relpath(out_dir / "runs" / f"{r.section}.ipynb", out_dir),
                "parameters": r.public_parameters,
                "run_key": r.run_key,
                "reused_from_cache": reused[r.section],
                "inputs": r.inputs,
                "metrics": {
                    m.name: {"value": m.value, "unit": m.unit, "label": m.label, "ci_low": m.ci_low, "ci_high": m.ci_high}
                    for m in results[r.section].of_kind("metric")
                },
            }
            for r in plan.runs
        ],
        "outputs": {k: os.path.relpath(v, out_dir) for k, v in outputs.items()},
        # every file of the build with its size and hash: `outputs_current` checks them
        "files": {
            os.path.relpath(path, out_dir): {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
            for path in [*outputs.values(), *(out_dir / "runs" / f"{r.section}.ipynb" for r in plan.runs)]
        },
        "build_key": build_key(plan, edition=edition),
        "pdf_pages": pdf_info.pages if "pdf" in outputs else None,
        "timings_seconds": timings,
    }
    write_atomic(out_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    outputs["manifest"] = out_dir / "manifest.json"
    return BuildResult(out_dir, outputs, manifest, results)
