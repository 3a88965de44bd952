"""Publishing to real S3-compatible storage (SeaweedFS on loopback, tests/seaweed.py): 24 clients
published and verified, each client's credentials reading only its own release, anonymous reads
refused, a publish stopped part-way invisible until the re-run completes it, presigned links."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from seaweed import ADMIN, S3Server
from test_publish import fake_build
from typer.testing import CliRunner

from reportkit.publish import publish, verify
from reportkit.publish.release import releases_of, verify_release
from reportkit.storage import Store

pytest_plugins = ["seaweed"]
pytestmark = pytest.mark.e2e

CLIENTS = ["client-a", "client-b"] + [f"client-{n:02d}" for n in range(3, 25)]
PREFIX = "releases"


def admin_store(server: S3Server, prefix: str = PREFIX) -> Store:
    return Store(server.fs(ADMIN), f"{server.bucket}/{prefix}", f"s3://{server.bucket}/{prefix}")


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch) -> S3Server:
    """The publisher's credentials in the environment, as a user would set them."""
    key, secret = s3_server.credentials[ADMIN]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", "/nonexistent")
    return s3_server


@pytest.fixture(scope="module")
def batch_of_24(tmp_path_factory) -> Path:
    """A batch folder of 24 finished builds, one per client (fake builds: publishing reads only
    the outputs and their recorded hashes; real builds are published in test_publish_real_build)."""
    batch = tmp_path_factory.mktemp("batch24")
    for client in CLIENTS:
        fake_build(batch / client, html=f"<p>报告 for {client}</p>")
    (batch / "index.json").write_text(json.dumps({"rows": [{"id": c, "status": "done"} for c in CLIENTS]}),
                                      encoding="utf-8")
    return batch


def test_24_clients_published_verified_and_isolated(s3_server, batch_of_24):
    # the identities in tests/seaweed.py grant client-a / client-b read access to their own prefix of
    # the bucket; releases therefore go to the bucket root prefix here
    store = Store(s3_server.fs(ADMIN), s3_server.bucket, f"s3://{s3_server.bucket}")
    releases = publish(batch_of_24, store)
    assert [r.client for r in releases] == CLIENTS and all(r.created for r in releases)
    for r in releases:
        assert verify_release(store, r.client, r.report, r.version) == []
    again = publish(batch_of_24, store)  # idempotent: no new version anywhere
    assert not any(r.created for r in again) and [r.version for r in again] == [r.version for r in releases]

    a, b = releases[0], releases[1]
    key_a = f"{s3_server.bucket}/{a.client}/{a.report}/{a.version}/report.html"
    key_b = f"{s3_server.bucket}/{b.client}/{b.report}/{b.version}/report.html"
    fs_a = s3_server.fs("client-a")
    assert fs_a.cat(key_a) == f"<p>报告 for {a.client}</p>".encode()  # A reads its own release
    assert fs_a.cat(f"{s3_server.bucket}/client-a/index.html").startswith(b"<!DOCTYPE html>")
    with pytest.raises(PermissionError):
        fs_a.cat(key_b)  # … and is refused on B's
    with pytest.raises(PermissionError):
        s3_server.fs("client-b").cat(key_a)
    with pytest.raises(PermissionError):
        s3_server.fs(None).cat(key_a)  # anonymous
    with pytest.raises(PermissionError):
        fs_a.pipe(f"{s3_server.bucket}/client-a/{a.report}/{a.version}/report.html", b"replaced")  # read-only


def test_a_publish_stopped_part_way_is_invisible_until_the_rerun(s3_server, tmp_path):
    store = admin_store(s3_server, prefix=f"stopped-{time.time_ns()}")
    build = fake_build(tmp_path / "build")

    def crash(name: str) -> None:
        if name == "report.html":
            raise KeyboardInterrupt  # as a kill between two uploads would

    with pytest.raises(KeyboardInterrupt):
        publish(build, store, client="acme", fail_after=crash)
    assert releases_of(store, "acme") == {}  # a version without its manifest is not a release
    assert not store.exists("acme", "china-ecommerce-2024", "latest.json")
    assert not store.exists("acme", "index.html")
    [release] = publish(build, store, client="acme")
    assert release.created and verify_release(store, "acme", release.report, release.version) == []
    assert json.loads(store.read("acme", release.report, "latest.json"))["version"] == release.version


