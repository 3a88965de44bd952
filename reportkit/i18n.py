"""Languages, bilingual text and the message catalogue: the one place a report's languages live.

* :data:`LANGUAGES`: the languages reportkit's text is written in, discovered from the catalogue files
  ``reportkit/catalogue/<lang>.yaml`` (the default language first). Adding a language means adding
  one catalogue file with every key the others have, nothing else. :data:`EDITIONS` adds the script
  variants (below).
* :class:`Text`: a frozen text value with one entry per language. ``text[lang]`` (or
  :meth:`Text.resolve`) fails loudly, naming the language and the text, when an entry is missing,
  instead of quietly falling back to another language.
* the catalogue: :func:`message` returns one entry of every catalogue as a :class:`Text`;
  :func:`catalogue` is one language's group of strings (e.g. the report templates' fixed strings).
* script variants (:mod:`reportkit.hanzi`): ``zh-Hant`` and ``zh-HK`` are editions of the Chinese
  text converted to Traditional characters. Their catalogue is the ``zh`` one converted, then the
  reviewed entries of ``catalogue/variants/<lang>.yaml`` over it; a Text without an entry for a
  variant gives its ``zh`` entry converted. Their sections run as ``zh`` (:func:`run_language`).
* the kernel's language: a section notebook sets it once (:func:`set_language`, called by
  ``rk.use_language(lang)``); :func:`reportkit.record` then picks each Text's entry in it.

Text from a notebook::

    rk.record("pooled_r", r, label=rk.text(zh="{cat}：混合相关系数", en="{cat}: pooled correlation").format(cat=cat_label))

``format`` fills each language's template with the same arguments; an argument that is itself a
:class:`Text` contributes its entry in the same language. A Text inside an f-string is refused
(it would silently pick one language for every edition).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import yaml
from pydantic import PlainSerializer, PlainValidator

from . import hanzi, yaml_files
from .errors import ReportKitError

__all__ = [
    "DEFAULT_LANGUAGE",
    "EDITIONS",
    "LANGUAGES",
    "Language",
    "Text",
    "TextField",
    "TranslationError",
    "catalogue",
    "check_language",
    "current_language",
    "html_lang",
    "message",
    "run_language",
    "set_language",
    "text",
]

#: a language code of the catalogue ("zh", "en", …); checked by :func:`check_language`
Language = str

#: the language of a report, a kernel and a spec when none is named
DEFAULT_LANGUAGE: Language = "zh"

CATALOGUE_DIR = Path(__file__).with_name("catalogue")


class TranslationError(ReportKitError):
    """A language that is not offered, or a text or catalogue entry missing in a language."""

    def __init__(self, message: str, *, lang: str | None = None, key: str | None = None) -> None:
        self.lang = lang
        self.key = key
        super().__init__(message)


def _discover() -> tuple[Language, ...]:
    found = sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))
    if DEFAULT_LANGUAGE not in found:
        raise TranslationError(f"no catalogue for the default language: expected {CATALOGUE_DIR / DEFAULT_LANGUAGE}.yaml",
                               lang=DEFAULT_LANGUAGE)
    return (DEFAULT_LANGUAGE, *(lang for lang in found if lang != DEFAULT_LANGUAGE))


#: every language text is written in, the default first (one catalogue file each): a Text, a
#: note or a data file's labels give one entry per language
LANGUAGES: tuple[Language, ...] = _discover()

#: every edition reportkit renders: the written languages, then the script variants converted from
#: one of them (zh-Hant, zh-HK: :mod:`reportkit.hanzi`), which need no entries of their own
EDITIONS: tuple[Language, ...] = (*LANGUAGES, *(lang for lang, v in hanzi.VARIANTS.items()
                                                 if v.base in LANGUAGES and lang not in LANGUAGES))


def run_language(lang: Language) -> Language:
    """The language a section's notebook runs in for the edition ``lang``: ``zh`` for the Traditional
    Chinese editions (their text is converted when rendered, so their runs are the ``zh`` runs), else
    ``lang``."""
    return hanzi.base_language(lang)


def check_language(lang: Any, *, source: str = "lang", error: type[ReportKitError] | None = None) -> Language:
    """``lang`` if it is one of :data:`EDITIONS`; else an error (``TranslationError`` unless
    ``error`` is given) naming where the value came from, the value and the languages offered."""
    if isinstance(lang, str) and lang in EDITIONS:
        return lang
    message_ = f"{source}: language {lang!r} is not offered; expected one of {', '.join(EDITIONS)}"
    if error is not None:
        raise error(message_)
    raise TranslationError(message_, lang=str(lang))


# --------------------------------------------------------------------------- the kernel's language

_current: list[Language] = [DEFAULT_LANGUAGE]


def set_language(lang: Language) -> Language:
    """Set the language this process (a section's kernel) writes in; returns it."""
    _current[0] = check_language(lang, source="set_language")
    return _current[0]


def current_language() -> Language:
    """The language set by :func:`set_language` (the default language until then)."""
    return _current[0]


# --------------------------------------------------------------------------- Text


def _first_line(entries: Mapping[str, str]) -> str:
    first = next(iter(entries.values()), "")
    return first if len(first) <= 60 else first[:57] + "…"


class Text:
    """A text with one entry per language; immutable and hashable.

    ``Text(zh="目录", en="Contents")`` or ``Text({"zh": …, "en": …})``; :meth:`same` for a text that
    reads the same in every language (a number, a formula). Entries are strings; a missing entry is
    an error at lookup, never a fallback to another language.
    """

    __slots__ = ("_entries",)
    _entries: Mapping[Language, str]

    def __init__(self, entries: Mapping[str, str] | None = None, /, **kwargs: str) -> None:
        merged = {**(dict(entries) if entries is not None else {}), **kwargs}
        if not merged:
            raise TranslationError("a Text needs at least one entry, e.g. Text(zh='目录', en='Contents')")
        for lang, value in merged.items():
            check_language(lang, source="Text entry")
            if not isinstance(value, str):
                raise TranslationError(f"Text entry {lang!r}: expected a string; got {type(value).__name__} {value!r}",
                                       lang=lang)
        ordered = {lang: merged[lang] for lang in EDITIONS if lang in merged}
        object.__setattr__(self, "_entries", MappingProxyType(ordered))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Text is immutable")

    # -- constructors
    @classmethod
    def same(cls, value: str) -> Text:
        """The same string in every language (numbers, formulas, proper names)."""
        return cls({lang: str(value) for lang in LANGUAGES})

    @classmethod
    def coerce(cls, value: Any, *, source: str = "text") -> Text:
        """A Text from a Text, a ``{lang: str}`` mapping, or a plain string (the same in every
        language, as a plain string in a spec means); else TranslationError naming ``source``."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls.same(value)
        if isinstance(value, Mapping):
            try:
                return cls(dict(value))
            except TranslationError as exc:
                raise TranslationError(f"{source}: {exc}", lang=exc.lang) from exc
        raise TranslationError(f"{source}: expected a string or a mapping of languages to strings "
                               f"({', '.join(LANGUAGES)}); got {type(value).__name__} {value!r}")

    @classmethod
    def join(cls, sep: str | Text, parts: Iterable[str | Text]) -> Text:
        """``sep.join(parts)`` in every language (plain strings are the same in each)."""
        items = [cls.coerce(p) for p in parts]
        glue = cls.coerce(sep)
        return cls({lang: glue[lang].join(p[lang] for p in items) for lang in LANGUAGES
                    if lang in glue and all(lang in p for p in items)})

    # -- lookup
    @property
    def languages(self) -> tuple[Language, ...]:
        return tuple(self._entries)

    def __contains__(self, lang: object) -> bool:
        return lang in self._entries

    def __getitem__(self, lang: Language) -> str:
        try:
            return self._entries[lang]
        except KeyError:
            check_language(lang, source=f"text {_first_line(self._entries)!r}")
            base = hanzi.base_language(lang)
            if base != lang and base in self._entries:  # a script variant: the base entry converted
                return hanzi.converter(lang)(self._entries[base])
            raise TranslationError(f"no {lang!r} entry in the text {_first_line(self._entries)!r} "
                                   f"(it has {', '.join(self._entries)}); add one", lang=lang) from None

    def get(self, lang: Language) -> str:
        """``text[lang]`` (fails loudly on a missing entry, like the index)."""
        return self[lang]

    def __getattr__(self, name: str) -> str:
        # ``title.zh``: an entry by its language code, as spec texts were read before
        if name in EDITIONS:
            return self[name]
        raise AttributeError(f"Text has no attribute {name!r}")

    def resolve(self, lang: Language | None = None) -> str:
        """The entry in ``lang`` (default: the kernel's language, :func:`current_language`)."""
        return self[lang if lang is not None else current_language()]

    def to_json(self) -> dict[str, str]:
        return dict(self._entries)

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Text:
        return cls(dict(data))

    # -- building
    def format(self, *args: Any, **kwargs: Any) -> Text:
        """Each entry ``.format(...)``-ed; Text arguments contribute their entry in the same language."""
        def pick(value: Any, lang: Language) -> Any:
            return value[lang] if isinstance(value, Text) else value

        return Text({lang: template.format(*(pick(a, lang) for a in args),
                                           **{k: pick(v, lang) for k, v in kwargs.items()})
                     for lang, template in self._entries.items()})

    def map(self, fn: Callable[[str], str]) -> Text:
        """``fn`` applied to every entry (e.g. ``str.lower`` for a label inside an English sentence)."""
        return Text({lang: fn(value) for lang, value in self._entries.items()})

    def lower(self) -> Text:
        return self.map(str.lower)

    def __add__(self, other: str | Text) -> Text:
        other_t = Text.coerce(other)
        return Text({lang: value + other_t[lang] for lang, value in self._entries.items()})

    def __radd__(self, other: str) -> Text:
        return Text({lang: str(other) + value for lang, value in self._entries.items()})

    # -- value semantics
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text):
            return dict(self._entries) == dict(other._entries)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._entries.items()))

    def __bool__(self) -> bool:
        return any(self._entries.values())

    def __repr__(self) -> str:
        return "Text(" + ", ".join(f"{lang}={value!r}" for lang, value in self._entries.items()) + ")"

    def __format__(self, spec: str) -> str:
        raise TranslationError(f"the text {_first_line(self._entries)!r} is inside an f-string or format(), "
                               "which would pick one language for every edition; use Text.format(...) to "
                               "build a Text, or .resolve(lang) for one language's string")

    def __reduce__(self) -> tuple[type[Text], tuple[dict[str, str]]]:  # pickles as its entries
        return (Text, (dict(self._entries),))


