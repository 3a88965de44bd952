"""Model back ends: a :class:`~reportkit.analysis.model_data.Prepared` → coefficients, covariance, fit statistics.

* :func:`fit_pyfixest`: OLS (``pyfixest.feols``), PPML (``fepois``) and logit (``feglm``) with
  the fixed effects absorbed and the requested covariance (:func:`_vcov_argument`).
* :func:`fit_binomial_glm`: the binomial GLM (logit link) of a rate weighted by trials,
  :class:`statsmodels.api.GLM` with the fixed effects as dummy columns.

Both centre (when there is an intercept) and scale the columns before fitting and map the
coefficients and covariance back exactly (β = Aβ*, V = AV*A'). Both return a dict with
``intercept`` (whether the first coefficient is the constant), ``beta``, ``vcov``, ``n_obs``,
``df_t`` (None: normal inference), ``r2``, ``adj_r2``, ``r2_within``, ``pseudo_r2``,
``log_likelihood`` and ``resid_se``. Warnings the estimators emit are kept in the notes
(:func:`quiet`); a failure or a dropped term is explained by
:func:`~reportkit.analysis.model_data.design_error`.

Degrees of freedom (:func:`t_df`): clustered covariances (cluster, crv3, twoway) use the t
distribution with G − 1 degrees of freedom (two-way: the smaller G) for every family, linear or
GLM, as fixest and statsmodels (``use_t=True``) do; Driscoll–Kraay T − 1 and other linear
covariances N − K (pyfixest's); GLMs that are not clustered the normal.

CRV3 (``vcov="crv3"``, linear models only): pyfixest 0.60's ``{"CRV3": col}`` computes
Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)' from the G leave-one-cluster-out estimates β̂_(g) (refitted with
the fixed effects when there are any), centred at the full-sample β̂ (not at the mean β̄ of the
β̂_(g)), times its CRV factor G/(G−1)·(N−1)/(N−K). We switch that factor off
(``ssc(k_adj=False, G_adj=False)``) and multiply by (G−1)/G: MacKinnon–Nielsen–Webb's CV₃,
((G−1)/G)·Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)'. Centred at β̄ instead (their CV₃J) it would be smaller by
(G−1)·(β̄ − β̂)(β̄ − β̂)'. Without fixed effects pyfixest updates X'X and X'y per cluster (exact);
with them it refits ``feols`` on each leave-one-out sample at its default demeaning tolerance
(1e-6: it does not pass our demeaner on), so those SEs are accurate to about 1e-5 relative.
pyfixest's leave-one-out path for ``feglm`` refits a Poisson model, one reason GLMs are refused.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..i18n import message
from .model_data import Notes, Prepared, design_error, design_problems, fmt_int, n_levels

__all__ = [
    "LINEAR_FAMILIES",
    "FIXEF_TOL",
    "IWLS_TOL",
    "quiet",
    "t_df",
    "fit_pyfixest",
    "fit_binomial_glm",
]

LINEAR_FAMILIES: tuple[str, ...] = ("ols", "loglog")  # fitted by OLS (pyfixest.feols)
FIXEF_TOL = 1e-10  # alternating-projections tolerance handed to pyfixest's demeaner
# IRLS convergence (relative deviance change) for logit and PPML. pyfixest's default 1e-8 leaves
# the sandwich evaluated one iterate early (SEs off by ~1e-5 relative); 1e-10 costs an iteration.
IWLS_TOL = 1e-10


@contextmanager
def quiet(notes: Notes, source: str) -> Iterator[None]:
    """Silence warnings inside our estimator calls only; keep the ones a reader should see.

    pyfixest 0.60 calls pandas with ``inplace=`` (deprecated in pandas 3) and announces drops
    that :func:`~reportkit.analysis.model_data.prepare` has already done and reported;
    deprecation/future warnings are dropped, any other warning is recorded in the result's warnings.
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
        notes.add(message("models.note_estimator").format(source=source, text=text))


def _scaling(x: np.ndarray, center: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0) if center else np.zeros(x.shape[1])
    scale = x.std(axis=0)
    return (x - mean) / scale, mean, scale


