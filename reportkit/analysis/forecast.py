"""Forecasts with prediction intervals for any annual, quarterly or monthly series, and model choice
by rolling-origin backtest.

The input is a pandas Series indexed by a :class:`pandas.PeriodIndex` of annual (``"Y"``),
quarterly (``"Q"``) or monthly (``"M"``) frequency, without gaps or missing values. The season
length ``s`` follows from the frequency: 1, 4 or 12. Every interval comes from statsmodels; no
formula is written by hand here.

Methods (:data:`Method`)
------------------------

* ``"naive"``: random walk, statsmodels ``ARIMA(0,1,0)``; the forecast is the last value.
* ``"seasonal_naive"``: ``ARIMA(0,0,0)(0,1,0)[s]``; the forecast repeats the last season. For
  annual data (``s = 1``) it is the naive method.
* ``"drift"``: random walk with drift, ``ARIMA(0,1,0)`` with a linear time trend (``trend="t"``,
  i.e. a constant in the differences). Its slope is the mean difference,
  ``(last − first) / (n − 1)``.
* ``"theta"``: statsmodels ``ThetaModel`` (θ = 2, the classical Theta method: SES plus half the
  linear trend), with its own prediction intervals. Seasonal data are deseasonalised by classical
  decomposition (additive on logs) when statsmodels' seasonality test, run on the differenced
  series so that a trend is not mistaken for a season, finds one.
* ``"ets"``: statsmodels ``ETSModel`` with additive errors. Candidates: (A,A,N), (A,Ad,N) and, for
  seasonal data, (A,Ad,A). The one with the lowest AICc is used. A candidate is only fitted when
  the series has at least its number of estimated parameters (smoothing parameters, initial
  states and the variance) plus two observations, so that its AICc is finite: (A,A,N) needs 7,
  (A,Ad,N) 8 and (A,Ad,A) ``9 + s``. Intervals are statsmodels' exact (analytical) ones.
* ``"arima"``: automatic order selection over a bounded grid, at most 21 fits:

  - seasonal differencing ``D = 1`` when ``s > 1`` (``D = 0`` for annual data);
  - ``d ∈ {0, 1}`` by unit-root tests on the (seasonally differenced) series: ``d = 0`` only when
    both the KPSS test (level stationarity, 5 %) does not reject and the ADF test (constant, lags
    by AIC up to ``(n − 1)^(1/3)``) rejects a unit root at 5 %; otherwise, or when a test cannot
    be computed, ``d = 1``. AIC values of models with different ``d`` are not comparable (they
    describe different data), which is why ``d`` is chosen by test, as in Hyndman & Khandakar
    (2008);
  - stage 1: ``p, q ∈ {0, 1, 2}`` with ``P = Q = 0``, and the deterministic term by the total
    order of integration: a constant when ``d + D = 0``; with and without drift (``trend="t"``)
    when ``d + D = 1``; none when ``d + D = 2``;
  - stage 2 (seasonal data only): ``(P, Q) ∈ {(1,0), (0,1), (1,1)}`` added to the best stage-1
    model;
  - the model with the lowest AICc (the AIC with the small-sample correction; the series here
    are short) among all candidates wins. A candidate with more parameters than the effective
    sample minus two is not fitted. Every candidate, its AIC, AICc and status is kept in
    :attr:`Forecast.candidates`.

Log scale
---------

With ``log=True`` (the default) the model is fitted to the natural log of the series and
everything is exponentiated back: the point forecast is then the median of the predictive
distribution (not its mean) and the intervals are asymmetric. The series must be > 0.

Backtest and choice of model
----------------------------

:func:`backtest` refits every method at each rolling origin (the training window always starts
at the first observation) and forecasts ``h`` steps. By default ``h`` is one year: 1 for annual,
4 for quarterly and 12 for monthly data, reduced when needed so that at least 3 origins remain.
The first origin (``min_train``) is by default the largest of 8, ``2s + 2`` and the minimum
number of observations of each method compared, reduced (with a note) so that at least 3
origins remain. Scores (on the original scale, i.e. levels):

* MASE (Hyndman & Koehler 2006): the mean absolute error of the ``h`` forecasts of an origin
  divided by the in-sample mean absolute error of the one-step seasonal naive forecast on that
  origin's training window (the naive one for annual data), averaged over origins;
* coverage of the 80 % and 95 % intervals: the share of actual values inside them.

The chosen model (:attr:`Backtest.best`) is the non-benchmark method with the lowest MASE among
those evaluated at every origin, provided it beats the best benchmark (naive, seasonal naive);
otherwise the best benchmark is kept and :attr:`Backtest.reason` says so (ties go to the method
listed first). The choice is made on out-of-sample errors, never on in-sample fit. Methods need
a minimum number of observations (:func:`min_observations`); :func:`forecast` raises
:class:`AnalysisError` below it, :func:`backtest` skips those origins and says so.

Everything is deterministic: no simulation, no random starts; the same inputs give the same
numbers.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from .. import i18n
from ..choices import check_choices
from ..errors import AnalysisError
from .inputs import check_choice, check_count

__all__ = [
    "Method",
    "METHODS",
    "BENCHMARKS",
    "Forecast",
    "Backtest",
    "forecast",
    "backtest",
    "select_and_forecast",
    "min_observations",
    "method_label",
]

Method = Literal["naive", "seasonal_naive", "drift", "theta", "ets", "arima"]
METHODS: tuple[str, ...] = get_args(Method)
BENCHMARKS: tuple[str, ...] = ("naive", "seasonal_naive")
_BACKTEST_LEVELS = (80, 95)
_MIN_ORIGINS = 3
_ARIMA_PQ = (0, 1, 2)
_ARIMA_SEASONAL_PQ = ((1, 0), (0, 1), (1, 1))
_TEST_LEVEL = 0.05

_FREQ_NAMES = {1: ("annual", "Y"), 4: ("quarterly", "Q"), 12: ("monthly", "M")}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Forecast:
    """A forecast of one series by one method, with prediction intervals.

    ``table`` has ``period`` (a string: ``"2025"``, ``"2025Q1"`` or ``"2025-01"``), ``forecast``
    and ``lo<L>``/``hi<L>`` for each level (by default ``lo80, hi80, lo95, hi95``), one row per
    period after ``fitted[1]``. ``spec`` names the fitted model (e.g. ``"ARIMA(1,1,0) with
    drift"``, ``"ETS(A,Ad,N)"``); ``order``/``seasonal_order``/``trend`` are set for the ARIMA
    family (naive, seasonal naive, drift, arima). ``aic``/``aicc`` are None for theta.
    ``candidates`` lists the models compared for ``ets`` and ``arima`` (None otherwise).
    ``notes`` says how the model was chosen; ``warnings`` holds what statsmodels warned during the
    fits (each message once, with a count).
    """

    method: str
    label: i18n.Text
    spec: str
    freq: str
    season_length: int
    fitted: tuple[str, str, int]
    horizon: int
    log: bool
    levels: tuple[int | float, ...]
    table: pd.DataFrame
    order: tuple[int, int, int] | None = None
    seasonal_order: tuple[int, int, int, int] | None = None
    trend: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    aic: float | None = None
    aicc: float | None = None
    candidates: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Backtest:
    """Rolling-origin evaluation of several methods on one series.

    ``scores`` has one row per method: ``method``, ``mase``, ``coverage80``, ``coverage95``,
    ``n_forecasts``, ``n_origins`` (NaN scores and 0 counts for a method never evaluated).
    ``errors`` has one row per method, origin and step: ``method``, ``origin`` (last training
    period), ``step``, ``period``, ``actual``, ``forecast``, ``lo80``, ``hi80``, ``lo95``,
    ``hi95``, ``abs_error``, ``scale``, ``scaled_error``, ``in80``, ``in95``. ``skipped`` lists
    the (method, origin) pairs that could not be evaluated, with the reason. ``best`` is the
    chosen method, ``benchmark`` the benchmark it was compared with, ``reason`` one sentence per
    language and ``note`` (per language) how the backtest was run, for the table's note.
    """

    methods: tuple[Method, ...]
    freq: str
    season_length: int
    n: int
    horizon: int
    min_train: int
    step: int
    log: bool
    origins: tuple[str, ...]
    scores: pd.DataFrame
    errors: pd.DataFrame
    skipped: pd.DataFrame
    best: Method
    benchmark: Method | None
    reason: i18n.Text
    note: i18n.Text
    warnings: tuple[str, ...] = ()

    def table(self, lang: str = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """The backtest table in ``lang``: model, MASE, 80 % and 95 % coverage, forecasts.

        One row per evaluated method (in the order compared); coverages are shares in [0, 1].
        ``attrs["note"]`` holds :attr:`note` and ``attrs["reason"]`` :attr:`reason` in ``lang``.
        """
        lang = _check_lang(lang)
        rows = self.scores[self.scores["n_forecasts"] > 0]
        out = pd.DataFrame(
            {
                _say("table_model", lang): [method_label(m, lang, season_length=self.season_length)
                                            for m in rows["method"]],
                _say("table_mase", lang): rows["mase"].to_numpy(dtype=float),
                _say("table_coverage", lang, level=80): rows["coverage80"].to_numpy(dtype=float),
                _say("table_coverage", lang, level=95): rows["coverage95"].to_numpy(dtype=float),
                _say("table_forecasts", lang): rows["n_forecasts"].to_numpy(dtype=int),
            }
        )
        out.attrs["note"] = self.note[lang]
        out.attrs["reason"] = self.reason[lang]
        out.attrs["best"] = self.best
        return out


def _check_lang(lang: Any) -> str:
    return i18n.check_language(lang, source="lang", error=AnalysisError)


def _text(key: str, **values: Any) -> i18n.Text:
    """The catalogue's ``forecast.<key>`` in every language, filled with ``values``."""
    return i18n.message(f"forecast.{key}").format(**values)


def _say(key: str, lang: str, **values: Any) -> str:
    """The catalogue's ``forecast.<key>`` in ``lang``, filled with ``values``."""
    return i18n.message(f"forecast.{key}")[lang].format(**values)


def _method_text(method: str, season_length: int | None = None) -> i18n.Text:
    annual = method == "seasonal_naive" and season_length == 1
    return i18n.message(f"forecast.label_{method}{'_annual' if annual else ''}")


def method_label(method: str, lang: str = i18n.DEFAULT_LANGUAGE, *, season_length: int | None = None) -> str:
    """How a method is named in the report (the seasonal naive of annual data says it is the naive)."""
    check_choice("method", method, METHODS, as_list=True)
    return _method_text(method, season_length)[_check_lang(lang)]


# --------------------------------------------------------------------------- input checks


@dataclass(frozen=True)
class _Series:
    values: np.ndarray  # original scale, float
    periods: pd.PeriodIndex
    season_length: int
    freq: str
    name: str

    @property
    def n(self) -> int:
        return len(self.values)

    def label(self, i: int) -> str:
        return str(self.periods[i])


def _season_length(index: pd.PeriodIndex) -> int:
    freq = index.freq
    if getattr(freq, "n", 1) != 1:
        raise AnalysisError(
            f"series: expected an annual (Y), quarterly (Q) or monthly (M) PeriodIndex; got frequency "
            f"{index.freqstr!r}"
        )
    if isinstance(freq, pd.offsets.YearEnd):
        return 1
    if isinstance(freq, pd.offsets.QuarterEnd):
        return 4
    if isinstance(freq, pd.offsets.MonthEnd):
        return 12
    raise AnalysisError(
        f"series: expected an annual (Y), quarterly (Q) or monthly (M) PeriodIndex; got frequency "
        f"{index.freqstr!r}"
    )


def _check_series(series: Any, *, log: bool, what: str = "series") -> _Series:
    if not isinstance(series, pd.Series):
        raise AnalysisError(f"{what}: expected a pandas Series indexed by a PeriodIndex; got {type(series).__name__}")
    index = series.index
    if not isinstance(index, pd.PeriodIndex):
        hint = ""
        if isinstance(index, pd.DatetimeIndex):
            hint = " (convert a DatetimeIndex with .to_period('Q'), for example)"
        raise AnalysisError(
            f"{what}: expected a PeriodIndex (annual, quarterly or monthly); got {type(index).__name__}{hint}"
        )
    s = _season_length(index)
    if len(series) == 0:
        raise AnalysisError(f"{what}: the series is empty")
    dtype = series.dtype
    types = pd.api.types
    if types.is_bool_dtype(dtype) or not types.is_numeric_dtype(dtype) or types.is_complex_dtype(dtype):
        raise AnalysisError(f"{what}: values must be numeric; got dtype {dtype}")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        shown = ", ".join(str(p) for p in index[missing][:3])
        raise AnalysisError(
            f"{what}: {int(missing.sum())} missing value(s) (NaN), e.g. at {shown}; fill or drop them "
            "explicitly first (a gap must not be filled silently)"
        )
    if not np.isfinite(values).all():
        shown = ", ".join(str(p) for p in index[~np.isfinite(values)][:3])
        raise AnalysisError(f"{what}: infinite value(s) at {shown}")
    ordinals = index.asi8
    steps = np.diff(ordinals)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise AnalysisError(
            f"{what}: periods must be strictly increasing without duplicates; {index[i + 1]} follows {index[i]}"
        )
    if (steps > 1).any():
        i = int(np.argmax(steps > 1))
        n_missing = int(steps[i] - 1)
        raise AnalysisError(
            f"{what}: gap in the PeriodIndex between {index[i]} and {index[i + 1]} "
            f"({n_missing} missing period(s)); expected consecutive periods"
        )
    if log and (values <= 0).any():
        bad = values <= 0
        shown = ", ".join(f"{p}={v:g}" for p, v in zip(index[bad][:3], values[bad][:3], strict=True))
        raise AnalysisError(
            f"{what}: log=True needs values > 0, but {int(bad.sum())} value(s) are zero or negative "
            f"({shown}); use log=False to model the values as they are"
        )
    name = str(series.name) if series.name is not None else "series"
    return _Series(values=values, periods=index, season_length=s, freq=_FREQ_NAMES[s][1], name=name)


def min_observations(method: str, season_length: int) -> int:
    """The fewest observations ``method`` is fitted on for data with season length ``s``.

    naive 3; seasonal naive ``s + 2`` (two seasonal differences); drift 4; theta 5 for annual data,
    ``2s + 2`` for seasonal data (the decomposition needs two full seasons); ets 7 for annual data
    (the (A,A,N) candidate), ``max(9 + s, 2s + 2)`` for seasonal data (so the seasonal candidate
    can be fitted); arima 8 for annual data, ``s + 8`` for seasonal data (a season is lost to
    seasonal differencing).
    """
    check_choice("method", method, METHODS, as_list=True)
    s = season_length
    if method == "naive":
        return 3
    if method == "seasonal_naive":
        return s + 2
    if method == "drift":
        return 4
    if method == "theta":
        return 5 if s == 1 else 2 * s + 2
    if method == "ets":
        return 7 if s == 1 else max(9 + s, 2 * s + 2)
    return 8 if s == 1 else s + 8  # arima


def _check_length(method: str, y: _Series | int, s: int, first: str = "", last: str = "") -> None:
    n = y if isinstance(y, int) else y.n
    need = min_observations(method, s)
    if n < need:
        span = f" ({first}–{last})" if first else ""
        raise AnalysisError(
            f"method {method!r} needs at least {need} observations for {_FREQ_NAMES[s][0]} data; "
            f"the series has {n}{span}"
        )


def _check_levels(levels: Any) -> tuple[int | float, ...]:
    try:
        out = tuple(levels)
    except TypeError:
        out = None
    if (
        not out
        or any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) for v in out)
        or any(not 0 < float(v) < 100 for v in out)
        or len(set(out)) != len(out)
    ):
        raise AnalysisError(
            f"levels: expected distinct interval levels in percent between 0 and 100 such as (80, 95); got {levels!r}"
        )
    return tuple(int(v) if float(v).is_integer() else float(v) for v in sorted(out))


