"""Preview a section from inside its notebook: what the current run recorded, laid out and rendered
exactly as the report will show it, without running anything again.

``rk.preview()`` in a JupyterLab cell takes the saved notebook (JupyterLab tells the kernel which
one it serves) and this kernel's records, and puts every record in the place of the code cell that
made it, between the notebook's narrative cells, as an executed notebook holds them. That notebook
is read by :func:`reportkit.record.read_results` and rendered by
:func:`reportkit.render.html.render_html`, the two steps of a build, with the report's spec (the
section's title), templates, theme and strings; the chapter, the section's summary and its appendix
material are cut from the rendered page. Nothing is executed and nothing is written.

The rules, which the note above the preview states each time:

* **The current run.** A run starts when the notebook's parameters cell runs: a cell made only of
  assignments, at least one to a name the saved notebook's ``parameters`` cell assigns (the cell
  itself, edited or not; without a saved notebook, a cell of annotated assignments). Records made
  before the last such cell ran are left out and named: after a parameter changes and the notebook
  runs again, a record the new parameters no longer make does not linger.
* **Placement.** A record belongs to the saved code cell whose source is the source of the cell
  (``In [n]``) that recorded it; a record of a cell edited since the last save, or of a cell not in
  the notebook, comes after the records of the cell that ran before it.
* **Narrative as saved.** Markdown cells come from the notebook file, so edits show once saved.
* **In the frame.** The page sits in a sandboxed frame (scripts, no same origin): its own script
  makes links to ``#anchors`` scroll within the preview (opening the appendix panel when the target
  is in it) and tells the output the page's height, so the frame fits its content. Where the output's
  own script does not run (an untrusted notebook), the frame keeps a fixed height and scrolls.
"""

from __future__ import annotations

import ast
import html
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RenderError, ReportKitError
from .manifest import BuildInfo, SectionInfo
from .record import (
    INJECTED_TAG,
    MIME_TYPE,
    Record,
    SectionResults,
    read_results,
    record_to_dict,
    session_origins,
    session_records,
)

if TYPE_CHECKING:
    from .spec import ReportSpec, SectionSpec

#: JupyterLab (jupyter-server) tells the kernel which notebook it serves in this variable
SESSION_ENV = "JPY_SESSION_NAME"
PARAMETERS_TAG = "parameters"
#: the frame's height before its page reports its own (and where the output's script does not run)
INITIAL_HEIGHT = 640
MIN_HEIGHT = 80


# --------------------------------------------------------------------------- what the run recorded


@dataclass(frozen=True)
class PreviewInput:
    """A section as the preview shows it, and where it came from (for the note)."""

    results: SectionResults
    notebook: Path | None  # the saved notebook the narrative and the layout come from
    saved_at: datetime | None  # when that file was last saved
    run_start: int | None  # In [n] of the parameters cell's last run; None: none seen, every record shown
    left_out: tuple[str, ...]  # records made before that run, not shown


def _current_notebook() -> Path | None:
    name = os.environ.get(SESSION_ENV, "")
    path = Path(name) if name else None
    return path if path is not None and path.suffix == ".ipynb" and path.is_file() else None


