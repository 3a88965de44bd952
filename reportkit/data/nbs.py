"""The NBS official online-retail series (annual and January-to-month cumulative), validated.

Source: National Bureau of Statistics of China (国家统计局), stats.gov.cn retail releases, as
cited row by row in the ``source`` column. Levels are in 亿元 (100 million yuan). Each series
has two growth measures that must not be confused:

* ``*_yoy_official_pct``: growth as published by NBS, on a comparable basis (NBS restates the
  prior-year base to the current scope of platforms and firms);
* ``*_yoy_from_levels_pct``: the naive ratio of two consecutive published levels.

See ``data/README.md`` for the conventions, the verification caveats and the gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import DataError
from .io import load_data
from .messages import MAX_SHOWN, and_more, show
from .paths import project_root, resolve_data_path
from .periods import parse_ytd_period

__all__ = [
    "SeriesInfo",
    "SERIES",
    "ANNUAL_FILE",
    "MONTHLY_YTD_FILE",
    "load_nbs_annual",
    "load_nbs_monthly_ytd",
]

ANNUAL_FILE = "nbs_online_retail_annual.csv"
MONTHLY_YTD_FILE = "nbs_online_retail_monthly_ytd.csv"

UNIT = "亿元"
UNIT_EN = "100 million yuan"


@dataclass(frozen=True)
class SeriesInfo:
    """Where one NBS series lives in the two files, and how to label it."""

    key: str
    label_zh: str
    label_en: str
    level_column: str
    yoy_official_column: str
    yoy_from_levels_column: str
    ytd_level_column: str
    ytd_yoy_column: str
    unit: str = UNIT
    unit_en: str = UNIT_EN
    share_of_scgr_column: str | None = None

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``全国网上零售额 (Online retail sales)``."""
        return f"{self.label_zh} ({self.label_en})"


SERIES: Mapping[str, SeriesInfo] = MappingProxyType(
    {
        "online_retail": SeriesInfo(
            key="online_retail",
            label_zh="全国网上零售额",
            label_en="Online retail sales",
            level_column="online_retail_100m_yuan",
            yoy_official_column="online_yoy_official_pct",
            yoy_from_levels_column="online_retail_yoy_from_levels_pct",
            ytd_level_column="online_retail_ytd_100m_yuan",
            ytd_yoy_column="online_ytd_yoy_pct",
        ),
        "physical_online": SeriesInfo(
            key="physical_online",
            label_zh="实物商品网上零售额",
            label_en="Online retail sales of physical goods",
            level_column="physical_online_100m_yuan",
            yoy_official_column="physical_yoy_official_pct",
            yoy_from_levels_column="physical_online_yoy_from_levels_pct",
            ytd_level_column="physical_online_ytd_100m_yuan",
            ytd_yoy_column="physical_ytd_yoy_pct",
            share_of_scgr_column="physical_share_of_scgr_pct",
        ),
        "scgr": SeriesInfo(
            key="scgr",
            label_zh="社会消费品零售总额",
            label_en="Total retail sales of consumer goods",
            level_column="scgr_100m_yuan",
            yoy_official_column="scgr_yoy_official_pct",
            yoy_from_levels_column="scgr_yoy_from_levels_pct",
            ytd_level_column="scgr_ytd_100m_yuan",
            ytd_yoy_column="scgr_ytd_yoy_pct",
        ),
    }
)

def _default_path(filename: str) -> Path:
    return project_root() / "data" / filename


def _read(path: str | Path | None, filename: str) -> tuple[pd.DataFrame, Path]:
    resolved = _default_path(filename) if path is None else resolve_data_path(path)
    frame = load_data(resolved)
    return frame, resolved


def _bad_rows(frame: pd.DataFrame, mask: pd.Series, columns: list[str]) -> str:
    """Describe the first bad rows with their CSV line numbers (header is line 1)."""
    parts = []
    for idx in frame.index[mask.to_numpy()][:MAX_SHOWN]:
        values = ", ".join(f"{col}={show(frame.at[idx, col])}" for col in columns)
        parts.append(f"line {int(idx) + 2}: {values}")
    return "; ".join(parts) + and_more(int(mask.sum()))


def _require_columns(frame: pd.DataFrame, required: list[str], path: Path) -> None:
    missing = [col for col in required if col not in frame.columns]
    if missing:
        raise DataError(
            f"missing required column(s) {missing}; the file has {list(frame.columns)}",
            path=path,
            column=missing[0],
        )


