"""Rolling-origin backtest of annual forecasting models at every horizon 1…H, scored on log errors.

This is the evidence behind :func:`reportkit.analysis.forecast_combine.combine_forecast`: every
candidate model (:data:`CANDIDATES`) is refitted at every origin with enough history and
forecasts every horizon that the report uses, so that a five-year-ahead forecast is judged on
five-year-ahead errors (not on one-step errors).

Candidates (all on the natural log of the series; the forecast is exponentiated back, so it is a
median):

* ``"naive"``: the last value (random walk).
* ``"drift"``: random walk with drift; slope ``(z_last − z_first) / (n − 1)`` on logs.
* ``"theta"``: statsmodels ``ThetaModel`` (θ = 2: SES plus half the linear trend).
* ``"ets_damped"``: statsmodels ``ETSModel`` ETS(A,Ad,N) on logs (additive damped trend).
* ``"arima"``: ARIMA with automatic order (the bounded AICc search of
  :mod:`reportkit.analysis.forecast`).
* ``"growth"``: a local-level model (statsmodels ``UnobservedComponents``, random walk plus
  noise) of ``log(1 + g/100)``, where ``g`` are the official comparable-basis growth rates; the
  forecast growth is compounded from the last published level. It needs ``growth=``.

Backtest
--------

Origins ``t = min_train, …, n − 1`` (the training window always starts at the first
observation; by default ``min_train = 5``, the least history any candidate needs here). From
origin ``t`` every step ``h = 1 … min(H, n − t)`` is forecast. The log error is
``log(actual) − log(forecast)`` (positive: the forecast was too low). MASE at step ``h`` is the
mean over origins of ``|log error| / scale``, where ``scale`` is the in-sample mean absolute
one-step naive error on logs (the mean absolute log growth) of that origin's training window
(Hyndman & Koehler 2006, on logs). Everything is deterministic (statsmodels' optimisers start
from fixed values; nothing is simulated).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .. import i18n
from ..choices import check_choices
from ..errors import AnalysisError
from .forecast import _check_series, _fit_predict
from .inputs import check_choice, check_count

__all__ = [
    "Candidate",
    "CANDIDATES",
    "HorizonBacktest",
    "PointForecast",
    "candidate_label",
    "point_forecast",
    "horizon_backtest",
    "check_models",
    "annual_log_series",
    "log_growth_for",
]

Candidate = Literal["naive", "drift", "theta", "ets_damped", "arima", "growth"]
CANDIDATES: tuple[str, ...] = get_args(Candidate)
DEFAULT_MIN_TRAIN = 5
#: the least history (observations) each candidate is fitted on
MIN_OBSERVATIONS: dict[str, int] = {"naive": 2, "drift": 3, "theta": 5, "ets_damped": 5, "arima": 5, "growth": 5}


def candidate_label(model: str, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """How a candidate model is named in the report (the catalogue's ``forecast_backtest.label_<model>``)."""
    check_choice("model", model, CANDIDATES, as_list=True)
    return i18n.message(f"forecast_backtest.label_{model}")[i18n.check_language(lang, source="lang", error=AnalysisError)]


# --------------------------------------------------------------------------- point forecasts


@dataclass(frozen=True)
class PointForecast:
    """One candidate's forecast on the log scale: ``log_mean`` has one value per step."""

    model: str
    log_mean: np.ndarray
    spec: str
    warnings: tuple[str, ...] = ()


def _ets_damped(z: np.ndarray, h: int) -> tuple[np.ndarray, str]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(pd.Series(z), error="add", trend="add", damped_trend=True).fit(disp=False)
    return np.asarray(res.forecast(h), dtype=float), "ETS(A,Ad,N)"


def _growth_local_level(z: np.ndarray, g: np.ndarray, h: int) -> tuple[np.ndarray, str]:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    res = UnobservedComponents(g, level="llevel").fit(disp=False)
    path = np.asarray(res.forecast(h), dtype=float)
    return z[-1] + np.cumsum(path), "local level of log(1 + official growth)"


def point_forecast(z: np.ndarray, model: str, h: int, *, log_growth: np.ndarray | None = None) -> PointForecast:
    """Fit ``model`` to the log values ``z`` and forecast ``h`` steps (log scale).

    ``log_growth`` (for ``"growth"``) holds ``log(1 + g/100)`` of the years ``2 … len(z)`` of the
    window, i.e. the official growth into each year after the first. Raises
    :class:`AnalysisError` when the window is shorter than :data:`MIN_OBSERVATIONS` or
    statsmodels cannot fit.
    """
    check_choice("model", model, CANDIDATES, as_list=True)
    z = np.asarray(z, dtype=float)
    need = MIN_OBSERVATIONS[model]
    if len(z) < need:
        raise AnalysisError(f"model {model!r} needs at least {need} observations; the window has {len(z)}")
    caught_msgs: dict[str, int] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if model == "naive":
                mean, spec = np.full(h, z[-1]), "random walk"
            elif model == "drift":
                slope = (z[-1] - z[0]) / (len(z) - 1)
                mean, spec = z[-1] + slope * np.arange(1, h + 1), f"random walk with drift {slope:.4f}"
            elif model in ("theta", "arima"):
                fit = _fit_predict(z, model, 1, h, (80,), log=True)
                mean, spec = np.asarray(fit.mean, dtype=float), fit.spec
                caught_msgs.update(fit.warning_counts)
            elif model == "ets_damped":
                mean, spec = _ets_damped(z, h)
            else:
                if log_growth is None:
                    raise AnalysisError("model 'growth' needs the official growth rates (growth=...); none were given")
                g = np.asarray(log_growth, dtype=float)
                if len(g) != len(z) - 1:
                    raise AnalysisError(
                        f"model 'growth': expected {len(z) - 1} growth rates (one per year after the first); got {len(g)}"
                    )
                mean, spec = _growth_local_level(z, g, h)
        except (ValueError, np.linalg.LinAlgError, IndexError) as exc:
            raise AnalysisError(f"{model}: statsmodels could not fit the model on {len(z)} observations: {exc}") from exc
    for w in caught:
        if issubclass(w.category, FutureWarning | DeprecationWarning):
            continue
        key = f"{w.category.__name__}: {w.message}"
        caught_msgs[key] = caught_msgs.get(key, 0) + 1
    if len(mean) != h or not np.isfinite(mean).all():
        raise AnalysisError(f"{model}: non-finite or missing forecasts on {len(z)} observations")
    return PointForecast(model=model, log_mean=np.asarray(mean, dtype=float), spec=spec,
                         warnings=tuple(k if c == 1 else f"{k} ({c}×)" for k, c in caught_msgs.items()))


# --------------------------------------------------------------------------- inputs


def check_models(models: Any) -> tuple[str, ...]:
    """``models`` as a tuple of distinct names from :data:`CANDIDATES`."""
    return check_choices("models", models, CANDIDATES, noun="model")


def annual_log_series(series: Any, what: str = "series") -> tuple[np.ndarray, pd.PeriodIndex, str]:
    """The log values, periods and name of a positive annual series (checked as in :mod:`forecast`)."""
    y = _check_series(series, log=True, what=what)
    if y.season_length != 1:
        raise AnalysisError(
            f"{what}: the combined forecast takes annual data (PeriodIndex of frequency Y); got {y.freq!r}. "
            "Use reportkit.analysis.forecast.backtest/forecast for quarterly or monthly series"
        )
    return np.log(y.values), y.periods, y.name


def log_growth_for(growth: Any, periods: pd.PeriodIndex) -> np.ndarray:
    """``log(1 + g/100)`` of the official growth rates ``growth`` (percent) for ``periods[1:]``.

    ``growth`` is a Series indexed by an annual PeriodIndex (or by integer years) that covers
    every period after the first; other periods are ignored.
    """
    if not isinstance(growth, pd.Series):
        raise AnalysisError(f"growth: expected a pandas Series of official growth rates (%) by year; got "
                            f"{type(growth).__name__}")
    index = growth.index
    if isinstance(index, pd.PeriodIndex):
        keys = [str(p) for p in index]
    else:
        keys = [str(int(k)) if isinstance(k, (int, np.integer)) else str(k) for k in index]
    values = dict(zip(keys, pd.to_numeric(growth, errors="coerce").to_numpy(dtype=float), strict=True))
    wanted = [str(p) for p in periods[1:]]
    missing = [p for p in wanted if p not in values or not math.isfinite(values[p])]
    if missing:
        raise AnalysisError(
            f"growth ({growth.name or 'official growth'}): no rate for {', '.join(missing[:3])}"
            f"{' …' if len(missing) > 3 else ''}; expected a published rate for every year {wanted[0]}–{wanted[-1]}"
        )
    rates = np.array([values[p] for p in wanted])
    bad = rates <= -100
    if bad.any():
        raise AnalysisError(f"growth: rates must be above −100 %; got {rates[bad][0]:g} for {np.array(wanted)[bad][0]}")
    return np.log1p(rates / 100.0)


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True, eq=False)
class HorizonBacktest:
    """Log-error backtest of several models at steps 1 … ``horizon``.

    ``errors`` has one row per model, origin and step: ``model``, ``origin`` (last training
    period), ``t`` (training length), ``step``, ``period``, ``actual``, ``forecast`` (levels),
    ``log_error`` (log actual − log forecast), ``scale``, ``scaled_error``. ``skipped`` lists the
    (model, origin) pairs that could not be evaluated, with the reason. ``origins`` are the
    training windows' last periods; ``horizon`` the longest step evaluated (``requested`` the
    one asked for).
    """

    models: tuple[str, ...]
    n: int
    horizon: int
    requested: int
    min_train: int
    origins: tuple[str, ...]
    errors: pd.DataFrame
    skipped: pd.DataFrame
    warnings: tuple[str, ...] = ()

    def mase(self) -> pd.DataFrame:
        """MASE by model and step: ``model``, ``step``, ``mase``, ``mean_log_error``, ``n_origins``."""
        rows = []
        for m in self.models:
            e = self.errors[self.errors["model"] == m]
            for h in range(1, self.horizon + 1):
                eh = e[e["step"] == h]
                rows.append({"model": m, "step": h,
                             "mase": float(eh["scaled_error"].mean()) if len(eh) else np.nan,
                             "mean_log_error": float(eh["log_error"].mean()) if len(eh) else np.nan,
                             "n_origins": len(eh)})
        return pd.DataFrame(rows, columns=["model", "step", "mase", "mean_log_error", "n_origins"])

    def eligible(self) -> tuple[str, ...]:
        """The models evaluated at every origin and step (only these can be combined)."""
        full = self.errors.groupby("model").size()
        wanted = self.errors[["origin", "step"]].drop_duplicates().shape[0]
        return tuple(m for m in self.models if int(full.get(m, 0)) == wanted)


