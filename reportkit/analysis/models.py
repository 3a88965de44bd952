"""One estimation API: :func:`estimate` on any DataFrame → a frozen, tidy :class:`ModelResult`.

The analyst names the outcome (conversion) column, one or more regressors of interest
(engagement and its lags), controls, fixed effects, the model family and the standard errors::

    res = estimate(panel, outcome="add_to_cart", regressors=("engagement",),
                   fixed_effects=("brand", "week"), family="loglog", vcov="cluster",
                   entity="brand", time="week")
    res.tidy()                      # term, estimate, std_error, statistic, p_value, ci_low, ci_high
    res.lincom({"log_engagement": 1, "log_engagement_l1": 1})   # a sum of coefficients with its SE

Every input is checked first and the choices are frozen in a :class:`ModelSpec` (defaults such as
the cluster column or the Driscoll–Kraay lag are resolved there); then the model runs. Tables
(:mod:`reportkit.analysis.tables`), plots and narrative are drawn from the result only.

Families (``family=``)
    ``"ols"``     linear OLS, :func:`pyfixest.feols`.
    ``"loglog"``  OLS of ``log(outcome)`` on ``log(regressor)`` for every regressor (controls are
                  used as given): coefficients are elasticities. Terms are named ``log_<column>``.
    ``"ppml"``    Poisson pseudo-maximum likelihood, :func:`pyfixest.fepois`, for counts and GMV:
                  the outcome stays in levels (zeros are fine, negatives are an error) and the
                  regressors are log-transformed as in ``loglog`` (terms ``log_<column>``), so the
                  coefficients are elasticities too. Controls are used as given.
    ``"logit"``   binary 0/1 (or bool) outcome: :func:`pyfixest.feglm` with ``family="logit"``,
                  which absorbs fixed effects of any size. With ``weights=`` naming a column of
                  trials the outcome may instead be a rate in [0, 1]: a binomial GLM (logit link) is
                  fitted by :class:`statsmodels.api.GLM` with ``var_weights=trials`` and the fixed
                  effects as dummy columns, which is only acceptable for low-cardinality effects
                  (at most 200 levels each; more raises an error). Only iid, hc1, cluster and
                  twoway standard errors are offered on that path, as statsmodels computes them.

Zeros in a log (``zeros=``)
    ``"error"`` (default): a column with zero or negative values raises :class:`AnalysisError`
    naming the column and the number of rows, suggesting ``zeros="log1p"`` or ``family="ppml"``.
    ``"log1p"``: columns *that contain zeros* are transformed with ``log(1 + x)`` (term
    ``log1p_<column>``; other columns still take ``log``) and a warning is stored in
    :attr:`ModelResult.warnings`, so the report shows it. Negative values are an error under both
    policies. Rows are never dropped silently.

Standard errors (``vcov=``); the label under every table is :attr:`ModelResult.vcov_label`
    ``"iid"``            conventional, σ² (X'X)⁻¹ with σ² = SSR / (N − K).
    ``"hc1"``            heteroskedasticity-robust with the N / (N − K) factor.
    ``"hc3"``            MacKinnon–White HC3 (no extra factor), linear models without fixed effects
                         only: pyfixest does not compute the leverage of absorbed effects.
    ``"cluster"``        one-way CRV1 by ``cluster`` (default: ``entity``).
    ``"twoway"``         two-way CRV1 (Cameron–Gelbach–Miller) by two columns (default: ``entity``
                         and ``time``).
    ``"driscoll_kraay"`` Driscoll–Kraay (pyfixest 0.60 ``vcov="DK"``): scores summed by period, then
                         Newey–West with Bartlett weights over ``dk_lags`` lags (default
                         floor(T^0.25), T = number of periods). Needs ``entity`` and ``time``, one
                         row per entity and period; consecutive distinct periods are one step apart.
    Small-sample factors are pyfixest's (fixest's) defaults: K counts the absorbed fixed effects
    except those nested in a cluster, CRV1 multiplies by G/(G−1)·(N−1)/(N−K) (two-way: the smaller
    G), Driscoll–Kraay by T/(T−1)·(N−1)/(N−K). For logit and PPML the iid and hc1 covariances carry
    the same (N−1)/(N−K) and N/(N−K) factors as fixest, so they are slightly larger than statsmodels'
    MLE ones. Linear models use the t distribution with pyfixest's degrees of freedom (clusters − 1
    for clustered, periods − 1 for Driscoll–Kraay, N − K otherwise); logit and PPML the normal.

Rows that are dropped, and always reported in :attr:`ModelResult.warnings` and ``dropped_rows``:
rows with a missing value in the outcome, a regressor or a control (e.g. the first weeks of each
entity when lags are regressors); fixed-effect singletons (the only row of their group, as fixest
drops them); for logit and PPML rows in fixed-effect groups whose outcome is all 0 (or, for logit,
all 1), whose effects are not finite. Missing values in entity, time, fixed-effect, cluster or
weights columns are an error instead.

Numerics: regressors and controls are centred (models with an intercept) and scaled to unit
standard deviation before they are handed to pyfixest, and the coefficients and covariance are
mapped back exactly (β = Aβ*, V = AV*A'); this keeps the normal equations well conditioned (the
NIST Longley problem is reproduced to 10+ significant digits). Fixed effects are demeaned with
pyfixest's alternating projections at tolerance 1e-10; logit and PPML iterate (IRLS) to a
relative deviance change of 1e-10, so their sandwich SEs match statsmodels' to ~1e-9.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError, DataError
from .narrative import column_label, vcov_label

__all__ = [
    "Family",
    "VcovType",
    "ZeroPolicy",
    "FAMILIES",
    "VCOV_TYPES",
    "ZERO_POLICIES",
    "INTERCEPT",
    "TIDY_COLUMNS",
    "MAX_DUMMY_LEVELS",
    "ModelSpec",
    "Coef",
    "ModelResult",
    "estimate",
    "rate_by",
]

Family = Literal["ols", "loglog", "ppml", "logit"]
VcovType = Literal["iid", "hc1", "hc3", "cluster", "twoway", "driscoll_kraay"]
ZeroPolicy = Literal["error", "log1p"]
FAMILIES: tuple[str, ...] = get_args(Family)
VCOV_TYPES: tuple[str, ...] = get_args(VcovType)
ZERO_POLICIES: tuple[str, ...] = get_args(ZeroPolicy)

INTERCEPT = "Intercept"  # pyfixest's (and formulaic's) name for the constant
TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high")
MAX_DUMMY_LEVELS = 200  # fixed effects as dummy columns (weighted binomial GLM) above this: refuse
FIXEF_TOL = 1e-10  # alternating-projections tolerance handed to pyfixest's demeaner
# IRLS convergence (relative deviance change) for logit and PPML. pyfixest's default 1e-8 leaves
# the sandwich evaluated one iterate early (SEs off by ~1e-5 relative); 1e-10 costs an iteration.
IWLS_TOL = 1e-10

_LINEAR = ("ols", "loglog")
_LOGGED = ("loglog", "ppml")  # families whose regressors are log-transformed

_FAMILY_LABELS: dict[str, dict[str, str]] = {
    "ols": {"zh": "线性回归（OLS）", "en": "linear regression (OLS)"},
    "loglog": {"zh": "双对数回归（OLS，弹性）", "en": "log-log regression (OLS, elasticities)"},
    "ppml": {"zh": "泊松伪极大似然（PPML）", "en": "Poisson pseudo-maximum likelihood (PPML)"},
    "logit": {"zh": "Logit 回归", "en": "logit"},
}
_BINOMIAL_LABEL = {"zh": "二项 GLM（logit 连接，按试验数加权）", "en": "binomial GLM (logit link, weighted by trials)"}


# --------------------------------------------------------------------------- small checks


def _check_choice(what: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise AnalysisError(f"{what}: expected one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def _check_conf_level(conf_level: Any) -> float:
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0.0 < float(conf_level) < 1.0:
        raise AnalysisError(f"conf_level: expected a number between 0 and 1 such as 0.95; got {conf_level!r}")
    return float(conf_level)


def _as_names(value: Any, what: str) -> tuple[str, ...]:
    """None → (); "a" → ("a",); a sequence of non-empty strings → a tuple (no repeats)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: tuple[Any, ...] = (value,)
    elif isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (bytes, Mapping)):
        items = tuple(value)
    else:
        raise AnalysisError(f"{what}: expected a column name or a sequence of column names; got {value!r}")
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise AnalysisError(f"{what}: expected column names (non-empty strings); got {item!r}")
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise AnalysisError(f"{what}: {item!r} is listed twice")
        seen.add(item)
    return items


