"""Checks of analysis inputs: frame, columns, numeric, positive, confidence level, closed choices.

Every analysis function checks what it is given before it computes anything, and says what was
wrong, where, and what was expected. The checks live here, once:

* :func:`check_frame`, :func:`check_columns`: a pandas DataFrame (with rows, where asked) that
  has the columns named (the message lists the available ones).
* :func:`check_complete`, :func:`check_panel_keys`: key columns without missing values, and one
  row per entity and period; :func:`check_panel_model`: all of a log-log panel model's columns.
* :func:`as_float`, :func:`numeric_values`, :func:`check_positive`: numeric columns, without
  missing or infinite values where asked, and strictly positive before a log.
* :func:`check_conf_level`, :func:`check_alpha`, :func:`check_count`, :func:`check_choice`:
  options (a level in (0, 1), an integer with a lower bound, one of a closed set of strings).

Data problems raise :class:`~reportkit.errors.DataError` (with the column), bad options and
values that make a model undefined raise :class:`~reportkit.errors.AnalysisError`. Rows are
never dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..choices import check_choice as _check_choice
from ..errors import AnalysisError, DataError

__all__ = [
    "check_frame",
    "check_columns",
    "check_complete",
    "check_panel_keys",
    "check_panel_model",
    "as_float",
    "numeric_values",
    "check_positive",
    "check_conf_level",
    "check_alpha",
    "check_count",
    "check_choice",
]


# --------------------------------------------------------------------------- frame and columns


def check_frame(data: Any, *, nonempty: bool = False) -> pd.DataFrame:
    """``data`` itself if it is a pandas DataFrame (with at least one row when ``nonempty``)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; got {type(data).__name__}")
    if nonempty and len(data) == 0:
        raise DataError("the data have no rows")
    return data


def check_columns(
    df: pd.DataFrame,
    *columns: str,
    frame: str | None = None,
    hint: str | None = None,
    path: str | Path | None = None,
) -> None:
    """Every column is in ``df``; else DataError naming the first missing one and the available ones.

    ``frame`` names the frame in the message (e.g. "the annual frame"), ``hint`` is appended
    (e.g. where such a frame comes from) and ``path`` is the file the frame was read from.
    """
    for col in columns:
        if col not in df.columns:
            available = ", ".join(map(str, df.columns)) or "(none)"
            where = f"{frame}: " if frame else ""
            raise DataError(
                f"{where}column {col!r} not found; available columns: {available}" + (f"; {hint}" if hint else ""),
                path=path,
                column=col,
            )


def check_complete(df: pd.DataFrame, *columns: str, need: str = "one") -> None:
    """No missing values in the key ``columns`` (entity, time, group …): every row needs ``need``."""
    for col in columns:
        n_missing = int(df[col].isna().sum())
        if n_missing:
            raise DataError(f"column {col!r} has {n_missing} missing value(s); every row needs {need}", column=col)


def check_panel_keys(df: pd.DataFrame, entity: str, time: str) -> None:
    """Entity and time have no missing values and each (entity, time) pair occurs once."""
    check_complete(df, entity, time)
    dup = df.duplicated([entity, time], keep=False)
    if dup.any():
        first = df.loc[dup, [entity, time]].iloc[0]
        raise DataError(
            f"{int(dup.sum())} rows repeat an ({entity}, {time}) pair, e.g. "
            f"({first[entity]!r}, {first[time]!r}); expected one row per {entity} and {time}"
        )


def check_panel_model(
    df: pd.DataFrame,
    *,
    outcome: str,
    engagement: str,
    entity: str,
    time: str,
    cluster: str,
    group: str | None = None,
) -> None:
    """The columns of a log-log panel model of ``outcome`` on ``engagement``, in this order.

    All exist; outcome and engagement differ; the ``group`` column (if any) is not the entity or
    time and has no missing values; one row per entity and period; outcome and engagement are
    strictly positive (their logs are defined).
    """
    check_columns(df, outcome, engagement, entity, time, *([group] if group is not None else []), cluster)
    if outcome == engagement:
        raise AnalysisError(f"outcome and engagement must be different columns; both are {outcome!r}")
    if group is not None:
        if group in (entity, time):
            raise AnalysisError(f"group must differ from the entity and time columns; got {group!r}")
        check_complete(df, group, need="a group")
    check_panel_keys(df, entity, time)
    check_positive(df, outcome)
    check_positive(df, engagement)


