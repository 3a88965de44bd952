"""Where a build's numbers came from: git commit, package versions, data hashes, run keys."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

#: Packages whose versions go into every manifest and every run key.
TRACKED_PACKAGES: tuple[str, ...] = (
    "reportkit", "papermill", "nbclient", "nbconvert", "ipykernel", "pandas", "numpy", "scipy",
    "statsmodels", "pyfixest", "matplotlib", "seaborn", "jinja2", "weasyprint", "pydantic",
)


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str]:
    return dict(_package_versions(tuple(names)))


@functools.lru_cache(maxsize=8)
def _package_versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # read once per process: reading package metadata is slow (a batch plans every row)
    out: dict[str, str] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return tuple(out.items())


@functools.lru_cache(maxsize=1)
def environment_lock() -> str:
    """Hash of every installed distribution and its version (the environment as a lock file
    would pin it), so that a run made in a different environment is not reused."""
    pins = sorted(_installed_pins())
    digest = hashlib.sha256(platform.python_version().encode())
    for pin in pins:
        digest.update(b"\0" + pin.encode())
    return digest.hexdigest()


def _installed_pins() -> set[str]:
    """``name==version`` of every distribution installed on ``sys.path``, from the names of the
    ``.dist-info`` / ``.egg-info`` folders (``name-version.dist-info``, as the wheel format names
    them), which is what importlib.metadata finds; reading each one's METADATA file instead takes
    a quarter of a second in this environment. A folder whose name has no version is read."""
    pins: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            stem, _, suffix = folder.rpartition(".")
            if suffix not in ("dist-info", "egg-info") or not stem:
                continue
            name, sep, version = stem.partition("-")
            if not sep:
                try:
                    dist = metadata.PathDistribution(Path(entry or ".") / folder)
                    name, version = dist.metadata["Name"] or name, dist.version
                except (OSError, ValueError, KeyError, TypeError):
                    version = "unknown"
            pins.add(f"{re.sub(r'[-_.]+', '-', name).lower()}=={version}")
    return pins


def git_commit(root: str | Path) -> dict[str, Any]:
    """The commit of ``root`` and whether the work tree had uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


#: what reportkit's source is, for run keys: its code and the message catalogue (catalogue/*.yaml),
#: from which the analysis code writes the sentences a run records
SOURCE_PATTERNS = ("*.py", "*.yaml")


def package_source_hash() -> str:
    """Hash of reportkit's own source (:data:`SOURCE_PATTERNS`), so a change in the analysis code or
    in the wording it writes changes every run key. The files are read again only when one of them
    changed (size or modification time) or one was added or removed: a batch plans every row, a
    preview session every edit."""
    root = Path(__file__).resolve().parent
    stamps = []
    for path in sorted(p for pattern in SOURCE_PATTERNS for p in root.rglob(pattern)):
        st = path.stat()
        stamps.append((str(path.relative_to(root)), st.st_size, st.st_mtime_ns))
    return _source_hash(str(root), tuple(stamps))


@functools.lru_cache(maxsize=4)
def _source_hash(root: str, stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _size, _mtime in stamps:
        digest.update(name.encode())
        digest.update((Path(root) / name).read_bytes())
    return digest.hexdigest()


def notebook_code_hash(nb: Any) -> str:
    """Hash of what a run executes: the code (and raw) cells' sources and the notebook's cell
    structure (the type of every cell, in order). Markdown text is not in it: narrative never changes
    what a kernel computes, so an edited sentence reuses the cached run and only the report is
    rendered again (see :func:`notebook_narrative_hash`, which the build key includes)."""
    digest = hashlib.sha256()
    for cell in nb["cells"]:  # a NotebookNode or reportkit.notebook_file's dict
        digest.update(cell["cell_type"].encode())
        digest.update(b"\0")
        if cell["cell_type"] != "markdown":
            digest.update(cell["source"].encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def notebook_narrative_hash(nb: Any) -> str:
    """Hash of a notebook's markdown cells: their sources and tags (``report``, ``report-zh``, …)."""
    digest = hashlib.sha256()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            tags = (cell.get("metadata") or {}).get("tags", [])
            digest.update(json.dumps([cell["source"], sorted(tags)], ensure_ascii=False).encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def run_key(
    *, code_hash: str, parameters: Mapping[str, Any], data_hashes: Mapping[str, str], environment: Mapping[str, str],
    theme_hash: str | None = None,
) -> str:
    """The identity of one run: notebook code, parameters, input data content and environment, and
    for a notebook that draws with the report's theme, the content of that theme's file."""
    identity: dict[str, Any] = {"code": code_hash, "parameters": parameters, "data": dict(sorted(data_hashes.items())),
                                "environment": dict(sorted(environment.items()))}
    if theme_hash is not None:
        identity["theme"] = theme_hash
    payload = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