def _optional_name(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AnalysisError(f"{what}: expected a column name; got {value!r}")
    return value


def _fe_parts(fe: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in fe.split("^"))


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class ModelSpec:
    """Every choice of one model, checked and with defaults resolved (immutable).

    ``fixed_effects`` holds column names; an interaction is written ``"category^week"`` as in
    pyfixest. ``cluster`` holds 0–2 column names (resolved: ``entity`` for ``vcov="cluster"``,
    ``(entity, time)`` for ``"twoway"``). ``dk_lags`` is resolved from the data by
    :func:`estimate`. ``weights`` is the trials column of a binomial rate model (logit only).
    """

    outcome: str
    regressors: tuple[str, ...]
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    family: Family = "ols"
    vcov: VcovType = "cluster"
    cluster: tuple[str, ...] = ()
    dk_lags: int | None = None
    zeros: ZeroPolicy = "error"
    conf_level: float = 0.95
    entity: str | None = None
    time: str | None = None
    weights: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        _check_choice("family", self.family, FAMILIES)
        _check_choice("vcov", self.vcov, VCOV_TYPES)
        _check_choice("zeros", self.zeros, ZERO_POLICIES)
        set_(self, "conf_level", _check_conf_level(self.conf_level))
        if not isinstance(self.outcome, str) or not self.outcome.strip():
            raise AnalysisError(f"outcome: expected a column name; got {self.outcome!r}")
        set_(self, "regressors", _as_names(self.regressors, "regressors"))
        if not self.regressors:
            raise AnalysisError("regressors: name at least one column (e.g. the engagement column)")
        set_(self, "controls", _as_names(self.controls, "controls"))
        fes = _as_names(self.fixed_effects, "fixed_effects")
        for fe in fes:
            if any(not p for p in _fe_parts(fe)):
                raise AnalysisError(f"fixed_effects: {fe!r} is not a column name or an interaction such as 'category^week'")
        set_(self, "fixed_effects", tuple("^".join(_fe_parts(fe)) for fe in fes))
        set_(self, "entity", _optional_name(self.entity, "entity"))
        set_(self, "time", _optional_name(self.time, "time"))
        set_(self, "weights", _optional_name(self.weights, "weights"))

        # one role per column
        roles: dict[str, str] = {self.outcome: "the outcome"}
        for role, cols in (("a regressor", self.regressors), ("a control", self.controls)):
            for col in cols:
                if col in roles:
                    raise AnalysisError(f"column {col!r} is used both as {roles[col]} and as {role}")
                roles[col] = role
        for fe in self.fixed_effects:
            for part in _fe_parts(fe):
                if part in roles:
                    raise AnalysisError(f"column {part!r} is used both as {roles[part]} and as a fixed effect")
        if self.weights is not None and self.weights in roles:
            raise AnalysisError(f"column {self.weights!r} is used both as {roles[self.weights]} and as weights")

        # standard errors
        cluster = _as_names(self.cluster, "cluster")
        if self.vcov == "cluster":
            if not cluster:
                if self.entity is None:
                    raise AnalysisError(
                        "vcov='cluster' needs a cluster column: pass cluster='<column>' or entity='<column>' "
                        "(the entity is the default cluster), or choose vcov='hc1' or 'iid'"
                    )
                cluster = (self.entity,)
            if len(cluster) != 1:
                raise AnalysisError(
                    f"vcov='cluster' clusters by one column; got {len(cluster)} ({', '.join(cluster)}); "
                    "use vcov='twoway' for two"
                )
        elif self.vcov == "twoway":
            if not cluster:
                if self.entity is None or self.time is None:
                    raise AnalysisError(
                        "vcov='twoway' needs two cluster columns: pass cluster=('<col1>', '<col2>'), or "
                        "entity= and time= (the default pair)"
                    )
                cluster = (self.entity, self.time)
            if len(cluster) != 2:
                raise AnalysisError(f"vcov='twoway' needs exactly two cluster columns; got {len(cluster)} ({', '.join(cluster)})")
        elif cluster:
            raise AnalysisError(
                f"cluster= is only used with vcov='cluster' or 'twoway'; got vcov={self.vcov!r} with cluster={cluster!r}"
            )
        set_(self, "cluster", cluster)

        if self.vcov == "driscoll_kraay":
            if self.entity is None or self.time is None:
                raise AnalysisError("vcov='driscoll_kraay' needs entity= and time= (the panel's unit and period columns)")
            lags = self.dk_lags
            if lags is not None and (isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0):
                raise AnalysisError(f"dk_lags: expected a non-negative integer or None (floor(T^0.25)); got {lags!r}")
            if lags is not None:
                set_(self, "dk_lags", int(lags))
        elif self.dk_lags is not None:
            raise AnalysisError(f"dk_lags is only used with vcov='driscoll_kraay'; got vcov={self.vcov!r}")

        if self.vcov == "hc3" and (self.fixed_effects or self.family not in _LINEAR):
            raise AnalysisError(
                "vcov='hc3' is offered for linear models (ols, loglog) without fixed effects only: its leverage "
                "correction is not computed for absorbed fixed effects or for GLMs; use vcov='hc1' or 'cluster'"
            )
        if self.weights is not None:
            if self.family != "logit":
                raise AnalysisError(
                    f"weights= (the number of trials of a rate outcome) is only used with family='logit'; got family={self.family!r}"
                )
            if self.vcov in ("hc3", "driscoll_kraay"):
                raise AnalysisError(
                    f"vcov={self.vcov!r} is not offered for the weighted binomial GLM (statsmodels); "
                    "use 'iid', 'hc1', 'cluster' or 'twoway'"
                )

    @property
    def fe_columns(self) -> tuple[str, ...]:
        """The data columns behind the fixed effects (interactions split), in order, no repeats."""
        out: list[str] = []
        for fe in self.fixed_effects:
            for part in _fe_parts(fe):
                if part not in out:
                    out.append(part)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "regressors": list(self.regressors),
            "controls": list(self.controls),
            "fixed_effects": list(self.fixed_effects),
            "family": self.family,
            "vcov": self.vcov,
            "cluster": list(self.cluster),
            "dk_lags": self.dk_lags,
            "zeros": self.zeros,
            "conf_level": self.conf_level,
            "entity": self.entity,
            "time": self.time,
            "weights": self.weights,
        }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Coef:
    """One coefficient (or linear combination) with its inference."""

    term: str
    estimate: float
    std_error: float
    statistic: float  # t (linear models) or z (logit, PPML)
    p_value: float
    ci_low: float
    ci_high: float


