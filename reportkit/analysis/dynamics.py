"""Timing of the engagement → conversion link in the panel: carry-over and a lead placebo.

* :func:`adstock` / :func:`fit_adstock`: geometric carry-over ("adstock") of engagement within
  each brand, a_t = x_t + d·a_{t−1}, and the log-log fixed-effects model of conversion on
  log(adstock) with the decay d chosen by maximising the within R² over a grid (with the same
  sample and the same number of parameters for every d, this is the Gaussian profile likelihood).
  The decay gets a cluster-robust interval from the model read as nonlinear least squares in
  (elasticity, decay).
* :func:`lead_placebo`: future engagement cannot cause today's conversion. Adding leads
  (engagement t+1 … t+k) to the lagged model and testing them jointly is a falsification test:
  leads jointly associated with conversion point to reverse timing or an omitted common driver
  (e.g. a campaign that moves both), not to seeding. No association found is not evidence of
  none: the result carries the minimum detectable lead effect at 80 % power
  (:func:`minimum_detectable_effects`), and the joint test is pluggable (:data:`JointTest`), so a
  wild cluster bootstrap can replace the analytic F test when clusters are few.
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import optimize, signal, stats

from .. import i18n
from ..errors import AnalysisError, DataError
from ..i18n import Language, Text
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
from .memo import memoized
from .models import TIDY_COLUMNS, Coef, ModelResult, estimate
from .narrative import column_label

__all__ = [
    "GapPolicy",
    "shift_within",
    "shifted_values",
    "adstock",
    "AdstockResult",
    "fit_adstock",
    "PlaceboResult",
    "lead_placebo",
    "JointTest",
    "wald_f_joint_test",
    "wild_joint_test",
    "minimum_detectable_effects",
    "wald_test",
    "WaldTest",
    "format_wald",
]

GapPolicy = Literal["error", "zero"]
_GAP_POLICIES: tuple[str, ...] = get_args(GapPolicy)

DEFAULT_GRID: tuple[float, ...] = tuple(float(round(v, 10)) for v in np.linspace(0.0, 0.9, 19))
ALPHA = 0.05


def _say(key: str, lang: Language, **values: Any) -> str:
    """The catalogue's ``dynamics.<key>`` text in ``lang``, filled with ``values``."""
    return i18n.message(f"dynamics.{key}")[lang].format(**values)


def _text(key: str, **values: Any) -> Text:
    """The catalogue's ``dynamics.<key>`` text in every language, filled with ``values``."""
    return i18n.message(f"dynamics.{key}").format(**values)


# --------------------------------------------------------------------------- panel helpers


def _positions(df: pd.DataFrame, time: str) -> np.ndarray:
    """Position of each row's period among the panel's sorted distinct periods."""
    periods = np.sort(df[time].unique())
    return np.asarray(pd.Series(np.arange(len(periods)), index=periods).reindex(df[time]).to_numpy())


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


