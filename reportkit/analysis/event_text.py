"""The words of the adoption chapter: labels, sentences, tables and the method note of an event study.

Every function returns an :class:`~reportkit.i18n.Text` (one entry per report language) or a table
whose column names are in one language, built from the catalogue group ``event_study`` and the
panel's own words (:func:`words`: the entity, the period, the outcome and the group as the
catalogue's ``words`` group names them), so the chapter reads right for brands × weeks, stores ×
months or any other panel. Numbers are formatted by :mod:`reportkit.style.formatting` (the minus
sign, decimals, ``%``), as in :mod:`reportkit.analysis.market_text`.

The effect is stated as an effect — the staggered-adoption design with parallel trends and no
anticipation supports it — and every statement of it says that it rests on those two assumptions.
With the outcome in logs, effects are in log points and ``100 · (e^x − 1)`` is the % change
(:func:`log_pct`). Everything is drawn from one :class:`~reportkit.analysis.event_study.EventStudy`,
so the numbers of the sentences, the tables and the figure cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from ..i18n import Language, Text
from ..style.formatting import format_number, format_value
from .event_inference import ALPHA, Breakdown
from .event_panel import EventPanel
from .event_study import EventStudy
from .model_data import FEW_CLUSTERS, WILD_JOINT_BELOW

__all__ = [
    "EventWords",
    "EventTable",
    "say",
    "words",
    "log_pct",
    "true_by_cohort",
    "estimator_name",
    "control_text",
    "att_label",
    "att_note",
    "att_pct_label",
    "att_pct_note",
    "true_att_label",
    "true_att_note",
    "twfe_label",
    "twfe_note",
    "negative_share_label",
    "pretrend_label",
    "pretrend_note",
    "mde_label",
    "mde_note",
    "breakdown_label",
    "breakdown_note",
    "att_sentence",
    "twfe_sentence",
    "pretrend_sentence",
    "sensitivity_sentence",
    "group_sentence",
    "group_table",
    "cohort_table",
    "figure_caption",
    "figure_note",
    "axis_x",
    "axis_y",
    "summary",
    "methods",
]

LOG_DECIMALS = 3  # effects in log points: 0.120
PCT_DECIMALS = 1  # % changes: 12.8%


def say(key: str, **values: Any) -> Text:
    """The catalogue's ``event_study.<key>`` in every language, filled with ``values``."""
    return i18n.message(f"event_study.{key}").format(**values)


def _lower_first(label: str) -> str:
    """"Add-to-cart" → "add-to-cart" inside a sentence; "GMV" and Chinese labels stay as they are."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _column_text(name: str) -> Text:
    """A data column's label in every language (the catalogue's ``words``; the name itself if none)."""
    return Text({lang: i18n.catalogue("words", lang).get(name, name) for lang in i18n.LANGUAGES})


# --------------------------------------------------------------------------- the panel's words


@dataclass(frozen=True)
class EventWords:
    """How the chapter names the panel's parts, in every language (:func:`words`)."""

    entity: Text  # 品牌 / brand
    entities: Text  # 品牌 / brands
    period: Text  # 周 / week
    periods: Text  # 周 / weeks
    entity_period: Text  # 品牌周 / brand-weeks
    outcome: Text  # 加购 / add-to-cart (inside a sentence)
    outcome_label: Text  # 加购 / Add-to-cart (as a label)
    group: Text  # 类目 / category
    group_label: Text  # 类目 / Category (a column header)

    def values(self) -> dict[str, Text]:
        """The placeholders every catalogue sentence of the group may use."""
        return {"entity": self.entity, "entities": self.entities, "period": self.period, "periods": self.periods,
                "entity_period": self.entity_period, "outcome": self.outcome, "group": self.group}


def _period_kind(periods: tuple[Any, ...]) -> str:
    """week, month, quarter, day or other, from the spacing of dated periods."""
    if len(periods) < 2 or not all(isinstance(p, pd.Timestamp) for p in periods):
        return "other"
    days = float(np.median(np.diff([p.value for p in periods]))) / 86_400e9
    for kind, low, high in (("day", 0.5, 1.5), ("week", 6.5, 7.5), ("month", 27.5, 31.5), ("quarter", 89.5, 92.5)):
        if low <= days <= high:
            return kind
    return "other"