def _numeric(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Convert a column to float; non-numeric cells raise DataError naming the rows."""
    converted = pd.to_numeric(frame[column], errors="coerce")
    bad = converted.isna() & frame[column].notna()
    if bad.any():
        raise DataError(
            f"column {column!r} has non-numeric values: {_bad_rows(frame, bad, [column])}",
            path=path,
            column=column,
        )
    return converted.astype(float)


def _check_non_negative(frame: pd.DataFrame, columns: list[str], path: Path, key: str) -> None:
    for column in columns:
        bad = frame[column] < 0
        if bad.any():
            raise DataError(
                f"column {column!r} has negative levels (expected >= 0): "
                + _bad_rows(frame, bad, [key, column]),
                path=path,
                column=column,
            )


def _check_strictly_increasing(frame: pd.DataFrame, order: pd.Series, column: str, path: Path,
                               what: str) -> None:
    dup = order.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"duplicate {what} in column {column!r}: {_bad_rows(frame, dup, [column])}",
            path=path,
            column=column,
        )
    previous = order.shift(1)
    bad = order <= previous
    if bad.any():
        raise DataError(
            f"{what} in column {column!r} are not strictly increasing (expected sorted, oldest "
            f"first): {_bad_rows(frame, bad, [column])}",
            path=path,
            column=column,
        )


def load_nbs_annual(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the annual NBS file (default ``data/nbs_online_retail_annual.csv``).

    Checks: required columns present, ``year`` integer and strictly increasing without
    duplicates, levels non-negative. Violations raise :class:`DataError` naming the file, the
    column and the first bad rows (CSV line numbers). Returns one row per year; levels and
    growth rates as floats (missing cells are NaN), ``year`` as int.
    """
    frame, resolved = _read(path, ANNUAL_FILE)
    level_cols = [info.level_column for info in SERIES.values()]
    rate_cols = [col for info in SERIES.values()
                 for col in (info.yoy_official_column, info.yoy_from_levels_column)]
    share_cols = [info.share_of_scgr_column for info in SERIES.values()
                  if info.share_of_scgr_column]
    _require_columns(frame, ["year", *level_cols, *rate_cols, *share_cols,
                             "verification", "source"], resolved)

    frame = frame.copy()
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad_year = year.isna() | (year != np.floor(year))
    if bad_year.any():
        raise DataError(
            f"column 'year' must hold whole years: {_bad_rows(frame, bad_year, ['year'])}",
            path=resolved,
            column="year",
        )
    frame["year"] = year.astype(int)
    _check_strictly_increasing(frame, frame["year"], "year", resolved, "years")
    for column in [*level_cols, *rate_cols, *share_cols]:
        frame[column] = _numeric(frame, column, resolved)
    _check_non_negative(frame, level_cols, resolved, "year")
    frame.attrs["source_path"] = str(resolved)
    return frame.reset_index(drop=True)


def load_nbs_monthly_ytd(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the January-to-month cumulative NBS file.

    Default ``data/nbs_online_retail_monthly_ytd.csv``. The ``period`` column holds labels like
    ``2024-01..02`` (cumulative from January; NBS combines January and February). Returns the
    file with ``year`` and ``end_month`` (int) parsed from ``period`` (if the file has these
    columns they must agree with ``period``). Checks: required columns, periods well formed and
    strictly increasing without duplicates, levels non-negative, cumulative levels not
    decreasing within a year. Violations raise :class:`DataError` naming file, column and rows.
    """
    frame, resolved = _read(path, MONTHLY_YTD_FILE)
    level_cols = [info.ytd_level_column for info in SERIES.values()]
    rate_cols = [info.ytd_yoy_column for info in SERIES.values()]
    share_cols = [info.share_of_scgr_column for info in SERIES.values()
                  if info.share_of_scgr_column]
    _require_columns(frame, ["period", *level_cols, *rate_cols, *share_cols, "source"], resolved)

    frame = frame.copy()
    parsed: list[tuple[int, int] | None] = []
    for label in frame["period"]:
        try:
            parsed.append(parse_ytd_period(label))
        except ValueError:
            parsed.append(None)
    bad = pd.Series([p is None for p in parsed], index=frame.index)
    if bad.any():
        raise DataError(
            "column 'period' must hold cumulative periods like 2024-01..02 (from January): "
            + _bad_rows(frame, bad, ["period"]),
            path=resolved,
            column="period",
        )
    year_months = [p for p in parsed if p is not None]  # all of them (checked above)
    years = pd.Series([p[0] for p in year_months], index=frame.index, dtype=int)
    months = pd.Series([p[1] for p in year_months], index=frame.index, dtype=int)
    for column, derived in (("year", years), ("end_month", months)):
        if column in frame.columns:
            given = pd.to_numeric(frame[column], errors="coerce")
            mismatch = given != derived
            if mismatch.any():
                raise DataError(
                    f"column {column!r} disagrees with 'period': "
                    + _bad_rows(frame, mismatch, ["period", column]),
                    path=resolved,
                    column=column,
                )
        frame[column] = derived
    _check_strictly_increasing(frame, years * 100 + months, "period", resolved, "periods")
    for column in [*level_cols, *rate_cols, *share_cols]:
        frame[column] = _numeric(frame, column, resolved)
    _check_non_negative(frame, level_cols, resolved, "period")
    for column in level_cols:
        known = frame[["year", column]].dropna()
        drop = known.groupby("year")[column].diff() < 0
        if drop.any():
            mask = pd.Series(False, index=frame.index)
            mask[drop[drop].index] = True
            raise DataError(
                f"cumulative column {column!r} decreases within a year (a January-to-month "
                "total cannot fall): " + _bad_rows(frame, mask, ["period", column]),
                path=resolved,
                column=column,
            )
    ordered = ["period", "year", "end_month"]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    frame.attrs["source_path"] = str(resolved)
    return frame.reset_index(drop=True)
