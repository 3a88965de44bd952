"""Model data: a DataFrame and a :class:`~reportkit.analysis.models.ModelSpec` → arrays ready to fit.

:func:`prepare` checks the columns (present, numeric, finite; key columns complete), drops rows
with missing values in the outcome, regressors or controls, takes the logs of the log families
under the zeros policy, codes the fixed effects and clusters as integers, drops fixed-effect
singletons and (logit, PPML) groups whose outcome is all 0 (or all 1), checks variation, the
number of parameters, clusters (at least 2; fewer than :data:`MIN_CLUSTERS` only when the spec
forces it, with a warning) and the Driscoll–Kraay panel, and returns a :class:`Prepared`.
Every row dropped and every transform chosen is written to its :class:`Notes`, one
:class:`~reportkit.i18n.Text` per note with an entry in every language of
:data:`~reportkit.i18n.LANGUAGES` (the sentences are the catalogue's ``models.note_*`` entries);
they become the result's warnings. Each phase of :func:`prepare` is a function of its own, in
the order it runs: :func:`_read_columns`, :func:`_drop_missing_rows`, :func:`_check_outcome`,
:func:`_transform`, :func:`_code_keys`, :func:`_drop_groups`, :func:`_check_variation`,
:func:`_count_parameters`, :func:`_check_clusters`, :func:`_driscoll_kraay`,
:func:`_check_dummy_levels` and :func:`_formula`.

:func:`design_problems` / :func:`design_error` explain a design the estimator cannot fit:
regressors absorbed by the fixed effects and exact linear dependencies, by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from ..errors import AnalysisError, DataError
from ..i18n import LANGUAGES, Language, Text, TranslationError, check_language, message
from . import wild_bootstrap
from .inputs import as_float, check_columns, check_frame
from .narrative import term_label

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
WILD_JOINT_BELOW = wild_bootstrap.WILD_JOINT_BELOW  # where joint tests take the bootstrap: see there


def fe_parts(fe: str) -> tuple[str, ...]:
    """The columns of a fixed effect: ``"category^week"`` → ``("category", "week")``."""
    return tuple(part.strip() for part in fe.split("^"))


# --------------------------------------------------------------------------- notes (warnings)


class Notes(Sequence[Text]):
    """Warnings for the result: a sequence of :class:`~reportkit.i18n.Text`, one per note, each
    with an entry in every language of :data:`~reportkit.i18n.LANGUAGES` (a note missing one is
    refused when it is added, not when a report in that language is written)."""

    def __init__(self, notes: Iterable[Text | Mapping[str, str]] = ()) -> None:
        self._notes: list[Text] = []
        for note in notes:
            self.add(note)

    @staticmethod
    def check(note: Any) -> Text:
        """``note`` as a Text with an entry in every language; else :class:`TranslationError`."""
        if isinstance(note, Mapping) and not isinstance(note, Text):
            note = Text(dict(note))
        if not isinstance(note, Text):
            raise TranslationError(
                f"a note must be a Text with an entry in every language ({', '.join(LANGUAGES)}); "
                f"got {type(note).__name__} {note!r}"
            )
        missing = [lang for lang in LANGUAGES if lang not in note]
        if missing:
            raise TranslationError(
                f"the note {note!r} has no {', '.join(repr(lang) for lang in missing)} entry; every note needs "
                f"one in each language ({', '.join(LANGUAGES)})",
                lang=missing[0],
            )
        return note

    def add(self, note: Text | Mapping[str, str]) -> None:
        self._notes.append(self.check(note))

    @overload
    def __getitem__(self, index: int) -> Text: ...

    @overload
    def __getitem__(self, index: slice) -> list[Text]: ...

    def __getitem__(self, index: int | slice) -> Text | list[Text]:
        return self._notes[index]

    def __len__(self) -> int:
        return len(self._notes)

    def __iter__(self) -> Iterator[Text]:
        return iter(self._notes)

    def __repr__(self) -> str:
        return f"Notes({self._notes!r})"

    def in_language(self, lang: Language) -> list[str]:
        """Every note in ``lang`` (one of :data:`~reportkit.i18n.LANGUAGES`)."""
        lang = check_language(lang, source="notes")
        return [note[lang] for note in self._notes]


# --------------------------------------------------------------------------- codes and logs


def _codes(values: np.ndarray, col: str, *, sort: bool = False) -> np.ndarray:
    try:
        codes, _ = pd.factorize(values, sort=sort)
    except TypeError as exc:
        raise DataError(f"column {col!r} mixes values that cannot be ordered: {exc}", column=col) from exc
    out: np.ndarray = codes.astype(np.int64)
    return out


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
        note = message("models.note_log1p").format(col=col, n_zero=fmt_int(n_zero), n=fmt_int(n))
        notes.add(note + message("models.note_log1p_outcome") if role == "outcome" else note)
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
            for codes, m in zip(fe_codes, sizes, strict=True):
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
        for codes, m in zip(fe_codes, sizes, strict=True):
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
    """Check ``data`` against ``spec`` and build the arrays to fit (``spec.dk_lags`` resolved).

    The phases run in this order, each a function of its own; every check of a phase runs before
    the next phase starts, so the first problem found is the one reported."""
    data = check_frame(data, nonempty=True)
    n_input = len(data)
    notes = Notes()
    keys = _key_columns(spec)
    raw, weights = _read_columns(data, spec, keys)
    keep, vals, weights = _drop_missing_rows(raw, weights, n_input, notes, time=spec.time)
    _check_outcome(vals[spec.outcome], spec, weights)
    y, y_term, x, x_cols, terms = _transform(vals, spec, notes)
    codes = _code_keys(data, spec, keys, keep)
    y, x, weights, codes = _drop_groups(y, x, weights, codes, spec.family, notes)
    n = len(y)
    _check_variation(y, x, x_cols, terms, spec)
    n_params, n_fe_params = _count_parameters(n, x, codes.fe_codes)
    _check_clusters(spec, codes, n, notes)
    spec, dk_time, dk_entity = _driscoll_kraay(spec, codes, n)
    _check_dummy_levels(spec, codes.fe_codes)
    return Prepared(
        spec=spec,
        y=y,
        x=x,
        columns=tuple(x_cols),
        terms=tuple(terms),
        y_term=y_term,
        fe_codes=codes.fe_codes,
        key_codes={codes.internal[c]: codes.codes_of[c] for c in spec.cluster},
        fe_names=codes.fe_names,
        cluster_names=[codes.internal[c] for c in spec.cluster],
        dk_time=dk_time,
        dk_entity=dk_entity,
        weights=weights,
        n_input=n_input,
        notes=notes,
        formula=_formula(y_term, terms, spec),
        n_params=n_params,
        n_fe_params=n_fe_params,
    )


def _key_columns(spec: ModelSpec) -> list[str]:
    """The key columns (fixed effects, clusters, entity, time) in order, no repeats."""
    return list(dict.fromkeys([*spec.fe_columns, *spec.cluster, *(c for c in (spec.entity, spec.time) if c)]))


def _read_columns(data: pd.DataFrame, spec: ModelSpec, keys: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Columns present; keys complete; outcome, regressors and controls numeric and finite (NaN
    allowed); weights finite and positive. Returns the numeric columns as floats and the weights."""
    numeric_cols = [spec.outcome, *spec.regressors, *spec.controls]
    check_columns(data, *numeric_cols, *keys, *([spec.weights] if spec.weights else []))

    # keys: no missing values (never dropped silently)
    n_input = len(data)
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
    return raw, weights


