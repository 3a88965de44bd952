"""A combined forecast of an annual series: inverse-MASE weights over the best few models, with
empirical prediction intervals calibrated on backtest log errors at each horizon.

Why a combination: on a short annual series the backtest rarely separates the candidates
clearly, and picking the winner of a negligible gap throws away the others' information. The
spread of the models' forecasts is shown beside the combination.

Procedure (:func:`combine_forecast`)
------------------------------------

1. :func:`~reportkit.analysis.forecast_backtest.horizon_backtest` scores every candidate on log
   errors at steps 1 … H (H = the forecast horizon, capped by the history) from every origin.
2. Weights: each model evaluated at every origin and step gets a score, its MASE averaged over
   the steps 1 … H (each step counts once). The ``top`` models with the lowest score (ties: the
   model listed first) get weights proportional to 1 / score; the others get 0.
3. The combined forecast is the weighted mean of the models' log forecasts (a geometric mean of
   the levels), so it is a median like each model's.
4. Intervals are empirical: at step ``h`` the half-width on the log scale is
   ``t(q, df) × σ_h``, where ``σ_h`` is the root mean square of the combination's backtest log
   errors at step ``h``, smoothed across steps by a power law ``σ_h = a · h^b`` (least squares on
   log σ_h weighted by the number of origins, ``b ≥ 0``), ``q`` is the interval's upper
   quantile and ``df`` the number of origins minus one (errors of one origin at successive
   steps are strongly correlated, so origins, not errors, are the independent draws). The
   interval is symmetric on the log scale around the combined forecast. Steps beyond the
   backtest's longest follow the power law (the note says so). No simulation: the output is
   deterministic.
5. The combination's own backtest is cross-validated by origin: for each origin, the weights
   and the interval width are computed from the other origins only, and its forecast and
   interval are then scored on that origin's actual values. This gives per-step MASE and
   interval coverage that are not fitted to the errors they score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from .forecast import _check_levels, _check_series, _horizon
from .forecast_backtest import (
    CANDIDATES,
    HorizonBacktest,
    annual_log_series,
    candidate_label,
    check_models,
    horizon_backtest,
    log_growth_for,
    point_forecast,
)
from .inputs import check_count

__all__ = ["CombinedForecast", "combine_forecast"]

DEFAULT_TOP = 3
_MIN_ORIGINS = 3


@dataclass(frozen=True, eq=False)
class CombinedForecast:
    """The combined forecast, the models behind it and its cross-validated backtest.

    ``table``: ``period``, ``forecast``, ``lo<L>``/``hi<L>`` per level (levels, not logs).
    ``models``: one row per model evaluated: ``model``, ``spec`` (of the fit on the full
    series), ``forecast`` (for the last period of ``table``), ``weight``, ``mase_mean`` (the
    weighting score), ``mase_last`` (MASE at the longest backtest step), ``mean_log_error_last``.
    ``scores``: one row per step: ``step``, ``n_origins``, ``mase_combined``, ``mase_naive``
    (NaN without the naive model), ``mean_log_error`` and ``coverage<L>`` of the combination
    (cross-validated by origin), and ``sigma`` (the smoothed log-error scale used for the
    final intervals). ``coverage`` is the pooled coverage per level. ``note`` (an
    :class:`~reportkit.i18n.Text`, ``note[lang]``) describes the method for the report.
    """

    table: pd.DataFrame
    models: pd.DataFrame
    scores: pd.DataFrame
    coverage: dict[Any, float]
    weights: dict[str, float]
    backtest: HorizonBacktest
    fitted: tuple[str, str, int]
    horizon: int
    levels: tuple[int | float, ...]
    top: int
    sigma_exponent: float
    note: i18n.Text
    warnings: tuple[str, ...] = ()

    def combination_label(self, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
        """How the forecast is named in ``lang``: the weighted combination of the models it combines
        (e.g. "weighted combination of Theta method, Naive (random walk), …")."""
        lang = _check_lang(lang)
        models = _say("models_sep", lang).join(candidate_label(m, lang) for m in self.weights)
        return _say("combination_label", lang, models=models)

    def spread_table(self, lang: str = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """The "model spread" table in ``lang``: each model's forecast for the last period, its
        weight and backtest MASE (longest step and mean over steps); the combination last."""
        lang = _check_lang(lang)
        last = self.table["period"].iloc[-1]
        H = self.backtest.horizon
        cols = (_say("col_model", lang), _say("col_forecast_last", lang, last=last), _say("col_weight", lang),
                _say("col_mase_last", lang, H=H), _say("col_mase_mean", lang, H=H))
        comb = _say("combined", lang)
        rows = self.models.sort_values(["weight", "mase_mean"], ascending=[False, True], kind="stable")
        sc = self.scores
        out = pd.DataFrame({
            cols[0]: [candidate_label(m, lang) for m in rows["model"]] + [comb],
            cols[1]: [*rows["forecast"].to_numpy(dtype=float), float(self.table["forecast"].iloc[-1])],
            cols[2]: [*rows["weight"].to_numpy(dtype=float), 1.0],
            cols[3]: [*rows["mase_last"].to_numpy(dtype=float), float(sc["mase_combined"].iloc[-1])],
            cols[4]: [*rows["mase_mean"].to_numpy(dtype=float), float(sc["mase_combined"].mean())],
        })
        return out

    def mase_table(self, lang: str = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """Backtest MASE of every model and of the combination at each step 1 … H, in ``lang``."""
        lang = _check_lang(lang)
        per = self.backtest.mase()
        order = self.models.sort_values(["weight", "mase_mean"], ascending=[False, True], kind="stable")["model"]
        H = self.backtest.horizon
        step_cols = [_say("col_mase_step", lang, h=h) for h in range(1, H + 1)]
        rows = []
        for m in order:
            pm = per[per["model"] == m].set_index("step")["mase"]
            rows.append([candidate_label(m, lang), *(float(pm[h]) for h in range(1, H + 1))])
        rows.append([_say("combined", lang), *self.scores["mase_combined"].to_numpy(dtype=float)])
        return pd.DataFrame(rows, columns=[_say("col_model", lang), *step_cols])

    def scores_table(self, lang: str = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """Per-step backtest of the combination beside the naive model, in ``lang``."""
        lang = _check_lang(lang)
        sc = self.scores
        names = {"step": _say("col_step", lang), "n_origins": _say("col_origins", lang),
                 "mase_combined": _say("col_mase_combined", lang), "mase_naive": _say("col_mase_naive", lang),
                 "mean_log_error": _say("col_mean_log_error", lang)}
        out = sc[["step", "n_origins", "mase_combined", "mase_naive", "mean_log_error"]].rename(columns=names)
        for level in self.levels:
            out[_say("col_coverage", lang, level=level)] = sc[f"coverage{level}"].to_numpy()
        return out.reset_index(drop=True)

    def outturn_table(self, published: pd.Series, lang: str = i18n.DEFAULT_LANGUAGE) -> pd.DataFrame:
        """Forecast beside published values for the forecast periods that have one.

        ``published`` is indexed by period strings, Periods or integer years; periods outside the
        forecast are ignored. Columns: period, forecast, lo80/hi80 (the lowest level), published,
        published ÷ forecast − 1 in %, and whether it falls inside the interval. Empty when no
        forecast period has a published value.
        """
        lang = _check_lang(lang)
        if not isinstance(published, pd.Series):
            raise AnalysisError(f"published: expected a pandas Series of values by period; got {type(published).__name__}")
        keys = [str(int(k)) if isinstance(k, (int, np.integer)) else str(k) for k in published.index]
        values = dict(zip(keys, pd.to_numeric(published, errors="coerce").to_numpy(dtype=float), strict=True))
        level = self.levels[0]
        rows = []
        for _, r in self.table.iterrows():
            v = values.get(r["period"])
            if v is None or not math.isfinite(v):
                continue
            lo, hi = float(r[f"lo{level}"]), float(r[f"hi{level}"])
            rows.append((r["period"], float(r["forecast"]), lo, hi, v, (v / float(r["forecast"]) - 1) * 100,
                         bool(lo <= v <= hi)))
        cols = [_say("col_year", lang), _say("col_forecast", lang), _say("col_low", lang, level=level),
                _say("col_high", lang, level=level), _say("col_published", lang),
                _say("col_published_vs_forecast", lang), _say("col_inside", lang, level=level)]
        out = pd.DataFrame(rows, columns=cols)
        yes, no = _say("yes", lang), _say("no", lang)
        out[cols[-1]] = [yes if x else no for x in out[cols[-1]]]
        return out


# --------------------------------------------------------------------------- helpers


def _check_lang(lang: Any) -> str:
    return i18n.check_language(lang, source="lang", error=AnalysisError)


def _say(key: str, lang: str, **values: Any) -> str:
    """The catalogue's ``forecast_combine.<key>`` in ``lang``, filled with ``values``."""
    return i18n.message(f"forecast_combine.{key}")[lang].format(**values)


