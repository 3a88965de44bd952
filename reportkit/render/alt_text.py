"""Alternative text of a figure: its number and caption, then the numbers it was drawn from.

A reader who cannot see a chart (a screen reader, a tagged PDF's ``/Alt``) gets what a sighted
reader takes from it: which figure, what it shows (the caption, cross-references written as
labels) and, when the figure recorded its data (:attr:`reportkit.record.Figure.data`), each
numeric series' first and last values and its range, formatted as the report formats numbers.
Strings come from the catalogue's ``report.alt_*`` entries, so each edition reads in its language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..style import formatting

__all__ = ["figure_alt", "series_summary"]

#: at most this many series are described (a chart with more is summarised by its caption)
MAX_SERIES = 4


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _decimals(values: Sequence[float]) -> int:
    """The fewest decimals (at most 2) that show every value as it shows with 2."""
    return next(d for d in (0, 1, 2) if all(round(v, d) == round(v, 2) for v in values))


def _label(value: Any, lang: str) -> str:
    """A category or x value as text: an integer as it is (a year, a week), another number with
    the decimals it needs, anything else as its string."""
    number = _number(value)
    if number is None:
        return str(value)
    if number.is_integer():
        return str(int(number))
    return formatting.format_cell(number, _decimals([number]), lang=lang)


def series_summary(columns: Sequence[str], rows: Sequence[Sequence[Any]], strings: Mapping[str, str],
                   lang: str) -> str:
    """One sentence per numeric column (after the first column, the x values or categories): its
    first and last values with their x, and its lowest and highest; '' without numeric data."""
    if not columns or not rows or len(columns) < 2:
        return ""
    x = [row[0] for row in rows]
    parts: list[str] = []
    for j, name in enumerate(columns[1:], start=1):
        points = [(x[i], v) for i, row in enumerate(rows) if j < len(row) and (v := _number(row[j])) is not None]
        if not points:
            continue
        values = [v for _, v in points]
        decimals = _decimals(values)
        first, last, low, high = (formatting.format_cell(v, decimals, lang=lang)
                                  for v in (points[0][1], points[-1][1], min(values), max(values)))
        parts.append(strings["alt_series"].format(
            name=name, first_x=_label(points[0][0], lang), first=first, last_x=_label(points[-1][0], lang), last=last,
            low=low, high=high, n=len(points)))
        if len(parts) == MAX_SERIES:
            break
    if not parts:
        return ""
    return strings["alt_data"].format(series=strings["alt_separator"].join(parts))


def figure_alt(label: str, caption: str, data: Any, strings: Mapping[str, str], lang: str) -> str:
    """``图 3：caption。数据：…`` — the label (``t.figure`` and the number), the caption as plain text
    and, when ``data`` (an object with ``columns`` and ``rows``, or None) has numbers, their summary."""
    text = strings["alt_figure"].format(label=label, caption=caption.strip()) if caption.strip() else label
    if data is not None:
        summary = series_summary(tuple(getattr(data, "columns", ()) or ()), tuple(getattr(data, "rows", ()) or ()),
                                 strings, lang)
        if summary:
            text += strings["alt_sentence_end"] + summary
    return text
