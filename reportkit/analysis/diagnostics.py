"""Regression diagnostics for the engagement → conversion models: collinearity, heteroskedasticity,
functional form and influential observations. Every number comes from statsmodels.

* :func:`vif`: variance inflation factors of a set of columns (e.g. likes, comments, saves, which
  move together), from :func:`statsmodels.stats.outliers_influence.variance_inflation_factor` on a
  design matrix *with a constant*, so that each VIF is 1 / (1 − R²) of the auxiliary regression of
  one column on the others and an intercept (without the constant, VIFs of variables with large
  means are meaningless).
* :func:`regression_diagnostics`: Breusch–Pagan (Koenker's studentised LM version,
  :func:`statsmodels.stats.diagnostic.het_breuschpagan`), Ramsey's RESET (powers 2 and 3 of the
  fitted values, F form, :func:`statsmodels.stats.diagnostic.linear_reset`) and Cook's distance
  (:meth:`statsmodels.stats.outliers_influence.OLSInfluence.cooks_distance`).

With ``entity`` and/or ``time`` the diagnostics are computed on the *within-transformed* model:
outcome and regressors are demeaned by the entity and time effects (exact two-way demeaning with
pyfixest's alternating-projections :func:`pyfixest.estimation.demean`), then fitted by OLS. By
Frisch–Waugh–Lovell the slopes equal those of the fixed-effects model, and the residuals are its
residuals, so BP and RESET test the fixed-effects model's errors and functional form. Two caveats:
statsmodels does not know about the absorbed effects, so the residual degrees of freedom (used by
RESET's F and by Cook's distance's residual variance) are too large by the number of absorbed
effects; the BP LM statistic (n·R² of the auxiliary regression) is not affected. The ranking of
Cook's distances, which is what the summary is used for, is not affected either.

:func:`residual_plot` draws fitted vs residuals and the Cook's distances as stems.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from ..i18n import Language
from .inputs import check_alpha, check_columns, check_complete, check_frame, check_positive, numeric_values
from .memo import memoized

__all__ = [
    "CookObservation",
    "Diagnostics",
    "vif",
    "regression_diagnostics",
    "residual_plot",
]

#: Significance level used by the verdicts.
ALPHA = 0.05

#: catalogue keys (``diagnostics`` group) of the :meth:`Diagnostics.table` columns
_TABLE_COLUMNS = ("column_test", "column_statistic", "column_p_value", "column_reading")


# --------------------------------------------------------------------------- helpers


def _check_lang(lang: Any) -> Language:
    return i18n.check_language(lang, source="lang", error=AnalysisError)  # "… expected one of zh, en"


def _say(key: str, lang: Language, **values: Any) -> str:
    """The catalogue's ``diagnostics.<key>`` text in ``lang``, filled with ``values``."""
    return i18n.message(f"diagnostics.{key}")[lang].format(**values)


def _numeric_matrix(df: pd.DataFrame, columns: Sequence[str], *, log: bool) -> np.ndarray:
    out = []
    for col in columns:
        values = numeric_values(df, col, finite=not log)
        if log:
            check_positive(df, col)
            values = np.log(values)
        out.append(values)
    return np.column_stack(out)


def _column_list(columns: Any, what: str) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    try:
        cols = list(columns)
    except TypeError:
        raise AnalysisError(f"{what}: expected a column name or a list of column names; got {columns!r}") from None
    if not cols:
        raise AnalysisError(f"{what}: expected at least one column name; got an empty list")
    if len(set(cols)) != len(cols):
        raise AnalysisError(f"{what}: column names repeat: {cols}")
    return [str(c) for c in cols]


# --------------------------------------------------------------------------- VIF


