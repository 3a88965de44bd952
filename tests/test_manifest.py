"""The build's provenance as frozen objects: Manifest round trips through manifest.json exactly,
a malformed or older manifest is refused naming the file and the key, BuildInfo is checked once."""
from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from reportkit.errors import ManifestError, RenderError, ReportKitError
from reportkit.manifest import (
    BuildInfo,
    DataFile,
    GitState,
    Manifest,
    MetricEntry,
    OutputFile,
    SectionEntry,
    SectionInfo,
)


def sample_manifest(**changes) -> Manifest:
    """A finished build's manifest as `reportkit build` writes it (tests of publish and batch use it)."""
    fields: dict = {
        "report": "china-ecommerce-2024", "title": "中国电子商务行业发展报告", "language": "zh", "theme": "default",
        "edition": "client", "spec": "reports/china-ecommerce-2024.yaml", "generated": "2026-11-26T03:00:00+00:00",
        "git": GitState("0" * 40, False), "reportkit_version": "0.1.0",
        "environment": {"python": "3.11.7", "papermill": "2.6.0"},
        "data": (DataFile("data/nbs_online_retail_annual.csv", "a" * 64, "国家统计局", "CC-BY"),),
        "sections": (SectionEntry(
            id="market", notebook="notebooks/market_trends.ipynb", executed_notebook="runs/market.ipynb",
            parameters={"series": "online_retail", "lang": "zh"}, run_key="abc", reused_from_cache=False,
            inputs={"data/nbs_online_retail_annual.csv": "a" * 64},
            metrics={"level_latest": MetricEntry(155225, "亿元", "网上零售额", None, None),
                     "cagr": MetricEntry(0.0791, "%", "年均增速", 0.05, 0.1)}),),
        "build_key": "0123456789abcdef",
        "outputs": {"html": "report.html", "pdf": "report.pdf"},
        "files": (OutputFile("report.html", 10, "b" * 64), OutputFile("report.pdf", 20, "c" * 64),
                  OutputFile("runs/market.ipynb", 30, "d" * 64)),
        "pdf_pages": 12,
        "timings_seconds": {"plan": 0.1, "run:market": 2.5, "total": 4.0},
    }
    fields.update(changes)
    return Manifest(**fields)


def test_round_trip_is_exact():
    manifest = sample_manifest()
    again = Manifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.to_json() == manifest.to_json()
    assert Manifest.from_json(sample_manifest(pdf_pages=None, git=GitState("unknown", None)).to_json()).pdf_pages is None


def test_the_specs_language_names_the_release_folder_of_another_language():
    en = sample_manifest(language="en", spec_language="zh")
    assert Manifest.from_json(en.to_json()) == en
    assert en.release_folder == "china-ecommerce-2024-en"
    assert sample_manifest(spec_language="zh").release_folder == "china-ecommerce-2024"
    assert sample_manifest(language="zh-Hant", spec_language="zh").release_folder == "china-ecommerce-2024-zh-Hant"
    data = json.loads(en.to_json())
    del data["spec_language"]  # a build from before the key: read, and its releases keep the report's folder
    older = Manifest.from_json(json.dumps(data))
    assert older.spec_language is None and older.release_folder == "china-ecommerce-2024"


def test_the_json_keeps_the_manifest_shape():
    data = json.loads(sample_manifest().to_json())
    assert list(data) == ["report", "title", "language", "theme", "edition", "spec", "generated", "git",
                          "reportkit_version", "environment", "data", "sections", "outputs", "files", "build_key",
                          "pdf_pages", "timings_seconds", "summary", "release_notes", "spec_language"]
    assert data["git"] == {"commit": "0" * 40, "dirty": False}
    assert data["data"][0] == {"path": "data/nbs_online_retail_annual.csv", "sha256": "a" * 64,
                               "source": "国家统计局", "licence": "CC-BY"}
    assert list(data["sections"][0]) == ["id", "notebook", "executed_notebook", "parameters", "run_key",
                                         "reused_from_cache", "inputs", "metrics"]
    assert data["sections"][0]["metrics"]["cagr"] == {"value": 0.0791, "unit": "%", "label": "年均增速",
                                                      "ci_low": 0.05, "ci_high": 0.1, "decimals": None}
    assert data["files"]["report.pdf"] == {"bytes": 20, "sha256": "c" * 64}


