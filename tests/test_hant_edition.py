"""End to end: the demo report's Traditional Chinese edition (`--lang zh-Hant`), accessible PDF.

Built once for the module (its runs are the zh runs, shared with the session's other demo builds:
conftest.demo_runs). What a
Hong Kong or Taiwan reader gets: Traditional characters everywhere (converting the PDF's text from
Simplified to Traditional again changes nothing), 億元 for 亿元, a Traditional Chinese font embedded,
and a tagged PDF whose every figure has its alternative text."""
from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
from pathlib import Path

import opencc
import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from reportkit.build import build_report
from reportkit.plan import make_plan
from reportkit.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hant(tmp_path_factory, demo_runs):
    return build_report(SPEC, lang="zh-Hant", out=tmp_path_factory.mktemp("hant"), cache_dir=demo_runs,
                        pdf="accessible")


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages)


def test_the_pdf_reads_in_traditional_characters(hant):
    text = _text(hant.outputs["pdf"])
    assert "中國電子商務" in text and "億元" in text
    assert "中国电子商务" not in text and "亿元" not in text
    # no Simplified character left: character conversion (s2t, and Taiwan's standard forms, s2tw)
    # changes nothing (s2twp's phrases are not a test: reportkit puts back the general sense of some)
    for config in ("s2t", "s2tw"):
        again = opencc.OpenCC(config).convert(text)
        changed = sorted({(text[i1:i2], again[j1:j2]) for op, i1, i2, j1, j2
                          in difflib.SequenceMatcher(None, text, again, autojunk=False).get_opcodes() if op != "equal"})
        assert not changed, f"{config} still converts {changed[:20]}"


def test_the_pdf_embeds_traditional_chinese_fonts_only(hant):
    fonts = set()
    for page in pypdf.PdfReader(hant.outputs["pdf"]).pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            fonts.add(re.sub(r"^[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"])))
    assert any(re.search(r"CJK-?TC", f, re.I) for f in fonts), fonts
    assert not any(re.search(r"CJK-?SC", f, re.I) for f in fonts), fonts  # no Simplified Chinese face


def test_html_and_manifest_name_the_edition(hant):
    html = hant.outputs["html"].read_text(encoding="utf-8")
    assert '<html lang="zh-Hant"' in html
    assert "Noto Sans CJK TC" in html and "Noto Sans CJK SC" not in html
    manifest = json.loads(hant.outputs["manifest"].read_text(encoding="utf-8"))
    assert manifest["language"] == "zh-Hant"


def test_the_runs_are_the_chinese_runs(hant):
    zh = make_plan(load_spec(SPEC), lang="zh")
    assert [s.run_key for s in hant.manifest.sections] == [r.run_key for r in zh.runs]
    assert {s.parameters.get("lang") for s in hant.manifest.sections} <= {"zh", None}


def _figures(pdf: Path) -> list[str]:
    alts: list[str] = []

    def walk(node):
        node = node.get_object() if isinstance(node, IndirectObject) else node
        if not isinstance(node, DictionaryObject):
            return
        if node.get("/S") == "/Figure":
            alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []):
            walk(kid)

    walk(pypdf.PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return alts


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils' pdfinfo is not installed")
def test_pdfinfo_says_tagged(hant):
    out = subprocess.run(["pdfinfo", str(hant.outputs["pdf"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", out, re.M), out


def test_every_figure_has_its_alternative_text(hant):
    html = hant.outputs["html"].read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="figure" id="figure-(\d+)">', html)
    alts = [a for a in _figures(hant.outputs["pdf"]) if a.startswith("圖 ")]
    assert figures and len(alts) == len(figures), (figures, alts)
    for n, alt in zip(figures, alts, strict=True):
        assert alt.startswith(f"圖 {n}："), alt
    assert str(pypdf.PdfReader(hant.outputs["pdf"]).trailer["/Root"]["/Lang"]) == "zh-Hant"