def _field(value: Any) -> Text:
    try:
        return Text.coerce(value)
    except TranslationError as exc:
        raise ValueError(str(exc)) from exc


#: a Text field of a pydantic model (spec and theme texts): a plain string (the same in every
#: language) or a mapping with one entry per language; serialised as that mapping
TextField = Annotated[Text, PlainValidator(_field), PlainSerializer(lambda t: t.to_json())]


def text(**entries: str) -> Text:
    """``rk.text(zh="…", en="…")``: a :class:`Text` written in a notebook."""
    return Text(entries)


# --------------------------------------------------------------------------- the catalogue


@functools.cache
def _load(lang: Language) -> Mapping[str, Mapping[str, str]]:
    if hanzi.is_variant(lang):
        return _load_variant(lang)
    return _read_catalogue(CATALOGUE_DIR / f"{lang}.yaml", lang)


def _load_variant(lang: Language) -> Mapping[str, Mapping[str, str]]:
    """A script variant's catalogue: its base language's converted, then the reviewed entries of
    ``catalogue/variants/<lang>.yaml`` (each must be a key of the base catalogue) over them."""
    base = _load(hanzi.base_language(lang))
    convert = hanzi.converter(lang)
    groups = {group: {key: convert(value) for key, value in entries.items()} for group, entries in base.items()}
    path = CATALOGUE_DIR / "variants" / f"{lang}.yaml"
    if path.is_file():
        for group, entries in _read_catalogue(path, lang).items():
            unknown = sorted(set(entries) - set(groups.get(group, {})))
            if group not in groups or unknown:
                what = f"group {group!r}" if group not in groups else f"{group}.{unknown[0]}"
                raise TranslationError(f"{path}: {what} is not in the {hanzi.base_language(lang)!r} catalogue; "
                                       "a variant's file only corrects entries the base catalogue has",
                                       lang=lang, key=what)
            groups[group].update(entries)
    return MappingProxyType({group: MappingProxyType(entries) for group, entries in groups.items()})