def _mase_mean(errors: pd.DataFrame, models: Sequence[str]) -> dict[str, float]:
    """Per model: MASE at each step (mean over origins), averaged over the steps."""
    out = {}
    for m in models:
        e = errors[errors["model"] == m]
        out[m] = float(e.groupby("step")["scaled_error"].mean().mean())
    return out


def _weights(score: dict[str, float], order: Sequence[str], top: int) -> dict[str, float]:
    ranked = sorted(order, key=lambda m: (score[m], order.index(m)))[:top]
    inv = {m: 1.0 / max(score[m], 1e-12) for m in ranked}
    total = sum(inv.values())
    return {m: inv[m] / total for m in ranked}


def _combined_errors(errors: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The combination's log errors per origin and step (errors combine linearly on logs)."""
    parts = []
    for m, w in weights.items():
        e = errors[errors["model"] == m].set_index(["origin", "step"])
        parts.append(e["log_error"] * w)
    total = parts[0]
    for p in parts[1:]:
        total = total.add(p)
    scale = errors[errors["model"] == next(iter(weights))].set_index(["origin", "step"])["scale"]
    return pd.DataFrame({"log_error": total, "scale": scale}).reset_index()


def _sigma_law(comb: pd.DataFrame) -> tuple[float, float]:
    """(a, b) of σ_h = a · h^b fitted to the root mean square of the log errors at each step."""
    g = comb.groupby("step")["log_error"]
    rms = np.sqrt(g.apply(lambda x: float(np.mean(np.square(x)))))
    counts = g.size().to_numpy(dtype=float)
    steps = rms.index.to_numpy(dtype=float)
    r = np.maximum(rms.to_numpy(dtype=float), 1e-12)
    if len(steps) == 1:
        return float(r[0] / steps[0]), 1.0  # one step only: widths assumed to grow in proportion to h
    w = np.sqrt(counts)
    design = np.column_stack([np.ones_like(steps), np.log(steps)]) * w[:, None]
    coef = np.linalg.lstsq(design, np.log(r) * w, rcond=None)[0]
    b = max(0.0, float(coef[1]))
    if b != coef[1]:  # refit the level with the slope held at 0
        a = float(np.exp(np.sum(w * w * np.log(r)) / np.sum(w * w)))
    else:
        a = float(np.exp(coef[0]))
    return a, b


def _t_quantile(level: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 200.0, df))