def _check_log(log: Any) -> bool:
    if not isinstance(log, (bool, np.bool_)):
        raise AnalysisError(f"log: expected True or False; got {log!r}")
    return bool(log)


# --------------------------------------------------------------------------- fitting


@dataclass
class _Fit:
    mean: np.ndarray
    bounds: dict[Any, tuple[np.ndarray, np.ndarray]]
    spec: str
    label: i18n.Text | None
    order: tuple[int, int, int] | None = None
    seasonal_order: tuple[int, int, int, int] | None = None
    trend: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    aic: float | None = None
    aicc: float | None = None
    candidates: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    warning_counts: dict[str, int] = field(default_factory=dict)


def _keep_candidate(row: dict[str, Any], res: Any, fits: dict[int, Any], index: int) -> None:
    """Record a candidate fit's AIC and AICc in its row, and keep the fit, unless its likelihood
    is not finite (then the row says so and the candidate cannot be chosen)."""
    aic, aicc = _finite_or_none(res.aic), _finite_or_none(res.aicc)
    if aic is None or aicc is None:
        row["status"] = "failed: non-finite likelihood"
    else:
        row["aic"], row["aicc"] = aic, aicc
        fits[index] = res


def _finite_or_none(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _named_params(names: Sequence[str] | None, values: Any) -> dict[str, float]:
    arr = np.asarray(values, dtype=float).ravel()
    if names is None or len(names) != len(arr):
        names = [str(i) for i in range(len(arr))]
    return {str(k): float(v) for k, v in zip(names, arr, strict=True)}


def _arima_params(result: Any, trend: str, integrated: int) -> dict[str, float]:
    """statsmodels' parameters by name; the deterministic term is called const, drift or trend."""
    params = _named_params(result.param_names, result.params)
    if "sigma2" not in params:  # concentrated out of the likelihood (_fit_arima_model): its estimate is the scale
        params["sigma2"] = float(result.scale)
    if trend in ("c", "t") and params:
        first = next(iter(params))
        name = "const" if trend == "c" else ("drift" if integrated >= 1 else "trend")
        params = {(name if k == first else k): v for k, v in params.items()}
    return params


def _arima_spec(order: tuple[int, int, int], seasonal: tuple[int, int, int, int] | None, trend: str) -> str:
    p, d, q = order
    text = f"ARIMA({p},{d},{q})"
    if seasonal is not None and seasonal[3] > 1:
        P, D, Q, s = seasonal
        text += f"({P},{D},{Q})[{s}]"
    integ = d + (seasonal[1] if seasonal is not None and seasonal[3] > 1 else 0)
    if trend == "c":
        text += " with constant" if integ == 0 else ""
    elif trend == "t":
        text += " with drift" if integ >= 1 else " with linear trend"
    return text


_ARIMA_TERMS = {" with constant": "arima_with_constant", " with drift": "arima_with_drift",
                " with linear trend": "arima_with_linear_trend"}


def _arima_label(spec: str) -> i18n.Text:
    """``ARIMA(1,1,0) with drift`` → its report label (the deterministic term in words)."""
    for term, key in _ARIMA_TERMS.items():
        if spec.endswith(term):
            return _text(key, model=spec[: -len(term)])
    return _text("arima_plain", model=spec)


def _fit_arima_model(
    z: np.ndarray, order: tuple[int, int, int], seasonal: tuple[int, int, int, int], trend: str
) -> Any:
    """Exact maximum likelihood (statsmodels' state-space ARIMA) with the innovation variance
    concentrated out of the likelihood, as R's ``arima`` does: one parameter fewer for the optimiser
    (about half the time of a fit), the same maximum; ``aic``/``aicc`` still count the variance. A
    model whose only parameter is the variance (a random walk) is fitted as it is: nothing is left
    to optimise once it is concentrated out."""
    from statsmodels.tsa.arima.model import ARIMA

    others = order[0] + order[2] + seasonal[0] + seasonal[2] + (trend in ("c", "t"))
    return ARIMA(z, order=order, seasonal_order=seasonal, trend=trend, concentrate_scale=others > 0).fit()


def _arima_bounds(result: Any, h: int, levels: tuple[int | float, ...]) -> tuple[np.ndarray, dict]:
    pred = result.get_forecast(steps=h)
    mean = np.asarray(pred.predicted_mean, dtype=float)
    bounds = {}
    for level in levels:
        ci = np.asarray(pred.conf_int(alpha=1 - level / 100), dtype=float)
        bounds[level] = (ci[:, 0], ci[:, 1])
    return mean, bounds


def _fit_fixed_arima(
    z: np.ndarray, h: int, levels: tuple[int | float, ...], order: tuple[int, int, int],
    seasonal: tuple[int, int, int, int], trend: str,
) -> _Fit:
    result = _fit_arima_model(z, order, seasonal, trend)
    mean, bounds = _arima_bounds(result, h, levels)
    spec = _arima_spec(order, seasonal, trend)
    return _Fit(
        mean=mean, bounds=bounds, spec=spec, label=None, order=order,
        seasonal_order=seasonal if seasonal[3] > 1 else None, trend=trend,
        params=_arima_params(result, trend, order[1] + seasonal[1]),
        aic=_finite_or_none(result.aic), aicc=_finite_or_none(result.aicc),
    )


def _choose_d(z: np.ndarray) -> tuple[int, str]:
    """d = 0 only when KPSS does not reject level stationarity and ADF rejects a unit root (5 %)."""
    from statsmodels.tsa.stattools import adfuller, kpss

    try:
        kp = kpss(z, regression="c", nlags="auto", result_object=True).pvalue
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, OverflowError):
        kp = float("nan")
    try:
        maxlag = max(0, int((len(z) - 1) ** (1 / 3)))
        adf = adfuller(z, maxlag=maxlag, regression="c", autolag="AIC", result_object=True).pvalue
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, OverflowError):
        adf = float("nan")
    kp_txt = f"{kp:.3f}" if math.isfinite(kp) else "not computable"
    adf_txt = f"{adf:.3f}" if math.isfinite(adf) else "not computable"
    stationary = math.isfinite(kp) and math.isfinite(adf) and kp > _TEST_LEVEL and adf < _TEST_LEVEL
    d = 0 if stationary else 1
    return d, f"d = {d}: KPSS p = {kp_txt}, ADF p = {adf_txt} (d = 0 only if KPSS p > 0.05 and ADF p < 0.05)"