def _read_catalogue(path: Path, lang: Language) -> Mapping[str, Mapping[str, str]]:
    try:
        data = yaml_files.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TranslationError(f"{path}: cannot read the catalogue: {exc}", lang=lang) from exc
    if not isinstance(data, dict) or not all(isinstance(g, dict) for g in data.values()):
        raise TranslationError(f"{path}: expected groups (mappings of keys to strings) at the top level", lang=lang)
    groups: dict[str, Mapping[str, str]] = {}
    for group, entries in data.items():
        bad = [k for k, v in entries.items() if not isinstance(v, str)]
        if bad:
            raise TranslationError(f"{path}: {group}.{bad[0]}: expected a string; got {entries[bad[0]]!r}", lang=lang,
                                   key=f"{group}.{bad[0]}")
        groups[str(group)] = MappingProxyType({str(k): v for k, v in entries.items()})
    return MappingProxyType(groups)


def catalogue(group: str, lang: Language) -> Mapping[str, str]:
    """One group of the catalogue of ``lang`` (``report``: the templates' fixed strings; ``words``:
    labels of the analysis; ``data``: translations of data values such as category names)."""
    groups = _load(check_language(lang))
    if group not in groups:
        raise TranslationError(f"no group {group!r} in the {lang!r} catalogue ({CATALOGUE_DIR / lang}.yaml); "
                               f"it has {', '.join(groups)}", lang=lang, key=group)
    return groups[group]


