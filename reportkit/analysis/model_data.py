"""Model data: a DataFrame and a :class:`~reportkit.analysis.models.ModelSpec` → arrays ready to fit.

:func:`prepare` checks the columns (present, numeric, finite; key columns complete), drops rows
with missing values in the outcome, regressors or controls, takes the logs of the log families
under the zeros policy, codes the fixed effects and clusters as integers, drops fixed-effect
singletons and (logit, PPML) groups whose outcome is all 0 (or all 1), checks variation, the
number of parameters, clusters (at least 2; fewer than :data:`MIN_CLUSTERS` only when the spec
forces it, with a warning) and the Driscoll–Kraay panel, and returns a :class:`Prepared`.
Every row dropped and every transform chosen is written to its :class:`Notes` (English and
Chinese), which become the result's warnings.

:func:`design_problems` / :func:`design_error` explain a design the estimator cannot fit:
regressors absorbed by the fixed effects and exact linear dependencies, by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError, DataError
from .inputs import as_float, check_columns, check_frame

if TYPE_CHECKING:
    from .models import ModelSpec

__all__ = [
    "LOGGED_FAMILIES",
    "MAX_DUMMY_LEVELS",
    "MIN_CLUSTERS",
    "FEW_CLUSTERS",
    "Notes",
    "Prepared",
    "fe_parts",
    "n_levels",
    "fmt_int",
    "prepare",
    "design_problems",
    "design_error",
]

LOGGED_FAMILIES: tuple[str, ...] = ("loglog", "ppml")  # families whose regressors are log-transformed
MAX_DUMMY_LEVELS = 200  # fixed effects as dummy columns (weighted binomial GLM) above this: refuse
# Clustered inference (vcov "cluster", "crv3", "twoway": each clustering dimension) with fewer than
# MIN_CLUSTERS clusters is refused unless the analyst forces it (estimate(allow_few_clusters=True)),
# and a forced result carries a warning. Below FEW_CLUSTERS, CRV1 t-tests over-reject even with the
# t(G − 1) critical values (Cameron–Miller 2015; MacKinnon–Nielsen–Webb 2023): the documented
# threshold below which a wild cluster bootstrap is to become the default for linear models.
MIN_CLUSTERS = 5
FEW_CLUSTERS = 30


def fe_parts(fe: str) -> tuple[str, ...]:
    """The columns of a fixed effect: ``"category^week"`` → ``("category", "week")``."""
    return tuple(part.strip() for part in fe.split("^"))


# --------------------------------------------------------------------------- notes (warnings)


class Notes:
    """Warnings for the result, in English and Chinese."""

    def __init__(self) -> None:
        self.en: list[str] = []
        self.zh: list[str] = []

    def add(self, en: str, zh: str) -> None:
        self.en.append(en)
        self.zh.append(zh)


# --------------------------------------------------------------------------- codes and logs


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


def n_levels(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


def fmt_int(n: int) -> str:
    return f"{n:,}"


def _log_transform(
    values: np.ndarray, col: str, role: str, policy: str, family: str, notes: Notes
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
            f"log1p: {col!r} has {fmt_int(n_zero)} zero row(s) of {fmt_int(n)}, so log(1 + {col}) is used instead "
            f"of log({col}) (term log1p_{col}); near zero its coefficient is not an exact elasticity"
            + ("; PPML (family='ppml') handles zeros in the outcome without a transform" if role == "outcome" else ""),
            f"log1p：{col!r} 有 {fmt_int(n_zero)} 行为零（共 {fmt_int(n)} 行），故以 log(1 + {col}) 代替 log({col})"
            f"（项名 log1p_{col}）；在零附近其系数并非严格的弹性"
            + ("；泊松伪极大似然（PPML）可直接处理结果变量中的零" if role == "outcome" else ""),
        )
        return np.log1p(values), "log1p_"
    return np.log(values), "log_"


# --------------------------------------------------------------------------- prepared data


@dataclass
class Prepared:
    """The rows and columns a back end fits, with the resolved spec and the notes so far."""

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
    notes: Notes
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


def prepare(data: Any, spec: ModelSpec) -> Prepared:
    """Check ``data`` against ``spec`` and build the arrays to fit (``spec.dk_lags`` resolved)."""
    data = check_frame(data, nonempty=True)
    n_input = len(data)
    notes = Notes()
    keys = list(dict.fromkeys([*spec.fe_columns, *spec.cluster, *(c for c in (spec.entity, spec.time) if c)]))
    numeric_cols = [spec.outcome, *spec.regressors, *spec.controls]
    check_columns(data, *numeric_cols, *keys, *([spec.weights] if spec.weights else []))

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
    raw = {col: as_float(data[col], col, roles[col]) for col in numeric_cols}
    for col, values in raw.items():
        n_inf = int(np.isinf(values).sum())
        if n_inf:
            raise DataError(f"column {col!r} has {n_inf} infinite value(s); fix them explicitly before modelling", column=col)
    weights = None
    if spec.weights:
        weights = as_float(data[spec.weights], spec.weights, "weights (trials)")
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
        detail = ", ".join(f"{col}: {fmt_int(int(m.sum()))}" for col, m in missing.items() if m.any())
        detail_zh = "，".join(f"{col}：{fmt_int(int(m.sum()))}" for col, m in missing.items() if m.any())
        notes.add(
            f"dropped {fmt_int(n_missing_rows)} of {fmt_int(n_input)} rows with missing values ({detail})",
            f"删除 {fmt_int(n_missing_rows)} 行含缺失值的观测（共 {fmt_int(n_input)} 行；{detail_zh}）",
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
        if family in LOGGED_FAMILIES and col in spec.regressors:
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
        parts = fe_parts(fe)
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
            f"dropped {fmt_int(n_sep)} row(s) in fixed-effect groups whose outcome is {what} (perfect separation: "
            "their effects are not finite and the rows carry no information on the coefficients)",
            f"删除 {fmt_int(n_sep)} 行：其固定效应组内结果变量{what_zh}（完全分离，该组效应不是有限值，"
            "这些行对系数没有信息）",
        )
    if n_single:
        notes.add(
            f"dropped {fmt_int(n_single)} singleton row(s) (the only row of their fixed-effect group), as fixest does",
            f"删除 {fmt_int(n_single)} 个单例观测（其固定效应组内仅此一行），与 fixest 的做法一致",
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
            f"the outcome {spec.outcome!r} has no variation: all {fmt_int(n)} rows used have the value {y[0]:g}"
        )
    for j, col in enumerate(x_cols):
        if np.ptp(x[:, j]) == 0:
            role = "regressor" if col in spec.regressors else "control"
            raise AnalysisError(
                f"{role} {col!r} has no variation: all {fmt_int(n)} rows used have the same value "
                f"({x[0, j]:g}{' after the log' if terms[j] != col else ''}); its coefficient is not identified"
            )

    # parameters vs observations
    k = x.shape[1]
    if fe_codes:
        n_fe_params = sum(n_levels(c) for c in fe_codes) - (len(fe_codes) - 1)
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
        g = n_levels(codes_of[col])
        if g < 2:
            raise AnalysisError(f"clustering by {col!r} needs at least 2 clusters; the rows used have {g}")
        if g < MIN_CLUSTERS:
            if not spec.allow_few_clusters:
                raise AnalysisError(
                    f"clustering by {col!r} (vcov={spec.vcov!r}): the {fmt_int(n)} rows used have only {g} clusters, "
                    f"fewer than {MIN_CLUSTERS}; with so few clusters clustered standard errors and p-values are "
                    "unreliable. Choose another vcov (vcov='hc1', or 'driscoll_kraay' for a panel with many "
                    "periods), cluster by a column with more groups, or pass allow_few_clusters=True to force it "
                    "(the result then carries a warning)"
                )
            notes.add(
                f"only {g} clusters of {col!r} (fewer than {MIN_CLUSTERS}; forced with allow_few_clusters=True): "
                f"with {g} clusters the clustered standard errors and p-values are unreliable",
                f"聚类变量 {col} 仅有 {g} 个聚类（少于 {MIN_CLUSTERS} 个，经 allow_few_clusters=True 强制估计）："
                f"聚类数为 {g} 时，聚类标准误和 p 值不可靠",
            )

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
            levels = n_levels(codes)
            if levels > MAX_DUMMY_LEVELS:
                raise AnalysisError(
                    f"fixed effect {fe!r} has {levels} levels; the weighted binomial GLM (rate outcome with weights=) "
                    f"adds fixed effects as dummy columns, which is refused above {MAX_DUMMY_LEVELS} levels (memory, "
                    "time and the incidental-parameter bias); use a binary outcome (one row per trial) with "
                    "family='logit', which absorbs fixed effects, or fewer levels"
                )

    rhs = " + ".join(terms)
    formula = f"{y_term} ~ {rhs}" + (f" | {' + '.join(spec.fixed_effects)}" if spec.fixed_effects else "")
    return Prepared(
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


def _residualize(p: Prepared, x: np.ndarray) -> np.ndarray:
    """x with the fixed effects (or, without them, the mean) removed."""
    if not p.fe_codes:
        return x - x.mean(axis=0)
    from pyfixest.estimation import demean

    flist = np.column_stack(p.fe_codes).astype(np.uint64)
    out, _ = demean(np.ascontiguousarray(x, dtype=float), flist, np.ones(len(x)), tol=1e-10, maxiter=100_000)
    return np.asarray(out)


def design_problems(p: Prepared, resid: np.ndarray) -> list[str]:
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


def design_error(p: Prepared, scaled: np.ndarray, fallback: str) -> AnalysisError:
    """The error to raise when the estimator failed or dropped terms: named design problems if any."""
    problems = design_problems(p, _residualize(p, scaled))
    return AnalysisError("; ".join(problems) if problems else fallback)

