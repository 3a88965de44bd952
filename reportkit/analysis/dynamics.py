"""Timing of the engagement → conversion link in the panel: carry-over and a lead placebo.

* :func:`adstock` / :func:`fit_adstock`: geometric carry-over ("adstock") of engagement within
  each brand, a_t = x_t + d·a_{t−1}, and the log-log fixed-effects model of conversion on
  log(adstock) with the decay d chosen by maximising the within R² over a grid (with the same
  sample and the same number of parameters for every d, this is the Gaussian profile likelihood).
* :func:`lead_placebo`: future engagement cannot cause today's conversion. Adding leads
  (engagement t+1 … t+k) to the lagged model and testing them jointly is a falsification test:
  significant leads point to reverse causality or an omitted common driver (e.g. a campaign that
  moves both), not to seeding.
* :func:`wald_test`: joint Wald test of linear restrictions on a fitted model's coefficients.

The time-series view on the aggregate weekly series (Granger tests, both directions) is in
:mod:`reportkit.analysis.granger`.

Leads and lags are always built *within* an entity, on the panel's own calendar: the periods are
the distinct ``time`` values of the whole panel in sorted order, and the value k periods earlier
of a row is the same entity's value at that period (NaN when the entity has no such row). Values
never cross entities.

Models go through :func:`reportkit.analysis.models.estimate` (log-log, entity and time fixed
effects, standard errors clustered by entity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Sequence, get_args

import numpy as np
import pandas as pd
from scipy import signal, stats

from ..errors import AnalysisError, DataError
from .inputs import (
    check_alpha,
    check_choice,
    check_columns,
    check_conf_level,
    check_count,
    check_frame,
    check_panel_keys,
    check_panel_model,
    numeric_values,
)
from .models import TIDY_COLUMNS, Coef, ModelResult, estimate
from .narrative import words

__all__ = [
    "GapPolicy",
    "shift_within",
    "shifted_values",
    "adstock",
    "AdstockResult",
    "fit_adstock",
    "PlaceboResult",
    "lead_placebo",
    "wald_test",
    "WaldTest",
    "format_wald",
]

GapPolicy = Literal["error", "zero"]
_GAP_POLICIES: tuple[str, ...] = get_args(GapPolicy)

DEFAULT_GRID: tuple[float, ...] = tuple(float(round(v, 10)) for v in np.linspace(0.0, 0.9, 19))
ALPHA = 0.05


# --------------------------------------------------------------------------- panel helpers


def _positions(df: pd.DataFrame, time: str) -> np.ndarray:
    """Position of each row's period among the panel's sorted distinct periods."""
    periods = np.sort(df[time].unique())
    return pd.Series(np.arange(len(periods)), index=periods).reindex(df[time]).to_numpy()


def shift_within(df: pd.DataFrame, column: str, *, entity: str, time: str, k: int) -> pd.Series:
    """``column`` k periods earlier (k > 0, a lag) or −k periods later (k < 0, a lead), within entity.

    Periods are the panel's sorted distinct ``time`` values; a missing period or the edge of an
    entity's history gives NaN, never another entity's value. Returns a float Series aligned with
    ``df.index`` (same row order), named ``<column>_l<k>`` or ``<column>_f<-k>``.
    """
    df = check_frame(df)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise AnalysisError(f"k: expected an integer (positive = lag, negative = lead); got {k!r}")
    check_columns(df, column, entity, time)
    check_panel_keys(df, entity, time)
    (values,) = shifted_values(df, numeric_values(df, column), entity=entity, time=time, ks=[k])
    name = f"{column}_l{k}" if k >= 0 else f"{column}_f{-k}"
    return pd.Series(values, index=df.index, name=name)


def shifted_values(
    df: pd.DataFrame, values: np.ndarray, *, entity: str, time: str, ks: Iterable[int]
) -> list[np.ndarray]:
    """``values`` (one per row of ``df``) k periods earlier for each k in ``ks`` (k < 0: −k later).

    The unchecked core of :func:`shift_within`: ``df`` must have one row per entity and period.
    Periods are the panel's sorted distinct ``time`` values; a missing period or the edge of an
    entity's history gives NaN, never another entity's value. Float arrays in ``df``'s row order.
    """
    pos = _positions(df, time)
    keys = df[entity].to_numpy()
    by_key = pd.Series(values, index=pd.MultiIndex.from_arrays([keys, pos]))
    return [by_key.reindex(pd.MultiIndex.from_arrays([keys, pos - int(k)])).to_numpy(dtype=float) for k in ks]


def _check_decay(decay: Any) -> float:
    if isinstance(decay, bool) or not isinstance(decay, (int, float, np.floating, np.integer)):
        raise AnalysisError(f"decay: expected a number with 0 ≤ decay < 1 such as 0.4; got {decay!r}")
    d = float(decay)
    if not (math.isfinite(d) and 0.0 <= d < 1.0):
        raise AnalysisError(f"decay: expected a number with 0 ≤ decay < 1 such as 0.4; got {decay!r}")
    return d


def adstock(
    df: pd.DataFrame,
    column: str,
    *,
    entity: str,
    time: str,
    decay: float,
    gaps: GapPolicy = "error",
) -> pd.Series:
    """Geometric carry-over of ``column`` within each entity: a_t = x_t + decay · a_{t−1}.

    Each entity starts at its first period with a = x (no carry-over from before the data), and
    the recursion runs in time order over the panel's calendar (the sorted distinct ``time``
    values). It never crosses entities. A period missing *inside* an entity's history raises
    DataError with ``gaps="error"`` (default); with ``gaps="zero"`` the missing period counts as
    x = 0, so the stock decays by decay^(gap length) across it. ``decay`` must satisfy
    0 ≤ decay < 1 (0 gives x itself).

    Returns a float Series aligned with ``df.index`` (same row order), named
    ``adstock_<column>``.
    """
    df = check_frame(df)
    d = _check_decay(decay)
    check_choice("gaps", gaps, _GAP_POLICIES)
    check_columns(df, column, entity, time)
    check_panel_keys(df, entity, time)
    values = numeric_values(df, column)
    pos = _positions(df, time)
    out = np.empty(len(df))
    codes, uniques = pd.factorize(df[entity])
    order = np.lexsort((pos, codes))
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for rows in np.split(order, bounds):
        p = pos[rows]
        span = int(p[-1] - p[0]) + 1
        if span != len(rows) and gaps == "error":
            missing = span - len(rows)
            raise DataError(
                f"entity {uniques[codes[rows[0]]]!r} has {missing} missing period(s) inside its history in "
                f"column {time!r}; adstock needs consecutive periods. Fill them, or pass gaps='zero' to "
                "count a missing period as zero",
                column=time,
            )
        dense = np.zeros(span)
        dense[p - p[0]] = values[rows]
        stock = signal.lfilter([1.0], [1.0, -d], dense)
        out[rows] = stock[p - p[0]]
    return pd.Series(out, index=df.index, name=f"adstock_{column}")


# --------------------------------------------------------------------------- models helpers


def _n_clusters(result: ModelResult) -> int:
    """The number of clusters of a one-way clustered model (the smaller count for two-way; 0 if none)."""
    return int(min(result.n_clusters)) if result.n_clusters else 0


def _coef(result: ModelResult, column: str) -> Coef:
    """The coefficient of ``column`` (``log_<column>`` in a log-log model)."""
    for name in (column, f"log_{column}"):
        if name in result.terms:
            return result.coef(name)
    raise AnalysisError(f"no coefficient for {column!r} in the model; its terms are {list(result.terms)}")


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test that the listed coefficients are all zero (or R·b = 0)."""

    terms: tuple[str, ...]
    chi2: float
    f_stat: float
    df_num: int
    df_denom: int | None  # the model's t df (clusters − 1 when clustered); None → χ² reference only
    p_value: float  # from F(df_num, df_denom) when df_denom is known, else χ²(df_num)
    p_value_chi2: float