# --------------------------------------------------------------------------- main


def combine_forecast(
    series: pd.Series,
    *,
    until: str | int | None = None,
    horizon: int | None = None,
    models: Sequence[str] = CANDIDATES,
    growth: pd.Series | None = None,
    top: int = DEFAULT_TOP,
    levels: Sequence[int | float] = (80, 95),
    min_train: int | None = None,
) -> CombinedForecast:
    """Forecast the annual ``series`` (levels > 0) by combining the best ``top`` of ``models``.

    ``until``/``horizon`` set the forecast as in :func:`reportkit.analysis.forecast.forecast`;
    the backtest covers every step up to it (capped by the history). ``growth`` holds the
    official growth rates in percent by year (needed for the ``"growth"`` model; drop that
    model when there are none). See the module docstring for the weights, the empirical
    intervals and the cross-validated backtest. Raises :class:`AnalysisError` for a bad series
    or options, or when fewer than 3 origins or no model complete the backtest.
    """
    models = check_models(models)
    top = check_count("top", top, 1)
    levels = _check_levels(levels)
    z, periods, name = annual_log_series(series)
    h_fc = _horizon(_check_series(series, log=True), horizon, until)
    bt = horizon_backtest(series, models, horizon=h_fc, growth=growth, min_train=min_train)
    origins = list(bt.origins)
    if len(origins) < _MIN_ORIGINS:
        raise AnalysisError(
            f"combine_forecast: {len(origins)} backtest origin(s) ({', '.join(origins)}); expected at least "
            f"{_MIN_ORIGINS} (lower min_train or use a longer series)"
        )
    eligible = list(bt.eligible())
    if not eligible:
        raise AnalysisError(
            "combine_forecast: no model could be evaluated at every origin and step; see the reasons: "
            + "; ".join(f"{r.model} at {r.origin}: {r.reason}" for r in bt.skipped.itertuples())
        )
    errors = bt.errors[bt.errors["model"].isin(eligible)]

    # cross-validated backtest of the combination: each origin scored with weights and widths from the others
    cv_rows = []
    for o in origins:
        others = errors[errors["origin"] != o]
        own = errors[errors["origin"] == o]
        w_o = _weights(_mase_mean(others, eligible), eligible, top)
        c_others = _combined_errors(others, w_o)
        c_own = _combined_errors(own, w_o)
        a, b = _sigma_law(c_others)
        df = max(1, c_others["origin"].nunique() - 1)
        for r in c_own.itertuples():
            row = {"origin": o, "step": int(r.step), "log_error": float(r.log_error),
                   "scaled_error": abs(float(r.log_error)) / float(r.scale)}
            for level in levels:
                row[f"in{level}"] = bool(abs(r.log_error) <= _t_quantile(level, df) * a * r.step ** b)
            cv_rows.append(row)
    cv = pd.DataFrame(cv_rows)

    # the final weights, widths and forecast use every origin
    score = _mase_mean(errors, eligible)
    weights = _weights(score, eligible, top)
    comb = _combined_errors(errors, weights)
    a, b = _sigma_law(comb)
    df = max(1, len(origins) - 1)
    lg = log_growth_for(growth, periods) if "growth" in eligible and growth is not None else None
    fits = {}
    warn: list[str] = list(bt.warnings)
    for m in eligible:
        pf = point_forecast(z, m, h_fc, log_growth=lg)
        fits[m] = pf
        warn += [f"{m} (full series): {w}" for w in pf.warnings]
    log_fc = sum(weights[m] * fits[m].log_mean for m in weights)
    steps = np.arange(1, h_fc + 1, dtype=float)
    sigma = a * steps ** b
    future = pd.period_range(start=periods[-1] + 1, periods=h_fc, freq=periods[-1].freq)
    data: dict[str, Any] = {"period": [str(p) for p in future], "forecast": np.exp(log_fc)}
    for level in levels:
        half = _t_quantile(level, df) * sigma
        data[f"lo{level}"] = np.exp(log_fc - half)
        data[f"hi{level}"] = np.exp(log_fc + half)
    table = pd.DataFrame(data)
    table.attrs.update({"method": "combined", "log": True, "series": name})

    per = bt.mase()
    H = bt.horizon
    model_rows = []
    for m in eligible:
        pm = per[per["model"] == m].set_index("step")
        model_rows.append({"model": m, "spec": fits[m].spec, "forecast": float(np.exp(fits[m].log_mean[-1])),
                           "weight": float(weights.get(m, 0.0)), "mase_mean": score[m],
                           "mase_last": float(pm.at[H, "mase"]), "mean_log_error_last": float(pm.at[H, "mean_log_error"])})
    model_table = pd.DataFrame(model_rows)

    naive = per[per["model"] == "naive"].set_index("step") if "naive" in eligible else None
    score_rows = []
    for h in range(1, H + 1):
        c = cv[cv["step"] == h]
        row = {"step": h, "n_origins": len(c), "mase_combined": float(c["scaled_error"].mean()),
               "mase_naive": float(naive.at[h, "mase"]) if naive is not None else np.nan,
               "mean_log_error": float(c["log_error"].mean()), "sigma": float(a * h ** b)}
        for level in levels:
            row[f"coverage{level}"] = float(c[f"in{level}"].mean())
        score_rows.append(row)
    scores = pd.DataFrame(score_rows)
    coverage = {level: float(cv[f"in{level}"].mean()) for level in levels}
    note = _note(bt, weights, eligible, top, coverage, len(cv), df, b, h_fc, levels)
    return CombinedForecast(
        table=table, models=model_table, scores=scores, coverage=coverage, weights=weights, backtest=bt,
        fitted=(str(periods[0]), str(periods[-1]), len(z)), horizon=h_fc, levels=levels, top=top,
        sigma_exponent=b, note=note, warnings=tuple(dict.fromkeys(warn)),
    )


def _note(bt: HorizonBacktest, weights: dict[str, float], eligible: list[str], top: int, coverage: dict,
          n_cv: int, df: int, b: float, h_fc: int, levels: tuple[int | float, ...]) -> i18n.Text:
    k = len(bt.origins)
    H = bt.horizon
    dropped = [m for m in bt.models if m not in eligible]

    def note(lang: str) -> str:
        sep = _say("models_sep", lang)
        text = _say(
            "note", lang, k=k, span=_say("note_span", lang, first=bt.origins[0], last=bt.origins[-1]), H=H, top=top,
            used=sep.join(_say("note_weight", lang, model=candidate_label(m, lang), weight=w) for m, w in weights.items()),
            df=df, b=b, n_cv=n_cv,
            coverage=_say("note_coverage_sep", lang).join(
                _say("note_coverage", lang, level=level, share=coverage[level] * 100) for level in levels),
        )
        if H < h_fc:
            text += _say("note_extrapolated", lang, H=H, first=H + 1, last=h_fc)
        if dropped:
            text += _say("note_dropped", lang, models=sep.join(candidate_label(m, lang) for m in dropped))
        return text

    return i18n.Text({lang: note(lang) for lang in i18n.LANGUAGES})
