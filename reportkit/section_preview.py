"""Preview a section from inside its notebook: what the kernel has recorded, rendered as the report
will show it, without running anything again.

``rk.preview()`` in a JupyterLab cell renders the current section (the records this kernel made
with ``rk.record``, and the notebook's ``report``-tagged markdown cells when the notebook file can
be found) through the report's own templates, theme and checks, and shows the chapter inline, in
an isolated frame so JupyterLab's styles and the report's do not mix. Nothing is executed and
nothing is written.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from .errors import RenderError
from .manifest import BuildInfo, SectionInfo
from .record import Record, SectionResults, session_records

#: JupyterLab (jupyter-server) tells the kernel which notebook it serves in this variable
SESSION_ENV = "JPY_SESSION_NAME"


def _notebook_markdown(notebook: Path) -> list[Record]:
    """The report-tagged markdown cells of the saved notebook, as read_results reads them."""
    import nbformat

    from .record import read_results

    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]  # the records come from this kernel
    return list(read_results(nb, section="preview", notebook=str(notebook), parameters={}).records)


def _current_notebook() -> Path | None:
    name = os.environ.get(SESSION_ENV, "")
    path = Path(name) if name else None
    return path if path is not None and path.suffix == ".ipynb" and path.is_file() else None


def section_results(*, section: str = "preview", notebook: str | Path | None = None) -> SectionResults:
    """What this kernel recorded so far (last value of each name, in first-recorded order), with
    the notebook's report markdown first when ``notebook`` (default: the one JupyterLab serves) is
    found."""
    records: list[Record] = []
    path = Path(notebook) if notebook is not None else _current_notebook()
    if path is not None:
        records.extend(_notebook_markdown(path))
    records.extend(session_records())
    if not records:
        raise RenderError("nothing to preview: this kernel has recorded nothing yet; run the cells that call "
                          "rk.record(...) first")
    return SectionResults(section=section, notebook=str(path or "(this kernel)"), parameters={}, records=tuple(records))


def preview_build_info(results: SectionResults) -> BuildInfo:
    """The provenance of a preview: one section, nothing run, no data hashed, no commit."""
    from .version import __version__

    return BuildInfo(generated="", commit="", reportkit_version=__version__, spec_path="",
                     sections={results.section: SectionInfo(results.notebook, dict(results.parameters), "")})


def preview_html(*, title: str = "Preview", lang: str = "zh", theme: str = "default",
                 notebook: str | Path | None = None) -> str:
    """The chapter as the report renders it: a standalone HTML page (report CSS and the chapter)."""
    from .render.html import render_html
    from .spec import ReportSpec

    results = section_results(notebook=notebook)
    spec = ReportSpec.model_validate({
        "id": "preview", "title": {"zh": title, "en": title}, "language": lang, "theme": theme, "outputs": ["html"],
        "sections": [{"id": "preview", "notebook": str(notebook or "preview.ipynb"), "title": {"zh": title, "en": title}}],
    })
    build_info = preview_build_info(results)
    page = render_html(spec, {"preview": results}, lang=lang, build_info=build_info, theme=theme)
    head = re.search(r"<head>.*?</head>", page, flags=re.S)
    chapter = re.search(r'<section class="chapter".*?</section>', page, flags=re.S)
    if head is None or chapter is None:  # pragma: no cover - the templates always have both
        raise RenderError("the report templates produced no chapter to preview")
    return f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">{head.group(0)}<body>{chapter.group(0)}</body></html>\n'


def preview(*, title: str = "Preview", lang: str = "zh", theme: str = "default",
            notebook: str | Path | None = None, height: int = 900) -> Any:
    """Show the current section as the report will (inline in JupyterLab). Returns an
    ``IPython.display.HTML`` object (an isolated frame), so the cell's output is the preview."""
    from IPython.display import HTML

    page = preview_html(title=title, lang=lang, theme=theme, notebook=notebook)
    return HTML(f'<div class="reportkit-preview"><iframe srcdoc="{html.escape(page, quote=True)}" '
                f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" sandbox=""></iframe></div>')
