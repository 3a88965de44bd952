"""The wording shared by the data layer's :class:`~reportkit.errors.DataError` messages.

Where a row is (:class:`RowNumbers`: ``line 7`` of a text file, ``row 7`` of a sheet or a
Parquet file), how a cell is shown (:func:`show`), how many bad rows a message lists
(:data:`MAX_SHOWN`) and how it says there are more (:func:`and_more`, :func:`show_list`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_SHOWN", "RowNumbers", "show", "and_more", "show_list", "column_list"]

#: How many bad rows (or cells, or periods) a message lists before "(and N more)".
MAX_SHOWN = 5


@dataclass(frozen=True)
class RowNumbers:
    """Where each data row of a frame sits in its file, for messages.

    ``numbers[i]`` is the location of data row ``i``: its line in a text file (the header is
    line 1, so without blank lines the first data row is line 2), its row in an Excel sheet, or
    its 1-based position in a Parquet file. ``word`` is "line" or "row".
    """

    numbers: tuple[int, ...]
    word: str = "line"
    header: int | None = 1  # where the column names are (None: a Parquet schema)

    @classmethod
    def after_header(cls, n_rows: int) -> RowNumbers:
        """Rows of a frame as they would be in a CSV file with one header line (row i → line i+2)."""
        return cls(tuple(range(2, n_rows + 2)), "line")

    @classmethod
    def for_frame(cls, frame: pd.DataFrame, given: RowNumbers | None = None) -> RowNumbers:
        """``given``, else the locations :func:`~reportkit.data.readers.read_table` left in
        ``frame.attrs``, else lines i+2."""
        for candidate in (given, frame.attrs.get("reportkit_rows")):
            if isinstance(candidate, RowNumbers) and len(candidate.numbers) == len(frame):
                return candidate
        return cls.after_header(len(frame))

    @classmethod
    def for_series(cls, series: pd.Series, given: RowNumbers | None = None) -> RowNumbers:
        """``given`` when it has one location per cell of ``series``, else lines i+2."""
        if given is not None and len(given.numbers) == len(series):
            return given
        return cls.after_header(len(series))

    @property
    def header_label(self) -> str:
        """``"line 1"``, ``"row 3"`` (a sheet) or ``"the Parquet schema"``: where the names are."""
        return f"{self.word} {self.header}" if self.header is not None else "the Parquet schema"

    def at(self, position: int) -> int:
        """The location (line or row number) of data row ``position`` (0-based)."""
        return self.numbers[position]

    def label(self, position: int) -> str:
        """``"line 7"`` or ``"row 7"`` for data row ``position`` (0-based)."""
        return f"{self.word} {self.numbers[position]}"

    def take(self, positions: Sequence[int]) -> RowNumbers:
        """The locations of the rows at ``positions``, in that order (after sorting or filtering)."""
        return RowNumbers(tuple(self.numbers[p] for p in positions), self.word, self.header)


def show(value: Any) -> str:
    """One cell for a message: ``(empty)``, text quoted, whole floats without ``.0``, dates as
    ISO dates, anything longer than 40 characters cut with ``…``."""
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        midnight = (value.hour, value.minute, value.second, value.microsecond, value.nanosecond) == (0, 0, 0, 0, 0)
        return str(value.date()) if midnight else str(value)  # (no normalize(): it overflows at the range's ends)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def and_more(total: int, shown: int = MAX_SHOWN) -> str:
    """``" (and 3 more)"`` when ``total`` items were found and ``shown`` of them listed, else ``""``."""
    return f" (and {total - shown} more)" if total > shown else ""


def show_list(items: Sequence[str], limit: int = MAX_SHOWN) -> str:
    """The first ``limit`` items joined by commas, then ``(and N more)``."""
    return ", ".join(items[:limit]) + and_more(len(items), limit)


def column_list(columns: Iterable[Any]) -> str:
    """A frame's column names for a message: ``a, b, c`` or ``(none)``."""
    return ", ".join(map(str, columns)) or "(none)"
