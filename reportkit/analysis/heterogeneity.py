"""Does the engagement → conversion elasticity differ between groups (e.g. categories)?

* :func:`by_group`: the lagged log-log fixed-effects model fitted separately in each group
  (each with its own brand and week effects), plus the pooled model on all rows as the last row.
  With lags the number reported is the long-run elasticity Σ β_k (a linear combination of the
  model's coefficients with the model's clustered covariance).
* :func:`interaction_model`: one model on all rows with engagement × group interactions (common
  brand and week effects) and a Wald test that the (long-run) slopes are equal in all groups. The
  statistic is reported as F(q, G − 1); below :data:`~reportkit.analysis.wild_bootstrap.WILD_JOINT_BELOW`
  clusters its p-value comes from the restricted wild cluster bootstrap (:mod:`.wild_bootstrap`),
  from F(q, G − 1) above: on 100 seeded panels of the demo's design, where the slopes are equal,
  the F(5, 47) reference rejected 13 at 5 %, the bootstrap 5 (tests/test_equal_slopes_size.py).
* :func:`forest_plot`: one point and CI per group, the pooled estimate as a line and band.

Few clusters: a category of the demo panel has 8 brands, so each group's clustered CI rests on
8 clusters (t with 7 df); such CIs can be too narrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from ..i18n import Language
from .dynamics import _coef, _n_clusters, format_wald, shift_within, wald_test
from .inputs import check_alpha, check_conf_level, check_count, check_frame, check_panel_model
from .memo import memoized
from .model_data import prepare
from .models import MIN_CLUSTERS, Coef, ModelResult, estimate
from .narrative import category_label
from .wild_bootstrap import WildDesign, joint_p_value

__all__ = [
    "BY_GROUP_COLUMNS",
    "POOLED",
    "by_group",
    "InteractionResult",
    "interaction_model",
    "forest_plot",
]

#: Columns of the :func:`by_group` table.
BY_GROUP_COLUMNS: tuple[str, ...] = (
    "group", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_obs", "n_clusters", "pooled",
)
#: The ``group`` value of the pooled row.
POOLED = "(pooled)"



def _say(key: str, lang: Language, **values: Any) -> str:
    """The catalogue's ``heterogeneity.<key>`` text in ``lang``, filled with ``values``."""
    return i18n.message(f"heterogeneity.{key}")[lang].format(**values)


