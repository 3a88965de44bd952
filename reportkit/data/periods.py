"""Period labels, read in one place: years, quarters, months, dates and NBS cumulative periods.

:func:`parse_period` reads one cell of a date or period column and says what it is (a
:class:`PeriodLabel`: its resolution and the first day it covers) or why it is not one (a
reason string; ``"missing"`` for an empty cell). Accepted:

* years: ``2024``, ``"2024"``, ``"2024年"``;
* quarters: ``"2024Q1"``, ``"2024-Q1"``, ``"2024 q1"``, ``"Q1 2024"``, ``"2024年第1季度"``,
  ``"2024年1季"``, ``"2024年第一季度"``;
* months: ``"2024-03"``, ``"2024/3"``, ``"2024.3"``, ``"2024M03"``, ``"202403"``, ``"2024年3月"``;
* full dates (ISO ``"1999-10-01"``, datetime values, anything :class:`pandas.Timestamp` parses);
* pandas Periods (at their own frequency);
* NBS January-to-month cumulative periods ``"2024-01..MM"`` (resolution ``"ytd"``; it must
  start in January).

:class:`~reportkit.data.timeseries.TimeSeries`, the market-series schema
(:mod:`reportkit.data.schemas`) and the NBS loaders (:mod:`reportkit.data.nbs`, through
:func:`parse_ytd_period`) all read labels with it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["Resolution", "PeriodLabel", "RANK", "KIND_WORD", "parse_period", "parse_ytd_period"]

Resolution = Literal["annual", "quarterly", "monthly", "date", "ytd"]

_YEAR_RE = re.compile(r"^(\d{4})\s*年?$")
_QUARTER_RES = (
    re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$"),
    re.compile(r"^(\d{4})\s*年\s*第?\s*([1-4])\s*季度?$"),
)
_QUARTER_FIRST_RE = re.compile(r"^[Qq]([1-4])\s*[-/ ]?\s*(\d{4})$")
_QUARTER_ZH_RE = re.compile(r"^(\d{4})\s*年\s*第?\s*([一二三四])\s*季度?$")
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_MONTH_RES = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})[Mm](\d{1,2})$"),
    re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$"),
)
_YTD_RE = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{2})$")

#: How fine each resolution is: a label can become a period of its own or a finer frequency.
RANK: Mapping[str, int] = MappingProxyType({"annual": 0, "quarterly": 1, "monthly": 2, "date": 3})
#: Each resolution in words, for messages ("2024 is a year").
KIND_WORD: Mapping[str, str] = MappingProxyType({
    "annual": "a year", "quarterly": "a quarter", "monthly": "a month", "date": "a date",
    "ytd": "a cumulative period"})
_PERIOD_CODE = {"annual": "Y", "quarterly": "Q", "monthly": "M", "date": "D"}


@dataclass(frozen=True)
class PeriodLabel:
    """What a label is: its ``resolution`` and ``start``, the first day of the labelled period
    (the date itself for a date; the last month's first day for a cumulative ``ytd`` period)."""

    resolution: Resolution
    start: pd.Timestamp

    def period(self) -> pd.Period | None:
        """The label as a pandas Period at its own resolution (None for a cumulative period)."""
        code = _PERIOD_CODE.get(self.resolution)
        return None if code is None else pd.Period(self.start, freq=code)


def _of_period(value: pd.Period) -> PeriodLabel:
    freq = value.freqstr
    if freq.startswith(("Y", "A")):
        return PeriodLabel("annual", value.start_time)
    if freq.startswith("Q"):
        return PeriodLabel("quarterly", value.start_time)
    if freq == "M":
        return PeriodLabel("monthly", value.start_time)
    return PeriodLabel("date", value.start_time)


def _of_stamp(value: Any) -> PeriodLabel | str:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return "not a date"
    if pd.isna(stamp):
        return "missing"
    return PeriodLabel("date", stamp.tz_localize(None) if stamp.tzinfo else stamp)


def _of_text(text: str) -> PeriodLabel | str:
    match = _YTD_RE.match(text)
    if match:
        year, first, last = (int(g) for g in match.groups())
        if first != 1 or not 1 <= last <= 12:
            return "a cumulative period that does not start in January (expected YYYY-01..MM)"
        return PeriodLabel("ytd", pd.Timestamp(year=year, month=last, day=1))
    match = _YEAR_RE.match(text)
    if match:
        return PeriodLabel("annual", pd.Timestamp(year=int(match.group(1)), month=1, day=1))
    quarter: tuple[int, int] | None = None  # (year, quarter)
    for regex in _QUARTER_RES:
        match = regex.match(text)
        if match:
            quarter = int(match.group(1)), int(match.group(2))
            break
    if quarter is None and (match := _QUARTER_FIRST_RE.match(text)):
        quarter = int(match.group(2)), int(match.group(1))
    if quarter is None and (match := _QUARTER_ZH_RE.match(text)):
        quarter = int(match.group(1)), _ZH_DIGITS[match.group(2)]
    if quarter is not None:
        year, q = quarter
        return PeriodLabel("quarterly", pd.Timestamp(year=year, month=3 * q - 2, day=1))
    for regex in _MONTH_RES:
        match = regex.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                return f"month {month} is not 1-12"
            return PeriodLabel("monthly", pd.Timestamp(year=year, month=month, day=1))
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return "not a recognised date (expected e.g. 2024, 2024Q1, 2024-03 or 2024-03-01)"
    if pd.isna(stamp):
        return "missing"
    return PeriodLabel("date", stamp.tz_localize(None) if stamp.tzinfo else stamp)


def parse_period(value: Any) -> PeriodLabel | str:
    """Read one cell of a date or period column (see the module doc).

    Returns a :class:`PeriodLabel`, or a string: ``"missing"`` for an empty cell (None, NaN,
    ``""``, ``"nan"``, ``"NaT"``, ``"none"``, ``"null"``), else the reason the cell is not a
    period, e.g. ``"month 13 is not 1-12"``.
    """
    if isinstance(value, pd.Period):
        return _of_period(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return _of_stamp(value)
    if isinstance(value, (bool, np.bool_)):
        return "a boolean, not a date"
    if isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "missing"
        if not float(value).is_integer():
            return "a number that is not a year"
        text = str(int(value))
    elif value is None:
        return "missing"
    else:
        text = str(value).strip()
    if text == "" or text.lower() in {"nan", "nat", "none", "null"}:
        return "missing"
    return _of_text(text)


def parse_ytd_period(label: str) -> tuple[int, int]:
    """Parse a cumulative period label ``YYYY-01..MM`` into ``(year, end_month)``.

    Raises ``ValueError`` for anything else (the period must start in January), with the reason.
    """
    parsed = parse_period(label)
    if isinstance(parsed, PeriodLabel) and parsed.resolution == "ytd":
        return parsed.start.year, parsed.start.month
    why = parsed if isinstance(parsed, str) else f"{KIND_WORD[parsed.resolution]}, not a cumulative period"
    raise ValueError(f"expected a cumulative period from January like 2024-01..02 (YYYY-01..MM, "
                     f"MM 01-12); got {label!r}: {why}")
