"""Event study of a staggered adoption: dynamic effects, ATTs, and the biased TWFE beside them.

When entities adopt at different dates and the effect differs between adoption waves or builds up
over time, the static two-way fixed-effects regression ``y ~ D | entity + period`` is biased: it
uses already-treated entities as controls for later adopters, and those comparisons subtract part
of the effect (Goodman-Bacon 2021; de Chaisemartin and D'Haultfœuille 2020; Sun and Abraham 2021).
:func:`fit_event_study` estimates the effects with heterogeneity-robust estimators and shows the
TWFE estimate only as the comparison.

Estimators (``estimator=``), each with its comparison group (``control=``) declared:

* ``"did2s"`` (default) — Gardner's two-stage estimator (2021), numerically the imputation
  estimator of Borusyak, Jaravel and Spiess (2024). Stage 1: ``y ~ 1 | entity + period`` by
  pyfixest on the **untreated** entity-periods only (never-adopters and the periods before each
  adopter's adoption: ``control="not_yet"``); stage 2: the imputed effects ``y − ŷ`` of treated
  entity-periods averaged within cells (an event time, a wave, a group; the overall ATT over all
  treated entity-periods, each weighing the same). Standard errors: the GMM sandwich of Gardner /
  Butts (2021), clustered by entity, which accounts for the estimated first stage. It is the one of
  pyfixest's ``did2s`` (``pyfixest.did.did2s._did2s_vcov``), written here with sparse matrices and
  one pass over the clusters because pyfixest's builds dense dummy matrices (minutes and gigabytes
  at 1,000 brands); ``tests/test_event_study.py`` checks estimates and covariance against
  ``pf.did2s`` to 1e-8. The factor G/(G − 1) is applied and intervals use t(G − 1), G the number
  of entities (clusters).
* ``"sunab"`` — Sun and Abraham's (2021) interaction-weighted estimator: pyfixest's saturated
  regression ``y ~ i(event time, wave) | entity + period`` (the form of
  ``pf.event_study(estimator="saturated")``), with the **never-adopters** as the comparison
  (``control="never"``), CRV1 by entity; cell effects are averaged with weights proportional to
  the treated entity-periods in each cell (the same estimand as ``did2s``). No group ATTs.

Pre-trends (``did2s``): the test of Borusyak et al. (2024, test 1) — lead dummies for the
``K = −window[0]`` periods before adoption added to the stage-1 model on untreated entity-periods,
jointly zero by a cluster-robust Wald F(K, G − 1), or by the restricted wild cluster bootstrap
(:mod:`~reportkit.analysis.wild_bootstrap`) with fewer than
:data:`~reportkit.analysis.model_data.FEW_CLUSTERS` entities. Its power against a linear
differential trend (slope ``s`` per period, log points when the outcome is logged) and the slope it
detects with 80 % power are computed from the leads' covariance and the noncentral F. The leads
are what the figure shows before adoption; the lags are the stage-2 event-time effects.

Sensitivity (:mod:`~reportkit.analysis.event_inference`): how large a linear violation of parallel
trends would overturn the conclusion, compared with what the pre-trend test can detect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from . import event_inference
from .event_imputation import Effect, Imputation, imputation
from .event_panel import COHORT, ENTITY, EVENT, GROUP, NEVER, OUTCOME, PERIOD, TREATED, EventPanel
from .event_sunab import sun_abraham
from .model_data import FEW_CLUSTERS, MIN_CLUSTERS

__all__ = [
    "ESTIMATORS",
    "CONTROLS",
    "DEFAULT_WINDOW",
    "Effect",
    "EventStudy",
    "fit_event_study",
    "true_path_frame",
]

Estimator = Literal["did2s", "sunab"]
ESTIMATORS: tuple[str, ...] = ("did2s", "sunab")
CONTROLS: dict[str, str] = {"did2s": "not_yet", "sunab": "never"}
DEFAULT_WINDOW = (-8, 16)


# --------------------------------------------------------------------------- checks


def _check_window(window: Any, panel: EventPanel) -> tuple[int, int]:
    if (isinstance(window, (str, bytes)) or not isinstance(window, Sequence) or len(window) != 2
            or not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) for w in window)):
        raise AnalysisError(f"window must be two whole numbers (first lead, last lag), e.g. (-8, 16); got {window!r}")
    lead, lag = int(window[0]), int(window[1])
    if lead > -1 or lag < 0:
        raise AnalysisError(f"window must start before adoption (≤ −1) and end at or after it (≥ 0); got {window!r}")
    ev = panel.frame[EVENT].dropna()
    first, last = int(ev.min()), int(ev.max())
    if lead < first or lag > last:
        raise AnalysisError(
            f"window {tuple(window)} is longer than the data: in {panel.source} adopters are observed from "
            f"{-first} periods before adoption to {last} after it; expected a window inside ({first}, {last})"
        )
    return lead, lag


def _check_controls(panel: EventPanel, control: str) -> None:
    f = panel.frame
    if control == "never":
        if panel.n_never == 0:
            raise AnalysisError(
                f"control='never' needs entities that never adopt; in {panel.source} every entity of "
                f"{panel.adoption!r} adopts. Use control='not_yet' (estimator='did2s'), which compares with "
                "entities that have not adopted yet"
            )
        return
    untreated = f.loc[~f[TREATED], PERIOD].unique()
    lacking = sorted(set(f.loc[f[TREATED], PERIOD].unique()) - set(untreated))
    if lacking:
        first = panel.period_label(lacking[0])
        raise AnalysisError(
            f"from {first} on every entity in {panel.source} has adopted (column {panel.adoption!r}): no untreated "
            f"or not-yet-treated entity is left to estimate the period effects of {len(lacking)} periods. "
            f"End the sample before {first}, or add entities that never adopt"
        )


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class EventStudy:
    """What :func:`fit_event_study` estimated (all effects in the outcome's units, log points if logged)."""

    estimator: str
    control: str
    window: tuple[int, int]
    conf_level: float
    log: bool
    n_obs: int
    n_entities: int
    n_treated: int
    n_never: int
    path: pd.DataFrame  # event_time, estimate, se, ci_low, ci_high, n_obs, part ("lead"/"lag")
    att: Effect
    by_cohort: pd.DataFrame  # cohort (label), period, n_entities, n_obs, estimate, se, ci_low, ci_high, p_value
    by_group: pd.DataFrame | None
    twfe: Effect
    twfe_negative_share: float  # share of treated entity-periods that TWFE weighs negatively
    pretrend: event_inference.PreTrend | None
    sensitivity: event_inference.Breakdown | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def df(self) -> int:
        return self.att.df

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimator": self.estimator, "control": self.control, "window": list(self.window),
            "conf_level": self.conf_level, "log": self.log, "n_obs": self.n_obs, "n_entities": self.n_entities,
            "n_treated": self.n_treated, "n_never": self.n_never, "att": self.att.to_dict(),
            "twfe": self.twfe.to_dict(), "twfe_negative_share": self.twfe_negative_share,
            "path": self.path.to_dict(orient="list"), "by_cohort": self.by_cohort.to_dict(orient="list"),
            "by_group": None if self.by_group is None else self.by_group.to_dict(orient="list"),
            "pretrend": None if self.pretrend is None else self.pretrend.to_dict(),
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
            "notes": list(self.notes),
        }


