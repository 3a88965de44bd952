"""Storage: a local folder or ``s3://bucket/prefix`` on any S3-compatible store, via fsspec.

Used for what a report reads and writes beyond the project folder: input data named by URL
(:mod:`reportkit.remote_inputs`), the run cache shared by machines (:mod:`reportkit.cache`), a
batch's outputs (:mod:`reportkit.batch`) and published releases (:mod:`reportkit.publish`).

Credentials and the endpoint never come from a spec file (specs live in git). They come from, in
order: the environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_ENDPOINT_URL`` or ``REPORTKIT_S3_ENDPOINT``, ``AWS_REGION``), then the user's own config
file ``~/.config/reportkit/storage.toml`` (or ``$REPORTKIT_STORAGE_CONFIG``)::

    [s3]
    endpoint_url = "https://oss-cn-shanghai.aliyuncs.com"
    key = "..."
    secret = "..."
    region = "cn-shanghai"
    addressing_style = "virtual"   # OSS refuses path-style requests ($REPORTKIT_S3_ADDRESSING)

:class:`Store` offers the few operations a release needs, with one meaning on both kinds of
destination: ``write`` (a whole object; on a local folder through a temporary name and a rename),
``read``, ``exists``, ``list``, ``sign`` (a presigned link, S3 only), ``size``, ``download``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import FILE_MODE, copy_atomic, write_atomic
from .errors import StorageError

CONFIG_ENV = "REPORTKIT_STORAGE_CONFIG"
#: how buckets are addressed: "virtual" (bucket.endpoint/key), "path" (endpoint/bucket/key) or "auto"
ADDRESSING_ENV = "REPORTKIT_S3_ADDRESSING"
ADDRESSING_STYLES = ("auto", "path", "virtual")
#: bytes read at a time when an object is copied
CHUNK = 1 << 20
DEFAULT_CONFIG = Path("~/.config/reportkit/storage.toml")


def _user_config() -> dict[str, Any]:
    path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("s3", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StorageError(f"cannot read the storage config {path}: {exc}; expected TOML with an [s3] table") from None
    if not isinstance(table, dict):
        raise StorageError(f"the storage config {path} has s3 = {table!r}; expected an [s3] table of options "
                           "(endpoint_url, region, …)")
    return table


def s3_options() -> dict[str, Any]:
    """s3fs options from the environment, then the user config file (see the module doc)."""
    config = _user_config()
    endpoint = os.environ.get("REPORTKIT_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or config.get("endpoint_url")
    options: dict[str, Any] = {}
    key = os.environ.get("AWS_ACCESS_KEY_ID") or config.get("key")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY") or config.get("secret")
    if key and secret:
        options.update(key=key, secret=secret)
        token = os.environ.get("AWS_SESSION_TOKEN") or config.get("token")
        if token:
            options["token"] = token
    client: dict[str, Any] = {}
    if endpoint:
        client["endpoint_url"] = endpoint
    region = os.environ.get("AWS_REGION") or config.get("region")
    if region:
        client["region_name"] = region
    if client:
        options["client_kwargs"] = client
    # SigV4 everywhere: presigned links otherwise use the old SigV2, which many stores refuse
    options["config_kwargs"] = {"signature_version": "s3v4"}
    style = os.environ.get(ADDRESSING_ENV) or config.get("addressing_style")
    if style:
        if style not in ADDRESSING_STYLES:
            raise StorageError(f"S3 addressing style {style!r} (from {ADDRESSING_ENV} or addressing_style in the storage "
                               f"config): expected one of {', '.join(ADDRESSING_STYLES)}")
        # with an endpoint botocore addresses buckets path-style (endpoint/bucket/key); some stores
        # (Aliyun OSS) accept only virtual-hosted style (bucket.endpoint/key)
        options["config_kwargs"]["s3"] = {"addressing_style": style}
    return options


@dataclass
class Store:
    """A destination root: ``fs`` (an fsspec file system) and ``root`` (a path on it)."""

    fs: Any
    root: str
    url: str

    @property
    def is_local(self) -> bool:
        return "file" in getattr(self.fs, "protocol", ()) or self.fs.protocol == "local"

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def display(self, *parts: str) -> str:
        """The destination URL of ``parts`` as a person would type it."""
        return "/".join([self.url.rstrip("/"), *parts])

    def exists(self, *parts: str) -> bool:
        try:
            return bool(self.fs.exists(self.path(*parts)))
        except PermissionError:
            return False

    def read(self, *parts: str) -> bytes:
        with self.fs.open(self.path(*parts), "rb") as fh:
            return bytes(fh.read())

    def write(self, data: bytes, *parts: str) -> None:
        """Write one whole object. Local: a temporary name and a rename. S3: one PUT, which a
        reader sees either entirely or not at all."""
        target = self.path(*parts)
        if self.is_local:
            write_atomic(target, data)
        else:
            with self.fs.open(target, "wb") as fh:
                fh.write(data)

    def list(self, *parts: str) -> list[str]:
        """Names directly under ``parts`` (folders and files); [] when there is nothing."""
        try:
            entries = self.fs.ls(self.path(*parts), detail=False, refresh=True)  # S3: no stale listing cache
        except FileNotFoundError:
            return []
        return sorted(e.rstrip("/").rsplit("/", 1)[-1] for e in entries)

    def remove(self, *parts: str) -> None:
        target = self.path(*parts)
        if self.fs.exists(target):
            self.fs.rm(target, recursive=True)

    def rename(self, source: tuple[str, ...], target: tuple[str, ...]) -> None:
        """Local folders only: an atomic rename of a whole folder."""
        os.replace(self.path(*source), self.path(*target))

    def info(self, *parts: str) -> dict[str, Any]:
        """The object's size and, on S3, its ``ETag`` (fsspec's ``info``); FileNotFoundError if absent."""
        return dict(self.fs.info(self.path(*parts)))

    def download(self, parts: tuple[str, ...], target: str | Path) -> str:
        """Copy one object to the local file ``target`` (a temporary name, then a rename); its SHA-256."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, self.fs.open(self.path(*parts), "rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest.hexdigest()

    def upload(self, source: str | Path, *parts: str) -> None:
        """Write the local file ``source`` as one object, seen whole or not at all (local: a
        temporary name and a rename; S3: one PUT, or a multipart upload that appears when complete)."""
        target = self.path(*parts)
        if self.is_local:
            copy_atomic(source, target)
        else:
            self.fs.put_file(str(source), target)

    def sign(self, *parts: str, expires: int) -> str:
        if self.is_local:
            raise StorageError(f"{self.display(*parts)} is on a local folder; presigned links exist only on S3 "
                               "destinations (s3://bucket/prefix)")
        return str(self.fs.sign(self.path(*parts), expiration=expires))