def _fit_auto_arima(z: np.ndarray, s: int, h: int, levels: tuple[int | float, ...]) -> _Fit:
    n = len(z)
    D = 1 if s > 1 else 0
    zd = z[s:] - z[:-s] if D else z
    d, d_note = _choose_d(zd)
    n_eff = n - d - s * D
    trends = {0: ("c",), 1: ("t", "n"), 2: ("n",)}[d + D]
    rows: list[dict[str, Any]] = []
    fits: dict[int, Any] = {}

    def attempt(stage: int, p: int, q: int, P: int, Q: int, trend: str) -> None:
        k = p + q + P + Q + (1 if trend in ("c", "t") else 0) + 1  # + variance
        row = {"stage": stage, "p": p, "d": d, "q": q, "P": P, "D": D, "Q": Q, "s": s, "trend": trend,
               "spec": _arima_spec((p, d, q), (P, D, Q, s), trend), "n_params": k,
               "aic": np.nan, "aicc": np.nan, "status": "ok"}
        if k > n_eff - 2:
            row["status"] = f"not fitted: {k} parameters need ≥ {k + 2} observations after differencing; {n_eff} available"
        else:
            try:
                res = _fit_arima_model(z, (p, d, q), (P, D, Q, s) if s > 1 else (0, 0, 0, 0), trend)
                _keep_candidate(row, res, fits, len(rows))
            except (ValueError, np.linalg.LinAlgError) as exc:
                row["status"] = f"failed: {exc}"
        rows.append(row)

    for p in _ARIMA_PQ:
        for q in _ARIMA_PQ:
            for trend in trends:
                attempt(1, p, q, 0, 0, trend)

    def best_row() -> int | None:
        ok = [i for i in fits]
        return min(ok, key=lambda i: (rows[i]["aicc"], i)) if ok else None

    first = best_row()
    if first is None:
        raise AnalysisError(
            f"arima: no candidate model could be fitted on {n} observations ({d_note}); "
            + "; ".join(sorted({r['status'] for r in rows}))
        )
    if s > 1:
        b = rows[first]
        for P, Q in _ARIMA_SEASONAL_PQ:
            attempt(2, b["p"], b["q"], P, Q, b["trend"])
    chosen = best_row()
    assert chosen is not None
    cand = pd.DataFrame(rows)
    cand["chosen"] = [i == chosen for i in range(len(rows))]
    r = rows[chosen]
    res = fits[chosen]
    order = (int(r["p"]), d, int(r["q"]))
    seasonal = (int(r["P"]), D, int(r["Q"]), s) if s > 1 else None
    mean, bounds = _arima_bounds(res, h, levels)
    spec = str(r["spec"])
    n_fitted = len(fits)
    notes = [d_note, f"{len(rows)} candidate(s), {n_fitted} fitted; lowest AICc: {spec} (AICc {r['aicc']:.3f})"]
    return _Fit(
        mean=mean, bounds=bounds, spec=spec, label=_arima_label(spec), order=order, seasonal_order=seasonal,
        trend=str(r["trend"]), params=_arima_params(res, str(r["trend"]), d + D),
        aic=_finite_or_none(res.aic), aicc=_finite_or_none(res.aicc), candidates=cand, notes=notes,
    )