def _covariance(result: ModelResult, terms: Sequence[str]) -> np.ndarray:
    """Covariance of the coefficients ``terms``, from the model's ``vcov_matrix`` (coefficient order)."""
    if not result.vcov_matrix:
        raise AnalysisError("the model carries no covariance matrix, so a Wald test cannot be computed")
    vcov = np.asarray(result.vcov_matrix, dtype=float)
    idx = [result.terms.index(t) for t in terms]
    return vcov[np.ix_(idx, idx)]


def wald_test(result: ModelResult, restrictions: Sequence[Mapping[str, float]] | Sequence[str]) -> WaldTest:
    """Joint Wald test of linear restrictions on a ModelResult's coefficients.

    ``restrictions`` is a list of term names (H0: each is 0) or of weight mappings (H0: each
    Σ w·b = 0). Statistic W = (Rb)'(R V R')⁻¹(Rb) with V the model's ``vcov_matrix``
    (clustered, if the model was); reported as χ²(q) and as F = W/q with (q, ``df_t``) degrees
    of freedom, where ``df_t`` is the model's t degrees of freedom (clusters − 1 when clustered,
    as pyfixest's ``wald_test``; N − K for iid/hc1). The p-value is the F one for linear models
    and the χ² one for models with normal inference (logit, PPML: ``df_t`` is None).
    """
    if not isinstance(result, ModelResult):
        raise AnalysisError(f"expected a ModelResult from reportkit.analysis.models.estimate; got {type(result).__name__}")
    if not restrictions:
        raise AnalysisError("restrictions: expected at least one term or weight mapping; got none")
    rows: list[Mapping[str, float]] = [
        {r: 1.0} if isinstance(r, str) else dict(r) for r in restrictions  # type: ignore[arg-type]
    ]
    known = list(result.terms)
    terms: list[str] = []
    for row in rows:
        for t in row:
            if t not in known:
                raise AnalysisError(f"term {t!r} is not in the model; its terms are {known}")
            if t not in terms:
                terms.append(t)
    est = np.array([result.coef(t).estimate for t in terms])
    cov = _covariance(result, terms)
    r_mat = np.array([[row.get(t, 0.0) for t in terms] for row in rows], dtype=float)
    q = r_mat.shape[0]
    rb = r_mat @ est
    middle = r_mat @ cov @ r_mat.T
    if np.linalg.matrix_rank(middle) < q:
        raise AnalysisError("the restrictions are linearly dependent or their covariance is singular")
    chi2 = float(rb @ np.linalg.solve(middle, rb))
    df_denom = int(result.df_t) if result.df_t is not None else None
    p_chi2 = float(stats.chi2.sf(chi2, q))
    p = float(stats.f.sf(chi2 / q, q, df_denom)) if df_denom else p_chi2
    return WaldTest(
        terms=tuple(terms), chi2=chi2, f_stat=chi2 / q, df_num=q, df_denom=df_denom, p_value=p, p_value_chi2=p_chi2
    )