def _history() -> list[str]:
    """This kernel's cell sources by execution count (``In [n]`` is item ``n``); [] outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel, a dependency
        return []
    shell = get_ipython()
    return list(shell.history_manager.input_hist_raw) if shell is not None else []


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _assignments(source: str) -> tuple[frozenset[str], bool] | None:
    """The names a cell made only of assignments to plain names assigns, and whether every one is
    annotated (``n: int = 3``); None for any other cell (or one that does not parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    names: set[str] = set()
    annotated = True
    for stmt in body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            annotated = False
        else:
            return None
    return (frozenset(names), annotated) if names else None


def parameter_names(nb: Any) -> frozenset[str]:
    """The names the notebook's ``parameters`` cell assigns (none without such a cell)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in (cell.get("metadata") or {}).get("tags", []):
            found = _assignments(_source(cell))
            return found[0] if found else frozenset()
    return frozenset()


def run_start(history: Sequence[str], parameters: frozenset[str]) -> int | None:
    """``In [n]`` of the last run of the parameters cell (see the module's rules), or None."""
    for n in range(len(history) - 1, 0, -1):
        found = _assignments(history[n])
        if found is not None and (found[0] & parameters if parameters else found[1]):
            return n
    return None


def arrange(nb: Any | None, records: Sequence[Record], origins: Mapping[str, tuple[int, int]],
            history: Sequence[str]) -> dict[str, Any]:
    """An executed notebook (nbformat 4, as a dict) made of the saved notebook ``nb`` (its cells in
    order, outputs dropped) and ``records``, each an output of the code cell that made it; what
    :func:`reportkit.record.read_results` reads in a build.

    ``origins`` maps a record's name to (``In [n]`` of the cell that made it, call number);
    ``history[n]`` is that cell's source. Records that belong to no saved cell and ran before all
    that do go into a leading cell tagged ``injected-parameters`` (not numbered, so the narrative
    cells keep the numbers the analyst sees)."""
    saved = list(nb.get("cells", [])) if nb is not None else []
    cells: list[dict[str, Any]] = []
    by_source: dict[str, int] = {}
    for index, cell in enumerate(saved):
        copy = {"cell_type": cell.get("cell_type"), "metadata": dict(cell.get("metadata") or {}),
                "source": _source(cell)}
        if copy["cell_type"] == "code":
            copy["outputs"] = []
            by_source.setdefault(copy["source"].strip(), index)
        cells.append(copy)

    # In [n] → the saved cell it ran (None: edited since saved, or not in the notebook)
    ran: list[int | None] = [None, *(by_source.get(src.strip()) for src in history[1:])]
    placed: list[tuple[int, int, int, Record]] = []  # (cell index or -1, 0: its own / 1: after it, call)
    for rec in records:
        n, call = origins.get(rec.name, (0, 0))
        n = n if 0 < n < len(ran) else 0
        own = ran[n]
        if own is not None:
            placed.append((own, 0, call, rec))
            continue
        before = [c for c in ran[1:n] if c is not None]
        placed.append((before[-1] if before else -1, 1, call, rec))
    lead: dict[str, Any] = {"cell_type": "code", "metadata": {"tags": [INJECTED_TAG]}, "source": "", "outputs": []}
    for index, _, _, rec in sorted(placed, key=lambda p: p[:3]):
        target = cells[index] if index >= 0 else lead
        target["outputs"].append({"output_type": "display_data", "metadata": {},
                                  "data": {MIME_TYPE: record_to_dict(rec), "text/plain": rec.name}})
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ([lead] if lead["outputs"] else []) + cells}


def collect(*, section: str = "preview", notebook: str | Path | None = None,
            history: Sequence[str] | None = None) -> PreviewInput:
    """What the current run of this kernel recorded, laid out in ``notebook`` (default: the one
    JupyterLab serves) as :func:`arrange` does and read as a build reads a run. ``history``: the
    kernel's cell sources by execution count (default: this kernel's)."""
    import nbformat

    path = Path(notebook) if notebook is not None else _current_notebook()
    if path is not None and not path.is_file():
        raise RenderError(f"preview: notebook={str(notebook)!r} is not a file; expected the path of the section's "
                          ".ipynb (or none, in JupyterLab: the notebook the kernel serves)")
    nb = nbformat.read(path, as_version=4) if path is not None else None
    history = _history() if history is None else history
    origins = session_origins()
    start = run_start(history, parameter_names(nb) if nb is not None else frozenset())
    records: list[Record] = []
    left_out: list[Record] = []
    for rec in session_records():
        stale = start is not None and origins.get(rec.name, (0, 0))[0] < start
        (left_out if stale else records).append(rec)
    if not records:
        what = (f"nothing since the parameters cell last ran (In [{start}]); " if left_out
                else "this kernel has recorded nothing yet; ")
        raise RenderError(f"nothing to preview: {what}run the cells that call rk.record(...) first")
    shown_as = str(path) if path is not None else "(this kernel)"
    results = read_results(arrange(nb, records, origins, history), section=section, notebook=shown_as, parameters={})
    saved_at = datetime.fromtimestamp(path.stat().st_mtime) if path is not None else None
    return PreviewInput(results, path, saved_at, start, tuple(r.name for r in left_out))


def section_results(*, section: str = "preview", notebook: str | Path | None = None) -> SectionResults:
    """What the current run recorded, with the notebook's narrative cells in their places (see
    :func:`collect`), as a build's :func:`~reportkit.record.read_results` gives it."""
    return collect(section=section, notebook=notebook).results


def preview_build_info(results: SectionResults) -> BuildInfo:
    """The provenance of a preview: one section, nothing run, no data hashed, no commit."""
    from .version import __version__

    return BuildInfo(generated="", commit="", reportkit_version=__version__, spec_path="",
                     sections={results.section: SectionInfo(results.notebook, dict(results.parameters), "")})


# --------------------------------------------------------------------------- the report's spec


def _report_section(notebook: Path | None) -> tuple[ReportSpec, SectionSpec] | None:
    """(spec, section) of the first report spec in the project's ``reports/`` with a section that
    runs ``notebook``; None when there is none (specs that do not load are passed over)."""
    if notebook is None:
        return None
    from .data.paths import project_root
    from .spec import load_spec

    try:
        root = project_root(notebook)
    except ReportKitError:
        return None
    for spec_path in sorted((root / "reports").glob("*.y*ml")):
        try:
            spec = load_spec(spec_path)
        except ReportKitError:
            continue
        for sec in spec.sections:
            if spec.resolve(sec.notebook).resolve() == notebook.resolve():
                return spec, sec
    return None


def _heading(nb_path: Path | None) -> str:
    """The first ``# heading`` of the saved notebook, else its file name; "Preview" without one."""
    if nb_path is None:
        return "Preview"
    import nbformat

    for cell in nbformat.read(nb_path, as_version=4).cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+?)\s*$", cell.source, flags=re.M)
            if m:
                return m.group(1)
    return nb_path.stem


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class Preview:
    """What :func:`preview` shows: the page (the chapter as the report renders it, then a panel with
    the section's summary and appendix material), in a frame under a note saying what it shows."""

    page: str  # the standalone HTML page in the frame
    note: tuple[str, ...]  # sentences: what is shown, what was left out, when the narrative was saved
    source: PreviewInput
    height: int | None = None  # a fixed frame height in px; None: the frame fits its content
    token: str = ""  # ties the frame's messages to its output

    @property
    def data(self) -> str:
        """The HTML of the output: the note, the sandboxed frame and the script that sizes it."""
        token = self.token or "rk"
        fixed = self.height is not None
        frame = (f'<iframe title="reportkit preview" srcdoc="{html.escape(self.page, quote=True)}" '
                 f'sandbox="allow-scripts" style="display:block;width:100%;'
                 f'height:{int(self.height or INITIAL_HEIGHT)}px;border:1px solid #ddd"></iframe>')
        note = "<br>".join(html.escape(s) for s in self.note)
        script = (_OUTPUT_SCRIPT.replace("__TOKEN__", token).replace("__FIT__", "false" if fixed else "true")
                  .replace("__MIN__", str(MIN_HEIGHT)))
        return (f'<div class="reportkit-preview" id="reportkit-preview-{token}" style="position:relative">'
                f'<p class="reportkit-preview-note" style="font-size:12px;line-height:1.5;color:#555;margin:0 0 6px">'
                f'{note}</p>{frame}<div class="reportkit-preview-marker" style="position:absolute;left:0;top:0;'
                f'width:1px;height:1px"></div><script>{script}</script></div>')

    def _repr_html_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return "\n".join(self.note)


