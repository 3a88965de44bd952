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

**Cross-sections** (one row per campaign, store or session; no time column, declared with
``time=""`` in the notebook and ``period=None`` in :func:`reportkit.data.io.load_panel`):
:func:`fit_cross_section` regresses conversion on engagement across units, without time effects,
lags or leads, with robust (HC1/HC3) or group-clustered standard errors. A yes/no conversion
(``binary=True``) gets a linear probability model (OLS) with the logit beside it; counts and
amounts a log-log model with PPML beside it. :func:`skipped_note` says, in every language, why a
part of the panel analysis is not estimated on a cross-section; :func:`aggregation_note` states
how a daily panel was summed to weeks (``load_panel(aggregate="week")``).

Nothing here prints or plots; the models are estimated by
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
from ..i18n import LANGUAGES, Language, Text, message
from ..style.formatting import format_number, format_value
from .dynamics import shifted_values
from .inputs import (
    as_float,
    check_choice,
    check_columns,
    check_conf_level,
    check_frame,
    check_panel_keys,
    check_positive,
)
from .models import INTERCEPT, Coef, Family, estimate, rate_by
from .narrative import column_label, inference_note, uplift_pct, words
from .tables import RegressionTable, regression_table

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
    "CrossSectionVcov",
    "CROSS_SECTION_VCOV",
    "SKIPPED_PARTS",
    "RateRow",
    "CrossSectionResult",
    "fit_cross_section",
    "is_cross_section",
    "with_interval",
    "skipped_note",
    "aggregation_note",
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
    check_choice("method", method, METHODS)
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
    check_choice("method", method, METHODS)
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


# --------------------------------------------------------------------------- cross-section

CrossSectionVcov = Literal["iid", "hc1", "hc3", "cluster", "crv3"]
CROSS_SECTION_VCOV: tuple[str, ...] = get_args(CrossSectionVcov)
#: Parts of the panel analysis that a run may skip, each with its reason in the catalogue: those that
#: need a time column (``cross_section.what_<part>`` and ``why_<part>``), and "vif" (fewer than two
#: engagement components, ``cross_section.vif_skipped``).
SKIPPED_PARTS: tuple[str, ...] = ("correlation", "elasticity", "coverage", "timing", "heterogeneity", "diagnostics",
                                  "vif")
_TIME_VCOV = ("twoway", "driscoll_kraay")
_CLUSTERED = ("cluster", "crv3")


def _say(key: str) -> Text:
    """The catalogue's ``cross_section.<key>`` in every language."""
    return message(f"cross_section.{key}")


def _label(column: str) -> Text:
    """A data column's label in every language (the column name where there is none)."""
    return Text({lang: column_label(column, lang) for lang in LANGUAGES})


def _word(column: str) -> Text:
    """A data column's label inside a sentence: a catalogue label in lower case ("add-to-cart"),
    an analyst's own column name as written ("PageValues")."""
    return Text({lang: column_label(column, lang).lower() if column in words(lang) else column
                 for lang in LANGUAGES})


def _number_text(value: float, decimals: int, unit: str = "") -> Text:
    return Text({lang: format_value(value, unit, decimals, lang=lang) for lang in LANGUAGES})


def is_cross_section(time: str | None, *, binary: bool = False) -> bool:
    """Whether the declared design is a cross-section: no time role (``time`` is "" or None).

    ``binary`` (a yes/no conversion such as "purchased") is modelled only in a cross-section, as a
    linear probability; with a time role it is refused here, before any data are read, since a
    panel's log-log elasticity needs a count or an amount of conversions."""
    cross = not time
    if binary and not cross:
        raise AnalysisError(f"conversion_binary=True with the time role {time!r}: a yes/no conversion is modelled "
                            "only in a cross-section (time='', one row per unit); a panel needs the number or value "
                            "of conversions per period (e.g. orders), for its log-log elasticity")
    return cross