def format_wald(f_stat: float, chi2: float, df_num: int, df_denom: int | None) -> str:
    """The Wald statistic for a sentence: "F(q, d) = …" when ``df_denom`` is known, else "χ²(q) = …"."""
    from ..render.formatting import format_number

    if df_denom:
        return f"F({df_num}, {df_denom}) = {format_number(f_stat, 2)}"
    return f"χ²({df_num}) = {format_number(chi2, 2)}"


def _coef_rows(coefs: Sequence[Coef]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        (c.term, c.estimate, c.std_error, c.statistic, c.p_value, c.ci_low, c.ci_high) for c in coefs
    )


_TIDY = list(TIDY_COLUMNS)


# --------------------------------------------------------------------------- adstock model


@dataclass(frozen=True)
class AdstockResult:
    """Log-log FE model of the outcome on log(adstock of engagement), and the decay profile."""

    decay: float  # chosen (or given) decay
    estimated: bool  # True when chosen over the grid
    grid: tuple[float, ...]
    profile_rows: tuple[tuple[float, float, float, float], ...]  # (decay, r2_within, estimate, std_error)
    estimate: float  # elasticity of the outcome with respect to the adstock
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    conf_level: float
    r2_within: float
    n_obs: int
    n_clusters: int
    burn_in: int
    outcome: str
    engagement: str
    entity: str
    time: str
    formula: str
    at_grid_edge: bool  # the best decay is the grid's smallest or largest value
    warnings: tuple[str, ...] = ()  # the chosen model's notes (rows dropped, …), English

    @property
    def profile(self) -> pd.DataFrame:
        """DataFrame[decay, r2_within, estimate, std_error], one row per grid value."""
        return pd.DataFrame(list(self.profile_rows), columns=["decay", "r2_within", "estimate", "std_error"])

    @property
    def half_life(self) -> float:
        """Periods until a unit of engagement's carry-over halves: log(0.5)/log(decay) (0 if decay = 0)."""
        return 0.0 if self.decay == 0.0 else math.log(0.5) / math.log(self.decay)

    @property
    def long_run_multiplier(self) -> float:
        """Total weight of one unit of engagement over all later weeks: 1 / (1 − decay)."""
        return 1.0 / (1.0 - self.decay)


