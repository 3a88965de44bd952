"""Sun and Abraham's (2021) interaction-weighted event study, by pyfixest's saturated regression.

``y ~ i(event time, wave, ref=−1, ref2=0) | entity + period`` (the regression of
``pf.event_study(estimator="saturated")``): one coefficient per wave and event time, the
never-adopters (wave 0) the only comparison, event time −1 the reference of every wave; CRV1 by
entity. The cell coefficients are averaged with weights proportional to their treated
entity-periods (pre-adoption cells: entity-periods before adoption), which for the overall and
cohort effects gives the estimand of the imputation estimator (every treated entity-period weighing
the same). Each average is a linear combination ``r'β`` with variance ``r'Vr``; intervals t(G − 1).

Pre-trends: the leads of the path (event times from the window's first lead to −2, each the
weighted average of its cells) are tested jointly: the statistic ``(Rβ)'(RVR')⁻¹(Rβ)/q`` is
reported as F(q, G − 1); below :data:`~reportkit.analysis.wild_bootstrap.WILD_JOINT_BELOW` entities
its p-value comes from the restricted wild cluster bootstrap of the same saturated regression
(:mod:`.wild_bootstrap`), from F(q, G − 1) above, as for the two-stage estimator's test (whose
F reference rejects too often with few entities: :mod:`.event_inference`). Their power and
the sensitivity bound come from the same regression run on a pure trend (event time for the
adopters, 0 for the never-adopters): ``d = Rβ_trend`` and the ATT's ``b = r'β_trend``, as
:mod:`.event_inference` describes for the two-stage estimator.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .event_imputation import Effect
from .event_inference import Breakdown, PreTrend, breakdown_for_bias, joint_pretrend
from .event_panel import COHORT, ENTITY, EVENT, NEVER, OUTCOME, PERIOD, EventPanel
from .wild_bootstrap import WildDesign, joint_p_value

if TYPE_CHECKING:
    from pyfixest.estimation import Feols

__all__ = ["sun_abraham"]

_NAME = re.compile(r"^rel::(?P<e>-?\d+)(?:\.0)?:wave::(?P<g>\d+)(?:\.0)?$")


def _saturated(data: pd.DataFrame, outcome: str, vcov: str | dict[str, str]) -> Feols:
    """pyfixest's saturated event-study regression of ``outcome``."""
    import pyfixest as pf

    # i(rel, wave) makes a column for every event time × wave, also those no row has (a late wave
    # has no long lags); pyfixest drops those empty columns with a warning. Silence that warning only;
    # sun_abraham then checks that every dropped cell is indeed empty (else it would be collinearity).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*variables dropped due to multicollinearity")
        # one formula without multiple-estimation syntax: one Feols (pf.feols, loaded lazily, is untyped)
        fit: Feols = pf.feols(f"{outcome} ~ i(rel, wave, ref=-1, ref2={NEVER}) | {ENTITY} + {PERIOD}", data=data,
                              vcov=vcov)
    return fit


