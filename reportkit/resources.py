"""Where reportkit's own files are: the report templates, shipped as package data.

The templates live in ``templates/`` at the top of the repository and are installed as the package
``reportkit.templates`` (pyproject.toml maps it). :mod:`importlib.resources` finds them the same way
in an editable install (the checkout's ``templates/``) and in one from a wheel (the copy inside the
installed package), so nothing here depends on where the checkout is.

:func:`editable_source` is the checkout of an editable install (from the installation's own
metadata), for the few things that belong to the repository rather than to the package
(``pyproject.toml``); an install from a wheel has none.
"""

from __future__ import annotations

import json
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

__all__ = ["TEMPLATES_PACKAGE", "editable_source", "templates_dir"]

DISTRIBUTION = "reportkit"

#: the package that holds ``report/`` and ``themes/<name>/`` (the repository's ``templates/``)
TEMPLATES_PACKAGE = "reportkit.templates"


def templates_dir() -> Path:
    """The folder of the report templates (``report/*.j2``, ``*.css``, ``themes/<name>/``)."""
    return Path(str(files(TEMPLATES_PACKAGE)))


def editable_source() -> Path | None:
    """The folder reportkit is installed from when it is an editable install (``pip install -e``),
    read from the installation's ``direct_url.json`` (PEP 610); ``None`` for an install from a wheel
    (or from a folder, not editable), or when the imported package is not that install's."""
    # installed distributions only (a RECORD file): not the reportkit.egg-info that the build leaves
    # in the checkout, which is on sys.path when Python runs from there
    installed = [d for d in metadata.distributions(name=DISTRIBUTION) if d.read_text("RECORD") is not None]
    try:
        raw = installed[0].read_text("direct_url.json") if installed else None
        info = json.loads(raw) if raw else {}
    except ValueError:
        return None
    if not isinstance(info, dict) or not (info.get("dir_info") or {}).get("editable"):
        return None
    url = urlparse(str(info.get("url", "")))
    if url.scheme != "file":
        return None
    folder = Path(url2pathname(url.path)).resolve()
    package = Path(str(files("reportkit"))).resolve()
    return folder if folder.is_dir() and package.is_relative_to(folder) else None
