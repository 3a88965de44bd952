"""Engagement → conversion: log-log elasticities with lags, and correlations with honest CIs.

The question the report asks: does engagement with notes on the content platform (互动量 =
likes + comments + saves) show up in add-to-cart on the shopping platform, in the same week and
in the weeks after ("种草" seeding)? Two kinds of numbers answer it:

* :func:`fit_elasticity`: ``log(conversion_it) = α_i + γ_t + Σ_k β_k log(engagement_i,t-k) + e_it``
  with brand and week fixed effects absorbed by pyfixest and standard errors clustered by brand.
  ``β_k`` is the % change in conversion k weeks after a 1 % change in engagement, and ``Σ β_k``
  the long-run (cumulative) elasticity.
* :func:`correlation` / :func:`pooled_correlation` / :func:`within_correlation`: the correlation
  a published claim quotes (pooled over brand-weeks, so it mixes "big brands have more of both"
  with week-to-week co-movement), and the within correlation after brand and week effects are
  removed, which is what the elasticity is built on.

Caveat for every CI here: brand-weeks are not independent draws (a brand's weeks are
autocorrelated and brands differ), so the Fisher-z CIs of the correlations, which assume
independent pairs, are too narrow. The clustered elasticity CIs do allow for that.

Nothing here prints or plots; the elasticity is estimated by
:func:`reportkit.analysis.models.estimate` (pyfixest underneath), the correlations by scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError
from .dynamics import shifted_values
from .inputs import check_choice, check_columns, check_conf_level, check_frame, check_panel_keys, check_positive

if TYPE_CHECKING:
    from .models import ModelResult

__all__ = [
    "CorrelationMethod",
    "METHODS",
    "Coefficient",
    "LongRunEffect",
    "ElasticityResult",
    "CorrelationResult",
    "ClaimTest",
    "prepare_panel",
    "fit_elasticity",
    "correlation",
    "pooled_correlation",
    "within_correlation",
    "claim_test",
]

CorrelationMethod = Literal["pearson", "spearman"]
METHODS: tuple[str, ...] = get_args(CorrelationMethod)

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "lag",
    "estimate",
    "std_error",
    "t",
    "p_value",
    "ci_low",
    "ci_high",
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Coefficient:
    """One row of an elasticity table."""

    term: str
    lag: int
    estimate: float
    std_error: float
    t: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class LongRunEffect:
    """The long-run elasticity Σ_k β_k with inference from the model's clustered covariance."""

    estimate: float
    std_error: float
    t: float
    p_value: float
    ci_low: float
    ci_high: float
    conf_level: float


@dataclass(frozen=True)
class ElasticityResult:
    """A fitted lagged log-log elasticity model (immutable; ``tidy`` builds a fresh DataFrame)."""

    coefficients: tuple[Coefficient, ...]
    total: LongRunEffect
    n_obs: int
    n_clusters: int
    r2_within: float
    formula: str
    vcov_label: str
    entity: str
    time: str
    engagement: str
    conversion: str
    n_lags: int
    cluster: str
    conf_level: float
    df_t: int  # degrees of freedom of the t distribution used (clusters − 1)
    # the full fitted model (warnings, covariance, fit statistics); not part of equality or hash
    model: ModelResult | None = field(default=None, compare=False, repr=False)

    @property
    def tidy(self) -> pd.DataFrame:
        """Columns term, lag, estimate, std_error, t, p_value, ci_low, ci_high (one row per lag)."""
        rows = [
            (c.term, c.lag, c.estimate, c.std_error, c.t, c.p_value, c.ci_low, c.ci_high)
            for c in self.coefficients
        ]
        frame = pd.DataFrame(rows, columns=list(TIDY_COLUMNS))
        frame["lag"] = frame["lag"].astype("int64")
        return frame

    def coefficient(self, lag: int) -> Coefficient:
        for c in self.coefficients:
            if c.lag == lag:
                return c
        raise AnalysisError(f"no coefficient for lag {lag!r}; the model has lags 0–{self.n_lags}")


@dataclass(frozen=True)
class CorrelationResult:
    """A correlation with its CI. ``method`` is 'pearson' or 'spearman'; ``kind`` says which data."""

    r: float
    ci_low: float
    ci_high: float
    n: int
    method: str
    p_value: float
    conf_level: float
    ci_method: str
    kind: str = "pooled"  # "pooled" or "within (entity and time effects removed)"
    df_absorbed: int = 0  # parameters partialled out before correlating (within only)


