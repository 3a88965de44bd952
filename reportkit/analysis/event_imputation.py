"""Gardner's two-stage / the imputation estimator of an event study, and one estimated effect.

Stage 1: ``y ~ 1 | entity + period`` by pyfixest on the untreated entity-periods; stage 2: the
imputed effects ``y − ŷ`` of treated entity-periods averaged within disjoint cells. The covariance
is Gardner's / Butts's GMM sandwich clustered by entity (the one of ``pyfixest.did.did2s``), written
with sparse matrices, times G/(G − 1). See :mod:`reportkit.analysis.event_study` for the design.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.linalg import factorized

from ..errors import AnalysisError
from .event_panel import ENTITY, OUTCOME, PERIOD, TREATED, EventPanel

__all__ = ["Effect", "Imputation", "imputation"]


@dataclass(frozen=True)
class Effect:
    """One estimated effect with its interval (t with ``df`` degrees of freedom)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: int
    n_obs: int  # treated entity-periods behind it
    n_entities: int  # treated entities behind it

    @classmethod
    def from_estimate(cls, estimate: float, se: float, df: int, conf_level: float, n_obs: int, n_entities: int) -> Effect:
        q = float(stats.t.ppf(0.5 + conf_level / 2, df))
        p = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else float("nan")
        return cls(float(estimate), float(se), float(estimate - q * se), float(estimate + q * se), p, int(df),
                   int(n_obs), int(n_entities))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- the imputation estimator


def _fe_design(frame: pd.DataFrame) -> sp.csr_matrix:
    """Entity dummies and period dummies (the first period's dropped: full rank), sparse."""
    ent = pd.factorize(frame[ENTITY])[0]
    per = pd.factorize(frame[PERIOD], sort=True)[0]
    n, n_e, n_p = len(frame), ent.max() + 1, per.max() + 1
    rows = np.arange(n)
    keep = per > 0
    data = np.ones(n + int(keep.sum()))
    r = np.concatenate([rows, rows[keep]])
    c = np.concatenate([ent, n_e + per[keep] - 1])
    return sp.csr_matrix((data, (r, c)), shape=(n, n_e + n_p - 1))


class Imputation:
    """Gardner's two-stage / the imputation estimator on one outcome (see the module docstring).

    ``imputation(panel)`` fits stage 1 once; :meth:`effects` averages the imputed effects within
    any disjoint cells of treated entity-periods and returns estimates and their GMM covariance.
    :meth:`with_outcome` refits on another outcome with the same design (the sensitivity bound
    applies the estimator to a deterministic trend).
    """

    def __init__(self, frame: pd.DataFrame, y: np.ndarray) -> None:
        import pyfixest as pf

        self.frame = frame
        self.treated = frame[TREATED].to_numpy(dtype=bool)
        data = pd.DataFrame({"y": y, ENTITY: frame[ENTITY].to_numpy(), PERIOD: frame[PERIOD].to_numpy()})
        fit = pf.feols(f"y ~ 1 | {ENTITY} + {PERIOD}", data=data[~self.treated], vcov="iid")
        self.y = np.asarray(y, dtype=float)
        self.u1 = self.y - np.asarray(fit.predict(newdata=data), dtype=float)
        if not np.all(np.isfinite(self.u1)):
            raise AnalysisError("event study: stage 1 could not predict every entity-period (an entity or a period "
                                "without untreated observations)")
        self.clusters, _ = pd.factorize(frame[ENTITY])
        self.n_clusters = int(self.clusters.max() + 1)
        self._x1: sp.csr_matrix | None = None
        self._x10: sp.csr_matrix | None = None
        self._solve: Any = None  # (X10'X10)⁻¹ b, factorised once for every set of cells

    def with_outcome(self, y: np.ndarray) -> Imputation:
        return Imputation(self.frame, y)

    @property
    def x1(self) -> sp.csr_matrix:
        if self._x1 is None:
            self._x1 = _fe_design(self.frame)
        return self._x1

    def _untreated_design(self) -> tuple[sp.csr_matrix, Any]:
        """X10 (the fixed-effect dummies with the treated rows zeroed) and a solver of X10'X10."""
        if self._x10 is None:
            self._x10 = (sp.diags((~self.treated).astype(float)) @ self.x1).tocsr()
            self._solve = factorized((self._x10.T @ self._x10).tocsc())
        return self._x10, self._solve

    def effects(self, cells: np.ndarray, n_cells: int, *, vcov: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Cell means of the imputed effects; ``cells`` gives each row's cell 0 … n_cells − 1 (−1: none).

        Only treated rows may be in a cell. Returns (estimates, covariance or None).
        """
        cells = np.asarray(cells, dtype=np.int64)
        inside = cells >= 0
        if np.any(inside & ~self.treated):
            raise AnalysisError("event study: an untreated entity-period was put in an effect cell")
        n = len(cells)
        x2 = sp.csr_matrix((np.ones(int(inside.sum())), (np.flatnonzero(inside), cells[inside])), shape=(n, n_cells))
        counts = np.asarray(x2.sum(axis=0)).ravel()
        if np.any(counts == 0):
            raise AnalysisError(f"event study: cells {np.flatnonzero(counts == 0).tolist()} have no treated entity-period")
        beta = np.asarray(x2.T @ self.u1).ravel() / counts
        if not vcov:
            return beta, None
        u2 = self.u1 - x2 @ beta
        x10, solve = self._untreated_design()
        rhs = (self.x1.T @ x2).toarray()
        v_t = np.column_stack([solve(rhs[:, j]) for j in range(n_cells)])  # (X10'X10)⁻¹ X1'X2
        ind = sp.csr_matrix((np.ones(n), (self.clusters, np.arange(n))), shape=(self.n_clusters, n))
        w = np.asarray((ind @ sp.diags(u2) @ x2).todense()) - np.asarray((ind @ sp.diags(self.u1) @ x10) @ v_t)
        score = w / counts  # (X2'X2)⁻¹ is diagonal: the cell counts
        g = self.n_clusters
        return beta, g / (g - 1) * (score.T @ score)


def imputation(panel: EventPanel) -> Imputation:
    """Stage 1 of the two-stage / imputation estimator on the panel's outcome."""
    return Imputation(panel.frame, panel.frame[OUTCOME].to_numpy(dtype=float))
