"""Input data named by URL (``s3://bucket/path/file.csv``): fetched once, kept by content.

A data file in a spec, a batch matrix or a ``-p`` value may be an ``s3://`` URL. Credentials and
the endpoint come from the environment or the user's storage settings (:mod:`reportkit.storage`),
never from a spec. :func:`fetch` copies the object into a local folder of downloads, under its
SHA-256 (``<downloads>/<sha256>/<file name>``), and returns that path: readers then read a local
file, and the content hash enters the run key as a local file's does (:mod:`reportkit.plan`).

So that an unchanged object is not downloaded again by every plan and every run, the content hash
is remembered under the object's URL, size and ETag (which S3 changes whenever the object's
content changes; for a single-part upload it is even the MD5 of the content). An object whose
store gives no ETag is downloaded each time it is asked for. Downloads are written under a
temporary name and renamed, so a reader never sees half of one.

The folder is ``$REPORTKIT_DOWNLOADS``, else ``$XDG_CACHE_HOME/reportkit/downloads``, else
``~/.cache/reportkit/downloads``; deleting it only costs downloads.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from .atomic import write_atomic
from .errors import DataError, StorageError
from .storage import is_url, open_object

__all__ = ["DOWNLOADS_ENV", "PINNED_ENV", "downloads_folder", "fetch", "is_url", "pinned_inputs", "url_sha256"]

#: the environment variable naming the folder of downloaded inputs
DOWNLOADS_ENV = "REPORTKIT_DOWNLOADS"
#: set for a run's kernel: JSON {url: sha256} of the URL inputs its plan hashed into the run key
PINNED_ENV = "REPORTKIT_PINNED_INPUTS"


def downloads_folder() -> Path:
    """Where downloaded inputs are kept (see the module's docstring)."""
    named = os.environ.get(DOWNLOADS_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(base).expanduser() / "reportkit" / "downloads"


def _index_path(folder: Path, url: str, size: int, etag: str) -> Path:
    key = hashlib.sha256(f"{url}\0{size}\0{etag}".encode()).hexdigest()[:32]
    return folder / "index" / f"{key}.json"


def pinned_inputs() -> dict[str, str]:
    """URL → SHA-256 of the inputs the running plan hashed (:data:`PINNED_ENV`, set for a run's kernel)."""
    try:
        pinned = json.loads(os.environ.get(PINNED_ENV) or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in pinned.items()} if isinstance(pinned, dict) else {}


def fetch(url: str) -> Path:
    """The local copy of the object ``url`` (downloaded unless an unchanged copy is kept).

    In a run, the content must be what the plan hashed into the run key (:func:`pinned_inputs`):
    an object replaced since is a DataError, not a report computed from other data than its key says.
    """
    expected = pinned_inputs().get(url)
    if expected is not None:
        kept = downloads_folder() / expected / url.rstrip("/").rpartition("/")[2]
        if kept.is_file():
            return kept
    path = _fetch(url)
    if expected is not None and path.parent.name != expected:
        raise DataError(f"its content changed after the report was planned (SHA-256 {path.parent.name[:12]}…, "
                        f"planned {expected[:12]}…); build again so that the run key follows the new data", path=url)
    return path


def _fetch(url: str) -> Path:
    try:
        store, name = open_object(url)
        info = store.info(name)
    except FileNotFoundError:
        raise DataError("no such object; expected an existing file in object storage", path=url) from None
    except (StorageError, OSError, ValueError) as exc:  # PermissionError, a refused or unreachable endpoint
        raise DataError(f"cannot read it from object storage ({type(exc).__name__}: {exc}); check the "
                        "credentials and endpoint (AWS_* variables or ~/.config/reportkit/storage.toml)",
                        path=url) from None
    if info.get("type") == "directory":
        raise DataError("is a folder in object storage; expected a data file", path=url)
    folder = downloads_folder()
    size = int(info.get("size") or 0)
    etag = str(info.get("ETag") or info.get("etag") or "").strip('"')
    index = _index_path(folder, url, size, etag) if etag else None
    if index is not None and index.is_file():
        try:
            kept = folder / str(json.loads(index.read_text(encoding="utf-8"))["sha256"]) / name
            if kept.is_file() and kept.stat().st_size == size:
                return kept
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged index entry: download again
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / "incoming" / f"{os.getpid()}-{threading.get_ident()}-{name}"  # one writer per name
    try:
        sha = store.download((name,), staging)
    except (OSError, ValueError) as exc:
        raise DataError(f"downloading it failed ({type(exc).__name__}: {exc})", path=url) from None
    target = folder / sha / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    if index is not None:
        write_atomic(index, json.dumps({"url": url, "size": size, "etag": etag, "sha256": sha}))
    return target


def url_sha256(url: str) -> str:
    """SHA-256 of the object's content (fetched if no unchanged copy is kept)."""
    return _fetch(url).parent.name
