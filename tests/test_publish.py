"""Publishing to a local folder: layout, immutable versions, pointer written last, idempotence,
dry run, verify, client isolation, a publish stopped part-way. (S3: tests/test_publish_s3.py.)"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from test_manifest import sample_manifest
from typer.testing import CliRunner

from reportkit.errors import ManifestError, PublishError, StorageError
from reportkit.manifest import OutputFile, SectionEntry
from reportkit.publish import check_client_id, open_store, publish, share, verify
from reportkit.publish.release import releases_of


def fake_build(folder: Path, *, report: str = "china-ecommerce-2024", html: str = "<p>报告</p>",
               generated: str = "2026-11-26T03:00:00+00:00", **changes) -> Path:
    """A finished build as `reportkit build` leaves it: outputs plus a manifest with their hashes
    (``changes``: other manifest fields, e.g. ``language``, ``spec_language``, ``edition``)."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {"report.html": html.encode("utf-8"), "report.pdf": b"%PDF-1.7 " + html.encode("utf-8")}
    for name, data in outputs.items():
        (folder / name).write_bytes(data)
    manifest = sample_manifest(
        **({"title": "中国电子商务行业发展报告", "language": "zh"} | changes), report=report, generated=generated,
        outputs={"html": "report.html", "pdf": "report.pdf"},
        files=tuple(OutputFile(n, len(d), hashlib.sha256(d).hexdigest()) for n, d in outputs.items()),
        sections=(SectionEntry(id="market", notebook="notebooks/market_trends.ipynb", executed_notebook="runs/market.ipynb",
                               parameters={"series": "online_retail"}, run_key="abc", reused_from_cache=False,
                               inputs={}, metrics={}),),
    )
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return folder


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_a_release_has_the_outputs_a_manifest_a_pointer_and_an_index(tmp_path):
    build = fake_build(tmp_path / "build")
    [release] = publish(build, tmp_path / "dest", client="acme")
    version_dir = tmp_path / "dest" / "acme" / "china-ecommerce-2024" / release.version
    assert sorted(p.name for p in version_dir.iterdir()) == ["manifest.json", "report.html", "report.pdf"]
    assert release.version.startswith("20261126-") and release.created
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["client"] == "acme" and manifest["version"] == release.version
    assert manifest["files"]["report.pdf"]["sha256"] == hashlib.sha256((build / "report.pdf").read_bytes()).hexdigest()
    assert manifest["build"]["sections"][0]["run_key"] == "abc"  # provenance travels with the release
    latest = json.loads((tmp_path / "dest" / "acme" / "china-ecommerce-2024" / "latest.json").read_text(encoding="utf-8"))
    assert latest["version"] == release.version
    index = (tmp_path / "dest" / "acme" / "index.html").read_text(encoding="utf-8")
    assert f'href="china-ecommerce-2024/{release.version}/report.pdf"' in index and "中国电子商务行业发展报告" in index
    assert verify(version_dir) == []


def test_publishing_the_same_build_twice_creates_no_new_version(tmp_path):
    build = fake_build(tmp_path / "build")
    first = publish(build, tmp_path / "dest", client="acme")[0]
    before = files_under(tmp_path / "dest")
    again = publish(build, tmp_path / "dest", client="acme")[0]
    assert again.version == first.version and not again.created
    assert files_under(tmp_path / "dest") == before  # nothing rewritten


def test_a_new_build_is_a_new_version_and_the_pointer_moves(tmp_path):
    dest = tmp_path / "dest"
    v1 = publish(fake_build(tmp_path / "b1"), dest, client="acme")[0].version
    v2 = publish(fake_build(tmp_path / "b2", html="<p>更新</p>", generated="2026-12-01T00:00:00+00:00"), dest,
                 client="acme")[0].version
    assert v1 != v2
    report = dest / "acme" / "china-ecommerce-2024"
    assert json.loads((report / "latest.json").read_text(encoding="utf-8"))["version"] == v2
    assert (report / v1 / "report.html").read_text(encoding="utf-8") == "<p>报告</p>"  # old versions stay
    assert [m["version"] for m in releases_of(open_store(dest), "acme")["china-ecommerce-2024"]] == [v2, v1]