def horizon_backtest(
    series: pd.Series,
    models: Sequence[str] = CANDIDATES,
    *,
    horizon: int,
    growth: pd.Series | None = None,
    min_train: int | None = None,
) -> HorizonBacktest:
    """Backtest ``models`` on the annual ``series`` at steps 1 … ``horizon`` from every origin.

    Origins run from ``min_train`` observations (default 5) to ``n − 1``; from each, every step
    with a known actual value is scored. ``growth`` (official growth rates in percent, by year)
    is needed for the ``"growth"`` model. A (model, origin) pair that cannot be fitted is listed
    in ``.skipped``. Raises :class:`AnalysisError` for a bad series or options, or when the
    series is too short for a single origin.
    """
    models = check_models(models)
    z, periods, _ = annual_log_series(series)
    n = len(z)
    H = check_count("horizon", horizon, 1)
    t0 = DEFAULT_MIN_TRAIN if min_train is None else check_count("min_train", min_train, 2)
    if t0 >= n:
        raise AnalysisError(
            f"horizon_backtest: {n} observations ({periods[0]}–{periods[-1]}) leave no origin with a training window of "
            f"{t0}; expected at least {t0 + 1} observations"
        )
    lg = None
    if "growth" in models:
        if growth is None:
            raise AnalysisError("models: 'growth' needs the official growth rates (growth=...); none were given")
        lg = log_growth_for(growth, periods)
    Hb = min(H, n - t0)
    err_rows: list[dict[str, Any]] = []
    skip_rows: list[dict[str, Any]] = []
    warn_counts: dict[tuple[str, str], int] = {}
    origins = list(range(t0, n))
    for model in models:
        for t in origins:
            origin = str(periods[t - 1])
            steps = min(Hb, n - t)
            train = z[:t]
            scale = float(np.mean(np.abs(np.diff(train))))
            if not (math.isfinite(scale) and scale > 0):
                skip_rows.append({"model": model, "origin": origin,
                                  "reason": "the in-sample naive log error is zero, so MASE is undefined"})
                continue
            try:
                pf = point_forecast(train, model, steps, log_growth=None if lg is None else lg[: t - 1])
            except AnalysisError as exc:
                skip_rows.append({"model": model, "origin": origin, "reason": str(exc)})
                continue
            for w in pf.warnings:
                warn_counts[(model, w)] = warn_counts.get((model, w), 0) + 1
            for j in range(steps):
                log_error = float(z[t + j] - pf.log_mean[j])
                err_rows.append({
                    "model": model, "origin": origin, "t": t, "step": j + 1, "period": str(periods[t + j]),
                    "actual": float(np.exp(z[t + j])), "forecast": float(np.exp(pf.log_mean[j])),
                    "log_error": log_error, "scale": scale, "scaled_error": abs(log_error) / scale,
                })
    cols = ["model", "origin", "t", "step", "period", "actual", "forecast", "log_error", "scale", "scaled_error"]
    return HorizonBacktest(
        models=models, n=n, horizon=Hb, requested=H, min_train=t0,
        origins=tuple(str(periods[t - 1]) for t in origins),
        errors=pd.DataFrame(err_rows, columns=cols),
        skipped=pd.DataFrame(skip_rows, columns=["model", "origin", "reason"]),
        warnings=tuple(f"{m}: {msg} (at {c} of {len(origins)} origins)" for (m, msg), c in warn_counts.items()),
    )