def _jsonable(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class ModelResult:
    """A fitted model (immutable). ``tidy()`` builds a fresh DataFrame each time.

    ``coefficients`` are in the model's order (the intercept first when there is one, then the
    regressors, then the controls); ``vcov_matrix`` is their covariance in the same order.
    ``df_t`` is the t distribution's degrees of freedom used for p-values and CIs (None: normal).
    ``r2``, ``adj_r2`` and ``resid_sd`` are defined for linear models only, ``r2_within`` for
    linear models with fixed effects, ``pseudo_r2`` (McFadden, against an intercept-only model) for
    logit and PPML. ``warnings`` (English) and ``warnings_zh`` (Chinese) say what the report must
    show: rows dropped and why, log1p used, anything the estimator reported.
    """

    spec: ModelSpec
    coefficients: tuple[Coef, ...]
    n_obs: int
    n_clusters: tuple[int, ...]
    r2: float | None
    r2_within: float | None
    adj_r2: float | None
    pseudo_r2: float | None
    log_likelihood: float | None
    formula: str
    vcov_label: dict[str, str] = field(hash=False)
    warnings: tuple[str, ...]
    dropped_rows: int
    family_label: dict[str, str] = field(hash=False)
    df_t: int | None = None
    vcov_matrix: tuple[tuple[float, ...], ...] = ()
    resid_sd: float | None = None
    warnings_zh: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(c.term for c in self.coefficients)

    def tidy(self) -> pd.DataFrame:
        """Columns term, estimate, std_error, statistic, p_value, ci_low, ci_high (one row per term)."""
        rows = [
            (c.term, c.estimate, c.std_error, c.statistic, c.p_value, c.ci_low, c.ci_high) for c in self.coefficients
        ]
        return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))

    def coef(self, term: str) -> Coef:
        for c in self.coefficients:
            if c.term == term:
                return c
        raise AnalysisError(f"no term {term!r} in the model; its terms are {', '.join(repr(t) for t in self.terms)}")

    def lincom(self, weights: Mapping[str, float], name: str | None = None) -> Coef:
        """A linear combination Σ w_k β_k with SE sqrt(w'Vw) from the model's covariance matrix.

        E.g. the long-run elasticity ``{"log_engagement": 1, "log_engagement_l1": 1, …}``. The
        statistic, p-value and CI use the model's distribution (t with ``df_t``, or normal).
        """
        if not isinstance(weights, Mapping) or not weights:
            raise AnalysisError(f"lincom: expected a non-empty mapping of term → weight; got {weights!r}")
        terms = self.terms
        w = np.zeros(len(terms))
        for term, value in weights.items():
            if term not in terms:
                raise AnalysisError(f"lincom: no term {term!r} in the model; its terms are {', '.join(repr(t) for t in terms)}")
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
                raise AnalysisError(f"lincom: the weight of {term!r} must be a finite number; got {value!r}")
            w[terms.index(term)] = float(value)
        beta = np.array([c.estimate for c in self.coefficients])
        vcov = np.array(self.vcov_matrix, dtype=float)
        est = float(w @ beta)
        se = float(math.sqrt(max(float(w @ vcov @ w), 0.0)))
        if name is None:
            name = _combination_name(weights)
        return _inference(name, est, se, self.df_t, self.spec.conf_level)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (non-finite numbers become None)."""
        return {
            "spec": self.spec.to_dict(),
            "formula": self.formula,
            "family_label": dict(self.family_label),
            "vcov_label": dict(self.vcov_label),
            "coefficients": [
                {
                    "term": c.term,
                    "estimate": _jsonable(c.estimate),
                    "std_error": _jsonable(c.std_error),
                    "statistic": _jsonable(c.statistic),
                    "p_value": _jsonable(c.p_value),
                    "ci_low": _jsonable(c.ci_low),
                    "ci_high": _jsonable(c.ci_high),
                }
                for c in self.coefficients
            ],
            "n_obs": int(self.n_obs),
            "n_clusters": [int(g) for g in self.n_clusters],
            "r2": _jsonable(self.r2),
            "r2_within": _jsonable(self.r2_within),
            "adj_r2": _jsonable(self.adj_r2),
            "pseudo_r2": _jsonable(self.pseudo_r2),
            "log_likelihood": _jsonable(self.log_likelihood),
            "resid_sd": _jsonable(self.resid_sd),
            "df_t": self.df_t,
            "vcov_matrix": [[_jsonable(v) for v in row] for row in self.vcov_matrix],
            "warnings": list(self.warnings),
            "warnings_zh": list(self.warnings_zh),
            "dropped_rows": int(self.dropped_rows),
        }


def _combination_name(weights: Mapping[str, float]) -> str:
    parts = []
    for i, (term, w) in enumerate(weights.items()):
        w = float(w)
        sign = "−" if w < 0 else "+"
        mag = abs(w)
        body = term if mag == 1 else f"{mag:g}·{term}"
        parts.append(("−" + body if w < 0 else body) if i == 0 else f" {sign} {body}")
    return "".join(parts)


def _inference(term: str, est: float, se: float, df_t: int | None, conf_level: float) -> Coef:
    stat = est / se if se > 0 else float("nan")
    if df_t is None:
        p = float(2.0 * stats.norm.sf(abs(stat)))
        crit = float(stats.norm.ppf(0.5 + conf_level / 2.0))
    else:
        p = float(2.0 * stats.t.sf(abs(stat), df_t))
        crit = float(stats.t.ppf(0.5 + conf_level / 2.0, df_t))
    return Coef(term=term, estimate=est, std_error=se, statistic=float(stat), p_value=p,
                ci_low=est - crit * se, ci_high=est + crit * se)


# --------------------------------------------------------------------------- notes (warnings)


class _Notes:
    """Warnings for the result, in English and Chinese."""

    def __init__(self) -> None:
        self.en: list[str] = []
        self.zh: list[str] = []

    def add(self, en: str, zh: str) -> None:
        self.en.append(en)
        self.zh.append(zh)


# --------------------------------------------------------------------------- data checks


def _check_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("the data have no rows")
    return data


def _check_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        if col not in data.columns:
            available = ", ".join(map(str, data.columns)) or "(none)"
            raise DataError(f"column {col!r} not found; available columns: {available}", column=col)


def _numeric(series: pd.Series, col: str, role: str) -> np.ndarray:
    """The column as float64 (bool → 0/1); DataError naming the column and its first bad values."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        return series.to_numpy(dtype=float, na_value=np.nan)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = series[coerced.isna() & series.notna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad.to_numpy())[:3])
        raise DataError(
            f"column {col!r} ({role}) must be numeric; it has dtype {dtype} and {len(bad)} value(s) that are "
            f"not numbers, e.g. {shown}",
            column=col,
        )
    first = ", ".join(str(v) for v in series.dropna().to_numpy()[:3])
    raise DataError(
        f"column {col!r} ({role}) must be numeric; it has dtype {dtype} (values such as {first}); "
        "convert it with pandas.to_numeric first",
        column=col,
    )


