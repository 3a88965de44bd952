"""The problems the pre-publish checks report, and the one error that lists them.

:class:`Problem` is one thing a client must not see (the section, where in it, what kind, the
detail); :func:`raise_if_problems` turns a list of them into one :class:`RenderError`. The checks
themselves are in :mod:`~reportkit.render.result_checks` (executed notebooks and recorded
results), :mod:`~reportkit.render.html_checks` (the rendered HTML, figure SVGs) and
:mod:`~reportkit.render.font_checks` (characters the report fonts cannot draw).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import RenderError

__all__ = ["Problem", "excerpt", "raise_if_problems"]


@dataclass(frozen=True)
class Problem:
    """One thing a client must not see. ``section`` is a section id ("" for the report as a whole),
    ``where`` says where in it ("cell 7", "table 'growth' (cell 5)", "near #table-3")."""

    section: str
    where: str
    kind: str
    detail: str

    def __str__(self) -> str:
        place = f"section {self.section!r}" if self.section else "report"
        where = f", {self.where}" if self.where else ""
        return f"{place}{where}: {self.kind}: {self.detail}"


def raise_if_problems(problems: Iterable[Problem], *, what: str = "the report") -> None:
    """Raise one :class:`RenderError` listing every problem (with ``.problems`` attached), if any."""
    problems = list(problems)
    if not problems:
        return
    err = RenderError(
        f"{what} cannot be published: {len(problems)} problem(s) must be fixed first:\n  - "
        + "\n  - ".join(str(p) for p in problems)
    )
    err.problems = tuple(problems)  # type: ignore[attr-defined]
    raise err


def excerpt(text: str, limit: int = 70) -> str:
    """``text`` on one line (whitespace collapsed), cut to ``limit`` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
