"""The one model of languages: reportkit.i18n (languages, Text, catalogue) and the rules around it."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import reportkit as rk
from reportkit import i18n
from reportkit.errors import ReportKitError
from reportkit.i18n import LANGUAGES, Text, TranslationError
from reportkit.record import session_records

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


def _fields(template: str) -> set[str]:
    """The values a template shows; ``x_lower`` / ``x_label`` are forms of ``x`` (English lowercases
    a label inside a sentence, Chinese names a column by its label), ``scaled`` of ``n`` (a unit
    written in base units with scale words)."""
    return {"n" if name == "scaled" else re.sub(r"_(lower|label)$", "", name)
            for _, name, _, _ in string.Formatter().parse(template)
            if name is not None}


# --------------------------------------------------------------------------- the catalogue


def test_languages_come_from_the_catalogue_default_first():
    files = sorted(p.stem for p in i18n.CATALOGUE_DIR.glob("*.yaml"))
    assert LANGUAGES[0] == i18n.DEFAULT_LANGUAGE == "zh"
    assert sorted(LANGUAGES) == files and {"zh", "en"} <= set(LANGUAGES)


def test_every_catalogue_has_the_same_groups_keys_and_placeholders():
    data = {lang: yaml.safe_load((i18n.CATALOGUE_DIR / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES}
    first = data[LANGUAGES[0]]
    for lang, groups in data.items():
        assert groups.keys() == first.keys(), lang
        for group, entries in groups.items():
            assert entries.keys() == first[group].keys(), f"{lang}: {group}"
            for key, value in entries.items():
                if group == "language":
                    continue
                # a placeholder missing in one language would drop a number from that edition
                assert _fields(value) == _fields(first[group][key]), f"{lang}: {group}.{key}"


def test_message_is_a_text_in_every_language():
    contents = i18n.message("report.contents")
    assert contents["zh"] == "目录" and contents["en"] == "Contents" and contents.languages == LANGUAGES


def test_a_key_missing_in_one_language_fails_naming_it(catalogue_without):
    catalogue_without("en", "contents")
    with pytest.raises(TranslationError, match=r"no 'report.contents' in the 'en' catalogue .*en\.yaml") as info:
        i18n.message("report.contents")
    assert info.value.lang == "en" and info.value.key == "report.contents"
    with pytest.raises(TranslationError, match="no group 'nope' in the 'zh' catalogue"):
        i18n.catalogue("nope", "zh")


def test_data_labels_translate_known_values_and_keep_the_others():
    assert i18n.data_label("美妆个护")["en"] == "Beauty & personal care"
    assert i18n.data_label("美妆个护")["zh"] == "美妆个护"
    assert i18n.data_label("宠物用品") == Text.same("宠物用品")


# --------------------------------------------------------------------------- Text


def test_text_lookup_fails_loudly_on_a_missing_entry():
    t = Text(zh="只有中文")
    assert t["zh"] == "只有中文" and t.zh == "只有中文" and "en" not in t
    with pytest.raises(TranslationError, match=r"no 'en' entry in the text '只有中文' \(it has zh\); add one") as info:
        t["en"]
    assert info.value.lang == "en" and isinstance(info.value, ReportKitError)
    with pytest.raises(TranslationError, match=r"language 'fr' is not offered; expected one of zh, en"):
        t["fr"]
    with pytest.raises(TranslationError, match="language 'fr' is not offered"):
        Text(zh="甲", fr="A")
    with pytest.raises(TranslationError, match="expected a string; got int"):
        Text(zh=1)  # type: ignore[arg-type]


def test_text_is_a_frozen_hashable_picklable_value():
    t = Text(en="Contents", zh="目录")
    assert t.languages == ("zh", "en")  # catalogue order, whatever the call's order
    assert t == Text({"zh": "目录", "en": "Contents"}) and hash(t) == hash(Text(zh="目录", en="Contents"))
    assert pickle.loads(pickle.dumps(t)) == t
    assert Text.from_json(json.loads(json.dumps(t.to_json()))) == t
    with pytest.raises(AttributeError):
        t.zh = "改"  # type: ignore[misc]


def test_format_join_and_concatenation_work_per_language():
    cat = Text(zh="美妆个护", en="Beauty")
    t = Text(zh="{cat}：相关系数 {r:.2f}", en="{cat}: correlation {r:.2f}").format(cat=cat, r=0.734)
    assert t == Text(zh="美妆个护：相关系数 0.73", en="Beauty: correlation 0.73")
    assert Text.join("; ", [Text(zh="甲", en="A"), "x"]) == Text(zh="甲; x", en="A; x")
    assert (Text(zh="注", en="Note") + ": ") == Text(zh="注: ", en="Note: ")
    assert Text(zh="转化", en="Conversion").lower()["en"] == "conversion"


def test_a_text_inside_an_f_string_is_refused():
    t = Text(zh="目录", en="Contents")
    with pytest.raises(TranslationError, match="inside an f-string"):
        f"{t}"


def test_coerce_reads_specs_plain_strings_and_mappings():
    assert Text.coerce("同一") == Text(zh="同一", en="同一")
    assert Text.coerce({"zh": "标题", "en": "Title"})["en"] == "Title"
    with pytest.raises(TranslationError, match=r"title: expected a string or a mapping"):
        Text.coerce(3, source="title")


# --------------------------------------------------------------------------- the kernel's language


def test_records_take_text_in_the_kernel_language():
    rk.use_language("en")
    rk.record("x_share", 12.5, unit="%", label=rk.text(zh="占比", en="Share"), note=rk.text(zh="注", en="Note"))
    rec = {r.name: r for r in session_records()}["x_share"]  # rk.record returns nothing (no Out[] in a notebook)
    assert rec.label == "Share" and rec.note == "Note"
    assert rk.say(zh="期间", en="Period") == "Period"
    rk.use_language("zh")
    rk.record("x_text", rk.text(zh="一句话", en="A sentence"))
    assert {r.name: r for r in session_records()}["x_text"].text == "一句话"
    with pytest.raises(TranslationError, match="set_language: language 'fr' is not offered"):
        rk.use_language("fr")
    with pytest.raises(TranslationError, match="no 'zh' entry"):
        rk.say(en="only English")


# --------------------------------------------------------------------------- languages are defined once

_LANGUAGE_LIST = re.compile(r"""["'](zh|en)["']\s*,\s*["'](zh|en)["']|Literal\[\s*["'](zh|en)["']""")


def test_the_set_of_languages_is_defined_in_one_place():
    """No module lists the languages itself (("zh", "en"), Literal["zh", "en"], {"zh": …, "en": …}
    tables): they come from the catalogue through reportkit.i18n."""
    offenders = []
    for path in sorted((ROOT / "reportkit").rglob("*.py")):
        if path.name == "i18n.py" and path.parent.name == "reportkit":
            continue  # the one place (its docstring shows examples)
        text = path.read_text(encoding="utf-8")
        for m in _LANGUAGE_LIST.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not offenders, "\n".join(offenders)


def test_modules_do_not_branch_on_the_language():
    offenders = []
    for path in sorted((ROOT / "reportkit").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""lang(uage)?\s*[!=]=\s*["']""", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_read_as_prose_and_calls(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        assert not re.search(r"\blang\s*[!=]=", source), f"{notebook.name}: {source[:200]}"


def test_adding_a_language_is_adding_a_catalogue_file(tmp_path):
    """A copy of the package with one more catalogue file (here French, copied from English) offers
    that language everywhere: Text, specs, the generated narrative and number formatting."""
    pkg = tmp_path / "reportkit"
    shutil.copytree(ROOT / "reportkit", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(pkg / "catalogue" / "en.yaml", pkg / "catalogue" / "fr.yaml")
    script = """
import reportkit as rk
from reportkit import i18n
from reportkit.analysis import narrative
from reportkit.style import formatting
from reportkit.spec import ReportSpec
assert rk.__file__.startswith(PKG), rk.__file__
assert i18n.LANGUAGES == ("zh", "en", "fr"), i18n.LANGUAGES
assert i18n.message("report.contents")["fr"] == "Contents"
assert formatting.format_value(155225, "亿元", 0, lang="fr") == "15.52 trn yuan"
assert narrative.ci_method_note(0.1, 0.2, wild=True, lang="fr") == "95% CI 0.10 to 0.20 (wild cluster bootstrap)"
spec = ReportSpec.model_validate({"id": "r", "title": "T", "language": "fr",
                                  "sections": [{"id": "s", "notebook": "n.ipynb", "title": "S"}]})
assert spec.language == "fr" and spec.title["fr"] == "T"
rk.use_language("fr")
rk.record("m", 1.0, label=rk.text(zh="甲", en="A", fr="Un"))
from reportkit.record import session_records
assert {r.name: r for r in session_records()}["m"].label == "Un"
print("ok")
""".replace("PKG", repr(str(pkg)))
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_unit_in_a_label_is_written_in_the_reader_s_words():
    assert i18n.unit_name("亿元") == i18n.Text({"zh": "亿元", "en": "100 mn yuan"})
    assert i18n.unit_name(" 万元 ")["en"] == "10,000 yuan"
    assert i18n.unit_name("USD million") == i18n.Text.same("USD million")  # not in the catalogue: as given
    assert set(i18n.catalogue("unit_names", "zh")) == set(i18n.catalogue("unit_names", "en"))
