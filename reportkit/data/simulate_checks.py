"""Argument checks shared by the seeded simulators (:mod:`reportkit.data.simulate`,
:mod:`reportkit.data.simulate_adoption`).

Each check returns the value in its checked type or raises a :class:`~reportkit.errors.DataError`
whose message names the argument and the value given. They live here, below both simulators, so
that :mod:`~reportkit.data.simulate` can import the adoption model from
:mod:`~reportkit.data.simulate_adoption` without an import cycle.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["check_int", "check_float", "check_monday", "check_sequence"]


def check_int(name: str, value: Any, lo: int, hi: int) -> int:
    """``value`` as an int in ``[lo, hi]``, else a DataError naming ``name`` (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} must be an integer between {lo} and {hi}; got {value!r}")
    if not lo <= int(value) <= hi:
        raise DataError(f"{name} must be between {lo} and {hi}; got {value!r}")
    return int(value)


def check_float(name: str, value: Any, lo: float, hi: float, *, open_lo: bool = False) -> float:
    """``value`` as a finite float in ``[lo, hi]`` (``(lo, hi]`` with ``open_lo``), else a DataError
    naming ``name`` (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DataError(f"{name} must be a number; got {value!r}")
    x = float(value)
    low_ok = x > lo if open_lo else x >= lo
    if not (math.isfinite(x) and low_ok and x <= hi):
        bracket = "(" if open_lo else "["
        raise DataError(f"{name} must be in {bracket}{lo}, {hi}]; got {value!r}")
    return x


def check_sequence(name: str, value: Any) -> tuple[Any, ...]:
    """``value`` (a non-empty list or tuple; not a string or a mapping) as a tuple, else a DataError
    naming ``name``."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise DataError(f"{name} must be a list or tuple; got {value!r}")
    if not value:
        raise DataError(f"{name} must not be empty; got {value!r}")
    return tuple(value)


def check_monday(start: Any) -> dt.date:
    """``start`` (a date or an ISO string) as a date that is a Monday, else a DataError naming it."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(start, dt.date):
        day = start
    elif isinstance(start, str):
        try:
            day = dt.date.fromisoformat(start)
        except ValueError:
            raise DataError(f"start must be an ISO date such as '2023-01-02'; got {start!r}") from None
    else:
        raise DataError(f"start must be an ISO date string such as '2023-01-02'; got {start!r}")
    if day.weekday() != 0:
        raise DataError(
            f"start must be a Monday (weeks run Monday–Sunday); got {day.isoformat()}, a {day.strftime('%A')}"
        )
    return day
