"""Closed choices: a value that must be one of a fixed set of strings, checked once, here.

pyfixest's habit: ``Literal[...]`` aliases name the choices, and a run-time check says
"expected one of …; got …". Analysis options raise :class:`~reportkit.errors.AnalysisError`,
data options :class:`~reportkit.errors.DataError` (with ``expected``); the message is the same.
"""

from __future__ import annotations

from typing import Any

from .errors import AnalysisError, DataError, ReportKitError

__all__ = ["check_choice", "check_choices"]


def check_choice(name: str, value: Any, allowed: tuple[str, ...], *, as_list: bool = False,
                 error: type[ReportKitError] = AnalysisError) -> str:
    """``value`` if it is one of the strings ``allowed``; else ``error`` naming the option, the
    choices (quoted and comma-separated, or a Python list with ``as_list``) and the bad value."""
    if isinstance(value, str) and value in allowed:
        return value
    shown = str(list(allowed)) if as_list else ", ".join(repr(a) for a in allowed)
    message = f"{name}: expected one of {shown}; got {value!r}"
    if issubclass(error, DataError):
        raise error(message, expected=f"one of {list(allowed)}")
    raise error(message)


def check_choices(name: str, values: Any, allowed: tuple[str, ...], *, noun: str = "name") -> tuple[str, ...]:
    """``values`` (one name or a sequence) as a tuple of distinct names from ``allowed``; else
    AnalysisError naming the option, the choices and the bad or repeated names."""
    if isinstance(values, str):
        values = (values,)
    try:
        names: tuple[str, ...] = tuple(values)
    except TypeError as exc:
        raise AnalysisError(f"{name}: expected a sequence of {noun}s from {list(allowed)}; got {values!r}") from exc
    if not names:
        raise AnalysisError(f"{name}: expected at least one of {list(allowed)}")
    for value in names:
        check_choice(name, value, allowed, as_list=True)
    dup = sorted({v for v in names if names.count(v) > 1})
    if dup:
        raise AnalysisError(f"{name}: each {noun} once; repeated: {dup}")
    return names