@memoized  # the same call in another row of a batch reads the stored result
def vif(df: pd.DataFrame, columns: Sequence[str], *, log: bool = False) -> pd.DataFrame:
    """Variance inflation factors of ``columns``: DataFrame[variable, vif], one row per column.

    The design matrix is the columns (their natural logs with ``log=True``, as they enter a
    log-log model) plus a constant; VIF_j = 1 / (1 − R²_j) where R²_j is from regressing column j
    on the other columns and the constant (statsmodels ``variance_inflation_factor`` with its
    default standardisation, which does not change R²). The constant's own VIF is not reported.
    Rule of thumb: VIF > 5 (some say 10) means the coefficient of that column is poorly
    determined because it moves with the others. A perfectly collinear column gives a very large
    VIF (about 1e15) rather than an error.

    Raises DataError for a missing or non-numeric column or missing values, AnalysisError for
    fewer than two columns, fewer rows than columns + 2, or a constant column.
    """
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    df = check_frame(df)
    cols = _column_list(columns, "columns")
    if len(cols) < 2:
        raise AnalysisError(f"columns: a VIF needs at least two columns; got {cols}")
    check_columns(df, *cols)
    x = _numeric_matrix(df, cols, log=log)
    if len(x) < len(cols) + 2:
        raise AnalysisError(f"a VIF of {len(cols)} columns needs at least {len(cols) + 2} rows; got {len(x)}")
    for j, col in enumerate(cols):
        if np.ptp(x[:, j]) == 0:
            raise AnalysisError(f"column {col!r} is constant, so its VIF is undefined")
    design = np.column_stack([np.ones(len(x)), x])
    with warnings.catch_warnings():
        # "poorly conditioned": a huge VIF says the same thing, in the table
        warnings.filterwarnings("ignore", message="The design matrix is poorly conditioned")
        values = [float(variance_inflation_factor(design, j + 1)) for j in range(len(cols))]
    return pd.DataFrame({"variable": cols, "vif": values})


# --------------------------------------------------------------------------- diagnostics


@dataclass(frozen=True)
class CookObservation:
    """One influential observation: row label and 0-based position in the input frame, entity,
    time, Cook's D and residual."""

    index: Any
    position: int
    entity: Any
    time: Any
    cooks_distance: float
    residual: float