def _back_transform(
    beta: np.ndarray, vcov: np.ndarray, has_intercept: bool, mean: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
        "names": [str(n) for n in fit._coefnames],  # noqa: SLF001 - pyfixest exposes it only privately
        "beta": np.asarray(fit._beta_hat, dtype=float).ravel(),  # noqa: SLF001 - pyfixest exposes it only privately
        "vcov": np.asarray(fit._vcov, dtype=float),  # noqa: SLF001 - pyfixest exposes it only privately
        "n_obs": int(fit._N),  # noqa: SLF001 - pyfixest exposes it only privately
        "df_t": int(np.min(np.asarray(fit._df_t))),  # noqa: SLF001 - pyfixest exposes it only privately
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


def t_df(p: Prepared, linear_df: int | None) -> int | None:
    """Degrees of freedom of the t distribution for p-values and CIs (None: the normal).

    Clustered (cluster, crv3, twoway): min G − 1 for every family. Otherwise ``linear_df`` (the
    estimator's own: N − K, or T − 1 for Driscoll–Kraay) for linear models, None for GLMs.
    """
    if p.cluster_names:
        return min(n_levels(p.key_codes[name]) for name in p.cluster_names) - 1
    return linear_df if p.spec.family in LINEAR_FAMILIES else None


def _vcov_argument(p: Prepared) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
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
    if v == "crv3":  # bare Σ(β̂_(g) − β̂)(β̂_(g) − β̂)'; fit_pyfixest applies (G−1)/G
        return {"CRV3": p.cluster_names[0]}, None, pf.ssc(k_adj=False, G_adj=False)
    return "DK", {"time_id": "rk_t", "panel_id": "rk_i", "lag": int(p.spec.dk_lags or 0)}, None


def fit_pyfixest(p: Prepared) -> dict[str, Any]:
    """OLS, PPML or logit with the fixed effects absorbed, by pyfixest."""
    import pyfixest as pf

    has_fe = bool(p.fe_codes)
    scaled, mean, scale = _scaling(p.x, center=not has_fe)
    frame: dict[str, Any] = {"rk_y": p.y}
    xnames = [f"rk_x{j}" for j in range(p.x.shape[1])]
    for j, name in enumerate(xnames):
        frame[name] = scaled[:, j]
    for name, codes in zip(p.fe_names, p.fe_codes, strict=True):
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
        with quiet(p.notes, "pyfixest"):
            if family in LINEAR_FAMILIES:
                kwargs["demeaner"] = pf.MapDemeaner(fixef_tol=FIXEF_TOL)
                fit = pf.feols(fml, data=df, **kwargs)
            elif family == "ppml":
                fit = pf.fepois(fml, data=df, iwls_tol=IWLS_TOL, iwls_maxiter=100, **kwargs)
            else:
                fit = pf.feglm(fml, data=df, family="logit", separation_check=[], iwls_tol=IWLS_TOL,
                               iwls_maxiter=100, **kwargs)
            got = _pyfixest_internals(fit)
    except Exception as exc:  # pyfixest raises many types; explain the design, else wrap
        raise design_error(
            p, scaled, f"pyfixest could not fit {p.formula!r} on {len(p.y)} rows: {type(exc).__name__}: "
            + " ".join(str(exc).split())
        ) from exc
    wanted = (["Intercept"] if not has_fe else []) + xnames
    if got["names"] != wanted:
        dropped = [p.columns[xnames.index(n)] for n in xnames if n not in got["names"]]
        raise design_error(
            p, scaled, f"pyfixest dropped {', '.join(repr(d) for d in dropped)} as collinear (tolerance 1e-9); "
            "the remaining coefficients would not be the model asked for"
        )
    if p.spec.vcov == "crv3":
        g = n_levels(p.key_codes[p.cluster_names[0]])
        got["vcov"] = got["vcov"] * (g - 1) / g
    beta, vcov_m = _back_transform(got["beta"], got["vcov"], not has_fe, mean, scale)
    got["beta"], got["vcov"] = beta, vcov_m
    got["intercept"] = not has_fe

    if got["n_obs"] != len(p.y):
        extra = len(p.y) - got["n_obs"]
        p.notes.add(message("models.note_pyfixest_dropped").format(n=fmt_int(extra)))
    n = got["n_obs"]
    stats_: dict[str, Any] = {"df_t": t_df(p, got["df_t"])}
    if family in LINEAR_FAMILIES:
        resid = np.asarray(fit.resid(), dtype=float).ravel()
        ssr = float(resid @ resid)
        stats_.update(
            r2=_finite_or_none(got["r2"]),
            adj_r2=_finite_or_none(got["adj_r2"]),
            r2_within=_finite_or_none(got["r2_within"]) if has_fe else None,
            pseudo_r2=None,
            log_likelihood=-0.5 * n * (math.log(2.0 * math.pi) + math.log(ssr / n) + 1.0) if ssr > 0 else None,
            resid_se=math.sqrt(ssr / (n - p.n_params)) if n > p.n_params else None,
        )
    elif family == "ppml":
        stats_.update(r2=None, adj_r2=None, r2_within=None, pseudo_r2=_finite_or_none(got["pseudo_r2"]),
                      log_likelihood=_finite_or_none(got["loglik"]), resid_se=None)
    else:
        mu = np.clip(np.asarray(got["mu"], dtype=float).ravel(), 1e-300, 1 - 1e-16)
        yv = p.y if len(mu) == len(p.y) else None
        ll: float | None
        pseudo: float | None
        if yv is not None:
            ll = float(np.sum(yv * np.log(mu) + (1 - yv) * np.log1p(-mu)))
            pbar = float(yv.mean())
            ll0 = len(yv) * (pbar * math.log(pbar) + (1 - pbar) * math.log1p(-pbar))
            pseudo = 1.0 - ll / ll0
        else:
            ll = pseudo = None
        stats_.update(r2=None, adj_r2=None, r2_within=None, pseudo_r2=pseudo, log_likelihood=ll, resid_se=None)
    got.update(stats_)
    return got


def fit_binomial_glm(p: Prepared) -> dict[str, Any]:
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
    problems = design_problems(p, scaled - dummies @ coef)
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
        with quiet(p.notes, "statsmodels"):
            res = model.fit(**fit_kw)
            pseudo = float(res.pseudo_rsquared(kind="mcf"))
    except Exception as exc:
        raise AnalysisError(f"statsmodels could not fit {p.formula!r}: {type(exc).__name__}: {exc}") from exc
    beta = np.asarray(res.params, dtype=float)[:k]
    vcov = np.asarray(res.cov_params(), dtype=float)[:k, :k]
    beta, vcov = _back_transform(beta, vcov, True, mean, scale)
    return {
        "intercept": True,
        "beta": beta,
        "vcov": vcov,
        "n_obs": len(p.y),
        "df_t": t_df(p, None),
        "r2": None,
        "adj_r2": None,
        "r2_within": None,
        "pseudo_r2": _finite_or_none(pseudo),
        "log_likelihood": _finite_or_none(res.llf),
        "resid_se": None,
    }