def with_interval(estimate: float, ci_low: float, ci_high: float, *, decimals: int = 2, level: float = 95) -> Text:
    """"0.56（95% 置信区间 0.46–0.67）" / "0.56 (95% CI 0.46–0.67)" in every language: the
    catalogue's ``numbers.ci``, written as the report's ``ci`` placeholder filter writes it."""
    return message("numbers.ci").format(value=format_number(estimate, decimals), level=format_number(level),
                                        low=format_number(ci_low, decimals), high=format_number(ci_high, decimals))


def skipped_note(part: str) -> Text:
    """Why ``part`` (one of :data:`SKIPPED_PARTS`) of the panel analysis is not estimated, in
    every language: for the parts that need time, "The lead placebo …: not estimated, because the
    data are a cross-section without a time column and …"; for ``"vif"``, that fewer than two
    engagement components are in the data."""
    part = check_choice("part", part, SKIPPED_PARTS)
    if part == "vif":
        return _say("vif_skipped")
    return _say("skipped").format(what=_say(f"what_{part}"), why=_say(f"why_{part}"))


def aggregation_note(panel: pd.DataFrame, *, entity: str = "brand") -> Text:
    """How a daily panel was summed to weeks, from ``panel.attrs["aggregate"]`` (left there by
    ``load_panel(aggregate="week")``), in every language: rows read, entity-weeks kept and left
    out (fewer than 7 days of data), first and last week."""
    info = check_frame(panel).attrs.get("aggregate")
    if not isinstance(info, dict):
        raise AnalysisError("the panel was not aggregated: aggregation_note reads attrs['aggregate'], which "
                            "load_panel(aggregate='week') writes")
    return _say("aggregated").format(rows=format_number(int(info["rows"])), periods=format_number(int(info["periods"])),
                                     dropped=format_number(int(info["dropped"])), first=info["first"],
                                     last=info["last"], entity=_word(entity))