def _check_grid(grid: Any) -> tuple[float, ...]:
    try:
        values = [float(v) for v in np.asarray(grid, dtype=float).ravel()]
    except (TypeError, ValueError):
        raise AnalysisError(f"grid: expected a sequence of decays in [0, 1); got {grid!r}") from None
    if len(values) < 2:
        raise AnalysisError(f"grid: expected at least two decays to compare; got {values}")
    for v in values:
        _check_decay(v)
    if len(set(values)) != len(values):
        raise AnalysisError(f"grid: decays repeat: {values}")
    return tuple(sorted(values))


def _first_periods(df: pd.DataFrame, entity: str, time: str, n: int) -> np.ndarray:
    """True for each entity's first ``n`` rows in time order."""
    if n == 0:
        return np.zeros(len(df), dtype=bool)
    pos = _positions(df, time)
    rank = pd.Series(pos, index=df.index).groupby(df[entity].to_numpy()).rank(method="first").to_numpy()
    return rank <= n


def fit_adstock(
    df: pd.DataFrame,
    *,
    outcome: str = "add_to_cart",
    engagement: str = "engagement",
    entity: str = "brand",
    time: str = "week",
    decay: float | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    burn_in: int = 4,
    cluster: str | None = None,
    conf_level: float = 0.95,
) -> AdstockResult:
    """``log(outcome) ~ log(adstock(engagement, decay)) | entity + time``, clustered by entity.

    With ``decay=None`` the model is fitted for every decay in ``grid`` and the decay with the
    highest within R² is chosen. All fits use the same rows (each entity's first ``burn_in``
    periods are dropped, because their stock lacks the carry-over from before the data) and the
    same number of parameters, so the highest within R² is the maximum of the Gaussian profile
    likelihood. The coefficient reported is the elasticity with respect to the stock at the
    chosen decay; its CI is conditional on that decay (it does not include the uncertainty of
    choosing it). ``at_grid_edge`` flags a maximum at the grid's end (widen the grid).

    Estimation: :func:`reportkit.analysis.models.estimate` with ``family="loglog"``,
    ``fixed_effects=(entity, time)``, ``vcov="cluster"`` by ``cluster`` (default ``entity``).
    """
    df = check_frame(df)
    conf_level = check_conf_level(conf_level)
    cluster = entity if cluster is None else cluster
    if isinstance(burn_in, bool) or not isinstance(burn_in, (int, np.integer)) or burn_in < 0:
        raise AnalysisError(f"burn_in: expected a non-negative integer such as 4; got {burn_in!r}")
    check_panel_model(df, outcome=outcome, engagement=engagement, entity=entity, time=time, cluster=cluster)
    decays = (_check_decay(decay),) if decay is not None else _check_grid(grid)

    keep = ~_first_periods(df, entity, time, int(burn_in))
    if keep.sum() < 10:
        raise AnalysisError(f"only {int(keep.sum())} rows remain after dropping {burn_in} burn-in periods per entity")
    stock_col = f"adstock_{engagement}"
    if stock_col in df.columns:
        raise AnalysisError(f"column {stock_col!r} already exists; rename it so the adstock can be added")
    base = df[[outcome, engagement, entity, time] + ([cluster] if cluster not in (entity, time) else [])]

    fits: list[tuple[float, Any]] = []
    for d in decays:
        data = base.copy()
        data[stock_col] = adstock(df, engagement, entity=entity, time=time, decay=d)
        data = data.loc[keep].reset_index(drop=True)
        res = estimate(
            data, outcome=outcome, regressors=[stock_col], fixed_effects=(entity, time),
            family="loglog", vcov="cluster", cluster=cluster, entity=entity, time=time, conf_level=conf_level,
        )
        fits.append((d, res))
    profile = tuple(
        (d, float(r.r2_within) if r.r2_within is not None else float("nan"), float(_coef(r, stock_col).estimate), float(_coef(r, stock_col).std_error))
        for d, r in fits
    )
    best = int(np.nanargmax([row[1] for row in profile]))
    d_best, res = fits[best]
    c = _coef(res, stock_col)
    return AdstockResult(
        decay=d_best,
        estimated=decay is None,
        grid=tuple(decays),
        profile_rows=profile,
        estimate=float(c.estimate),
        std_error=float(c.std_error),
        ci_low=float(c.ci_low),
        ci_high=float(c.ci_high),
        p_value=float(c.p_value),
        conf_level=conf_level,
        r2_within=float(res.r2_within) if res.r2_within is not None else float("nan"),
        n_obs=int(res.n_obs),
        n_clusters=_n_clusters(res),
        burn_in=int(burn_in),
        outcome=outcome,
        engagement=engagement,
        entity=entity,
        time=time,
        formula=str(res.formula),
        at_grid_edge=decay is None and best in (0, len(decays) - 1),
        warnings=tuple(res.warnings),
    )


