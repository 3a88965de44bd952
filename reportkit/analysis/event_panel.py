"""Staggered adoption on a panel: the checked input of an event study.

An event study needs, for every entity (a brand, a store), the period in which it adopted the
treatment (joined a partnership, opened a channel) — or that it never did — and an outcome in
every period it is observed. :func:`prepare_event_panel` takes any long panel with those roles and
returns an :class:`EventPanel`: the periods numbered 1 … T in time order, each entity's adoption
period ``g`` (0 for never), the event time ``e = t − g`` and the treatment indicator ``D = 1[t ≥ g]``.

The adoption role is either

* a **date** (or a period value of the same kind as the time column) per row, the same in every
  row of an entity, empty for entities that never adopt; a date inside a period (a Wednesday in a
  week that starts on Monday) belongs to that period; or
* a **0/1 indicator** per row (TRUE/FALSE, 1/0), the period of an entity's first 1 being its
  adoption period.

Refused, with a message naming the column and the entities (:class:`~reportkit.errors.DataError`):
an adoption date that differs between rows of one entity, an indicator that switches off again
(the designs here need adoption that stays on), adoption before or in the panel's first period
(no period before adoption to compare with) or after its last, a missing or non-finite outcome,
zeros or negatives in an outcome taken in logs, duplicated entity-periods, and a panel in which no
entity adopts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data.schemas import parse_binary_column, parse_date_column
from ..errors import DataError

__all__ = ["EventPanel", "prepare_event_panel", "ENTITY", "PERIOD", "COHORT", "EVENT", "TREATED", "OUTCOME", "GROUP"]

# internal column names of EventPanel.frame
ENTITY, PERIOD, COHORT, EVENT, TREATED, OUTCOME, GROUP = "rk_i", "rk_t", "rk_g", "rk_e", "rk_d", "rk_y", "rk_c"
NEVER = 0  # cohort of entities that never adopt (pyfixest's convention)
_SHOW = 5  # entities named in a message


@dataclass(frozen=True)
class EventPanel:
    """A panel ready for :func:`~reportkit.analysis.event_study.fit_event_study`.

    ``frame`` has one row per entity-period with the internal columns :data:`ENTITY` (str),
    :data:`PERIOD` (1 … T), :data:`COHORT` (adoption period, 0 never), :data:`EVENT` (``t − g``;
    missing for never-adopters), :data:`TREATED` (bool), :data:`OUTCOME` (float, logged when
    ``log``) and, with a group, :data:`GROUP`. ``periods`` holds the period labels in order
    (``periods[t − 1]`` is period t).
    """

    frame: pd.DataFrame
    periods: tuple[Any, ...]
    entity: str
    time: str
    adoption: str
    outcome: str
    group: str | None
    log: bool
    source: str

    @property
    def n_entities(self) -> int:
        return int(self.frame[ENTITY].nunique())

    @property
    def cohorts(self) -> dict[int, int]:
        """Adoption period → number of entities (never-adopters under 0)."""
        first = self.frame.drop_duplicates(ENTITY)
        counts = first[COHORT].value_counts().sort_index()
        return {int(g): int(n) for g, n in counts.items()}

    @property
    def n_treated(self) -> int:
        return sum(n for g, n in self.cohorts.items() if g != NEVER)

    @property
    def n_never(self) -> int:
        return self.cohorts.get(NEVER, 0)

    def period_label(self, t: int) -> str:
        """Period ``t`` (1-based) as text: an ISO date for dates, else the value."""
        value = self.periods[int(t) - 1]
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else str(value)

    def entities_of(self, g: int) -> list[str]:
        first = self.frame.drop_duplicates(ENTITY)
        return sorted(first.loc[first[COHORT] == g, ENTITY].tolist())


def _names(values: Sequence[Any]) -> str:
    shown = ", ".join(str(v) for v in list(values)[:_SHOW])
    return shown + (f" and {len(values) - _SHOW} more" if len(values) > _SHOW else "")


def _as_periods(values: pd.Series, column: str, source: str) -> pd.Series:
    """Dates (datetime64, or text in the formats :func:`~reportkit.data.schemas.parse_date_column`
    reads: 2024-07-01, 2024/7/1, 2024年7月1日, 20240701) as Timestamps; numbers as numbers."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    try:
        return parse_date_column(values.reset_index(drop=True), column=column).set_axis(values.index)
    except DataError as exc:
        raise DataError(f"{source}: {exc}", column=column, rows=exc.rows, expected=exc.expected) from exc


_YES_NO = frozenset({"0", "1", "0.0", "1.0", "true", "false", "yes", "no", "是", "否"})