def test_cli_publish_verify_share_with_credentials_from_the_environment(s3_env, tmp_path):
    from reportkit.cli import app

    build = fake_build(tmp_path / "build", html="<p>分享</p>")
    dest = f"s3://{s3_env.bucket}/cli-{time.time_ns()}"
    res = CliRunner().invoke(app, ["publish", str(build), "--to", dest, "--client", "acme"])
    assert res.exit_code == 0, res.output
    release = res.output.split("→")[-1].strip()
    assert release.startswith(f"{dest}/acme/china-ecommerce-2024/")
    assert verify(release) == []
    res = CliRunner().invoke(app, ["verify", release])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["share", f"{release}/report.html", "--expires", "1h"])
    assert res.exit_code == 0, res.output
    link = res.stdout.strip().splitlines()[-1]
    with urllib.request.urlopen(link, timeout=10) as response:  # no credentials: the signature is enough
        assert response.read().decode("utf-8") == "<p>分享</p>"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(link.replace("Signature=", "Signature=0"), timeout=10)
    assert refused.value.code == 403

    # tampering on the server is caught
    s3_env.fs(ADMIN).pipe(release.removeprefix("s3://") + "/report.pdf", b"%PDF tampered")
    res = CliRunner().invoke(app, ["verify", release])
    assert res.exit_code == 1 and "report.pdf" in res.output


def test_a_real_build_published_for_24_clients(s3_server, tmp_path):
    """The demo's engagement chapter, built for real (HTML + PDF), published 24 times under
    different clients; every release verifies, and its PDF is the build's PDF byte for byte."""
    from test_batch_run import write_spec

    from reportkit.build import build_report

    spec = write_spec(tmp_path / "project", outputs="[html, pdf]")
    build = build_report(spec, out=tmp_path / "build", cache_dir=tmp_path / "cache")
    store = admin_store(s3_server, prefix=f"real-{time.time_ns()}")
    releases = [publish(build.out_dir, store, client=client)[0] for client in CLIENTS]
    assert len({r.version for r in releases}) == 1  # one build, one version, 24 clients
    pdf = (tmp_path / "build" / "report.pdf").read_bytes()
    for r in releases:
        assert verify_release(store, r.client, r.report, r.version) == []
        assert store.read(r.client, r.report, r.version, "report.pdf") == pdf
        manifest = json.loads(store.read(r.client, r.report, r.version, "manifest.json"))
        assert manifest["build"]["sections"][0]["run_key"] == build.manifest.sections[0].run_key
    assert sorted(store.list()) == sorted(CLIENTS)


KILLABLE = r'''
import json, sys, time
from reportkit.publish import publish
from reportkit.storage import Store, open_store

args = json.loads(sys.argv[1])
original = Store.write


def slow_write(self, data, *parts):  # every upload is followed by a pause, so the parent can kill us in between
    original(self, data, *parts)
    print("wrote " + "/".join(parts), flush=True)
    time.sleep(30)


Store.write = slow_write
if args["s3"]:
    import s3fs
    fs = s3fs.S3FileSystem(key=args["key"], secret=args["secret"], skip_instance_cache=True,
                           client_kwargs={"endpoint_url": args["endpoint"], "region_name": "us-east-1"},
                           config_kwargs={"signature_version": "s3v4", "s3": {"addressing_style": "path"}})
    store = Store(fs, args["root"], "s3://" + args["root"])
else:
    store = open_store(args["root"])
publish(args["build"], store, client="acme")
'''


def _kill_after_first_upload(tmp_path: Path, args: dict) -> None:
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "killable.py"
    script.write_text(KILLABLE, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), json.dumps(args)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("wrote "), line
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # kill -9: no cleanup of any kind runs
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("where", ["s3", "local"])
def test_kill_9_mid_upload_leaves_no_visible_release_and_the_rerun_completes(where, s3_server, tmp_path):
    build = fake_build(tmp_path / "build")
    if where == "s3":
        root = f"{s3_server.bucket}/killed-{time.time_ns()}"
        key, secret = s3_server.credentials[ADMIN]
        args = {"s3": True, "root": root, "key": key, "secret": secret, "endpoint": s3_server.endpoint}
        store = Store(s3_server.fs(ADMIN), root, f"s3://{root}")
    else:
        root = str(tmp_path / "dest")
        args = {"s3": False, "root": root}
        store = Store(__import__("fsspec").filesystem("file"), root, root)
    args["build"] = str(build)
    _kill_after_first_upload(tmp_path, args)
    assert releases_of(store, "acme") == {}  # the first file may be there, but no release is
    assert not store.exists("acme", "china-ecommerce-2024", "latest.json") and not store.exists("acme", "index.html")
    [release] = publish(build, store, client="acme")
    assert release.created and verify_release(store, "acme", release.report, release.version) == []
    assert [m["version"] for m in releases_of(store, "acme")["china-ecommerce-2024"]] == [release.version]
