"""Render a report: results → self-contained HTML (Jinja2) → PDF (WeasyPrint), with checks.

* :func:`render_html` fills the templates in ``templates/report/`` with a spec and its sections'
  results, in one language, with a theme (``templates/themes/<name>/``: colours, fonts, figure
  palette, cover style, logo) and the fixed strings of ``templates/i18n/<lang>.yaml``, as the
  client edition (no code) or the analyst edition (plus the executed notebooks). Everything from
  data is escaped; only figure SVGs (vetted) are inlined as markup. Cross-references
  (``[[fig:NAME]]``, ``[[tab:NAME]]``, ``[[sec:ID]]``) become numbered links.
* :func:`check_html` lists everything a client must not see: external references, tracebacks,
  "nan"/"None" values, empty figures, template leftovers.
* :func:`write_pdf` prints the HTML to PDF without fetching anything and fails when Chinese text
  has no embedded CJK font.

Number and unit formatting (亿元, %, the minus sign, missing values) lives in
:mod:`reportkit.style.formatting`; themes in :mod:`reportkit.style.themes`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Imported on first use: a command that only needs one of these should not pay for Jinja2,
# WeasyPrint and the checks.
_EXPORTS = {
    "check_html": "html_checks", "render_html": "html", "EDITIONS": "html", "available_themes": "html",
    "default_templates_dir": "html", "write_pdf": "pdf", "PdfInfo": "pdf", "load_theme": "html",
}

__all__ = ["render_html", "write_pdf", "check_html", "PdfInfo", "available_themes", "default_templates_dir",
           "load_theme", "EDITIONS"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