def _lagged_frame(
    df: pd.DataFrame, *, outcome: str, engagement: str, entity: str, time: str, n_lags: int, extra: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Raw engagement and its within-entity lags; rows without all lags dropped."""
    keep = list(dict.fromkeys([outcome, engagement, entity, time, *extra]))
    data = df[keep].copy()
    cols = [engagement]
    for k in range(1, n_lags + 1):
        s = shift_within(df, engagement, entity=entity, time=time, k=k)
        if s.name in df.columns:
            raise AnalysisError(f"column {s.name!r} already exists; rename it so lags can be added")
        data[s.name] = s
        cols.append(str(s.name))
    return data.dropna(subset=cols).reset_index(drop=True), cols


def _effect(res: ModelResult, cols: Sequence[str]) -> Coef:
    """The coefficient (no lags) or the long-run lincom Σ β_k (lags)."""
    if len(cols) == 1:
        return _coef(res, cols[0])
    return res.lincom({_coef(res, c).term: 1.0 for c in cols}, name="long_run")


@memoized  # the same call in another row of a batch reads the stored result
def by_group(
    df: pd.DataFrame,
    *,
    group: str = "category",
    outcome: str = "add_to_cart",
    engagement: str = "engagement",
    entity: str = "brand",
    time: str = "week",
    n_lags: int = 0,
    cluster: str | None = None,
    conf_level: float = 0.95,
    allow_few_clusters: bool = False,
) -> pd.DataFrame:
    """Elasticity per group, and pooled: DataFrame with columns :data:`BY_GROUP_COLUMNS`.

    For each group (in order of first appearance) fits
    ``log(outcome) ~ log(x_t) + … + log(x_{t−n_lags}) | entity + time`` on that group's rows
    with :func:`~reportkit.analysis.models.estimate` (``family="loglog"``, clustered by
    ``cluster``, default ``entity``). ``estimate`` is the coefficient of ``log(x_t)`` when
    ``n_lags=0`` and the long-run elasticity Σ β_k (``ModelResult.lincom``) otherwise. Lags are
    built within entity before splitting, and each entity's first ``n_lags`` periods drop out.
    The last row is the same model on all rows (``group`` = :data:`POOLED`, ``pooled`` True);
    note it has common week effects, while each group model has its own.

    Inference is :func:`estimate`'s: below 30 clusters the intervals come from the wild cluster
    bootstrap; a group with fewer than :data:`~reportkit.analysis.models.MIN_CLUSTERS` (5) clusters
    is refused, naming the group, unless ``allow_few_clusters=True`` (then its interval is unreliable).
    """
    df = check_frame(df)
    conf_level = check_conf_level(conf_level)
    n_lags = check_count("n_lags", n_lags, 0)
    cluster = entity if cluster is None else cluster
    check_panel_model(df, outcome=outcome, engagement=engagement, entity=entity, time=time, cluster=cluster,
                      group=group)
    data, cols = _lagged_frame(df, outcome=outcome, engagement=engagement, entity=entity, time=time,
                               n_lags=n_lags, extra=[group, cluster])
    rows = []
    parts = [(g, data[data[group] == g], False) for g in pd.unique(data[group])]
    parts.append((POOLED, data, True))
    for g, part, is_pooled in parts:
        n_clusters = part[cluster].nunique()
        if n_clusters < 2:
            raise AnalysisError(
                f"group {g!r} has {n_clusters} {cluster!r} cluster(s); clustered SEs need at least 2"
            )
        if n_clusters < MIN_CLUSTERS and not allow_few_clusters:
            raise AnalysisError(
                f"group {g!r} has only {n_clusters} {cluster!r} cluster(s); clustered inference needs at least "
                f"{MIN_CLUSTERS}: leave the group out of the data, or pass allow_few_clusters=True to show it with "
                "an unreliable interval"
            )
        res = estimate(part.reset_index(drop=True), outcome=outcome, regressors=cols, fixed_effects=(entity, time),
                        family="loglog", vcov="cluster", cluster=cluster, entity=entity, time=time, conf_level=conf_level,
                        allow_few_clusters=allow_few_clusters)
        c = _effect(res, cols)
        rows.append((g, float(c.estimate), float(c.std_error), float(c.ci_low), float(c.ci_high), float(c.p_value),
                     int(res.n_obs), _n_clusters(res), is_pooled))
    out = pd.DataFrame(rows, columns=list(BY_GROUP_COLUMNS))
    out["pooled"] = out["pooled"].astype(bool)
    return out


# --------------------------------------------------------------------------- interactions


@dataclass(frozen=True)
class InteractionResult:
    """One model with engagement × group interactions, and the test of equal slopes."""

    group: str
    base: Any  # the reference group (its slope is the main effect)
    slope_rows: tuple[tuple[Any, ...], ...]  # (group, estimate, std_error, ci_low, ci_high, p_value)
    chi2: float
    f_stat: float
    df_num: int
    df_denom: int | None
    p_value: float  # H0: the (long-run) slope is the same in every group; wild cluster bootstrap
    equal: bool  # p ≥ alpha
    alpha: float
    n_lags: int
    n_obs: int
    n_clusters: int
    formula: str
    warnings: tuple[str, ...] = ()  # the model's notes (rows dropped, …), English
    p_value_f: float | None = None  # the statistic against F(df_num, df_denom): too small too often (module doc)
    method: str = "wild_bootstrap"  # where p_value comes from: "wild_bootstrap" or "crv1_f"

    @property
    def slopes(self) -> pd.DataFrame:
        """DataFrame[group, estimate, std_error, ci_low, ci_high, p_value]: each group's (long-run) slope."""
        return pd.DataFrame(list(self.slope_rows),
                            columns=["group", "estimate", "std_error", "ci_low", "ci_high", "p_value"])

    def sentence(self, lang: Language = i18n.DEFAULT_LANGUAGE) -> str:
        """One sentence on the equal-slopes test in ``lang`` (the catalogue's ``heterogeneity`` group)."""
        from ..style.formatting import format_number

        lang = i18n.check_language(lang, source="lang", error=AnalysisError)
        p = format_number(self.p_value, 3)
        stat = format_wald(self.f_stat, self.chi2, self.df_num, self.df_denom)
        what = _say("elasticity_long_run" if self.n_lags else "elasticity", lang)
        key = "equal_slopes_not_rejected" if self.equal else "equal_slopes_rejected"
        return _say(key, lang, what=what, stat=stat, p=p, method=_say(f"method_{self.method}", lang))


@memoized  # the same call in another row of a batch reads the stored result
def interaction_model(
    df: pd.DataFrame,
    *,
    group: str = "category",
    outcome: str = "add_to_cart",
    engagement: str = "engagement",
    entity: str = "brand",
    time: str = "week",
    n_lags: int = 0,
    base: Any = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    conf_level: float = 0.95,
) -> InteractionResult:
    """Engagement × group interactions in one log-log FE model, and a Wald test of equal slopes.

    Fits (OLS via :func:`~reportkit.analysis.models.estimate` on logs taken here, because the
    interaction log(x)·1[group = g] is not the log of anything)
    ``log(y) ~ Σ_k log(x_{t−k}) + Σ_{g≠base} Σ_k log(x_{t−k})·1[g] | entity + time``
    clustered by ``cluster`` (default ``entity``). ``base`` defaults to the first group in the
    data. Each group's (long-run) slope is a ``lincom`` of the main and interaction terms;
    the Wald test (:func:`reportkit.analysis.dynamics.wald_test`) has H0: Σ_k δ_kg = 0 for every
    g ≠ base, i.e. all groups share one (long-run) slope. When the group is not constant within
    entity, the group is added as a fixed effect too.
    """
    df = check_frame(df)
    conf_level = check_conf_level(conf_level)
    n_lags = check_count("n_lags", n_lags, 0)
    alpha = check_alpha(alpha)
    cluster = entity if cluster is None else cluster
    check_panel_model(df, outcome=outcome, engagement=engagement, entity=entity, time=time, cluster=cluster,
                      group=group)
    data, raw_cols = _lagged_frame(df, outcome=outcome, engagement=engagement, entity=entity, time=time,
                                   n_lags=n_lags, extra=[group, cluster])
    groups = list(pd.unique(data[group]))
    if len(groups) < 2:
        raise AnalysisError(f"column {group!r} has {len(groups)} group(s); comparing slopes needs at least 2")
    if base is None:
        base = groups[0]
    elif base not in groups:
        raise AnalysisError(f"base: expected one of the groups {groups}; got {base!r}")
    others = [g for g in groups if g != base]

    model = pd.DataFrame({
        "ly": np.log(data[outcome].to_numpy(dtype=float)),
        entity: data[entity].to_numpy(),
        time: data[time].to_numpy(),
    })
    if cluster not in (entity, time):
        model[cluster] = data[cluster].to_numpy()
    main = []
    for k, col in enumerate(raw_cols):
        name = f"lx_l{k}"
        model[name] = np.log(data[col].to_numpy(dtype=float))
        main.append(name)
    inter: dict[Any, list[str]] = {}
    is_g = {g: (data[group] == g).to_numpy(dtype=float) for g in others}
    for j, g in enumerate(others, start=1):
        inter[g] = []
        for k, m in enumerate(main):
            name = f"lx_l{k}_g{j}"
            model[name] = model[m].to_numpy() * is_g[g]
            inter[g].append(name)
    fixed = [entity, time]
    nested = bool((data.groupby(entity)[group].nunique() <= 1).all())
    if not nested:
        model["grp"] = pd.factorize(data[group])[0]
        fixed.append("grp")
    regressors = main + [n for g in others for n in inter[g]]
    res = estimate(model, outcome="ly", regressors=regressors, fixed_effects=tuple(fixed), family="ols",
                    vcov="cluster", cluster=cluster, entity=entity, time=time, conf_level=conf_level)
    slopes = []
    base_c = res.lincom({_coef(res, m).term: 1.0 for m in main}, name=f"slope[{base}]")
    slopes.append((base, base_c.estimate, base_c.std_error, base_c.ci_low, base_c.ci_high, base_c.p_value))
    restrictions = []
    for g in others:
        weights = {_coef(res, m).term: 1.0 for m in main}
        weights.update({_coef(res, n).term: 1.0 for n in inter[g]})
        c = res.lincom(weights, name=f"slope[{g}]")
        slopes.append((g, c.estimate, c.std_error, c.ci_low, c.ci_high, c.p_value))
        restrictions.append({_coef(res, n).term: 1.0 for n in inter[g]})
    test = wald_test(res, restrictions)
    wild = joint_p_value(_n_clusters(res), lambda: WildDesign.from_prepared(prepare(model, res.spec)), restrictions)
    p_value, method = (test.p_value, "crv1_f") if wild is None else (wild, "wild_bootstrap")
    return InteractionResult(
        group=group,
        base=base,
        slope_rows=tuple((g, float(e), float(s), float(lo), float(hi), float(p)) for g, e, s, lo, hi, p in slopes),
        chi2=test.chi2,
        f_stat=test.f_stat,
        df_num=test.df_num,
        df_denom=test.df_denom,
        p_value=p_value,
        equal=bool(p_value >= alpha),
        alpha=float(alpha),
        n_lags=n_lags,
        n_obs=int(res.n_obs),
        n_clusters=_n_clusters(res),
        formula=str(res.formula),
        warnings=tuple(res.warnings_in("en")),
        p_value_f=test.p_value,
        method=method,
    )


# --------------------------------------------------------------------------- plot


def forest_plot(
    table: pd.DataFrame,
    *,
    lang: Language = i18n.DEFAULT_LANGUAGE,
    truth: float | None = None,
    long_run: bool = False,
) -> Any:
    """Forest plot of a :func:`by_group` table: point and CI per group, the pooled estimate as a
    dashed line with its CI as a band, and optionally the true value as a dotted line.

    Group labels go through :func:`reportkit.analysis.narrative.category_label` (Chinese names
    in ``zh``, English names of the demo categories in ``en``). ``long_run`` only changes the
    axis label. Call :func:`reportkit.analysis.plots.use_theme` first.
    """
    import matplotlib.pyplot as plt

    from .plots import FIGSIZE, PALETTE, attach_data, data_column

    if not isinstance(table, pd.DataFrame):
        raise AnalysisError(f"expected the DataFrame returned by by_group; got {type(table).__name__}")
    missing = [c for c in ("group", "estimate", "ci_low", "ci_high", "pooled") if c not in table.columns]
    if missing:
        raise AnalysisError(f"the table lacks columns {missing}; expected the columns of by_group: {list(BY_GROUP_COLUMNS)}")
    lang = i18n.check_language(lang, source="lang", error=AnalysisError)
    if truth is not None and (isinstance(truth, bool) or not isinstance(truth, (int, float))):
        raise AnalysisError(f"truth: expected a number or None; got {truth!r}")
    pooled_mask = table["pooled"].astype(bool).to_numpy()
    groups = table.loc[~pooled_mask]
    pooled = table.loc[pooled_mask]
    if groups.empty:
        raise AnalysisError("the table has no group rows to plot")

    labels = [category_label(str(g), lang) for g in groups["group"]]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.5 * (n + 1) + 1.6))
    ypos = np.arange(n)[::-1] + 1.0
    est = groups["estimate"].to_numpy(dtype=float)
    lo = groups["ci_low"].to_numpy(dtype=float)
    hi = groups["ci_high"].to_numpy(dtype=float)
    ax.errorbar(est, ypos, xerr=[est - lo, hi - est], fmt="o", color=PALETTE[0], capsize=4, label=_say("legend_ci", lang))
    yticks = list(ypos)
    ylabels = list(labels)
    if not pooled.empty:
        p = pooled.iloc[0]
        ax.axvline(float(p["estimate"]), color=PALETTE[1], linestyle="--", linewidth=1.2, label=_say("legend_pooled", lang))
        ax.axvspan(float(p["ci_low"]), float(p["ci_high"]), color=PALETTE[1], alpha=0.12, linewidth=0)
        ax.errorbar([float(p["estimate"])], [0.0],
                    xerr=[[float(p["estimate"]) - float(p["ci_low"])], [float(p["ci_high"]) - float(p["estimate"])]],
                    fmt="D", color=PALETTE[1], capsize=4)
        yticks.append(0.0)
        ylabels.append(_say("pooled_row", lang))
    if truth is not None:
        ax.axvline(float(truth), color=PALETTE[4], linestyle=":", linewidth=1.6, label=_say("legend_truth", lang))
    ax.set_yticks(yticks)
    ax.set_yticklabels(ylabels)
    ax.set_ylim(-0.7 if not pooled.empty else 0.3, n + 0.7)
    ax.set_xlabel(_say("axis_elasticity_long_run" if long_run else "axis_elasticity", lang))
    ax.grid(axis="y", visible=False)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 3), frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    # the data drawn, top to bottom: each group, then the pooled estimate (reportkit.analysis.plots.attach_data)
    shown = pd.concat([groups, pooled.iloc[:1]])
    drawn = pd.DataFrame({
        data_column("group", lang): [*labels, *([_say("pooled_row", lang)] if not pooled.empty else [])],
        _say("axis_elasticity_long_run" if long_run else "axis_elasticity", lang): shown["estimate"].to_numpy(dtype=float),
        data_column("ci_low", lang, level=95): shown["ci_low"].to_numpy(dtype=float),
        data_column("ci_high", lang, level=95): shown["ci_high"].to_numpy(dtype=float),
    })
    if truth is not None:
        drawn[_say("legend_truth", lang)] = float(truth)
    return attach_data(fig, drawn)
