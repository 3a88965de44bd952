"""The store of executed runs, keyed by run key.

A run's key (see :mod:`reportkit.plan`) hashes the notebook's code, its parameters, the content of
every input data file it names, reportkit's own source and the installed packages. A run whose
key is in the store is not executed again: its executed notebook is reused.

An entry is two files: ``<key>.ipynb`` (the executed notebook) and ``<key>.json`` (its SHA-256 and
size). Both are written under a temporary name and renamed, the notebook first, so a build killed
half-way leaves at worst a notebook without its record, which counts as absent. Reading an entry
checks the notebook against its record: a truncated or edited entry is not reused.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from .atomic import copy_atomic, write_atomic
from .hashing import file_sha256

log = logging.getLogger(__name__)

#: A cache entry is copied in well under a second; a temporary file older than this was left by a killed writer.
STALE_PARTIAL_SECONDS = 60.0


class RunCache:
    """Executed notebooks in ``folder``, one ``<run key>.ipynb`` and ``<run key>.json`` per run."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.ipynb"

    def record_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def is_empty(self) -> bool:
        """No entry recorded yet (a missing folder too): every run of a build will execute."""
        try:
            return not any(self.folder.glob("*.json"))
        except OSError:
            return True

    def get(self, key: str) -> Path | None:
        """The entry's notebook if it is there and matches its record, else None."""
        path, record = self.path(key), self.record_path(key)
        if not path.is_file() or not record.is_file():
            return None
        try:
            expected = json.loads(record.read_text(encoding="utf-8"))
            ok = path.stat().st_size == expected["bytes"] and file_sha256(path) == expected["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            log.warning("run cache entry %s does not match its record; it will be executed again", path)
            return None
        return path

    def put(self, key: str, executed: str | Path) -> Path:
        """Store an executed notebook under ``key`` (copied; the source is left in place)."""
        path = copy_atomic(executed, self.path(key))
        record = {"run_key": key, "sha256": file_sha256(path), "bytes": path.stat().st_size}
        write_atomic(self.record_path(key), json.dumps(record))
        return path

    def remove_stale_partials(self, older_than: float = STALE_PARTIAL_SECONDS) -> list[Path]:
        """Remove temporary files (``.<key>.*.partial``) that a killed writer left, once they are
        older than ``older_than`` seconds. The cache may be shared by batches running at the same
        time, so a fresh temporary file may be another writer's copy in progress: only stale ones go.
        """
        removed: list[Path] = []
        if not self.folder.is_dir():
            return removed
        now = time.time()
        for path in self.folder.rglob(".*.partial"):  # memo/ too (reportkit.analysis.memo)
            try:
                if path.is_file() and now - path.stat().st_mtime > older_than:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:  # its writer renamed it meanwhile
                continue
        return removed

    def copy_to(self, key: str, target: str | Path) -> Path:
        """Copy a cached run to ``target``."""
        return copy_atomic(self.path(key), target)