def words(panel: EventPanel) -> EventWords:
    """The entity, period, outcome and group of ``panel`` as the chapter writes them: labels from the
    catalogue's ``words`` group where the column has one (``brand`` → 品牌 / brand), else the
    column's own name; the period word from the spacing of the periods (weekly → 周 / week)."""
    entity = _column_text(panel.entity).map(_lower_first)
    kind = _period_kind(panel.periods)
    period = say(f"period_{kind}")
    outcome_label = _column_text(panel.outcome)
    group_label = _column_text(panel.group) if panel.group else say("group_none")
    return EventWords(entity=entity, entities=say("entities", entity=entity), period=period,
                      periods=say(f"periods_{kind}"), entity_period=say("entity_period", entity=entity, period=period),
                      outcome=outcome_label.map(_lower_first), outcome_label=outcome_label,
                      group=group_label.map(_lower_first), group_label=group_label)


# --------------------------------------------------------------------------- numbers


def log_pct(x: float) -> float:
    """A log-point effect as a % change: ``100 · (e^x − 1)`` (0.120 → 12.75)."""
    return 100.0 * math.expm1(x)


def _num(x: float, decimals: int | None = LOG_DECIMALS) -> Text:
    return Text.same(format_number(x, decimals))


def _effect(es: EventStudy, x: float) -> Text:
    """An effect with its unit: 「0.120 个对数点」/ "0.120 log points"; in the outcome's units: 0.120."""
    return say("value_log", n=format_number(x, LOG_DECIMALS)) if es.log else _num(x)


def _pct(x: float, decimals: int | None = PCT_DECIMALS, *, signed: bool = True) -> Text:
    """A % value in every language, "+12.8%" (signed: the sign of a change is part of it)."""
    return Text({lang: ("+" if signed and x > 0 and format_number(x, decimals)[:1].isdigit() else "")
                 + format_value(x, "%", decimals, lang=lang) for lang in i18n.LANGUAGES})


def _power(b: Breakdown) -> Text:
    """The pre-trend test's power against the breakdown slope, a %."""
    if b.power_at_breakdown is None:  # breakdown_for_bias sets it with every breakdown slope
        raise AnalysisError(f"the breakdown slope {b.breakdown_slope!r} has no power_at_breakdown (None)")
    return _pct(100.0 * b.power_at_breakdown, 0, signed=False)


def _level(es: EventStudy) -> str:
    return format_number(100.0 * es.conf_level)


def _p_text(p: float) -> Text:
    if p < 0.001:
        return say("p_below", p="0.001")
    return say("p_equals", p=format_number(p, 3))


def _slope(es: EventStudy, x: float) -> Text:
    """A slope per period with its unit, three significant digits: 「0.00703 个对数点」/ "0.00703 log points"."""
    return say("value_log", n=format_number(x)) if es.log else Text.same(format_number(x))


def _unit(es: EventStudy, w: EventWords) -> Text:
    return say("log_points") if es.log else w.outcome


def _pct_per_period(x: float) -> Text:
    """A log-point slope per period as a % per period, three significant digits (0.704%)."""
    return _pct(log_pct(x), None, signed=False)


def _about_pct(es: EventStudy, x: float) -> Text:
    """「（约 0.704%）」/ " (about 0.704%)" after a log-point slope; nothing for an outcome in levels."""
    return say("about_pct", pct=_pct_per_period(x)) if es.log else Text.same("")


# --------------------------------------------------------------------------- labels and notes


def estimator_name(es: EventStudy, *, short: bool = False) -> Text:
    """「Gardner 两阶段估计量（did2s…）」 / "Gardner's two-stage estimator (did2s; …)"; ``short``: 「两阶段估计量（did2s）」."""
    return say(f"estimator_short_{es.estimator}" if short else f"estimator_{es.estimator}")


def control_text(es: EventStudy, w: EventWords) -> Text:
    """Who the estimator compares with: the not-yet- and never-treated entities, or the never-treated only."""
    return say(f"control_{es.control}", **w.values())


def att_label(es: EventStudy, w: EventWords) -> Text:
    """「上线对加购数的平均效应（ATT，对数点）」 / "Average effect of adoption on add-to-cart (ATT, log points)"."""
    return say("att_label", unit=_unit(es, w), **w.values())


