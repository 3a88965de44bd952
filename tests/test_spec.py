from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.errors import SpecError
from reportkit.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def test_demo_spec_is_valid():
    spec = load_spec(ROOT / "reports" / "china-ecommerce-2024.yaml")
    assert spec.title.get("zh") == "中国电子商务行业发展报告"
    assert [s.id for s in spec.sections] == ["market", "engagement", "adoption"]
    assert Path(spec.root) == ROOT
    assert spec.resolve("data/x.csv") == ROOT / "data" / "x.csv"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """id: r
title: 标题
sections:
  - id: a
    notebook: nb.ipynb
    title: A
"""


def test_plain_strings_are_the_same_in_every_language(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.title.get("en") == "标题" and spec.sections[0].title.get("zh") == "A"


def test_errors_name_file_line_and_expected(tmp_path):
    bad = GOOD.replace("    title: A", "    title: A\n    colour: red")
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, bad))
    assert info.value.line == 7 and "r.yaml:7" in str(info.value) and "colour" in str(info.value)


def test_bad_language_and_output_are_refused(tmp_path):
    with pytest.raises(SpecError, match=r"r.yaml:2: language: .*'zh', 'en', 'zh-Hant', 'zh-HK'.*got 'fr'"):
        load_spec(_write(tmp_path, GOOD.replace("title: 标题", "language: fr\ntitle: 标题", 1)))
    with pytest.raises(SpecError, match="outputs.0"):
        load_spec(_write(tmp_path, GOOD + "outputs: [docx]\n"))


def test_summary_must_name_a_section(tmp_path):
    with pytest.raises(SpecError, match="names section 'zz'"):
        load_spec(_write(tmp_path, GOOD + "summary: [zz.m]\n"))


def test_duplicate_sections_and_yaml_errors(tmp_path):
    dup = GOOD + "  - id: a\n    notebook: b.ipynb\n    title: B\n"
    with pytest.raises(SpecError, match="used twice"):
        load_spec(_write(tmp_path, dup))
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(_write(tmp_path, "id: [unclosed\n"))
    with pytest.raises(SpecError, match="no such report spec"):
        load_spec(tmp_path / "missing.yaml")
