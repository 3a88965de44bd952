"""Publishing finished reports to clients: ``build/`` → ``DEST/<client>/<report>/<version>/``.

:func:`publish` takes one build folder (``--client`` names its client) or a batch folder (each
row is published to the client its row id names), opens the destination (:mod:`.store`: a local
folder or ``s3://bucket/prefix``), checks client ids (:mod:`.clients`) and writes immutable,
verifiable releases (:mod:`.release`). :func:`verify` re-hashes a published release;
:func:`share` prints a presigned link.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import PublishError
from ..storage import Store, is_url, open_store
from .clients import check_case_clashes, check_client_id
from .release import MANIFEST, Release, client_manifest, publish_build, verify_release

__all__ = ["publish", "verify", "share", "check_client_id", "open_store", "Release", "Store"]


def publish(source: str | Path, dest: str | Path | Store, *, client: str | None = None, dry_run: bool = False,
            fail_after: Callable[[str], None] | None = None) -> list[Release]:
    """Publish a build (``client`` required) or every finished row of a batch folder (row id =
    client; ``client`` then selects one row). Returns one Release per build. ``source`` may be in
    object storage (``s3://…``, e.g. the ``--out`` of a batch run on a cluster): what is published
    is first copied to a local temporary folder, then checked and published as a local one is."""
    if is_url(str(source)):
        with tempfile.TemporaryDirectory(prefix="rk-publish-") as tmp:
            local = fetch_builds(str(source), Path(tmp) / "source")
            return publish(local, dest, client=client, dry_run=dry_run, fail_after=fail_after)
    source = Path(source)
    store = dest if isinstance(dest, Store) else open_store(dest)
    batch_index = source / "index.json"
    if batch_index.is_file() and not (source / "manifest.json").is_file():
        try:
            rows = json.loads(batch_index.read_text(encoding="utf-8")).get("rows", [])
        except (ValueError, AttributeError) as exc:
            raise PublishError(f"{batch_index} is not a batch index ({type(exc).__name__}: {exc}); expected the "
                               "index.json that `reportkit batch` writes: run the batch again") from None
        # every row id is a client id: check them all (rule, and case against each other and the
        # destination) before anything is written, so a bad row publishes nothing
        finished = {check_client_id(r.get("id"), source=f"{batch_index} (row {n})"): f"{batch_index} (row {n})"
                    for n, r in enumerate(rows, start=1)
                    if isinstance(r, dict) and r.get("status") in ("done", "reused")}
        if client is not None:
            wanted = check_client_id(client)
            if wanted not in finished:
                raise PublishError(f"--client {client!r}: the batch {source} has no finished row with that id; "
                                   f"finished rows: {', '.join(finished) or 'none'}")
            finished = {wanted: finished[wanted]}
        if not finished:
            raise PublishError(f"the batch {source} has no finished rows to publish (see its index.html)")
        check_case_clashes(store, finished.items())
        for row_id in finished:  # an analyst-edition row (or one without a manifest) publishes nothing
            client_manifest(source / row_id)
        return [publish_build(store, source / row_id, row_id, dry_run=dry_run, fail_after=fail_after, source=where)
                for row_id, where in finished.items()]
    if client is None:
        raise PublishError(f"{source} is one build; name its client with --client ID (a batch folder publishes "
                           "each row to the client its row id names)")
    return [publish_build(store, source, client, dry_run=dry_run, fail_after=fail_after)]


def fetch_builds(url: str, target: Path) -> Path:
    """Copy a build folder or a batch folder from object storage to ``target``: its index, and for
    each finished row (or the one build) the manifest and every file the manifest lists. The
    files' SHA-256 are checked against the manifests when they are published, as for local ones."""
    from ..manifest import Manifest

    folder = open_store(url)

    def build(*parts: str) -> None:
        manifest = folder.read(*parts, MANIFEST)
        for f in Manifest.from_json(manifest).files:
            folder.download((*parts, *f.path.split("/")), target.joinpath(*parts, *f.path.split("/")))
        target.joinpath(*parts).mkdir(parents=True, exist_ok=True)
        target.joinpath(*parts, MANIFEST).write_bytes(manifest)

    try:
        if folder.exists(MANIFEST):
            build()
        elif folder.exists("index.json"):
            index = folder.read("index.json")
            rows = json.loads(index).get("rows", [])
            for r in rows:
                if isinstance(r, dict) and r.get("status") in ("done", "reused") and isinstance(r.get("id"), str):
                    build(check_client_id(r["id"], source=f"{url}/index.json"))
            target.mkdir(parents=True, exist_ok=True)
            (target / "index.json").write_bytes(index)
        else:
            raise PublishError(f"{url} holds neither {MANIFEST} (a build) nor index.json (a batch); expected the "
                               "--out of `reportkit build` or `reportkit batch`")
    except (FileNotFoundError, ValueError, AttributeError) as exc:
        raise PublishError(f"{url} cannot be read as a build or batch folder ({type(exc).__name__}: {exc})") from None
    return target


def _split_release(path: str) -> tuple[str, str, str, str]:
    """``DEST/<client>/<report>/<version>`` → (DEST, client, report, version)."""
    parts = str(path).rstrip("/").rsplit("/", 3)
    if len(parts) != 4 or not all(parts[1:]):
        raise PublishError(f"{path!r} is not a release path; expected DEST/<client>/<report>/<version>")
    dest, client, report, version = parts
    return dest or "/", check_client_id(client, source=str(path)), report, version


def verify(path: str | Path) -> list[str]:
    """Re-hash every file of the release at ``path`` against its manifest; the problems ([] if none).
    ``path`` may also be a report folder (``DEST/<client>/<report>``): its latest version is checked."""
    text = str(path).rstrip("/")
    report_folder = open_store(text)
    if report_folder.exists("latest.json") and not report_folder.exists("manifest.json"):
        try:
            text += "/" + str(json.loads(report_folder.read("latest.json"))["version"])
        except (ValueError, KeyError, TypeError) as exc:
            return [f"{text}/latest.json cannot be read ({type(exc).__name__}: {exc})"]
    dest, client, report, version = _split_release(text)
    store = open_store(dest)
    return verify_release(store, client, report, version)


def share(path: str | Path, *, expires: int = 7 * 24 * 3600) -> str:
    """A presigned link to one published file (``DEST/<client>/<report>/<version>/report.pdf``)."""
    text = str(path).rstrip("/")
    dest, client, report, version = _split_release(text.rsplit("/", 1)[0])
    name = text.rsplit("/", 1)[1]
    store = open_store(dest)
    if not store.exists(client, report, version, name):
        raise PublishError(f"{text} does not exist; expected a published file such as …/{version}/report.pdf")
    return store.sign(client, report, version, name, expires=expires)