def _drop_missing_rows(
    raw: dict[str, np.ndarray], weights: np.ndarray | None, n_input: int, notes: Notes, *, time: str | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """Rows with missing outcome/regressors/controls: dropped, and said so, each column by the
    reader's label (a note reaches the report under its table: "互动量滞后 1 周：8", not
    "engagement_l1: 8"; :func:`~reportkit.analysis.narrative.term_label`, lags in units of
    ``time``). Returns the rows kept (a mask of the input), the numeric columns and the weights of
    those rows."""
    missing = {col: np.isnan(v) for col, v in raw.items()}
    any_missing = np.zeros(n_input, dtype=bool)
    for m in missing.values():
        any_missing |= m
    n_missing_rows = int(any_missing.sum())
    if n_missing_rows == n_input:
        raise AnalysisError("every row has a missing value in the outcome, a regressor or a control; nothing to fit")
    if n_missing_rows:
        detail = Text.join(message("models.list_sep"), [
            message("models.note_missing_column").format(
                col=Text({lang: term_label(col, lang, time=time) for lang in LANGUAGES}), count=fmt_int(int(m.sum())))
            for col, m in missing.items() if m.any()
        ])
        notes.add(message("models.note_missing_rows").format(n_missing=fmt_int(n_missing_rows), n=fmt_int(n_input),
                                                             detail=detail))
    keep = ~any_missing
    vals = {col: v[keep] for col, v in raw.items()}
    if weights is not None:
        weights = weights[keep]
    return keep, vals, weights


def _check_outcome(y: np.ndarray, spec: ModelSpec, weights: np.ndarray | None) -> None:
    """The outcome's values suit the family: 0/1 (logit), a rate in [0, 1] (binomial), ≥ 0 (PPML)."""
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


def _transform(
    vals: dict[str, np.ndarray], spec: ModelSpec, notes: Notes
) -> tuple[np.ndarray, str, np.ndarray, list[str], list[str]]:
    """The logs of the log families (outcome, then regressors) under the zeros policy. Returns
    y, its term, x (regressors then controls), the data columns behind x and their terms."""
    y = vals[spec.outcome]
    family = spec.family
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
    return y, y_term, x, x_cols, terms


@dataclass
class _KeyCodes:
    """The key columns of the rows in use: raw values, integer codes, fixed effects as codes."""

    internal: dict[str, str]  # column → internal name ("rk_k0", …)
    key_raw: dict[str, np.ndarray]  # column → raw values (every key column)
    codes_of: dict[str, np.ndarray]  # column → integer codes (fixed-effect and cluster columns)
    fe_codes: list[np.ndarray]  # one code vector per fixed effect (interactions combined)
    fe_names: list[str]  # internal names of the fixed effects

    def rows(self, alive: np.ndarray) -> _KeyCodes:
        """The same keys restricted to the rows where ``alive`` is True."""
        return _KeyCodes(
            internal=self.internal,
            key_raw={col: v[alive] for col, v in self.key_raw.items()},
            codes_of={col: c[alive] for col, c in self.codes_of.items()},
            fe_codes=[c[alive] for c in self.fe_codes],
            fe_names=self.fe_names,
        )


def _code_keys(data: pd.DataFrame, spec: ModelSpec, keys: list[str], keep: np.ndarray) -> _KeyCodes:
    """Keys as integer codes (same internal name for the same column: pyfixest detects fixed
    effects nested in a cluster by name)."""
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
    return _KeyCodes(internal=internal, key_raw=key_raw, codes_of=codes_of, fe_codes=fe_codes, fe_names=fe_names)


def _drop_groups(
    y: np.ndarray, x: np.ndarray, weights: np.ndarray | None, codes: _KeyCodes, family: str, notes: Notes
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, _KeyCodes]:
    """Separated groups (logit, PPML) and singletons dropped, and said so; at least one row left."""
    alive, n_sep, n_single = _prune(y, codes.fe_codes, family)
    if n_sep:
        what = message("models.separated_all_0_or_1" if family == "logit" else "models.separated_all_0")
        notes.add(message("models.note_separated").format(n=fmt_int(n_sep), what=what))
    if n_single:
        notes.add(message("models.note_singletons").format(n=fmt_int(n_single)))
    if not alive.all():
        y, x = y[alive], x[alive]
        codes = codes.rows(alive)
        if weights is not None:
            weights = weights[alive]
    if len(y) == 0:
        raise AnalysisError("no rows are left after dropping missing values, singletons and separated groups")
    return y, x, weights, codes


def _check_variation(y: np.ndarray, x: np.ndarray, x_cols: list[str], terms: list[str], spec: ModelSpec) -> None:
    """The outcome and every regressor and control vary over the rows used."""
    n = len(y)
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


def _count_parameters(n: int, x: np.ndarray, fe_codes: list[np.ndarray]) -> tuple[int, int]:
    """(parameters, fixed-effect parameters); more rows than parameters, else an error."""
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
    return n_params, n_fe_params


def _check_clusters(spec: ModelSpec, codes: _KeyCodes, n: int, notes: Notes) -> None:
    """At least 2 clusters per clustering column; fewer than :data:`MIN_CLUSTERS` only when
    forced (``allow_few_clusters``), with a note."""
    for col in spec.cluster:
        g = n_levels(codes.codes_of[col])
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
            notes.add(message("models.note_few_clusters").format(g=g, col=col, min_clusters=MIN_CLUSTERS))


def _driscoll_kraay(spec: ModelSpec, codes: _KeyCodes, n: int) -> tuple[ModelSpec, np.ndarray | None, np.ndarray | None]:
    """For vcov='driscoll_kraay': the panel checked (one row per entity and period, at least 2
    periods), the lag resolved into the spec, and the period and entity codes; else (spec, None, None)."""
    if spec.vcov != "driscoll_kraay":
        return spec, None, None
    assert spec.entity is not None and spec.time is not None
    dk_time = _codes(codes.key_raw[spec.time], spec.time, sort=True)
    dk_entity = _codes(codes.key_raw[spec.entity], spec.entity)
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
    return replace(spec, dk_lags=lags), dk_time, dk_entity


def _check_dummy_levels(spec: ModelSpec, fe_codes: list[np.ndarray]) -> None:
    """The weighted binomial GLM puts fixed effects in as dummies: only a few levels each."""
    if spec.weights is None:
        return
    for fe, codes in zip(spec.fixed_effects, fe_codes, strict=True):
        levels = n_levels(codes)
        if levels > MAX_DUMMY_LEVELS:
            raise AnalysisError(
                f"fixed effect {fe!r} has {levels} levels; the weighted binomial GLM (rate outcome with weights=) "
                f"adds fixed effects as dummy columns, which is refused above {MAX_DUMMY_LEVELS} levels (memory, "
                "time and the incidental-parameter bias); use a binary outcome (one row per trial) with "
                "family='logit', which absorbs fixed effects, or fewer levels"
            )


def _formula(y_term: str, terms: list[str], spec: ModelSpec) -> str:
    """``y ~ a + b | fe1 + fe2`` (display)."""
    rhs = " + ".join(terms)
    return f"{y_term} ~ {rhs}" + (f" | {' + '.join(spec.fixed_effects)}" if spec.fixed_effects else "")


# --------------------------------------------------------------------------- diagnosis


def _residualize(p: Prepared, x: np.ndarray) -> np.ndarray:
    """x with the fixed effects (or, without them, the mean) removed."""
    if not p.fe_codes:
        return np.asarray(x - x.mean(axis=0))
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
                for i, c in zip(basis, coef, strict=True)
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

