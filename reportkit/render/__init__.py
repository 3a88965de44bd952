"""Render a report: results → self-contained HTML (Jinja2) → PDF (WeasyPrint), with checks.

* :func:`render_html` fills the templates in ``templates/report/`` with a spec and its sections'
  results, in one language, with the theme the spec names (``templates/themes/<theme>.css``)
  and the fixed strings of ``templates/i18n/<lang>.yaml``. Everything from data is escaped;
  only figure SVGs (vetted) are inlined as markup.
* :func:`check_html` lists everything a client must not see: external references, tracebacks,
  "nan"/"None" values, empty figures, template leftovers.
* :func:`write_pdf` prints the HTML to PDF without fetching anything and fails when Chinese text
  has no embedded CJK font.

Number and unit formatting (亿元, %, the minus sign, missing values) lives in
:mod:`reportkit.render.formatting`.
"""

from __future__ import annotations

from .checks import check_html
from .html import available_themes, default_templates_dir, render_html
from .pdf import PdfInfo, write_pdf

__all__ = ["render_html", "write_pdf", "check_html", "PdfInfo", "available_themes", "default_templates_dir"]