def att_note(es: EventStudy, w: EventWords) -> Text:
    """「95% 置信区间 0.057 至 0.183；两阶段估计量（did2s），t(47)，按品牌聚类」."""
    a = es.att
    return say("att_note", level=_level(es), lo=_num(a.ci_low), hi=_num(a.ci_high),
               estimator=estimator_name(es, short=True), df=a.df, **w.values())


def att_pct_label(w: EventWords) -> Text:
    """The label of the ATT as a % change."""
    return say("att_pct_label", **w.values())


def att_pct_note(es: EventStudy) -> Text:
    """"100 × (e^ATT − 1); 95% CI +5.9% to +20.1%"."""
    a = es.att
    return say("att_pct_note", level=_level(es), lo=_pct(log_pct(a.ci_low)), hi=_pct(log_pct(a.ci_high)))


def true_att_label() -> Text:
    """The label of the simulator's true ATT (the demo panel only)."""
    return say("true_att_label")


def true_att_note(w: EventWords) -> Text:
    """What the true ATT averages over."""
    return say("true_att_note", **w.values())


def twfe_label() -> Text:
    """The label of the static TWFE estimate, shown for comparison only."""
    return say("twfe_label")


def twfe_note(es: EventStudy, w: EventWords) -> Text:
    """The TWFE interval and the share of treated entity-periods it weighs negatively."""
    t = es.twfe
    return say("twfe_note", level=_level(es), lo=_num(t.ci_low), hi=_num(t.ci_high),
               share=_pct(100.0 * es.twfe_negative_share, PCT_DECIMALS, signed=False), **w.values())


def negative_share_label(w: EventWords) -> Text:
    """The label of that share (in %)."""
    return say("negative_share_label", **w.values())


def _pretrend(es: EventStudy) -> Any:
    if es.pretrend is None:
        raise AnalysisError(f"the {es.estimator!r} event study has no pre-trend test: it was fitted with "
                            "pretrend=False, or its window has no lead before the reference period")
    return es.pretrend


def _method(es: EventStudy, w: EventWords) -> Text:
    return say(f"method_{_pretrend(es).method}", few=FEW_CLUSTERS, **w.values())


def pretrend_label(es: EventStudy) -> Text:
    """The label of the pre-trend test's p-value (AnalysisError for an estimator without the test)."""
    return say("pretrend_p_label", k=_pretrend(es).df1)


def pretrend_note(es: EventStudy, w: EventWords) -> Text:
    """"F(8, 47) = 0.53; cluster-robust Wald F test" (or the wild cluster bootstrap)."""
    pre = _pretrend(es)
    return say("pretrend_p_note", df1=pre.df1, df2=pre.df2, stat=format_number(pre.statistic, 2), method=_method(es, w))


def mde_label(es: EventStudy, w: EventWords) -> Text:
    """The label of the linear trend the pre-trend test detects with 80 % power."""
    return say("mde_label", unit=_unit(es, w), **w.values())


def mde_note(es: EventStudy, w: EventWords) -> Text:
    """That slope as a % per period (log outcome), and that smaller trends could go unnoticed."""
    if not es.log:
        return say("mde_note_level")
    return say("mde_note", pct=_pct_per_period(_pretrend(es).mde_slope), **w.values())


def breakdown_label(es: EventStudy, w: EventWords) -> Text:
    """The label of the linear trend that brings the interval to zero."""
    return say("breakdown_label", unit=_unit(es, w), **w.values())


def breakdown_note(es: EventStudy, w: EventWords) -> Text:
    """That slope as a % per period (log outcome) and the pre-trend test's power against it."""
    b = es.sensitivity
    if b is None or b.breakdown_slope is None:
        raise AnalysisError("no breakdown slope: the interval covers zero, or the sensitivity bound was not computed")
    if not es.log:
        return say("breakdown_note_level", power=_power(b))
    return say("breakdown_note", pct=_pct_per_period(b.breakdown_slope), power=_power(b),
               **w.values())


# --------------------------------------------------------------------------- sentences


def _covers_zero(es: EventStudy) -> bool:
    return es.att.ci_low <= 0.0 <= es.att.ci_high


