"""The project files a batch's workers need when they share no disk with the coordinator.

With the run cache in object storage (``--cache s3://…``), workers may run anywhere: a Kubernetes
pod, an HPC node, a fresh container. They get the project as one archive: :func:`publish_bundle`
packs the files the plan reads — the spec, every section notebook, every local input file a run's
key hashed (data files named in the spec or by parameters, and the metadata beside them) — into a
deterministic ``.tar.gz`` (sorted, no timestamps or owners), named by its SHA-256 and stored once
under ``<run cache>/bundles/``. A worker fetches it once (:func:`materialize`), checks its SHA-256,
extracts it (no absolute paths, no ``..``, no links: tarfile's ``data`` filter) into a folder of its
own and runs notebooks there, with that folder as the project.

What a notebook reads beyond those files is not in its run key either; it is refused here rather
than found missing on a worker: an input outside the project folder raises a ReportKitError naming
it. Inputs in object storage travel as URLs (:mod:`reportkit.remote_inputs`).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..cache import RunCache
from ..errors import ReportKitError
from ..plan import metadata_file
from ..storage import is_url, open_object
from .matrix import BatchPlan

#: the folder of bundles in the run cache
BUNDLES = "bundles"
#: folders every bundle has, so that the extracted folder is found as the project (data/ and reports/)
PROJECT_FOLDERS = ("data", "reports")


@dataclass(frozen=True)
class Bundle:
    """A stored project archive: its SHA-256, its URL and the files in it (relative, POSIX)."""

    sha256: str
    url: str
    files: tuple[str, ...]

    def notebook(self, path: str | Path, root: str | Path) -> str:
        """``path`` (a file of the project at ``root``) as a path inside the bundle."""
        return _relative(Path(path), Path(root), "notebook")


def _relative(path: Path, root: Path, what: str) -> str:
    try:
        return PurePosixPath(Path(os.path.abspath(path)).relative_to(os.path.abspath(root))).as_posix()
    except ValueError:
        raise ReportKitError(
            f"{what} {path} is outside the project folder {root}; workers without a shared disk receive only "
            "the project's files: move it into the project, or put it in object storage (s3://…) and name its URL"
        ) from None


def bundle_files(plan: BatchPlan) -> list[str]:
    """The files of the project the batch's runs and builds read, relative to the spec's root."""
    root = Path(plan.spec.root)
    names: set[str] = set()
    if plan.spec.source_path:
        names.add(_relative(Path(plan.spec.source_path), root, "the spec"))
    runs = {r.run_key: r for row in plan.rows for r in row.plan.runs}.values()
    for run in runs:
        names.add(_relative(Path(run.notebook), root, "notebook"))
        for name in run.inputs:
            if is_url(name):
                continue
            path = plan.spec.resolve(name)
            names.add(_relative(path, root, f"input {name!r}"))
            if metadata_file(path).is_file():
                names.add(_relative(metadata_file(path), root, f"metadata of input {name!r}"))
    return sorted(names)


def make_archive(root: Path, files: list[str]) -> bytes:
    """A .tar.gz of ``files`` under ``root``, the same bytes for the same contents (no times, owners)."""
    buffer = io.BytesIO()
    # mtime=0 in the gzip header too: the archive's hash depends on the files only
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
        for folder in PROJECT_FOLDERS:  # what marks a project folder (reportkit.data.paths.project_root)
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name in files:
            data = (root / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return raw[:4] + b"\0\0\0\0" + raw[8:]  # the gzip header's MTIME field (tarfile writes the current time)


def publish_bundle(plan: BatchPlan, cache: RunCache) -> Bundle:
    """Pack the batch's project files and store the archive in the run cache's object storage
    (once: an archive of the same SHA-256 already there is kept)."""
    if cache.store is None:
        raise ReportKitError(f"the run cache {cache.location} is a local folder; workers without a shared disk "
                             "need it in object storage: --cache s3://bucket/prefix")
    files = bundle_files(plan)
    data = make_archive(Path(plan.spec.root), files)
    sha = hashlib.sha256(data).hexdigest()
    name = f"{sha}.tar.gz"
    if not cache.store.exists(BUNDLES, name):
        cache.store.write(data, BUNDLES, name)
    return Bundle(sha, cache.store.display(BUNDLES, name), tuple(files))


def bundles_folder() -> Path:
    """Where a worker keeps the projects it extracted (``$REPORTKIT_BUNDLES`` or the temp folder)."""
    return Path(os.environ.get("REPORTKIT_BUNDLES") or Path(tempfile.gettempdir()) / "reportkit-bundles")


def materialize(bundle: Bundle) -> Path:
    """The project folder of ``bundle`` on this machine: fetched, checked and extracted once."""
    folder = bundles_folder() / bundle.sha256
    if (folder / ".complete").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    store, name = open_object(bundle.url)
    data = store.read(name)
    got = hashlib.sha256(data).hexdigest()
    if got != bundle.sha256:
        raise ReportKitError(f"project bundle {bundle.url} has SHA-256 {got[:12]}…, expected {bundle.sha256[:12]}…; "
                             "it was changed after the batch stored it")
    staging = Path(tempfile.mkdtemp(prefix=f".{bundle.sha256[:12]}.", dir=folder.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(staging, filter="data")
        (staging / ".complete").write_text(bundle.url, encoding="utf-8")
        try:
            os.rename(staging, folder)  # atomic; another process of this machine may have been first
        except OSError:
            if not (folder / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
