"""The time-series view of engagement → conversion: Granger causality tests, both directions.

:func:`granger` sums the panel to one weekly series per group (or overall), takes logs, tests
each series for a unit root with the augmented Dickey–Fuller test (:func:`_adf`) and, when
either has one, differences both (growth rates); then it runs the SSR-based Granger F tests for
lags 1 … ``maxlag``: engagement → outcome (``"forward"``) and outcome → engagement
(``"reverse"``). :class:`GrangerResult` holds the tests and the stationarity checks and makes
the appendix table.

Granger causality is predictive precedence, not causation. The panel view (leads, lags and
carry-over within brands) is in :mod:`reportkit.analysis.dynamics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from ..i18n import Language
from .inputs import check_alpha, check_choice, check_columns, check_complete, check_count, check_frame, numeric_values
from .memo import memoized
from .narrative import column_label, words

__all__ = [
    "Differencing",
    "GrangerResult",
    "granger",
]

Differencing = Literal["auto", "always", "never"]
_DIFFERENCING: tuple[str, ...] = get_args(Differencing)

_GRANGER_COLUMNS = ["group", "direction", "lag", "f_stat", "p_value", "df_num", "df_denom"]
_STATIONARITY_COLUMNS = ["group", "series", "adf_stat", "adf_p", "adf_lags", "differenced"]


@dataclass(frozen=True)
class GrangerResult:
    """Granger F tests on the aggregate series, both directions, lags 1 … maxlag.

    ``direction`` is ``"forward"`` (engagement → outcome: past engagement helps predict the
    outcome beyond its own past) or ``"reverse"`` (outcome → engagement: reverse causality).
    """

    rows: tuple[tuple[Any, ...], ...]  # (group, direction, lag, f_stat, p_value, df_num, df_denom)
    stationarity_rows: tuple[tuple[Any, ...], ...]  # (group, series, adf_stat, adf_p, adf_lags, differenced)
    outcome: str
    engagement: str
    time: str
    group: str | None
    maxlag: int
    log: bool
    differencing: str
    alpha: float

    @property
    def tests(self) -> pd.DataFrame:
        """DataFrame[group, direction, lag, f_stat, p_value, df_num, df_denom] (group None without groups)."""
        return pd.DataFrame(list(self.rows), columns=_GRANGER_COLUMNS)

    @property
    def stationarity(self) -> pd.DataFrame:
        """ADF results of the (log) level series and whether the pair was differenced."""
        return pd.DataFrame(list(self.stationarity_rows), columns=_STATIONARITY_COLUMNS)

    def p_values(self, direction: Literal["forward", "reverse"], group: Any = None) -> tuple[float, ...]:
        """p-values for lags 1 … maxlag of one direction (and group)."""
        check_choice("direction", direction, ("forward", "reverse"))
        return tuple(r[4] for r in self.rows if r[1] == direction and r[0] == group)

    def table(self, lang: Language = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """The tests with column labels and direction names in ``lang`` (the catalogue's ``granger`` group)."""
        lang = i18n.check_language(lang, source="lang", error=AnalysisError)

        def say(key: str, **values: Any) -> str:
            return i18n.message(f"granger.{key}")[lang].format(**values)

        # the engagement label without its qualifier: 互动量（点赞+评论+收藏） → 互动量
        x_name = column_label(self.engagement, lang).split(say("label_qualifier_start"))[0]
        y_name = column_label(self.outcome, lang)
        directions = {d: say(d, x=x_name, y=y_name) for d in ("forward", "reverse")}
        cols = [say("column_group"), say("column_direction"), say("column_lag"), say("column_f"),
                words(lang)["p_value"], say("column_df_num"), say("column_df_denom")]
        frame = self.tests
        frame["direction"] = frame["direction"].map(directions)
        if self.group is None:
            frame = frame.drop(columns="group")
            cols = cols[1:]
        frame.columns = cols
        return frame


def _adf(series: np.ndarray) -> tuple[float, float, int]:
    from statsmodels.tsa.stattools import adfuller

    res = adfuller(series, regression="c", autolag="AIC", result_object=True)
    return float(res.statistic), float(res.pvalue), int(res.lags)


@memoized  # the same call in another row of a batch reads the stored result
def granger(
    df: pd.DataFrame,
    *,
    outcome: str = "add_to_cart",
    engagement: str = "engagement",
    time: str = "week",
    group: str | None = None,
    maxlag: int = 4,
    log: bool = True,
    differencing: Differencing = "auto",
    alpha: float = 0.05,
) -> GrangerResult:
    """Granger causality tests between the aggregate engagement and outcome series, both ways.

    The panel is summed to one series per ``time`` (per ``group`` and ``time`` when ``group``
    is given), sorted by time, and logged (``log=True``). Stationarity: with
    ``differencing="auto"`` each log series gets an augmented Dickey–Fuller test
    (:func:`statsmodels.tsa.stattools.adfuller`, constant, lag length by AIC); if either
    cannot reject a unit root at ``alpha``, *both* are first-differenced (growth rates), so the
    two stay on the same footing. ``"always"``/``"never"`` force the choice.

    Then :func:`statsmodels.tsa.stattools.grangercausalitytests` runs for lags 1 … ``maxlag`` in
    both directions; the SSR-based F test (identical to R's ``lmtest::grangertest``) is reported.
    Granger causality is predictive precedence, not causation: a common driver that moves
    engagement first (e.g. pre-festival seeding before a sales festival) also produces it.
    """
    from statsmodels.tsa.stattools import grangercausalitytests

    df = check_frame(df)
    check_choice("differencing", differencing, _DIFFERENCING)
    maxlag = check_count("maxlag", maxlag, 1)
    alpha = check_alpha(alpha)
    if outcome == engagement:
        raise AnalysisError(f"outcome and engagement must be different columns; both are {outcome!r}")
    keys = [time] if group is None else [group, time]
    check_columns(df, outcome, engagement, *keys)
    check_complete(df, *keys)
    numeric_values(df, outcome)
    numeric_values(df, engagement)
    agg = df.groupby(keys, sort=True)[[outcome, engagement]].sum().reset_index()

    rows: list[tuple[Any, ...]] = []
    stat_rows: list[tuple[Any, ...]] = []
    groups = [None] if group is None else list(pd.unique(agg[group]))
    for g in groups:
        part = agg if g is None else agg[agg[group] == g]
        part = part.sort_values(time)
        label = "" if g is None else f" in group {g!r}"
        series = {}
        for col in (outcome, engagement):
            v = part[col].to_numpy(dtype=float)
            if log:
                if (v <= 0).any():
                    raise AnalysisError(
                        f"the summed {col!r}{label} has {int((v <= 0).sum())} zero or negative period(s), so its "
                        "log is undefined; pass log=False"
                    )
                v = np.log(v)
            if np.ptp(v) == 0:
                raise AnalysisError(f"the summed {col!r}{label} is constant; a Granger test needs variation")
            series[col] = v
        n = len(series[outcome])
        if n < 3 * maxlag + 8:
            raise AnalysisError(
                f"{n} periods{label} are too few for Granger tests up to lag {maxlag}; "
                f"need at least {3 * maxlag + 8}"
            )
        adf = {col: _adf(series[col]) for col in (outcome, engagement)}
        if differencing == "auto":
            diff = any(adf[col][1] >= alpha for col in adf)
        else:
            diff = differencing == "always"
        for col in (outcome, engagement):
            stat_rows.append((g, col, *adf[col], diff))
        y, x = series[outcome], series[engagement]
        if diff:
            y, x = np.diff(y), np.diff(x)
        for direction, pair in (("forward", np.column_stack([y, x])), ("reverse", np.column_stack([x, y]))):
            try:
                out = grangercausalitytests(pair, maxlag)
            except Exception as exc:  # statsmodels raises ValueError / InfeasibleTestError
                raise AnalysisError(f"Granger test{label} failed: {type(exc).__name__}: {exc}") from exc
            for lag in range(1, maxlag + 1):
                f_stat, p, df_denom, df_num = out[lag][0]["ssr_ftest"]
                rows.append((g, direction, lag, float(f_stat), float(p), int(df_num), int(df_denom)))
    return GrangerResult(
        rows=tuple(rows),
        stationarity_rows=tuple(stat_rows),
        outcome=outcome,
        engagement=engagement,
        time=time,
        group=group,
        maxlag=maxlag,
        log=bool(log),
        differencing=differencing,
        alpha=float(alpha),
    )
