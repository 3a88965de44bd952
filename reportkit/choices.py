"""Closed choices: a value that must be one of a fixed set of strings, checked once, here.

pyfixest's habit: ``Literal[...]`` aliases name the choices, and a run-time check says
"expected one of …; got …". Analysis options raise :class:`~reportkit.errors.AnalysisError`,
data options :class:`~reportkit.errors.DataError` (with ``expected``); the message is the same.
"""

from __future__ import annotations

from typing import Any

from .errors import AnalysisError, DataError, ReportKitError

__all__ = ["check_choice"]


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
