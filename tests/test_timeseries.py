"""TimeSeries: parsing, frequency inference, data-quality checks and YTD → monthly derivation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.trends import monthly_from_ytd
from reportkit.data.nbs import load_nbs_annual, load_nbs_monthly_ytd
from reportkit.data.timeseries import QualityNote, TimeSeries, ytd_blocks
from reportkit.errors import AnalysisError, DataError
from reportkit.i18n import Text, TranslationError

US_ECOMSA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "us_ecommerce_sales_ECOMSA.csv"
ONLINE = "online_retail_ytd_100m_yuan"


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return load_nbs_monthly_ytd()


@pytest.fixture(scope="module")
def online_ytd(monthly) -> TimeSeries:
    return TimeSeries.from_ytd_frame(monthly, value=ONLINE, name="全国网上零售额", unit="亿元")


@pytest.fixture(scope="module")
def online(online_ytd) -> TimeSeries:
    return online_ytd.to_levels()


def frame(dates, values) -> pd.DataFrame:
    return pd.DataFrame({"date": dates, "sales": values})


def quarterly(n=8, start="2022Q1") -> pd.DataFrame:
    periods = pd.period_range(start, periods=n, freq="Q")
    return frame([str(p) for p in periods], [100.0 + i for i in range(n)])


# ----------------------------------------------------------------- NBS 2024 year-to-date → monthly


def test_2024_jan_feb_is_one_block_equal_to_the_cumulative_value(online):
    block = {b.label: b for b in online.blocks}["2024-01..02"]
    assert block.status == "jan_feb_combined"
    assert block.value == 21535 and block.ytd_value == 21535
    assert block.n_periods == 2
    assert np.isnan(online.values["2024-01"]) and np.isnan(online.values["2024-02"])  # not split


def test_english_notes_write_the_unit_as_the_tables_label_it(online):
    notes = [n.message for n in online.quality if n.code in ("jan_feb_combined", "block")]
    assert len(notes) >= 3
    for note in notes:  # the number as recorded, its unit in words; the Chinese note keeps 亿元
        assert "亿元" not in note["en"] and "(100 mn yuan)" in note["en"] and "亿元" in note["zh"], note["en"]
    assert any("21,535 (100 mn yuan) (the cumulative value)" in n["en"] for n in notes)


def test_2024_months_around_missing_cumulative_periods_are_unknown(online_ytd, online):
    # the file has no 2024-01..04 and no 2024-01..09 (2024-01..11 is present)
    assert np.isnan(online_ytd.values["2024-04"]) and np.isnan(online_ytd.values["2024-09"])
    assert online_ytd.values["2024-11"] == 140308
    for month in ("2024-04", "2024-05", "2024-09", "2024-10"):
        assert np.isnan(online.values[month]), month
    blocks = {b.label: b for b in online.blocks}
    assert blocks["2024-04..05"].value == 57669 - 33082
    assert blocks["2024-04..05"].status == "block"
    assert [str(p) for p in blocks["2024-04..05"].missing] == ["2024-04"]
    assert blocks["2024-09..10"].value == 123632 - 96352
    # the neighbours of the blocks are known months
    assert online.values["2024-03"] == 33082 - 21535
    assert online.values["2024-06"] == 70991 - 57669
    assert online.values["2024-08"] == 96352 - 83784
    assert online.values["2024-11"] == 140308 - 123632
    # a missing value is never zero
    assert (online.values.dropna() != 0).all()
    notes = {n.code: n for n in online.quality}
    assert "2024-01..04" in notes["gap"].text("en") and "2024-01..09" in notes["gap"].text("en")
    block_notes = [n for n in online.quality if n.code == "block"]
    assert any(n.periods == ("2024-04", "2024-05") and "2024-01..04" in n.text("en") for n in block_notes)
    assert any("2024年1–4月累计" in n.text("zh") for n in block_notes)


def test_2024_december_and_year_total_equal_the_annual_level(online):
    annual = load_nbs_annual().set_index("year")
    assert online.values["2024-12"] == 155225 - 140308
    known = online.values["2024"].dropna().sum()
    blocks = sum(b.value for b in online.blocks if b.start.year == 2024)
    assert known + blocks == 155225 == annual.loc[2024, "online_retail_100m_yuan"]
    # every 2024 month is either known or inside exactly one block
    covered = [p for b in online.blocks if b.start.year == 2024
               for p in pd.period_range(b.start, b.end, freq="M")]
    known_months = list(online.values["2024"].dropna().index)
    assert sorted(covered + known_months) == list(pd.period_range("2024-01", "2024-12", freq="M"))


def test_every_year_sums_to_december_for_all_three_series(monthly):
    for column in (ONLINE, "physical_online_ytd_100m_yuan", "scgr_ytd_100m_yuan"):
        levels = TimeSeries.from_ytd_frame(monthly, value=column).to_levels()
        for year in (2022, 2023, 2024):
            total = levels.values[str(year)].dropna().sum() + sum(
                b.value for b in levels.blocks if b.start.year == year)
            december = monthly.set_index("period").loc[f"{year}-01..12", column]
            assert total == december, (column, year)


def test_empty_cell_is_a_gap_not_zero(monthly):
    physical = TimeSeries.from_ytd_frame(monthly, value="physical_online_ytd_100m_yuan")
    gap = next(n for n in physical.quality if n.code == "gap")
    assert "2024-01..05" in gap.text("en") and "empty value" in gap.text("en")
    levels = physical.to_levels()
    block = {b.label: b for b in levels.blocks}["2024-04..06"]
    assert block.value == 59596 - 28053


def test_to_levels_agrees_with_monthly_from_ytd(monthly, online):
    table = monthly_from_ytd(monthly, "online_retail")
    months = table[table["status"] == "month"]
    for period, value in zip(months["period"], months["value"], strict=True):
        assert online.values[period] == value
    multi = table[table["status"].isin(["block", "jan_feb_combined"])].set_index("period")["value"]
    assert {b.label: b.value for b in online.blocks} == multi.to_dict()


def test_missing_tail_of_a_year_is_an_unknown_block(monthly):
    cut = monthly[monthly["period"] != "2023-01..12"]
    levels = TimeSeries.from_ytd_frame(cut, value=ONLINE).to_levels()
    unknown = [b for b in levels.blocks if b.status == "unknown"]
    assert [(b.label, np.isnan(b.value)) for b in unknown] == [("2023-12", True)]
    assert np.isnan(levels.values["2023-12"])
    assert any(n.code == "unknown" and n.periods == ("2023-12",) for n in levels.quality)
    # January 2024 is not differenced against December 2023
    assert {b.label: b.value for b in levels.blocks}["2024-01..02"] == 21535


def test_ytd_blocks_quarterly_cumulative():
    cum = pd.Series([10.0, np.nan, 35.0, 50.0], index=pd.period_range("2024Q1", periods=4, freq="Q"))
    blocks = ytd_blocks(cum)
    assert [(b.label, b.value, b.status) for b in blocks] == [
        ("2024Q1", 10.0, "period"), ("2024Q2..Q3", 25.0, "block"), ("2024Q4", 15.0, "period"),
    ]


def test_from_ytd_frame_rejects_other_labels():
    with pytest.raises(DataError, match=r"column 'period'.*row 1 \('2024-03'.*2024-01\.\.02"):
        TimeSeries.from_ytd_frame(pd.DataFrame({"period": ["2024-01..02", "2024-03"], "v": [1, 2]}),
                                  value="v")
    with pytest.raises(DataError, match="kind='cumulative'"):
        TimeSeries.from_frame(pd.DataFrame({"d": ["2024-01..02", "2024-01..03"], "v": [1, 2]}),
                              date="d", value="v")


# ----------------------------------------------------------------- parsing and frequency


@pytest.mark.parametrize(
    ("dates", "freq", "first"),
    [
        (["2022", "2023", "2024"], "annual", "2022"),
        ([2022, 2023, 2024], "annual", "2022"),
        (["2024年", "2025年"], "annual", "2024"),
        (["2024Q3", "2024Q4", "2025Q1"], "quarterly", "2024Q3"),
        (["2024-Q3", "2024 Q4", "2025q1"], "quarterly", "2024Q3"),
        (["2024年第3季度", "2024年第4季度"], "quarterly", "2024Q3"),
        (["2024-11", "2024-12", "2025-01"], "monthly", "2024-11"),
        (["2024/11", "2024/12"], "monthly", "2024-11"),
        (["2024年11月", "2024年12月"], "monthly", "2024-11"),
        (["2024M11", "2024M12"], "monthly", "2024-11"),
        (["1999-10-01", "2000-01-01", "2000-04-01"], "quarterly", "1999Q4"),   # FRED style
        (["2024-03-31", "2024-06-30", "2024-09-30"], "quarterly", "2024Q1"),   # quarter ends
        (["2024-01-15", "2024-02-15", "2024-03-15"], "monthly", "2024-01"),
        (["2020-01-01", "2021-01-01", "2022-01-01"], "annual", "2020"),
        (["Mar 2024", "Apr 2024"], "monthly", "2024-03"),
    ],
)
def test_dates_parse_and_frequency_is_inferred(dates, freq, first):
    ts = TimeSeries.from_frame(frame(dates, range(1, len(dates) + 1)), date="date", value="sales")
    assert ts.freq == freq
    assert str(ts.start) == first
    assert ts.season_length == {"annual": 1, "quarterly": 4, "monthly": 12}[freq]
    assert ts.values.dtype == float and len(ts) == len(dates)


def test_datetime_column_and_given_frequency():
    stamps = pd.to_datetime(["1999-10-01", "2000-01-01", "2000-04-01"])
    ts = TimeSeries.from_frame(frame(stamps, [1, 2, 3]), date="date", value="sales", freq="quarterly")
    assert list(map(str, ts.values.index)) == ["1999Q4", "2000Q1", "2000Q2"]
    with pytest.raises(DataError, match=r"coarser than freq='monthly'.*'2024' is a year"):
        TimeSeries.from_frame(frame(["2024", "2025"], [1, 2]), date="date", value="sales", freq="monthly")


@pytest.mark.parametrize(
    ("dates", "pattern"),
    [
        (["2020-01-01", "2020-07-01", "2021-01-01"], r"6 months apart.*ambiguous.*pass freq="),
        (["2024-03-01"], r"one date .* cannot tell the frequency"),
        (["2024", "2024-03"], r"mixed date formats.*row 0 '2024' \(a year\).*row 1 '2024-03' \(a month\)"),
        (["2024-03-01", "2024-03-08"], r"same month.*finer than monthly"),
    ],
)
def test_ambiguous_frequency_is_an_error(dates, pattern):
    with pytest.raises(DataError, match=pattern) as info:
        TimeSeries.from_frame(frame(dates, range(len(dates))), date="date", value="sales",
                              source="my.csv")
    assert info.value.column == "date" and str(info.value).startswith("my.csv: ")


def test_unreadable_and_missing_dates_name_the_rows():
    with pytest.raises(DataError, match=r"column 'date' has 2 missing or unreadable.*row 1 \('soon'.*row 2 \(empty\)"):
        TimeSeries.from_frame(frame(["2024", "soon", None], [1, 2, 3]), date="date", value="sales")


# ----------------------------------------------------------------- data-quality cases


def test_out_of_order_is_an_error_naming_the_pair_and_rows():
    df = frame(["2024Q1", "2024Q3", "2024Q2", "2024Q4"], [1, 3, 2, 4])
    with pytest.raises(DataError, match=r"column 'date': dates out of order: row 2 \(2024Q2\) comes after "
                                        r"row 1 \(2024Q3\).*on_unsorted='sort'") as info:
        TimeSeries.from_frame(df, date="date", value="sales", source="sales.csv")
    assert info.value.column == "date" and info.value.path == "sales.csv"


def test_out_of_order_can_be_sorted_with_a_note():
    df = frame(["2024Q1", "2024Q3", "2024Q2", "2024Q4"], [1, 3, 2, 4])
    ts = TimeSeries.from_frame(df, date="date", value="sales", on_unsorted="sort")
    assert list(ts.values) == [1.0, 2.0, 3.0, 4.0]
    note = ts.quality[0]
    assert isinstance(note, QualityNote) and note.code == "sorted" and note.periods == ("2024Q2",)
    assert "2024Q2" in note.text("en") and "排序" in note.text("zh")


def test_a_quality_note_holds_a_text_and_keeps_its_json_shape():
    df = frame(["2024Q1", "2024Q3", "2024Q2", "2024Q4"], [1, 3, 2, 4])
    note = TimeSeries.from_frame(df, date="date", value="sales", on_unsorted="sort").quality[0]
    assert isinstance(note.message, Text) and note.message["en"] == note.text("en")
    assert json.loads(json.dumps(note.to_dict(), ensure_ascii=False)) == {
        "code": "sorted", "message": {"zh": note.text("zh"), "en": note.text("en")},
        "periods": ["2024Q2"]}
    assert QualityNote("x", {"zh": "甲", "en": "a"}) == QualityNote("x", Text(zh="甲", en="a"))
    assert hash(QualityNote("x", Text(zh="甲", en="a"))) == hash(QualityNote("x", Text(zh="甲", en="a")))
    with pytest.raises(TranslationError):
        QualityNote("x", Text(zh="甲")).text("en")
    with pytest.raises(AnalysisError, match="lang"):
        TimeSeries.from_frame(df, date="date", value="sales", on_unsorted="sort").quality_messages("fr")


def test_duplicate_period_is_always_an_error():
    df = frame(["2024-01", "2024-02", "2024-02-15", "2024-03"], [1, 2, 3, 4])
    for policy in ("error", "sort"):
        with pytest.raises(DataError, match=r"column 'date': period 2024-02 appears more than once "
                                            r"\(row 1, row 2: '2024-02', '2024-02-15'\)") as info:
            TimeSeries.from_frame(df, date="date", value="sales", freq="monthly", on_unsorted=policy)
        assert info.value.column == "date"


def test_gap_is_an_error_listing_the_missing_periods():
    df = frame(["2023Q3", "2023Q4", "2024Q3", "2024Q4"], [1, 2, 3, 4])
    with pytest.raises(DataError, match=r"gaps in the quarterly series: column 'date' misses 2 period\(s\) "
                                        r"between 2023Q3 and 2024Q4: 2024Q1\.\.2024Q2 \(after row 1 \(2023Q4\), before row 2 "
                                        r"\(2024Q3\)\).*on_gap='keep'"):
        TimeSeries.from_frame(df, date="date", value="sales")


def test_empty_value_is_a_gap():
    df = frame(["2024Q1", "2024Q2", "2024Q3"], [1, None, 3])
    with pytest.raises(DataError, match=r"gaps in the quarterly series: column 'sales' is empty at row 1 \(2024Q2\)") as info:
        TimeSeries.from_frame(df, date="date", value="sales")
    assert info.value.column == "sales"


def test_gap_can_be_kept_as_unknown_with_a_note():
    df = frame(["2023Q3", "2023Q4", "2024Q3", "2024Q4"], [1, 2, 3, 4])
    ts = TimeSeries.from_frame(df, date="date", value="sales", on_gap="keep")
    assert len(ts) == 6 and ts.n_missing == 2
    assert np.isnan(ts.values["2024Q1"]) and np.isnan(ts.values["2024Q2"])
    note = ts.quality[0]
    assert note.code == "gap" and note.periods == ("2024Q1", "2024Q2")
    assert "not zero" in note.text("en") and "不作为零" in note.text("zh")


def test_negative_values_are_an_error_naming_periods_and_rows():
    df = frame(["2024-01", "2024-02", "2024-03"], [5, -2, 7])
    with pytest.raises(DataError, match=r"column 'sales' has 1 negative value\(s\): row 1 \(2024-02 = -2\)"
                                        r".*on_negative='keep'") as info:
        TimeSeries.from_frame(df, date="date", value="sales")
    assert info.value.column == "sales"


def test_negative_values_can_be_kept_with_a_note():
    df = frame(["2024-01", "2024-02", "2024-03"], [5, -2, 7])
    ts = TimeSeries.from_frame(df, date="date", value="sales", on_negative="keep")
    assert ts.values["2024-02"] == -2
    assert [(n.code, n.periods) for n in ts.quality] == [("negative", ("2024-02",))]


def test_falling_cumulative_value_is_an_error_or_a_note():
    df = pd.DataFrame({"period": ["2024-01..02", "2024-01..03", "2024-01..04"], "v": [10, 8, 12]})
    with pytest.raises(DataError, match=r"falls within a year.*row 1 \(2024-01\.\.03 = 8 < 2024-01\.\.02 = 10\)"):
        TimeSeries.from_ytd_frame(df, value="v")
    ts = TimeSeries.from_ytd_frame(df, value="v", on_negative="keep")
    assert "cumulative_decrease" in [n.code for n in ts.quality]
    assert ts.to_levels().values["2024-03"] == -2


def test_non_numeric_values_name_the_rows():
    df = frame(["2024", "2025", "2026"], ["1,234", "n/a", 7])
    with pytest.raises(DataError, match=r"column 'sales' has 2 non-numeric value\(s\): row 0 \('1,234'\), "
                                        r"row 1 \('n/a'\).*thousands") as info:
        TimeSeries.from_frame(df, date="date", value="sales", source="x.csv")
    assert info.value.column == "sales" and info.value.path == "x.csv"


def test_empty_data_are_an_error():
    with pytest.raises(DataError, match=r"no rows: the series in column 'sales' is empty"):
        TimeSeries.from_frame(frame([], []), date="date", value="sales")
    with pytest.raises(DataError, match=r"column 'sales' has no values \(all 2 cells are empty\)"):
        TimeSeries.from_frame(frame(["2024", "2025"], [None, None]), date="date", value="sales")


def test_missing_column_lists_the_available_ones():
    with pytest.raises(DataError, match=r"column 'value' not found; available columns: date, sales"):
        TimeSeries.from_frame(frame(["2024"], [1]), date="date", value="value")


def test_read_names_csv_lines_and_the_file(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("month,sales\n2024-01,10\n2024-03,30\n2024-02,20\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"sales\.csv: column 'month': dates out of order: line 4 \(2024-02\) "
                                        r"comes after line 3 \(2024-03\)"):
        TimeSeries.read(path, date="month", value="sales")
    ts = TimeSeries.read(path, date="month", value="sales", on_unsorted="sort")
    assert ts.source == str(path.resolve()) and list(ts.values) == [10.0, 20.0, 30.0]


def test_bad_options_are_analysis_errors():
    with pytest.raises(AnalysisError, match=r"on_gap: expected one of 'error', 'keep'; got 'fill'"):
        TimeSeries.from_frame(quarterly(), date="date", value="sales", on_gap="fill")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="freq"):
        TimeSeries.from_frame(quarterly(), date="date", value="sales", freq="weekly")  # type: ignore[arg-type]


# ----------------------------------------------------------------- container behaviour


def test_complete_keeps_the_trailing_known_run_with_a_note(online):
    tail = online.complete()
    assert list(map(str, tail.values.index)) == ["2024-11", "2024-12"]
    assert tail.values.notna().all()
    note = tail.quality[-1]
    assert note.code == "cut" and "dropped 34 earlier month(s)" in note.text("en")
    assert "2022-01" in note.periods
    full = TimeSeries.from_frame(quarterly(), date="date", value="sales")
    assert full.complete() is full
    with pytest.raises(AnalysisError, match="to_levels"):
        TimeSeries.from_ytd_frame(load_nbs_monthly_ytd(), value=ONLINE).complete()


def test_as_series_is_a_copy_and_the_container_is_frozen():
    ts = TimeSeries.from_frame(quarterly(), date="date", value="sales", name="s")
    series = ts.as_series()
    assert isinstance(series.index, pd.PeriodIndex) and series.name == "s"
    series.iloc[0] = -1
    assert ts.values.iloc[0] == 100.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        ts.name = "other"  # type: ignore[misc]


def test_constructor_checks_the_index():
    index = pd.PeriodIndex(["2024Q1", "2024Q3"], freq="Q")
    with pytest.raises(AnalysisError, match="complete"):
        TimeSeries(values=pd.Series([1.0, 2.0], index=index), freq="quarterly")
    with pytest.raises(AnalysisError, match="does not match"):
        TimeSeries(values=pd.Series([1.0], index=pd.PeriodIndex(["2024-01"], freq="M")), freq="quarterly")


# ----------------------------------------------------------------- any market: US Census e-commerce


def test_us_quarterly_series_reads_with_quarterly_frequency_inferred():
    if not US_ECOMSA.is_file():
        pytest.skip(f"real data not available: {US_ECOMSA} (US Census ECOMSA via FRED; only on dev machines)")
    ts = TimeSeries.read(US_ECOMSA, date="observation_date", value="ECOMSA", unit="million USD")
    assert ts.freq == "quarterly" and ts.season_length == 4
    assert str(ts.start) == "1999Q4" and str(ts.end) == "2024Q4" and len(ts) == 101
    assert ts.values["2024Q4"] == 308910
    assert ts.quality == () and ts.n_missing == 0