def _ets_label(spec: str) -> i18n.Text:
    """``ETS(A,Ad,N)`` → its report label, e.g. "ETS(A,Ad,N) exponential smoothing (additive error, ...)"."""
    _, trend, season = spec[4:-1].split(",")
    parts = [i18n.message("forecast.ets_additive_error"), i18n.message(f"forecast.ets_trend_{trend}")]
    if season == "A":
        parts.append(i18n.message("forecast.ets_additive_season"))
    return _text("ets_spec", spec=spec, parts=i18n.Text.join(i18n.message("forecast.ets_sep"), parts))


def _fit_ets(z: np.ndarray, s: int, h: int, levels: tuple[int | float, ...]) -> _Fit:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(z)
    specs = [("A", "A", "N", 5), ("A", "Ad", "N", 6)]
    if s > 1:
        specs.append(("A", "Ad", "A", 7 + s))
    rows: list[dict[str, Any]] = []
    fits: dict[int, Any] = {}
    for error, trend, season, k in specs:
        spec = f"ETS({error},{trend},{season})"
        row = {"spec": spec, "n_params": k, "aic": np.nan, "aicc": np.nan, "status": "ok"}
        if n < k + 2 or (season == "A" and n < 2 * s + 2):
            need = max(k + 2, 2 * s + 2) if season == "A" else k + 2
            row["status"] = f"not fitted: needs ≥ {need} observations; {n} available"
        else:
            try:
                # a Series with a RangeIndex: statsmodels' ETS prediction needs an index
                model = ETSModel(
                    pd.Series(z), error="add", trend="add", damped_trend=trend == "Ad",
                    seasonal="add" if season == "A" else None, seasonal_periods=s if season == "A" else None,
                )
                res = model.fit(disp=False)
                _keep_candidate(row, res, fits, len(rows))
            except (ValueError, np.linalg.LinAlgError) as exc:
                row["status"] = f"failed: {exc}"
        rows.append(row)
    if not fits:
        raise AnalysisError(
            f"ets: no candidate model could be fitted on {n} observations; "
            + "; ".join(f"{r['spec']}: {r['status']}" for r in rows)
        )
    chosen = min(fits, key=lambda i: (rows[i]["aicc"], i))
    cand = pd.DataFrame(rows)
    cand["chosen"] = [i == chosen for i in range(len(rows))]
    res = fits[chosen]
    pred = res.get_prediction(start=n, end=n + h - 1)
    mean = None
    bounds = {}
    for level in levels:
        frame = pred.summary_frame(alpha=1 - level / 100)
        mean = frame["mean"].to_numpy(dtype=float)
        bounds[level] = (frame["pi_lower"].to_numpy(dtype=float), frame["pi_upper"].to_numpy(dtype=float))
    spec = rows[chosen]["spec"]
    notes = [f"{len(rows)} candidate(s), {len(fits)} fitted; lowest AICc: {spec} (AICc {rows[chosen]['aicc']:.3f})"]
    notes += [f"{r['spec']} {r['status']}" for r in rows if r["status"] != "ok"]
    return _Fit(
        mean=np.asarray(mean, dtype=float), bounds=bounds, spec=spec,
        label=_ets_label(spec),
        params=_named_params(res.model.param_names, res.params),
        aic=_finite_or_none(res.aic), aicc=_finite_or_none(res.aicc), candidates=cand, notes=notes,
    )