def test_dry_run_lists_what_would_be_written_and_writes_nothing(tmp_path):
    build = fake_build(tmp_path / "build")
    dest = tmp_path / "dest"
    [release] = publish(build, dest, client="acme", dry_run=True)
    assert files_under(dest) == {}
    assert any(w.endswith(f"/acme/china-ecommerce-2024/{release.version}/report.pdf") for w in release.written)
    assert any(w.endswith("/acme/index.html") for w in release.written)


def test_verify_finds_a_changed_or_missing_file(tmp_path):
    [release] = publish(fake_build(tmp_path / "build"), tmp_path / "dest", client="acme")
    version_dir = tmp_path / "dest" / "acme" / "china-ecommerce-2024" / release.version
    pdf = version_dir / "report.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"1.7", b"1.6"))
    problems = verify(version_dir)
    assert len(problems) == 1 and "report.pdf" in problems[0] and "the manifest records" in problems[0]
    (version_dir / "report.html").unlink()
    assert any("report.html is missing" in p for p in verify(version_dir))


def test_a_publish_stopped_part_way_leaves_nothing_visible_and_the_rerun_completes(tmp_path):
    build = fake_build(tmp_path / "build")
    dest = tmp_path / "dest"

    def crash(name: str) -> None:
        if name == "report.html":
            raise KeyboardInterrupt  # as a kill between two files would

    with pytest.raises(KeyboardInterrupt):
        publish(build, dest, client="acme", fail_after=crash)
    report = dest / "acme" / "china-ecommerce-2024"
    assert [p.name for p in report.iterdir() if not p.name.startswith(".")] == []  # no version, no pointer
    assert not (dest / "acme" / "index.html").exists()
    assert releases_of(open_store(dest), "acme") == {}
    [release] = publish(build, dest, client="acme")
    assert release.created and verify(report / release.version) == []
    assert json.loads((report / "latest.json").read_text(encoding="utf-8"))["version"] == release.version


def test_a_build_with_an_older_manifest_is_refused_naming_the_key(tmp_path):
    build = fake_build(tmp_path / "build")
    data = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    del data["build_key"]  # written by a reportkit without build keys
    (build / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ManifestError, match="'build_key'") as exc:
        publish(build, tmp_path / "dest", client="acme")
    assert exc.value.path == str(build / "manifest.json") and exc.value.key == "build_key"
    assert not (tmp_path / "dest" / "acme").exists()


def test_a_build_changed_after_it_was_built_is_not_published(tmp_path):
    build = fake_build(tmp_path / "build")
    (build / "report.html").write_text("<p>edited by hand</p>", encoding="utf-8")
    with pytest.raises(PublishError, match="does not match the SHA-256 its build recorded"):
        publish(build, tmp_path / "dest", client="acme")
    assert not (tmp_path / "dest" / "acme").exists()


@pytest.mark.parametrize("bad", ["../x", "/etc", "a/b", "", ".", "..", "a\\b", "a\x00b", " acme", "-rf", ".hidden",
                                 "x" * 65, "acme/../../b", "~root"])
def test_malicious_client_ids_are_refused(bad, tmp_path):
    with pytest.raises(PublishError, match="client id"):
        check_client_id(bad)
    with pytest.raises(PublishError, match="client id"):
        publish(fake_build(tmp_path / "build"), tmp_path / "dest", client=bad)
    assert not any((tmp_path / "dest").rglob("*.html")) if (tmp_path / "dest").exists() else True
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def test_client_ids_are_normalised():
    assert check_client_id("ＡＣＭＥ") == "ACME"  # full-width letters → one spelling
    assert check_client_id("母婴品牌-01") == "母婴品牌-01"


