"""Pre-trends of an event study: the joint test, its power, and how large a violation would matter.

Parallel trends cannot be tested after adoption; before it, they can be checked, and a check that
passes means little unless it could have failed. Three numbers go together (Roth 2022; Rambachan
and Roth 2023):

* :func:`pretrend_test` — Borusyak, Jaravel and Spiess (2024, test 1): on the untreated
  entity-periods only, ``y ~ lead_{−K} + … + lead_{−1} | entity + period`` by pyfixest (CRV1 by
  entity); the leads jointly zero: the Wald statistic ``b'V⁻¹b / K`` is reported as F(K, G − 1);
  below :data:`~reportkit.analysis.wild_bootstrap.WILD_JOINT_BELOW` entities its p-value comes from
  the restricted wild cluster bootstrap of :mod:`~reportkit.analysis.wild_bootstrap`, from
  F(K, G − 1) above. With K = 8 leads and 60 entities, the F(K, G − 1) reference rejected 11 of
  100 seeded parallel-trend panels of the demo's design at 5 %, the bootstrap 4
  (tests/test_pretrend_size.py): a cluster-robust covariance estimated from few clusters per
  restriction makes the Wald statistic too large too often. Its **power** against a linear
  differential trend — the treated entities' untreated outcome drifting by ``s`` per period
  relative to the others — uses the noncentral F with noncentrality ``s² d'V⁻¹d``, ``d`` the leads
  that the same regression gives for a trend of slope 1 (computed, not assumed: the fixed effects
  absorb part of any trend) and ``V`` the leads' covariance. ``mde_slope`` is the slope detected
  with 80 % power at the 5 % level; ``slope`` the slope fitted to the leads by GLS
  (``d'V⁻¹b / d'V⁻¹d``, standard error ``(d'V⁻¹d)^−½``). Power and the detectable slope are those
  of the analytic F test, also when the p-value comes from the wild bootstrap: the bootstrap
  test's power has no closed form, and where the F reference rejects too often the analytic figure
  is somewhat optimistic (the true detectable slope somewhat larger).
* :func:`breakdown` — a simpler, documented bound in the spirit of Rambachan and Roth (2023): their
  "smoothness" class with no change in slope (M = 0), i.e. a linear differential trend continuing
  after adoption. The estimator is linear in the outcome, so a trend of slope ``s`` moves the ATT by
  exactly ``s · b``, ``b`` the ATT the estimator returns for the pure trend (computed by running it);
  the interval moves with it. The **breakdown slope** is the ``s`` at which the interval first reaches
  zero. It is compared with ``mde_slope``: a breakdown slope well above what the pre-trend test
  detects with 80 % power means a violation large enough to overturn the conclusion would probably
  have shown before adoption. The full Rambachan–Roth sets (curvature M > 0, relative magnitudes)
  have no maintained Python implementation that installs here (HonestDiD is an R package), so they
  are not computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import AnalysisError
from .event_imputation import Effect, Imputation
from .event_panel import ENTITY, EVENT, OUTCOME, PERIOD, TREATED, EventPanel
from .wild_bootstrap import WildDesign, joint_p_value

__all__ = ["PreTrend", "Breakdown", "pretrend_test", "joint_pretrend", "breakdown", "breakdown_for_bias", "POWER",
           "ALPHA"]

POWER = 0.80  # power of the minimum detectable trend
ALPHA = 0.05  # level of the pre-trend test


@dataclass(frozen=True)
class PreTrend:
    """The joint test of the leads, its power against a linear trend, and the leads themselves."""

    leads: pd.DataFrame  # event_time, part="lead", estimate, se, ci_low, ci_high, p_value, n_obs, n_entities
    statistic: float  # Wald F (CRV1)
    df1: int
    df2: int
    p_value: float
    method: str  # "crv1_f" or "wild_bootstrap"
    slope: float  # GLS slope fitted to the leads, per period
    slope_se: float
    mde_slope: float  # linear trend slope detected with POWER at ALPHA

    def power_at(self, slope: float) -> float:
        """Power of the test (CRV1 F, level ALPHA) against a linear trend of ``slope`` per period."""
        lam = (slope / self.slope_se) ** 2
        crit = stats.f.ppf(1 - ALPHA, self.df1, self.df2)
        return float(stats.ncf.sf(crit, self.df1, self.df2, lam))

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "df1": self.df1, "df2": self.df2, "p_value": self.p_value,
                "method": self.method, "slope": self.slope, "slope_se": self.slope_se,
                "mde_slope": self.mde_slope, "leads": self.leads.to_dict(orient="list")}


def _lead_design(panel: EventPanel, lead: int) -> tuple[pd.DataFrame, list[str], list[int]]:
    f = panel.frame
    rows = f[~f[TREATED]]
    ev = rows[EVENT].astype("float")
    times = list(range(lead, 0))
    data = pd.DataFrame({ENTITY: rows[ENTITY].to_numpy(), PERIOD: rows[PERIOD].to_numpy(),
                         "y": rows[OUTCOME].to_numpy(float),
                         "trend": ev.fillna(0.0).to_numpy()})  # a unit slope in event time, 0 for never-adopters
    names = []
    for e in times:
        name = f"lead_{-e}"
        data[name] = (ev == e).to_numpy(float)
        names.append(name)
    return data, names, times


def _mde_noncentrality(df1: int, df2: int) -> float:
    crit = stats.f.ppf(1 - ALPHA, df1, df2)
    return float(optimize.brentq(lambda lam: stats.ncf.sf(crit, df1, df2, lam) - POWER, 1e-6, 1e4))


def pretrend_test(panel: EventPanel, lead: int, conf_level: float = 0.95) -> PreTrend:
    """The leads ``lead … −1`` on untreated entity-periods, tested jointly (module docstring)."""
    import pyfixest as pf

    data, names, times = _lead_design(panel, lead)
    fml = " + ".join(names) + f" | {ENTITY} + {PERIOD}"
    fit = pf.feols(f"y ~ {fml}", data=data, vcov={"CRV1": ENTITY})
    dropped = [n for n in names if n not in fit.coef().index]
    if dropped:
        raise AnalysisError(
            f"the pre-trend test cannot separate the effects at event times "
            f"{', '.join(str(times[names.index(n)]) for n in dropped)} from the entity effects: the window "
            f"starts at {lead}, which covers every period before adoption of the adopters; use a shorter lead "
            "window so that some earlier periods serve as the reference"
        )
    b = fit.coef()[names].to_numpy(float)
    v = np.asarray(fit._vcov, dtype=float)  # noqa: SLF001 - pyfixest exposes the covariance only privately
    g = int(data[ENTITY].nunique())
    q, df2 = len(names), g - 1
    codes = [pd.factorize(data[ENTITY])[0], pd.factorize(data[PERIOD])[0]]
    wild = joint_p_value(g, lambda: WildDesign(data["y"].to_numpy(float), data[names].to_numpy(float), codes,
                                               codes[0], names), names)
    # d: the leads a pure trend of slope 1 produces through the same regression
    d = pf.feols(f"trend ~ {fml}", data=data, vcov="iid").coef()[names].to_numpy(float)
    se = np.sqrt(np.clip(np.diag(v), 0, None))
    counts = [int(data[n].sum()) for n in names]
    ents = [int(data.loc[data[n] > 0, ENTITY].nunique()) for n in names]
    effects = [Effect.from_estimate(b[j], se[j], df2, conf_level, counts[j], ents[j]) for j in range(q)]
    leads = pd.DataFrame({"event_time": times, "part": "lead"})
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        leads[col] = [getattr(e, col) for e in effects]
    leads["n_obs"], leads["n_entities"] = counts, ents
    return joint_pretrend(leads, b, v, d, df2=df2, wild_p_value=wild)


def joint_pretrend(leads: pd.DataFrame, b: np.ndarray, v: np.ndarray, d: np.ndarray, *, df2: int,
                   wild_p_value: float | None = None) -> PreTrend:
    """The joint test of the lead estimates ``b`` (cluster-robust covariance ``v``): the Wald
    statistic ``b'V⁻¹b / q`` against F(q, ``df2``), or the wild cluster bootstrap's p-value when
    ``wild_p_value`` is given; with its power against a linear differential trend, ``d`` being the
    leads the same regression gives for a pure trend of slope 1 (module docstring). ``leads``: the
    rows shown for them."""
    b, v, d = (np.asarray(a, dtype=float) for a in (b, v, d))
    q = len(b)
    try:
        stat = float(b @ np.linalg.solve(v, b)) / q
        info = float(d @ np.linalg.solve(v, d))
        slope = float(d @ np.linalg.solve(v, b)) / info
    except np.linalg.LinAlgError:
        raise AnalysisError(f"the pre-trend test: the covariance of the {q} leads is singular (with {df2 + 1} "
                            "clusters); use a shorter lead window") from None
    p_value = float(stats.f.sf(stat, q, df2)) if wild_p_value is None else float(wild_p_value)
    return PreTrend(leads=leads, statistic=stat, df1=q, df2=df2, p_value=p_value,
                    method="crv1_f" if wild_p_value is None else "wild_bootstrap", slope=slope,
                    slope_se=1.0 / math.sqrt(info), mde_slope=math.sqrt(_mde_noncentrality(q, df2) / info))


@dataclass(frozen=True)
class Breakdown:
    """How large a linear differential trend would overturn the sign of the ATT (module docstring)."""

    bias_per_slope: float  # b: change of the ATT per unit of trend slope
    breakdown_slope: float | None  # slope at which the interval reaches 0 (None: the interval already covers 0)
    mde_slope: float  # from the pre-trend test
    power_at_breakdown: float | None  # power of the pre-trend test against the breakdown slope

    @property
    def robust(self) -> bool | None:
        """True when the pre-trend test would detect the breakdown trend with at least 80 % power."""
        if self.power_at_breakdown is None:
            return None
        return self.power_at_breakdown >= POWER

    def to_dict(self) -> dict[str, Any]:
        return {"bias_per_slope": self.bias_per_slope, "breakdown_slope": self.breakdown_slope,
                "mde_slope": self.mde_slope, "power_at_breakdown": self.power_at_breakdown, "robust": self.robust}


def breakdown(panel: EventPanel, imp: Imputation, att: Effect, pre: PreTrend, conf_level: float = 0.95) -> Breakdown:
    """The linear-trend breakdown of the overall ATT (module docstring)."""
    f = panel.frame
    trend = f[EVENT].astype("float").fillna(0.0).to_numpy()
    pure = imp.with_outcome(trend)
    cells = np.where(f[TREATED].to_numpy(bool), 0, -1)
    return breakdown_for_bias(att, pre, float(pure.effects(cells, 1, vcov=False)[0][0]))


def breakdown_for_bias(att: Effect, pre: PreTrend, b: float) -> Breakdown:
    """The breakdown of ``att`` given ``b``, the ATT its estimator returns for a pure trend of slope 1."""
    if att.ci_low <= 0 <= att.ci_high or b == 0:
        return Breakdown(b, None, pre.mde_slope, None)
    bound = att.ci_low if att.estimate > 0 else att.ci_high
    slope = bound / b
    return Breakdown(b, slope, pre.mde_slope, pre.power_at(slope))