def att_sentence(es: EventStudy, w: EventWords) -> Text:
    """The ATT with its interval (and its % change when the outcome is in logs), the estimator and
    the comparison group, whether the interval includes zero, and the two assumptions it rests on."""
    a = es.att
    common = dict(level=_level(es), att=_effect(es, a.estimate), lo=_num(a.ci_low), hi=_num(a.ci_high), **w.values())
    if es.log:
        text = say("att_head_log", pct=_pct(log_pct(a.estimate)), pct_lo=_pct(log_pct(a.ci_low)),
                   pct_hi=_pct(log_pct(a.ci_high)), **common)
    else:
        text = say("att_head_level", **common)
    text = text + say("att_tail", estimator=estimator_name(es), control=control_text(es, w), **w.values())
    if _covers_zero(es):
        text = text + say("att_zero")
    return text + say("att_assumptions", **w.values())


def twfe_sentence(es: EventStudy, w: EventWords) -> Text:
    """TWFE beside the robust estimate, and why they differ: already-adopted entities used as
    controls for later adopters subtract part of an effect that builds up; the share of treated
    entity-periods TWFE weighs negatively."""
    t, a = es.twfe, es.att
    diff = t.estimate - a.estimate
    return say("twfe_sentence", twfe=_effect(es, t.estimate), level=_level(es), lo=_num(t.ci_low), hi=_num(t.ci_high),
               diff=_num(abs(diff)), direction=say("lower" if diff < 0 else "higher"),
               share=_pct(100.0 * es.twfe_negative_share, PCT_DECIMALS, signed=False),
               estimator=estimator_name(es, short=True).map(lambda s: s[:1].upper() + s[1:]),
               control=control_text(es, w), **w.values())


def pretrend_sentence(es: EventStudy, w: EventWords) -> Text:
    """The joint test of the leads (F, p, method) and the linear trend it detects with 80 % power;
    without the test, what the leads in the figure are relative to."""
    if es.pretrend is None:
        return say("pretrend_none", **w.values())
    pre = es.pretrend
    mde = _slope(es, pre.mde_slope)
    key = "pretrend_fail" if pre.p_value < ALPHA else "pretrend_pass"
    times = pre.leads["event_time"]
    return say(key, k=pre.df1, first=-int(times.min()), last=-int(times.max()), df1=pre.df1, df2=pre.df2, stat=format_number(pre.statistic, 2),
               p_text=_p_text(pre.p_value), method=_method(es, w), mde=mde, mde_pct=_about_pct(es, pre.mde_slope),
               slope=_slope(es, pre.slope), **w.values())


def sensitivity_sentence(es: EventStudy, w: EventWords) -> Text:
    """The linear-trend slope that brings the interval to zero, against the slope the pre-trend test
    detects with 80 % power, and whether the test would likely have caught such a trend."""
    b = es.sensitivity
    if b is None:
        return Text.same("")
    if b.breakdown_slope is None:
        return say("sens_zero")
    key = "sens_robust" if b.robust else "sens_fragile"
    return say(key, slope=_slope(es, b.breakdown_slope), slope_pct=_about_pct(es, b.breakdown_slope),
               mde=_slope(es, b.mde_slope), power=_power(b), **w.values())


def group_sentence(es: EventStudy, w: EventWords, *, table: str) -> Text:
    """The range of the ATTs by group, the fewest adopters behind a group, and a reference to the
    recorded table ``table``."""
    bg = es.by_group
    if bg is None or bg.empty:
        raise AnalysisError("the event study has no effects by group (no group column, or estimator='sunab')")
    low, high = bg.loc[bg["estimate"].idxmin()], bg.loc[bg["estimate"].idxmax()]
    ns = sorted({int(n) for n in bg["n_entities"]})
    n = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    return say("group_sentence", table=table, low=_effect(es, low["estimate"]), high=_effect(es, high["estimate"]),
               low_name=i18n.data_label(str(low["group"])), high_name=i18n.data_label(str(high["group"])), n=n,
               **w.values())


# --------------------------------------------------------------------------- tables


class EventTable(NamedTuple):
    """A table ready for ``rk.record``: the frame (columns in one language), decimals per column,
    caption and note (in every language)."""

    frame: pd.DataFrame
    decimals: dict[str, int]
    caption: Text
    note: Text


