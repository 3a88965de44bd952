"""The store of executed runs, keyed by run key: a local folder or ``s3://bucket/prefix``.

A run's key (see :mod:`reportkit.plan`) hashes the notebook's code, its parameters, the content of
every input data file it names, reportkit's own source and the installed packages. A run whose
key is in the store is not executed again: its executed notebook is reused.

An entry is two files: ``<key>.ipynb`` (the executed notebook) and ``<key>.json`` (its SHA-256 and
size), written in that order, the record last, as a release is published: a reader that finds the
record finds the whole notebook. In a local folder both are written under a temporary name and
renamed, so a build killed half-way leaves at worst a notebook without its record, which counts as
absent. In object storage each is one PUT, seen whole or not at all. Reading an entry checks the
notebook against its record: a truncated or edited entry is not reused.

With the store in object storage (``RunCache("s3://bucket/runs")``), every worker and every
machine shares it; entries read are kept in a local mirror folder (``$XDG_CACHE_HOME/reportkit/
runs/<hash of the URL>``, checked against the record like any entry), and results computed once
for a batch (:mod:`reportkit.analysis.memo`) are kept in that folder, per machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from .atomic import copy_atomic, write_atomic
from .hashing import file_sha256
from .storage import Store, is_url, open_store

log = logging.getLogger(__name__)

#: A cache entry is copied in well under a second; a temporary file older than this was left by a killed writer.
STALE_PARTIAL_SECONDS = 60.0


def mirror_folder(url: str) -> Path:
    """The local folder of a run cache in object storage (entries read, memo)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(base).expanduser() / "reportkit" / "runs" / hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


class RunCache:
    """Executed notebooks at ``location`` (a folder, or ``s3://bucket/prefix``), one
    ``<run key>.ipynb`` and ``<run key>.json`` per run. :attr:`folder` is local in both cases:
    the folder itself, or the local mirror of the object-storage location."""

    def __init__(self, location: str | Path) -> None:
        self.location = str(location).rstrip("/") if is_url(str(location)) else str(location)
        self.store: Store | None = open_store(self.location) if is_url(self.location) else None
        self.folder = mirror_folder(self.location) if self.store is not None else Path(location)

    @property
    def remote(self) -> bool:
        return self.store is not None

    def __str__(self) -> str:
        return self.location

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.ipynb"

    def record_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def is_empty(self) -> bool:
        """No entry recorded yet (a missing folder too): every run of a build will execute. Object
        storage is not listed (it may hold millions of entries): never empty."""
        if self.store is not None:
            return False
        try:
            return not any(self.folder.glob("*.json"))
        except OSError:
            return True

    def _record(self, key: str) -> dict | None:
        """The entry's record, or None when there is none (or it cannot be read)."""
        try:
            if self.store is not None:
                data = self.store.read(f"{key}.json")
            else:
                data = self.record_path(key).read_bytes()
            record = json.loads(data)
            return record if isinstance(record, dict) else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("run cache record %s/%s.json cannot be read (%s); the run will be executed again",
                        self.location, key, exc)
            return None

    @staticmethod
    def _matches(path: Path, record: dict) -> bool:
        try:
            return path.is_file() and path.stat().st_size == record["bytes"] and file_sha256(path) == record["sha256"]
        except (OSError, KeyError, TypeError):
            return False

    def has(self, key: str) -> bool:
        """Whether an entry is recorded under ``key``: in a folder, a notebook that matches its
        record; in object storage, a record (one request; the notebook is checked by whoever reads
        it, and a mismatch there executes the run again)."""
        if self.store is not None:
            return self._record(key) is not None
        return self.get(key) is not None

    def get(self, key: str) -> Path | None:
        """The entry's notebook (a local file) if it is there and matches its record, else None."""
        record = self._record(key)
        if record is None:
            return None
        path = self.path(key)
        if self._matches(path, record):
            return path
        if self.store is not None:  # fetch it into the mirror, then check it as any entry
            try:
                self.store.download((f"{key}.ipynb",), path)
            except (OSError, ValueError) as exc:
                log.warning("run cache entry %s/%s.ipynb cannot be read (%s)", self.location, key, exc)
                return None
            if self._matches(path, record):
                return path
        log.warning("run cache entry %s/%s.ipynb does not match its record; it will be executed again",
                    self.location, key)
        return None

    def put(self, key: str, executed: str | Path) -> Path:
        """Store an executed notebook under ``key`` (copied; the source is left in place): the
        notebook first, its record last."""
        path = copy_atomic(executed, self.path(key))
        record = json.dumps({"run_key": key, "sha256": file_sha256(path), "bytes": path.stat().st_size})
        if self.store is not None:
            self.store.upload(path, f"{key}.ipynb")
            self.store.write(record.encode("utf-8"), f"{key}.json")
        write_atomic(self.record_path(key), record)
        return path

    def remove_stale_partials(self, older_than: float = STALE_PARTIAL_SECONDS) -> list[Path]:
        """Remove temporary files (``.<key>.*.partial``) that a killed writer left in the local
        folder, once they are older than ``older_than`` seconds. The cache may be shared by batches
        running at the same time, so a fresh temporary file may be another writer's copy in
        progress: only stale ones go. (Object storage has no partial objects.)"""
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
        """Copy a cached run to ``target`` (fetched first from object storage if needed)."""
        source = self.get(key) if self.store is not None else self.path(key)
        if source is None:
            raise FileNotFoundError(f"run cache entry {self.location}/{key}.ipynb")
        return copy_atomic(source, target)