def test_a_batch_folder_publishes_each_finished_row_to_its_client(tmp_path):
    batch = tmp_path / "batch"
    for row in ("client-a", "client-b"):
        fake_build(batch / row, html=f"<p>{row}</p>")
    (batch / "index.json").write_text(json.dumps({"rows": [
        {"id": "client-a", "status": "done"}, {"id": "client-b", "status": "reused"}, {"id": "client-c", "status": "failed"},
    ]}), encoding="utf-8")
    releases = publish(batch, tmp_path / "dest")
    assert [r.client for r in releases] == ["client-a", "client-b"]
    for r in releases:  # each client's folder holds only its own report
        html = (tmp_path / "dest" / r.client / r.report / r.version / "report.html").read_text(encoding="utf-8")
        assert html == f"<p>{r.client}</p>"
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["client-a", "client-b"]
    with pytest.raises(PublishError, match="no finished row with that id"):
        publish(batch, tmp_path / "dest", client="client-c")


def test_one_build_needs_a_client(tmp_path):
    with pytest.raises(PublishError, match="--client"):
        publish(fake_build(tmp_path / "build"), tmp_path / "dest")


def test_share_refuses_local_folders(tmp_path):
    [release] = publish(fake_build(tmp_path / "build"), tmp_path / "dest", client="acme")
    with pytest.raises(StorageError, match="presigned links exist only on S3"):
        share(tmp_path / "dest" / "acme" / "china-ecommerce-2024" / release.version / "report.pdf")


