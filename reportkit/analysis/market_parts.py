"""Several series that add up to a total: shares and each part's contribution to the total's growth.

The tables are computed on annual values (:meth:`reportkit.data.market.MarketParts.annual`: sums
over complete years for quarterly or monthly data), so that a share or a contribution is never
distorted by a season or a year summed short. Forecasts of the parts that add up to the forecast of
the total are in :mod:`reportkit.analysis.forecast_reconcile`.
"""

from __future__ import annotations

import pandas as pd

from ..data.market import MarketParts
from ..errors import AnalysisError

__all__ = ["annual_parts", "share_table", "contribution_table"]


def _check(mp: object, what: str) -> MarketParts:
    if not isinstance(mp, MarketParts):
        raise AnalysisError(f"{what}: expected MarketParts (reportkit.data.market.read_market_parts); "
                            f"got {type(mp).__name__}")
    return mp


def annual_parts(mp: MarketParts, *, first: int | None = None, last: int | None = None) -> pd.DataFrame:
    """Annual values of every part and their ``total`` (PeriodIndex of years), years ``first``–``last``.

    Raises :class:`AnalysisError` when no year in the window has every part known.
    """
    mp = _check(mp, "annual_parts")
    annual = mp.annual()
    years = annual.index.year
    keep = pd.Series(True, index=annual.index)
    if first is not None:
        keep &= years >= int(first)
    if last is not None:
        keep &= years <= int(last)
    out = annual[keep.to_numpy()]
    if out.empty:
        raise AnalysisError(f"annual_parts: no year between {first} and {last} with every part known in every "
                            f"period; the data cover {mp.levels.index[0]}–{mp.levels.index[-1]}")
    return out


def share_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Each part's share of the total in % by year (rows add up to 100): ``year`` then one column per part."""
    parts = [c for c in annual.columns if c != "total"]
    out = annual[parts].div(annual["total"], axis=0) * 100.0
    out.insert(0, "year", [str(p) for p in annual.index])
    return out.reset_index(drop=True)


def contribution_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Percentage points of the total's growth from each part, by year: ``year``, ``total_growth_pct``,
    one column per part. ``(P_t − P_{t−1}) / T_{t−1} × 100``, so the parts add up to the total's growth.
    Years whose previous year is not in the table are left out."""
    parts = [c for c in annual.columns if c != "total"]
    previous = annual.shift(1)
    consecutive = pd.Series(annual.index.year, index=annual.index).diff() == 1
    base = previous["total"]
    out = pd.DataFrame({"year": [str(p) for p in annual.index],
                        "total_growth_pct": ((annual["total"] / base - 1.0) * 100.0).to_numpy()})
    for p in parts:
        out[p] = ((annual[p] - previous[p]) / base * 100.0).to_numpy()
    return out[consecutive.to_numpy()].reset_index(drop=True)