def _fit_theta(z: np.ndarray, s: int, h: int, levels: tuple[int | float, ...], log: bool) -> _Fit:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = s > 1
    model = ThetaModel(
        z, period=s, deseasonalize=seasonal, use_test=seasonal, difference=seasonal,
        method="additive" if (log or z.min() <= 0) else "auto",
    )
    res = model.fit()
    mean = np.asarray(res.forecast(h, theta=2), dtype=float)
    bounds = {}
    for level in levels:
        pi = res.prediction_intervals(h, theta=2, alpha=1 - level / 100)
        bounds[level] = (pi["lower"].to_numpy(dtype=float), pi["upper"].to_numpy(dtype=float))
    deseason = bool(seasonal and model._has_seasonality)  # noqa: SLF001 (statsmodels keeps the test result here)
    spec = "Theta(θ=2)" + (", deseasonalised" if deseason else "")
    label = i18n.message("forecast.theta_spec_deseasonalised" if deseason else "forecast.theta_spec")
    params = _named_params(list(res.params.index), res.params.to_numpy())
    params["sigma2"] = float(res.sigma2)
    notes = []
    if seasonal:
        notes.append("seasonality test: " + ("season found, data deseasonalised" if deseason else "no season found"))
    return _Fit(mean=mean, bounds=bounds, spec=spec, label=label, params=params, notes=notes)


