"""One estimation API: :func:`estimate` on any DataFrame → a frozen, tidy :class:`ModelResult`.

The analyst names the outcome (conversion) column, one or more regressors of interest
(engagement and its lags), controls, fixed effects, the model family and the standard errors::

    res = estimate(panel, outcome="add_to_cart", regressors=("engagement",),
                   fixed_effects=("brand", "week"), family="loglog", vcov="cluster",
                   entity="brand", time="week")
    res.tidy()                      # term, estimate, std_error, statistic, p_value, ci_low, ci_high
    res.lincom({"log_engagement": 1, "log_engagement_l1": 1})   # a sum of coefficients with its SE
    res.f_statistic, res.f_df, res.resid_se                     # joint F (Wald) test; residual SE

Every input is checked first and the choices are frozen in a :class:`ModelSpec` (defaults such as
the cluster column or the Driscoll–Kraay lag are resolved there); then the model runs: the data
are checked and turned into arrays by :mod:`reportkit.analysis.model_data` and fitted by a back end
of :mod:`reportkit.analysis.model_fit` (pyfixest, or statsmodels for the weighted binomial GLM).
Tables (:mod:`reportkit.analysis.tables`), plots and narrative are drawn from the result only.

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
    ``"crv3"``           one-way CRV3 by ``cluster`` (default: ``entity``), linear models only: the
                         leave-one-cluster-out jackknife ((G−1)/G)·Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)',
                         MacKinnon–Nielsen–Webb's CV₃, centred at the full-sample β̂ as pyfixest 0.60
                         centres it (not at the mean β̄ of the β̂_(g), their CV₃J); pyfixest's
                         ``{"CRV3": col}`` with its own factor switched off and (G−1)/G applied
                         (:mod:`~reportkit.analysis.model_fit`). More reliable than CRV1 with few or
                         unequal clusters; each of the G fits is a full refit (with fixed effects at
                         pyfixest's default demeaning tolerance, so SEs to ~1e-5 relative).
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
    MLE ones.

Inference: p-values and confidence intervals (of ``tidy()``, ``lincom()`` and the F test) use
    the t distribution with G − 1 degrees of freedom whenever the standard errors are clustered
    (cluster, crv3, twoway; two-way: the smaller G), for every family: linear models, logit, PPML
    and the weighted binomial GLM alike (as fixest and statsmodels' ``use_t=True`` do: with 8
    brands a PPML coefficient at z = 1.83 has p = 0.067 under the normal but p = 0.110 under t(7)).
    Linear models otherwise use pyfixest's degrees of freedom (periods − 1 for Driscoll–Kraay,
    N − K otherwise); logit and PPML that are not clustered use the normal.
    :attr:`ModelResult.df_t` says which (None: normal), :attr:`ModelResult.inference_label` says
    it in words.

Few clusters: clustered inference (cluster, crv3, twoway: each clustering column) with fewer than
    :data:`MIN_CLUSTERS` (5) clusters raises :class:`AnalysisError` naming the column and the count,
    unless ``allow_few_clusters=True`` forces it; the result then carries a warning (in every
    language of :data:`~reportkit.i18n.LANGUAGES`) that with G clusters its clustered standard
    errors and p-values are unreliable, and :func:`~reportkit.analysis.tables.regression_table`
    passes it on with the table's warnings.
    Below :data:`FEW_CLUSTERS` (30) clusters CRV1 t-tests can still over-reject, so there the
    wild cluster bootstrap is the default for linear models (next paragraph).

Wild cluster bootstrap (``inference=``): ``"auto"`` (default) uses it with ``vcov="cluster"`` and
    fewer than :data:`FEW_CLUSTERS` clusters (every family but the trials-weighted binomial GLM);
    ``"wild"`` always (those models only); ``"analytic"`` never. PPML and logit are bootstrapped
    through their IRLS working model at the estimate (working response η̂ + (y − μ̂)/V(μ̂), weights
    V(μ̂)), which reproduces their coefficients and cluster sandwich exactly: a score-type wild
    bootstrap (Kline and Santos 2012) without refits. With 8 clusters and serially correlated
    errors t(G − 1) alone left the PPML interval short of 95 % in our simulations; the bootstrap
    does not. The p-values and confidence intervals of every
    coefficient and of :meth:`ModelResult.lincom` (e.g. the long-run elasticity) then come from the
    restricted wild cluster bootstrap (:mod:`~reportkit.analysis.wild_bootstrap`: the null imposed,
    fixed effects refitted in every draw, Webb weights up to 12 clusters and Rademacher above, full
    enumeration when there are no more weight vectors than ``bootstrap_draws`` (9,999), seeded by
    ``seed``), intervals by test inversion; standard errors and t statistics stay CRV1. Each
    coefficient's test is in :attr:`ModelResult.wild`; :attr:`ModelResult.inference_label` names
    the method, and where a p-value is the smallest the bootstrap can give it says so.

Fit statistics: :attr:`ModelResult.f_statistic` is the Wald test, with the model's own covariance,
    that every regressor and control is zero (F = W/q with dfs (q, df_t); the χ² form when
    inference is normal); ``resid_se`` the residual standard error of linear models,
    sqrt(SSR / (N − K)) with K counting the absorbed fixed effects.

Labels and warnings are :class:`~reportkit.i18n.Text` values, one entry per language, built from
    the catalogue's ``models`` group (``reportkit/catalogue/<lang>.yaml``): ``vcov_label``,
    ``family_label``, ``inference_label`` (``m.vcov_label[lang]``) and ``warnings``
    (:meth:`ModelResult.warnings_in` gives them in one language).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import AnalysisError, DataError
from ..i18n import LANGUAGES, Language, Text, message
from .inputs import as_float, check_choice, check_columns, check_conf_level, check_frame
from .model_data import FEW_CLUSTERS, MAX_DUMMY_LEVELS, MIN_CLUSTERS, Notes, fe_parts, n_levels, prepare
from .model_fit import LINEAR_FAMILIES, fit_binomial_glm, fit_pyfixest
from .narrative import column_label, formula_label, vcov_label
from .wild_bootstrap import DEFAULT_DRAWS, DEFAULT_SEED, WEIGHT_TYPES, WeightType, WildDesign, WildTest

__all__ = [
    "Family",
    "VcovType",
    "ZeroPolicy",
    "Inference",
    "INFERENCE_TYPES",
    "FAMILIES",
    "VCOV_TYPES",
    "ZERO_POLICIES",
    "INTERCEPT",
    "TIDY_COLUMNS",
    "MAX_DUMMY_LEVELS",
    "MIN_CLUSTERS",
    "FEW_CLUSTERS",
    "ModelSpec",
    "Coef",
    "ModelResult",
    "estimate",
    "rate_by",
]

Family = Literal["ols", "loglog", "ppml", "logit"]
VcovType = Literal["iid", "hc1", "hc3", "cluster", "crv3", "twoway", "driscoll_kraay"]
ZeroPolicy = Literal["error", "log1p"]
Inference = Literal["auto", "analytic", "wild"]
INFERENCE_TYPES: tuple[str, ...] = get_args(Inference)
FAMILIES: tuple[str, ...] = get_args(Family)
VCOV_TYPES: tuple[str, ...] = get_args(VcovType)
ZERO_POLICIES: tuple[str, ...] = get_args(ZeroPolicy)

INTERCEPT = "Intercept"  # pyfixest's (and formulaic's) name for the constant
TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high")


def _family_label(spec: ModelSpec) -> Text:
    """The model family in words (the catalogue's ``models.family_<family>``; the trials-weighted
    logit is ``models.family_binomial``)."""
    return message("models.family_binomial" if spec.weights is not None else f"models.family_{spec.family}")


def _column_text(column: str) -> Text:
    """A data column's label in every language (the column name where there is none)."""
    return Text({lang: column_label(column, lang) for lang in LANGUAGES})