def open_store(dest: str | Path, **options: Any) -> Store:
    """Open ``dest``: a local folder (created when first written to) or ``s3://bucket/prefix``."""
    text = str(dest)
    if text.startswith("s3://"):
        try:
            import s3fs
        except ImportError:  # pragma: no cover - s3fs is a dependency
            raise StorageError("s3:// locations need the s3fs package: pip install s3fs") from None
        bucket_and_prefix = text[len("s3://"):].strip("/")
        if not bucket_and_prefix:
            raise StorageError(f"location {text!r} names no bucket; expected s3://bucket/prefix")
        fs = s3fs.S3FileSystem(**{**s3_options(), **options})
        return Store(fs, bucket_and_prefix, text.rstrip("/"))
    if "://" in text and not text.startswith("file://"):
        raise StorageError(f"location {text!r}: expected a local folder or s3://bucket/prefix")
    from fsspec.implementations.local import LocalFileSystem

    local = Path(text.removeprefix("file://")).expanduser().resolve()  # created by the first write
    return Store(LocalFileSystem(), str(local), str(local))


def is_url(location: str | Path) -> bool:
    """Whether ``location`` names object storage (``s3://…``) rather than a local path."""
    return isinstance(location, str) and location.startswith("s3://")


def open_object(url: str) -> tuple[Store, str]:
    """The store of the folder holding the object ``url`` (``s3://bucket/folder/name``) and its name."""
    folder, _, name = url.rstrip("/").rpartition("/")
    if not name or folder in ("s3:", "s3:/"):
        raise StorageError(f"{url!r} names no object; expected s3://bucket/path/to/file")
    return open_store(folder), name
