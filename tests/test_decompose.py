"""STL decomposition, the retail calendar (Spring Festival, 618, Double 11) and the figure."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from reportkit import i18n
from reportkit.analysis import plots
from reportkit.analysis.decompose import (
    SPRING_FESTIVAL,
    Decomposition,
    calendar_events,
    calendar_regressors,
    decompose,
    decomposition_plot,
)
from reportkit.data.nbs import load_nbs_monthly_ytd
from reportkit.data.timeseries import TimeSeries
from reportkit.errors import AnalysisError

US_ECOMSA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "us_ecommerce_sales_ECOMSA.csv"


def monthly_series(values, start="2018-01", name="constructed") -> TimeSeries:
    index = pd.period_range(start, periods=len(values), freq="M")
    return TimeSeries.from_frame(pd.DataFrame({"month": [str(p) for p in index], "v": values}),
                                 date="month", value="v", name=name)


@pytest.fixture(scope="module")
def seasonal_ts() -> TimeSeries:
    rng = np.random.default_rng(20240618)
    n = 72
    t = np.arange(n)
    pattern = np.array([-0.20, -0.25, 0.0, 0.02, 0.05, 0.15, 0.0, 0.01, 0.03, 0.05, 0.25, -0.11])
    log_values = 5.0 + 0.01 * t + pattern[t % 12] + rng.normal(0.0, 0.01, n)
    return monthly_series(np.exp(log_values))


@pytest.fixture(scope="module")
def us() -> TimeSeries:
    if not US_ECOMSA.is_file():
        pytest.skip(f"real data not available: {US_ECOMSA} (US Census ECOMSA via FRED; only on dev machines)")
    return TimeSeries.read(US_ECOMSA, date="observation_date", value="ECOMSA",
                           name="US e-commerce sales", unit="million USD")


# ----------------------------------------------------------------- decompose


def test_us_seasonally_adjusted_series_has_weak_season_and_strong_trend(us):
    dec = decompose(us)
    assert dec.available and dec.reason is None
    assert dec.freq == "quarterly" and dec.season_length == 4 and len(dec.periods) == 101
    assert dec.seasonal_strength < 0.5   # ECOMSA is seasonally adjusted
    assert dec.trend_strength > 0.9
    frame = dec.frame
    assert list(frame.columns) == ["observed", "trend", "seasonal", "resid"]
    np.testing.assert_allclose(frame["observed"], frame["trend"] + frame["seasonal"] + frame["resid"],
                               atol=1e-9)
    np.testing.assert_allclose(frame["observed"], np.log(us.values.to_numpy()), rtol=0, atol=1e-12)
    assert "robust" in dec.method and "period 4" in dec.method


def test_constructed_monthly_pattern_is_recovered(seasonal_ts):
    dec = decompose(seasonal_ts)
    assert dec.available
    assert dec.seasonal_strength > 0.8
    assert dec.trend_strength > 0.8
    # November is the seasonal peak, February the trough, as constructed
    by_month = dec.frame["seasonal"].groupby(dec.index.month).mean()
    assert by_month.idxmax() == 11 and by_month.idxmin() == 2
    strength = 1 - np.var(dec.resid) / np.var(np.add(dec.seasonal, dec.resid))
    assert dec.seasonal_strength == pytest.approx(max(0.0, strength), rel=1e-12)


def test_nbs_monthly_values_are_unavailable_with_the_numbers():
    ytd = TimeSeries.from_ytd_frame(load_nbs_monthly_ytd(), value="online_retail_ytd_100m_yuan",
                                    name="NBS online retail")
    dec = decompose(ytd.to_levels())
    assert dec.available is False
    en = dec.reason_text("en")
    assert ("36 months from 2022-01 to 2024-12, 13 known and 23 unknown in 7 run(s)") in en
    assert "longest run of consecutive known months is 3 (2024-06 to 2024-08)" in en
    assert "needs at least 24 consecutive known months" in en
    assert "共36个月" in dec.reason_text("zh") and "连续24个月" in dec.reason_text("zh")
    named = decompose(ytd.to_levels(), name={"zh": "全国网上零售额", "en": "Online retail sales"})
    assert named.reason_text("en").startswith("Online retail sales: 36 months")  # the reader's name for it
    assert named.reason_text("zh").startswith("全国网上零售额")
    assert np.isnan(dec.seasonal_strength) and dec.frame.empty
    with pytest.raises(AnalysisError, match="to_levels"):
        decompose(ytd)


def test_too_short_annual_and_non_positive_are_unavailable_not_errors(seasonal_ts):
    short = monthly_series(np.linspace(1, 2, 23))
    assert "23 months" in decompose(short).reason_text("en")
    assert decompose(monthly_series(np.linspace(1, 2, 24))).available
    annual = TimeSeries.from_frame(pd.DataFrame({"y": range(2000, 2020), "v": range(1, 21)}),
                                   date="y", value="v")
    assert "annual" in decompose(annual).reason_text("en")
    zeros = monthly_series(np.r_[0.0, np.linspace(1, 2, 30)])
    assert "log=False" in decompose(zeros).reason_text("en")
    assert decompose(zeros, log=False).available
    with pytest.raises(AnalysisError, match="odd integer"):
        decompose(seasonal_ts, seasonal=6)


# ----------------------------------------------------------------- calendar


def test_spring_festival_table_is_plausible():
    assert sorted(SPRING_FESTIVAL) == list(range(2010, 2036))
    for year, day in SPRING_FESTIVAL.items():
        assert day.year == year
        assert dt.date(year, 1, 21) <= day <= dt.date(year, 2, 20)  # always in this window


def test_calendar_events_2024_and_2025_monthly():
    events = calendar_events(pd.period_range("2024-01", "2025-12", freq="M"))
    assert list(events.columns) == ["period", "event", "label_zh", "label_en"]
    sf = events[events["event"] == "spring_festival"]
    assert [str(p) for p in sf["period"]] == ["2024-02", "2025-01"]  # 2024-02-10, 2025-01-29
    assert "2024年2月10日" in sf["label_zh"].iloc[0] and "10 Feb 2024" in sf["label_en"].iloc[0]
    assert [str(p) for p in events.loc[events["event"] == "m618", "period"]] == ["2024-06", "2025-06"]
    assert [str(p) for p in events.loc[events["event"] == "double11", "period"]] == ["2024-11", "2025-11"]
    assert list(events["period"]) == sorted(events["period"])


def test_calendar_events_quarterly_and_annual():
    events = calendar_events(pd.period_range("2024Q1", "2024Q4", freq="Q"))
    assert [(str(p), e) for p, e in zip(events["period"], events["event"], strict=True)] == [
        ("2024Q1", "spring_festival"), ("2024Q2", "m618"), ("2024Q4", "double11"),
    ]
    assert calendar_events(pd.period_range("2020", "2024", freq="Y")).empty
    old = calendar_events(pd.period_range("2008-01", "2010-12", freq="M"))
    assert old.attrs["missing_years"] == (2008, 2009)
    assert list(old.loc[old["event"] == "spring_festival", "period"].astype(str)) == ["2010-02"]


def test_calendar_regressors_are_dummies():
    index = pd.period_range("2024-01", "2025-12", freq="M")
    reg = calendar_regressors(index)
    assert list(reg.columns) == ["spring_festival", "m618", "double11"]
    assert reg.index.equals(index) and set(np.unique(reg.to_numpy())) == {0, 1}
    assert reg.loc["2024-02", "spring_festival"] == 1 and reg.loc["2025-01", "spring_festival"] == 1
    assert reg.loc["2024-01", "spring_festival"] == 0
    assert reg.sum().to_dict() == {"spring_festival": 2, "m618": 2, "double11": 2}
    quarterly = calendar_regressors(pd.period_range("2024Q1", "2024Q4", freq="Q"))
    assert quarterly["spring_festival"].tolist() == [1, 0, 0, 0]
    with pytest.raises(AnalysisError, match=r"no Spring Festival date for \[2009\]"):
        calendar_regressors(pd.period_range("2009-01", "2010-12", freq="M"))
    with pytest.raises(AnalysisError, match="annual"):
        calendar_regressors(pd.period_range("2020", "2024", freq="Y"))


# ----------------------------------------------------------------- figure


def test_decomposition_plot_draws_panels_and_event_bands(seasonal_ts):
    plots.use_theme()
    dec = decompose(seasonal_ts)
    events = calendar_events(seasonal_ts)
    for lang, label in (("zh", "趋势"), ("en", "Trend")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing CJK glyph would warn
            fig = decomposition_plot(dec, events, lang=lang)
            fig.canvas.draw()
        axes = fig.axes
        assert len(axes) == 4
        assert axes[1].get_ylabel() == label
        assert len(axes[0].patches) == len(events)  # one band per event
        assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 3
        plt.close(fig)
    fig = decomposition_plot(dec, lang="en")
    assert not fig.legends
    plt.close(fig)


def test_decomposition_plot_refuses_an_unavailable_result():
    dec = Decomposition(name="x", freq="monthly", available=False, reason={"zh": "太短", "en": "too short"})
    assert isinstance(dec.reason, i18n.Text) and dec.reason.to_json() == {"zh": "太短", "en": "too short"}
    with pytest.raises(AnalysisError, match="too short"):
        decomposition_plot(dec, lang="en")


def test_reasons_are_texts_and_a_missing_entry_fails_loudly():
    dec = decompose(monthly_series(np.linspace(1, 2, 23)))
    assert isinstance(dec.reason, i18n.Text) and dec.reason.languages == i18n.LANGUAGES
    assert dec.reason_text("zh") == dec.reason["zh"] and "23 months" in dec.reason["en"]
    with pytest.raises(AnalysisError, match="lang: language 'fr' is not offered"):
        dec.reason_text("fr")
    only_zh = Decomposition(name="x", freq="monthly", available=False, reason={"zh": "太短"})
    with pytest.raises(i18n.TranslationError, match="no 'en' entry"):
        only_zh.reason_text("en")