def _is_indicator(values: pd.Series) -> bool:
    """A 0/1 adoption role: booleans, numbers that are all 0 or 1, or text that is all yes/no values."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        present = pd.unique(values.dropna())
        return len(present) > 0 and set(np.asarray(present, dtype=float).tolist()) <= {0.0, 1.0}
    texts = {str(v).strip().lower() for v in values.dropna()} - {""}
    return bool(texts) and texts <= _YES_NO


def _cohorts_from_indicator(df: pd.DataFrame, adoption: str, source: str) -> pd.Series:
    """First period with a 1, per entity; refuses a 1 followed by a 0 (treatment switching off)."""
    flag = df[adoption]
    if not (pd.api.types.is_bool_dtype(flag) or pd.api.types.is_numeric_dtype(flag)):
        flag = parse_binary_column(flag, column=adoption)
    if flag.isna().any():
        raise DataError(
            f"column {adoption!r} ({source}) is a 0/1 adoption indicator with "
            f"{int(flag.isna().sum())} empty values; expected 0 or 1 in every row",
            column=adoption, expected="0 or 1 in every row",
        )
    on = flag.astype(bool)
    ordered = df.assign(_on=on).sort_values([ENTITY, PERIOD])
    # a 0 after a 1 within an entity: the running max exceeds the value
    running = ordered.groupby(ENTITY, sort=False)["_on"].cummax()
    off = ordered[running & ~ordered["_on"]]
    if not off.empty:
        first = off.drop_duplicates(ENTITY)
        where = [f"{e} (period {t})" for e, t in zip(first[ENTITY], first[PERIOD], strict=True)]
        raise DataError(
            f"column {adoption!r} ({source}) switches off again for {_names(where)}: the event study "
            "needs adoption that stays on once it starts (an absorbing treatment); drop the entities "
            "that leave, or end their panel when they leave",
            column=adoption, expected="0 until adoption, 1 from then on",
        )
    first_on = ordered[ordered["_on"]].groupby(ENTITY)[PERIOD].min()
    return first_on.reindex(pd.Index(ordered[ENTITY].unique())).fillna(NEVER).astype(int)


def _cohorts_from_dates(df: pd.DataFrame, adoption: str, periods: pd.Index, source: str) -> pd.Series:
    """The period containing each entity's adoption date; refuses dates that differ within an entity."""
    values = _as_periods(df[adoption], adoption, source)
    dated = isinstance(periods[0], pd.Timestamp)
    if dated != pd.api.types.is_datetime64_any_dtype(values):
        raise DataError(
            f"column {adoption!r} ({source}) holds {'dates' if not dated else 'numbers'} but the time column "
            f"holds {'dates' if dated else 'period numbers'}; expected the same kind of value in both",
            column=adoption, expected="adoption in the same kind of value as the time column",
        )
    key = values.astype("int64") if dated else values.astype(float)
    key = key.where(values.notna())
    per_entity = pd.DataFrame({ENTITY: df[ENTITY].to_numpy(), "v": key.to_numpy()}).groupby(ENTITY, sort=True)["v"]
    distinct = per_entity.nunique(dropna=False)
    if (distinct > 1).any():
        bad = distinct[distinct > 1].index.tolist()
        raise DataError(
            f"column {adoption!r} ({source}) must hold one adoption date per entity (the same in all its rows, "
            f"empty for entities that never adopt); it differs between rows of {_names(bad)}. "
            "A date that goes back to empty would be treatment switching off, which the event study does not model",
            column=adoption, expected="one adoption date per entity",
        )
    first = per_entity.first()
    when = values.groupby(df[ENTITY].to_numpy(), sort=True).first()
    cohort = pd.Series(NEVER, index=first.index, dtype=int)
    has = when.notna()
    if has.any():
        pos = np.searchsorted(np.asarray(periods), np.asarray(when[has]), side="right")  # period containing it: pos
        spacing = (periods[-1] - periods[-2]) if len(periods) > 1 else None
        end = periods[-1] + spacing if spacing is not None else periods[-1]
        before = when[has][pos == 0].index.tolist()
        after = when[has][np.asarray(when[has] >= end)].index.tolist()
        if before or after:
            parts = []
            if before:
                parts.append(f"{_names(before)} adopt before the first period {_label(periods[0])}")
            if after:
                parts.append(f"{_names(after)} adopt after the last period {_label(periods[-1])}")
            raise DataError(
                f"column {adoption!r} ({source}): adoption dates outside the panel — {'; '.join(parts)}. "
                "An entity needs periods before and after its adoption inside the data: leave the date empty "
                "for entities that adopt after the panel ends (they are not-yet-treated throughout), and drop "
                "entities treated from before the start",
                column=adoption, expected=f"dates from {_label(periods[0])} to {_label(periods[-1])}",
            )
        cohort[has] = pos
    return cohort


def _label(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, pd.Timestamp) else str(value)