#: in the output, beside the frame: fit the frame to the height its page reports; scroll the
#: notebook to the point of the page a link asked for (the frame itself does not scroll then)
_OUTPUT_SCRIPT = """(function () {
  var box = (document.currentScript && document.currentScript.parentNode) ||
            document.getElementById("reportkit-preview-__TOKEN__");
  if (!box) return;
  var frame = box.querySelector("iframe"), marker = box.querySelector(".reportkit-preview-marker");
  window.addEventListener("message", function (e) {
    var m = e.data;
    if (!frame.contentWindow || e.source !== frame.contentWindow || !m || m.reportkitPreview !== "__TOKEN__") return;
    if (__FIT__ && typeof m.height === "number") frame.style.height = Math.max(m.height, __MIN__) + "px";
    if (__FIT__ && typeof m.scroll === "number") {
      marker.style.top = (frame.offsetTop + frame.clientTop + m.scroll) + "px";
      marker.scrollIntoView({block: "start"});
    }
  });
  function ask() { if (frame.contentWindow) frame.contentWindow.postMessage({reportkitPreview: "__TOKEN__", ask: true}, "*"); }
  frame.addEventListener("load", ask);
  ask();
})();"""

#: in the frame: links to #anchors scroll within the preview (never navigate the frame: its URL
#: would resolve against the notebook's); the page reports its height to the output
_FRAME_SCRIPT = """(function () {
  var token = "__TOKEN__";
  function post(m) { m.reportkitPreview = token; parent.postMessage(m, "*"); }
  function height() {
    var b = document.body;
    return Math.ceil(b.getBoundingClientRect().bottom + window.scrollY + (parseFloat(getComputedStyle(b).marginBottom) || 0));
  }
  function size() { post({height: height()}); }
  new ResizeObserver(size).observe(document.body);
  window.addEventListener("load", size);
  window.addEventListener("message", function (e) { if (e.source === parent && e.data && e.data.ask) size(); });
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[href]") : null;
    if (!a) return;
    e.preventDefault();
    var href = a.getAttribute("href");
    if (href.charAt(0) !== "#") return;
    var target = document.getElementById(decodeURIComponent(href.slice(1)));
    if (!target) return;
    for (var d = target.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    Array.prototype.forEach.call(document.querySelectorAll(".rk-preview-target"), function (el) {
      el.classList.remove("rk-preview-target");
    });
    target.classList.add("rk-preview-target");
    size();
    target.scrollIntoView({block: "start"});
    post({scroll: Math.round(target.getBoundingClientRect().top + window.scrollY), target: target.id});
  });
})();"""

