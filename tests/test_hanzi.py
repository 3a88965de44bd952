"""Traditional Chinese editions: OpenCC conversion of what a reader sees, the variant catalogues,
Text lookups and plans (fast; the end-to-end build is tests/test_hant_edition.py)."""
from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from reportkit import hanzi, i18n
from reportkit.i18n import EDITIONS, LANGUAGES, Text, TranslationError, catalogue, html_lang, run_language
from reportkit.plan import make_plan
from reportkit.render.font_checks import report_fonts
from reportkit.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"


def test_editions_add_the_variants_to_the_written_languages():
    assert LANGUAGES == ("zh", "en")  # a Text is written in these
    assert EDITIONS == ("zh", "en", "zh-Hant", "zh-HK")
    assert [run_language(lang) for lang in EDITIONS] == ["zh", "en", "zh", "zh"]
    assert i18n.check_language("zh-Hant") == "zh-Hant"
    with pytest.raises(TranslationError, match="'zh-TW' is not offered; expected one of zh, en, zh-Hant, zh-HK"):
        i18n.check_language("zh-TW")


@pytest.mark.parametrize(("lang", "source", "expected"), [
    ("zh-Hant", "网络零售额", "網路零售額"),  # Taiwan phrasing
    ("zh-HK", "网络零售额", "網絡零售額"),  # Hong Kong usage
    ("zh-Hant", "软件和信息服务", "軟體和資訊服務"),
    # Taiwan's software words are not a report's: the general sense is put back
    ("zh-Hant", "模型参数与类型，训练窗口，局部水平模型，幂函数，统计局发布，数据不支持该说法",
     "模型參數與類型，訓練窗口，局部水平模型，冪函數，統計局發布，資料不支持該說法"),
    ("zh-HK", "软件和信息服务", "軟件和信息服務"),
    ("zh-Hant", "155,225 亿元，同比增长 7.2%", "155,225 億元，同比增長 7.2%"),
    ("zh-Hant", "3.5 万元", "3.5 萬元"),
    ("zh", "网络", "网络"),  # not a variant: unchanged
    ("en", "网络", "网络"),
])
def test_conversion_by_edition(lang, source, expected):
    assert hanzi.converter(lang)(source) == expected


def test_proper_names_are_kept_and_the_rest_converted():
    convert = hanzi.converter("zh-Hant", keep=["小红书", "天猫旗舰店"])
    assert convert("小红书种草、天猫旗舰店转化，天猫超市") == "小红书種草、天猫旗舰店轉化，天貓超市"
    # the longest name wins where names overlap
    assert hanzi.converter("zh-Hant", keep=["天猫", "天猫旗舰店"])("天猫旗舰店与天猫") == "天猫旗舰店與天猫"


def test_convert_html_converts_reader_text_only():
    page = ('<html lang="zh-CN"><head><title>中国电商</title>'
            '<style>body{font-family:"Noto Sans CJK SC",sans-serif} .x::after{content:"网络"}</style></head>'
            '<body><p title="网络零售" data-note="网络">网络零售额 &lt;亿元&gt;</p><!-- 网络 -->'
            '<img alt="图 1：网络零售额" src="data:image/svg+xml;utf8,网络">'
            "<svg><text style=\"font-family: 'Noto Sans CJK SC', sans-serif\">软件</text></svg>"
            '<script>var s = "网络";</script></body></html>')
    out = hanzi.convert_html(page, "zh-Hant")
    assert "<title>中國電商</title>" in out
    assert '<p title="網路零售" data-note="网络">網路零售額 &lt;億元&gt;</p>' in out  # data-* is not reader text
    assert 'alt="圖 1：網路零售額" src="data:image/svg+xml;utf8,网络"' in out  # a data: URL is left alone
    assert "<!-- 网络 -->" in out and 'var s = "网络";' in out
    assert "font-family:\"Noto Sans CJK TC\"" in out and "'Noto Sans CJK TC', sans-serif\">軟體</text>" in out
    assert 'content:"网络"' in out  # style sheets: only font faces change
    assert hanzi.convert_html(page, "zh") is page
    # converting the converted page again changes nothing
    assert hanzi.convert_html(out, "zh-Hant") == out
    assert opencc.OpenCC("s2t").convert(hanzi.convert_html("<p>数据与网络</p>", "zh-HK")) == "<p>數據與網絡</p>"


@pytest.mark.parametrize(("lang", "faces"), [
    ("zh", ("Noto Sans CJK SC", "Noto Sans CJK SC:bold", "Noto Sans Mono CJK SC")),
    ("zh-Hant", ("Noto Sans CJK TC", "Noto Sans CJK TC:bold", "Noto Sans Mono CJK TC")),
    ("zh-HK", ("Noto Sans CJK HK", "Noto Sans CJK HK:bold", "Noto Sans Mono CJK HK")),
])
def test_the_glyph_check_uses_the_editions_fonts(lang, faces):
    assert report_fonts(lang) == faces
    assert hanzi.font_family('"Source Han Serif SC", "Noto Serif CJK SC", Georgia', lang).count(
        "SC") == (2 if lang == "zh" else 0)


def test_variant_catalogue_is_the_base_converted_with_reviewed_entries():
    zh, hant = catalogue("report", "zh"), catalogue("report", "zh-Hant")
    assert set(zh) == set(hant)
    assert hant["contents"] == "目錄" and hant["figures_and_tables"] == "圖表目錄"
    assert catalogue("units", "zh-Hant")  # every group is there
    assert html_lang("zh-Hant") == "zh-Hant" and html_lang("zh-HK") == "zh-HK"
    convert = opencc.OpenCC("s2t").convert
    for group in ("report", "units", "numbers", "words"):
        for key, value in catalogue(group, "zh-Hant").items():
            assert convert(value) == value, (group, key, value)  # no Simplified character left


def test_a_variant_file_may_only_correct_known_entries(tmp_path, monkeypatch):
    (tmp_path / "variants").mkdir()
    for lang in LANGUAGES:
        (tmp_path / f"{lang}.yaml").write_text((i18n.CATALOGUE_DIR / f"{lang}.yaml").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "variants" / "zh-Hant.yaml").write_text("report:\n  no_such_key: 某\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    i18n._load.cache_clear()
    try:
        with pytest.raises(TranslationError, match=r"zh-Hant.yaml: report.no_such_key is not in the 'zh' catalogue"):
            catalogue("report", "zh-Hant")
    finally:
        monkeypatch.undo()
        i18n._load.cache_clear()


def test_a_text_without_a_variant_entry_gives_its_chinese_converted():
    t = Text(zh="网络零售额", en="online retail sales")
    assert t["zh-Hant"] == "網路零售額" and t["zh-HK"] == "網絡零售額"
    assert Text(zh="网络", en="x", **{"zh-Hant": "自訂"})["zh-Hant"] == "自訂"  # an entry of its own wins
    with pytest.raises(TranslationError, match="no 'zh-Hant' entry"):
        Text(en="only English")["zh-Hant"]


def test_a_traditional_edition_runs_the_chinese_runs():
    spec = load_spec(SPEC)
    zh, hant = make_plan(spec, lang="zh"), make_plan(spec, lang="zh-Hant")
    assert hant.lang == "zh-Hant"
    assert [r.run_key for r in hant.runs] == [r.run_key for r in zh.runs]  # shared: same numbers, run once
