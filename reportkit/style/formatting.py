"""Numbers and units as a reader of the report sees them.

Everything here returns plain ``str`` (escaping is the template's job). Missing values — ``None``,
NaN, infinities and the strings pandas leaves behind ("nan", "None", "NaT", "<NA>") — are shown
as an em dash, never as "nan". Negative numbers use the typographic minus sign (U+2212)
everywhere, so a column of numbers lines up and reads the same in Chinese and English.

Units are written by the patterns of the catalogue's ``units`` group (:mod:`reportkit.i18n`). In
Chinese a unit is written as recorded ("155,225 亿元"); in English a count of 亿元 (100 million
yuan) is converted (:data:`UNIT_FACTORS`) and written with a scale word ("15.52 trn yuan"). Units
not in the catalogue are shown as given.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .. import i18n
from ..i18n import DEFAULT_LANGUAGE

MINUS = "\u2212"
MISSING = "\u2014"  # em dash
MISSING_STRINGS = frozenset({"nan", "NaN", "NAN", "None", "none", "NaT", "<NA>", "inf", "-inf"})


def _scalar(value: Any) -> Any:
    """A numpy scalar as the plain Python value it holds; anything else unchanged."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            pass
    return value


def is_missing(value: Any) -> bool:
    """True for None, NaN, ±inf and the textual leftovers of missing values."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, str):
        return value.strip() in MISSING_STRINGS
    if hasattr(value, "item"):  # numpy scalar
        try:
            return is_missing(value.item())
        except (AttributeError, ValueError):
            return False
    return False


def is_number(value: Any) -> bool:
    """True for real numbers (not bools, not strings), numpy scalars included."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (AttributeError, ValueError):
            return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _auto_decimals(x: float) -> int:
    """Decimals to show when none were asked for: two for ordinary numbers, three significant
    digits for small ones (0.0345), never more than six."""
    ax = abs(x)
    if ax == 0 or ax >= 1:
        return 2
    return min(6, max(2, 2 - math.floor(math.log10(ax))))


def format_number(value: Any, decimals: int | None = None) -> str:
    """``155225`` → "155,225"; ``7.2`` → "7.2"; ``-0.034`` → "−0.034"; ``None``/NaN → "—".

    With ``decimals`` given, exactly that many decimals are shown (``7`` with 1 → "7.0").
    Without, integers show none and floats show up to two (trailing zeros dropped).
    Strings are returned as given.
    """
    if is_missing(value):
        return MISSING
    value = _scalar(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and decimals is None:
        digits = f"{abs(value):,}"
        return MINUS + digits if value < 0 else digits
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x) or math.isinf(x):
        return MISSING
    strip = decimals is None
    places = _auto_decimals(x) if decimals is None else max(0, int(decimals))
    digits = f"{abs(x):,.{places}f}"
    if strip and "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    if x < 0 and any(ch not in "0.," for ch in digits):  # no "−0.0"
        return MINUS + digits
    return digits


# --------------------------------------------------------------------------- units


#: amounts in base units per recorded unit: a language whose ``units`` pattern uses ``{scaled}``
#: writes value × factor with its scale words ("15.52 trn yuan" for 155,225 亿元)
UNIT_FACTORS: dict[str, float] = {"元": 1, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "万亿元": 1e12, "万": 1e4,
                                  "亿": 1e8, "万人": 1e4, "亿人": 1e8}