_FRAME_CSS = """
body.rk-preview { margin: 0; padding: 16px 24px; }
.rk-preview-more { margin: 32px 0 0; border-top: 1px solid #ccc; }
.rk-preview-more > summary { cursor: pointer; padding: 10px 0; font-weight: 700; color: var(--rk-accent, #333); }
.rk-preview-target { outline: 3px solid #f0b400; outline-offset: 4px; }
"""


def _cut(pattern: str, page: str) -> str:
    m = re.search(pattern, page, flags=re.S)
    return m.group(0) if m else ""


def _preview_page(rendered: str, section_id: str, *, lang: str, more_label: str, token: str,
                  with_summary: bool) -> str:
    """The standalone page of the frame, cut from the report page ``rendered``: its head, the
    chapter of ``section_id``, then (in a closed panel) the section's summary and the appendix's
    methods and supplementary results."""
    head = _cut(r"<head>.*?</head>", rendered)
    chapter = _cut(rf'<section class="chapter" id="section-{re.escape(section_id)}".*?</section>', rendered)
    if not head or not chapter:
        raise RenderError(f"the report templates produced no chapter for section {section_id!r} to preview; "
                          f'expected <section class="chapter" id="section-{section_id}">')
    body_class = _cut(r'(?<=<body class=")[^"]*', rendered)
    summary = _cut(r'<section class="chapter chapter-front" id="summary">.*?</section>', rendered) if with_summary else ""
    appendix_head = _cut(r'<section class="chapter appendix" id="appendix">\s*<header.*?</header>', rendered)
    appendix_part = _cut(r'<h2 id="appendix-methods">.*?(?=<h2 id="appendix-data">)', rendered)
    appendix = f"{appendix_head}\n{appendix_part}</section>" if appendix_head and appendix_part else ""
    more = (f'<details class="rk-preview-more" id="rk-preview-more"><summary>{html.escape(more_label)}</summary>\n'
            f"{summary}\n{appendix}\n</details>") if more_label and (summary or appendix) else ""
    head = head.replace("</head>", f"<style>{_FRAME_CSS}</style>\n</head>")
    script = _FRAME_SCRIPT.replace("__TOKEN__", token)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">{head}<body class="{body_class} rk-preview">'
            f"{chapter}\n{more}\n<script>{script}</script></body></html>\n")