def true_by_cohort(truth: Mapping[str, Any]) -> dict[str, float]:
    """The simulator's ATT by wave keyed as :attr:`EventStudy.by_cohort` labels them (the ISO date of
    the wave's first period): the truth keys waves by 0-based week index, dated by ``wave_mondays``
    where the truth has it, else by ``design.start`` + index weeks."""
    by_index = truth["att_by_cohort"]
    mondays = truth.get("wave_mondays")
    if mondays is None:
        start = dt.date.fromisoformat(truth["design"]["start"])
        mondays = {g: (start + dt.timedelta(weeks=int(g))).isoformat() for g in by_index}
    return {mondays[g]: float(v) for g, v in by_index.items()}


def _effects_frame(es: EventStudy, w: EventWords, frame: pd.DataFrame, first: str, labels: list[Any],
                   truth: list[float | None] | None, lang: Language | None, *,
                   obs: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    def col(key: str, **values: Any) -> str:
        return say(key, **values, **w.values()).resolve(lang)

    level = _level(es)
    att, lo, hi = col("col_att"), col("col_lo", level=level), col("col_hi", level=level)
    out = pd.DataFrame({first: labels, att: frame["estimate"].to_numpy(float), lo: frame["ci_low"].to_numpy(float),
                        hi: frame["ci_high"].to_numpy(float)})
    decimals = {att: LOG_DECIMALS, lo: LOG_DECIMALS, hi: LOG_DECIMALS}
    if es.log:
        pct = col("col_pct")
        out[pct] = [log_pct(x) for x in out[att]]
        decimals[pct] = PCT_DECIMALS
    out[col("col_entities")] = [int(n) for n in frame["n_entities"]]
    if obs:
        out[col("col_obs")] = [int(n) for n in frame["n_obs"]]
    if truth is not None:
        out[col("col_truth")] = [float(v) if v is not None else float("nan") for v in truth]
        decimals[col("col_truth")] = LOG_DECIMALS
    return out, decimals


def _table_note(es: EventStudy, w: EventWords, text: Text, truth: bool) -> Text:
    if es.log:
        text = text + say("pct_note")
    if truth:
        text = text + say("truth_note", **w.values())
    return text


def group_table(es: EventStudy, w: EventWords, *, truth: Mapping[str, Any] | None = None,
                lang: Language | None = None) -> EventTable:
    """The ATT by group (category) with its interval, the % change (log outcome), the adopting
    entities behind it and, with ``truth`` (the simulator's), the true
    ATT. Column names in ``lang`` (default: the kernel's language); group values translated by the
    catalogue's ``data`` group. The note says that group intervals use t(adopting entities − 1)."""
    bg = es.by_group
    if bg is None:
        raise AnalysisError("the event study has no effects by group (no group column, or estimator='sunab')")
    names = [i18n.data_label(str(g)).resolve(lang) for g in bg["group"]]
    true = [truth["att_by_category"].get(str(g)) for g in bg["group"]] if truth is not None else None
    frame, decimals = _effects_frame(es, w, bg, w.group_label.resolve(lang), names, true, lang, obs=False)
    dfs = sorted({int(d) for d in bg["df"]})
    df_text = ", ".join(f"t({d})" for d in dfs)
    note = say("group_note", dfs=df_text, g=es.n_entities, df=es.df, **w.values())
    caption = say("group_caption", unit=_unit(es, w), **w.values())
    return EventTable(frame, decimals, caption, _table_note(es, w, note, truth is not None))


def cohort_table(es: EventStudy, w: EventWords, *, truth: Mapping[str, Any] | None = None,
                 lang: Language | None = None) -> EventTable:
    """The ATT by adoption wave (named by its first period), as :func:`group_table`, with the treated
    entity-periods of each wave (early waves have more)."""
    bc = es.by_cohort
    true = None
    if truth is not None:
        by_date = true_by_cohort(truth)
        true = [by_date.get(str(c)) for c in bc["cohort"]]
    frame, decimals = _effects_frame(es, w, bc, say("col_cohort", **w.values()).resolve(lang),
                                     [str(c) for c in bc["cohort"]], true, lang, obs=True)
    note = say("cohort_note", df=es.df, **w.values())
    caption = say("cohort_caption", unit=_unit(es, w), **w.values())
    return EventTable(frame, decimals, caption, _table_note(es, w, note, truth is not None))


# --------------------------------------------------------------------------- the figure's words


def figure_caption(es: EventStudy, w: EventWords) -> Text:
    """The caption of :func:`~reportkit.analysis.event_plots.event_study_plot`."""
    return say("fig_caption", level=_level(es), **w.values())


def figure_note(es: EventStudy, w: EventWords, *, truth: bool = False) -> Text:
    """What the leads and lags are, where the vertical line is, log points, and the true path."""
    key = "fig_leads_did2s" if es.estimator == "did2s" and es.pretrend is not None else "fig_leads_sunab"
    text = say(key, estimator=estimator_name(es, short=True), **w.values())
    if es.log:
        text = text + say("fig_note_log")
    if truth:
        text = text + say("fig_note_truth", **w.values())
    return text


def axis_x(w: EventWords) -> Text:
    """「相对上线的周数（0 = 上线当周）」 / "weeks relative to adoption (0 = the week of adoption)"."""
    text = say("axis_x", **w.values())
    return text.map(lambda s: s[:1].upper() + s[1:])


def axis_y(es: EventStudy, w: EventWords) -> Text:
    """「效应（对数点）」 / "Effect (log points)"; in the outcome's units when it is not logged."""
    return say("axis_y_log") if es.log else say("axis_y_level", outcome=w.outcome_label)


# --------------------------------------------------------------------------- summary and methods


def summary(es: EventStudy, w: EventWords) -> Text:
    """The chapter's summary: the ATT (as a % change with a log outcome) with its interval, method and
    assumptions; TWFE beside it; the pre-trend test with what it can detect; the breakdown slope."""
    a = es.att
    common = dict(level=_level(es), estimator=estimator_name(es, short=True), control=control_text(es, w),
                  att=_effect(es, a.estimate), lo=_num(a.ci_low), hi=_num(a.ci_high), **w.values())
    if es.log:
        text = say("summary_att_log", pct=_pct(log_pct(a.estimate)), pct_lo=_pct(log_pct(a.ci_low)),
                   pct_hi=_pct(log_pct(a.ci_high)), **common)
    else:
        text = say("summary_att_level", **common)
    text = text + say("summary_twfe", twfe=_effect(es, es.twfe.estimate), att=_effect(es, a.estimate))
    pre, b = es.pretrend, es.sensitivity
    if pre is None:
        return text
    key = "summary_pretrend_fail" if pre.p_value < ALPHA else "summary_pretrend_pass"
    text = text + say(key, p_text=_p_text(pre.p_value), mde=_slope(es, pre.mde_slope), **w.values())
    if b is None:
        return text
    if b.breakdown_slope is None:
        return text + say("summary_sens_zero")
    return text + say("summary_sens_robust" if b.robust else "summary_sens_fragile",
                      slope=_slope(es, b.breakdown_slope), power=_power(b), **w.values())


def methods(es: EventStudy, w: EventWords, *, simulated: bool = False) -> Text:
    """The method note: design and sample, estimator and comparison group, inference (clustering,
    degrees of freedom, the few-cluster rule), window, pre-trend test, sensitivity, TWFE, references."""
    v = w.values()
    text = say("methods_design", n_entities=es.n_entities, n_treated=es.n_treated, n_never=es.n_never,
               n_obs=format_number(es.n_obs), scale=say("scale_log" if es.log else "scale_level"), **v)
    text = text + say(f"methods_{es.estimator}", **v)
    text = text + say(f"methods_inference_{es.estimator}", g=es.n_entities, df=es.df, **v)
    if es.n_entities < FEW_CLUSTERS:
        text = text + say("methods_few", few=FEW_CLUSTERS, g=es.n_entities, **v)
    text = text + say("methods_window", leads=-es.window[0], lags=es.window[1], **v)
    if es.pretrend is not None and es.estimator == "sunab":
        text = text + say("methods_pretrend_sunab", leads=-int(es.pretrend.leads["event_time"].min()),
                          k=es.pretrend.df1, wild_below=WILD_JOINT_BELOW, **v)
    elif es.pretrend is not None:
        text = text + say("methods_pretrend", leads=-es.window[0], wild_below=WILD_JOINT_BELOW, **v)
    if es.sensitivity is not None:
        text = text + say("methods_sensitivity")
    text = text + say("methods_twfe", **v) + say("methods_references")
    if simulated:
        text = text + say("methods_simulated")
    return text