@dataclass(frozen=True)
class ClaimTest:
    """Is a published value inside the CI of our estimate?"""

    claimed: float
    r: float
    ci_low: float
    ci_high: float
    conf_level: float
    inside: bool
    difference: float  # r − claimed
    method: str
    kind: str
    n: int

    @classmethod
    def of(cls, result: Any, claimed: float) -> ClaimTest:
        """Is ``claimed`` inside the CI of ``result`` (a correlation result: r, ci_low, ci_high,
        conf_level, method, kind, n)?"""
        if isinstance(claimed, bool) or not isinstance(claimed, (int, float)) or not -1.0 <= claimed <= 1.0:
            raise AnalysisError(f"claimed: expected a correlation between -1 and 1; got {claimed!r}")
        return cls(
            claimed=float(claimed),
            r=result.r,
            ci_low=result.ci_low,
            ci_high=result.ci_high,
            conf_level=result.conf_level,
            inside=bool(result.ci_low <= claimed <= result.ci_high),
            difference=result.r - float(claimed),
            method=result.method,
            kind=result.kind,
            n=result.n,
        )


# --------------------------------------------------------------------------- panel


def prepare_panel(
    df: pd.DataFrame,
    *,
    entity: str = "brand",
    time: str = "week",
    engagement: str = "engagement",
    conversion: str = "add_to_cart",
    n_lags: int = 2,
) -> pd.DataFrame:
    """Add ``log_<engagement>``, ``log_<conversion>`` and lags ``log_<engagement>_l1 … _lK``.

    Lags are taken *within* each entity in time order and never cross entities: the lag k of a
    row is the value of the same entity k periods earlier, where periods are the distinct
    ``time`` values of the whole panel in sorted order. A missing earlier period (the first
    weeks of an entity, or a gap) gives NaN, never a neighbour's value. ``time`` may be ISO date
    strings, dates or numbers, anything that sorts in time order.

    Returns a new frame sorted by entity and time (index reset); the input is not modified.

    Raises
    ------
    DataError
        A column is missing (the message lists the available ones), an (entity, time) pair
        repeats, or engagement/conversion have missing values or are not numeric.
    AnalysisError
        Engagement or conversion has zero or negative rows (their log is undefined), or
        ``n_lags`` is not a non-negative integer.
    """
    df = check_frame(df)
    if isinstance(n_lags, bool) or not isinstance(n_lags, (int, np.integer)) or n_lags < 0:
        raise AnalysisError(f"n_lags: expected a non-negative integer such as 2; got {n_lags!r}")
    n_lags = int(n_lags)
    if engagement == conversion:
        raise AnalysisError(f"engagement and conversion must be different columns; both are {engagement!r}")
    check_columns(df, entity, time, engagement, conversion)
    check_panel_keys(df, entity, time)
    check_positive(df, engagement)
    check_positive(df, conversion)

    out = df.sort_values([entity, time], kind="stable").reset_index(drop=True)
    x_col, y_col = f"log_{engagement}", f"log_{conversion}"
    out[x_col] = np.log(out[engagement].to_numpy(dtype=float))
    out[y_col] = np.log(out[conversion].to_numpy(dtype=float))
    lags = shifted_values(out, out[x_col].to_numpy(), entity=entity, time=time, ks=range(1, n_lags + 1))
    for k, values in enumerate(lags, start=1):
        out[f"{x_col}_l{k}"] = values
    return out


# --------------------------------------------------------------------------- elasticity


