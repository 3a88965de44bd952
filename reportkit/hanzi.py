"""Traditional Chinese editions: text written in Simplified Chinese, converted with OpenCC.

A Traditional Chinese edition is a *script variant* of the Chinese one (:data:`VARIANTS`): its
sections run exactly as the ``zh`` edition's (same parameters, same run keys, so the runs are
shared and every number is the same recorded number), and what a reader sees is converted when the
report is rendered:

* ``zh-Hant``: Traditional characters with Taiwan phrasing (OpenCC ``s2twp``: 网络 → 網路,
  软件 → 軟體, 信息 → 資訊);
* ``zh-HK``: Traditional characters in Hong Kong usage (OpenCC ``s2hk``: 网络 → 網絡, 软件 → 軟件).

Units and number words follow (亿元 → 億元, 万 → 萬); the fonts are the Traditional Chinese faces of
the same families (Noto Sans CJK SC → Noto Sans CJK TC / HK), so every glyph is drawn in the
region's forms. Names a spec lists as proper names (``proper_names``: a brand, a shop) are kept as
written. The conversion is phrase-level and applied to whole runs of text, never to markup:
:func:`convert_html` converts the text a reader sees (text nodes, ``alt``/``title``/``aria-label``)
and leaves tags, style sheets, scripts and ``data:`` URLs alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import ReportKitError

__all__ = ["VARIANTS", "Variant", "base_language", "convert_html", "converter", "font_family", "is_variant"]


@dataclass(frozen=True)
class Variant:
    """A script variant of a base language: its OpenCC configuration and font region."""

    base: str  # the language whose runs and text it converts ("zh")
    opencc: str  # OpenCC configuration name (s2twp, s2hk)
    region: str  # the CJK font faces it uses: TC or HK (Noto Sans CJK TC, …)
    name: str  # how the edition is named in messages
    # (OpenCC's result, what a report means) put back after the conversion, longest first
    corrections: tuple[tuple[str, str], ...] = ()


#: OpenCC's Taiwan phrases (``TWPhrasesIT``) are the words of software: 參數 → 引數, 類型 → 型別,
#: 窗口 → 視窗, 函數 → 函式, 發布 → 釋出, 局部 → 區域性, 連接 → 連線, 支持 → 支援. A statistical report
#: means the general sense (a model's parameters, a training window, a local level model, data
#: that support a claim), which Taiwan writes as the characters convert: these are put back.
#: Phrases of the same list that read right in a report stay (數據 → 資料, 信息 → 資訊, 概率 → 機率,
#: 文件 → 檔案, 代碼 → 程式碼, 運行 → 執行, 變量 → 變數).
_TAIWAN_GENERAL_SENSE: tuple[tuple[str, str], ...] = (
    ("引數", "參數"), ("型別", "類型"), ("視窗", "窗口"), ("函式", "函數"), ("釋出", "發布"),
    ("區域性", "局部"), ("連線", "連結"), ("支援", "支持"),
)

#: the editions converted from another language's text, by language code (BCP 47)
VARIANTS: dict[str, Variant] = {
    "zh-Hant": Variant(base="zh", opencc="s2twp", region="TC", name="Traditional Chinese (Taiwan phrasing)",
                       corrections=_TAIWAN_GENERAL_SENSE),
    "zh-HK": Variant(base="zh", opencc="s2hk", region="HK", name="Traditional Chinese (Hong Kong usage)"),
}


class ConversionError(ReportKitError):
    """OpenCC is missing or cannot convert to a variant."""


def is_variant(lang: str) -> bool:
    return lang in VARIANTS


def base_language(lang: str) -> str:
    """The language whose runs and text an edition uses: ``zh`` for ``zh-Hant``/``zh-HK``, else ``lang``."""
    variant = VARIANTS.get(lang)
    return variant.base if variant else lang


@functools.cache
def _convert(lang: str) -> Callable[[str], str]:
    """The variant's OpenCC conversion followed by its corrections."""
    variant = VARIANTS[lang]
    convert = _opencc(variant.opencc)
    if not variant.corrections:
        return convert
    pairs = dict(variant.corrections)
    wrong = re.compile("|".join(re.escape(w) for w in sorted(pairs, key=len, reverse=True)))
    return lambda text: wrong.sub(lambda m: pairs[m.group(0)], convert(text))


@functools.cache
def _opencc(config: str) -> Callable[[str], str]:
    try:
        import opencc
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ConversionError("the Traditional Chinese editions need OpenCC: pip install 'opencc~=1.4' "
                              "(a dependency of reportkit; run `make setup`)") from exc
    try:
        return opencc.OpenCC(config).convert
    except Exception as exc:  # the binding raises RuntimeError for a missing configuration
        raise ConversionError(f"OpenCC has no configuration {config!r} ({exc}); expected one of "
                              + ", ".join(sorted({v.opencc for v in VARIANTS.values()}))) from exc


#: characters that stand in for a kept name while the text is converted (Unicode private use area:
#: OpenCC leaves them alone, and no report text contains them)
_PUA = 0xF0000


