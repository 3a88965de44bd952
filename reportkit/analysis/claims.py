"""Bootstrap CIs for a quoted correlation, with resampling that respects the panel.

A published claim such as "engagement and add-to-cart correlate at 0.73" is a correlation over
brand-weeks. The Fisher-z CI of :func:`reportkit.analysis.engagement.correlation` treats the
brand-weeks as independent pairs; they are not (a brand's weeks share its level and are
autocorrelated). :func:`bootstrap_correlation` gives two bootstrap CIs:

* ``cluster=None``: the ordinary (iid) bootstrap of pairs, from :func:`scipy.stats.bootstrap`
  (``paired=True``), percentile or BCa. Same independence assumption as Fisher z, without the
  normality.
* ``cluster="brand"``: the cluster (block) bootstrap: each resample draws whole brands with
  replacement (as many as there are) and keeps all their weeks, so the between-brand spread and
  the within-brand dependence are carried into the resamples. Percentile or BCa (acceleration
  from the leave-one-cluster-out jackknife). With few clusters (< 30, e.g. 8 brands of a
  category) the cluster bootstrap CI is itself rough: read it as "the honest CI is at least this
  wide", not as exact.

Resampling is deterministic given ``seed`` (numpy's default generator).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import AnalysisError
from .engagement import ClaimTest
from .inputs import (
    check_choice,
    check_columns,
    check_complete,
    check_conf_level,
    check_count,
    check_frame,
    check_positive,
    numeric_values,
)
from .memo import memoized

__all__ = [
    "BootstrapMethod",
    "CIMethod",
    "BootstrapCorrelation",
    "bootstrap_correlation",
]

BootstrapMethod = Literal["pearson", "spearman"]
CIMethod = Literal["percentile", "bca"]
_METHODS: tuple[str, ...] = get_args(BootstrapMethod)
_CI_METHODS: tuple[str, ...] = get_args(CIMethod)

DEFAULT_SEED = 618


@dataclass(frozen=True)
class BootstrapCorrelation:
    """A correlation with a bootstrap CI (iid pairs, or whole clusters when ``cluster`` is set)."""

    r: float
    ci_low: float
    ci_high: float
    std_error: float  # SD of the bootstrap distribution
    n: int
    n_clusters: int | None
    method: str  # "pearson" or "spearman"
    conf_level: float
    ci_method: str  # "percentile" or "bca"
    resampling: str  # description, e.g. "iid pairs" / "cluster bootstrap by brand"
    cluster: str | None
    n_resamples: int
    n_failed: int  # resamples whose correlation was undefined (constant x or y), left out
    seed: int
    x: str
    y: str
    log: bool
    kind: str = "pooled"

    def claim_test(self, claimed: float = 0.73) -> ClaimTest:
        """Is ``claimed`` inside this bootstrap CI?"""
        return ClaimTest.of(self, claimed)


# --------------------------------------------------------------------------- statistics


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray | np.float64:
    """Pearson r of each row pair of 2-D arrays (or, a NumPy scalar, of two 1-D arrays)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    num = (xc * yc).sum(axis=-1)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r: np.ndarray | np.float64 = np.clip(num / den, -1.0, 1.0)
    return r


#: a correlation of paired samples along ``axis`` (scipy.stats.bootstrap's ``statistic`` form)
_Statistic = Callable[..., np.ndarray | np.float64]