def fit_elasticity(
    df: pd.DataFrame,
    *,
    entity: str = "brand",
    time: str = "week",
    engagement: str = "engagement",
    conversion: str = "add_to_cart",
    n_lags: int = 2,
    cluster: str = "brand",
    conf_level: float = 0.95,
) -> ElasticityResult:
    """Lagged log-log elasticity of conversion on engagement, entity and time effects absorbed.

    A thin wrapper of :func:`reportkit.analysis.models.estimate` (the one estimation path):
    ``family="loglog"`` with regressors engagement and its within-entity lags 1…``n_lags``, fixed
    effects ``entity + time`` and CRV1 standard errors clustered by ``cluster``. The fitted
    formula is ``log_<conversion> ~ log_<engagement> + log_<engagement>_l1 + … | entity + time``.
    pyfixest's default small-sample correction applies: G/(G−1) · (N−1)/(N−K), fixed effects
    nested in the clusters not counted in K. Rows without all lags (each entity's first
    ``n_lags`` periods, or after a gap) are dropped and reported in ``model.warnings``; singleton
    fixed-effect rows would be too (``n_obs`` is what was used).

    CIs use the t distribution with clusters − 1 degrees of freedom, as pyfixest does. The
    long-run elasticity ``total`` = Σ β_k, with SE sqrt(1'V1) from the model's clustered
    covariance matrix V (:meth:`ModelResult.lincom`). ``model`` holds the full
    :class:`~reportkit.analysis.models.ModelResult`.
    """
    from .models import estimate

    conf_level = check_conf_level(conf_level)
    df = check_frame(df)
    check_columns(df, entity, time, engagement, conversion, cluster)
    panel = prepare_panel(
        df, entity=entity, time=time, engagement=engagement, conversion=conversion, n_lags=n_lags
    )
    lag_columns = [f"{engagement}_l{k}" for k in range(1, n_lags + 1)]
    keep = list(dict.fromkeys([entity, time, cluster, engagement, conversion]))
    clash = [c for c in lag_columns if c in keep]
    if clash:
        raise AnalysisError(f"column {clash[0]!r} would be overwritten by a lag of {engagement!r}; rename it")
    frame = panel[keep].copy()
    level_lags = shifted_values(
        panel, panel[engagement].to_numpy(dtype=float), entity=entity, time=time, ks=range(1, n_lags + 1)
    )
    for name, values in zip(lag_columns, level_lags, strict=True):
        frame[name] = values

    model = estimate(
        frame,
        outcome=conversion,
        regressors=(engagement, *lag_columns),
        fixed_effects=(entity, time),
        family="loglog",
        vcov="cluster",
        cluster=cluster,
        entity=entity,
        time=time,
        conf_level=conf_level,
    )
    terms = [f"log_{engagement}"] + [f"log_{c}" for c in lag_columns]
    coefs = []
    for lag, term in enumerate(terms):
        c = model.coef(term)
        coefs.append(
            Coefficient(
                term=c.term,
                lag=lag,
                estimate=c.estimate,
                std_error=c.std_error,
                t=c.statistic,
                p_value=c.p_value,
                ci_low=c.ci_low,
                ci_high=c.ci_high,
            )
        )
    long_run = model.lincom({t: 1.0 for t in terms}, name="long-run elasticity")
    total = LongRunEffect(
        estimate=long_run.estimate,
        std_error=long_run.std_error,
        t=long_run.statistic,
        p_value=long_run.p_value,
        ci_low=long_run.ci_low,
        ci_high=long_run.ci_high,
        conf_level=conf_level,
    )
    assert model.df_t is not None  # a linear model: t distribution
    return ElasticityResult(
        coefficients=tuple(coefs),
        total=total,
        n_obs=model.n_obs,
        n_clusters=model.n_clusters[0],
        r2_within=float(model.r2_within) if model.r2_within is not None else float("nan"),
        formula=model.formula,
        vcov_label=model.vcov_label["en"],
        entity=entity,
        time=time,
        engagement=engagement,
        conversion=conversion,
        n_lags=n_lags,
        cluster=cluster,
        conf_level=conf_level,
        df_t=int(model.df_t),
        model=model,
    )


# --------------------------------------------------------------------------- correlations


def _as_vector(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name} must be numbers; {exc}") from exc
    if arr.ndim != 1:
        raise AnalysisError(f"{name} must be one-dimensional; got shape {arr.shape}")
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise AnalysisError(
            f"{name} has {bad} missing or infinite value(s); drop or fill them explicitly first"
        )
    return arr


def _fisher_ci(r: float, se_z: float, conf_level: float) -> tuple[float, float]:
    crit = float(stats.norm.ppf(0.5 + conf_level / 2.0))
    z = math.atanh(max(min(r, 1.0 - 1e-15), -1.0 + 1e-15))
    return math.tanh(z - crit * se_z), math.tanh(z + crit * se_z)


def correlation(
    x: Any,
    y: Any,
    *,
    method: CorrelationMethod = "pearson",
    conf_level: float = 0.95,
) -> CorrelationResult:
    """Correlation of two equal-length numeric vectors, with a CI and a p-value.

    * ``pearson``: r, p-value and CI from :func:`scipy.stats.pearsonr` (CI by the Fisher z
      transform, SE 1/sqrt(n−3)).
    * ``spearman``: ρ and p-value from :func:`scipy.stats.spearmanr`; CI by the Fisher z
      transform with the Bonett–Wright (2000) SE sqrt((1 + ρ²/2)/(n−3)).

    Both CIs assume independent pairs. No values are dropped: NaN or inf raise AnalysisError.
    """
    method = check_choice("method", method, METHODS)
    conf_level = check_conf_level(conf_level)
    xv, yv = _as_vector(x, "x"), _as_vector(y, "y")
    if len(xv) != len(yv):
        raise AnalysisError(f"x and y must have the same length; got {len(xv)} and {len(yv)}")
    n = len(xv)
    if n < 4:
        raise AnalysisError(f"a correlation CI needs at least 4 pairs; got {n}")
    for arr, name in ((xv, "x"), (yv, "y")):
        if np.ptp(arr) == 0:
            raise AnalysisError(f"{name} is constant, so its correlation is undefined")
    if method == "pearson":
        res = stats.pearsonr(xv, yv)
        ci = res.confidence_interval(confidence_level=conf_level)
        return CorrelationResult(
            r=float(res.statistic),
            ci_low=float(ci.low),
            ci_high=float(ci.high),
            n=n,
            method="pearson",
            p_value=float(res.pvalue),
            conf_level=conf_level,
            ci_method="Fisher z, SE 1/sqrt(n-3) (scipy.stats.pearsonr)",
        )
    res = stats.spearmanr(xv, yv)
    rho = float(res.statistic)
    low, high = _fisher_ci(rho, math.sqrt((1.0 + rho**2 / 2.0) / (n - 3)), conf_level)
    return CorrelationResult(
        r=rho,
        ci_low=low,
        ci_high=high,
        n=n,
        method="spearman",
        p_value=float(res.pvalue),
        conf_level=conf_level,
        ci_method="Fisher z with the Bonett-Wright SE sqrt((1 + r^2/2)/(n-3))",
    )