class _StockLayout:
    """One entity per row of a dense (entities × periods) matrix, for adstock recursions at any decay.

    Row e holds entity e's values from its first period on (a missing period inside its history is
    0; the padding after its last period is 0 too, which cannot reach earlier periods because the
    recursion is causal). :meth:`stock` and :meth:`slope` give a_t and ∂a_t/∂decay for every row
    of the frame, in the frame's row order.
    """

    def __init__(self, df: pd.DataFrame, values: np.ndarray, *, entity: str, time: str, gaps: str) -> None:
        pos = _positions(df, time)
        codes, uniques = pd.factorize(df[entity])
        first = pd.Series(pos).groupby(codes).transform("min").to_numpy()
        last = pd.Series(pos).groupby(codes).transform("max").to_numpy()
        counts = np.bincount(codes)
        spans = (last - first + 1)[np.unique(codes, return_index=True)[1]]
        if gaps == "error" and (spans != counts).any():
            e = int(np.flatnonzero(spans != counts)[0])
            raise DataError(
                f"entity {uniques[e]!r} has {int(spans[e] - counts[e])} missing period(s) inside its history in "
                f"column {time!r}; adstock needs consecutive periods. Fill them, or pass gaps='zero' to "
                "count a missing period as zero",
                column=time,
            )
        self.rows = codes
        self.cols = (pos - first).astype(int)
        self.dense = np.zeros((len(uniques), int(spans.max())))
        self.dense[self.rows, self.cols] = values

    def stock(self, decay: float) -> np.ndarray:
        """a_t = x_t + decay · a_{t−1}, per row of the frame."""
        return np.asarray(signal.lfilter([1.0], [1.0, -decay], self.dense, axis=1)[self.rows, self.cols], dtype=float)

    def slope(self, decay: float) -> np.ndarray:
        """∂a_t/∂decay = Σ_k k·decay^(k−1)·x_{t−k}: the filter L/(1 − decay·L)², per row of the frame."""
        slopes = signal.lfilter([0.0, 1.0], [1.0, -2.0 * decay, decay * decay], self.dense, axis=1)[self.rows, self.cols]
        return np.asarray(slopes, dtype=float)


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
    layout = _StockLayout(df, numeric_values(df, column), entity=entity, time=time, gaps=gaps)
    return pd.Series(layout.stock(d), index=df.index, name=f"adstock_{column}")


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
        {r: 1.0} if isinstance(r, str) else dict(r) for r in restrictions
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
    from ..style.formatting import format_number

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
    # interval for the decay (None when the decay was given, not estimated); see fit_adstock
    decay_nls: float | None = None  # least-squares decay between the best grid value's neighbours
    decay_se: float | None = None  # its CRV1 sandwich standard error
    decay_ci_low: float | None = None  # decay_nls ± t(G−1)·decay_se, clipped to [0, 1]
    decay_ci_high: float | None = None
    decay_method: Text | None = None  # how the interval was computed, in every language (None when the decay was given)

    @property
    def profile(self) -> pd.DataFrame:
        """DataFrame[decay, r2_within, estimate, std_error], one row per grid value."""
        return pd.DataFrame(list(self.profile_rows), columns=["decay", "r2_within", "estimate", "std_error"])

    @property
    def decay_point(self) -> float:
        """The decay to report with its interval: the least-squares refinement when estimated, else ``decay``."""
        return self.decay if self.decay_nls is None else self.decay_nls

    def decay_note(self, lang: Language = i18n.DEFAULT_LANGUAGE) -> str:
        """「95% 置信区间 0.15–0.40（…）；半衰期 0.6 期」 in ``lang`` (the catalogue's ``dynamics``
        group); without an interval when the decay was given. The method in full is in
        ``decay_method`` and the methods text."""
        from ..style.formatting import format_number

        lang = i18n.check_language(lang, source="lang", error=AnalysisError)
        half = format_number(self.half_life, 1)
        if self.decay_ci_low is None or self.decay_ci_high is None:
            return _say("half_life", lang, half=half)
        lo, hi = format_number(self.decay_ci_low, 2), format_number(self.decay_ci_high, 2)
        return _say("decay_interval", lang, lo=lo, hi=hi, half=half)

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
    return np.asarray(rank <= n, dtype=bool)