def _statistic(method: str) -> _Statistic:
    if method == "pearson":
        def stat(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray | np.float64:
            return _pearson_rows(np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1))
    else:
        def stat(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray | np.float64:
            rx = stats.rankdata(np.moveaxis(x, axis, -1), axis=-1)
            ry = stats.rankdata(np.moveaxis(y, axis, -1), axis=-1)
            return _pearson_rows(rx, ry)
    return stat


# --------------------------------------------------------------------------- cluster bootstrap


def _cluster_draws(
    x: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int, method: str,
    n_resamples: int, rng: np.random.Generator,
) -> np.ndarray:
    picks = rng.integers(0, n_clusters, size=(n_resamples, n_clusters))
    if method == "pearson":
        # per-cluster sufficient statistics (data centred first for numerical stability)
        xc, yc = x - x.mean(), y - y.mean()
        parts = np.column_stack([np.ones_like(xc), xc, yc, xc * xc, yc * yc, xc * yc])
        sums = np.zeros((n_clusters, parts.shape[1]))
        np.add.at(sums, codes, parts)
        counts = np.zeros((n_resamples, n_clusters))
        np.add.at(counts, (np.repeat(np.arange(n_resamples), n_clusters), picks.ravel()), 1.0)
        s = counts @ sums
        n, sx, sy, sxx, syy, sxy = (s[:, j] for j in range(6))
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(vx * vy)
        r[(vx <= 1e-12 * n) | (vy <= 1e-12 * n)] = np.nan
        return np.clip(r, -1.0, 1.0)
    rows = [np.flatnonzero(codes == g) for g in range(n_clusters)]
    out = np.empty(n_resamples)
    for b in range(n_resamples):
        idx = np.concatenate([rows[g] for g in picks[b]])
        xb, yb = x[idx], y[idx]
        if np.ptp(xb) == 0 or np.ptp(yb) == 0:
            out[b] = np.nan
            continue
        out[b] = _pearson_rows(stats.rankdata(xb), stats.rankdata(yb))
    return out


def _jackknife_clusters(
    x: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int, stat: _Statistic
) -> np.ndarray:
    out = np.empty(n_clusters)
    for g in range(n_clusters):
        keep = codes != g
        out[g] = stat(x[keep], y[keep])
    return out


def _cluster_ci(
    boot: np.ndarray, r: float, jack: np.ndarray | None, conf_level: float, ci_method: str
) -> tuple[float, float]:
    tail = (1.0 - conf_level) / 2.0
    if ci_method == "percentile":
        lo, hi = np.quantile(boot, [tail, 1.0 - tail])
        return float(lo), float(hi)
    # BCa: bias correction from the share of resamples below r, acceleration from the jackknife
    share = (np.sum(boot < r) + 0.5 * np.sum(boot == r)) / len(boot)
    if share <= 0.0 or share >= 1.0:
        raise AnalysisError(
            "the BCa bias correction is undefined (every resample is on one side of the estimate); "
            "use ci_method='percentile'"
        )
    z0 = float(special.ndtri(share))
    assert jack is not None
    d = jack.mean() - jack
    denom = 6.0 * float(np.sum(d * d)) ** 1.5
    a = float(np.sum(d**3)) / denom if denom > 0 else 0.0
    probs = []
    for z_alpha in (special.ndtri(tail), special.ndtri(1.0 - tail)):
        num = z0 + z_alpha
        probs.append(float(special.ndtr(z0 + num / (1.0 - a * num))))
    lo, hi = np.quantile(boot, probs)
    return float(lo), float(hi)


# --------------------------------------------------------------------------- public


@memoized  # the same call in another row of a batch reads the stored result
def bootstrap_correlation(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    method: BootstrapMethod = "pearson",
    cluster: str | None = None,
    n_resamples: int = 2000,
    seed: int = DEFAULT_SEED,
    conf_level: float = 0.95,
    log: bool = True,
    ci_method: CIMethod = "percentile",
) -> BootstrapCorrelation:
    """Correlation of columns ``x`` and ``y`` of ``df`` (their natural logs with ``log=True``)
    with a bootstrap CI: iid pairs when ``cluster`` is None, whole clusters otherwise.

    ``r`` is the correlation of all rows (Pearson, or Spearman = Pearson of the ranks). The CI is
    the percentile interval of ``n_resamples`` bootstrap correlations, or BCa
    (``ci_method="bca"``). iid: :func:`scipy.stats.bootstrap` with ``paired=True``. Cluster:
    each resample draws as many clusters as there are, with replacement, and keeps all rows of
    each draw (a cluster drawn twice counts twice). Resamples whose correlation is undefined
    (a constant column) are left out and counted in ``n_failed``.

    Deterministic given ``seed``. Raises DataError for missing columns or values, AnalysisError
    for bad options, zero/negative values with ``log=True``, fewer than 2 clusters, or fewer
    than 4 rows.
    """
    df = check_frame(df)
    check_choice("method", method, _METHODS)
    check_choice("ci_method", ci_method, _CI_METHODS)
    conf_level = check_conf_level(conf_level)
    n_resamples = check_count("n_resamples", n_resamples, 100)
    seed = check_count("seed", seed, 0)
    if x == y:
        raise AnalysisError(f"x and y must be different columns; both are {x!r}")
    check_columns(df, x, y, *([cluster] if cluster is not None else []))
    arrays = []
    for col in (x, y):
        values = numeric_values(df, col, finite=False)
        if log:
            check_positive(df, col)
            values = np.log(values)
        arrays.append(values)
    xv, yv = arrays
    n = len(xv)
    if n < 4:
        raise AnalysisError(f"a bootstrap correlation needs at least 4 rows; got {n}")
    for arr, col in ((xv, x), (yv, y)):
        if np.ptp(arr) == 0:
            raise AnalysisError(f"column {col!r} is constant, so its correlation is undefined")
    stat = _statistic(method)
    r = float(stat(xv, yv))
    rng = np.random.default_rng(seed)

    if cluster is None:
        res = stats.bootstrap(
            (xv, yv), stat, paired=True, vectorized=True, n_resamples=n_resamples,
            confidence_level=conf_level, method="BCa" if ci_method == "bca" else "percentile", rng=rng,
        )
        boot = np.asarray(res.bootstrap_distribution, dtype=float)
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        n_failed = int(np.isnan(boot).sum())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise AnalysisError("the bootstrap CI is undefined (degenerate resamples); use more data")
        return BootstrapCorrelation(
            r=r, ci_low=lo, ci_high=hi, std_error=float(np.nanstd(boot, ddof=1)), n=n, n_clusters=None,
            method=method, conf_level=conf_level, ci_method=ci_method, resampling="iid pairs",
            cluster=None, n_resamples=n_resamples, n_failed=n_failed, seed=seed, x=x, y=y, log=bool(log),
        )

    check_complete(df, cluster, need="a cluster")
    codes, uniques = pd.factorize(df[cluster])
    n_clusters = len(uniques)
    if n_clusters < 2:
        raise AnalysisError(f"a cluster bootstrap by {cluster!r} needs at least 2 clusters; the data have {n_clusters}")
    boot = _cluster_draws(xv, yv, codes, n_clusters, method, n_resamples, rng)
    failed = np.isnan(boot)
    n_failed = int(failed.sum())
    boot = boot[~failed]
    if len(boot) < 0.9 * n_resamples:
        raise AnalysisError(
            f"{n_failed} of {n_resamples} cluster resamples had an undefined correlation; too few clusters "
            f"({n_clusters}) vary in {x!r} and {y!r}"
        )
    jack = _jackknife_clusters(xv, yv, codes, n_clusters, stat) if ci_method == "bca" else None
    lo, hi = _cluster_ci(boot, r, jack, conf_level, ci_method)
    return BootstrapCorrelation(
        r=r, ci_low=lo, ci_high=hi, std_error=float(np.std(boot, ddof=1)), n=n, n_clusters=n_clusters,
        method=method, conf_level=conf_level, ci_method=ci_method,
        resampling=f"cluster bootstrap by {cluster}", cluster=cluster, n_resamples=n_resamples,
        n_failed=n_failed, seed=seed, x=x, y=y, log=bool(log),
    )