# --------------------------------------------------------------------------- lead placebo


@dataclass(frozen=True)
class PlaceboResult:
    """Joint test that future engagement (leads) does not predict conversion, given current and lags."""

    lead_rows: tuple[tuple[Any, ...], ...]  # (term, estimate, std_error, statistic, p_value, ci_low, ci_high)
    lag_rows: tuple[tuple[Any, ...], ...]  # the current and lagged engagement terms, same columns
    chi2: float
    f_stat: float
    df_num: int
    df_denom: int | None
    p_value: float  # F(df_num, df_denom) when clustered, else χ²
    p_value_chi2: float
    passed: bool  # p ≥ alpha: no evidence that future engagement "predicts" conversion
    alpha: float
    n_leads: int
    n_lags: int
    n_obs: int
    n_clusters: int
    formula: str
    outcome: str
    engagement: str
    warnings: tuple[str, ...] = ()  # the model's notes (rows dropped, …), English

    @property
    def leads(self) -> pd.DataFrame:
        """Tidy table of the lead coefficients (term, estimate, std_error, statistic, p_value, ci_low, ci_high)."""
        return pd.DataFrame(list(self.lead_rows), columns=_TIDY)

    @property
    def lags(self) -> pd.DataFrame:
        """Tidy table of the current and lagged engagement coefficients."""
        return pd.DataFrame(list(self.lag_rows), columns=_TIDY)

    def sentence(self, lang: Literal["zh", "en"] = "zh") -> str:
        """One sentence reporting the placebo test in ``lang``."""
        from ..render.formatting import format_number

        words(lang)
        p = format_number(self.p_value, 3)
        stat = format_wald(self.f_stat, self.chi2, self.df_num, self.df_denom)
        k = self.n_leads
        if lang == "zh":
            if self.passed:
                return (f"安慰剂检验：在控制当周及滞后互动量后，未来 {k} 周的互动量对当周加购没有显著的联合解释力"
                        f"（{stat}，p = {p}），与“互动在前、转化在后”的时间顺序一致。")
            return (f"安慰剂检验未通过：未来 {k} 周的互动量对当周加购有显著的联合解释力（{stat}，p = {p}），"
                    "提示可能存在反向因果或同时驱动两者的遗漏因素（如营销活动），弹性不宜作因果解读。")
        if self.passed:
            return (f"Placebo test: given current and lagged engagement, engagement in the next {k} weeks has no "
                    f"significant joint association with this week's add-to-cart ({stat}, p = {p}), consistent "
                    "with engagement coming first and conversion after.")
        return (f"Placebo test failed: engagement in the next {k} weeks is jointly associated with this week's "
                f"add-to-cart ({stat}, p = {p}), which points to reverse causality or an omitted common driver "
                "(e.g. a campaign); the elasticities should not be read causally.")