@dataclass(frozen=True)
class RateRow:
    """The share of rows converting among rows with no engagement (``engaged=False``) or some."""

    engaged: bool
    n: int
    events: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class CrossSectionResult:
    """Conversion on engagement across the units of a cross-section (see :func:`fit_cross_section`).

    ``models``: (1) the main model (linear probability for a binary conversion, log-log
    otherwise), (2) the same with ``group`` fixed effects when a group is given, and last the
    other family (logit, or PPML). ``effect`` is the headline: for a binary conversion the
    difference in the probability of converting, in probability points, per standard deviation
    ``engagement_sd`` of engagement (Σ = sd·β with the model's own covariance); otherwise the
    elasticity. ``rates``: for a binary conversion with rows without and with engagement, the
    share converting in each (Wilson intervals). Texts are :class:`~reportkit.i18n.Text` in
    every language; tables take the language.
    """

    binary: bool
    engagement: str
    conversion: str
    group: str | None
    vcov: str
    cluster: str | None
    term: str
    models: tuple[ModelResult, ...]
    effect: Coef
    engagement_sd: float
    n_obs: int
    rates: tuple[RateRow, ...]
    conf_level: float

    @property
    def main(self) -> ModelResult:
        return self.models[0]

    @property
    def kind(self) -> str:
        """"probability" (binary conversion, linear probability model) or "elasticity"."""
        return "probability" if self.binary else "elasticity"

    def names(self) -> tuple[Text, ...]:
        """The column heads of :meth:`table`: (1) the main model, (2) with group effects, (k) the other family."""
        heads = [_say(f"col_{self.kind}").format(k=1)]
        if self.group:
            heads.append(_say("col_groups").format(k=2, group=_word(self.group)))
        heads.append(_say("col_logit" if self.binary else "col_ppml").format(k=len(heads) + 1))
        return tuple(heads)

    def table(self, lang: Language) -> RegressionTable:
        """The models side by side (:func:`~reportkit.analysis.tables.regression_table`), the
        engagement row only, with enough decimals for the main coefficient's scale."""
        b = abs(self.main.coef(self.term).estimate)
        decimals = 3 if b == 0 or b >= 0.01 else min(8, 2 - math.floor(math.log10(b)))
        label = column_label(self.engagement, lang)
        if self.term.startswith("log1p_"):
            term_label = f"log(1 + {label})"
        elif self.term.startswith("log_"):
            term_label = words(lang)["log_of"].format(label)
        else:
            term_label = label
        return regression_table(list(self.models), names=[n[lang] for n in self.names()], terms=[self.term],
                                term_labels={self.term: term_label}, lang=lang, decimals=decimals)

    def rates_frame(self, lang: Language) -> pd.DataFrame:
        """The conversion rate without and with engagement: group, rows, conversions, rate and its
        interval (in %)."""
        eng = column_label(self.engagement, lang)
        cols = [_say(f"rates_{c}")[lang] for c in ("group", "n", "events", "rate", "ci_low", "ci_high")]
        rows = [(_say("rate_positive" if r.engaged else "rate_zero")[lang].format(engagement=eng), r.n, r.events,
                 r.rate * 100, r.ci_low * 100, r.ci_high * 100) for r in self.rates]
        return pd.DataFrame(rows, columns=cols)

    def rate(self, engaged: bool) -> RateRow:
        for r in self.rates:
            if r.engaged == engaged:
                return r
        raise AnalysisError("no conversion rates: they are computed for a binary conversion when some rows have "
                            "no engagement and some have")

    def effect_value(self) -> float:
        """The headline in its reported unit: percentage points per standard deviation (binary), or the elasticity."""
        return self.effect.estimate * 100 if self.binary else self.effect.estimate

    def effect_interval(self) -> tuple[float, float]:
        scale = 100.0 if self.binary else 1.0
        return self.effect.ci_low * scale, self.effect.ci_high * scale

    def effect_label(self) -> Text:
        """What :meth:`effect_value` is, for the key figure."""
        return _say(f"effect_{self.kind}").format(engagement=_word(self.engagement),
                                                   conversion=_word(self.conversion),
                                                   sd=format_number(self.engagement_sd, 2))

    def effect_note(self) -> Text:
        """Under the key figure: its interval (and, from the wild cluster bootstrap, say so) and standard errors."""
        low, high = self.effect_interval()
        decimals = 1 if self.binary else 2
        how = message("narrative.ci_method_wild") if self.main.inference == "wild" else Text.same("")
        return _say("effect_note").format(level=f"{self.conf_level * 100:g}%", lo=format_number(low, decimals),
                                          hi=format_number(high, decimals), how=how, vcov=self.main.vcov_label)

    def inference(self) -> Text:
        """The main model's standard errors and, when they differ, where its intervals come from."""
        return Text({lang: inference_note(self.main, lang) for lang in LANGUAGES})

    def design(self) -> Text:
        """The chapter's sentence on the data: a cross-section of n rows, no time effects, the standard errors."""
        return _say("design").format(n=format_number(self.n_obs), vcov=self.main.vcov_label)

    def sentence(self) -> Text:
        """The headline as an association across units, with its interval and standard errors."""
        low, high = self.effect_interval()
        value = self.effect_value()
        common = dict(n=format_number(self.n_obs), engagement=_word(self.engagement),
                      conversion=_word(self.conversion), level=f"{self.conf_level * 100:g}%",
                      vcov=self.main.vcov_label, verb=message("narrative.higher" if value >= 0 else "narrative.lower"))
        if self.binary:
            return _say("sentence_probability").format(sd=format_number(self.engagement_sd, 2),
                                                       pp=format_number(abs(value), 1), lo=format_number(low, 1),
                                                       hi=format_number(high, 1), **common)
        x, a, b = (uplift_pct(v, 10.0) for v in (value, low, high))
        return _say("sentence_elasticity").format(x=_number_text(abs(x), 1, "%"), lo=_number_text(a, 1, "%"),
                                                  hi=_number_text(b, 1, "%"), **common)

    def rates_sentence(self) -> Text:
        """"Without engagement x % of rows convert; with it, y %." (binary conversions with rates), else empty."""
        if not self.rates:
            return Text.same("")
        zero, some = self.rate(False), self.rate(True)
        return _say("rates_sentence").format(engagement=_word(self.engagement),
                                             conversion=_word(self.conversion),
                                             r0=_number_text(zero.rate * 100, 1, "%"),
                                             r1=_number_text(some.rate * 100, 1, "%"))

    def summary(self, sample: str | Text) -> Text:
        """The summary paragraph: the sample, the headline association, the conversion rates."""
        return _say("summary").format(sample=sample, sentence=self.sentence(), rates=self.rates_sentence())

    def caption(self, sample: str | Text) -> Text:
        """The caption of :meth:`table` for the rows of ``sample`` (a category, or all rows)."""
        return _say(f"caption_{self.kind}").format(sample=sample, conversion=_label(self.conversion),
                                                   engagement=_word(self.engagement))

    def note(self) -> Text:
        """The note under :meth:`table`: what a coefficient means; association, not causation."""
        return _say(f"note_{self.kind}").format(conversion=_word(self.conversion),
                                                engagement=_word(self.engagement))

    def rates_caption(self, sample: str | Text) -> Text:
        return _say("rates_caption").format(sample=sample, conversion=_word(self.conversion),
                                            engagement=_word(self.engagement))

    def rates_note(self) -> Text:
        return _say("rates_note")

    def rate_label(self, engaged: bool) -> Text:
        """The key figure's label of :meth:`rate` (``engaged``: engagement above 0)."""
        return _say("rate_label_positive" if engaged else "rate_label_zero").format(
            conversion=_word(self.conversion), engagement=_word(self.engagement))

    def methods(self, source: str = "") -> Text:
        """The methods paragraph: the data (``source``: the file), the models, the standard errors,
        and what a cross-section cannot show."""
        groups = _say("methods_groups").format(group=_word(self.group)) if self.group else Text.same("")
        where = _say("methods_source").format(path=source) if source else Text.same("")
        return _say(f"methods_{self.kind}").format(
            n=format_number(self.n_obs), source=where, conversion=_word(self.conversion),
            engagement=_word(self.engagement), formula=self.main.formula_label, inference=self.inference(),
            groups=groups)


