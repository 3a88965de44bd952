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
:mod:`reportkit.render.formatting`; themes in :mod:`reportkit.render.themes`.
"""

from __future__ import annotations

from .checks import check_html
from .html import EDITIONS, available_themes, default_templates_dir, render_html
from .pdf import PdfInfo, write_pdf
from .themes import load_theme

__all__ = ["render_html", "write_pdf", "check_html", "PdfInfo", "available_themes", "default_templates_dir",
           "load_theme", "EDITIONS"]