def converter(lang: str, keep: Iterable[str] = ()) -> Callable[[str], str]:
    """A function converting Simplified Chinese text to the edition ``lang`` (the identity for a
    language that is not a variant); the names in ``keep`` stay as written."""
    if lang not in VARIANTS:
        return lambda s: s
    convert = _convert(lang)
    names = sorted({n for n in keep if n and n.strip()}, key=len, reverse=True)
    if not names:
        return convert
    marks = {name: chr(_PUA + i) for i, name in enumerate(names)}
    found = re.compile("|".join(re.escape(n) for n in names))
    back = {mark: name for name, mark in marks.items()}
    restore = re.compile("[" + "".join(back) + "]")

    def convert_keeping(text: str) -> str:
        if not found.search(text):
            return convert(text)
        return restore.sub(lambda m: back[m.group(0)], convert(found.sub(lambda m: marks[m.group(0)], text)))

    return convert_keeping


# --------------------------------------------------------------------------- fonts

#: the Simplified Chinese faces of font families that have Traditional Chinese ones
_SC_FACE = re.compile(r"\b((?:Noto (?:Sans|Serif)(?: Mono)? CJK)|(?:Source Han (?:Sans|Serif))|PingFang|Songti) SC\b")


def font_family(family: str, lang: str) -> str:
    """``family`` (a name or a CSS font-family list) with its Simplified Chinese faces replaced by
    the edition's: ``Noto Sans CJK SC`` → ``Noto Sans CJK TC`` for ``zh-Hant``; unchanged otherwise."""
    variant = VARIANTS.get(lang)
    if variant is None:
        return family
    return _SC_FACE.sub(lambda m: f"{m.group(1)} {variant.region}", family)


# --------------------------------------------------------------------------- HTML

_RAW = re.compile(r"<(style|script)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG_OR_TEXT = re.compile(r"(<!--.*?-->|<[^>]*>)|([^<]+)", re.S)
_READ_ATTRIBUTES = re.compile(r"""(\s(?:alt|title|aria-label|aria-description)\s*=\s*)("[^"]*"|'[^']*')""", re.I)
_SEPARATOR = "\U000fffff"  # joins the text runs for one conversion call (private use: left alone)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def convert_html(html: str, lang: str, keep: Iterable[str] = ()) -> str:
    """The HTML page with the text a reader sees converted to the edition ``lang`` (text nodes,
    SVG ``<text>`` included, and ``alt``/``title``/``aria-label`` values) and its Simplified Chinese
    font faces replaced (:func:`font_family`) in style sheets and ``style``/``font-family``
    attributes. Markup, scripts and ``data:`` URLs are not touched. The identity for a language that
    is not a variant."""
    if lang not in VARIANTS:
        return html
    convert = converter(lang, keep)
    pieces: list[str] = []  # the document in order; text runs with Chinese characters are converted
    runs: list[int] = []  # indices into pieces of the runs to convert
    pos = 0
    for raw in _RAW.finditer(html):
        _split(html[pos:raw.start()], lang, pieces, runs)
        pieces.append(font_family(raw.group(0), lang) if raw.group(1).lower() == "style" else raw.group(0))
        pos = raw.end()
    _split(html[pos:], lang, pieces, runs)
    if runs:
        texts = [pieces[i] for i in runs]
        if any(_SEPARATOR in t for t in texts):  # never in practice: convert one run at a time
            converted = [convert(t) for t in texts]
        else:
            converted = convert(_SEPARATOR.join(texts)).split(_SEPARATOR)
            if len(converted) != len(texts):  # pragma: no cover - OpenCC keeps private-use characters
                converted = [convert(t) for t in texts]
        for i, text in zip(runs, converted, strict=True):
            pieces[i] = text
    return "".join(pieces)


def _split(chunk: str, lang: str, pieces: list[str], runs: list[int]) -> None:
    for m in _TAG_OR_TEXT.finditer(chunk):
        tag, text = m.group(1), m.group(2)
        if tag is not None:
            if not tag.startswith("<!--"):
                tag = _convert_attributes(tag, lang, pieces, runs)
            pieces.append(tag)
        elif _HAN.search(text):
            runs.append(len(pieces))
            pieces.append(text)
        else:
            pieces.append(text)


def _convert_attributes(tag: str, lang: str, pieces: list[str], runs: list[int]) -> str:
    """A tag with its reader-facing attribute values queued for conversion and its font faces
    replaced; returns what goes into ``pieces`` before the value pieces are added."""
    if "font-family" in tag or "CJK" in tag:
        tag = font_family(tag, lang)
    if not _READ_ATTRIBUTES.search(tag) or not _HAN.search(tag):
        return tag
    pos = 0
    for m in _READ_ATTRIBUTES.finditer(tag):
        value = m.group(2)
        pieces.append(tag[pos:m.end(1)] + value[0])
        runs.append(len(pieces))
        pieces.append(value[1:-1])
        pos = m.end(2) - 1
    return tag[pos:]

