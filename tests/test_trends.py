"""Market-trend analysis on the NBS series: growth both ways, CAGR, shares, monthly values, contributions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.trends import (
    CAGRResult,
    cagr,
    growth_table,
    monthly_from_ytd,
    share_table,
)
from reportkit.data.nbs import load_nbs_annual, load_nbs_monthly_ytd
from reportkit.errors import AnalysisError


@pytest.fixture(scope="module")
def annual() -> pd.DataFrame:
    return load_nbs_annual()


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return load_nbs_monthly_ytd()


# ----------------------------------------------------------------- growth


def test_growth_table_2024_both_ways(annual):
    table = growth_table(annual, "online_retail")
    assert list(table.columns) == [
        "year", "level", "yoy_official_pct", "yoy_from_levels_pct", "gap_pp", "flag", "note",
    ]
    row = table.set_index("year").loc[2024]
    assert row["level"] == 155225
    assert row["yoy_official_pct"] == 7.2
    assert row["yoy_from_levels_pct"] == pytest.approx((155225 / 154264 - 1) * 100, abs=1e-9)
    assert row["yoy_from_levels_pct"] == pytest.approx(0.62, abs=0.01)
    assert row["gap_pp"] == pytest.approx(7.2 - 0.623, abs=1e-3)
    assert bool(row["flag"]) is True
    assert row["note"] == ""
    assert "official" in table.attrs["labels"]["yoy_official_pct"].lower()
    assert "levels" in table.attrs["labels"]["yoy_from_levels_pct"]


def test_growth_table_recomputed_agrees_with_published(annual):
    for series in ("online_retail", "physical_online", "scgr"):
        table = growth_table(annual, series)
        assert (table["note"] == "").all(), table.loc[table["note"] != "", ["year", "note"]]


def test_growth_table_notes_disagreement_and_window(annual):
    edited = annual.copy()
    edited.loc[edited["year"] == 2020, "online_retail_yoy_from_levels_pct"] = 99.0
    table = growth_table(edited, first_year=2019, last_year=2021).set_index("year")
    assert list(table.index) == [2019, 2020, 2021]
    assert not np.isnan(table.loc[2019, "yoy_from_levels_pct"])  # growth computed before window
    assert table.loc[2020, "yoy_from_levels_pct"] == pytest.approx(10.606, abs=1e-3)
    assert "99.0" in table.loc[2020, "note"] and "recomputed" in table.loc[2020, "note"]


def test_growth_table_threshold_and_bad_series(annual):
    table = growth_table(annual, "scgr", flag_threshold_pp=5.0).set_index("year")
    assert bool(table.loc[2018, "flag"]) is False  # +9.0 official vs +4.0 from levels: 4.98 pp
    assert bool(growth_table(annual, "scgr").set_index("year").loc[2018, "flag"]) is True
    with pytest.raises(AnalysisError, match="expected one of .*; got 'gmv'"):
        growth_table(annual, "gmv")


# ----------------------------------------------------------------- CAGR


def test_cagr_2019_2024(annual):
    result = cagr(annual, "online_retail", 2019, 2024)
    reference = ((155225 / 106324) ** (1 / 5) - 1) * 100
    assert isinstance(result, CAGRResult)
    assert result.cagr_pct == pytest.approx(reference, rel=1e-12)
    assert (result.start_year, result.end_year, result.years) == (2019, 2024, 5)
    assert (result.start_value, result.end_value) == (106324, 155225)
    chained = (np.prod([1.109, 1.141, 1.040, 1.110, 1.072]) ** (1 / 5) - 1) * 100
    assert result.cagr_official_chained_pct == pytest.approx(chained, rel=1e-12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cagr_pct = 0  # frozen


def test_cagr_errors(annual):
    with pytest.raises(AnalysisError, match="after start_year"):
        cagr(annual, "online_retail", 2024, 2019)
    with pytest.raises(AnalysisError, match="2014"):
        cagr(annual, "physical_online", 2014, 2020)  # no physical split in 2014


# ----------------------------------------------------------------- shares


def test_share_table_published_and_computed(annual):
    table = share_table(annual).set_index("year")
    assert table.index.min() == 2015
    assert table.loc[2024, "share_published_pct"] == 26.8
    assert table.loc[2024, "share_from_levels_pct"] == pytest.approx(100 * 130816 / 487895)
    assert (table["gap_pp"].abs() < 0.06).all()
    other = share_table(annual, "online_retail", "scgr")
    assert other["share_published_pct"].isna().all()


# ----------------------------------------------------------------- monthly


def test_monthly_from_ytd_values_and_blocks(monthly):
    table = monthly_from_ytd(monthly, "online_retail")
    by_period = table.set_index("period")
    # Jan-Feb block equals the cumulative value and is not split
    for year in (2022, 2023, 2024):
        row = by_period.loc[f"{year}-01..02"]
        cumulative = monthly.set_index("period").loc[f"{year}-01..02", "online_retail_ytd_100m_yuan"]
        assert row["value"] == cumulative and row["status"] == "jan_feb_combined"
        assert row["n_months"] == 2
        assert f"{year}-01" not in by_period.index and f"{year}-02" not in by_period.index
    # December 2024 by differencing
    assert by_period.loc["2024-12", "value"] == 155225 - 140308
    assert by_period.loc["2024-12", "status"] == "month"
    # 2022 misses 01..05 to 01..08: May-September only known as a five-month block
    block = by_period.loc["2022-05..09"]
    assert block["status"] == "block" and block["n_months"] == 5
    assert block["value"] == 95884 - 38692
    for month in range(5, 10):
        assert f"2022-{month:02d}" not in by_period.index
    assert "2022-01..05" in block["note"] and "2022-01..08" in block["note"]


def test_monthly_from_ytd_never_zero_and_covers_every_month(monthly):
    for series in ("online_retail", "physical_online", "scgr"):
        table = monthly_from_ytd(monthly, series)
        assert (table["value"].dropna() > 0).all()
        for year, part in table.groupby("year"):
            months = [m for s, e in zip(part["start_month"], part["end_month"], strict=True) for m in range(s, e + 1)]
            assert months == list(range(1, 13)), (series, year)
            annual_total = part["value"].sum()
            assert annual_total == part["ytd_value"].iloc[-1]
    # physical goods 2024-01..05 is empty: April-June become one block
    phys = monthly_from_ytd(monthly, "physical_online").set_index("period")
    assert phys.loc["2024-04..06", "value"] == 59596 - 28053
    assert "physical_online empty" in phys.loc["2024-04..06", "note"]


def test_monthly_from_ytd_missing_tail_is_nan_not_zero(monthly):
    cut = monthly[~monthly["period"].isin(["2024-01..11", "2024-01..12"])]
    table = monthly_from_ytd(cut).set_index("period")
    tail = table.loc["2024-11..12"]
    assert tail["status"] == "unknown"
    assert np.isnan(tail["value"]) and np.isnan(tail["ytd_value"])
    assert (table["value"] != 0).all()


# ----------------------------------------------------------------- 2024 year-to-date → monthly (TimeSeries)

from reportkit.analysis.trends import contribution_to_growth, growth_caveat, mom, yoy  # noqa: E402
from reportkit.data.timeseries import TimeSeries  # noqa: E402


@pytest.fixture(scope="module")
def online_levels(monthly) -> TimeSeries:
    ytd = TimeSeries.from_ytd_frame(monthly, value="online_retail_ytd_100m_yuan", unit="亿元")
    return ytd.to_levels()


def test_2024_ytd_derivation_jan_feb_gaps_and_december(annual, online_levels):
    values = online_levels.values
    blocks = {b.label: b for b in online_levels.blocks}
    # January-February: one value equal to the cumulative 21,535, not split
    assert blocks["2024-01..02"].value == 21535
    assert np.isnan(values["2024-01"]) and np.isnan(values["2024-02"])
    # 2024-01..04 and 2024-01..09 are missing: April-May and September-October are unknown
    for month in ("2024-04", "2024-05", "2024-09", "2024-10"):
        assert np.isnan(values[month])
    assert blocks["2024-04..05"].value == 57669 - 33082
    assert blocks["2024-09..10"].value == 123632 - 96352
    # December by differencing; the year adds up to the annual level exactly
    assert values["2024-12"] == 155225 - 140308
    year_total = values["2024"].dropna().sum() + sum(
        b.value for b in online_levels.blocks if b.start.year == 2024)
    assert year_total == 155225 == annual.set_index("year").loc[2024, "online_retail_100m_yuan"]


# ----------------------------------------------------------------- period growth


def test_mom_is_nan_across_a_gap():
    df = pd.DataFrame({"m": ["2024-01", "2024-02", "2024-04", "2024-05"], "v": [100.0, 110.0, 121.0, 133.1]})
    ts = TimeSeries.from_frame(df, date="m", value="v", on_gap="keep")
    growth = mom(ts)
    assert growth.name == "mom_pct" and isinstance(growth.index, pd.PeriodIndex)
    assert growth["2024-02"] == pytest.approx(10.0, abs=1e-12)
    assert np.isnan(growth["2024-01"]) and np.isnan(growth["2024-03"])
    assert np.isnan(growth["2024-04"])  # not 121/110: March is unknown
    assert growth["2024-05"] == pytest.approx(10.0, abs=1e-9)
    assert growth.attrs["label_en"] == "Month-on-month growth, %"


def test_mom_on_nbs_derived_months_never_spans_a_block(online_levels):
    growth = mom(online_levels)
    assert growth["2024-07"] == pytest.approx((12793 / 13322 - 1) * 100, rel=1e-12)
    for month in ("2024-03", "2024-06", "2024-11"):  # previous month inside a block
        assert np.isnan(growth[month]), month
    with pytest.raises(AnalysisError, match="to_levels"):
        mom(TimeSeries.from_ytd_frame(load_nbs_monthly_ytd(), value="online_retail_ytd_100m_yuan"))


def test_quarterly_qoq_and_yoy():
    periods = pd.period_range("2023Q1", periods=8, freq="Q")
    ts = TimeSeries.from_frame(pd.DataFrame({"q": [str(p) for p in periods],
                                             "v": [100, 105, 110, 120, 110, 115, 121, 132]}),
                               date="q", value="v")
    assert mom(ts).name == "qoq_pct"
    assert mom(ts)["2023Q2"] == pytest.approx(5.0)
    growth = yoy(ts)
    assert growth["2024Q1"] == pytest.approx(10.0) and growth["2024Q4"] == pytest.approx(10.0)
    assert growth["2023"].isna().all()


# ----------------------------------------------------------------- contribution to growth


def test_contribution_of_physical_online_to_scgr_growth(annual):
    table = contribution_to_growth(annual)
    assert table.attrs["parts"] == ("physical_online",) and table.attrs["total"] == "scgr"
    assert table.attrs["caveat"] == ""
    known = table.dropna(subset=["physical_online_contribution_pp"])
    total = known["physical_online_contribution_pp"] + known["other_contribution_pp"]
    np.testing.assert_allclose(total, known["total_growth_pct"], rtol=0, atol=1e-9)
    row = table.set_index("year").loc[2024]
    assert row["physical_online_contribution_pp"] == pytest.approx((130816 - 130174) / 471495 * 100, rel=1e-12)
    assert row["total_growth_pct"] == pytest.approx((487895 / 471495 - 1) * 100, rel=1e-12)
    assert row["other_level"] == 487895 - 130816
    # the total's growth is from levels, as in growth_table
    gt = growth_table(annual, "scgr").set_index("year")["yoy_from_levels_pct"]
    np.testing.assert_allclose(table.set_index("year")["total_growth_pct"].dropna(), gt.dropna(), atol=1e-12)
    # physical goods were first published for 2015: 2015's contribution is unknown, with a note
    first = table.set_index("year").loc[2015]
    assert np.isnan(first["physical_online_contribution_pp"]) and "2014" in first["note"]
    assert "offline" not in table.attrs["labels"]["other_contribution_pp"].lower()


def test_contribution_of_online_retail_carries_a_caveat(annual):
    table = contribution_to_growth(annual, parts=("online_retail",), total="scgr")
    known = table.dropna(subset=["online_retail_contribution_pp", "total_growth_pct"])
    np.testing.assert_allclose(
        known["online_retail_contribution_pp"] + known["other_contribution_pp"],
        known["total_growth_pct"], rtol=0, atol=1e-9)
    assert "services" in table.attrs["caveat"] and "not offline" in table.attrs["caveat"]
    with pytest.raises(AnalysisError, match="part of 'online_retail'"):
        contribution_to_growth(annual, parts=("physical_online", "online_retail"))
    with pytest.raises(AnalysisError, match="both a part and the total"):
        contribution_to_growth(annual, parts=("scgr",))


# ----------------------------------------------------------------- growth caveat


def test_growth_caveat_states_both_numbers_and_the_reason(annual):
    table = growth_table(annual, "online_retail", last_year=2024)
    en = growth_caveat(table, threshold_pp=1.0, lang="en")
    assert "2024: official 7.2 %, from published levels 0.6 % (gap +6.6 pp)" in en
    assert en.startswith("Online retail sales:")
    assert "restates the prior-year base" in en
    assert "2020" not in en  # 10.9 vs 10.6: within 1 pp
    zh = growth_caveat(table, threshold_pp=1.0, lang="zh")
    assert "2024年官方增速7.2%，按公布总量计算0.6%" in zh and "全国网上零售额" in zh
    assert "上年基数" in zh
    assert growth_caveat(table, threshold_pp=100.0, lang="en") == ""
    assert growth_caveat(table, threshold_pp=100.0, lang="zh") == ""
    assert growth_caveat(table, threshold_pp=1.0, series_label="Online", lang="en").startswith("Online:")
    with pytest.raises(AnalysisError, match="lang"):
        growth_caveat(table, threshold_pp=1.0, lang="fr")


def test_growth_labels_and_caveat_come_from_the_catalogue_in_every_language(annual):
    from reportkit import i18n

    df = pd.DataFrame({"m": ["2024-01", "2024-02", "2024-03"], "v": [100.0, 110.0, 121.0]})
    growth = mom(TimeSeries.from_frame(df, date="m", value="v"))
    label = i18n.message("trends.growth_mom_monthly")
    assert all(growth.attrs[f"label_{lang}"] == label[lang] for lang in i18n.LANGUAGES)
    table = contribution_to_growth(annual)
    assert table.attrs["labels_zh"]["year"] == "年份" and table.attrs["labels"]["year"] == "Year"
    assert table.attrs["labels_zh"].keys() == table.attrs["labels"].keys()
    with pytest.raises(AnalysisError, match="lang: language 'fr' is not offered; expected one of zh, en"):
        growth_caveat(growth_table(annual), lang="fr")
