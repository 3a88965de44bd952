"""Inputs by URL (reportkit.remote_inputs), the run cache in object storage (reportkit.cache) and the
project bundle (reportkit.batch.bundle), against the SeaweedFS fixture."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid

import pytest

from reportkit.cache import RunCache
from reportkit.data.paths import resolve_data_path
from reportkit.errors import DataError, ReportKitError
from reportkit.remote_inputs import PINNED_ENV, fetch, url_sha256
from reportkit.storage import Store, open_store

pytest_plugins = ["seaweed"]


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    from seaweed import ADMIN

    key, secret = s3_server.credentials[ADMIN]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", "/nonexistent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setenv("REPORTKIT_DOWNLOADS", str(tmp_path / "downloads"))
    monkeypatch.setenv("REPORTKIT_BUNDLES", str(tmp_path / "bundles"))
    monkeypatch.delenv(PINNED_ENV, raising=False)
    return f"s3://{s3_server.bucket}/t-{uuid.uuid4().hex[:8]}"


def _count_downloads(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    original = Store.download

    def counting(self, parts, target):
        calls.append(parts)
        return original(self, parts, target)

    monkeypatch.setattr(Store, "download", counting)
    return calls


def test_an_input_url_is_fetched_once_while_unchanged_and_again_when_replaced(s3, monkeypatch):
    store = open_store(f"{s3}/in")
    store.write("品牌,周\nA,1\n".encode(), "panel.csv")
    url = f"{s3}/in/panel.csv"
    downloads = _count_downloads(monkeypatch)
    first = fetch(url)
    assert first.read_text(encoding="utf-8") == "品牌,周\nA,1\n"
    assert first.parent.name == hashlib.sha256("品牌,周\nA,1\n".encode()).hexdigest()
    assert fetch(url) == first and url_sha256(url) == first.parent.name and len(downloads) == 1
    assert resolve_data_path(url) == first  # what readers call

    store.write("品牌,周\nA,2\n".encode(), "panel.csv")
    second = fetch(url)
    assert second != first and second.read_text(encoding="utf-8").endswith("A,2\n") and len(downloads) == 2
    assert first.is_file()  # kept: an earlier run's content is still there by its hash


def test_a_run_refuses_an_input_replaced_after_planning(s3, monkeypatch, tmp_path):
    store = open_store(f"{s3}/in")
    store.write(b"a,b\n1,2\n", "p.csv")
    url = f"{s3}/in/p.csv"
    planned = url_sha256(url)
    monkeypatch.setenv(PINNED_ENV, json.dumps({url: planned}))
    assert fetch(url).parent.name == planned
    store.write(b"a,b\n1,3\n", "p.csv")
    monkeypatch.setenv("REPORTKIT_DOWNLOADS", str(tmp_path / "another-machine"))  # no copy of the planned content
    with pytest.raises(DataError, match="changed after the report was planned") as exc:
        fetch(url)
    assert url in str(exc.value)


def test_a_missing_object_names_its_url(s3):
    with pytest.raises(DataError, match="no such object") as exc:
        fetch(f"{s3}/in/missing.csv")
    assert f"{s3}/in/missing.csv" in str(exc.value)


def test_the_run_cache_in_object_storage_is_shared_and_verified(s3, tmp_path, monkeypatch):
    executed = tmp_path / "run.ipynb"
    executed.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    order: list[str] = []
    for name in ("upload", "write"):
        original = getattr(Store, name)

        def spy(self, *args, _original=original, _name=name):
            order.append(args[-1])
            return _original(self, *args)

        monkeypatch.setattr(Store, name, spy)
    writer = RunCache(f"{s3}/runs")
    assert writer.remote and writer.get("k1") is None
    assert writer.is_empty() is False  # object storage is never listed to find out
    writer.put("k1", executed)
    assert order == ["k1.ipynb", "k1.json"]  # the notebook first, its record last

    # another machine: another local mirror
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-machine"))
    reader = RunCache(f"{s3}/runs")
    assert reader.folder != writer.folder
    got = reader.get("k1")
    assert got is not None and got.read_bytes() == executed.read_bytes()

    # an entry whose notebook does not match its record is not reused
    open_store(f"{s3}/runs").write(b'{"cells": ["edited"]}', "k1.ipynb")
    got.unlink()
    assert reader.get("k1") is None
    # a notebook without its record counts as absent
    open_store(f"{s3}/runs").write(executed.read_bytes(), "k2.ipynb")
    assert reader.get("k2") is None


def test_the_project_bundle_is_deterministic_and_checked(s3, tmp_path):
    from reportkit.batch.bundle import Bundle, make_archive, materialize

    root = tmp_path / "p"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "a.ipynb").write_text("{}", encoding="utf-8")
    (root / "data").mkdir()
    (root / "data" / "x.csv").write_text("a\n1\n", encoding="utf-8")
    files = ["data/x.csv", "notebooks/a.ipynb"]
    one = make_archive(root, files)
    (root / "data" / "x.csv").touch()  # a newer modification time: the same archive
    assert make_archive(root, files) == one
    sha = hashlib.sha256(one).hexdigest()
    store = open_store(f"{s3}/runs/bundles")
    store.write(one, f"{sha}.tar.gz")
    bundle = Bundle(sha, f"{s3}/runs/bundles/{sha}.tar.gz", tuple(files))
    folder = materialize(bundle)
    assert (folder / "data" / "x.csv").read_text(encoding="utf-8") == "a\n1\n"
    assert (folder / "reports").is_dir()  # a project folder: data/ and reports/
    assert materialize(bundle) == folder

    store.write(one + b"tampered", f"{sha}.tar.gz")
    shutil.rmtree(folder)
    with pytest.raises(ReportKitError, match="changed after the batch stored it"):
        materialize(bundle)


def test_a_bundle_refuses_an_input_outside_the_project(tmp_path):
    from reportkit.batch.bundle import _relative

    with pytest.raises(ReportKitError, match="outside the project folder"):
        _relative(tmp_path / "elsewhere" / "x.csv", tmp_path / "project", "input 'x.csv'")


def test_the_addressing_style_comes_from_the_environment_or_the_config(tmp_path, monkeypatch):
    from reportkit.errors import StorageError
    from reportkit.storage import s3_options

    config = tmp_path / "storage.toml"
    config.write_text('[s3]\nendpoint_url = "https://oss-cn-shanghai.aliyuncs.com"\naddressing_style = "virtual"\n',
                      encoding="utf-8")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", str(config))
    monkeypatch.delenv("REPORTKIT_S3_ADDRESSING", raising=False)
    assert s3_options()["config_kwargs"] == {"signature_version": "s3v4", "s3": {"addressing_style": "virtual"}}
    monkeypatch.setenv("REPORTKIT_S3_ADDRESSING", "path")
    assert s3_options()["config_kwargs"]["s3"] == {"addressing_style": "path"}
    monkeypatch.setenv("REPORTKIT_S3_ADDRESSING", "sideways")
    with pytest.raises(StorageError, match="'sideways'.*expected one of auto, path, virtual"):
        s3_options()


def test_a_config_whose_s3_entry_is_not_a_table_is_named(tmp_path, monkeypatch):
    from reportkit.errors import StorageError
    from reportkit.storage import s3_options

    config = tmp_path / "storage.toml"
    config.write_text('s3 = "https://oss-cn-shanghai.aliyuncs.com"\n', encoding="utf-8")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", str(config))
    with pytest.raises(StorageError, match=r"storage\.toml has s3 = 'https://oss-cn-shanghai.*expected an \[s3\] table"):
        s3_options()


def test_has_reads_only_the_record_in_object_storage(s3, tmp_path, monkeypatch):
    executed = tmp_path / "run.ipynb"
    executed.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    cache = RunCache(f"{s3}/runs")
    assert not cache.has("k1")
    cache.put("k1", executed)
    downloads = _count_downloads(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    other = RunCache(f"{s3}/runs")
    assert other.has("k1") and downloads == []  # the record answers; the notebook is not fetched
    assert other.get("k1") is not None and len(downloads) == 1
