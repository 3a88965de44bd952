"""Forecasts of parts that add up to the forecast of their total: bottom-up reconciliation.

Several annual series that add up to a total (GMV by platform, by category) are forecast so that
the forecasts add up too. :func:`bottom_up`:

1. each part is forecast by :func:`~reportkit.analysis.forecast_combine.combine_forecast` (the
   best models of a rolling-origin backtest, combined; empirical intervals per part);
2. the total's forecast is the sum of the parts' forecasts, so the parts add up to it exactly
   (bottom-up reconciliation; the parts' forecasts are medians, and their sum is reported as the
   total's point forecast, not as the median of the sum);
3. the total's interval is empirical, like each part's: at every backtest origin and step the
   parts' combined forecasts (with the final weights) are summed and compared with the sum of the
   actual values; the log errors of that bottom-up total give ``σ_h = a · h^b`` and the
   ``t(q, origins − 1)`` half-width, as in :mod:`~reportkit.analysis.forecast_combine`, around the
   log of the summed forecast. The total's interval thus reflects how the parts' errors moved
   together in the backtest, not a sum of the parts' intervals (which would assume they always
   err the same way).

Beside it, the total is also forecast directly (``direct``), for comparison. MinT (minimum-trace
reconciliation) is not used: no maintained library for it installs here without numba and
Nixtla's stack, and the house rule is not to re-derive such estimators by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .forecast_backtest import CANDIDATES
from .forecast_combine import (
    DEFAULT_TOP,
    CombinedForecast,
    _combined_errors,
    _sigma_law,
    _t_quantile,
    combine_forecast,
)

__all__ = ["ReconciledForecast", "bottom_up"]


@dataclass(frozen=True, eq=False)
class ReconciledForecast:
    """Bottom-up forecasts of parts and their total.

    ``parts``: each part's :class:`CombinedForecast`; ``table``: the total (``period``,
    ``forecast`` = the sum of the parts' forecasts, ``lo<L>``/``hi<L>`` from the bottom-up
    backtest); ``parts_table``: ``period``, one column per part and ``total`` (the row sums);
    ``direct``: the total forecast on its own; ``coverage``: share of the bottom-up backtest's
    log errors inside the interval at each level (in sample: the widths are fitted to them);
    ``sigma``: ``(a, b)`` of the total's width law; ``origins``: backtest origins shared by all parts.
    """

    parts: dict[str, CombinedForecast]
    table: pd.DataFrame
    parts_table: pd.DataFrame
    direct: CombinedForecast
    levels: tuple[int | float, ...]
    sigma: tuple[float, float]
    coverage: dict[Any, float]
    origins: tuple[str, ...]
    method: str = "bottom-up"


def _part_errors(cf: CombinedForecast) -> pd.DataFrame:
    """A part's combined backtest forecast and actual value per origin and step (final weights)."""
    bt = cf.backtest
    errors = bt.errors[bt.errors["model"].isin(list(cf.weights))]
    comb = _combined_errors(errors, cf.weights)
    first = errors[errors["model"] == next(iter(cf.weights))][["origin", "step", "actual"]]
    out = comb.merge(first, on=["origin", "step"])
    out["forecast"] = out["actual"] * np.exp(-out["log_error"])
    return out[["origin", "step", "actual", "forecast"]]


def bottom_up(
    parts: pd.DataFrame,
    *,
    until: str | int | None = None,
    horizon: int | None = None,
    models: Sequence[str] = CANDIDATES,
    top: int = DEFAULT_TOP,
    levels: Sequence[int | float] = (80, 95),
) -> ReconciledForecast:
    """Forecast each column of ``parts`` (annual levels > 0 on a PeriodIndex of years, no gaps) and
    their total so that the parts add up to the total. See the module doc for the method.

    ``models``/``top``/``levels``/``until``/``horizon`` go to :func:`combine_forecast` for every part
    and for the total (the ``"growth"`` model needs published rates and is dropped). Raises
    :class:`AnalysisError` when ``parts`` has fewer than two columns, a part has a gap or a
    non-positive value, or the parts' backtests share fewer than three origins.
    """
    if not isinstance(parts, pd.DataFrame) or not isinstance(parts.index, pd.PeriodIndex):
        raise AnalysisError("bottom_up: expected a DataFrame of annual levels on a PeriodIndex, one column per part; "
                            f"got {type(parts).__name__}")
    if parts.shape[1] < 2:
        raise AnalysisError(f"bottom_up: {parts.shape[1]} part(s) ({list(parts.columns)}); expected at least two")
    bad = [str(c) for c in parts.columns if parts[c].isna().any() or (parts[c] <= 0).any()]
    if bad:
        raise AnalysisError(f"bottom_up: part(s) {bad} have a missing or non-positive value; expected positive "
                            "levels in every year (keep only the years every part covers)")
    models = tuple(m for m in models if m != "growth")
    fits = {str(c): combine_forecast(parts[c].astype(float), until=until, horizon=horizon, models=models, top=top,
                                     levels=levels) for c in parts.columns}
    total_series = parts.sum(axis=1).astype(float).rename("total")
    direct = combine_forecast(total_series, until=until, horizon=horizon, models=models, top=top, levels=levels)
    lv = direct.levels

    # the bottom-up total in the backtest: sum of the parts' combined forecasts at each origin and step
    merged: pd.DataFrame | None = None
    for name, cf in fits.items():
        e = _part_errors(cf).rename(columns={"actual": f"a:{name}", "forecast": f"f:{name}"})
        merged = e if merged is None else merged.merge(e, on=["origin", "step"], how="inner")
    assert merged is not None
    origins = tuple(sorted(merged["origin"].unique()))
    if len(origins) < 3:
        raise AnalysisError(f"bottom_up: the parts' backtests share {len(origins)} origin(s); expected at least 3 "
                            "(use a longer common history)")
    actual = merged[[f"a:{n}" for n in fits]].sum(axis=1)
    forecast = merged[[f"f:{n}" for n in fits]].sum(axis=1)
    comb = pd.DataFrame({"origin": merged["origin"], "step": merged["step"],
                         "log_error": np.log(actual) - np.log(forecast)})
    a, b = _sigma_law(comb)
    df = max(1, len(origins) - 1)
    coverage = {level: float((comb["log_error"].abs() <= _t_quantile(level, df) * a * comb["step"] ** b).mean())
                for level in lv}

    periods = list(next(iter(fits.values())).table["period"])
    parts_table = pd.DataFrame({"period": periods})
    for name, cf in fits.items():
        if list(cf.table["period"]) != periods:
            raise AnalysisError(f"bottom_up: part {name!r} is forecast for {list(cf.table['period'])}; expected {periods}")
        parts_table[name] = cf.table["forecast"].to_numpy(dtype=float)
    parts_table["total"] = parts_table[list(fits)].sum(axis=1)
    steps = np.arange(1, len(periods) + 1, dtype=float)
    sigma = a * steps ** b
    data: dict[str, Any] = {"period": periods, "forecast": parts_table["total"].to_numpy(dtype=float)}
    for level in lv:
        half = _t_quantile(level, df) * sigma
        data[f"lo{level}"] = data["forecast"] * np.exp(-half)
        data[f"hi{level}"] = data["forecast"] * np.exp(half)
    table = pd.DataFrame(data)
    table.attrs.update({"method": "bottom-up", "series": "total"})
    return ReconciledForecast(parts=fits, table=table, parts_table=parts_table, direct=direct, levels=lv,
                              sigma=(a, b), coverage=coverage, origins=origins)
