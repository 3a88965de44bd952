"""Numbers as Chinese e-commerce exports write them, parsed exactly or refused with the reason.

Accepted (after Unicode NFKC normalisation, so full-width ``１２，３４５％`` reads like
``12,345%``; surrounding spaces are ignored):

* plain numbers with an optional sign: ``1234``, ``-3.2``, ``+0.5``, ``.5``, ``1e6``;
* thousands separators in groups of three: ``1,234``, ``1，234`` (full-width comma),
  ``12,345.67``;
* percents: ``12%``, ``12.5％``. **A percent becomes a fraction by default: ``12%`` → 0.12.**
  With ``percent="points"`` it stays in percentage points (``12%`` → 12.0, for columns whose
  unit is already %), with ``percent="refuse"`` it is an error;
* one Chinese or platform magnitude suffix: ``万`` (1e4), ``亿`` (1e8), ``万亿`` (1e12), ``千``
  (1e3), and the social-media shorthands ``w``/``W`` (= 万) and ``k``/``K`` (= 千):
  ``1.2万`` → 12000, ``3亿`` → 3e8, ``1.5万亿`` → 1.5e12, ``1.2w`` → 12000. Scaling is done in
  decimal arithmetic, so ``1.1万`` is exactly 11000.

Missing values: an empty cell is missing (``missing=("",)``, the default). Dashes and other
placeholders (``-``, ``—``, ``--``, ``N/A``) are missing **only where declared**, e.g.
``missing=("", "-", "—")``; otherwise they are refused like any other text.

Refused, with the reason: ``1.234,5`` (European style), ``12,5`` (a decimal comma?), ``12%%``,
``约1万``, ``10万+`` (approximate or lower bound), ``1万2千`` (compound), ``¥1,234`` / ``1.2万元``
(currency or unit in the cell), ``(1,234)`` (accounting negative), ``1 234``, ``nan``, ``inf``,
anything else. :func:`parse_numeric_column` reports every refused cell of a column in one
:class:`~reportkit.errors.DataError` naming the column and the first bad rows as the analyst
sees them in the file (for a CSV file the header is line 1, so the first data row is line 2).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from ..errors import DataError
from .messages import MAX_SHOWN, RowNumbers, and_more, show

__all__ = ["Percent", "MAGNITUDES", "EXPECTED", "parse_number", "parse_numeric_column"]

Percent = Literal["fraction", "points", "refuse"]

#: Magnitude suffixes and their factors.
MAGNITUDES: dict[str, int] = {"万亿": 10**12, "亿": 10**8, "万": 10**4, "千": 10**3,
                              "w": 10**4, "W": 10**4, "k": 10**3, "K": 10**3}

#: What a numeric cell may look like, in words (used in every error), by percent mode.
_EXPECTED_BY_PERCENT = {
    "fraction": "a number such as 1234, -3.2, 1,234 (thousands separators), 12% (read as 0.12), "
                "1.2万, 3亿 or 1.5万亿",
    "points": "a number such as 1234, -3.2, 1,234 (thousands separators), 12% (read as 12), "
              "1.2万, 3亿 or 1.5万亿",
    "refuse": "a number such as 1234, -3.2, 1,234 (thousands separators), 1.2万, 3亿 or 1.5万亿 "
              "(no percent)",
}
EXPECTED = _EXPECTED_BY_PERCENT["fraction"]

_NUMBER = re.compile(
    r"(?P<sign>[+-])?"
    r"(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>[eE][+-]?\d+)?"
    r"(?P<suffix>万亿|亿|万|千|[wWkK]|%)?"
)
_PLAIN_RE = re.compile(r"[+-]?\d{1,15}(?:\.\d{1,15})?")
_EMPTY_REFUSED = "empty, and empty cells are not allowed here"
_PLACEHOLDERS = {"nan", "na", "n/a", "null", "none", "nil", "#n/a", "inf", "-inf", "+inf",
                 "infinity", "-infinity", "无", "空", "暂无"}
_DASHES = {"-", "--", "---", "—", "——", "–", "/", "\\", "_", "·"}
_APPROX_PREFIX = ("约", "大约", "近", "超", "逾", "超过", "不足", "~", "≈", "<", ">", "≥", "≤")
_APPROX_SUFFIX = ("+", "以上", "以下", "左右", "多", "余")
_CURRENCY = ("¥", "￥", "$", "元", "块", "rmb", "cny", "usd")


def _normalise(text: str) -> str:
    out = unicodedata.normalize("NFKC", text).strip()
    return out.replace("\u2212", "-")  # the minus sign U+2212


def _why_not(text: str) -> str:
    """Why a normalised cell is not a number (the first reason that applies)."""
    low = text.lower()
    if not text:
        return "empty"
    if low in _PLACEHOLDERS:
        return "a placeholder, not a number (declare it with missing=... if it means missing)"
    if text in _DASHES or set(text) <= {"-", "—", "–"}:
        return "a dash; read as missing only when declared with missing=..."
    if text.startswith(_APPROX_PREFIX) or text.endswith(_APPROX_SUFFIX):
        return "an approximate value or a bound (约…, …+, …以上), not a number"
    if text.count("%") > 1:
        return "more than one %"
    if "%" in text and any(m in text for m in MAGNITUDES):
        return "a percent with a magnitude suffix"
    if sum(text.count(m) for m in ("亿", "万", "千")) > 1 or re.search(r"[万亿千]\d", text):
        return "a compound such as 1万2千; write one number (12000 or 1.2万)"
    if any(c in low for c in _CURRENCY):
        return "a currency sign or unit inside the cell; put the unit in the column name"
    if text.startswith("(") and text.endswith(")"):
        return "an accounting-style negative in parentheses; write -1234"
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text) or re.search(r"\.\d+,", text):
        return "European style (dot as thousands separator, comma as decimal mark)"
    if "," in text:
        return "a comma not followed by groups of three digits (a decimal comma?)"
    if text.count(".") > 1:
        return "more than one decimal point"
    if re.search(r"\d\s+\d", text):
        return "a space inside the number"
    return "not a number"


def _parse(text: str, percent: str) -> float | str:
    """A normalised cell as a float, or the reason it is refused."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return _why_not(text)
    body, exp, suffix = match["body"], match["exp"], match["suffix"]
    if exp and ("," in body or suffix):
        return "an exponent together with separators or a suffix"
    try:
        value = Decimal(body.replace(",", "") + (exp or ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return "not a number"
    if suffix == "%":
        if percent == "refuse":
            return "a percent, where plain numbers are expected"
        if percent == "fraction":
            value = value / 100
    elif suffix:
        value = value * MAGNITUDES[suffix]
    if match["sign"] == "-":
        value = -value
    result = float(value)
    if not math.isfinite(result):
        return "too large to represent"
    return result


def _check_percent(percent: str) -> None:
    if percent not in get_args(Percent):
        raise DataError(f"percent must be one of {list(get_args(Percent))}; got {percent!r}",
                        expected=f"one of {list(get_args(Percent))}")


def parse_number(text: Any, *, missing: Iterable[str] = (), percent: Percent = "fraction"
                 ) -> float:
    """Parse one cell (see the module doc); ``12%`` → 0.12 unless ``percent`` says otherwise.

    A text in ``missing`` (compared after stripping spaces) gives NaN; nothing else does.
    Numbers (int, float) are returned as float when finite. Raises :class:`DataError` with
    the value, the reason and what was expected.
    """
    _check_percent(percent)
    expected = _EXPECTED_BY_PERCENT[percent]
    declared = {str(m).strip() for m in missing}
    if isinstance(text, (bool, np.bool_)):
        raise DataError(f"cannot read {text!r} as a number: a boolean; expected {expected}",
                        expected=expected)
    if isinstance(text, (int, float, np.integer, np.floating)):
        value = _as_float(text)
        if math.isfinite(value):
            return value
        raise DataError(f"cannot read {text!r} as a number: not finite; expected {expected}",
                        expected=expected)
    if not isinstance(text, str):
        raise DataError(f"{text!r} ({type(text).__name__}) is not text or a number; expected "
                        f"{expected}", expected=expected)
    if text.strip() in declared or _normalise(text) in declared:
        return math.nan
    result = _parse(_normalise(text), percent)
    if isinstance(result, str):
        raise DataError(f"cannot read {text!r} as a number: {result}; expected {expected}",
                        expected=expected)
    return result


def _as_float(value: Any) -> float:
    """``float(value)``, infinite when a Python int or Decimal is too large for a float."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _cell_result(value: Any, declared: set[str], percent: str) -> float | str:
    """One cell of any type as a float (NaN for missing) or the reason it is refused."""
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        return math.nan if "" in declared else _EMPTY_REFUSED
    if isinstance(value, (bool, np.bool_)):
        return "a boolean, not a number"
    if isinstance(value, (int, float, np.integer, np.floating, Decimal)):
        number = _as_float(value)
        return number if math.isfinite(number) else "not a finite number"
    if not isinstance(value, str):
        return f"a {type(value).__name__} value, not a number"
    stripped = value.strip()
    if stripped in declared:
        return math.nan
    if not stripped:
        return _EMPTY_REFUSED
    normal = _normalise(value)
    if normal in declared:
        return math.nan
    return _parse(normal, percent)


def parse_numeric_column(
    series: pd.Series,
    *,
    column: str,
    path: str | Path | None = None,
    rows: RowNumbers | None = None,
    missing: Iterable[str] = ("",),
    percent: Percent = "fraction",
) -> pd.Series:
    """Convert a column of cells to float64 (same index), or refuse it naming the bad rows.

    ``12%`` becomes 0.12 by default (``percent="points"``: 12.0; ``"refuse"``: an error).
    ``rows`` gives each row's line in the file (default: one header line, so row i is line
    i + 2). Cells in ``missing`` become NaN ("" stands for empty cells); every other cell that
    is not a number as described in the module doc is an error. All bad cells of the column are
    reported in one :class:`DataError`: the file, the column, the first five lines with their
    values and reasons, and what was expected. Booleans, dates and complex numbers are refused.
    """
    _check_percent(percent)
    expected = _EXPECTED_BY_PERCENT[percent]
    if not isinstance(series, pd.Series):
        raise DataError(f"expected a pandas Series for column {column!r}; got "
                        f"{type(series).__name__}", path=path, column=column)
    where = RowNumbers.for_series(series, rows)
    declared = {str(m).strip() for m in missing}
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if pd.api.types.is_bool_dtype(dtype) or (kind and kind in "mMcV") or isinstance(
            dtype, (pd.DatetimeTZDtype, pd.PeriodDtype, pd.IntervalDtype)):
        shown = "; ".join(f"{where.label(i)}: {show(series.iloc[i])}"
                          for i in range(min(len(series), MAX_SHOWN)))
        raise DataError(f"column {column!r} holds {dtype} values ({shown}); expected {expected}",
                        path=path, column=column, rows=where.numbers[:MAX_SHOWN],
                        expected=expected)
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_numeric_dtype(series.dtype):
        results = _numeric_results(series, declared)
    else:
        results = _text_results(series, declared, percent)
    bad = [i for i, r in enumerate(results) if isinstance(r, str)]
    if bad:
        shown = "; ".join(f"{where.label(i)}: {show(series.iloc[i])} ({results[i]})"
                          for i in bad[:MAX_SHOWN])
        more = and_more(len(bad))
        allowed = " or empty" if "" in declared else ""
        extra = [m for m in sorted(declared) if m]
        if extra:
            allowed += f" or one of the declared missing markers {extra}"
        raise DataError(
            f"column {column!r} has {len(bad)} value(s) that are not numbers: {shown}{more}; "
            f"expected {expected}{allowed}",
            path=path, column=column, rows=[where.at(i) for i in bad[:MAX_SHOWN]],
            expected=expected,
        )
    return pd.Series(np.asarray(results, dtype=float), index=series.index, name=series.name)


def _numeric_results(series: pd.Series, declared: set[str]) -> list[float | str]:
    """Cells of a numeric column: floats, or reasons for infinite and (undeclared) empty cells."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    results: list[float | str] = values.tolist()
    for i in np.flatnonzero(np.isinf(values)):
        results[i] = "not a finite number"
    if "" not in declared:
        for i in np.flatnonzero(np.isnan(values)):
            results[i] = _EMPTY_REFUSED
    return results


def _text_results(series: pd.Series, declared: set[str], percent: str) -> list[float | str]:
    """Cells of a text (or mixed) column; plain numbers take a vectorised path."""
    objects = series.astype(object).to_numpy()
    results: list[float | str] = [math.nan] * len(objects)
    if isinstance(series.dtype, pd.StringDtype):  # vectorised match on text columns
        plain = series.str.fullmatch(_PLAIN_RE.pattern).fillna(False).to_numpy(dtype=bool)
    else:
        plain = np.fromiter((isinstance(v, str) and _PLAIN_RE.fullmatch(v) is not None
                             for v in objects), dtype=bool, count=len(objects))
    if plain.any():
        with np.errstate(over="ignore"):
            fast = pd.to_numeric(pd.Series(objects[plain], dtype=object),
                                 errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        positions = np.flatnonzero(plain)
        if np.isfinite(fast).all():
            for pos, number in zip(positions.tolist(), fast.tolist(), strict=True):
                results[pos] = number
        else:
            for pos, number in zip(positions.tolist(), fast, strict=True):
                results[pos] = float(number) if math.isfinite(number) else "too large to represent"
    cache: dict[tuple[type, Any], float | str] = {}
    for pos in np.flatnonzero(~plain).tolist():
        value = objects[pos]
        try:
            key = (type(value), value)
            hit = cache.get(key)
        except TypeError:  # unhashable cell (a list from a Parquet file)
            results[pos] = _cell_result(value, declared, percent)
            continue
        if hit is None:
            hit = cache[key] = _cell_result(value, declared, percent)
        results[pos] = hit
    return results