# --------------------------------------------------------------------------- numeric columns


def _missing_error(col: str, n_missing: int) -> DataError:
    return DataError(
        f"column {col!r} has {n_missing} missing value(s); fill or drop them explicitly first "
        "(rows are not dropped silently)",
        column=col,
    )


def as_float(series: pd.Series, col: str, role: str | None = None) -> np.ndarray:
    """The column as float64 (bool → 0/1, missing → NaN); DataError naming it and its first bad values.

    ``role`` (e.g. "regressor") is shown after the column name.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        return np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    what = f"column {col!r}" + (f" ({role})" if role else "")
    coerced = pd.to_numeric(series, errors="coerce")
    bad = series[coerced.isna() & series.notna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad.to_numpy())[:3])
        raise DataError(
            f"{what} must be numeric; it has dtype {dtype} and {len(bad)} value(s) that are "
            f"not numbers, e.g. {shown}",
            column=col,
        )
    first = ", ".join(str(v) for v in series.dropna().to_numpy()[:3])
    raise DataError(
        f"{what} must be numeric; it has dtype {dtype} (values such as {first}); "
        "convert it with pandas.to_numeric first",
        column=col,
    )


def numeric_values(df: pd.DataFrame, col: str, *, finite: bool = True) -> np.ndarray:
    """A numeric (not bool) column without missing values as float64; also finite when ``finite``."""
    values = df[col]
    if pd.api.types.is_bool_dtype(values):
        raise DataError(f"column {col!r} must be numeric; it has dtype {values.dtype}", column=col)
    arr = as_float(values, col)
    n_missing = int(np.isnan(arr).sum())
    if n_missing:
        raise _missing_error(col, n_missing)
    if finite and not np.isfinite(arr).all():
        raise DataError(f"column {col!r} has infinite values", column=col)
    return arr


def check_positive(df: pd.DataFrame, col: str) -> None:
    """A numeric column without missing values and with every value > 0, so its log is defined."""
    values = df[col]
    if not pd.api.types.is_numeric_dtype(values):
        raise DataError(f"column {col!r} must be numeric to take logs; it has dtype {values.dtype}", column=col)
    n_missing = int(values.isna().sum())
    if n_missing:
        raise _missing_error(col, n_missing)
    n_bad = int((values <= 0).sum())
    if n_bad:
        raise AnalysisError(
            f"column {col!r} has {n_bad} zero or negative row(s) out of {len(values)}, so its log "
            "is undefined; rows are not dropped silently. Use log1p on purpose, or a Poisson model "
            "(PPML, e.g. pyfixest.fepois) that handles zeros"
        )


# --------------------------------------------------------------------------- options


def _level(name: str, value: Any, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        raise AnalysisError(f"{name}: expected a number between 0 and 1 such as {example}; got {value!r}")
    return float(value)


def check_conf_level(conf_level: Any) -> float:
    """A confidence level strictly between 0 and 1, as a float."""
    return _level("conf_level", conf_level, "0.95")


def check_alpha(alpha: Any) -> float:
    """A significance level strictly between 0 and 1, as a float."""
    return _level("alpha", alpha, "0.05")


def check_count(name: str, value: Any, low: int) -> int:
    """An integer (not bool) ≥ ``low``, as an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise AnalysisError(f"{name}: expected an integer ≥ {low}; got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, allowed: tuple[str, ...], *, as_list: bool = False) -> str:
    """``value`` if it is one of the strings ``allowed``; else AnalysisError listing them
    (:func:`reportkit.choices.check_choice`, the one validator of closed choices)."""
    return _check_choice(name, value, allowed, as_list=as_list, error=AnalysisError)