def _check_binary(values: np.ndarray, conversion: str) -> None:
    finite = values[np.isfinite(values)]
    odd = np.unique(finite[(finite != 0) & (finite != 1)])
    if len(odd):
        raise AnalysisError(f"binary=True: the conversion {conversion!r} must be yes/no (1/0); it has other values "
                            f"({', '.join(f'{v:g}' for v in odd[:3])}{', …' if len(odd) > 3 else ''}); for a count "
                            "or an amount use binary=False (conversion_binary=False in the notebook)")


def fit_cross_section(
    df: pd.DataFrame,
    *,
    engagement: str = "engagement",
    conversion: str = "add_to_cart",
    binary: bool = False,
    group: str | None = None,
    vcov: CrossSectionVcov = "hc1",
    conf_level: float = 0.95,
) -> CrossSectionResult:
    """Conversion on engagement across the units of a cross-section (one row per unit, no time).

    Every model is estimated by :func:`reportkit.analysis.models.estimate` (pyfixest) without
    time effects, lags or leads:

    * ``binary=True`` (a yes/no conversion, 1/0): (1) a **linear probability model**, OLS of the
      0/1 outcome on engagement in its own units, whose coefficient is the change in the
      probability of converting per unit of engagement; the headline ``effect`` is that
      coefficient times the standard deviation of engagement (a linear combination with the
      model's covariance, :meth:`ModelResult.lincom`); the last model is the **logit** on the same
      regressor (log-odds). Rows without and with engagement get their conversion rates with
      Wilson intervals (:func:`~reportkit.analysis.models.rate_by`) when both occur.
    * ``binary=False`` (counts or amounts): (1) a **log-log** model (``zeros="log1p"``: a column
      with zeros takes log(1 + x), said in the model's warnings), the headline is the
      elasticity; the last model is **PPML** (outcome in levels).
    * ``group`` (a category column): a model (2) adds its fixed effects (units compared within
      the same group).

    ``vcov``: ``"hc1"`` or ``"hc3"`` (heteroskedasticity-robust; the logit, PPML and
    fixed-effects models, which pyfixest gives no HC3 for, use HC1), ``"iid"``, or ``"cluster"`` /
    ``"crv3"`` clustered by ``group`` (the logit and PPML use CRV1), with the wild cluster
    bootstrap for fewer than 30 clusters as :func:`~reportkit.analysis.models.estimate` does.
    ``"twoway"`` and ``"driscoll_kraay"`` need a time column and are refused. The words
    describe associations across units, not causal effects.

    Raises
    ------
    AnalysisError
        A vcov that needs time or a group that is not given, a non-binary outcome with
        ``binary=True`` (or a 0/1 outcome without it), and whatever the estimator refuses.
    DataError
        A column is missing (the available ones are listed) or not numeric.
    """
    conf_level = check_conf_level(conf_level)
    df = check_frame(df, nonempty=True)
    if isinstance(vcov, str) and vcov in _TIME_VCOV:
        raise AnalysisError(f"vcov={vcov!r} needs a time column, and a cross-section (time='') has none; expected "
                            f"one of {', '.join(repr(v) for v in CROSS_SECTION_VCOV)} ('cluster' clusters by the "
                            "group column)")
    check_choice("vcov", vcov, CROSS_SECTION_VCOV)
    if not isinstance(binary, bool):
        raise AnalysisError(f"binary: expected True (a yes/no conversion) or False; got {binary!r}")
    if engagement == conversion:
        raise AnalysisError(f"engagement and conversion must be different columns; both are {engagement!r}")
    group = group or None
    cluster = group if vcov in _CLUSTERED else None
    if vcov in _CLUSTERED and group is None:
        raise AnalysisError(f"vcov={vcov!r} in a cross-section clusters by the group column, and none was given "
                            "(group=''); name one (e.g. group='category') or use vcov='hc1' (robust)")
    check_columns(df, engagement, conversion, *([group] if group else []))
    y = as_float(df[conversion], conversion, "conversion")
    if binary:
        _check_binary(y, conversion)
    elif np.isin(y[np.isfinite(y)], (0.0, 1.0)).all():
        raise AnalysisError(f"the conversion {conversion!r} holds only 0 and 1: a yes/no outcome; declare it binary "
                            "(binary=True; conversion_binary=True in the notebook) for a linear probability model")

    frame = df[list(dict.fromkeys([engagement, conversion, *([group] if group else [])]))].copy()
    frame[conversion] = y
    common: dict[str, Any] = dict(outcome=conversion, regressors=[engagement], cluster=cluster, conf_level=conf_level)
    if not binary:
        common["zeros"] = "log1p"
    family: Family
    other: Family
    family, other = ("ols", "logit") if binary else ("loglog", "ppml")
    robust = "hc1" if vcov == "hc3" else vcov  # no HC3 with fixed effects or for GLMs in pyfixest
    models = [estimate(frame, family=family, vcov=vcov, **common)]
    if group:
        models.append(estimate(frame, family=family, fixed_effects=[group], vcov=robust, **common))
    models.append(estimate(frame, family=other, vcov="cluster" if vcov == "crv3" else robust, **common))
    main = models[0]
    term = next(t for t in main.terms if t != INTERCEPT)
    used = frame[[engagement, conversion]].apply(pd.to_numeric, errors="coerce").dropna()
    sd = float(used[engagement].std(ddof=1))
    rates: tuple[RateRow, ...] = ()
    if binary:
        effect = main.lincom({term: sd}, name=f"sd·{term}")
        x = used[engagement].to_numpy(dtype=float)
        if (x == 0).any() and (x > 0).any():
            table = rate_by(used, conversion, np.where(x > 0, "engaged", "none"), conf_level=conf_level)
            rates = tuple(RateRow(engaged=row.group == "engaged", n=int(row.n), events=int(row.events),
                                  rate=float(row.rate), ci_low=float(row.ci_low), ci_high=float(row.ci_high))
                          for row in table.itertuples())
    else:
        effect = main.coef(term)
    return CrossSectionResult(binary=binary, engagement=engagement, conversion=conversion, group=group, vcov=vcov,
                              cluster=cluster, term=term, models=tuple(models), effect=effect, engagement_sd=sd,
                              n_obs=main.n_obs, rates=rates, conf_level=conf_level)