@dataclass(frozen=True)
class Diagnostics:
    """Breusch–Pagan, RESET and Cook's distance of one (possibly within-transformed) OLS model.

    ``fitted``, ``residuals`` and ``cooks`` are stored as tuples in the input's row order (for the
    plot). ``transform`` says whether the model was demeaned by entity and/or time effects.
    """

    outcome: str
    regressors: tuple[str, ...]
    entity: str | None
    time: str | None
    log: bool
    transform: str  # "none" or "within: entity + time" etc.
    n_obs: int
    slopes: tuple[float, ...]  # OLS slopes (FE slopes by Frisch–Waugh–Lovell when demeaned)
    bp_lm: float
    bp_lm_p: float
    bp_f: float
    bp_f_p: float
    bp_df: int
    reset_f: float
    reset_p: float
    reset_df_num: int
    reset_df_denom: float
    cooks_max: float
    cooks_threshold: float  # 4 / N
    cooks_n_above: int
    cooks_top: tuple[CookObservation, ...]  # the 5 largest, largest first
    fitted: tuple[float, ...]
    residuals: tuple[float, ...]
    cooks: tuple[float, ...]
    alpha: float = ALPHA

    @property
    def heteroskedastic(self) -> bool:
        """Breusch–Pagan rejects constant error variance at ``alpha``."""
        return bool(self.bp_lm_p < self.alpha)

    @property
    def misspecified(self) -> bool:
        """RESET rejects the linear (in logs, if ``log``) functional form at ``alpha``."""
        return bool(self.reset_p < self.alpha)

    def top_observations(self) -> pd.DataFrame:
        """The largest Cook's distances: DataFrame[index, position, entity, time, cooks_distance, residual]."""
        return pd.DataFrame(
            [(o.index, o.position, o.entity, o.time, o.cooks_distance, o.residual) for o in self.cooks_top],
            columns=["index", "position", "entity", "time", "cooks_distance", "residual"],
        )

    def verdict(self, test: Literal["breusch_pagan", "reset", "cooks"], lang: Language = i18n.DEFAULT_LANGUAGE) -> str:
        """A short reading of one test's result in ``lang`` (the catalogue's ``diagnostics`` group)."""
        lang = _check_lang(lang)
        a = _fmt(self.alpha)
        if test == "breusch_pagan":
            return _say("bp_rejected" if self.heteroskedastic else "bp_not_rejected", lang, alpha=a)
        if test == "reset":
            return _say("reset_rejected" if self.misspecified else "reset_not_rejected", lang, alpha=a)
        if test == "cooks":
            n, thr = self.cooks_n_above, _fmt(self.cooks_threshold, 4)
            top = self.cooks_top[0] if self.cooks_top else None
            where = ""
            if top is not None:
                if top.entity is None and top.time is None:
                    where = _say("cooks_largest_row", lang, row=top.index)
                else:
                    where = _say("cooks_largest_at", lang, entity=top.entity, time=top.time)
            if self.cooks_max > 1.0:
                return _say("cooks_influential", lang, where=where)
            return _say("cooks_none_influential", lang, n=n, threshold=thr, where=where)
        raise AnalysisError(f"test: expected one of 'breusch_pagan', 'reset', 'cooks'; got {test!r}")

    def table(self, lang: Language = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """Test, statistic, p-value and reading, one row per test, with column labels in ``lang``.

        The Cook's distance row gives the largest D as its statistic and has no p-value (NaN).
        """
        lang = _check_lang(lang)
        rows = [
            (_say("test_breusch_pagan", lang), self.bp_lm, self.bp_lm_p, self.verdict("breusch_pagan", lang)),
            (_say("test_reset", lang), self.reset_f, self.reset_p, self.verdict("reset", lang)),
            (_say("test_cooks", lang), self.cooks_max, float("nan"), self.verdict("cooks", lang)),
        ]
        return pd.DataFrame(rows, columns=[_say(key, lang) for key in _TABLE_COLUMNS])


def _fmt(value: float, decimals: int = 2) -> str:
    from ..style.formatting import format_number

    return format_number(value, decimals)


def _within(values: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    from pyfixest.estimation import demean

    flist = np.column_stack(codes).astype(np.uint64)
    out, converged = demean(np.ascontiguousarray(values, dtype=float), flist, np.ones(len(values)), tol=1e-10)
    if not converged:
        raise AnalysisError("demeaning by the entity/time effects did not converge")
    return np.asarray(out)


def regression_diagnostics(
    df: pd.DataFrame,
    *,
    outcome: str,
    regressors: Sequence[str],
    entity: str | None = None,
    time: str | None = None,
    log: bool = True,
    alpha: float = ALPHA,
    n_top: int = 5,
) -> Diagnostics:
    """Breusch–Pagan, RESET and Cook's distance for ``outcome ~ regressors`` (+ entity/time effects).

    With ``log=True`` (default) outcome and regressors are logged first (pass raw positive
    levels, as for a log-log model); with ``log=False`` they are used as given. With ``entity``
    and/or ``time`` both sides are demeaned by those effects and the OLS is run on the demeaned
    data (with a constant, which is then ≈ 0): slopes and residuals are the fixed-effects
    model's, and BP/RESET/Cook's D are those of the demeaned model (see the module docstring for
    the degrees-of-freedom caveat). Without them it is a pooled OLS with a constant.

    * Breusch–Pagan: Koenker's studentised LM = n·R² of squared residuals on the regressors
      (demeaned, if so) and a constant, χ² with len(regressors) df; the F form is kept too.
    * RESET: F test that fitted² and fitted³ add nothing (``linear_reset(power=3, use_f=True)``).
    * Cook's distance: max, the number above 4/N, and the ``n_top`` largest with their row label,
      entity and time.

    No rows are dropped: missing values raise DataError naming the column.
    """
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import het_breuschpagan, linear_reset

    df = check_frame(df)
    regs = _column_list(regressors, "regressors")
    if outcome in regs:
        raise AnalysisError(f"outcome {outcome!r} is also among the regressors {regs}")
    alpha = check_alpha(alpha)
    if isinstance(n_top, bool) or not isinstance(n_top, (int, np.integer)) or n_top < 1:
        raise AnalysisError(f"n_top: expected a positive integer such as 5; got {n_top!r}")
    fe = [c for c in (entity, time) if c is not None]
    check_columns(df, outcome, *regs, *fe)
    check_complete(df, *fe)
    values = _numeric_matrix(df, [outcome, *regs], log=bool(log))
    n = len(values)
    k = len(regs)
    if n < k + 6:
        raise AnalysisError(f"{n} rows are too few for diagnostics of a model with {k} regressor(s)")

    if fe:
        codes = [pd.factorize(df[c])[0] for c in fe]
        values = _within(values, codes)
        transform = "within: " + " + ".join(fe)
    else:
        transform = "none"
    y = values[:, 0]
    x = sm.add_constant(values[:, 1:], has_constant="add")
    for j, col in enumerate(regs):
        if np.ptp(values[:, 1 + j]) < 1e-12:
            raise AnalysisError(
                f"regressor {col!r} does not vary" + (" within the fixed effects" if fe else "")
                + "; the model is not identified"
            )
    res = sm.OLS(y, x).fit()
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise AnalysisError(f"the regressors {regs} are perfectly collinear" + (" after demeaning" if fe else ""))

    lm, lm_p, f_bp, f_bp_p = het_breuschpagan(res.resid, x)
    reset = linear_reset(res, power=3, test_type="fitted", use_f=True)
    influence = res.get_influence()
    cooks = np.asarray(influence.cooks_distance[0], dtype=float)
    threshold = 4.0 / n
    order = np.argsort(-cooks, kind="stable")[: min(n_top, n)]
    index = list(df.index)
    top = tuple(
        CookObservation(
            index=_plain(index[i]),
            position=int(i),
            entity=_plain(df[entity].iloc[i]) if entity else None,
            time=_plain(df[time].iloc[i]) if time else None,
            cooks_distance=float(cooks[i]),
            residual=float(res.resid[i]),
        )
        for i in order
    )
    return Diagnostics(
        outcome=outcome,
        regressors=tuple(regs),
        entity=entity,
        time=time,
        log=bool(log),
        transform=transform,
        n_obs=n,
        slopes=tuple(float(b) for b in res.params[1:]),
        bp_lm=float(lm),
        bp_lm_p=float(lm_p),
        bp_f=float(f_bp),
        bp_f_p=float(f_bp_p),
        bp_df=k,
        reset_f=float(np.squeeze(reset.fvalue)),
        reset_p=float(np.squeeze(reset.pvalue)),
        reset_df_num=int(reset.df_num),
        reset_df_denom=float(reset.df_denom),
        cooks_max=float(cooks.max()),
        cooks_threshold=threshold,
        cooks_n_above=int((cooks > threshold).sum()),
        cooks_top=top,
        fitted=tuple(float(v) for v in res.fittedvalues),
        residuals=tuple(float(v) for v in res.resid),
        cooks=tuple(float(v) for v in cooks),
        alpha=float(alpha),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, (pd.Timestamp, np.datetime64)):  # a period: a date unless it has a time of day
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            return value
    return value


# --------------------------------------------------------------------------- plot


def residual_plot(diag: Diagnostics, *, lang: Language = i18n.DEFAULT_LANGUAGE) -> Any:
    """Two panels: fitted vs residuals (with a zero line), and Cook's distances as stems with the
    4/N line, the largest ones marked and the very largest labelled with its entity / time.
    Call :func:`reportkit.analysis.plots.use_theme` first."""
    import matplotlib.pyplot as plt

    from .plots import FIGSIZE, PALETTE, attach_data

    if not isinstance(diag, Diagnostics):
        raise AnalysisError(f"expected a Diagnostics result; got {type(diag).__name__}")
    lang = _check_lang(lang)

    def w(key: str) -> str:
        return _say(f"plot_{key}", lang)

    fitted = np.asarray(diag.fitted)
    resid = np.asarray(diag.residuals)
    cooks = np.asarray(diag.cooks)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FIGSIZE[0], FIGSIZE[1]))
    ax1.scatter(fitted, resid, s=8, alpha=0.45, color=PALETTE[2], linewidths=0)
    ax1.axhline(0.0, color=PALETTE[1], linewidth=1.0)
    ax1.set_xlabel(w("fitted_within" if diag.transform != "none" else "fitted"))
    ax1.set_ylabel(w("residual"))
    ax1.set_title(w("title_residuals"), loc="left")

    obs = np.arange(len(cooks))
    markerline, stemlines, baseline = ax2.stem(obs, cooks, basefmt=" ")
    plt.setp(stemlines, color=PALETTE[0], linewidth=0.6)
    plt.setp(markerline, color=PALETTE[0], markersize=2)
    ax2.axhline(diag.cooks_threshold, color=PALETTE[1], linestyle="--", linewidth=1.0, label=w("threshold"))
    top_pos = [o.position for o in diag.cooks_top]
    ax2.scatter(top_pos, cooks[top_pos], s=14, color=PALETTE[1], zorder=3)
    if diag.cooks_top:
        o = diag.cooks_top[0]
        label = " / ".join(str(v) for v in (o.entity, o.time) if v is not None) or str(o.index)
        right = o.position > 0.6 * len(cooks)
        ax2.annotate(label, (o.position, o.cooks_distance), xytext=(-4 if right else 4, 0), textcoords="offset points",
                     fontsize=7, ha="right" if right else "left", va="center")
    ax2.set_xlabel(w("observation"))
    ax2.set_ylabel(w("cooks"))
    ax2.set_title(w("title_cooks"), loc="left")
    ax2.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    # the data drawn: one row per observation, by its position on the right panel's axis
    return attach_data(fig, pd.DataFrame({
        w("observation"): obs, w("fitted_within" if diag.transform != "none" else "fitted"): fitted,
        w("residual"): resid, w("cooks"): cooks}))