def _fit_predict(z: np.ndarray, method: str, s: int, h: int, levels: tuple[int | float, ...], *, log: bool) -> _Fit:
    """Fit ``method`` to the (transformed) values ``z`` and forecast ``h`` steps at ``levels``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if method == "naive" or (method == "seasonal_naive" and s == 1):
                fit = _fit_fixed_arima(z, h, levels, (0, 1, 0), (0, 0, 0, 0), "n")
            elif method == "seasonal_naive":
                fit = _fit_fixed_arima(z, h, levels, (0, 0, 0), (0, 1, 0, s), "n")
            elif method == "drift":
                fit = _fit_fixed_arima(z, h, levels, (0, 1, 0), (0, 0, 0, 0), "t")
            elif method == "theta":
                fit = _fit_theta(z, s, h, levels, log)
            elif method == "ets":
                fit = _fit_ets(z, s, h, levels)
            else:
                fit = _fit_auto_arima(z, s, h, levels)
        except (ValueError, np.linalg.LinAlgError, IndexError) as exc:
            raise AnalysisError(f"{method}: statsmodels could not fit the model on {len(z)} observations: {exc}") from exc
    if fit.label is None:
        fit.label = _method_text(method, s)
    if method == "seasonal_naive" and s == 1:
        fit.notes.append("annual data: the seasonal naive method is the naive method")
    for w in caught:
        # FutureWarning/DeprecationWarning concern statsmodels' API, not the fit; InterpolationWarning
        # only says a KPSS p-value lies beyond its table (0.01 or 0.10), which cannot change the
        # 5 % decision on d.
        if issubclass(w.category, FutureWarning | DeprecationWarning) or w.category.__name__ == "InterpolationWarning":
            continue
        key = f"{w.category.__name__}: {w.message}"
        fit.warning_counts[key] = fit.warning_counts.get(key, 0) + 1
    arrays = [fit.mean, *(b for pair in fit.bounds.values() for b in pair)]
    if any(len(a) != h or not np.isfinite(a).all() for a in arrays):
        raise AnalysisError(f"{method}: statsmodels returned non-finite or missing forecasts on {len(z)} observations")
    return fit


# --------------------------------------------------------------------------- forecast


_YEAR_RE = re.compile(r"^\d{4}$")


def _horizon(y: _Series, horizon: Any, until: Any) -> int:
    if horizon is not None and until is not None:
        raise AnalysisError(f"give horizon or until, not both; got horizon={horizon!r}, until={until!r}")
    if until is not None:
        last = y.periods[-1]
        text = str(until).strip()
        try:
            if y.season_length > 1 and (isinstance(until, (int, np.integer)) or _YEAR_RE.match(text)):
                end = pd.Period(text, freq="Y").asfreq(last.freq, how="end")
            else:
                end = pd.Period(text, freq=last.freq)
        except (ValueError, TypeError) as exc:
            raise AnalysisError(
                f"until: expected a period such as {_example(y.season_length)}; got {until!r}"
            ) from exc
        steps = int(end.ordinal - last.ordinal)
        if steps < 1:
            raise AnalysisError(f"until: {until!r} is not after the last period of the series ({last})")
        return steps
    if horizon is None:
        return 2 * y.season_length
    return check_count("horizon", horizon, 1)


def _example(s: int) -> str:
    return {1: "'2029'", 4: "'2029Q4' (or '2029' for its last quarter)", 12: "'2029-12' (or '2029')"}[s]


def _table(periods: pd.PeriodIndex, fit: _Fit, levels: tuple[int | float, ...], log: bool) -> pd.DataFrame:
    back = np.exp if log else (lambda a: np.asarray(a, dtype=float))
    data: dict[str, Any] = {"period": [str(p) for p in periods], "forecast": back(fit.mean)}
    for level in levels:
        lo, hi = fit.bounds[level]
        data[f"lo{level}"] = back(lo)
        data[f"hi{level}"] = back(hi)
    return pd.DataFrame(data)


def forecast(
    series: pd.Series,
    method: Method,
    *,
    horizon: int | None = None,
    until: str | int | None = None,
    log: bool = True,
    levels: Sequence[int | float] = (80, 95),
) -> Forecast:
    """Forecast ``series`` with ``method`` for ``horizon`` periods, or every period up to ``until``.

    ``until`` is a period string of the series' frequency (``"2029"``, ``"2029Q4"``,
    ``"2029-12"``); a bare year on quarterly or monthly data means its last period. Without
    either, the horizon is two years (2, 8 or 24 periods). With ``log=True`` the model is fitted
    on log values and the table is exponentiated back (forecast = median). Raises
    :class:`AnalysisError` for a bad series (not a Series, no PeriodIndex, other frequency, NaN,
    gaps, non-positive values with ``log=True``), an unknown method, a bad horizon, or fewer
    observations than the method needs (:func:`min_observations`).
    """
    check_choice("method", method, METHODS, as_list=True)
    log = _check_log(log)
    levels = _check_levels(levels)
    y = _check_series(series, log=log)
    s = y.season_length
    _check_length(method, y, s, y.label(0), y.label(y.n - 1))
    h = _horizon(y, horizon, until)
    z = np.log(y.values) if log else y.values
    fit = _fit_predict(z, method, s, h, levels, log=log)
    assert fit.label is not None  # _fit_predict sets the label of every method
    last = y.periods[-1]
    future = pd.period_range(start=last + 1, periods=h, freq=last.freq)
    table = _table(future, fit, levels, log)
    table.attrs.update({"method": method, "spec": fit.spec, "log": log, "series": y.name})
    return Forecast(
        method=method,
        label=fit.label,
        spec=fit.spec,
        freq=y.freq,
        season_length=s,
        fitted=(y.label(0), y.label(y.n - 1), y.n),
        horizon=h,
        log=log,
        levels=levels,
        table=table,
        order=fit.order,
        seasonal_order=fit.seasonal_order,
        trend=fit.trend,
        params=fit.params,
        aic=fit.aic,
        aicc=fit.aicc,
        candidates=fit.candidates,
        notes=tuple(fit.notes),
        warnings=tuple(k if c == 1 else f"{k} ({c}×)" for k, c in fit.warning_counts.items()),
    )


# --------------------------------------------------------------------------- backtest


def _check_methods(methods: Any) -> tuple[Method, ...]:
    # check_choices returns only names from METHODS, each a Method
    return cast("tuple[Method, ...]", check_choices("methods", methods, METHODS, noun="method"))


def _default_backtest_horizon(s: int) -> int:
    return s  # one year ahead: 1, 4 or 12 periods


def _mase_scale(train: np.ndarray, s: int) -> float:
    return float(np.mean(np.abs(train[s:] - train[:-s]))) if len(train) > s else float("nan")


def backtest(
    series: pd.Series,
    methods: Sequence[str] = METHODS,
    *,
    horizon: int | None = None,
    min_train: int | None = None,
    step: int = 1,
    log: bool = True,
) -> Backtest:
    """Rolling-origin backtest of ``methods`` on ``series``; MASE and interval coverage per method.

    For each origin ``t = min_train, min_train + step, …, n − horizon`` every method is fitted on
    the first ``t`` observations and forecasts ``horizon`` steps; the forecasts are compared with
    the actual values on the original scale. A (method, origin) pair with too few observations
    for the method, or where statsmodels fails, is skipped and listed in ``.skipped``; such a
    method is scored on fewer origins and cannot be chosen. See the module docstring for the
    defaults of ``horizon`` and ``min_train`` and for the choice rule.
    """
    methods = _check_methods(methods)
    log = _check_log(log)
    y = _check_series(series, log=log)
    s, n = y.season_length, y.n
    step = check_count("step", step, 1)
    extra_notes: list[i18n.Text] = []
    if horizon is None:
        h = _default_backtest_horizon(s)
        floor = 3
        h = max(1, min(h, n - floor - (_MIN_ORIGINS - 1)))
    else:
        h = check_count("horizon", horizon, 1)
    if min_train is None:
        wanted = max(8, 2 * s + 2, *(min_observations(m, s) for m in methods))
        cap = n - h - (_MIN_ORIGINS - 1)
        t0 = min(wanted, cap)
        if t0 < wanted:
            extra_notes.append(_text("note_first_window", t0=t0, wanted=wanted, n_origins=_MIN_ORIGINS))
    else:
        t0 = check_count("min_train", min_train, 3)
    if t0 < 3 or t0 + h > n:
        raise AnalysisError(
            f"backtest: {n} observations are too few for a horizon of {h} with training windows of at least "
            f"{max(t0, 3)} observations; expected at least {max(t0, 3) + h}"
        )
    origins = list(range(t0, n - h + 1, step))
    z_all = np.log(y.values) if log else y.values
    levels = _BACKTEST_LEVELS

    err_rows: list[dict[str, Any]] = []
    skip_rows: list[dict[str, Any]] = []
    warn_counts: dict[tuple[str, str], tuple[int, int]] = {}
    for method in methods:
        need = min_observations(method, s)
        for t in origins:
            origin = y.label(t - 1)
            train = y.values[:t]
            scale = _mase_scale(train, s)
            if t < need:
                skip_rows.append({"method": method, "origin": origin,
                                  "reason": f"needs ≥ {need} observations; the training window has {t}"})
                continue
            if not (math.isfinite(scale) and scale > 0):
                skip_rows.append({"method": method, "origin": origin,
                                  "reason": "the in-sample seasonal naive error is zero, so MASE is undefined"})
                continue
            try:
                fit = _fit_predict(z_all[:t], method, s, h, levels, log=log)
            except AnalysisError as exc:
                skip_rows.append({"method": method, "origin": origin, "reason": str(exc)})
                continue
            for wmsg, count in fit.warning_counts.items():
                key = (method, wmsg)
                total, n_at = warn_counts.get(key, (0, 0))
                warn_counts[key] = (total + count, n_at + 1)
            back = np.exp if log else (lambda a: a)
            fc = back(fit.mean)
            lo80, hi80 = (back(b) for b in fit.bounds[80])
            lo95, hi95 = (back(b) for b in fit.bounds[95])
            for j in range(h):
                actual = float(y.values[t + j])
                abs_error = abs(actual - float(fc[j]))
                err_rows.append({
                    "method": method, "origin": origin, "step": j + 1, "period": y.label(t + j),
                    "actual": actual, "forecast": float(fc[j]),
                    "lo80": float(lo80[j]), "hi80": float(hi80[j]), "lo95": float(lo95[j]), "hi95": float(hi95[j]),
                    "abs_error": abs_error, "scale": scale, "scaled_error": abs_error / scale,
                    "in80": bool(lo80[j] <= actual <= hi80[j]), "in95": bool(lo95[j] <= actual <= hi95[j]),
                })
    err_cols = ["method", "origin", "step", "period", "actual", "forecast", "lo80", "hi80", "lo95", "hi95",
                "abs_error", "scale", "scaled_error", "in80", "in95"]
    errors = pd.DataFrame(err_rows, columns=err_cols)
    skipped = pd.DataFrame(skip_rows, columns=["method", "origin", "reason"])

    score_rows = []
    for method in methods:
        e = errors[errors["method"] == method]
        if len(e):
            per_origin = e.groupby("origin", sort=False)["scaled_error"].mean()
            score_rows.append({"method": method, "mase": float(per_origin.mean()),
                               "coverage80": float(e["in80"].mean()), "coverage95": float(e["in95"].mean()),
                               "n_forecasts": len(e), "n_origins": int(per_origin.size)})
        else:
            score_rows.append({"method": method, "mase": np.nan, "coverage80": np.nan, "coverage95": np.nan,
                               "n_forecasts": 0, "n_origins": 0})
    scores = pd.DataFrame(score_rows, columns=["method", "mase", "coverage80", "coverage95", "n_forecasts", "n_origins"])
    scores = scores.astype({"n_forecasts": int, "n_origins": int})

    best, benchmark, reason = _choose(scores, methods, len(origins), s)
    note = _backtest_note(y, origins, h, step, scores, skipped, s, extra_notes)
    return Backtest(
        methods=methods, freq=y.freq, season_length=s, n=n, horizon=h, min_train=t0, step=step, log=log,
        origins=tuple(y.label(t - 1) for t in origins), scores=scores, errors=errors, skipped=skipped,
        best=best, benchmark=benchmark, reason=reason, note=note,
        warnings=tuple(f"{m}: {msg} ({total}× at {n_at} of {len(origins)} origins)"
                       for (m, msg), (total, n_at) in warn_counts.items()),
    )


def _after_text(label: str, lang: str) -> str:
    """A label placed right after the text of a sentence: a label that starts with a Latin letter
    gets the language's ``forecast.latin_gap`` before it (a space in Chinese: "选用 Theta 法")."""
    return _say("latin_gap", lang) + label if label[:1].isascii() else label


