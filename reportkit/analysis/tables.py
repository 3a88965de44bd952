"""Regression tables: several :class:`~reportkit.analysis.models.ModelResult` side by side.

:func:`regression_table` returns a frozen :class:`RegressionTable`; ``.frame`` is a DataFrame of
strings, ready for the report's table template (lang="zh")::

    变量                 (1)                   (2)
    log_engagement       0.353***              0.349***
                         (0.018)               (0.021)
    固定效应：brand       是                    是
    固定效应：week        是                    否
    标准误类型            按 brand 聚类（CRV1）  稳健标准误（HC1）
    观测数                4,896                 4,896
    聚类数                48                    —
    R²                   0.912                 0.874
    组内 R²               0.172                 —

Layout, top to bottom: for each term a coefficient row (estimate with significance stars) and a
standard-error row (in parentheses, empty row label); a "模型 / Model" row only when the models
are of different families; one "固定效应：<col> / Fixed effects: <col>" row per fixed effect used
by any model (是/否 · Yes/No; an interaction ``category^week`` is shown as ``category × week``);
the SE type (each model's ``vcov_label``); N; number of clusters (two-way: "48 / 104"; "—" when
not clustered); R²; within R²; pseudo R² when any model has one; the residual standard error
(残差标准误 / Residual SE) when any model is linear; the joint test that every regressor and
control of the model is zero (:attr:`ModelResult.f_statistic`) as "F 统计量（自由度）/ F statistic
(df)" with cells like "12.345 (2, 47)" for models with t inference, and as "Wald χ²（自由度）/
Wald χ² (df)", "24.690 (2)", for models with normal inference (GLMs not clustered). "—" marks a
statistic that is not defined for a model; a term a model does not have leaves both of its cells
empty.

Numbers use the typographic minus (U+2212) and thousands separators
(:func:`reportkit.style.formatting.format_number`). A non-zero coefficient or SE that would
round to zero at ``decimals`` is shown with two significant digits instead (0.00010), never as a
misleading 0.000. Stars: one per threshold the p-value is strictly below (default * p<0.1,
** p<0.05, *** p<0.01, so p = 0.05 exactly gets one star). ``.note`` is the legend in the
table's language and, when the columns' p-values come from different distributions (t with
different degrees of freedom, or the normal), which one each column uses
(:attr:`ModelResult.inference_label`). ``.warnings`` are each model's warnings (log1p used, rows
dropped, few clusters forced, …) in the table's language, prefixed by the model's column name; the
notebook prints both under the table (``note=" ".join([reg.note, *reg.warnings])``).

Every fixed word of the table is an entry of the catalogue's ``models`` group (``table_*``), so a
table in a new language needs catalogue entries only; ``lang`` is one of
:data:`~reportkit.i18n.LANGUAGES`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import AnalysisError
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, message
from ..style.formatting import MISSING, format_number
from .models import INTERCEPT, ModelResult
from .narrative import column_label

__all__ = ["Lang", "LANGS", "RegressionTable", "regression_table"]

#: the language of a table: one of :data:`LANGS`
Lang = Language
#: the languages a table can be written in (:data:`reportkit.i18n.LANGUAGES`)
LANGS: tuple[str, ...] = LANGUAGES


def _word(key: str, lang: str) -> str:
    """The catalogue's ``models.table_<key>`` in ``lang``."""
    return message(f"models.table_{key}")[lang]