def pooled_correlation(
    df: pd.DataFrame,
    *,
    engagement: str = "engagement",
    conversion: str = "add_to_cart",
    method: CorrelationMethod = "pearson",
    conf_level: float = 0.95,
) -> CorrelationResult:
    """Correlation of log engagement and log conversion over all rows of ``df`` (no demeaning).

    This is the number a claim such as "engagement and add-to-cart correlate at 0.73" usually
    means: it includes differences *between* brands as well as co-movement within them.
    """
    method = check_choice("method", method, METHODS)
    df = check_frame(df)
    check_columns(df, engagement, conversion)
    check_positive(df, engagement)
    check_positive(df, conversion)
    x = np.log(df[engagement].to_numpy(dtype=float))
    y = np.log(df[conversion].to_numpy(dtype=float))
    return correlation(x, y, method=method, conf_level=conf_level)


def within_correlation(
    df: pd.DataFrame,
    *,
    entity: str = "brand",
    time: str = "week",
    engagement: str = "engagement",
    conversion: str = "add_to_cart",
    conf_level: float = 0.95,
) -> CorrelationResult:
    """Pearson partial correlation of log engagement and log conversion given entity and time effects.

    Both logs are demeaned by entity and time fixed effects with pyfixest's alternating-projections
    demeaner (exact two-way within transformation, also for unbalanced panels); r is the Pearson
    correlation of the demeaned series (:func:`scipy.stats.pearsonr`). It removes between-brand
    differences and common week shocks, so it is usually much lower than the pooled r.

    The CI is the Fisher z interval for a partial correlation, SE 1/sqrt(n − q − 3), with
    q = entities + periods − 2 the number of partialled-out effects besides the constant; the
    p-value is the matching t test with n − q − 2 degrees of freedom. Autocorrelation within
    brands still makes this CI too narrow.
    """
    conf_level = check_conf_level(conf_level)
    panel = prepare_panel(
        df, entity=entity, time=time, engagement=engagement, conversion=conversion, n_lags=0
    )
    from pyfixest.estimation import demean

    codes = np.column_stack(
        [pd.factorize(panel[entity])[0], pd.factorize(panel[time])[0]]
    ).astype(np.uint64)
    values = panel[[f"log_{engagement}", f"log_{conversion}"]].to_numpy(dtype=float)
    demeaned, converged = demean(values, codes, np.ones(len(panel)), tol=1e-10)
    if not converged:
        raise AnalysisError("demeaning by entity and time effects did not converge")
    n = len(panel)
    q = int(panel[entity].nunique() + panel[time].nunique() - 2)
    dof = n - q - 2
    if dof < 2:
        raise AnalysisError(
            f"{n} rows are too few for a within correlation with {q + 1} absorbed effects"
        )
    xd, yd = demeaned[:, 0], demeaned[:, 1]
    if np.ptp(xd) < 1e-12 or np.ptp(yd) < 1e-12:
        raise AnalysisError("nothing varies within entities and periods; the within correlation is undefined")
    r = float(stats.pearsonr(xd, yd).statistic)
    low, high = _fisher_ci(r, 1.0 / math.sqrt(n - q - 3), conf_level)
    t_stat = r * math.sqrt(dof / max(1.0 - r**2, 1e-300))
    return CorrelationResult(
        r=r,
        ci_low=low,
        ci_high=high,
        n=n,
        method="pearson",
        p_value=float(2.0 * stats.t.sf(abs(t_stat), dof)),
        conf_level=conf_level,
        ci_method="Fisher z for a partial correlation, SE 1/sqrt(n-q-3)",
        kind="within (entity and time effects removed)",
        df_absorbed=q,
    )


def claim_test(r_result: CorrelationResult, claimed: float = 0.73) -> ClaimTest:
    """Is ``claimed`` inside the CI of ``r_result``? (Not inside: the data contradict the claim.)"""
    if not isinstance(r_result, CorrelationResult):
        raise AnalysisError(f"expected a CorrelationResult; got {type(r_result).__name__}")
    return ClaimTest.of(r_result, claimed)