def _codes(values: np.ndarray, col: str, *, sort: bool = False) -> np.ndarray:
    try:
        codes, _ = pd.factorize(values, sort=sort)
    except TypeError as exc:
        raise DataError(f"column {col!r} mixes values that cannot be ordered: {exc}", column=col) from exc
    return codes.astype(np.int64)


def _combine_codes(parts: list[np.ndarray]) -> np.ndarray:
    out = parts[0]
    for nxt in parts[1:]:
        out = pd.factorize(out * (int(nxt.max()) + 1) + nxt)[0].astype(np.int64)
    return out


def _n_levels(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _log_transform(
    values: np.ndarray, col: str, role: str, policy: str, family: str, notes: _Notes
) -> tuple[np.ndarray, str]:
    """log (or, under zeros='log1p' for a column with zeros, log1p) of a column; the term prefix."""
    n = len(values)
    n_neg = int((values < 0).sum())
    n_zero = int((values == 0).sum())
    if policy == "error" and (n_neg or n_zero):
        raise AnalysisError(
            f"column {col!r} has {n_neg + n_zero} zero or negative row(s) out of {n}, so its log is undefined "
            f"(family={family!r} takes the log of the {role}); rows are not dropped silently. Use zeros='log1p' "
            "to take log(1 + x) on purpose (recorded as a warning in the result)"
            + (", or family='ppml' (Poisson PPML), which keeps a count or GMV outcome with zeros in levels"
               if family != "ppml" else "")
        )
    if n_neg:
        raise AnalysisError(
            f"column {col!r} has {n_neg} negative row(s) out of {n}; neither log nor log1p is meaningful for "
            "negative values (zeros='log1p' only handles zeros)"
        )
    if n_zero:
        notes.add(
            f"log1p: {col!r} has {_fmt_int(n_zero)} zero row(s) of {_fmt_int(n)}, so log(1 + {col}) is used instead "
            f"of log({col}) (term log1p_{col}); near zero its coefficient is not an exact elasticity"
            + ("; PPML (family='ppml') handles zeros in the outcome without a transform" if role == "outcome" else ""),
            f"log1p：{col!r} 有 {_fmt_int(n_zero)} 行为零（共 {_fmt_int(n)} 行），故以 log(1 + {col}) 代替 log({col})"
            f"（项名 log1p_{col}）；在零附近其系数并非严格的弹性"
            + ("；泊松伪极大似然（PPML）可直接处理结果变量中的零" if role == "outcome" else ""),
        )
        return np.log1p(values), "log1p_"
    return np.log(values), "log_"


# --------------------------------------------------------------------------- prepared data


@dataclass
class _Prepared:
    spec: ModelSpec
    y: np.ndarray  # transformed outcome, used rows
    x: np.ndarray  # (n, k) transformed regressors then controls, used rows
    columns: tuple[str, ...]  # the data columns behind x
    terms: tuple[str, ...]  # term names of x (display)
    y_term: str
    fe_codes: list[np.ndarray]  # one code vector per fixed effect (interactions combined)
    key_codes: dict[str, np.ndarray]  # internal name → codes, for cluster columns
    fe_names: list[str]  # internal names of the fixed-effect columns
    cluster_names: list[str]  # internal names of the cluster columns
    dk_time: np.ndarray | None
    dk_entity: np.ndarray | None
    weights: np.ndarray | None
    n_input: int
    notes: _Notes
    formula: str
    n_params: int  # coefficients (incl. intercept) + absorbed fixed-effect parameters
    n_fe_params: int


def _prune(y: np.ndarray, fe_codes: list[np.ndarray], family: str) -> tuple[np.ndarray, int, int]:
    """Rows to keep after dropping separated fixed-effect groups (GLMs) and singletons, repeatedly."""
    n = len(y)
    alive = np.ones(n, dtype=bool)
    n_sep = n_single = 0
    if not fe_codes:
        return alive, 0, 0
    sizes = [int(c.max()) + 1 for c in fe_codes]
    while True:
        changed = False
        if family in ("ppml", "logit"):
            for codes, m in zip(fe_codes, sizes):
                idx = np.flatnonzero(alive)
                c, yy = codes[idx], y[idx]
                bad = np.bincount(c, weights=yy, minlength=m) <= 0  # all 0 (y ≥ 0)
                if family == "logit":
                    bad |= np.bincount(c, weights=1.0 - yy, minlength=m) <= 0  # all 1
                drop = bad[c]
                if drop.any():
                    alive[idx[drop]] = False
                    n_sep += int(drop.sum())
                    changed = True
        for codes, m in zip(fe_codes, sizes):
            idx = np.flatnonzero(alive)
            c = codes[idx]
            drop = np.bincount(c, minlength=m)[c] == 1
            if drop.any():
                alive[idx[drop]] = False
                n_single += int(drop.sum())
                changed = True
        if not changed:
            return alive, n_sep, n_single


def _prepare(data: Any, spec: ModelSpec) -> _Prepared:
    data = _check_frame(data)
    n_input = len(data)
    notes = _Notes()
    keys = list(dict.fromkeys([*spec.fe_columns, *spec.cluster, *(c for c in (spec.entity, spec.time) if c)]))
    numeric_cols = [spec.outcome, *spec.regressors, *spec.controls]
    _check_columns(data, [*numeric_cols, *keys, *([spec.weights] if spec.weights else [])])

    # keys: no missing values (never dropped silently)
    for col in keys:
        n_missing = int(data[col].isna().sum())
        if n_missing:
            raise DataError(
                f"column {col!r} (entity, time, fixed-effect or cluster key) has {n_missing} missing value(s) "
                f"out of {n_input}; every row needs one (fill or drop them explicitly first)",
                column=col,
            )

    roles = {spec.outcome: "outcome", **{c: "regressor" for c in spec.regressors}, **{c: "control" for c in spec.controls}}
    raw = {col: _numeric(data[col], col, roles[col]) for col in numeric_cols}
    for col, values in raw.items():
        n_inf = int(np.isinf(values).sum())
        if n_inf:
            raise DataError(f"column {col!r} has {n_inf} infinite value(s); fix them explicitly before modelling", column=col)
    weights = None
    if spec.weights:
        weights = _numeric(data[spec.weights], spec.weights, "weights (trials)")
        bad = int((~np.isfinite(weights)).sum())
        if bad:
            raise DataError(f"column {spec.weights!r} (weights) has {bad} missing or infinite value(s)", column=spec.weights)
        n_nonpos = int((weights <= 0).sum())
        if n_nonpos:
            raise DataError(
                f"column {spec.weights!r} (weights: the number of trials) has {n_nonpos} zero or negative value(s)",
                column=spec.weights,
            )

    # rows with missing outcome/regressors/controls: dropped, and said so
    missing = {col: np.isnan(v) for col, v in raw.items()}
    any_missing = np.zeros(n_input, dtype=bool)
    for m in missing.values():
        any_missing |= m
    n_missing_rows = int(any_missing.sum())
    if n_missing_rows == n_input:
        raise AnalysisError("every row has a missing value in the outcome, a regressor or a control; nothing to fit")
    if n_missing_rows:
        detail = ", ".join(f"{col}: {_fmt_int(int(m.sum()))}" for col, m in missing.items() if m.any())
        detail_zh = "，".join(f"{col}：{_fmt_int(int(m.sum()))}" for col, m in missing.items() if m.any())
        notes.add(
            f"dropped {_fmt_int(n_missing_rows)} of {_fmt_int(n_input)} rows with missing values ({detail})",
            f"删除 {_fmt_int(n_missing_rows)} 行含缺失值的观测（共 {_fmt_int(n_input)} 行；{detail_zh}）",
        )
    keep = ~any_missing
    vals = {col: v[keep] for col, v in raw.items()}
    if weights is not None:
        weights = weights[keep]

    # the outcome's values and the logs
    y = vals[spec.outcome]
    family = spec.family
    if family == "logit":
        if weights is None:
            odd = np.unique(y[(y != 0) & (y != 1)])
            if len(odd):
                shown = ", ".join(f"{v:g}" for v in odd[:3])
                raise AnalysisError(
                    f"family='logit' needs a binary 0/1 (or True/False) outcome; {spec.outcome!r} has other values "
                    f"({shown}{', …' if len(odd) > 3 else ''}); for a rate in [0, 1] pass weights='<trials column>'"
                )
        else:
            n_out = int(((y < 0) | (y > 1)).sum())
            if n_out:
                raise AnalysisError(
                    f"a binomial rate model needs an outcome in [0, 1]; {spec.outcome!r} has {n_out} row(s) outside it"
                )
    elif family == "ppml":
        n_neg = int((y < 0).sum())
        if n_neg:
            raise AnalysisError(
                f"family='ppml' needs a non-negative outcome (a count or an amount); {spec.outcome!r} has {n_neg} negative row(s)"
            )
    y_term = spec.outcome
    if family == "loglog":
        y, prefix = _log_transform(y, spec.outcome, "outcome", spec.zeros, family, notes)
        y_term = prefix + spec.outcome
    x_cols = [*spec.regressors, *spec.controls]
    x_list, terms = [], []
    for col in x_cols:
        v = vals[col]
        if family in _LOGGED and col in spec.regressors:
            v, prefix = _log_transform(v, col, "regressors", spec.zeros, family, notes)
            terms.append(prefix + col)
        else:
            terms.append(col)
        x_list.append(v)
    if len(set(terms)) != len(terms) or y_term in terms:
        dup = [t for t in terms if terms.count(t) > 1 or t == y_term]
        raise AnalysisError(f"two model terms would share the name {dup[0]!r}; rename one of the columns")
    x = np.column_stack(x_list) if x_list else np.empty((len(y), 0))

    # keys as integer codes (same internal name for the same column: pyfixest detects fixed
    # effects nested in a cluster by name)
    internal = {col: f"rk_k{j}" for j, col in enumerate(keys)}
    key_raw = {col: data[col].to_numpy()[keep] for col in keys}
    codes_of = {col: _codes(key_raw[col], col) for col in dict.fromkeys([*spec.fe_columns, *spec.cluster])}
    fe_codes, fe_names = [], []
    for j, fe in enumerate(spec.fixed_effects):
        parts = _fe_parts(fe)
        if len(parts) == 1:
            fe_codes.append(codes_of[parts[0]])
            fe_names.append(internal[parts[0]])
        else:
            fe_codes.append(_combine_codes([codes_of[p] for p in parts]))
            fe_names.append(f"rk_fx{j}")

    # separated groups and singletons
    alive, n_sep, n_single = _prune(y, fe_codes, family)
    if n_sep:
        what = "all 0 or all 1" if family == "logit" else "all 0"
        what_zh = "全为 0 或全为 1" if family == "logit" else "全为 0"
        notes.add(
            f"dropped {_fmt_int(n_sep)} row(s) in fixed-effect groups whose outcome is {what} (perfect separation: "
            "their effects are not finite and the rows carry no information on the coefficients)",
            f"删除 {_fmt_int(n_sep)} 行：其固定效应组内结果变量{what_zh}（完全分离，该组效应不是有限值，"
            "这些行对系数没有信息）",
        )
    if n_single:
        notes.add(
            f"dropped {_fmt_int(n_single)} singleton row(s) (the only row of their fixed-effect group), as fixest does",
            f"删除 {_fmt_int(n_single)} 个单例观测（其固定效应组内仅此一行），与 fixest 的做法一致",
        )
    if not alive.all():
        y, x = y[alive], x[alive]
        fe_codes = [c[alive] for c in fe_codes]
        codes_of = {col: c[alive] for col, c in codes_of.items()}
        key_raw = {col: v[alive] for col, v in key_raw.items()}
        if weights is not None:
            weights = weights[alive]
    n = len(y)
    if n == 0:
        raise AnalysisError("no rows are left after dropping missing values, singletons and separated groups")

    # variation
    if np.ptp(y) == 0:
        raise AnalysisError(
            f"the outcome {spec.outcome!r} has no variation: all {_fmt_int(n)} rows used have the value {y[0]:g}"
        )
    for j, col in enumerate(x_cols):
        if np.ptp(x[:, j]) == 0:
            role = "regressor" if col in spec.regressors else "control"
            raise AnalysisError(
                f"{role} {col!r} has no variation: all {_fmt_int(n)} rows used have the same value "
                f"({x[0, j]:g}{' after the log' if terms[j] != col else ''}); its coefficient is not identified"
            )

    # parameters vs observations
    k = x.shape[1]
    if fe_codes:
        n_fe_params = sum(_n_levels(c) for c in fe_codes) - (len(fe_codes) - 1)
        n_params = k + n_fe_params
    else:
        n_fe_params = 0
        n_params = k + 1
    if n <= n_params:
        detail = f"{k} coefficient(s) + {n_fe_params} fixed-effect level(s)" if fe_codes else f"{k} coefficient(s) + the intercept"
        raise AnalysisError(
            f"fewer observations than parameters: {n} row(s) but {n_params} parameters ({detail}); "
            "the model needs more rows than parameters"
        )

    # clusters
    cluster_names = [internal[c] for c in spec.cluster]
    for col in spec.cluster:
        g = _n_levels(codes_of[col])
        if g < 2:
            raise AnalysisError(f"clustering by {col!r} needs at least 2 clusters; the rows used have {g}")

    # Driscoll–Kraay
    dk_time = dk_entity = None
    if spec.vcov == "driscoll_kraay":
        assert spec.entity is not None and spec.time is not None
        dk_time = _codes(key_raw[spec.time], spec.time, sort=True)
        dk_entity = _codes(key_raw[spec.entity], spec.entity)
        n_periods = int(dk_time.max()) + 1
        pair = dk_entity * n_periods + dk_time
        if len(np.unique(pair)) != n:
            raise AnalysisError(
                f"vcov='driscoll_kraay' needs one row per {spec.entity} and {spec.time}; some pairs repeat"
            )
        if n_periods < 2:
            raise AnalysisError(f"vcov='driscoll_kraay' needs at least 2 periods of {spec.time!r}; the rows used have {n_periods}")
        lags = spec.dk_lags if spec.dk_lags is not None else int(math.floor(n_periods**0.25))
        if lags >= n_periods:
            raise AnalysisError(f"dk_lags={lags} must be smaller than the number of periods ({n_periods})")
        spec = replace(spec, dk_lags=lags)

    # the weighted binomial GLM puts fixed effects in as dummies: only a few levels each
    if spec.weights is not None:
        for fe, codes in zip(spec.fixed_effects, fe_codes):
            levels = _n_levels(codes)
            if levels > MAX_DUMMY_LEVELS:
                raise AnalysisError(
                    f"fixed effect {fe!r} has {levels} levels; the weighted binomial GLM (rate outcome with weights=) "
                    f"adds fixed effects as dummy columns, which is refused above {MAX_DUMMY_LEVELS} levels (memory, "
                    "time and the incidental-parameter bias); use a binary outcome (one row per trial) with "
                    "family='logit', which absorbs fixed effects, or fewer levels"
                )

    rhs = " + ".join(terms)
    formula = f"{y_term} ~ {rhs}" + (f" | {' + '.join(spec.fixed_effects)}" if spec.fixed_effects else "")
    return _Prepared(
        spec=spec,
        y=y,
        x=x,
        columns=tuple(x_cols),
        terms=tuple(terms),
        y_term=y_term,
        fe_codes=fe_codes,
        key_codes={internal[c]: codes_of[c] for c in spec.cluster},
        fe_names=fe_names,
        cluster_names=cluster_names,
        dk_time=dk_time,
        dk_entity=dk_entity,
        weights=weights,
        n_input=n_input,
        notes=notes,
        formula=formula,
        n_params=n_params,
        n_fe_params=n_fe_params,
    )


# --------------------------------------------------------------------------- diagnosis


def _residualize(p: _Prepared, x: np.ndarray) -> np.ndarray:
    """x with the fixed effects (or, without them, the mean) removed."""
    if not p.fe_codes:
        return x - x.mean(axis=0)
    from pyfixest.estimation import demean

    flist = np.column_stack(p.fe_codes).astype(np.uint64)
    out, _ = demean(np.ascontiguousarray(x, dtype=float), flist, np.ones(len(x)), tol=1e-10, maxiter=100_000)
    return np.asarray(out)


def _design_problems(p: _Prepared, resid: np.ndarray) -> list[str]:
    """Columns absorbed by the fixed effects and exact linear dependencies among the columns."""
    problems: list[str] = []
    n, k = resid.shape
    fe_text = " + ".join(p.spec.fixed_effects)
    basis: list[int] = []
    q = np.zeros((n, 0))
    for j in range(k):
        col = p.columns[j]
        r = resid[:, j]
        total = float(np.linalg.norm(p.x[:, j] - p.x[:, j].mean()))
        nr = float(np.linalg.norm(r))
        if nr <= 1e-6 * total:
            problems.append(
                f"{col!r} does not vary within the fixed effects ({fe_text}): it is absorbed by them, so its "
                "coefficient is not identified; drop it or the fixed effect that absorbs it"
            )
            continue
        e = r - q @ (q.T @ r)
        if float(np.linalg.norm(e)) <= 1e-7 * nr:
            coef, *_ = np.linalg.lstsq(resid[:, basis], r, rcond=None)
            parts = [
                p.columns[i]
                for i, c in zip(basis, coef)
                if abs(c) * float(np.linalg.norm(resid[:, i])) > 1e-6 * nr
            ]
            others = ", ".join(repr(c) for c in parts) or "the other columns"
            problems.append(
                f"collinear regressors: {col!r} is an exact linear combination of {others}"
                + (" (after removing the fixed effects)" if p.fe_codes else "")
                + "; drop one of them"
            )
            continue
        e = e / np.linalg.norm(e)
        e = e - q @ (q.T @ e)
        q = np.column_stack([q, e / np.linalg.norm(e)])
        basis.append(j)
    return problems


def _design_error(p: _Prepared, scaled: np.ndarray, fallback: str) -> AnalysisError:
    """The error to raise when the estimator failed or dropped terms: named design problems if any."""
    problems = _design_problems(p, _residualize(p, scaled))
    return AnalysisError("; ".join(problems) if problems else fallback)


# --------------------------------------------------------------------------- estimation


@contextmanager
def _quiet(notes: _Notes, source: str) -> Iterator[None]:
    """Silence warnings inside our estimator calls only; keep the ones a reader should see.

    pyfixest 0.60 calls pandas with ``inplace=`` (deprecated in pandas 3) and announces drops
    that :func:`_prepare` has already done and reported; deprecation/future warnings are
    dropped, any other warning is recorded in the result's warnings.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)):
            continue
        text = " ".join(str(w.message).split())
        if "dropped due to multicollinearity" in text or text in seen:  # handled: raises with names
            continue
        seen.add(text)
        notes.add(f"{source}: {text}", f"{source} 提示：{text}")


def _scaling(x: np.ndarray, center: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0) if center else np.zeros(x.shape[1])
    scale = x.std(axis=0)
    return (x - mean) / scale, mean, scale


def _back_transform(beta: np.ndarray, vcov: np.ndarray, has_intercept: bool, mean: np.ndarray, scale: np.ndarray):
    """β = Aβ*, V = AV*A' for x* = (x − mean)/scale (the intercept first when present)."""
    k = len(scale)
    off = 1 if has_intercept else 0
    a = np.zeros((k + off, k + off))
    if has_intercept:
        a[0, 0] = 1.0
        a[0, 1:] = -mean / scale
    a[off:, off:] = np.diag(1.0 / scale)
    return a @ beta, a @ vcov @ a.T


def _pyfixest_internals(fit: Any) -> dict[str, Any]:
    """Numbers pyfixest 0.60 computes but exposes only as private attributes (all in one place).

    The public API gives coefficients, SEs and tidy tables, but not the covariance matrix, the
    degrees of freedom used, N after its own drops, or the fit statistics.
    """
    def get(name: str) -> Any:
        return getattr(fit, name, None)

    return {
        "names": [str(n) for n in fit._coefnames],
        "beta": np.asarray(fit._beta_hat, dtype=float).ravel(),
        "vcov": np.asarray(fit._vcov, dtype=float),
        "n_obs": int(fit._N),
        "df_t": int(np.min(np.asarray(fit._df_t))),
        "r2": get("_r2"),
        "adj_r2": get("_adj_r2"),
        "r2_within": get("_r2_within"),
        "loglik": get("_loglik"),
        "pseudo_r2": get("_pseudo_r2"),
        "mu": get("_Y_hat_response"),
    }


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        value = float(np.asarray(value).ravel()[0]) if np.ndim(value) else float(value)
    except (TypeError, ValueError, IndexError):
        return None
    return value if math.isfinite(value) else None


def _vcov_argument(p: _Prepared) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
    import pyfixest as pf

    v = p.spec.vcov
    if v == "iid":
        return "iid", None, None
    if v == "hc1":
        return "HC1", None, None
    if v == "hc3":
        return "HC3", None, pf.ssc(k_adj=False)  # MacKinnon–White HC3 has no N/(N−K) factor
    if v in ("cluster", "twoway"):
        return {"CRV1": "+".join(p.cluster_names)}, None, None
    return "DK", {"time_id": "rk_t", "panel_id": "rk_i", "lag": int(p.spec.dk_lags or 0)}, None


def _fit_pyfixest(p: _Prepared) -> dict[str, Any]:
    import pyfixest as pf

    has_fe = bool(p.fe_codes)
    scaled, mean, scale = _scaling(p.x, center=not has_fe)
    frame: dict[str, Any] = {"rk_y": p.y}
    xnames = [f"rk_x{j}" for j in range(p.x.shape[1])]
    for j, name in enumerate(xnames):
        frame[name] = scaled[:, j]
    for name, codes in zip(p.fe_names, p.fe_codes):
        frame[name] = codes
    for name in p.cluster_names:
        frame.setdefault(name, p.key_codes[name])
    if p.dk_time is not None:
        frame["rk_t"] = p.dk_time
        frame["rk_i"] = p.dk_entity
    df = pd.DataFrame(frame)
    fml = "rk_y ~ " + " + ".join(xnames) + (" | " + " + ".join(p.fe_names) if has_fe else "")
    vcov, vcov_kwargs, ssc = _vcov_argument(p)
    kwargs: dict[str, Any] = {"vcov": vcov, "vcov_kwargs": vcov_kwargs, "copy_data": False}
    if ssc is not None:
        kwargs["ssc"] = ssc
    family = p.spec.family
    try:
        with _quiet(p.notes, "pyfixest"):
            if family in _LINEAR:
                kwargs["demeaner"] = pf.MapDemeaner(fixef_tol=FIXEF_TOL)
                fit = pf.feols(fml, data=df, **kwargs)
            elif family == "ppml":
                fit = pf.fepois(fml, data=df, iwls_tol=IWLS_TOL, iwls_maxiter=100, **kwargs)
            else:
                fit = pf.feglm(fml, data=df, family="logit", separation_check=[], iwls_tol=IWLS_TOL,
                               iwls_maxiter=100, **kwargs)
            got = _pyfixest_internals(fit)
    except Exception as exc:  # pyfixest raises many types; explain the design, else wrap
        raise _design_error(
            p, scaled, f"pyfixest could not fit {p.formula!r} on {len(p.y)} rows: {type(exc).__name__}: "
            + " ".join(str(exc).split())
        ) from exc
    wanted = (["Intercept"] if not has_fe else []) + xnames
    if got["names"] != wanted:
        dropped = [p.columns[xnames.index(n)] for n in xnames if n not in got["names"]]
        raise _design_error(
            p, scaled, f"pyfixest dropped {', '.join(repr(d) for d in dropped)} as collinear (tolerance 1e-9); "
            "the remaining coefficients would not be the model asked for"
        )
    beta, vcov_m = _back_transform(got["beta"], got["vcov"], not has_fe, mean, scale)
    got["beta"], got["vcov"] = beta, vcov_m
    got["terms"] = ([INTERCEPT] if not has_fe else []) + list(p.terms)

    if got["n_obs"] != len(p.y):
        extra = len(p.y) - got["n_obs"]
        p.notes.add(
            f"pyfixest dropped {_fmt_int(extra)} further row(s) (singletons or separation it detected)",
            f"pyfixest 另删除 {_fmt_int(extra)} 行（其检测到的单例或完全分离）",
        )
    n = got["n_obs"]
    stats_: dict[str, Any] = {"df_t": got["df_t"] if family in _LINEAR else None}
    if family in _LINEAR:
        resid = np.asarray(fit.resid(), dtype=float).ravel()
        ssr = float(resid @ resid)
        stats_.update(
            r2=_finite_or_none(got["r2"]),
            adj_r2=_finite_or_none(got["adj_r2"]),
            r2_within=_finite_or_none(got["r2_within"]) if has_fe else None,
            pseudo_r2=None,
            log_likelihood=-0.5 * n * (math.log(2.0 * math.pi) + math.log(ssr / n) + 1.0) if ssr > 0 else None,
            resid_sd=math.sqrt(ssr / (n - p.n_params)) if n > p.n_params else None,
        )
    elif family == "ppml":
        stats_.update(r2=None, adj_r2=None, r2_within=None, pseudo_r2=_finite_or_none(got["pseudo_r2"]),
                      log_likelihood=_finite_or_none(got["loglik"]), resid_sd=None)
    else:
        mu = np.clip(np.asarray(got["mu"], dtype=float).ravel(), 1e-300, 1 - 1e-16)
        yv = p.y if len(mu) == len(p.y) else None
        if yv is not None:
            ll = float(np.sum(yv * np.log(mu) + (1 - yv) * np.log1p(-mu)))
            pbar = float(yv.mean())
            ll0 = len(yv) * (pbar * math.log(pbar) + (1 - pbar) * math.log1p(-pbar))
            pseudo = 1.0 - ll / ll0
        else:
            ll = pseudo = None
        stats_.update(r2=None, adj_r2=None, r2_within=None, pseudo_r2=pseudo, log_likelihood=ll, resid_sd=None)
    got.update(stats_)
    return got


def _fit_binomial_glm(p: _Prepared) -> dict[str, Any]:
    """Binomial GLM (logit link) for a rate outcome weighted by trials: statsmodels, FE as dummies."""
    import statsmodels.api as sm

    scaled, mean, scale = _scaling(p.x, center=True)
    blocks = [np.ones((len(p.y), 1))]
    for codes in p.fe_codes:
        codes = pd.factorize(codes)[0]
        levels = int(codes.max()) + 1
        if levels > 1:
            d = np.zeros((len(codes), levels - 1))
            rows = np.flatnonzero(codes > 0)
            d[rows, codes[rows] - 1] = 1.0
            blocks.append(d)
    dummies = np.hstack(blocks)
    coef, *_ = np.linalg.lstsq(dummies, scaled, rcond=None)
    problems = _design_problems(p, scaled - dummies @ coef)
    if problems:
        raise AnalysisError("; ".join(problems))
    exog = np.hstack([dummies[:, :1], scaled, dummies[:, 1:]])
    k = 1 + scaled.shape[1]
    v = p.spec.vcov
    if v == "iid":
        fit_kw: dict[str, Any] = {"cov_type": "nonrobust"}
    elif v == "hc1":
        fit_kw = {"cov_type": "HC1"}
    else:
        groups = np.column_stack([p.key_codes[name] for name in p.cluster_names])
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups[:, 0] if groups.shape[1] == 1 else groups}}
    model = sm.GLM(p.y, exog, family=sm.families.Binomial(), var_weights=p.weights)
    try:
        with _quiet(p.notes, "statsmodels"):
            res = model.fit(**fit_kw)
            pseudo = float(res.pseudo_rsquared(kind="mcf"))
    except Exception as exc:
        raise AnalysisError(f"statsmodels could not fit {p.formula!r}: {type(exc).__name__}: {exc}") from exc
    beta = np.asarray(res.params, dtype=float)[:k]
    vcov = np.asarray(res.cov_params(), dtype=float)[:k, :k]
    beta, vcov = _back_transform(beta, vcov, True, mean, scale)
    return {
        "terms": [INTERCEPT, *p.terms],
        "beta": beta,
        "vcov": vcov,
        "n_obs": len(p.y),
        "df_t": None,
        "r2": None,
        "adj_r2": None,
        "r2_within": None,
        "pseudo_r2": _finite_or_none(pseudo),
        "log_likelihood": _finite_or_none(res.llf),
        "resid_sd": None,
    }