def _in_every_language(build: Any) -> i18n.Text:
    """A Text with ``build(lang)`` in every language of the catalogue."""
    return i18n.Text({lang: build(lang) for lang in i18n.LANGUAGES})


def _choose(scores: pd.DataFrame, methods: tuple[Method, ...], n_origins: int, s: int
            ) -> tuple[Method, Method | None, i18n.Text]:
    """The chosen method, the benchmark it was compared with, and the reason in every language."""
    by = scores.set_index("method")
    complete = [m for m in methods if by.at[m, "n_origins"] == n_origins and math.isfinite(by.at[m, "mase"])]
    if not complete:
        raise AnalysisError(
            "backtest: no method could be evaluated at every origin; see .skipped for the reasons "
            f"(methods: {list(methods)})"
        )
    cands = [m for m in complete if m not in BENCHMARKS]
    benches = [m for m in complete if m in BENCHMARKS]
    mase: dict[str, float] = {m: float(by.at[m, "mase"]) for m in complete}
    cov: dict[str, float] = {m: float(by.at[m, "coverage80"]) for m in complete}
    n_fc: dict[str, int] = {m: int(by.at[m, "n_forecasts"]) for m in complete}
    # min() keeps the first of equal values, so ties go to the method listed first
    best_cand = min(cands, key=lambda m: mase[m], default=None)
    best_bench = min(benches, key=lambda m: mase[m], default=None)

    def coverage(m: str, lang: str) -> str:
        return _say("coverage", lang, share=cov[m] * 100, n=n_fc[m])

    def bench(m: str, lang: str) -> str:
        return _say(f"bench_{m}", lang)

    if best_cand is not None and (best_bench is None or mase[best_cand] < mase[best_bench]):
        best = best_cand

        def chosen(lang: str) -> str:
            label = _after_text(method_label(best, lang, season_length=s), lang)
            values = {"method": label, "mase": mase[best], "coverage": coverage(best, lang)}
            if best_bench is None:
                return _say("reason_chosen_no_benchmark", lang, **values)
            return _say("reason_chosen", lang, bench=bench(best_bench, lang), bench_mase=mase[best_bench], **values)

        return best, best_bench, _in_every_language(chosen)
    assert best_bench is not None
    best = best_bench

    def kept(lang: str) -> str:
        values = {"bench": bench(best, lang), "mase": mase[best], "coverage": coverage(best, lang)}
        if best_cand is None:
            return _say("reason_kept_alone", lang, **values)
        other = _after_text(method_label(best_cand, lang, season_length=s), lang)
        return _say("reason_kept", lang, other=other, other_mase=mase[best_cand], **values)

    return best, best_bench, _in_every_language(kept)


