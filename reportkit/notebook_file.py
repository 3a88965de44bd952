"""A notebook file's cells as the plan reads them: its JSON, without nbformat.

Planning a build or a batch needs three things of each section notebook: the parameters its
``parameters`` cell declares, its code cells (in the run key) and its markdown cells (the
narrative). Executing and rendering need nbformat; planning does not, and nbformat costs a process
about 0.08 s to import (with jsonschema) and validates the whole notebook against its schema at
every read. A batch whose rows are all current executes nothing, so it plans without nbformat.

A version-4 notebook (what Jupyter has written since 2015) is read as JSON, and each cell's
``source`` joined into one string as nbformat joins it (the file may hold a list of lines). A
notebook of another major version is read by nbformat and converted to version 4, as before.
The notebook is returned as a dict with a ``cells`` list of dicts; nbformat's NotebookNodes are
dicts too, so what reads cells (:mod:`reportkit.provenance`'s hashes, :mod:`reportkit.params`)
takes either. Nothing is validated beyond what the plan reads: papermill validates the notebook it
executes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ParameterError


def _joined(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else source


def read_notebook(path: str | Path) -> dict[str, Any]:
    """The notebook at ``path`` as a dict whose ``cells`` each have a ``cell_type``, a ``source``
    string and a ``metadata`` dict. A ParameterError naming the notebook when the file is missing,
    is not a notebook's JSON, or its cells lack these."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError("no such notebook file; expected a .ipynb path", notebook=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot be read as a Jupyter notebook: {exc}", notebook=path) from exc
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"cannot be read as a Jupyter notebook: not JSON ({exc})", notebook=path) from None
    if not isinstance(nb, dict):
        raise ParameterError(f"cannot be read as a Jupyter notebook: the file holds a JSON {type(nb).__name__}, "
                             "expected an object with 'cells'", notebook=path)
    if nb.get("nbformat") != 4:
        return _converted(path)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ParameterError("cannot be read as a Jupyter notebook: no 'cells' list", notebook=path)
    for i, cell in enumerate(cells, start=1):
        if not (isinstance(cell, dict) and isinstance(cell.get("cell_type"), str)
                and isinstance(cell.get("source", ""), str | list)):
            raise ParameterError(f"cannot be read as a Jupyter notebook: cell {i} has no cell_type or source",
                                 notebook=path)
        cell["source"] = _joined(cell.get("source", ""))
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    return nb


def _converted(path: Path) -> dict[str, Any]:
    """A notebook of another version than 4, read by nbformat and converted to version 4."""
    import nbformat

    try:
        nb: dict[str, Any] = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for what it cannot read or convert
        raise ParameterError(f"cannot be read as a Jupyter notebook: {exc}", notebook=path) from exc
    return nb
