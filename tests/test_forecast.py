"""Forecasts for any annual, quarterly or monthly series, and model choice by rolling-origin backtest."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from reportkit import i18n
from reportkit.analysis import plots
from reportkit.analysis.forecast import (
    BENCHMARKS,
    METHODS,
    Backtest,
    Forecast,
    backtest,
    forecast,
    min_observations,
    select_and_forecast,
)
from reportkit.data.nbs import load_nbs_annual
from reportkit.errors import AnalysisError

REAL = Path(__file__).resolve().parents[2] / "shared/data/real"
US_FILE = REAL / "us_ecommerce_sales_ECOMSA.csv"
BAND_COLUMNS = ["period", "forecast", "lo80", "hi80", "lo95", "hi95"]


@pytest.fixture(scope="module")
def nbs() -> pd.Series:
    """NBS online retail sales (亿元), 2014–2024, as an annual PeriodIndex series."""
    annual = load_nbs_annual()
    annual = annual[(annual["year"] >= 2014) & (annual["year"] <= 2024)]
    return pd.Series(
        annual["online_retail_100m_yuan"].to_numpy(dtype=float),
        index=pd.PeriodIndex([str(y) for y in annual["year"]], freq="Y"),
        name="online_retail",
    )


@pytest.fixture(scope="module")
def us() -> pd.Series:
    if not US_FILE.exists():
        pytest.skip(f"{US_FILE} is absent (real third-party data are not part of the project)")
    frame = pd.read_csv(US_FILE)
    return pd.Series(
        frame["ECOMSA"].to_numpy(dtype=float),
        index=pd.PeriodIndex(pd.to_datetime(frame["observation_date"]), freq="Q"),
        name="ECOMSA",
    )


@pytest.fixture(scope="module")
def nbs_forecasts(nbs) -> dict[str, Forecast]:
    return {m: forecast(nbs, m, until="2029") for m in METHODS}


@pytest.fixture(scope="module")
def nbs_backtest(nbs) -> Backtest:
    return backtest(nbs)


def quarterly(n_years: int = 6, start: str = "2019Q1") -> pd.Series:
    """A positive quarterly series with trend, season and a fixed wiggle (no randomness)."""
    n = 4 * n_years
    t = np.arange(n)
    season = np.tile([0.9, 1.0, 1.05, 1.3], n_years)
    wiggle = 1 + 0.02 * np.sin(1.7 * t)
    return pd.Series(100 * 1.02 ** t * season * wiggle, index=pd.period_range(start, periods=n, freq="Q"))


# ----------------------------------------------------------------- every method on the NBS series


@pytest.mark.parametrize("method", METHODS)
def test_each_method_forecasts_nbs_to_2029_with_nested_intervals(nbs_forecasts, method):
    fc = nbs_forecasts[method]
    assert fc.method == method
    assert fc.fitted == ("2014", "2024", 11)
    assert fc.freq == "Y" and fc.season_length == 1 and fc.horizon == 5 and fc.log is True
    assert isinstance(fc.label, i18n.Text) and fc.label.languages == i18n.LANGUAGES
    assert all(fc.label[lang] for lang in i18n.LANGUAGES)
    table = fc.table
    assert list(table.columns) == BAND_COLUMNS
    assert list(table["period"]) == ["2025", "2026", "2027", "2028", "2029"]
    values = table[BAND_COLUMNS[1:]].to_numpy()
    assert np.isfinite(values).all() and (values > 0).all()
    assert (table["lo95"] <= table["lo80"]).all()
    assert (table["lo80"] <= table["forecast"]).all()
    assert (table["forecast"] <= table["hi80"]).all()
    assert (table["hi80"] <= table["hi95"]).all()
    # intervals widen with the horizon
    assert (np.diff(table["hi95"] - table["lo95"]) > 0).all()


def test_naive_forecast_is_the_last_value(nbs, nbs_forecasts):
    fc = nbs_forecasts["naive"]
    assert fc.order == (0, 1, 0) and fc.trend == "n"
    assert fc.table["forecast"].to_numpy() == pytest.approx(np.full(5, 155225.0), rel=1e-12)
    raw = forecast(nbs, "naive", horizon=3, log=False)
    assert raw.table["forecast"].to_numpy() == pytest.approx(np.full(3, 155225.0), rel=1e-12)


def test_seasonal_naive_is_naive_for_annual_data(nbs_forecasts):
    sn, naive = nbs_forecasts["seasonal_naive"], nbs_forecasts["naive"]
    assert sn.table[BAND_COLUMNS[1:]].to_numpy() == pytest.approx(naive.table[BAND_COLUMNS[1:]].to_numpy(), rel=1e-12)
    assert "naive" in sn.label["en"].lower()


def test_drift_slope_is_the_mean_log_difference(nbs, nbs_forecasts):
    fc = nbs_forecasts["drift"]
    logs = np.log(nbs.to_numpy())
    slope = (logs[-1] - logs[0]) / (len(logs) - 1)
    assert fc.trend == "t" and fc.spec == "ARIMA(0,1,0) with drift"
    assert fc.params["drift"] == pytest.approx(slope, rel=1e-3)
    steps = np.log(fc.table["forecast"].to_numpy()) - logs[-1]
    assert steps == pytest.approx(fc.params["drift"] * np.arange(1, 6), rel=1e-9)


def test_seasonal_naive_repeats_the_last_season():
    y = quarterly()
    fc = forecast(y, "seasonal_naive", horizon=8, log=False)
    last_season = y.to_numpy()[-4:]
    assert fc.spec == "ARIMA(0,0,0)(0,1,0)[4]"
    assert fc.table["forecast"].to_numpy() == pytest.approx(np.tile(last_season, 2), rel=1e-10)
    assert list(fc.table["period"]) == [f"{yr}Q{q}" for yr in (2025, 2026) for q in (1, 2, 3, 4)]
    logged = forecast(y, "seasonal_naive", horizon=4)
    assert logged.table["forecast"].to_numpy() == pytest.approx(last_season, rel=1e-10)


# ----------------------------------------------------------------- ETS and ARIMA selection


def test_ets_chooses_the_lowest_aicc_of_its_candidates(nbs_forecasts):
    fc = nbs_forecasts["ets"]
    cand = fc.candidates
    assert list(cand["spec"]) == ["ETS(A,A,N)", "ETS(A,Ad,N)"]  # annual data: no seasonal candidate
    fitted = cand[cand["status"] == "ok"]
    chosen = cand[cand["chosen"]].iloc[0]
    assert chosen["spec"] == fc.spec
    assert chosen["aicc"] == fitted["aicc"].min()
    assert fc.aicc == pytest.approx(chosen["aicc"])


def test_ets_offers_a_seasonal_candidate_for_quarterly_data():
    fc = forecast(quarterly(), "ets", horizon=4)
    assert list(fc.candidates["spec"]) == ["ETS(A,A,N)", "ETS(A,Ad,N)", "ETS(A,Ad,A)"]
    assert fc.spec == fc.candidates.loc[fc.candidates["aicc"].idxmin(), "spec"]


def test_arima_order_is_in_bounds_and_the_aicc_minimum(nbs, nbs_forecasts):
    from statsmodels.tsa.arima.model import ARIMA

    fc = nbs_forecasts["arima"]
    p, d, q = fc.order
    assert p in (0, 1, 2) and d in (0, 1) and q in (0, 1, 2)
    assert fc.seasonal_order is None  # annual data
    cand = fc.candidates
    assert len(cand) <= 21
    assert set(cand["p"]) <= {0, 1, 2} and set(cand["q"]) <= {0, 1, 2} and set(cand["d"]) == {d}
    fitted = cand[cand["status"] == "ok"]
    chosen = cand[cand["chosen"]]
    assert len(chosen) == 1
    assert chosen["aicc"].iloc[0] == fitted["aicc"].min()
    assert (int(chosen["p"].iloc[0]), d, int(chosen["q"].iloc[0])) == fc.order
    assert fc.aicc == pytest.approx(fitted["aicc"].min())
    assert any(note.startswith(f"d = {d}: KPSS") for note in fc.notes)
    # a direct loop over a smaller grid gives the same criteria, none below the chosen one; the
    # variance is concentrated out (as R's arima does), which reaches the maximum of statsmodels'
    # plain fit (all parameters optimised) or a higher one, and counts the variance in the AICc
    logs = np.log(nbs.to_numpy())
    trends = ("t", "n") if d == 1 else ("c",)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pp in (0, 1):
            for qq in (0, 1):
                for trend in trends:
                    concentrated = (pp + qq) > 0 or trend != "n"
                    direct = ARIMA(logs, order=(pp, d, qq), trend=trend, concentrate_scale=concentrated).fit()
                    plain = ARIMA(logs, order=(pp, d, qq), trend=trend).fit()
                    row = cand[(cand["p"] == pp) & (cand["q"] == qq) & (cand["trend"] == trend)].iloc[0]
                    assert row["aicc"] == pytest.approx(direct.aicc, rel=1e-9)
                    assert row["aic"] == pytest.approx(direct.aic, rel=1e-9)
                    assert direct.llf >= plain.llf - 1e-6
                    assert row["aicc"] == pytest.approx(plain.aicc, abs=0.01)
                    assert direct.aicc >= fc.aicc - 1e-9


def test_arima_seasonal_search_on_quarterly_data():
    fc = forecast(quarterly(8), "arima", horizon=4)
    assert fc.seasonal_order is not None
    P, D, Q, s = fc.seasonal_order
    assert D == 1 and s == 4 and P in (0, 1) and Q in (0, 1)
    cand = fc.candidates
    assert len(cand) <= 21 and set(cand["stage"]) == {1, 2}
    assert cand.loc[cand["chosen"], "aicc"].iloc[0] == cand["aicc"].min()


def test_statsmodels_warnings_are_recorded_not_raised(nbs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = forecast(nbs, "arima", horizon=2)
    assert isinstance(fc.warnings, tuple)


# ----------------------------------------------------------------- other frequencies, options


def test_quarterly_until_a_bare_year_means_its_last_quarter():
    fc = forecast(quarterly(), "drift", until="2026")
    assert fc.horizon == 8 and fc.table["period"].iloc[-1] == "2026Q4"
    assert forecast(quarterly(), "drift", until="2025Q2").horizon == 2


def test_monthly_series_and_default_horizon():
    n = 48
    t = np.arange(n)
    y = pd.Series(50 + 0.5 * t + 5 * np.sin(2 * np.pi * t / 12) + np.cos(t), index=pd.period_range("2021-01", periods=n, freq="M"))
    fc = forecast(y, "theta")
    assert fc.season_length == 12 and fc.horizon == 24
    assert fc.table["period"].iloc[0] == "2025-01" and fc.table["period"].iloc[-1] == "2026-12"
    sn = forecast(y, "seasonal_naive", horizon=12, log=False)
    assert sn.table["forecast"].to_numpy() == pytest.approx(y.to_numpy()[-12:], rel=1e-10)


def test_log_false_accepts_negative_values():
    y = pd.Series([-2.0, 1.0, -0.5, 3.0, 0.0, 1.5, -1.0, 2.5, 0.5, 1.0], index=pd.period_range("2015", periods=10, freq="Y"))
    for method in ("naive", "drift", "theta", "ets", "arima"):
        fc = forecast(y, method, horizon=3, log=False)
        assert np.isfinite(fc.table[BAND_COLUMNS[1:]].to_numpy()).all()


def test_other_levels():
    fc = forecast(quarterly(), "naive", horizon=2, levels=(50, 90))
    assert list(fc.table.columns) == ["period", "forecast", "lo50", "hi50", "lo90", "hi90"]


# ----------------------------------------------------------------- backtest


def test_backtest_table_on_nbs_annual(nbs_backtest):
    bt = nbs_backtest
    print("\n" + bt.table("en").to_string())
    print(bt.reason["en"])
    assert bt.horizon == 1 and bt.min_train == 8 and bt.origins == ("2021", "2022", "2023")
    for lang, cols in (("zh", ["模型", "MASE", "80% 区间覆盖率", "95% 区间覆盖率", "预测数"]),
                       ("en", ["Model", "MASE", "80% coverage", "95% coverage", "Forecasts"])):
        table = bt.table(lang)
        assert list(table.columns) == cols
        assert len(table) == len(METHODS)
        assert table.attrs["note"] == bt.note[lang] and "3" in bt.note[lang]
    scores = bt.scores.set_index("method")
    assert (scores["mase"] > 0).all()
    assert scores["coverage80"].between(0, 1).all() and scores["coverage95"].between(0, 1).all()
    assert (scores["coverage95"] >= scores["coverage80"]).all()
    assert (scores["n_forecasts"] == 3).all() and (scores["n_origins"] == 3).all()
    assert len(bt.errors) == 3 * len(METHODS) and bt.skipped.empty
    # MASE recomputed from the raw errors
    naive = bt.errors[bt.errors["method"] == "naive"]
    assert scores.at["naive", "mase"] == pytest.approx((naive["abs_error"] / naive["scale"]).mean())
    # naive and seasonal naive are the same for annual data
    assert scores.at["naive", "mase"] == pytest.approx(scores.at["seasonal_naive", "mase"])
    _check_choice(bt)


def _check_choice(bt: Backtest) -> None:
    scores = bt.scores.set_index("method")
    candidates = scores.drop(index=[m for m in BENCHMARKS if m in scores.index])
    best_candidate = candidates["mase"].idxmin()
    best_benchmark = scores.loc[[m for m in BENCHMARKS if m in scores.index], "mase"].min()
    if candidates.at[best_candidate, "mase"] < best_benchmark:
        assert bt.best == best_candidate
        assert "is chosen" in bt.reason["en"]
    else:
        assert bt.best in BENCHMARKS
        assert "benchmark is kept" in bt.reason["en"] and "基准" in bt.reason["zh"]
    assert f"{scores.at[bt.best, 'mase']:.2f}" in bt.reason["en"]
    assert f"{scores.at[bt.best, 'coverage80'] * 100:.0f}%" in bt.reason["en"]


def test_backtest_keeps_the_benchmark_when_nothing_beats_it(nbs):
    bt = backtest(nbs, ("naive", "ets"))
    _check_choice(bt)
    assert bt.best == "naive"  # ETS(A,Ad,N) overshoots after 2021 on this series


def test_backtest_skips_methods_without_enough_observations(nbs):
    bt = backtest(nbs, ("naive", "drift", "arima"), min_train=6)
    assert bt.origins == ("2019", "2020", "2021", "2022", "2023")
    skipped = bt.skipped
    assert list(skipped["method"]) == ["arima", "arima"]
    assert skipped["reason"].str.contains("needs ≥ 8 observations").all()
    scores = bt.scores.set_index("method")
    assert scores.at["arima", "n_origins"] == 3 and scores.at["naive", "n_origins"] == 5
    assert bt.best != "arima"
    assert "(3 of 5)" in bt.note["en"] and "（3/5）" in bt.note["zh"]


def test_backtest_us_quarterly(us):
    """All methods on the 101 US quarters; every 8th origin (11 origins) to keep the test short."""
    bt = backtest(us, METHODS, step=8)
    table = bt.table("en")
    scores = bt.scores.set_index("method")
    print("\n" + table.to_string())
    print(f"chosen: {bt.best}; 80% coverage {scores.at[bt.best, 'coverage80']:.3f}; {bt.reason['en']}")
    assert bt.horizon == 4 and bt.min_train == 13 and len(bt.origins) == 11
    assert (scores["n_forecasts"] == 44).all()
    assert 0.5 <= scores.at[bt.best, "coverage80"] <= 1
    if bt.best not in BENCHMARKS:
        assert scores.at[bt.best, "mase"] < scores.at["seasonal_naive", "mase"]
    else:
        assert "benchmark is kept" in bt.reason["en"]
    _check_choice(bt)


def test_select_and_forecast_uses_the_backtest_winner(nbs, nbs_backtest):
    bt, fc = select_and_forecast(nbs, until="2029")
    assert bt.best == nbs_backtest.best and fc.method == bt.best
    assert list(fc.table["period"])[-1] == "2029"


def test_same_inputs_same_numbers(nbs, nbs_backtest, nbs_forecasts):
    for method in ("arima", "ets", "theta"):
        assert_frame_equal(forecast(nbs, method, until="2029").table, nbs_forecasts[method].table, check_exact=True)
    again = backtest(nbs)
    assert_frame_equal(again.table("zh"), nbs_backtest.table("zh"), check_exact=True)
    assert_frame_equal(again.errors, nbs_backtest.errors, check_exact=True)
    assert again.best == nbs_backtest.best and again.reason == nbs_backtest.reason


# ----------------------------------------------------------------- bad inputs


def test_bad_inputs_name_the_problem(nbs):
    with pytest.raises(AnalysisError, match=r"1 missing value\(s\) \(NaN\), e.g. at 2018"):
        forecast(nbs.where(nbs.index != pd.Period("2018", "Y")), "naive")
    with pytest.raises(AnalysisError, match="gap in the PeriodIndex between 2017 and 2019"):
        forecast(nbs.drop(pd.Period("2018", "Y")), "naive")
    with pytest.raises(AnalysisError, match=r"log=True needs values > 0.*2016=0"):
        forecast(nbs.mask(nbs.index == pd.Period("2016", "Y"), 0.0), "drift")
    with pytest.raises(AnalysisError, match=r"method 'arima' needs at least 8 observations for annual data; the series has 6 \(2019–2024\)"):
        forecast(nbs.iloc[-6:], "arima")
    with pytest.raises(AnalysisError, match=r"method: expected one of \['naive'.*got 'prophet'"):
        forecast(nbs, "prophet")
    with pytest.raises(AnalysisError, match="expected a PeriodIndex"):
        forecast(pd.Series(nbs.to_numpy()), "naive")
    with pytest.raises(AnalysisError, match="annual \\(Y\\), quarterly \\(Q\\) or monthly \\(M\\)"):
        forecast(pd.Series(range(1, 20), index=pd.period_range("2024-01-01", periods=19, freq="D"), dtype=float), "naive")
    with pytest.raises(AnalysisError, match="'2023' is not after the last period of the series \\(2024\\)"):
        forecast(nbs, "naive", until="2023")
    with pytest.raises(AnalysisError, match="horizon or until, not both"):
        forecast(nbs, "naive", until="2029", horizon=5)
    with pytest.raises(AnalysisError, match="horizon: expected an integer ≥ 1"):
        forecast(nbs, "naive", horizon=0)
    with pytest.raises(AnalysisError, match="periods must be strictly increasing"):
        forecast(nbs.iloc[::-1], "naive")
    with pytest.raises(AnalysisError, match=r"methods: expected one of .*got 'prophet'"):
        backtest(nbs, ("naive", "prophet"))
    with pytest.raises(AnalysisError, match=r"too few for a horizon of 1"):
        backtest(nbs.iloc[:3], ("naive",))
    with pytest.raises(AnalysisError, match=r"lang: language 'fr' is not offered; expected one of zh, en"):
        backtest(nbs.iloc[-9:], ("naive",)).table("fr")
    assert min_observations("ets", 4) == 13 and min_observations("arima", 12) == 20


# ----------------------------------------------------------------- fan chart


def test_fan_chart_takes_years_or_periods_and_thins_long_axes(nbs, us_or_quarterly):
    import matplotlib.pyplot as plt

    words = dict(value_label="v", actual_label="a", forecast_label="f", band80_label="80", band95_label="95", unit="")
    # the market notebook's call: history with year/level, a table with year
    fc = forecast(nbs, "drift", until="2029")
    old_table = fc.table.rename(columns={"period": "year"}).astype({"year": int})
    history = pd.DataFrame({"year": [int(str(p)) for p in nbs.index], "level": nbs.to_numpy()})
    fig = plots.fan_chart(history, old_table, **words)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [str(y) for y in range(2014, 2030)]
    plt.close(fig)
    # a long quarterly series with period strings
    y = us_or_quarterly
    qfc = forecast(y, "drift", until=str(y.index[-1].year + 2))
    fig = plots.fan_chart(y, qfc.table, **words)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert 2 <= len(labels) <= 14 and all(lab.endswith("Q1") for lab in labels)
    plt.close(fig)


@pytest.fixture
def us_or_quarterly() -> pd.Series:
    if US_FILE.exists():
        frame = pd.read_csv(US_FILE)
        return pd.Series(frame["ECOMSA"].to_numpy(dtype=float),
                         index=pd.PeriodIndex(pd.to_datetime(frame["observation_date"]), freq="Q"))
    return quarterly(25, "2000Q1")


# ----------------------------------------------------------------- combined forecast (horizon backtest)

from reportkit.analysis.forecast_backtest import CANDIDATES, candidate_label, horizon_backtest, point_forecast  # noqa: E402
from reportkit.analysis.forecast_combine import combine_forecast  # noqa: E402

DATA_FILE = Path(__file__).resolve().parents[1] / "data/nbs_online_retail_annual.csv"


@pytest.fixture(scope="module")
def nbs_file() -> pd.DataFrame:
    return load_nbs_annual(DATA_FILE)


@pytest.fixture(scope="module")
def nbs_levels(nbs_file) -> pd.Series:
    a = nbs_file[(nbs_file["year"] >= 2014) & (nbs_file["year"] <= 2024)]
    return pd.Series(a["online_retail_100m_yuan"].to_numpy(dtype=float),
                     index=pd.PeriodIndex(a["year"].astype(str), freq="Y"), name="online_retail")


@pytest.fixture(scope="module")
def nbs_growth(nbs_file) -> pd.Series:
    return pd.Series(nbs_file["online_yoy_official_pct"].to_numpy(dtype=float),
                     index=pd.PeriodIndex(nbs_file["year"].astype(str), freq="Y"), name="online_yoy_official_pct")


@pytest.fixture(scope="module")
def combined(nbs_levels, nbs_growth):
    return combine_forecast(nbs_levels, until="2029", growth=nbs_growth)


def test_horizon_backtest_scores_every_horizon_from_every_origin(combined, nbs_levels):
    bt = combined.backtest
    assert bt.models == CANDIDATES and bt.horizon == 5 and bt.min_train == 5
    assert bt.origins == tuple(str(y) for y in range(2018, 2024))
    assert bt.skipped.empty and bt.eligible() == CANDIDATES
    n = len(nbs_levels)
    for t, origin in zip(range(5, n), bt.origins, strict=True):
        steps = bt.errors[(bt.errors["model"] == "naive") & (bt.errors["origin"] == origin)]["step"]
        assert list(steps) == list(range(1, min(5, n - t) + 1))
    # naive's log error is the log growth since the origin; the scale the mean absolute log growth of the window
    logs = np.log(nbs_levels.to_numpy())
    naive = bt.errors[bt.errors["model"] == "naive"]
    for r in naive.itertuples():
        assert r.log_error == pytest.approx(logs[r.t + r.step - 1] - logs[r.t - 1], abs=1e-12)
        assert r.scale == pytest.approx(np.mean(np.abs(np.diff(logs[: r.t]))), abs=1e-12)
    mase = bt.mase().set_index(["model", "step"])
    assert mase.at[("naive", 5), "n_origins"] == 2 and mase.at[("naive", 1), "n_origins"] == 6
    at5 = naive[naive["step"] == 5]
    assert mase.at[("naive", 5), "mase"] == pytest.approx((at5["log_error"].abs() / at5["scale"]).mean())


def test_combined_forecast_beats_naive_at_the_longest_horizon(combined):
    scores = combined.scores
    print("\n" + scores.to_string())
    last = scores.iloc[-1]
    assert last["step"] == 5
    assert last["mase_combined"] <= last["mase_naive"]
    naive = combined.backtest.mase().query("model == 'naive'").set_index("step")["mase"]
    assert scores.set_index("step")["mase_naive"].to_numpy() == pytest.approx(naive.to_numpy())


def test_pooled_80_coverage_is_near_nominal(combined):
    cov = combined.coverage
    sc = combined.scores
    print(f"\npooled coverage: 80% {cov[80]:.3f}, 95% {cov[95]:.3f} over {int(sc['n_origins'].sum())} forecasts")
    assert 0.70 <= cov[80] <= 0.90
    assert cov[95] >= cov[80]
    # the pooled figure is the per-step coverage weighted by the number of origins
    assert cov[80] == pytest.approx((sc["coverage80"] * sc["n_origins"]).sum() / sc["n_origins"].sum())


def test_weights_are_inverse_mase_over_the_best_three(combined):
    models = combined.models.set_index("model")
    weights = combined.weights
    assert len(weights) == 3 and sum(weights.values()) == pytest.approx(1.0)
    best3 = models["mase_mean"].sort_values(kind="stable").index[:3]
    assert set(weights) == set(best3)
    inv = 1 / models.loc[list(weights), "mase_mean"]
    assert np.array(list(weights.values())) == pytest.approx((inv / inv.sum()).to_numpy())
    assert (models.drop(index=list(weights))["weight"] == 0).all()
    # the mean over steps of each model's per-step MASE
    per = combined.backtest.mase()
    for m in models.index:
        assert models.at[m, "mase_mean"] == pytest.approx(per[per["model"] == m]["mase"].mean())
    # the combination is the weighted geometric mean of the models' forecasts
    geo = np.exp(sum(w * np.log(models.at[m, "forecast"]) for m, w in weights.items()))
    assert combined.table["forecast"].iloc[-1] == pytest.approx(geo, rel=1e-12)


def test_combined_intervals_are_nested_symmetric_on_logs_and_widen(combined):
    t = combined.table
    assert list(t["period"]) == ["2025", "2026", "2027", "2028", "2029"]
    assert list(t.columns) == BAND_COLUMNS
    assert ((t["lo95"] < t["lo80"]) & (t["lo80"] < t["forecast"]) & (t["forecast"] < t["hi80"])
            & (t["hi80"] < t["hi95"])).all()
    lo, hi, f = np.log(t["lo80"]), np.log(t["hi80"]), np.log(t["forecast"])
    assert (hi - f).to_numpy() == pytest.approx((f - lo).to_numpy(), rel=1e-9)
    assert (np.diff(hi - lo) > 0).all()


def test_combined_forecast_is_deterministic(combined, nbs_levels, nbs_growth):
    again = combine_forecast(nbs_levels, until="2029", growth=nbs_growth)
    assert_frame_equal(again.table, combined.table, check_exact=True)
    assert_frame_equal(again.models, combined.models, check_exact=True)
    assert_frame_equal(again.scores, combined.scores, check_exact=True)
    assert again.note == combined.note


def test_growth_model_compounds_forecast_growth_from_the_last_level(nbs_levels, nbs_growth):
    z = np.log(nbs_levels.to_numpy())
    g = np.log1p(nbs_growth.loc[pd.Period("2015", "Y"):pd.Period("2024", "Y")].to_numpy() / 100)
    pf = point_forecast(z, "growth", 5, log_growth=g)
    steps = np.diff(np.concatenate([[z[-1]], pf.log_mean]))
    assert steps == pytest.approx(np.full(5, steps[0]), rel=1e-9)  # a local level: flat forecast growth
    assert min(g) <= steps[0] <= max(g)


def test_spread_outturn_and_score_tables(combined, nbs_file):
    for lang in ("zh", "en"):
        spread = combined.spread_table(lang)
        assert len(spread) == len(CANDIDATES) + 1
        assert spread.iloc[:, 2].iloc[:-1].sum() == pytest.approx(1.0)
        assert spread.iloc[-1, 1] == pytest.approx(combined.table["forecast"].iloc[-1])
        scores = combined.scores_table(lang)
        assert len(scores) == 5
    published = pd.Series(nbs_file["online_retail_100m_yuan"].to_numpy(), index=nbs_file["year"])
    out = combined.outturn_table(published, "en")
    assert list(out["Year"]) == ["2025"]
    f2025 = combined.table["forecast"].iloc[0]
    assert out["Published vs forecast (%)"].iloc[0] == pytest.approx((published[2025] / f2025 - 1) * 100)
    assert "low confidence" in " ".join(out.columns)
    assert combined.outturn_table(published[published.index <= 2024], "zh").empty
    assert combined.note.languages == i18n.LANGUAGES and "Student-t" in combined.note["en"]


def test_combination_label_names_the_weighted_models(combined):
    """What the market notebook built inline, now from the catalogue (forecast_combine.combination_label)."""
    zh = "、".join(candidate_label(m, "zh") for m in combined.weights) + "的加权组合"
    en = "weighted combination of " + ", ".join(candidate_label(m, "en") for m in combined.weights)
    assert combined.combination_label("zh") == zh
    assert combined.combination_label("en") == en
    assert combined.combination_label() == zh  # the default language
    assert en.startswith("weighted combination of ") and zh.endswith("的加权组合") and "Theta method" in en
    with pytest.raises(AnalysisError, match=r"lang: language 'fr' is not offered"):
        combined.combination_label("fr")


def test_texts_keep_their_shape_through_json_and_pickle(combined, nbs_backtest):
    import pickle

    for text in (combined.note, nbs_backtest.note, nbs_backtest.reason):
        assert isinstance(text, i18n.Text)
        assert set(text.to_json()) == set(i18n.LANGUAGES) and all(isinstance(v, str) for v in text.to_json().values())
        assert pickle.loads(pickle.dumps(text)) == text
        assert text["zh"] != text["en"]


def test_a_missing_translation_fails_loudly(monkeypatch, combined, nbs_backtest):
    """A catalogue entry missing in one language is an error in every language, never a fallback."""
    real = i18n.catalogue

    def drop(missing: str):
        def without(group: str, lang: str):
            strings = dict(real(group, lang))
            if lang == "en" and missing.startswith(group + "."):
                strings.pop(missing.split(".", 1)[1])
            return strings
        return without

    for missing, call in (("forecast_combine.combination_label", lambda: combined.combination_label("zh")),
                          ("forecast.label_theta", lambda: nbs_backtest.table("zh")),
                          ("forecast.reason_chosen", lambda: select_and_forecast(nbs_backtest_series(), horizon=1)),
                          ("forecast_backtest.label_theta", lambda: candidate_label("theta", "zh"))):
        with monkeypatch.context() as m:
            m.setattr(i18n, "catalogue", drop(missing))
            with pytest.raises(i18n.TranslationError, match=rf"no '{missing}' in the 'en' catalogue"):
                call()


def nbs_backtest_series() -> pd.Series:
    annual = load_nbs_annual()
    annual = annual[(annual["year"] >= 2014) & (annual["year"] <= 2024)]
    return pd.Series(annual["online_retail_100m_yuan"].to_numpy(dtype=float),
                     index=pd.PeriodIndex([str(y) for y in annual["year"]], freq="Y"))

def test_combined_forecast_bad_inputs(nbs_levels, nbs_growth):
    with pytest.raises(AnalysisError, match=r"'growth' needs the official growth rates"):
        horizon_backtest(nbs_levels, ("naive", "growth"), horizon=2)
    with pytest.raises(AnalysisError, match=r"no rate for 2019; expected a published rate for every year 2015–2024"):
        horizon_backtest(nbs_levels, ("naive", "growth"), horizon=2, growth=nbs_growth.drop(pd.Period("2019", "Y")))
    with pytest.raises(AnalysisError, match=r"takes annual data.*got 'Q'"):
        combine_forecast(quarterly(), horizon=4, models=("naive", "drift"))
    with pytest.raises(AnalysisError, match=r"2 backtest origin\(s\) \(2019, 2020\); expected at least 3"):
        combine_forecast(nbs_levels.iloc[:8], horizon=2, models=("naive", "drift"), min_train=6)
    with pytest.raises(AnalysisError, match=r"models: expected one of .*got 'prophet'"):
        combine_forecast(nbs_levels, horizon=2, models=("naive", "prophet"))