def _vcov_label(spec: ModelSpec) -> dict[str, str]:
    v = spec.vcov
    if v == "iid":
        return {"zh": "普通标准误（iid）", "en": "conventional standard errors (iid)"}
    if v == "hc1":
        return {"zh": "稳健标准误（HC1）", "en": "heteroskedasticity-robust standard errors (HC1)"}
    if v == "hc3":
        return {"zh": "稳健标准误（HC3）", "en": "heteroskedasticity-robust standard errors (HC3)"}
    if v == "cluster":
        (c,) = spec.cluster
        return {"zh": vcov_label(c, "zh"), "en": vcov_label(c, "en")}
    if v == "twoway":
        a, b = spec.cluster
        return {"zh": f"双向聚类（{column_label(a, 'zh')}、{column_label(b, 'zh')}）",
                "en": f"two-way clustered by {a} and {b} (CRV1)"}
    lags = int(spec.dk_lags or 0)
    return {"zh": f"Driscoll–Kraay（滞后 {lags} 期）", "en": f"Driscoll–Kraay ({lags} lag{'s' if lags != 1 else ''})"}


def estimate(
    data: pd.DataFrame,
    *,
    outcome: str,
    regressors: str | Sequence[str],
    controls: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] = (),
    family: Family = "ols",
    vcov: VcovType = "cluster",
    cluster: str | Sequence[str] | None = None,
    entity: str | None = None,
    time: str | None = None,
    dk_lags: int | None = None,
    zeros: ZeroPolicy = "error",
    conf_level: float = 0.95,
    weights: str | None = None,
) -> ModelResult:
    """Fit one model (see the module docstring for families, zeros and standard errors).

    Raises
    ------
    AnalysisError
        An unknown option ("expected one of …; got …"), a regressor without variation (also
        within the fixed effects), collinear regressors (named), zeros or negatives in a log,
        fewer rows than parameters, fewer than 2 clusters, a non-binary logit outcome, …
    DataError
        A column is missing (the message lists the available ones), is not numeric (names the
        first bad values), has infinite values, or a key column (entity, time, fixed effect,
        cluster, weights) has missing values.
    """
    spec = ModelSpec(
        outcome=outcome,
        regressors=regressors,  # type: ignore[arg-type]  # normalised to a tuple by ModelSpec
        controls=controls,  # type: ignore[arg-type]
        fixed_effects=fixed_effects,  # type: ignore[arg-type]
        family=family,
        vcov=vcov,
        cluster=cluster,  # type: ignore[arg-type]
        dk_lags=dk_lags,
        zeros=zeros,
        conf_level=conf_level,
        entity=entity,
        time=time,
        weights=weights,
    )
    prepared = _prepare(data, spec)
    spec = prepared.spec
    got = _fit_binomial_glm(prepared) if spec.weights is not None else _fit_pyfixest(prepared)

    se = np.sqrt(np.clip(np.diag(got["vcov"]), 0.0, None))
    coefs = tuple(
        _inference(term, float(b), float(s), got["df_t"], spec.conf_level)
        for term, b, s in zip(got["terms"], got["beta"], se)
    )
    n_clusters = tuple(_n_levels(prepared.key_codes[name]) for name in prepared.cluster_names)
    family_label = dict(_BINOMIAL_LABEL if spec.weights is not None else _FAMILY_LABELS[spec.family])
    return ModelResult(
        spec=spec,
        coefficients=coefs,
        n_obs=int(got["n_obs"]),
        n_clusters=n_clusters,
        r2=got["r2"],
        r2_within=got["r2_within"],
        adj_r2=got["adj_r2"],
        pseudo_r2=got["pseudo_r2"],
        log_likelihood=got["log_likelihood"],
        formula=prepared.formula,
        vcov_label=_vcov_label(spec),
        warnings=tuple(prepared.notes.en),
        dropped_rows=int(prepared.n_input - got["n_obs"]),
        family_label=family_label,
        df_t=got["df_t"],
        vcov_matrix=tuple(tuple(float(v) for v in row) for row in got["vcov"]),
        resid_sd=got["resid_sd"],
        warnings_zh=tuple(prepared.notes.zh),
    )


