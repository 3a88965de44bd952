"""Releases: a finished build copied to ``DEST/<client>/<report>/<version>/``, immutable.

``<report>`` is the report id for a build in the spec's own language and ``<report>-<language>``
for another language edition (:attr:`~reportkit.manifest.Manifest.release_folder`): each edition
has its own versions and latest pointer, and its own card on the client's page. Only the client
edition is published; the analyst edition (with the notebooks' code) is refused.

A release holds the build's client outputs (``report.html``, ``report.pdf`` and, when the build
wrote one, the data pack ``report-data.xlsx``), a thumbnail of the PDF's cover (``cover.png``, for
the client's page) and a ``manifest.json`` with the SHA-256 and size of each, the build's
provenance (spec, commit, environment, data hashes, run keys, parameters, key figures, release
notes) and when it was published. The version is ``<build date>-<content hash>`` of the build's
outputs: the same build published twice is the same version, so the second publish writes nothing
new.

Order of writing, so that a reader never sees half a release and a publish killed at any moment
leaves nothing visible: on a local folder the version is written in a hidden temporary folder and
renamed into place (one atomic rename); on S3 the files go first and the version's
``manifest.json`` last (a version without its manifest is not a release: it is not listed and the
next publish completes it). Only then ``<client>/<report>/latest.json`` (the pointer to the
newest version) and ``<client>/index.html`` (the client's page: :mod:`.client_page`) are rewritten.
Clients are folders under the destination: a client's files never go anywhere else.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import PublishError
from ..ids import check_folder_id
from ..manifest import Manifest
from ..storage import Store
from .client_page import COVER, cover_thumbnail, render_client_page
from .clients import check_case_clashes, check_client_id

#: outputs of a build that go to clients, each when the build has it (the data pack is optional);
#: executed notebooks (code, parameters) never do
PUBLISHED = ("report.html", "report.pdf", "report-data.xlsx")
#: a build must have at least one of these to be published
REPORTS = ("report.html", "report.pdf")
MANIFEST = "manifest.json"
LATEST = "latest.json"
INDEX = "index.html"
LOCK = ".publish.lock"  # local destinations: held while a report is published


@dataclass
class Release:
    client: str
    report: str
    version: str
    files: dict[str, dict[str, Any]]  # name → {sha256, bytes}
    created: bool  # False: this version was already published (nothing written)
    location: str
    written: list[str] = field(default_factory=list)  # what was (or, dry run, would be) written


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def client_manifest(build_dir: str | Path) -> Manifest:
    """The manifest of a build that may go to a client: a missing manifest, or a build of an
    edition other than ``client`` (the analyst edition shows the notebooks' code), is refused with
    a PublishError naming the folder (a malformed or older manifest: a ManifestError naming the key)."""
    build_dir = Path(build_dir)
    try:
        text = (build_dir / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PublishError(f"{build_dir} has no {MANIFEST}; expected a finished build folder "
                           "(reportkit build … --out DIR) or a batch folder (with index.json)") from None
    manifest = Manifest.from_json(text, path=build_dir / MANIFEST)
    if manifest.edition != "client":
        raise PublishError(f"{build_dir} is the {manifest.edition!r} edition (its {MANIFEST} says so), which shows "
                           "the notebooks' code; clients receive the client edition only: build the report "
                           "without --edition, then publish that folder")
    return manifest


def read_build(build_dir: str | Path) -> tuple[Manifest, dict[str, bytes]]:
    """The build's manifest (:func:`client_manifest`) and the bytes of its client outputs, each
    checked against the hash the build recorded: a damaged or unfinished build is refused, not
    published."""
    build_dir = Path(build_dir)
    manifest = client_manifest(build_dir)
    recorded = {f.path: f.sha256 for f in manifest.files}
    files: dict[str, bytes] = {}
    for name in PUBLISHED:
        path = build_dir / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if recorded.get(name) != _sha256(data):
            raise PublishError(f"{path} does not match the SHA-256 its build recorded in {build_dir / MANIFEST}; "
                               "it was changed after the build: rebuild before publishing")
        files[name] = data
    if not any(name in files for name in REPORTS):
        raise PublishError(f"{build_dir} has none of {', '.join(REPORTS)}; expected a finished build")
    return manifest, files


def version_of(manifest: Manifest, files: dict[str, bytes]) -> str:
    """``<build date>-<12 hex of the content hash>``: equal for the same build."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + _sha256(files[name]).encode() + b"\0")
    date = manifest.generated[:10].replace("-", "") or "00000000"
    return f"{date}-{digest.hexdigest()[:12]}"


def _release_manifest(manifest: Manifest, files: dict[str, bytes], client: str, report: str,
                      version: str) -> dict[str, Any]:
    build = manifest.to_dict()
    keep = ("report", "title", "language", "theme", "edition", "spec", "generated", "git", "reportkit_version",
            "environment", "data", "build_key", "pdf_pages", "summary", "release_notes", "spec_language")
    return {
        "client": client,
        "report": report,  # the release folder: the report id, with the language for another edition
        "version": version,
        "published": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {name: {"sha256": _sha256(data), "bytes": len(data)} for name, data in sorted(files.items())},
        "build": {k: build[k] for k in keep if k in build} | {
            "sections": [{k: s.get(k) for k in ("id", "notebook", "parameters", "run_key", "metrics")}
                         for s in build.get("sections", [])]},
    }


def published_version(store: Store, client: str, report: str, version: str) -> dict[str, Any] | None:
    """The manifest of a complete release, or None when the version is absent or incomplete."""
    if not store.exists(client, report, version, MANIFEST):
        return None
    try:
        manifest = json.loads(store.read(client, report, version, MANIFEST))
    except (ValueError, OSError):
        return None
    return manifest if isinstance(manifest, dict) else None  # JSON but not a manifest: not a complete release


def publish_build(store: Store, build_dir: str | Path, client: str, *, dry_run: bool = False,
                  fail_after: Callable[[str], None] | None = None, source: str = "--client") -> Release:
    """Publish one build for ``client`` (``source``: where the id came from, for errors); see the
    module doc. ``dry_run``: write nothing, list what would be written. ``fail_after``: called after
    each object is written (tests use it to stop a publish part-way, as a crash would).

    A client id that differs only by case from a client folder already in the destination, or a
    report id that differs only by case from one of the client's reports, is refused before anything
    is written (one folder on macOS and Windows)."""
    client = check_client_id(client, source=source)
    check_case_clashes(store, [(client, source)])
    build, files = read_build(build_dir)
    report_source = f"{Path(build_dir) / MANIFEST} (report id)"
    report = check_folder_id(build.release_folder, what="report id", source=report_source, error=PublishError)
    check_case_clashes(store, [(report, report_source)], parts=(client,), what="report id",
                       mixing=f"two reports of client {client!r}")
    version = version_of(build, files)
    location = store.display(client, report, version)
    existing = published_version(store, client, report, version)
    if existing is not None:
        release = Release(client, report, version, existing.get("files", {}), False, location)
        if not dry_run:  # an earlier publish may have stopped after the version, before the pointer and index
            with _report_lock(store, client, report):
                release.written += _point_and_index(store, client, report, version, only_if_stale=True)
        return release
    if "report.pdf" in files:  # the client's page shows it; released and verified like the outputs
        cover = cover_thumbnail(files["report.pdf"])
        if cover is not None:
            files = {**files, COVER: cover}
    manifest = _release_manifest(build, files, client, report, version)
    release = Release(client, report, version, manifest["files"], True, location,
                      [*(store.display(client, report, version, n) for n in [*sorted(files), MANIFEST]),
                       store.display(client, report, LATEST), store.display(client, INDEX)])
    if dry_run:
        return release
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    with _report_lock(store, client, report):
        return _write_release(store, client, report, version, files, manifest, manifest_bytes, release, location,
                              fail_after)


@contextmanager
def _report_lock(store: Store, client: str, report: str) -> Iterator[None]:
    """Local destinations: one publish of a report at a time (an flock, released however the process
    ends), so that staging folders a killed publish left (``.<version>.partial-*``) can be removed
    safely by the next one. S3 needs none: objects are written whole and the manifest last."""
    if not store.is_local:
        yield
        return
    folder = Path(store.path(client, report))
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        for name in store.list(client, report):
            if name.startswith(".") and ".partial" in name:  # left by a killed publish of this report
                store.remove(client, report, name)
        yield


def _write_release(store: Store, client: str, report: str, version: str, files: dict[str, bytes],
                   manifest: dict[str, Any], manifest_bytes: bytes, release: Release, location: str,
                   fail_after: Callable[[str], None] | None) -> Release:
    if store.is_local:
        staging = f".{version}.partial-{uuid.uuid4().hex[:8]}"
        for name, data in sorted(files.items()):
            store.write(data, client, report, staging, name)
            if fail_after:
                fail_after(name)
        store.write(manifest_bytes, client, report, staging, MANIFEST)
        try:
            store.rename((client, report, staging), (client, report, version))
        except OSError as exc:  # another publish of the same build got there first, or a damaged version
            store.remove(client, report, staging)
            if published_version(store, client, report, version) is None:
                raise PublishError(
                    f"{location} exists but is not a complete release: its {MANIFEST} is missing, unreadable or "
                    f"not a manifest ({exc.strerror or exc}); nothing was changed. Look at that folder, then remove "
                    "it to publish this version again"
                ) from None
            return Release(client, report, version, manifest["files"], False, location)
    else:
        for name, data in sorted(files.items()):
            store.write(data, client, report, version, name)
            if fail_after:
                fail_after(name)
        store.write(manifest_bytes, client, report, version, MANIFEST)  # last: now it is a release
    if fail_after:
        fail_after(MANIFEST)
    _point_and_index(store, client, report, version)
    return release


def _point_and_index(store: Store, client: str, report: str, version: str, *, only_if_stale: bool = False) -> list[str]:
    """Point ``latest.json`` at ``version`` and rewrite the client's index. ``only_if_stale`` (a
    re-run finding the version already published): only where an earlier publish stopped before
    them — the pointer missing or naming an older release than ``version``, the index not the one
    the destination's releases give."""
    written = []
    if not only_if_stale or _pointer_is_stale(store, client, report, version):
        pointer = {"version": version, "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        store.write(json.dumps(pointer).encode("utf-8"), client, report, LATEST)
        written.append(store.display(client, report, LATEST))
    index = client_index(store, client)
    if not only_if_stale or not store.exists(client, INDEX) or store.read(client, INDEX).decode("utf-8", "replace") != index:
        store.write(index.encode("utf-8"), client, INDEX)
        written.append(store.display(client, INDEX))
    return written


def _pointer_is_stale(store: Store, client: str, report: str, version: str) -> bool:
    """True when ``latest.json`` is missing, unreadable, or names a release built before ``version``."""
    try:
        current = json.loads(store.read(client, report, LATEST))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return True
    if current == version:
        return False
    ours, theirs = published_version(store, client, report, version), published_version(store, client, report, current)
    if theirs is None:
        return True
    def built(m: dict[str, Any]) -> tuple[str, str]:
        return (str(m.get("build", {}).get("generated", "")), str(m.get("version", "")))
    return ours is not None and built(ours) > built(theirs)


def releases_of(store: Store, client: str) -> dict[str, list[dict[str, Any]]]:
    """report → its complete releases (manifests), newest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for report in store.list(client):
        if report in (INDEX,) or report.startswith("."):
            continue
        versions = [m for v in store.list(client, report) if not v.startswith(".") and v != LATEST
                    and (m := published_version(store, client, report, v)) is not None]
        if versions:
            out[report] = sorted(versions, key=lambda m: (m.get("build", {}).get("generated", ""), m["version"]),
                                 reverse=True)
    return out


def client_index(store: Store, client: str) -> str:
    """``<client>/index.html``: the client's page (:mod:`.client_page`): every report with its cover,
    key figures, the latest version's downloads and the version history, from the releases in the
    destination (escaped; relative links, so the page works wherever the folder is served from)."""
    return render_client_page(client, releases_of(store, client))


def verify_release(store: Store, client: str, report: str, version: str) -> list[str]:
    """Re-hash every file of a release against its manifest; the problems found ([] if none)."""
    location = store.display(client, report, version)
    if not store.exists(client, report, version, MANIFEST):
        return [f"{location} has no {MANIFEST}: not a (complete) release"]
    try:
        manifest = json.loads(store.read(client, report, version, MANIFEST))
    except (ValueError, OSError) as exc:
        return [f"{location}/{MANIFEST} cannot be read: {exc}"]
    problems = []
    if manifest.get("client") != client or manifest.get("version") != version:
        problems.append(f"{location}/{MANIFEST} names client {manifest.get('client')!r}, version "
                        f"{manifest.get('version')!r}; expected {client!r}, {version!r}")
    for name, meta in sorted((manifest.get("files") or {}).items()):
        try:
            data = store.read(client, report, version, name)
        except (FileNotFoundError, OSError) as exc:
            problems.append(f"{location}/{name} is missing ({type(exc).__name__})")
            continue
        if len(data) != meta.get("bytes") or _sha256(data) != meta.get("sha256"):
            problems.append(f"{location}/{name}: {len(data)} bytes, SHA-256 {_sha256(data)[:16]}…; the manifest records "
                            f"{meta.get('bytes')} bytes, {str(meta.get('sha256'))[:16]}…")
    if not manifest.get("files"):
        problems.append(f"{location}/{MANIFEST} lists no files")
    return problems