@dataclass(frozen=True)
class RegressionTable:
    """A formatted regression table (immutable; ``frame`` builds a fresh DataFrame each time).

    ``kinds`` says what each row is: "coef", "se", "model", "fe", "se_type", "n", "clusters",
    "r2", "r2_within", "pseudo_r2", "resid_se", "f", "chi2" — a renderer can draw a rule before
    the first "fe" row.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kinds: tuple[str, ...]
    note: str
    warnings: tuple[str, ...]
    lang: str

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([list(r) for r in self.rows], columns=list(self.columns), dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "kinds": list(self.kinds),
            "note": self.note,
            "warnings": list(self.warnings),
            "lang": self.lang,
        }


def _number(value: Any, decimals: int) -> str:
    """Fixed decimals; a non-zero value that would round to zero gets two significant digits."""
    if value is None:
        return MISSING
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    if x != 0 and abs(x) < 0.5 * 10.0**-decimals:
        places = min(12, 1 - math.floor(math.log10(abs(x))))
        return format_number(x, places)
    return format_number(x, decimals)


def _stars(p: float, thresholds: tuple[float, ...]) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "*" * sum(1 for t in thresholds if p < t)


def _check_stars(stars: Any) -> tuple[float, ...]:
    if not isinstance(stars, (tuple, list)):
        raise AnalysisError(f"stars: expected a tuple of p-value thresholds such as (0.10, 0.05, 0.01); got {stars!r}")
    out = []
    for t in stars:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 < float(t) < 1.0:
            raise AnalysisError(f"stars: every threshold must be a number between 0 and 1; got {t!r}")
        out.append(float(t))
    if len(set(out)) != len(out):
        raise AnalysisError(f"stars: thresholds must differ; got {stars!r}")
    return tuple(sorted(out, reverse=True))


def _legend(thresholds: tuple[float, ...], lang: str) -> str:
    parts = [f"{'*' * (i + 1)} p<{t:g}" for i, t in enumerate(thresholds)]
    if not parts:
        return _word("se_note", lang)
    return _word("sep", lang).join(parts) + _word("end", lang) + _word("se_note_after", lang)


def _fe_label(fe: str, lang: str) -> str:
    """``category^week`` → "类目 × 周" / "category × week" (known column names in the reader's words)."""
    parts = [part.strip() for part in fe.split("^")]
    return " × ".join(_word("fe_column", lang).format(column=p, column_label=column_label(p, lang)) for p in parts)


def _f_cell(m: ModelResult, decimals: int) -> str:
    """"12.345 (2, 47)": F with its numerator and denominator degrees of freedom (no separators)."""
    assert m.f_df is not None
    return f"{_number(m.f_statistic, decimals)} ({m.f_df[0]}, {m.f_df[1]})"


def _chi2_cell(m: ModelResult, decimals: int) -> str:
    """"24.690 (2)": the Wald statistic W = q·F with its q degrees of freedom."""
    assert m.f_df is not None and m.f_statistic is not None
    return f"{_number(m.f_df[0] * m.f_statistic, decimals)} ({m.f_df[0]})"


def _inference_note(heads: Sequence[str], models: Sequence[ModelResult], lang: str) -> str:
    """Which distribution each column's p-values use, only when the columns differ."""
    groups: dict[str, list[str]] = {}
    for head, m in zip(heads, models, strict=True):
        groups.setdefault(m.inference_label[lang], []).append(head)
    if len(groups) < 2 and not any(m.inference == "wild" for m in models):
        return ""  # one distribution for every column, said by the SE row; a bootstrap is always named
    if len(groups) == 1:
        return _word("inference", lang).format(parts=next(iter(groups)))
    parts = [f"{_word('and', lang).join(cols)}{_word('colon', lang)}{label}" for label, cols in groups.items()]
    return _word("inference", lang).format(parts=_word("end", lang).join(parts))


#: the words of the table's rows and head (``models.table_<word>`` in the catalogue)
_TABLE_WORDS: tuple[str, ...] = ("variable", "constant", "fe", "yes", "no", "model", "se_type", "n", "clusters", "r2",
                                 "r2_within", "pseudo_r2", "resid_se", "f", "chi2")


def regression_table(
    models: Sequence[ModelResult],
    *,
    names: Sequence[str] | None = None,
    terms: Sequence[str] | None = None,
    term_labels: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    decimals: int = 3,
    stars: tuple[float, ...] = (0.10, 0.05, 0.01),
) -> RegressionTable:
    """Models side by side (see the module docstring for the layout).

    ``names`` heads the model columns (default "(1)", "(2)", …). ``terms`` picks and orders the
    coefficient rows (default: every term in order of first appearance, the intercept last);
    ``term_labels`` renames them (default: the term; the intercept as 常数项 / Constant).
    """
    if lang not in LANGS:
        raise AnalysisError(f"lang: expected one of {', '.join(repr(x) for x in LANGS)}; got {lang!r}")
    w = {key: _word(key, lang) for key in _TABLE_WORDS}
    models = list(models) if isinstance(models, (list, tuple)) else [models]  # type: ignore[list-item]
    if not models:
        raise AnalysisError("regression_table needs at least one model")
    for i, m in enumerate(models):
        if not isinstance(m, ModelResult):
            raise AnalysisError(f"models[{i}]: expected a ModelResult (from estimate()); got {type(m).__name__}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 8:
        raise AnalysisError(f"decimals: expected an integer from 0 to 8; got {decimals!r}")
    thresholds = _check_stars(stars)
    if names is None:
        heads = [f"({i + 1})" for i in range(len(models))]
    else:
        heads = [str(n) for n in names]
        if len(heads) != len(models):
            raise AnalysisError(f"names: expected {len(models)} names (one per model); got {len(heads)}")
    labels = dict(term_labels or {})

    available: list[str] = []
    for m in models:
        for t in m.terms:
            if t not in available:
                available.append(t)
    if terms is None:
        chosen = [t for t in available if t != INTERCEPT] + ([INTERCEPT] if INTERCEPT in available else [])
    else:
        chosen = [terms] if isinstance(terms, str) else list(terms)
        unknown = [t for t in chosen if t not in available]
        if unknown:
            raise AnalysisError(
                f"terms: {', '.join(repr(t) for t in unknown)} not in any model; the models have "
                + ", ".join(repr(t) for t in available)
            )

    rows: list[tuple[str, ...]] = []
    kinds: list[str] = []
    for term in chosen:
        label = labels.get(term, w["constant"] if term == INTERCEPT else term)
        coef_cells, se_cells = [], []
        for m in models:
            if term in m.terms:
                c = m.coef(term)
                coef_cells.append(_number(c.estimate, decimals) + _stars(c.p_value, thresholds))
                se_cells.append(f"({_number(c.std_error, decimals)})")
            else:
                coef_cells.append("")
                se_cells.append("")
        rows.append((label, *coef_cells))
        kinds.append("coef")
        rows.append(("", *se_cells))
        kinds.append("se")

    if len({m.family_label[lang] for m in models}) > 1:
        rows.append((w["model"], *(m.family_label[lang] for m in models)))
        kinds.append("model")

    fes: list[str] = []
    for m in models:
        for fe in m.spec.fixed_effects:
            if fe not in fes:
                fes.append(fe)
    for fe in fes:
        rows.append((w["fe"].format(name=_fe_label(fe, lang)), *(w["yes"] if fe in m.spec.fixed_effects else w["no"] for m in models)))
        kinds.append("fe")

    rows.append((w["se_type"], *(m.vcov_label[lang] for m in models)))
    kinds.append("se_type")
    rows.append((w["n"], *(format_number(int(m.n_obs)) for m in models)))
    kinds.append("n")
    rows.append(
        (w["clusters"], *(" / ".join(format_number(int(g)) for g in m.n_clusters) if m.n_clusters else MISSING for m in models))
    )
    kinds.append("clusters")
    rows.append((w["r2"], *(_number(m.r2, decimals) for m in models)))
    kinds.append("r2")
    rows.append((w["r2_within"], *(_number(m.r2_within, decimals) for m in models)))
    kinds.append("r2_within")
    if any(m.pseudo_r2 is not None for m in models):
        rows.append((w["pseudo_r2"], *(_number(m.pseudo_r2, decimals) for m in models)))
        kinds.append("pseudo_r2")
    if any(m.resid_se is not None for m in models):
        rows.append((w["resid_se"], *(_number(m.resid_se, decimals) for m in models)))
        kinds.append("resid_se")
    if any(m.f_df is not None and m.f_df[1] is not None for m in models):
        rows.append((w["f"], *(_f_cell(m, decimals) if m.f_df is not None and m.f_df[1] is not None else MISSING
                               for m in models)))
        kinds.append("f")
    if any(m.f_df is not None and m.f_df[1] is None for m in models):
        rows.append((w["chi2"], *(_chi2_cell(m, decimals) if m.f_df is not None and m.f_df[1] is None else MISSING
                                  for m in models)))
        kinds.append("chi2")

    notes: list[str] = []
    for head, m in zip(heads, models, strict=True):
        notes.extend(f"{head}: {t}" for t in m.warnings_in(lang))
    note = _legend(thresholds, lang)
    inference = _inference_note(heads, models, lang)
    if inference:
        note += _word("note_space", lang) + inference
    return RegressionTable(
        columns=(w["variable"], *heads),
        rows=tuple(rows),
        kinds=tuple(kinds),
        note=note,
        warnings=tuple(notes),
        lang=lang,
    )