def message(key: str) -> Text:
    """The catalogue entry ``group.key`` in every language, as a :class:`Text`; TranslationError if
    a language lacks it (a catalogue file must have every key)."""
    group, _, name = key.partition(".")
    entries: dict[str, str] = {}
    for lang in LANGUAGES:
        strings = catalogue(group, lang)
        if name not in strings:
            raise TranslationError(f"no {key!r} in the {lang!r} catalogue ({CATALOGUE_DIR / lang}.yaml); add it",
                                   lang=lang, key=key)
        entries[lang] = strings[name]
    return Text(entries)


def data_label(value: str) -> Text:
    """A value from the data (a category name) in every language: the ``data`` group's translation
    where one exists, else the value as given (data values are shown in their own words)."""
    return Text({lang: catalogue("data", lang).get(value, value) for lang in LANGUAGES})


def unit_name(unit: str) -> Text:
    """A unit as a label writes it in every language ("零售额（亿元）" / "Online retail sales (100 mn
    yuan)"): the catalogue's ``unit_names`` entry where one exists, else the unit as given (USD
    million, %, 指数). Numbers with a unit are written by :func:`reportkit.style.formatting.format_value`."""
    unit = unit.strip()
    return Text({lang: catalogue("unit_names", lang).get(unit, unit) for lang in LANGUAGES})


def html_lang(lang: Language) -> str:
    """The BCP 47 tag of an edition for ``<html lang>`` (the catalogue's ``language.html``)."""
    return catalogue("language", lang)["html"]