def lead_placebo(
    df: pd.DataFrame,
    *,
    outcome: str = "add_to_cart",
    engagement: str = "engagement",
    entity: str = "brand",
    time: str = "week",
    n_leads: int = 2,
    n_lags: int = 2,
    cluster: str | None = None,
    alpha: float = ALPHA,
    conf_level: float = 0.95,
) -> PlaceboResult:
    """Lead (placebo) test: add engagement at t+1 … t+n_leads to the lagged log-log FE model.

    Fits ``log(outcome) ~ log(x_t) + log(x_{t−1}) … + log(x_{t+1}) … | entity + time`` with
    :func:`~reportkit.analysis.models.estimate` (``family="loglog"``, clustered by ``cluster``,
    default ``entity``) on the rows where every lead and lag exists (each entity's first
    ``n_lags`` and last ``n_leads`` periods drop out). Leads and lags are raw engagement shifted
    within entity (:func:`shift_within`); the model logs them. H0: all lead coefficients are 0,
    tested jointly by :func:`wald_test` (F with clusters − 1 denominator df). ``passed`` is
    p ≥ ``alpha``.

    Engagement is autocorrelated, so leads correlate with current engagement; with current and
    lagged engagement in the model, leads should add nothing if conversion follows engagement.
    """
    df = check_frame(df)
    conf_level = check_conf_level(conf_level)
    n_leads = check_count("n_leads", n_leads, 1)
    n_lags = check_count("n_lags", n_lags, 0)
    alpha = check_alpha(alpha)
    cluster = entity if cluster is None else cluster
    check_panel_model(df, outcome=outcome, engagement=engagement, entity=entity, time=time, cluster=cluster)

    data = df[[outcome, engagement, entity, time] + ([cluster] if cluster not in (entity, time) else [])].copy()
    lag_cols = [engagement]
    lead_cols = []
    for k in range(1, n_lags + 1):
        s = shift_within(df, engagement, entity=entity, time=time, k=k)
        data[s.name] = s
        lag_cols.append(str(s.name))
    for k in range(1, n_leads + 1):
        s = shift_within(df, engagement, entity=entity, time=time, k=-k)
        data[s.name] = s
        lead_cols.append(str(s.name))
    for col in lag_cols[1:] + lead_cols:
        if col in df.columns:
            raise AnalysisError(f"column {col!r} already exists; rename it so leads and lags can be added")
    data = data.dropna(subset=lag_cols + lead_cols).reset_index(drop=True)
    if data[cluster].nunique() < 2:
        raise AnalysisError(f"clustering by {cluster!r} needs at least 2 clusters; the data have {data[cluster].nunique()}")
    res = estimate(
        data, outcome=outcome, regressors=lag_cols + lead_cols, fixed_effects=(entity, time),
        family="loglog", vcov="cluster", cluster=cluster, entity=entity, time=time, conf_level=conf_level,
    )
    lead_coefs = [_coef(res, c) for c in lead_cols]
    lag_coefs = [_coef(res, c) for c in lag_cols]
    test = wald_test(res, [c.term for c in lead_coefs])
    return PlaceboResult(
        lead_rows=_coef_rows(lead_coefs),
        lag_rows=_coef_rows(lag_coefs),
        chi2=test.chi2,
        f_stat=test.f_stat,
        df_num=test.df_num,
        df_denom=test.df_denom,
        p_value=test.p_value,
        p_value_chi2=test.p_value_chi2,
        passed=bool(test.p_value >= alpha),
        alpha=float(alpha),
        n_leads=n_leads,
        n_lags=n_lags,
        n_obs=int(res.n_obs),
        n_clusters=_n_clusters(res),
        formula=str(res.formula),
        outcome=outcome,
        engagement=engagement,
        warnings=tuple(res.warnings),
    )