def test_a_manifest_is_frozen_and_with_outputs_returns_a_copy(tmp_path):
    manifest = sample_manifest(outputs={}, files=(), pdf_pages=None, timings_seconds={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.report = "x"  # type: ignore[misc]
    (tmp_path / "runs").mkdir()
    (tmp_path / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    (tmp_path / "runs" / "market.ipynb").write_text("{}", encoding="utf-8")
    done = manifest.with_outputs({"html": tmp_path / "report.html"}, tmp_path, pdf_pages=None, timings={"total": 1.0})
    assert manifest.files == () and manifest.outputs == {}
    assert done.outputs == {"html": "report.html"}
    assert [f.path for f in done.files] == ["report.html", "runs/market.ipynb"] and done.files[0].bytes == 9
    assert Manifest.from_json(done.to_json()) == done


@pytest.mark.parametrize(("edit", "key"), [
    (lambda d: d.pop("build_key"), "build_key"),  # written before build keys existed
    (lambda d: d.pop("files"), "files"),
    (lambda d: d["sections"][0].pop("executed_notebook"), "sections[0].executed_notebook"),
    (lambda d: d["sections"][0].update(reused_from_cache="yes"), "sections[0].reused_from_cache"),
    (lambda d: d["data"][0].pop("sha256"), "data[0].sha256"),
    (lambda d: d["files"]["report.pdf"].update(bytes="20"), "files.report.pdf.bytes"),
    (lambda d: d["git"].pop("commit"), "git.commit"),
    (lambda d: d.update(pdf_pages=True), "pdf_pages"),
    (lambda d: d["sections"][0]["metrics"]["cagr"].pop("unit"), "sections[0].metrics.cagr.unit"),
])
def test_a_malformed_or_older_manifest_names_the_key_and_the_file(tmp_path, edit, key):
    data = json.loads(sample_manifest().to_json())
    edit(data)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ManifestError) as exc:
        Manifest.read(path)
    assert exc.value.key == key and exc.value.path == str(path)
    assert str(path) in str(exc.value) and repr(key) in str(exc.value)
    assert isinstance(exc.value, ReportKitError)


def test_not_json_and_no_file_are_manifest_errors(tmp_path):
    path = tmp_path / "manifest.json"
    with pytest.raises(ManifestError, match="does not exist"):
        Manifest.read(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ManifestError, match="is not valid JSON") as exc:
        Manifest.read(path)
    assert exc.value.path == str(path)
    with pytest.raises(ManifestError, match="expected an object"):
        Manifest.from_json("[]", path=path)


def test_manifest_errors_and_manifests_cross_processes():
    err = ManifestError("missing at key 'files'", path="build/x/manifest.json", key="files")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ManifestError and back.key == "files" and str(back) == str(err)
    manifest = sample_manifest()
    assert pickle.loads(pickle.dumps(manifest)) == manifest


def test_build_info_comes_from_the_manifest():
    info = sample_manifest(git=GitState("abc", True)).build_info
    assert info.commit == "abc (uncommitted changes)" and info.spec_path == "reports/china-ecommerce-2024.yaml"
    assert info.sections == {"market": SectionInfo("notebooks/market_trends.ipynb",
                                                   {"series": "online_retail", "lang": "zh"}, "abc")}
    assert info.data == (DataFile("data/nbs_online_retail_annual.csv", "a" * 64),)


def test_build_info_from_a_mapping_is_checked_once():
    mapping = {"generated": "", "commit": "c", "reportkit_version": "0.1.0", "spec_path": "r.yaml",
               "sections": {"s": {"notebook": "n.ipynb", "parameters": {"a": 1}, "run_key": "k"}},
               "data": [{"path": "d.csv", "sha256": "e" * 64}], "environment": {"python": "3.11"}}
    info = BuildInfo.from_mapping(mapping)
    assert info.sections["s"].parameters == {"a": 1} and info.data[0].sha256 == "e" * 64
    assert BuildInfo.from_mapping(info) is info
    with pytest.raises(RenderError, match="build_info lacks environment"):
        BuildInfo.from_mapping({k: v for k, v in mapping.items() if k != "environment"}, error=RenderError)
    with pytest.raises(ManifestError, match=r"build_info\['sections'\]\['s'\] must be a mapping with notebook"):
        BuildInfo.from_mapping(mapping | {"sections": {"s": {"notebook": "n.ipynb"}}})
    with pytest.raises(ManifestError, match=r"build_info\['data'\] must be a list"):
        BuildInfo.from_mapping(mapping | {"data": "d.csv"})
