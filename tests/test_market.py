"""Market series from any file (issue 16, item 1): reading by roles, growth the ways the data allow,
compound growth, share, contribution, the forecast target; checked against independent pandas
computations and against the NBS-specific functions the demo used before."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis import market, market_text, trends
from reportkit.data import nbs
from reportkit.data.market import metadata_path, read_market_series
from reportkit.errors import AnalysisError, DataError

ROOT = Path(__file__).resolve().parents[1]
ANNUAL = ROOT / "data" / "nbs_online_retail_annual.csv"
MONTHLY = ROOT / "data" / "nbs_online_retail_monthly_ytd.csv"
REAL = ROOT.parent / "shared" / "data" / "real"
US_SALES = REAL / "us_ecommerce_sales_ECOMSA.csv"
US_SHARE = REAL / "us_ecommerce_share_ECOMPCTSA.csv"
needs_real = pytest.mark.skipif(not US_SALES.is_file() or not US_SHARE.is_file(),
                                reason=f"the real US Census series are not in {REAL} (they are never copied into the project)")

NBS_COLUMNS = {"year": "period", "online_retail_100m_yuan": "value", "online_yoy_official_pct": "growth"}
PART_COLUMNS = {"year": "period", "physical_online_100m_yuan": "value", "physical_share_of_scgr_pct": "share",
                "scgr_100m_yuan": "total"}


@pytest.fixture(scope="module")
def nbs_series():
    return read_market_series(ANNUAL, columns=NBS_COLUMNS)


@pytest.fixture(scope="module")
def nbs_frame():
    return nbs.load_nbs_annual(ANNUAL)


# --------------------------------------------------------------------------- reading


def test_metadata_beside_the_data_names_the_series_and_keeps_the_caveats(nbs_series):
    assert metadata_path(ANNUAL).is_file()
    assert nbs_series.name["zh"] == "全国网上零售额" and nbs_series.unit == "亿元"
    assert nbs_series.source["en"].startswith("National Bureau of Statistics")
    assert any("2025" in n["zh"] for n in nbs_series.notes)  # the low-confidence year, as data
    assert "统计范围" in nbs_series.growth_note["zh"]  # why the published rate differs, as data
    assert nbs_series.freq == "annual" and nbs_series.levels is not None


def test_arguments_override_the_metadata(tmp_path):
    path = tmp_path / "gmv.csv"
    path.write_text("month,gmv\n2024-01,10\n2024-02,12\n", encoding="utf-8")
    metadata_path(path).write_text("source: {zh: 平台导出, en: platform export}\n"
                                   "columns: {gmv: {name: {zh: 成交额, en: GMV}, unit: 万元}}\n", encoding="utf-8")
    ms = read_market_series(path, columns={"month": "period", "gmv": "value"})
    assert (ms.name["en"], ms.unit, ms.source["zh"]) == ("GMV", "万元", "平台导出")
    ms = read_market_series(path, columns={"month": "period", "gmv": "value"}, unit="元", name={"zh": "甲", "en": "A"})
    assert (ms.name["zh"], ms.unit) == ("甲", "元")


def test_a_gb18030_export_with_chinese_headers_and_wan_numbers(tmp_path):
    path = tmp_path / "导出.csv"
    rows = ["月份,成交额"] + [f"2023年{m}月,{m}.5万" for m in range(1, 13)]
    path.write_bytes("\n".join(rows).encode("gb18030"))
    ms = read_market_series(path, columns={"月份": "period", "成交额": "value"}, encoding="gb18030", unit="元")
    assert ms.freq == "monthly" and len(ms.levels) == 12
    assert ms.levels.as_series().iloc[0] == pytest.approx(15_000.0)  # 1.5万 = 15,000, in the unit declared


def test_month_first_us_dates_need_a_declared_format():
    if not US_SHARE.is_file():
        pytest.skip(f"{US_SHARE} is absent")
    with pytest.raises(DataError, match="date_format|MM/DD/YYYY|day|month"):
        read_market_series(US_SHARE, columns={"observation_date": "period", "ECOMPCTSA": "share"})
    ms = read_market_series(US_SHARE, columns={"observation_date": "period", "ECOMPCTSA": "share"},
                            date_format="%m/%d/%y")
    assert ms.freq == "quarterly" and str(ms.share.index[0]) == "1999Q4" and ms.share.iloc[-1] == 16.4


def test_a_file_without_the_period_role_is_refused_naming_the_role_and_the_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("when,sales\n2023,1\n2024,2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_market_series(path, columns={"sales": "value"})
    msg = str(err.value)
    assert "'period'" in msg and "'when'" in msg and "'sales'" in msg and "columns=" in msg


def test_an_unknown_role_is_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("year,sales\n2023,1\n2024,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"unknown role\(s\) \['amount'\]"):
        read_market_series(path, columns={"year": "period", "sales": "amount"})


def test_a_period_twice_is_refused_naming_its_lines(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("year,value\n2023,1\n2024,2\n2024,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="2024") as err:
        read_market_series(path, columns={"year": "period"})
    assert "line 3" in str(err.value) and "line 4" in str(err.value)


def test_ytd_values_become_period_values_without_inventing_missing_months():
    ms = read_market_series(MONTHLY, columns={"online_retail_ytd_100m_yuan": "value"}, values="ytd")
    assert ms.freq == "monthly" and ms.cumulative is not None
    rows = market.period_values(ms, 2024)
    assert rows["value"].sum() == 155225  # the 2024 periods add up to the December cumulative value
    assert set(rows["status"]) == {"period", "jan_feb_combined", "block"}
    assert ms.levels.as_series()["2024-04"] != ms.levels.as_series()["2024-04"]  # unknown, not zero
    annual = ms.annual_totals()
    assert list(annual.index.year) == []  # no year has every single month known: none is summed short


def test_annual_growth_rates_only_become_a_chained_index_labelled_as_such(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("year,yoy\n2021,5.0\n2022,-1.5\n2023,3.0\n2024,4.0\n", encoding="utf-8")
    ms = read_market_series(path, columns={"year": "period", "yoy": "value"}, values="growth")
    assert ms.unit == "2021 = 100" and ms.growth is None
    index = ms.levels.as_series()
    np.testing.assert_allclose(index.to_numpy(), [100.0, 98.5, 98.5 * 1.03, 98.5 * 1.03 * 1.04])
    table = market.growth_table(ms)
    np.testing.assert_allclose(table["yoy_from_levels_pct"].iloc[1:], [-1.5, 3.0, 4.0])  # the rates, back
    assert any("2021 = 100" in n["en"] and "连乘" in n["zh"] for n in ms.notes)  # said in the report
    cg = market.compound_growth(ms, 2021, 2024)
    assert cg.rate_pct == pytest.approx(((0.985 * 1.03 * 1.04) ** (1 / 3) - 1) * 100)


def test_quarterly_growth_rates_only_have_no_levels(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("q,yoy\n2023Q1,5.0\n2023Q2,-1.5\n2023Q3,3.0\n", encoding="utf-8")
    ms = read_market_series(path, columns={"q": "period", "yoy": "value"}, values="growth")
    assert ms.levels is None and list(ms.growth) == [5.0, -1.5, 3.0]
    table = market.growth_table(ms)
    assert table["level"].isna().all() and list(table["yoy_published_pct"]) == [5.0, -1.5, 3.0]
    with pytest.raises(AnalysisError, match="growth rates only"):
        market.forecast_target(ms)


# --------------------------------------------------------------------------- the NBS series on the general path


def test_growth_both_ways_equals_the_nbs_function(nbs_series, nbs_frame):
    old = trends.growth_table(nbs_frame, "online_retail", first_year=2014, last_year=2024)
    new = market.growth_table(nbs_series, first=2014, last=2024)
    assert list(new["period"]) == [str(y) for y in old["year"]]
    for a, b in [("level", "level"), ("yoy_official_pct", "yoy_published_pct"),
                 ("yoy_from_levels_pct", "yoy_from_levels_pct"), ("gap_pp", "gap_pp"), ("flag", "flag")]:
        np.testing.assert_allclose(old[a].astype(float), new[b].astype(float), equal_nan=True)
    latest = new.iloc[-1]
    assert (latest["level"], latest["yoy_published_pct"]) == (155225, 7.2)
    assert round(latest["yoy_from_levels_pct"], 1) == 0.6  # 155225 / 154264 − 1


def test_compound_growth_equals_the_nbs_cagr(nbs_series, nbs_frame):
    old = trends.cagr(nbs_frame, "online_retail", 2019, 2024)
    new = market.compound_growth(nbs_series, 2019, 2024)
    assert new.rate_pct == pytest.approx(old.cagr_pct) and new.chained_pct == pytest.approx(old.cagr_official_chained_pct)
    assert new.rate_pct == pytest.approx(((155225 / 106324) ** (1 / 5) - 1) * 100)


def test_share_and_contribution_equal_the_nbs_functions(nbs_frame):
    part = read_market_series(ANNUAL, columns=PART_COLUMNS)
    share = market.share_table(part, first=2014, last=2024).set_index("period")
    old_share = trends.share_table(nbs_frame).set_index("year")
    for year in range(2015, 2025):
        assert share.loc[str(year), "share_published_pct"] == old_share.loc[year, "share_published_pct"]
        assert share.loc[str(year), "share_from_levels_pct"] == pytest.approx(old_share.loc[year, "share_from_levels_pct"])
    new = market.contribution_table(part, first=2014, last=2024)
    old = trends.contribution_to_growth(nbs_frame, first_year=2014, last_year=2024).dropna(
        subset=["physical_online_contribution_pp"])
    assert list(new["period"]) == [str(y) for y in old["year"]]
    np.testing.assert_allclose(new[["total_growth_pct", "part_contribution_pp", "other_contribution_pp"]].to_numpy(),
                               old[["total_growth_pct", "physical_online_contribution_pp", "other_contribution_pp"]].to_numpy())
    np.testing.assert_allclose(new["part_contribution_pp"] + new["other_contribution_pp"], new["total_growth_pct"])


def test_the_forecast_target_of_annual_data_is_the_levels_with_the_published_rates(nbs_series):
    target = market.forecast_target(nbs_series, last=2024)
    assert not target.aggregated and str(target.series.index[-1]) == "2024" and target.series.iloc[-1] == 155225
    assert target.growth is not None and target.growth["2024"] == 7.2


# --------------------------------------------------------------------------- quarterly data, checked independently


@needs_real
def test_quarterly_growth_and_annual_totals_against_pandas():
    ms = read_market_series(US_SALES, columns={"observation_date": "period", "ECOMSA": "value"}, unit="USD million")
    assert ms.freq == "quarterly" and str(ms.periods[0]) == "1999Q4" and ms.levels.as_series().iloc[-1] == 308910
    raw = pd.read_csv(US_SALES)
    raw["q"] = pd.PeriodIndex(pd.to_datetime(raw["observation_date"]), freq="Q")
    s = raw.set_index("q")["ECOMSA"].astype(float)
    table = market.growth_table(ms).set_index("period")
    expected_yoy = (s / s.shift(4) - 1) * 100
    expected_qoq = (s / s.shift(1) - 1) * 100
    np.testing.assert_allclose(table["yoy_from_levels_pct"].to_numpy(), expected_yoy.to_numpy(), equal_nan=True)
    np.testing.assert_allclose(table["pop_pct"].to_numpy(), expected_qoq.to_numpy(), equal_nan=True)
    totals = ms.annual_totals()
    by_year = s.groupby(s.index.year).agg(["sum", "count"])
    full = by_year[by_year["count"] == 4]["sum"]
    assert list(totals.index.year) == list(full.index) and np.allclose(totals.to_numpy(), full.to_numpy())
    assert 1999 not in list(totals.index.year)  # one quarter only: never summed short
    cg = market.compound_growth(ms, 2019, 2024)
    assert (cg.start, cg.end) == ("2019Q4", "2024Q4")
    assert cg.rate_pct == pytest.approx(((s["2024Q4"] / s["2019Q4"]) ** 0.2 - 1) * 100)
    target = market.forecast_target(ms, last=2024)
    assert target.aggregated and target.growth is None and str(target.series.index[-1]) == "2024"


def test_words_follow_the_series(nbs_series):
    words = market_text.growth_words(nbs_series)
    assert words["level"]["zh"] == "全国网上零售额（亿元）" and "official" in words["published"]["en"]
    assert words["level"]["en"] == "Online retail sales (100 mn yuan)"  # the unit in English words
    growth = market.growth_table(nbs_series, first=2014, last=2024)
    text = market_text.gap_paragraph(nbs_series, growth, 1.0)
    assert "最近一期 2024 年为 7.2% 对 0.6%" in text["zh"] and "[[tab:growth_table]]" in text["en"]
    assert market_text.source_note(nbs_series)["zh"] == "来源：国家统计局；作者计算。"