def sun_abraham(panel: EventPanel, window: tuple[int, int], conf_level: float, *, pretrend: bool = True,
                sensitivity: bool = True
                ) -> tuple[pd.DataFrame, Effect, pd.DataFrame, PreTrend | None, Breakdown | None]:
    """Path (event times of ``window``, −1 fixed at 0), overall ATT, cohort ATTs, and (``pretrend``,
    when the window has leads before −1) the joint test of the leads with (``sensitivity``) the
    linear-trend breakdown of the ATT (module docstring)."""
    f = panel.frame
    data = pd.DataFrame({
        "y": f[OUTCOME].to_numpy(float), ENTITY: f[ENTITY].to_numpy(), PERIOD: f[PERIOD].to_numpy(),
        "rel": f[EVENT].fillna(-1).astype(int).to_numpy(), "wave": f[COHORT].to_numpy(),
        "trend": f[EVENT].astype("float").fillna(0.0).to_numpy(),  # a unit slope in event time, 0 for never-adopters
    })
    fit = _saturated(data, "y", {"CRV1": ENTITY})
    names = [str(n) for n in fit._coefnames]  # noqa: SLF001 - pyfixest exposes these only privately
    beta = np.asarray(fit._beta_hat, dtype=float).ravel()  # noqa: SLF001
    vcov = np.asarray(fit._vcov, dtype=float)  # noqa: SLF001
    cells = {}
    for j, name in enumerate(names):
        m = _NAME.match(name)
        if m:
            cells[(int(m["g"]), int(m["e"]))] = j
    counts = data[data["wave"] != NEVER].groupby(["wave", "rel"]).agg(n=("y", "size"), ents=(ENTITY, "nunique"))
    lost = sorted(k for k in counts.index if k[1] != -1 and (int(k[0]), int(k[1])) not in cells)
    if lost:
        shown = ", ".join(f"wave {panel.period_label(g)} at event time {e}" for g, e in lost[:5])
        raise AnalysisError(f"Sun–Abraham: pyfixest dropped cells that have data as collinear ({shown}); "
                            "the never-adopters cannot identify them — use estimator='did2s'")
    df = int(f[ENTITY].nunique()) - 1

    def weights(keys: list[tuple[int, int]]) -> np.ndarray:
        """r: each cell of ``keys`` weighted by its treated entity-periods."""
        r = np.zeros(len(beta))
        n = np.array([counts.loc[k, "n"] for k in keys], dtype=float)
        r[[cells[k] for k in keys]] = n / n.sum()
        return r

    def combine(keys: list[tuple[int, int]]) -> Effect:
        keys = [k for k in keys if k in cells]
        r = weights(keys)
        est, var = float(r @ beta), float(r @ vcov @ r)
        ents = int(f.loc[f[COHORT].isin({k[0] for k in keys}), ENTITY].nunique())
        n_obs = int(sum(counts.loc[k, "n"] for k in keys))
        return Effect.from_estimate(est, np.sqrt(max(var, 0.0)), df, conf_level, n_obs, ents)

    lead, lag = window
    rows, effects = [], []
    for e in range(lead, lag + 1):
        keys = [k for k in cells if k[1] == e]
        if e == -1:
            continue
        if keys:
            rows.append(e)
            effects.append(combine(keys))
    path = pd.DataFrame({"event_time": rows, "part": ["lead" if e < 0 else "lag" for e in rows]})
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        path[col] = [getattr(x, col) for x in effects]
    path["n_obs"] = [x.n_obs for x in effects]
    path["n_entities"] = [x.n_entities for x in effects]
    att = combine([k for k in cells if k[1] >= 0])
    waves = sorted({k[0] for k in cells})
    cohort_effects = [combine([k for k in cells if k[0] == g and k[1] >= 0]) for g in waves]
    by_cohort = pd.DataFrame({"cohort": [panel.period_label(g) for g in waves], "period": waves})
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        by_cohort[col] = [getattr(x, col) for x in cohort_effects]
    by_cohort["n_obs"] = [x.n_obs for x in cohort_effects]
    by_cohort["n_entities"] = [x.n_entities for x in cohort_effects]

    lead_times = [e for e in rows if e < -1]
    if not pretrend or not lead_times:
        return path, att, by_cohort, None, None
    r_leads = np.array([weights([k for k in cells if k[1] == e]) for e in lead_times])
    r_att = weights([k for k in cells if k[1] >= 0])
    trend_fit = _saturated(data, "trend", "iid")
    trend_beta = pd.Series(np.asarray(trend_fit._beta_hat, dtype=float).ravel(),  # noqa: SLF001
                           index=[str(n) for n in trend_fit._coefnames]).reindex(names).fillna(0.0).to_numpy()  # noqa: SLF001
    order = [cells[k] for k in cells]

    def design() -> WildDesign:  # the saturated regression's cells as columns, for the bootstrap
        codes = [pd.factorize(data[ENTITY])[0], pd.factorize(data[PERIOD])[0]]
        columns = np.column_stack([((data["wave"] == g) & (data["rel"] == e)).to_numpy(float) for g, e in cells])
        return WildDesign(data["y"].to_numpy(float), columns, codes, codes[0], [names[j] for j in order])

    wild = joint_p_value(df + 1, design, [{names[j]: float(row[j]) for j in order if row[j] != 0} for row in r_leads])
    leads = path[path["event_time"].isin(lead_times)].reset_index(drop=True)
    pre = joint_pretrend(leads, r_leads @ beta, r_leads @ vcov @ r_leads.T, r_leads @ trend_beta, df2=df,
                         wild_p_value=wild)
    bound = breakdown_for_bias(att, pre, float(r_att @ trend_beta)) if sensitivity else None
    return path, att, by_cohort, pre, bound