# --------------------------------------------------------------------------- names


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


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class ModelSpec:
    """Every choice of one model, checked and with defaults resolved (immutable).

    ``fixed_effects`` holds column names; an interaction is written ``"category^week"`` as in
    pyfixest. ``cluster`` holds 0–2 column names (resolved: ``entity`` for ``vcov="cluster"``,
    ``(entity, time)`` for ``"twoway"``). ``dk_lags`` is resolved from the data by
    :func:`estimate`. ``weights`` is the trials column of a binomial rate model (logit only).
    ``allow_few_clusters`` forces clustered inference with fewer than :data:`MIN_CLUSTERS`
    clusters (otherwise refused); it has no effect with a vcov that does not cluster.
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
    allow_few_clusters: bool = False
    inference: Inference = "auto"
    bootstrap_draws: int = DEFAULT_DRAWS
    bootstrap_weights: WeightType = "auto"
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        check_choice("family", self.family, FAMILIES)
        check_choice("vcov", self.vcov, VCOV_TYPES)
        check_choice("zeros", self.zeros, ZERO_POLICIES)
        set_(self, "conf_level", check_conf_level(self.conf_level))
        if not isinstance(self.outcome, str) or not self.outcome.strip():
            raise AnalysisError(f"outcome: expected a column name; got {self.outcome!r}")
        set_(self, "regressors", _as_names(self.regressors, "regressors"))
        if not self.regressors:
            raise AnalysisError("regressors: name at least one column (e.g. the engagement column)")
        set_(self, "controls", _as_names(self.controls, "controls"))
        fes = _as_names(self.fixed_effects, "fixed_effects")
        for fe in fes:
            if any(not p for p in fe_parts(fe)):
                raise AnalysisError(f"fixed_effects: {fe!r} is not a column name or an interaction such as 'category^week'")
        set_(self, "fixed_effects", tuple("^".join(fe_parts(fe)) for fe in fes))
        set_(self, "entity", _optional_name(self.entity, "entity"))
        set_(self, "time", _optional_name(self.time, "time"))
        set_(self, "weights", _optional_name(self.weights, "weights"))
        if not isinstance(self.allow_few_clusters, (bool, np.bool_)):
            raise AnalysisError(
                f"allow_few_clusters: expected True or False; got {self.allow_few_clusters!r} "
                f"(True forces clustered inference with fewer than {MIN_CLUSTERS} clusters)"
            )
        set_(self, "allow_few_clusters", bool(self.allow_few_clusters))
        check_choice("inference", self.inference, INFERENCE_TYPES)
        check_choice("bootstrap_weights", self.bootstrap_weights, WEIGHT_TYPES)
        for name in ("bootstrap_draws", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (99 if name == "bootstrap_draws" else 0):
                raise AnalysisError(f"{name}: expected an integer of at least {99 if name == 'bootstrap_draws' else 0}; got {value!r}")
            set_(self, name, int(value))

        # one role per column
        roles: dict[str, str] = {self.outcome: "the outcome"}
        for role, cols in (("a regressor", self.regressors), ("a control", self.controls)):
            for col in cols:
                if col in roles:
                    raise AnalysisError(f"column {col!r} is used both as {roles[col]} and as {role}")
                roles[col] = role
        for fe in self.fixed_effects:
            for part in fe_parts(fe):
                if part in roles:
                    raise AnalysisError(f"column {part!r} is used both as {roles[part]} and as a fixed effect")
        if self.weights is not None and self.weights in roles:
            raise AnalysisError(f"column {self.weights!r} is used both as {roles[self.weights]} and as weights")

        # standard errors
        cluster = _as_names(self.cluster, "cluster")
        if self.vcov in ("cluster", "crv3"):
            if not cluster:
                if self.entity is None:
                    raise AnalysisError(
                        f"vcov={self.vcov!r} needs a cluster column: pass cluster='<column>' or entity='<column>' "
                        "(the entity is the default cluster), or choose vcov='hc1' or 'iid'"
                    )
                cluster = (self.entity,)
            if len(cluster) != 1:
                raise AnalysisError(
                    f"vcov={self.vcov!r} clusters by one column; got {len(cluster)} ({', '.join(cluster)}); "
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
                f"cluster= is only used with vcov='cluster', 'crv3' or 'twoway'; got vcov={self.vcov!r} with cluster={cluster!r}"
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

        if self.vcov == "hc3" and (self.fixed_effects or self.family not in LINEAR_FAMILIES):
            raise AnalysisError(
                "vcov='hc3' is offered for linear models (ols, loglog) without fixed effects only: its leverage "
                "correction is not computed for absorbed fixed effects or for GLMs; use vcov='hc1' or 'cluster'"
            )
        if self.inference == "wild" and (self.vcov != "cluster" or self.weights):
            raise AnalysisError(
                "inference='wild' (the restricted wild cluster bootstrap) is offered with vcov='cluster' (one-way) "
                f"and without trials weights; got family={self.family!r}, vcov={self.vcov!r}"
                + (f", weights={self.weights!r}" if self.weights else "") + ". Use inference='analytic'"
            )
        if self.vcov == "crv3" and self.family not in LINEAR_FAMILIES:
            raise AnalysisError(
                f"vcov='crv3' (the leave-one-cluster-out jackknife) is offered for linear models (ols, loglog) only; "
                f"got family={self.family!r}. For logit and PPML use vcov='cluster' (CRV1, with t(G−1) inference) "
                "or 'twoway'"
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
            for part in fe_parts(fe):
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
            "allow_few_clusters": self.allow_few_clusters,
            "inference": self.inference,
            "bootstrap_draws": self.bootstrap_draws,
            "bootstrap_weights": self.bootstrap_weights,
            "seed": self.seed,
        }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Coef:
    """One coefficient (or linear combination) with its inference."""

    term: str
    estimate: float
    std_error: float
    statistic: float  # t (df_t not None: linear models, clustered GLMs) or z
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
    ``r2``, ``adj_r2`` and ``resid_se`` are defined for linear models only, ``r2_within`` for
    linear models with fixed effects, ``pseudo_r2`` (McFadden, against an intercept-only model) for
    logit and PPML. ``warnings`` say what the report must show: rows dropped and why, log1p used,
    few clusters forced, anything the estimator reported; each is a :class:`~reportkit.i18n.Text`
    with an entry in every language of :data:`~reportkit.i18n.LANGUAGES` (checked when the result
    is made), and :meth:`warnings_in` gives them in one language. ``vcov_label`` and
    ``family_label`` are Texts too (``m.vcov_label[lang]``); a ``{lang: str}`` mapping passed for
    either is turned into one.

    ``resid_se`` is the residual standard error sqrt(SSR / (N − K)), K = the coefficients
    including the intercept plus every absorbed fixed-effect level (minus one per fixed effect
    after the first), as pyfixest counts them for iid errors; it does not look for redundant levels
    of disconnected two-way effects (fixest does not either).

    ``f_statistic`` is the Wald test that every regressor and control is zero (not the intercept,
    not the fixed effects) with the model's own covariance ``vcov_matrix``: W = b'V⁻¹b, F = W/q with
    q = ``f_df[0]`` restrictions. ``f_df`` = (q, df_t); with normal inference (GLMs not clustered)
    ``f_df[1]`` is None and ``f_p_value`` is P(χ²_q > W) (the F(q, ∞) form); otherwise it is
    P(F(q, df_t) > F). All three are None when V restricted to those terms is singular (a
    clustered covariance has rank at most G − 1 or so: more restrictions than clusters).
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
    vcov_label: Text = field(hash=False)
    warnings: tuple[Text, ...]
    dropped_rows: int
    family_label: Text = field(hash=False)
    df_t: int | None = None
    vcov_matrix: tuple[tuple[float, ...], ...] = ()
    resid_se: float | None = None
    f_statistic: float | None = None
    f_df: tuple[int, int | None] | None = None
    f_p_value: float | None = None
    wild: tuple[WildTest, ...] = ()  # the bootstrap test of each coefficient (inference by WCR), else ()
    _design: WildDesign | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "vcov_label", Text.coerce(self.vcov_label, source="vcov_label"))
        set_(self, "family_label", Text.coerce(self.family_label, source="family_label"))
        if isinstance(self.warnings, (str, Text)):
            raise AnalysisError(f"warnings: expected a sequence of Text, one per warning; got {self.warnings!r}")
        set_(self, "warnings", tuple(Notes(self.warnings)))

    def warnings_in(self, lang: Language) -> list[str]:
        """The warnings in ``lang`` (one of :data:`~reportkit.i18n.LANGUAGES`), in order."""
        return Notes(self.warnings).in_language(lang)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(c.term for c in self.coefficients)

    @property
    def inference(self) -> str:
        """"wild" when p-values and intervals come from the wild cluster bootstrap, else "analytic"."""
        return "wild" if self.wild else "analytic"

    @property
    def inference_label(self) -> Text:
        """How p-values and CIs were obtained: the wild bootstrap's description, "t(7)", or normal."""
        if self.wild:
            label = self.wild[0].label
            floor = [w for w in self.wild if w.at_floor]
            if floor:
                label += message("models.inference_at_floor").format(n=len(floor), p=floor[0].min_p_value)
            return label
        if self.df_t is None:
            return message("models.inference_normal")
        return message("models.inference_t").format(df=self.df_t)

    @property
    def formula_label(self) -> Text:
        """:attr:`formula` in the reader's words, in every language, for client text such as a
        methods paragraph: "加购数（对数） ~ 互动量（对数） + 互动量滞后 1 周（对数） | 品牌 + 周"
        (:func:`~reportkit.analysis.narrative.formula_label`; lags in units of the time column)."""
        return Text({lang: formula_label(self.formula, lang, time=self.spec.time) for lang in LANGUAGES})

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
        analytic = _inference(name, est, se, self.df_t, self.spec.conf_level)
        if self._design is None:
            return analytic
        test = self._design.test({t: float(v) for t, v in weights.items() if v}, conf_level=self.spec.conf_level)
        return _from_wild(analytic, test)

    def wild_test(self, hypothesis: Mapping[str, float] | Sequence[Mapping[str, float] | str],
                  value: float | Sequence[float] = 0.0) -> WildTest | None:
        """The wild cluster bootstrap test of ``Rβ = value``, or None when inference is analytic.

        ``hypothesis`` is one combination ``{"a": 1, "b": 1}`` (its t test and test-inversion
        interval) or a list of combinations or term names, tested jointly (Wald, no interval), e.g.
        the leads of a placebo test. The result carries the p floor, the draws and the weights.
        """
        if self._design is None:
            return None
        if isinstance(hypothesis, Mapping):
            return self._design.test({t: float(v) for t, v in hypothesis.items() if v}, value,
                                     conf_level=self.spec.conf_level)
        return self._design.test(list(hypothesis), value, invert=False, conf_level=self.spec.conf_level)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (non-finite numbers become None)."""
        return {
            "spec": self.spec.to_dict(),
            "formula": self.formula,
            "family_label": self.family_label.to_json(),
            "vcov_label": self.vcov_label.to_json(),
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
            "resid_se": _jsonable(self.resid_se),
            "f_statistic": _jsonable(self.f_statistic),
            "f_df": None if self.f_df is None else [int(self.f_df[0]), None if self.f_df[1] is None else int(self.f_df[1])],
            "f_p_value": _jsonable(self.f_p_value),
            "inference": self.inference,
            "inference_label": self.inference_label.to_json(),
            "wild": [w.to_dict() for w in self.wild],
            "df_t": self.df_t,
            "vcov_matrix": [[_jsonable(v) for v in row] for row in self.vcov_matrix],
            "warnings": [w.to_json() for w in self.warnings],
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


def _from_wild(analytic: Coef, test: WildTest) -> Coef:
    """The coefficient with the CRV1 SE and t, and the bootstrap p-value and test-inversion interval."""
    return Coef(term=analytic.term, estimate=analytic.estimate, std_error=analytic.std_error,
                statistic=analytic.statistic, p_value=test.p_value,
                ci_low=float(test.ci_low), ci_high=float(test.ci_high))  # type: ignore[arg-type]


def _wild_design(prepared: Any, got: Mapping[str, Any], n_clusters: tuple[int, ...]) -> WildDesign | None:
    """The bootstrap design when the spec asks for it ("wild") or allows it ("auto", fewer than
    :data:`FEW_CLUSTERS` clusters, clustered one way, no trials weights); None otherwise."""
    spec = prepared.spec
    eligible = spec.vcov == "cluster" and spec.weights is None
    if spec.inference == "analytic" or not eligible:
        return None
    if spec.inference == "auto" and n_clusters[0] >= FEW_CLUSTERS:
        return None
    if int(got["n_obs"]) != len(prepared.y):
        raise AnalysisError(
            f"the wild cluster bootstrap needs the rows the model used; pyfixest dropped {len(prepared.y) - int(got['n_obs'])} "
            "further row(s); pass inference='analytic'"
        )
    options = dict(weights=spec.bootstrap_weights, draws=spec.bootstrap_draws, seed=spec.seed)
    if spec.family in LINEAR_FAMILIES:
        design = WildDesign.from_prepared(prepared, **options)
    else:  # PPML, logit: the IRLS working model at the estimate (a score-type bootstrap, no refits)
        design = WildDesign.from_glm(prepared, got["mu"], spec.family, **options)
    beta = np.asarray(got["beta"], dtype=float)[1 if got["intercept"] else 0:]
    if not np.allclose(design.beta, beta, rtol=1e-6, atol=1e-8 * max(1.0, float(np.abs(beta).max()))):
        raise AnalysisError("the wild bootstrap design does not reproduce pyfixest's estimates; pass inference='analytic'")
    return design


def _wald_f(
    terms: Sequence[str], beta: np.ndarray, vcov: np.ndarray, df_t: int | None
) -> tuple[float | None, tuple[int, int | None] | None, float | None]:
    """F = W/q for H0: every coefficient but the intercept is 0; its dfs and p-value (see ModelResult)."""
    idx = [i for i, t in enumerate(terms) if t != INTERCEPT]
    q = len(idx)
    if q == 0:
        return None, None, None
    b = np.asarray(beta, dtype=float)[idx]
    v = np.asarray(vcov, dtype=float)[np.ix_(idx, idx)]
    sd = np.sqrt(np.clip(np.diag(v), 0.0, None))
    if not np.all(np.isfinite(v)) or np.any(sd <= 0):
        return None, None, None
    corr = v / np.outer(sd, sd)  # scale-free, so the rank check does not depend on units
    eig = np.linalg.eigvalsh((corr + corr.T) / 2.0)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return None, None, None
    z = b / sd
    w = float(z @ np.linalg.solve(corr, z))
    f = w / q
    if df_t is None:
        return f, (q, None), float(stats.chi2.sf(w, q))
    return f, (q, int(df_t)), float(stats.f.sf(f, q, df_t))


# --------------------------------------------------------------------------- estimation


def _vcov_label(spec: ModelSpec) -> Text:
    """The standard errors in words (the catalogue's ``models.vcov_*``; one-way CRV1 as
    :func:`~reportkit.analysis.narrative.vcov_label` says it)."""
    v = spec.vcov
    if v in ("iid", "hc1", "hc3"):
        return message(f"models.vcov_{v}")
    if v == "cluster":
        (c,) = spec.cluster
        return Text({lang: vcov_label(c, lang) for lang in LANGUAGES})
    if v == "crv3":
        (c,) = spec.cluster
        return message("models.vcov_crv3").format(column=c, column_label=_column_text(c))
    if v == "twoway":
        a, b = spec.cluster
        return message("models.vcov_twoway").format(column_a=a, column_b=b, column_a_label=_column_text(a),
                                                   column_b_label=_column_text(b))
    lags = int(spec.dk_lags or 0)
    return message("models.vcov_driscoll_kraay_one" if lags == 1 else "models.vcov_driscoll_kraay").format(lags=lags)


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
    allow_few_clusters: bool = False,
    inference: Inference = "auto",
    bootstrap_draws: int = DEFAULT_DRAWS,
    bootstrap_weights: WeightType = "auto",
    seed: int = DEFAULT_SEED,
) -> ModelResult:
    """Fit one model (see the module docstring for families, zeros and standard errors).

    Raises
    ------
    AnalysisError
        An unknown option ("expected one of …; got …"), a regressor without variation (also
        within the fixed effects), collinear regressors (named), zeros or negatives in a log,
        fewer rows than parameters, fewer than 2 clusters (fewer than :data:`MIN_CLUSTERS`
        unless ``allow_few_clusters=True``), a non-binary logit outcome, …
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
        allow_few_clusters=allow_few_clusters,
        inference=inference,
        bootstrap_draws=bootstrap_draws,
        bootstrap_weights=bootstrap_weights,
        seed=seed,
    )
    prepared = prepare(data, spec)
    spec = prepared.spec
    got = fit_binomial_glm(prepared) if spec.weights is not None else fit_pyfixest(prepared)

    terms = ([INTERCEPT] if got["intercept"] else []) + list(prepared.terms)
    se = np.sqrt(np.clip(np.diag(got["vcov"]), 0.0, None))
    coefs = tuple(
        _inference(term, float(b), float(s), got["df_t"], spec.conf_level)
        for term, b, s in zip(terms, got["beta"], se, strict=True)
    )
    n_clusters = tuple(n_levels(prepared.key_codes[name]) for name in prepared.cluster_names)
    design = _wild_design(prepared, got, n_clusters)
    wild: tuple[WildTest, ...] = ()
    if design is not None:
        wild = tuple(design.test({c.term: 1.0}, conf_level=spec.conf_level) for c in coefs if c.term != INTERCEPT)
        tests = iter(wild)
        coefs = tuple(c if c.term == INTERCEPT else _from_wild(c, next(tests)) for c in coefs)
    f_stat, f_df, f_p = _wald_f(terms, got["beta"], got["vcov"], got["df_t"])
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
        warnings=tuple(prepared.notes),
        dropped_rows=int(prepared.n_input - got["n_obs"]),
        family_label=_family_label(spec),
        df_t=got["df_t"],
        vcov_matrix=tuple(tuple(float(v) for v in row) for row in got["vcov"]),
        resid_se=got["resid_se"],
        f_statistic=f_stat,
        f_df=f_df,
        f_p_value=f_p,
        wild=wild,
        _design=design,
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
    data = check_frame(data, nonempty=True)
    conf_level = check_conf_level(conf_level)
    check_columns(data, outcome)
    y = as_float(data[outcome], outcome, "outcome")
    if np.isnan(y).any():
        raise DataError(f"column {outcome!r} has {int(np.isnan(y).sum())} missing value(s)", column=outcome)
    odd = np.unique(y[(y != 0) & (y != 1)])
    if len(odd):
        raise AnalysisError(f"rate_by needs a 0/1 (or True/False) outcome; {outcome!r} has other values ({odd[0]:g}, …)")
    if isinstance(by, str):
        check_columns(data, by)
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