# --------------------------------------------------------------------------- descriptive


def rate_by(
    data: pd.DataFrame,
    outcome: str,
    by: str | Sequence[Any] | pd.Series,
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Share of rows with a 1/True outcome in each group, with a Wilson CI.

    ``by`` is a column name, or labels of the same length as ``data`` (e.g.
    ``np.where(df.PageValues > 0, "PageValues > 0", "PageValues = 0")``). Returns columns
    group, n, events, rate, ci_low, ci_high, sorted by group. The outcome must be 0/1 or bool
    with no missing values; missing group labels are an error too.
    """
    data = _check_frame(data)
    conf_level = _check_conf_level(conf_level)
    _check_columns(data, [outcome])
    y = _numeric(data[outcome], outcome, "outcome")
    if np.isnan(y).any():
        raise DataError(f"column {outcome!r} has {int(np.isnan(y).sum())} missing value(s)", column=outcome)
    odd = np.unique(y[(y != 0) & (y != 1)])
    if len(odd):
        raise AnalysisError(f"rate_by needs a 0/1 (or True/False) outcome; {outcome!r} has other values ({odd[0]:g}, …)")
    if isinstance(by, str):
        _check_columns(data, [by])
        labels = data[by]
    else:
        labels = pd.Series(list(by) if not isinstance(by, (pd.Series, np.ndarray)) else by)
        if len(labels) != len(data):
            raise AnalysisError(f"by: expected {len(data)} labels (one per row); got {len(labels)}")
    labels = pd.Series(np.asarray(labels, dtype=object))
    n_missing = int(labels.isna().sum())
    if n_missing:
        raise DataError(f"by has {n_missing} missing label(s); every row needs a group")
    frame = pd.DataFrame({"group": labels.to_numpy(), "y": y})
    grouped = frame.groupby("group", sort=True)["y"].agg(["size", "sum"])
    z = float(stats.norm.ppf(0.5 + conf_level / 2.0))
    n = grouped["size"].to_numpy(dtype=float)
    events = grouped["sum"].to_numpy(dtype=float)
    rate = events / n
    denom = 1.0 + z**2 / n
    center = (rate + z**2 / (2 * n)) / denom
    half = z * np.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2)) / denom
    return pd.DataFrame(
        {
            "group": grouped.index.to_numpy(),
            "n": n.astype("int64"),
            "events": events.astype("int64"),
            "rate": rate,
            "ci_low": center - half,
            "ci_high": center + half,
        }
    )