def _partial_out(columns: np.ndarray, fe_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Columns (n × k) with the fixed effects projected out, by pyfixest's demeaner."""
    from pyfixest.estimation import demean

    cols = np.ascontiguousarray(columns, dtype=float)
    flist = np.ascontiguousarray(np.column_stack(list(fe_codes)).astype(np.uint64))
    out, ok = demean(cols, flist, np.ones(len(cols)), tol=1e-10, maxiter=100_000)
    if not ok:
        raise AnalysisError("the fixed effects could not be partialled out (alternating projections did not converge)")
    return np.asarray(out)


class _DecayInference:
    """Cluster-robust inference on the decay d of ``log y = β·log a(d) + entity + time effects + u``.

    The model is nonlinear least squares in (β, d) with the fixed effects partialled out
    (Frisch–Waugh–Lovell, pyfixest's demeaner). Its Jacobian at (β, d) is [x(d), β·∂x/∂d] with
    x = log a and ∂x/∂d = (∂a/∂d)/a, exact from the recursion (:meth:`_StockLayout.slope`).
    :meth:`sandwich` is the CRV1 covariance (J'J)⁻¹ (Σ_g J_g'u_g u_g'J_g) (J'J)⁻¹ · c with
    fixest's small-sample factor c = G/(G−1)·(N−1)/(N−K), K counted as pyfixest counts it: the two
    parameters plus the absorbed effects (one level per effect after the first is redundant), less
    the levels of an effect nested in the clusters, plus one for each such effect.
    """

    def __init__(self, layout: _StockLayout, y: np.ndarray, keep: np.ndarray, fe_codes: Sequence[np.ndarray],
                 clusters: np.ndarray) -> None:
        self.layout = layout
        self.keep = keep
        self.fe_codes = [pd.factorize(np.asarray(c)[keep])[0] for c in fe_codes]
        self.clusters = pd.factorize(np.asarray(clusters)[keep])[0]
        self.y = _partial_out(np.log(y[keep])[:, None], self.fe_codes)[:, 0]
        n = int(keep.sum())
        g = int(self.clusters.max()) + 1
        levels = [int(c.max()) + 1 for c in self.fe_codes]
        nested = [lv for c, lv in zip(self.fe_codes, levels, strict=True)
                  if pd.Series(self.clusters).groupby(c).nunique().max() == 1]
        k = 2 + sum(levels) - (len(levels) - 1) - sum(nested) + len(nested)
        self.n_obs, self.n_clusters, self.k = n, g, k
        self.factor = g / (g - 1) * (n - 1) / (n - k)

    def columns(self, decay: float) -> tuple[np.ndarray, np.ndarray]:
        """x(d) = log a(d) and ∂x/∂d, with the fixed effects partialled out."""
        a = self.layout.stock(decay)[self.keep]
        da = self.layout.slope(decay)[self.keep]
        both = _partial_out(np.column_stack([np.log(a), da / a]), self.fe_codes)
        return both[:, 0], both[:, 1]

    def ssr(self, decay: float) -> float:
        """Sum of squared within residuals with β profiled out (the NLS objective at d)."""
        x, _ = self.columns(decay)
        u = self.y - (x @ self.y) / (x @ x) * x
        return float(u @ u)

    def refine(self, lo: float, hi: float) -> float:
        """The decay in [lo, hi] that minimises :meth:`ssr` (bounded Brent search)."""
        if hi <= lo:
            return lo
        found = optimize.minimize_scalar(self.ssr, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
        return float(found.x)

    def sandwich(self, decay: float) -> tuple[float, np.ndarray]:
        """β̂(d) and the CRV1 covariance of (β, d) at d."""
        x, z = self.columns(decay)
        beta = float((x @ self.y) / (x @ x))
        u = self.y - beta * x
        jac = np.column_stack([x, beta * z])
        bread = np.linalg.pinv(jac.T @ jac)
        scores = np.column_stack([np.bincount(self.clusters, weights=jac[:, j] * u) for j in range(2)])
        return beta, self.factor * bread @ (scores.T @ scores) @ bread


@memoized  # the same call in another row of a batch reads the stored result
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

    Interval for the decay (``decay=None`` only; ``decay_method`` says the same in every language). The
    model is treated as nonlinear least squares in (β, d) with the entity and time effects
    partialled out. ``decay_nls`` is the least-squares decay found by a bounded search between
    the best grid value's neighbours (so within one grid step of ``decay``); at it, the CRV1
    sandwich (J'J)⁻¹(Σ_g J_g'u_g u_g'J_g)(J'J)⁻¹ by ``cluster``, with the Jacobian
    J = [x(d), β·∂x/∂d] (x = log adstock, ∂x/∂d exact from the recursion) and fixest's factor
    G/(G−1)·(N−1)/(N−K), gives ``decay_se``; the interval is decay_nls ± t(G−1)·decay_se at
    ``conf_level``, clipped to [0, 1] (the decay's range is 0 ≤ d < 1). With 8 clusters a seeded
    simulation (tests/test_adstock_interval.py, 200 replications, true decay 0.4) found coverage
    0.94 at 0.95; 0.92–0.94 across true decays 0.2–0.6, a shade below nominal as CRV1 intervals
    with few clusters usually are. ``decay`` itself stays the grid's best value.
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
    interval: dict[str, Any] = {}
    if decay is None:
        interval = _decay_interval(df, keep, outcome=outcome, engagement=engagement, entity=entity, time=time,
                                   cluster=cluster, grid=decays, best=best, conf_level=conf_level)
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
        warnings=tuple(res.warnings_in("en")),
        **interval,
    )


def _decay_interval(df: pd.DataFrame, keep: np.ndarray, *, outcome: str, engagement: str, entity: str, time: str,
                    cluster: str, grid: Sequence[float], best: int, conf_level: float) -> dict[str, Any]:
    """The fields decay_nls, decay_se, decay_ci_low, decay_ci_high, decay_method (see :func:`fit_adstock`)."""
    layout = _StockLayout(df, numeric_values(df, engagement), entity=entity, time=time, gaps="error")
    inference = _DecayInference(
        layout, numeric_values(df, outcome), keep, [df[entity].to_numpy(), df[time].to_numpy()], df[cluster].to_numpy()
    )
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    d_hat = inference.refine(lo, hi)
    _, cov = inference.sandwich(d_hat)
    se = float(math.sqrt(cov[1, 1])) if cov[1, 1] > 0 else float("inf")
    g = inference.n_clusters
    half = float(stats.t.ppf(0.5 + conf_level / 2, g - 1)) * se
    level = f"{conf_level * 100:g}%"
    return {
        "decay_nls": d_hat,
        "decay_se": se,
        "decay_ci_low": max(0.0, d_hat - half),
        "decay_ci_high": min(1.0, d_hat + half),
        # each language names the columns as it likes: by their labels ({entity_label}) or as given ({entity})
        "decay_method": Text({
            lang: _say("decay_method", lang, level=level, df=g - 1, entity=entity, time=time, cluster=cluster,
                       entity_label=column_label(entity, lang), time_label=column_label(time, lang),
                       cluster_label=column_label(cluster, lang))
            for lang in i18n.LANGUAGES
        }),
    }


# --------------------------------------------------------------------------- lead placebo

#: A joint test of the lead coefficients: called with the fitted model and the lead terms, it
#: returns (statistic, p_value, method label): the label an :class:`~reportkit.i18n.Text` or a
#: mapping with an entry in every language of :data:`reportkit.i18n.LANGUAGES`.
#: :func:`wald_f_joint_test` is the default; a restricted wild cluster bootstrap fits the same shape.
JointTest = Callable[[ModelResult, Sequence[str]], tuple[float, float, "Text | Mapping[str, str]"]]

POWER = 0.8


def wald_f_joint_test(result: ModelResult, terms: Sequence[str]) -> tuple[float, float, Text]:
    """The analytic joint test of ``terms`` = 0: cluster-robust Wald F = W/q against F(q, G − 1).

    Returns (F, p, label) in the :data:`JointTest` shape; see :func:`wald_test`.
    """
    test = wald_test(result, list(terms))
    if test.df_denom:
        return test.f_stat, test.p_value, _text("wald_f", df_num=test.df_num, df_denom=test.df_denom)
    return test.chi2, test.p_value, _text("wald_chi2", df_num=test.df_num)


def wild_joint_test(result: ModelResult, terms: Sequence[str]) -> tuple[float, float, Text]:
    """The restricted wild cluster bootstrap joint test of ``terms`` = 0 (Wald statistic / q).

    Needs a model whose inference is the wild bootstrap (``estimate(..., inference="auto")`` with
    fewer than 30 clusters, or ``"wild"``); the label names the weights, draws and seed.
    """
    test = result.wild_test(list(terms))
    if test is None:
        raise AnalysisError("wild_joint_test needs a model fitted with the wild cluster bootstrap "
                            "(estimate(..., inference='wild')); this one uses analytic inference")
    weights = i18n.message(f"dynamics.weights_{test.weights}")  # webb, rademacher
    return test.statistic, test.p_value, _text("wild_joint", n_clusters=test.n_clusters, weights=weights,
                                               draws=test.draws)


def _label_languages() -> str:
    """"'zh' and 'en'": the languages a joint test's label needs, for error messages."""
    return " and ".join(repr(lang) for lang in i18n.LANGUAGES)


def _run_joint_test(joint_test: Any, result: ModelResult, terms: Sequence[str]) -> tuple[float, float, Text]:
    """Call a :data:`JointTest` and check what it returns (the label as a Text)."""
    if not callable(joint_test):
        raise AnalysisError(f"joint_test: expected a callable (ModelResult, lead terms) → (statistic, p_value, "
                            f"label with {_label_languages()}); got {joint_test!r}")
    out = joint_test(result, tuple(terms))
    if not isinstance(out, tuple) or len(out) != 3:
        raise AnalysisError(
            f"joint_test returned {out!r}; expected a tuple (statistic, p_value, label with {_label_languages()})"
        )
    statistic, p_value, label = out
    try:
        statistic, p_value = float(statistic), float(p_value)
    except (TypeError, ValueError):
        raise AnalysisError(
            f"joint_test returned statistic {statistic!r} and p-value {p_value!r}; expected numbers"
        ) from None
    if not (0.0 <= p_value <= 1.0):
        raise AnalysisError(f"joint_test returned p-value {p_value!r}; expected a number in [0, 1]")
    if math.isnan(statistic):
        raise AnalysisError(f"joint_test returned statistic {statistic!r}; expected a number")
    text: Text | None = None
    if isinstance(label, (Text, Mapping)):
        try:
            text = Text.coerce(label, source="joint_test label")
        except i18n.TranslationError:
            text = None
    if text is None or not all(lang in text and text[lang] for lang in i18n.LANGUAGES):
        raise AnalysisError(
            f"joint_test returned label {label!r}; expected a Text or a mapping with non-empty "
            f"{_label_languages()} strings"
        )
    return statistic, p_value, Text({lang: text[lang] for lang in i18n.LANGUAGES})


def _noncentrality_for_power(df_num: int, df_denom: int | None, alpha: float, power: float) -> float:
    """The noncentrality λ at which the level-``alpha`` test rejects with probability ``power``.

    F(df_num, df_denom) test: noncentral F (scipy.stats.ncf); df_denom None: χ²(df_num) test,
    noncentral χ² (scipy.stats.ncx2). Solved with brentq.
    """
    if df_denom:
        crit = float(stats.f.isf(alpha, df_num, df_denom))

        def reject(lam: float) -> float:
            return float(stats.ncf.sf(crit, df_num, df_denom, lam))
    else:
        crit = float(stats.chi2.isf(alpha, df_num))

        def reject(lam: float) -> float:
            return float(stats.ncx2.sf(crit, df_num, lam))

    hi = 1.0
    while reject(hi) < power:
        hi *= 2.0
        if hi > 1e8:
            raise AnalysisError(f"power {power} is not reached by the F({df_num}, {df_denom}) test at any noncentrality")
    return float(optimize.brentq(lambda lam: reject(lam) - power, 0.0, hi, xtol=1e-10))


def minimum_detectable_effects(
    result: ModelResult, terms: Sequence[str], *, alpha: float = ALPHA, power: float = POWER
) -> tuple[float, float]:
    """Smallest lead effects the joint Wald test of ``terms`` detects with probability ``power``.

    With V the model's (clustered) covariance of the ``terms`` coefficients and q = len(terms),
    the test statistic F = W/q is noncentral F(q, df_t) with noncentrality λ = b'V⁻¹b when the true
    coefficients are b. λ* solves P(F > F_crit(alpha) | λ*) = power (brentq on scipy.stats.ncf).
    Returns (first, common): the first term's effect δ with the others 0, δ = √(λ* / e₁'V⁻¹e₁),
    and a common effect δ on every term, δ = √(λ* / 1'V⁻¹1). Both treat V as known, the usual
    approximation; with few clusters V is noisy, so read them as the order of magnitude.
    """
    terms = list(terms)
    cov = _covariance(result, terms)
    q = len(terms)
    df_denom = int(result.df_t) if result.df_t is not None else None
    lam = _noncentrality_for_power(q, df_denom, alpha, power)
    prec = np.linalg.inv(cov)
    first = math.sqrt(lam / float(prec[0, 0]))
    common = math.sqrt(lam / float(np.ones(q) @ prec @ np.ones(q)))
    return first, common


def _check_power(power: Any, alpha: float) -> float:
    if isinstance(power, bool) or not isinstance(power, (int, float, np.floating, np.integer)) \
            or not (alpha < float(power) < 1.0):
        raise AnalysisError(f"power: expected a number between alpha ({alpha:g}) and 1 such as 0.8; got {power!r}")
    return float(power)


def _lower_first(label: str) -> str:
    """A label inside a sentence: "Add-to-cart" → "add-to-cart" (acronyms such as "GMV" and
    scripts without case are left as they are)."""
    if label[:1].isupper() and not label[:2].isupper():
        return label[0].lower() + label[1:]
    return label


@dataclass(frozen=True)
class PlaceboResult:
    """Joint test that future engagement (leads) does not predict conversion, given current and lags.

    ``statistic``, ``p_value`` and ``test_method`` come from the joint test used (by default the
    analytic cluster-robust Wald F test; see :func:`lead_placebo`); ``chi2``, ``f_stat`` and
    ``p_value_analytic`` are always the analytic Wald test's. ``mde`` is the smallest first-lead
    coefficient the analytic test detects with probability ``power`` at level ``alpha``;
    ``mde_common`` the same for a common effect on every lead. A p-value above ``alpha`` does
    not show that the leads are zero: effects below ``mde`` are not ruled out.
    """

    lead_rows: tuple[tuple[Any, ...], ...]  # (term, estimate, std_error, statistic, p_value, ci_low, ci_high)
    lag_rows: tuple[tuple[Any, ...], ...]  # the current and lagged engagement terms, same columns
    chi2: float
    f_stat: float
    df_num: int
    df_denom: int | None
    p_value: float  # from the joint test used (default: F(df_num, df_denom) when clustered, else χ²)
    p_value_chi2: float
    passed: bool  # p ≥ alpha (kept for compatibility; not evidence that leads are zero, see mde)
    alpha: float
    n_leads: int
    n_lags: int
    n_obs: int
    n_clusters: int
    formula: str
    outcome: str
    engagement: str
    warnings: tuple[str, ...] = ()  # the model's notes (rows dropped, …), English
    statistic: float = float("nan")  # the joint test's statistic (default: f_stat, or chi2 without df_denom)
    p_value_analytic: float = float("nan")  # the analytic Wald test's p-value (F, or χ²)
    test_method: Text | None = field(default=None, hash=False)  # the joint test, in every language
    mde: float = float("nan")  # minimum detectable first-lead effect at `power`
    mde_common: float = float("nan")  # minimum detectable common effect on every lead
    power: float = POWER
    analytic: bool = True  # the p-value is the analytic Wald F test's (False: the wild bootstrap or a joint_test passed in)

    @property
    def leads(self) -> pd.DataFrame:
        """Tidy table of the lead coefficients (term, estimate, std_error, statistic, p_value, ci_low, ci_high)."""
        return pd.DataFrame(list(self.lead_rows), columns=_TIDY)

    @property
    def lags(self) -> pd.DataFrame:
        """Tidy table of the current and lagged engagement coefficients."""
        return pd.DataFrame(list(self.lag_rows), columns=_TIDY)

    @property
    def rejected(self) -> bool:
        """The leads are jointly associated with the outcome at level ``alpha`` (p < alpha)."""
        return self.p_value < self.alpha

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable fields; the coefficient rows as lists of dicts (tidy columns)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("lead_rows", "lag_rows"):
                value = [dict(zip(_TIDY, row, strict=True)) for row in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Text):
                value = value.to_json()  # {"zh": …, "en": …}
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out

    def sentence(self, lang: Language = i18n.DEFAULT_LANGUAGE) -> str:
        """What the lead placebo test shows and what it does not rule out, in ``lang`` (the
        catalogue's ``dynamics.placebo_*`` texts)."""
        from ..style.formatting import format_number

        lang = i18n.check_language(lang, source="lang", error=AnalysisError)
        p = format_number(self.p_value, 3)
        method = self.test_method[lang] if self.test_method is not None else ""
        if self.analytic:
            stat = format_wald(self.f_stat, self.chi2, self.df_num, self.df_denom)
        else:
            stat = _say("statistic", lang, stat=format_number(self.statistic, 2))
        outcome = column_label(self.outcome, lang)
        # the label as given ({outcome}) and as inside a sentence ({outcome_lower}): each language picks one
        names = {"outcome": outcome, "outcome_lower": _lower_first(outcome)}
        head = _say("placebo_head", lang, k=self.n_leads, method=method, stat=stat, p=p)
        if self.rejected:
            return head + _say("placebo_rejected", lang, **names)
        tail = _say("placebo_clear", lang, power=f"{self.power * 100:g}%", mde=format_number(self.mde, 2), **names)
        lag1 = abs(float(self.lag_rows[1][1])) if len(self.lag_rows) > 1 else None
        if lag1 is None:
            return head + tail + _say("placebo_clear_end", lang)
        key = "placebo_clear_lag_below" if lag1 < self.mde else "placebo_clear_lag_above"
        return head + tail + _say(key, lang, lag1=format_number(lag1, 2))


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
    power: float = POWER,
    joint_test: JointTest | None = None,
) -> PlaceboResult:
    """Lead (placebo) test: add engagement at t+1 … t+n_leads to the lagged log-log FE model.

    Fits ``log(outcome) ~ log(x_t) + log(x_{t−1}) … + log(x_{t+1}) … | entity + time`` with
    :func:`~reportkit.analysis.models.estimate` (``family="loglog"``, clustered by ``cluster``,
    default ``entity``) on the rows where every lead and lag exists (each entity's first
    ``n_lags`` and last ``n_leads`` periods drop out). Leads and lags are raw engagement shifted
    within entity (:func:`shift_within`); the model logs them. H0: all lead coefficients are 0.

    The joint test is ``joint_test(model, lead_terms) → (statistic, p_value, label)``, the label a
    :class:`~reportkit.i18n.Text` or a mapping with an entry in every language
    (:data:`JointTest`). By default it follows the model's inference: with fewer than 30 clusters
    :func:`~reportkit.analysis.models.estimate` uses the wild cluster bootstrap, and so does the
    joint test (:func:`wild_joint_test`, Wald statistic, null imposed); otherwise the analytic
    cluster-robust Wald F with (q, clusters − 1) df (:func:`wald_f_joint_test`), which over-rejects
    with few clusters (7.5 % at a nominal 5 % with 8 clusters in our simulations). Its label
    reaches :meth:`PlaceboResult.sentence`.

    Power: ``mde`` is the smallest first-lead effect (other leads 0) that the analytic F test
    rejects with probability ``power`` at level ``alpha`` (:func:`minimum_detectable_effects`,
    noncentral F with the model's clustered covariance of the leads); ``mde_common`` the smallest
    common effect on every lead. It is computed from the analytic test whatever ``joint_test``
    is. ``passed`` (p ≥ ``alpha``) is kept for compatibility; it only means that no lead
    association was detected, not that there is none.

    Engagement is autocorrelated, so leads correlate with current engagement; with current and
    lagged engagement in the model, leads should add nothing if conversion follows engagement.
    Significant leads are an association (reverse timing or a common driver such as a campaign),
    not proof of either.
    """
    df = check_frame(df)
    conf_level = check_conf_level(conf_level)
    n_leads = check_count("n_leads", n_leads, 1)
    n_lags = check_count("n_lags", n_lags, 0)
    alpha = check_alpha(alpha)
    power = _check_power(power, alpha)
    if joint_test is not None and not callable(joint_test):
        raise AnalysisError(f"joint_test: expected a callable (ModelResult, lead terms) → (statistic, p_value, "
                            f"label with {_label_languages()}), or None for the analytic F test; got {joint_test!r}")
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
    lead_terms = [c.term for c in lead_coefs]
    test = wald_test(res, lead_terms)
    if joint_test is None:
        joint_test = wild_joint_test if res.inference == "wild" else wald_f_joint_test
    statistic, p_value, method = _run_joint_test(joint_test, res, lead_terms)
    analytic = joint_test is wald_f_joint_test
    mde, mde_common = minimum_detectable_effects(res, lead_terms, alpha=alpha, power=power)
    return PlaceboResult(
        lead_rows=_coef_rows(lead_coefs),
        lag_rows=_coef_rows(lag_coefs),
        chi2=test.chi2,
        f_stat=test.f_stat,
        df_num=test.df_num,
        df_denom=test.df_denom,
        p_value=p_value,
        p_value_chi2=test.p_value_chi2,
        passed=bool(p_value >= alpha),
        alpha=float(alpha),
        n_leads=n_leads,
        n_lags=n_lags,
        n_obs=int(res.n_obs),
        n_clusters=_n_clusters(res),
        formula=str(res.formula),
        outcome=outcome,
        engagement=engagement,
        warnings=tuple(res.warnings_in("en")),
        statistic=statistic,
        p_value_analytic=test.p_value,
        test_method=method,
        mde=mde,
        mde_common=mde_common,
        power=power,
        analytic=analytic,
    )