def _note(source: PreviewInput, *, title: str, where: str, lang: str) -> tuple[str, ...]:
    """The note above the preview, in ``lang`` (the catalogue's ``preview`` group)."""
    from .i18n import catalogue

    t = catalogue("preview", lang)
    lines = [t["shown"].format(title=title, where=where)]
    if source.run_start is None:
        lines.append(t["records_all"])
    else:
        lines.append(t["records_run"].format(n=source.run_start))
    if source.left_out:
        n = len(source.left_out)
        lines.append(t["left_out_one" if n == 1 else "left_out_many"].format(n=n, names=", ".join(source.left_out)))
    if source.saved_at is not None:
        lines.append(t["narrative_saved"].format(time=f"{source.saved_at:%H:%M}"))
    else:
        lines.append(t["no_narrative"])
    return tuple(lines)


def render_preview(*, title: str | None = None, lang: str | None = None, theme: str | None = None,
                   notebook: str | Path | None = None, height: int | None = None,
                   history: Sequence[str] | None = None) -> Preview:
    """The preview of the current section (see the module's rules) as :func:`preview` shows it.

    ``title``: the chapter's heading (default: the section's title in the report spec that runs this
    notebook, else the notebook's first heading); ``lang``: default the kernel's
    (``rk.use_language``); ``theme``: default the spec's, else ``default``; ``height``: a fixed
    frame height in px (default: the frame fits its content); ``history``: see :func:`collect`."""
    from .i18n import Text, catalogue, check_language, current_language
    from .render.html import APPENDIX_PREFIX, load_strings, render_html
    from .spec import ReportSpec

    lang = check_language(lang if lang is not None else current_language(), source="preview", error=RenderError)
    if height is not None and (isinstance(height, bool) or not isinstance(height, int) or height < MIN_HEIGHT):
        raise RenderError(f"preview: height={height!r} is not a frame height; expected a whole number of pixels "
                          f"(at least {MIN_HEIGHT}), or None for a frame that fits the chapter")
    path = Path(notebook) if notebook is not None else _current_notebook()
    found = _report_section(path)
    section_id = found[1].id if found else "preview"
    source = collect(section=section_id, notebook=path, history=history)
    if found is not None:
        spec, sec = found
        if title is not None:
            sec = sec.model_copy(update={"title": Text.coerce(title)})
        spec = spec.model_copy(update={"sections": (sec,), "summary": ()})
        where = catalogue("preview", lang)["where"].format(section=repr(sec.id), spec=Path(spec.source_path).name)
    else:
        heading = title if title is not None else _heading(path)
        spec = ReportSpec.model_validate({
            "id": "preview", "title": heading, "language": lang, "outputs": ["html"],
            "sections": [{"id": section_id, "notebook": str(path or "preview.ipynb"), "title": heading}],
        })
        where = ""
    theme = theme or spec.theme
    rendered = render_html(spec, {section_id: source.results}, lang=lang, build_info=preview_build_info(source.results),
                           theme=theme)
    t = load_strings(lang)
    results = source.results
    with_summary = "summary" in results
    more_label = " · ".join([t[key] for key, shown in (
        ("executive_summary", with_summary), ("methods", "methods" in results),
        ("supplementary", any(r.name.startswith(APPENDIX_PREFIX) for r in results.records))) if shown])
    token = uuid.uuid4().hex[:12]
    page = _preview_page(rendered, section_id, lang=lang, more_label=more_label, token=token, with_summary=with_summary)
    heading = _cut(r'(?<=<span class="chapter-name">).*?(?=</span>)', page)
    return Preview(page=page, note=_note(source, title=html.unescape(heading) or section_id, where=where, lang=lang),
                   source=source, height=height, token=token)


def preview_html(*, title: str | None = None, lang: str | None = None, theme: str | None = None,
                 notebook: str | Path | None = None) -> str:
    """The preview's page: a standalone HTML page (the report's CSS, the chapter, the appendix panel)."""
    return render_preview(title=title, lang=lang, theme=theme, notebook=notebook).page


def preview(*, title: str | None = None, lang: str | None = None, theme: str | None = None,
            notebook: str | Path | None = None, height: int | None = None) -> Preview:
    """Show the current section as the report will (inline in JupyterLab): a :class:`Preview`,
    so the cell's output is the note and the chapter in an isolated frame that fits its content.
    See :func:`render_preview` for the arguments and the module's docstring for what is shown."""
    return render_preview(title=title, lang=lang, theme=theme, notebook=notebook, height=height)