_SCALES: tuple[tuple[float, str], ...] = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def units(lang: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """The units reportkit writes, each with its pattern in ``lang`` (the catalogue's ``units``)."""
    return i18n.catalogue("units", lang)


def _scaled(x: float, lang: str) -> str:
    """15522500000000 → "15.52 trn" (en); below a million the number is written out."""
    words = i18n.catalogue("numbers", lang)
    for size, word in _SCALES:
        if abs(x) >= size:
            return words[word].format(n=format_number(x / size))
    return format_number(x)


def format_value(value: Any, unit: str = "", decimals: int | None = None, *, lang: str = "zh") -> str:
    """A value with its unit, in the reader's language. Missing → "—" (without a unit)."""
    if is_missing(value):
        return MISSING
    unit = (unit or "").strip()
    pattern = units(lang).get(unit)
    if not is_number(value):
        text = str(value)
        return f"{text} {unit}" if unit else text
    if pattern is None:
        text = format_number(value, decimals)
        return f"{text} {unit}" if unit else text
    if "{scaled}" in pattern:
        return pattern.format(scaled=_scaled(float(value) * UNIT_FACTORS[unit], lang))
    return pattern.format(n=format_number(value, decimals))


def format_metric(metric: Any, *, lang: str = "zh") -> str:
    """A :class:`~reportkit.record.Metric` as "7.2%", "155,225 亿元" / "15.52 trn yuan", "—"."""
    return format_value(metric.value, metric.unit, metric.decimals, lang=lang)


_LEADING_NUMBER = re.compile(r"^([\u2212-]?[0-9][0-9,]*(?:\.[0-9]+)?)(\s*)(.*)$", re.DOTALL)


def split_number(text: str) -> tuple[str, str, str]:
    """"155,225 亿元" → ("155,225", " ", "亿元"); "7.2%" → ("7.2", "", "%"); "—" → ("—", "", "").
    Lets a template set the number large and its unit small, keeping the text as formatted."""
    m = _LEADING_NUMBER.match(text)
    return (m.group(1), " " if m.group(2) else "", m.group(3)) if m else (text, "", "")


# --------------------------------------------------------------------------- table cells

_LABEL_COLUMN = re.compile(
    r"(^|_)(year|yr|period|date|month|quarter|id|code)s?$|^(年|年份|年度|月份|季度|日期|期间|时期|编号|代码)$",
    re.IGNORECASE,
)


def is_label_column(name: str) -> bool:
    """Columns such as ``year``/``年份``/``period`` hold labels, not quantities: 2024, not 2,024."""
    return bool(_LABEL_COLUMN.search(str(name).strip()))


# the label columns that hold years or periods (not dates, codes or ids)
_YEAR_COLUMN = re.compile(r"(^|_)(year|yr|period)s?$|^(年|年份|年度|期间|时期)$", re.IGNORECASE)


def is_year_column(name: str) -> bool:
    """Label columns of years or periods (``year``/``年份``/``期间``), whose values may be years
    written as text ("2014"); unlike codes and ids, whose leading zeros matter."""
    return bool(_YEAR_COLUMN.search(str(name).strip()))


def format_cell(value: Any, decimals: int | dict[str, int] | None = 2, column: str = "", *, lang: str = "zh") -> str:
    """One table cell. Integers keep no decimals; floats get the table's ``decimals`` (one number,
    or a mapping of column → decimals, other columns 2); label columns (years, periods, codes) are
    written without thousands separators. A non-zero value that would round to zero is written
    as a bound ("<0.001"), never as a misleading "0.000"."""
    if isinstance(decimals, dict):
        decimals = decimals.get(column, 2)
    if is_missing(value):
        return MISSING
    value = _scalar(value)
    if isinstance(value, bool):
        return i18n.catalogue("numbers", lang)["yes" if value else "no"]
    if isinstance(value, str):
        return value
    if is_label_column(column) and isinstance(value, (int, float)) and float(value).is_integer():
        n = int(value)
        return MINUS + str(-n) if n < 0 else str(n)
    if isinstance(value, int):
        return format_number(value)
    if decimals is not None and isinstance(value, float) and value != 0 and abs(value) < 0.5 * 10.0 ** -decimals:
        bound = format_number(10.0 ** -decimals, decimals)
        return ("<" if value > 0 else ">" + MINUS) + bound
    return format_number(value, decimals)


def numeric_columns(columns: tuple[str, ...], rows: tuple[tuple[Any, ...], ...]) -> tuple[bool, ...]:
    """For each column, whether it holds quantities (right-aligned): every non-missing value is
    a number, at least one is present, and the column is not a label column such as a year."""
    flags = []
    for i, name in enumerate(columns):
        values = [r[i] for r in rows if i < len(r) and not is_missing(r[i])]
        flags.append(bool(values) and all(is_number(v) for v in values) and not is_label_column(name))
    return tuple(flags)


def format_parameter(value: Any) -> str:
    """A notebook parameter exactly as it was passed (2019, 0.05, "美妆个护", [1, 2])."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_SOFT_BREAK = re.compile(rf"(?<=[{_CJK}])\n(?=[{_CJK}])")


def paragraphs(text: str) -> list[str]:
    """Split narrative into paragraphs at blank lines. A line break between two CJK characters
    is dropped (it would otherwise show as a stray space); other line breaks become spaces."""
    out = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        block = _SOFT_BREAK.sub("", block.strip())
        block = re.sub(r"\s*\n\s*", " ", block)
        if block:
            out.append(block)
    return out
