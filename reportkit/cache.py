"""The store of executed runs, keyed by run key.

A run's key (see :mod:`reportkit.plan`) hashes the notebook's code, its parameters, the content of
every input data file it names, reportkit's own source and the package versions. A run whose key
is in the store is not executed again: its executed notebook is reused. Entries are written under
a temporary name and renamed, so a build killed half-way never leaves a corrupt entry.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .atomic import copy_atomic


class RunCache:
    """Executed notebooks in ``folder``, one ``<run key>.ipynb`` per run."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.ipynb"

    def get(self, key: str) -> Path | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            nbformat.read(path, as_version=4)
        except Exception:  # unreadable entry: treat as absent, it will be replaced
            return None
        return path

    def put(self, key: str, executed: str | Path) -> Path:
        return copy_atomic(executed, self.path(key))

    def copy_to(self, key: str, target: str | Path) -> Path:
        """Copy a cached run to ``target``."""
        return copy_atomic(self.path(key), target)