def _table(effects: Sequence[Effect], **columns: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(dict(columns))
    for name in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        frame[name] = [getattr(e, name) for e in effects]
    frame["n_obs"] = [e.n_obs for e in effects]
    frame["n_entities"] = [e.n_entities for e in effects]
    return frame


def _cell_effects(imp: Imputation, f: pd.DataFrame, keys: pd.Series, df: int, conf: float,
                  small_df: bool = False) -> tuple[list[Any], list[Effect]]:
    """Effects of the treated rows grouped by ``keys`` (NaN: left out), in sorted key order."""
    treated = f[TREATED].to_numpy(dtype=bool)
    k = keys.where(treated)
    levels = sorted(k.dropna().unique())
    codes = pd.Categorical(k, categories=levels).codes.astype(np.int64)
    beta, vcov = imp.effects(codes, len(levels))
    assert vcov is not None
    out = []
    for j in range(len(levels)):
        rows = codes == j
        n_ent = int(f.loc[rows, ENTITY].nunique())
        # a group with few treated entities: its variance rests on them, so t(n − 1) (conservative)
        dfj = min(df, n_ent - 1) if small_df else df
        out.append(Effect.from_estimate(beta[j], math.sqrt(max(vcov[j, j], 0.0)), max(dfj, 1), conf,
                                        int(rows.sum()), n_ent))
    return levels, out


def _twfe(panel: EventPanel, conf: float) -> tuple[Effect, float]:
    import pyfixest as pf

    f = panel.frame
    data = pd.DataFrame({"y": f[OUTCOME].to_numpy(float), "d": f[TREATED].to_numpy(float),
                         ENTITY: f[ENTITY].to_numpy(), PERIOD: f[PERIOD].to_numpy()})
    fit = pf.feols(f"y ~ d | {ENTITY} + {PERIOD}", data=data, vcov={"CRV1": ENTITY})
    g = f[ENTITY].nunique()
    est = float(fit.coef()["d"])
    se = float(fit.se()["d"])
    # the TWFE estimate is Σ r_it y_it / Σ r_it D_it, r the residual of D on the fixed effects: the weight
    # of a treated entity-period's effect is r_it / Σ_treated r_it, negative where r_it < 0
    r = np.asarray(pf.feols(f"d ~ 1 | {ENTITY} + {PERIOD}", data=data).resid(), dtype=float)
    treated = f[TREATED].to_numpy(bool)
    negative = float(np.mean(r[treated] < 0))
    n_ent = int(f.loc[treated, ENTITY].nunique())
    return Effect.from_estimate(est, se, g - 1, conf, int(treated.sum()), n_ent), negative


def fit_event_study(
    panel: EventPanel,
    *,
    estimator: Estimator = "did2s",
    control: str | None = None,
    window: tuple[int, int] = DEFAULT_WINDOW,
    conf_level: float = 0.95,
    pretrend: bool = True,
    sensitivity: bool = True,
) -> EventStudy:
    """Estimate the event study (see the module docstring).

    Parameters
    ----------
    panel
        From :func:`~reportkit.analysis.event_panel.prepare_event_panel`.
    estimator
        ``"did2s"`` (not-yet-treated and never-treated comparisons) or ``"sunab"`` (never-treated).
    control
        ``"not_yet"`` or ``"never"``; must be the estimator's (``None``: the estimator's).
    window
        (first lead, last lag) in periods relative to adoption: the event-time effects estimated and
        shown, e.g. (-8, 16). The ATTs use every treated entity-period, inside the window or not.
    conf_level
        Of every interval.
    pretrend, sensitivity
        Run the pre-trend test (with its power) and the sensitivity bound: for ``did2s`` the test of
        Borusyak, Jaravel and Spiess on the untreated entity-periods, for ``sunab`` the joint test
        of its leads (:mod:`.event_sunab`).

    Raises
    ------
    AnalysisError
        An unknown estimator or control, a control the estimator does not use, a window longer
        than the data, no untreated entity left in some period, fewer than
        :data:`~reportkit.analysis.model_data.MIN_CLUSTERS` entities.
    """
    if estimator not in ESTIMATORS:
        raise AnalysisError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {estimator!r}")
    own = CONTROLS[estimator]
    if control is None:
        control = own
    if control not in ("not_yet", "never"):
        raise AnalysisError(f"control must be 'not_yet' or 'never'; got {control!r}")
    if control != own:
        other = next(e for e, c in CONTROLS.items() if c == control)
        raise AnalysisError(
            f"estimator {estimator!r} compares with {own!r} entities, not {control!r}; "
            f"for control={control!r} use estimator={other!r}"
        )
    if not (isinstance(conf_level, float) and 0.5 < conf_level < 1):
        raise AnalysisError(f"conf_level must be a number between 0.5 and 1; got {conf_level!r}")
    lead, lag = _check_window(window, panel)
    _check_controls(panel, control)
    g = panel.n_entities
    if g < MIN_CLUSTERS:
        raise AnalysisError(f"event study: {g} entities in {panel.source}; clustered inference needs at least {MIN_CLUSTERS}")
    if panel.n_treated < 2:
        raise AnalysisError(f"event study: only {panel.n_treated} entity adopts in {panel.source}; expected at least 2")
    f = panel.frame
    df = g - 1
    notes: list[str] = []
    if g < FEW_CLUSTERS:
        notes.append(f"only {g} entities (clusters): cluster-robust intervals are approximate")

    twfe, negative = _twfe(panel, conf_level)
    if estimator == "sunab":
        path, att, by_cohort, pre, bound = sun_abraham(panel, (lead, lag), conf_level, pretrend=pretrend,
                                                       sensitivity=sensitivity)
        return EventStudy(estimator, control, (lead, lag), conf_level, panel.log, len(f), g, panel.n_treated,
                          panel.n_never, path, att, by_cohort, None, twfe, negative, pre, bound, tuple(notes))

    imp = imputation(panel)
    # overall ATT: every treated entity-period, equal weights
    _, (att,) = _cell_effects(imp, f, pd.Series(np.where(f[TREATED], 0, np.nan)), df, conf_level)
    ev = f[EVENT].astype("float")
    lag_levels, lag_effects = _cell_effects(imp, f, ev.where(ev <= lag), df, conf_level)
    cohorts, cohort_effects = _cell_effects(imp, f, f[COHORT].astype(float), df, conf_level)
    by_cohort = _table(cohort_effects, cohort=[panel.period_label(int(c)) for c in cohorts],
                       period=[int(c) for c in cohorts])
    by_group = None
    if panel.group:
        groups, group_effects = _cell_effects(imp, f, f[GROUP].where(f[COHORT] != NEVER), df, conf_level, small_df=True)
        by_group = _table(group_effects, group=groups)
        by_group["df"] = [e.df for e in group_effects]

    pre = event_inference.pretrend_test(panel, lead, conf_level) if pretrend else None
    lags = _table(lag_effects, event_time=[int(e) for e in lag_levels])
    lags["part"] = "lag"
    leads = pre.leads if pre is not None else None
    path = pd.concat([leads, lags], ignore_index=True) if leads is not None else lags
    bound = event_inference.breakdown(panel, imp, att, pre, conf_level) if (sensitivity and pre is not None) else None
    return EventStudy(estimator, control, (lead, lag), conf_level, panel.log, len(f), g, panel.n_treated,
                      panel.n_never, path[["event_time", "part", "estimate", "se", "ci_low", "ci_high", "p_value",
                                           "n_obs", "n_entities"]], att, by_cohort, by_group, twfe, negative, pre,
                      bound, tuple(notes))


def true_path_frame(truth: Mapping[str, Any]) -> pd.DataFrame:
    """The simulator's mean true effect by event time (``truth["att_by_event_time"]``) as a frame."""
    by_e = truth["att_by_event_time"]
    return pd.DataFrame({"event_time": by_e["event_time"], "effect": by_e["effect"]})