def prepare_event_panel(
    data: pd.DataFrame,
    *,
    entity: str,
    time: str,
    adoption: str,
    outcome: str,
    group: str | None = None,
    log: bool = True,
    source: str = "the data",
) -> EventPanel:
    """Check a long panel and number its periods, cohorts and event times (module docstring).

    Parameters
    ----------
    data
        One row per entity and period.
    entity, time, adoption, outcome
        Column names of the roles; ``adoption`` a date per row (empty: never) or a 0/1 indicator.
    group
        Optional column (a category) whose adoption effects are reported separately; constant
        within an entity.
    log
        Take the natural log of the outcome (effects are then in log points: 0.10 ≈ +10.5 %).
    source
        Where the data came from, for messages (a file name).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of the panel ({source}); got {type(data).__name__}")
    needed = [c for c in (entity, time, adoption, outcome, group) if c]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(
            f"{source} has no column {', '.join(repr(c) for c in missing)}; its columns are "
            f"{', '.join(repr(str(c)) for c in data.columns)}",
            column=missing[0], expected="the column names given for entity, time, adoption, outcome and group",
        )
    for col in (entity, time) + ((group,) if group else ()):
        if data[col].isna().any():
            rows = (np.flatnonzero(data[col].isna().to_numpy()) + 1).tolist()
            raise DataError(f"column {col!r} ({source}) has {len(rows)} empty values (rows {_names(rows)})",
                            column=col, rows=rows[:_SHOW], expected="a value in every row")
    y = pd.to_numeric(data[outcome], errors="coerce")
    bad = y.isna() | ~np.isfinite(y.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        raise DataError(
            f"column {outcome!r} ({source}) has {len(rows)} missing or non-numeric values (rows {_names(rows)}); "
            "the event study needs the outcome in every row it uses: drop those rows first",
            column=outcome, rows=rows[:_SHOW], expected="a finite number in every row",
        )
    if log and (y <= 0).any():
        rows = (np.flatnonzero((y <= 0).to_numpy()) + 1).tolist()
        raise DataError(
            f"column {outcome!r} ({source}) has {len(rows)} zero or negative values (rows {_names(rows)}), "
            "which have no log; use log=False (effects in the outcome's units) or drop those rows",
            column=outcome, rows=rows[:_SHOW], expected="positive values when the outcome is taken in logs",
        )
    times = _as_periods(data[time], time, source)
    periods = pd.Index(pd.unique(times)).sort_values()
    df = pd.DataFrame({
        ENTITY: data[entity].astype(str).to_numpy(),
        PERIOD: periods.get_indexer(times) + 1,
        OUTCOME: np.log(y.to_numpy(dtype=float)) if log else y.to_numpy(dtype=float),
    })
    dup = df.duplicated([ENTITY, PERIOD], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise DataError(
            f"{source}: {int(dup.sum())} rows repeat an entity and period, e.g. {first[ENTITY]} in "
            f"{_label(periods[int(first[PERIOD]) - 1])}; expected one row per {entity!r} and {time!r}",
            column=time, expected="one row per entity and period",
        )
    if group:
        df[GROUP] = data[group].astype(str).to_numpy()
        n_groups = df.groupby(ENTITY)[GROUP].nunique()
        if (n_groups > 1).any():
            raise DataError(
                f"column {group!r} ({source}) changes within {_names(n_groups[n_groups > 1].index.tolist())}; "
                "expected one group per entity", column=group, expected="one group per entity",
            )
    if _is_indicator(data[adoption]):
        df[adoption] = data[adoption].to_numpy()
        cohort = _cohorts_from_indicator(df, adoption, source)
        df = df.drop(columns=[adoption])
    else:
        cohort = _cohorts_from_dates(df.assign(**{adoption: data[adoption].to_numpy()}), adoption, periods, source)
    df[COHORT] = df[ENTITY].map(cohort).astype(int)
    first_seen = df.groupby(ENTITY)[PERIOD].min()
    no_pre = cohort[(cohort != NEVER) & (cohort <= first_seen.reindex(cohort.index))].index.tolist()
    if no_pre:
        raise DataError(
            f"column {adoption!r} ({source}): {_names(no_pre)} adopt in or before their first observed period, "
            "so there is no period before adoption to compare with; drop them or add earlier periods",
            column=adoption, expected="adoption after an entity's first observed period",
        )
    if not (cohort != NEVER).any():
        raise DataError(
            f"column {adoption!r} ({source}): no entity adopts inside the panel; an event study needs adopters",
            column=adoption, expected="adoption dates for at least two entities",
        )
    treated = df[COHORT] != NEVER
    df[EVENT] = pd.Series(df[PERIOD] - df[COHORT], dtype="Int64").where(treated)
    df[TREATED] = treated & (df[PERIOD] >= df[COHORT])
    df = df.sort_values([ENTITY, PERIOD], kind="stable").reset_index(drop=True)
    return EventPanel(frame=df, periods=tuple(periods), entity=entity, time=time, adoption=adoption,
                      outcome=outcome, group=group, log=log, source=source)