def _backtest_note(y: _Series, origins: list[int], h: int, step: int, scores: pd.DataFrame,
                   skipped: pd.DataFrame, s: int, extra: list[i18n.Text]) -> i18n.Text:
    k = len(origins)
    first, last = y.label(origins[0] - 1), y.label(origins[-1] - 1)
    partial = scores[scores["n_origins"] < k]

    def note(lang: str) -> str:
        text = _say(
            "note", lang,
            origins=_say("note_origins_one" if k == 1 else "note_origins_many", lang, k=k),
            span=first if k == 1 else _say("note_span", lang, first=first, last=last),
            every="" if step == 1 else _say("note_every", lang, step=step),
            steps=_say("note_steps_one", lang) if h == 1 else _say("note_steps_many", lang, h=h),
            ref=_say("bench_naive" if s == 1 else "bench_seasonal_naive", lang),
        )
        if extra:
            text += _say("note_extra", lang, items=_say("note_extra_sep", lang).join(e[lang] for e in extra))
        if len(partial):
            items = _say("note_partial_sep", lang).join(
                _say("note_partial_item", lang, method=method_label(m, lang, season_length=s), count=c, k=k)
                for m, c in zip(partial["method"], partial["n_origins"], strict=True))
            text += _say("note_partial", lang, items=items)
        return text

    return _in_every_language(note)


# --------------------------------------------------------------------------- both


def select_and_forecast(
    series: pd.Series,
    *,
    until: str | int | None = None,
    horizon: int | None = None,
    methods: Sequence[str] = METHODS,
    log: bool = True,
    levels: Sequence[int | float] = (80, 95),
    backtest_horizon: int | None = None,
    min_train: int | None = None,
    step: int = 1,
) -> tuple[Backtest, Forecast]:
    """Backtest ``methods`` on ``series``, then forecast the full series with the chosen one.

    ``until``/``horizon`` set the forecast (as in :func:`forecast`); ``backtest_horizon``,
    ``min_train`` and ``step`` the backtest (as ``horizon``, ``min_train``, ``step`` of
    :func:`backtest`).
    """
    bt = backtest(series, methods, horizon=backtest_horizon, min_train=min_train, step=step, log=log)
    fc = forecast(series, bt.best, horizon=horizon, until=until, log=log, levels=levels)
    return bt, fc