def test_cli_publish_verify(tmp_path):
    from reportkit.cli import app

    build = fake_build(tmp_path / "build")
    dest = tmp_path / "dest"
    res = CliRunner().invoke(app, ["publish", str(build), "--to", str(dest), "--client", "acme", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "would write" in res.output and not dest.exists() or files_under(dest) == {}
    res = CliRunner().invoke(app, ["publish", str(build), "--to", str(dest), "--client", "acme"])
    assert res.exit_code == 0, res.output
    [version] = [p for p in (dest / "acme" / "china-ecommerce-2024").iterdir() if p.is_dir()]
    res = CliRunner().invoke(app, ["verify", str(version)])
    assert res.exit_code == 0 and "ok" in res.output
    os.chmod(version / "report.pdf", 0o644)
    (version / "report.pdf").write_bytes(b"tampered")
    res = CliRunner().invoke(app, ["verify", str(version)])
    assert res.exit_code == 1 and "report.pdf" in res.output
    res = CliRunner().invoke(app, ["publish", str(build), "--to", str(dest), "--client", "../other"])
    assert res.exit_code == 2 and "client id" in res.output


def test_s3_settings_come_from_the_environment_then_the_user_config(tmp_path, monkeypatch):
    from reportkit.storage import s3_options

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "REPORTKIT_S3_ENDPOINT", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "storage.toml"
    config.write_text('[s3]\nendpoint_url = "https://oss.example.cn"\nkey = "K"\nsecret = "S"\nregion = "cn-sh"\n',
                      encoding="utf-8")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", str(config))
    options = s3_options()
    assert options["key"] == "K" and options["secret"] == "S"
    assert options["client_kwargs"] == {"endpoint_url": "https://oss.example.cn", "region_name": "cn-sh"}
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "envK")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envS")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    options = s3_options()
    assert (options["key"], options["secret"]) == ("envK", "envS")
    assert options["client_kwargs"]["endpoint_url"] == "http://127.0.0.1:9000"
    config.write_text("[s3\nbroken", encoding="utf-8")
    with pytest.raises(StorageError, match="cannot read the storage config"):
        s3_options()


# --------------------------------------------------------------------------- reserved and case-clashing ids


@pytest.mark.parametrize("bad", ["CON", "nul", "COM1", "aux.txt", "lpt9", "PRN.pdf"])
def test_device_names_are_refused_as_client_ids(bad, tmp_path):
    with pytest.raises(PublishError) as exc:
        publish(fake_build(tmp_path / "build"), tmp_path / "dest", client=bad)
    msg = str(exc.value)
    assert repr(bad) in msg and "--client" in msg and "device name" in msg and "at most 64 characters" in msg
    assert not (tmp_path / "dest").exists()


def test_a_client_differing_only_by_case_from_one_in_the_destination_is_refused(tmp_path):
    dest = tmp_path / "dest"
    publish(fake_build(tmp_path / "b1"), dest, client="Acme")
    before = files_under(dest)
    for dry_run in (True, False):
        with pytest.raises(PublishError) as exc:
            publish(fake_build(tmp_path / "b2", html="<p>别的客户</p>"), dest, client="acme", dry_run=dry_run)
        msg = str(exc.value)
        assert "'acme'" in msg and "'Acme'" in msg and str(dest) in msg and "only by case" in msg
    assert files_under(dest) == before and sorted(p.name for p in dest.iterdir()) == ["Acme"]
    publish(fake_build(tmp_path / "b2", html="<p>更新</p>"), dest, client="Acme")  # the same spelling is fine


def test_a_batch_with_rows_differing_only_by_case_publishes_nothing(tmp_path):
    batch = tmp_path / "batch"
    for row in ("zeta", "Acme", "acme"):
        fake_build(batch / row, html=f"<p>{row}</p>")
    (batch / "index.json").write_text(json.dumps({"rows": [
        {"id": r, "status": "done"} for r in ("zeta", "Acme", "acme")]}), encoding="utf-8")
    with pytest.raises(PublishError) as exc:
        publish(batch, tmp_path / "dest")
    msg = str(exc.value)
    assert "'acme'" in msg and "'Acme'" in msg and str(batch / "index.json") in msg and "only by case" in msg
    assert not (tmp_path / "dest").exists()


def test_a_batch_row_with_a_device_name_names_the_batch_index(tmp_path):
    batch = tmp_path / "batch"
    fake_build(batch / "ok")
    (batch / "index.json").write_text(json.dumps({"rows": [
        {"id": "ok", "status": "done"}, {"id": "CON", "status": "done"}]}), encoding="utf-8")
    with pytest.raises(PublishError) as exc:
        publish(batch, tmp_path / "dest")
    msg = str(exc.value)
    assert "'CON'" in msg and str(batch / "index.json") in msg and "row 2" in msg and "device name" in msg
    assert not (tmp_path / "dest").exists()


def test_the_rerun_of_a_stopped_publish_removes_its_staging_folder(tmp_path):
    """A publish killed while staging leaves `.<version>.partial-*/` (with `.*.partial` files inside);
    the next publish of the report removes it (kill trials found them accumulating)."""
    build = fake_build(tmp_path / "build")
    dest = tmp_path / "dest"

    def crash(name: str) -> None:
        if name == "report.html":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish(build, dest, client="acme", fail_after=crash)
    report = dest / "acme" / "china-ecommerce-2024"
    [staging] = [p for p in report.iterdir() if ".partial" in p.name]
    (staging / ".report.pdf.x1y2.partial").write_bytes(b"half")  # a write cut short
    [release] = publish(build, dest, client="acme")
    assert release.created
    assert not [p for p in report.rglob("*") if ".partial" in p.name]


def test_a_rerun_after_a_stop_between_the_version_and_the_pointer_moves_the_pointer(tmp_path):
    """Version B renamed into place, then the publish stops before latest.json and index.html: the
    re-run finds B published and must still point at it and list it (it used to keep A)."""
    dest = tmp_path / "dest"
    a = publish(fake_build(tmp_path / "a"), dest, client="acme")[0].version
    b_build = fake_build(tmp_path / "b", html="<p>新版</p>", generated="2026-12-02T00:00:00+00:00")

    def crash(name: str) -> None:
        if name == "manifest.json":  # called after the rename, before the pointer and the index
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish(b_build, dest, client="acme", fail_after=crash)
    report = dest / "acme" / "china-ecommerce-2024"
    assert json.loads((report / "latest.json").read_text(encoding="utf-8"))["version"] == a
    [again] = publish(b_build, dest, client="acme")
    assert not again.created and again.version != a
    assert json.loads((report / "latest.json").read_text(encoding="utf-8"))["version"] == again.version
    assert again.version in (dest / "acme" / "index.html").read_text(encoding="utf-8")
    # re-publishing the older build does not move the pointer back
    publish(fake_build(tmp_path / "a"), dest, client="acme")
    assert json.loads((report / "latest.json").read_text(encoding="utf-8"))["version"] == again.version


# --------------------------------------------------------------------------- what a client may receive


def test_an_analyst_edition_is_not_published_to_a_client(tmp_path):
    """The analyst edition shows the notebooks' code; a client's output hides it (nothing is written)."""
    build = fake_build(tmp_path / "build", edition="analyst")
    with pytest.raises(PublishError) as err:
        publish(build, tmp_path / "dest", client="acme")
    message = str(err.value)
    assert str(build) in message and "'analyst'" in message and "client edition" in message
    assert not (tmp_path / "dest" / "acme").exists()


def test_a_batch_with_an_analyst_edition_row_publishes_nothing(tmp_path):
    batch = tmp_path / "batch"
    fake_build(batch / "acme")
    fake_build(batch / "globex", edition="analyst")
    rows = [{"id": "acme", "status": "done"}, {"id": "globex", "status": "done"}]
    (batch / "index.json").write_text(json.dumps({"rows": rows}), encoding="utf-8")
    with pytest.raises(PublishError, match="globex"):
        publish(batch, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() or not any((tmp_path / "dest").rglob("*.json"))


def test_each_language_edition_of_a_report_has_its_own_folder_and_latest(tmp_path):
    """zh (the spec's language) and en builds of one report: two reports on the client's page, each
    with its own pointer, not one pointer that flips between languages."""
    dest = tmp_path / "dest"
    zh = publish(fake_build(tmp_path / "zh", spec_language="zh"), dest, client="acme")[0]
    en = publish(fake_build(tmp_path / "en", html="<p>report</p>", language="en", spec_language="zh",
                            title="China e-commerce", generated="2026-11-27T03:00:00+00:00"), dest, client="acme")[0]
    assert (zh.report, en.report) == ("china-ecommerce-2024", "china-ecommerce-2024-en")
    for release in (zh, en):
        folder = dest / "acme" / release.report
        assert json.loads((folder / "latest.json").read_text(encoding="utf-8"))["version"] == release.version
        assert verify(folder / release.version) == []
    manifest = json.loads((dest / "acme" / en.report / en.version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"] == "china-ecommerce-2024-en" and manifest["build"]["report"] == "china-ecommerce-2024"
    assert manifest["build"]["language"] == "en"
    assert sorted(releases_of(open_store(dest), "acme")) == ["china-ecommerce-2024", "china-ecommerce-2024-en"]
    index = (dest / "acme" / "index.html").read_text(encoding="utf-8")
    assert f'href="china-ecommerce-2024/{zh.version}/report.pdf"' in index
    assert f'href="china-ecommerce-2024-en/{en.version}/report.pdf"' in index


def test_a_build_in_the_specs_own_language_keeps_the_report_folder(tmp_path):
    """An en spec's en build goes to <report>, its zh build to <report>-zh; a build whose manifest
    predates spec_language goes to <report>, as before."""
    dest = tmp_path / "dest"
    en = publish(fake_build(tmp_path / "en", language="en", spec_language="en"), dest, client="acme")[0]
    zh = publish(fake_build(tmp_path / "zh", html="<p>中文</p>", spec_language="en"), dest, client="acme")[0]
    old = publish(fake_build(tmp_path / "old", html="<p>old</p>", language="en", report="older"), dest, client="acme")[0]
    assert (en.report, zh.report, old.report) == ("china-ecommerce-2024", "china-ecommerce-2024-zh", "older")


@pytest.mark.parametrize("damage", ["[]", "{not json", None])
def test_a_damaged_published_version_is_named_and_left_as_it_is(tmp_path, damage):
    build = fake_build(tmp_path / "build")
    [first] = publish(build, tmp_path / "dest", client="acme")
    manifest = tmp_path / "dest" / "acme" / "china-ecommerce-2024" / first.version / "manifest.json"
    if damage is None:
        manifest.unlink()
    else:
        manifest.write_text(damage, encoding="utf-8")  # valid JSON but not an object, or not JSON
    before = files_under(tmp_path / "dest")
    with pytest.raises(PublishError, match=rf"acme/china-ecommerce-2024/{first.version} exists but is not a complete "
                                           r"release: its manifest.json is missing, unreadable or not a manifest"):
        publish(build, tmp_path / "dest", client="acme")
    assert files_under(tmp_path / "dest") == before  # no staging folder left, nothing replaced
    assert releases_of(open_store(tmp_path / "dest"), "acme") == {}  # not listed as a release
