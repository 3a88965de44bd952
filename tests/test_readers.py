"""Reading an analyst's files: a catalogue of bad inputs, each refused clearly, and good ones read.

Every catalogue case writes one small file into ``tmp_path``, loads it as an analyst would
(:func:`load_panel`, :func:`load_market_series`, :func:`read_table`) and checks that the error
(or the documented warning) names the file, the column and the line or sheet row, says what was
expected, and that nothing was written: a sibling output folder stays empty and the folder holds
only the input file.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reportkit.data.io import load_data, load_market_series, load_panel
from reportkit.data.numbers import parse_number, parse_numeric_column
from reportkit.data.readers import read_table
from reportkit.data.schemas import parse_date_column, validate_panel
from reportkit.errors import DataError, DataWarning, ReportKitError

TODAY = "2025-06-30"
HEADER = "brand,week,likes,engagement,add_to_cart,orders"
GOOD = [
    "A,2024-01-01,10,20,5,2",
    "A,2024-01-08,11,22,6,3",
    "B,2024-01-01,30,40,9,4",
    "B,2024-01-08,31,41,8,4",
]


def csv_text(*edits: tuple[int, str], header: str = HEADER, rows: list[str] | None = None) -> str:
    """The good panel as CSV text, with data row ``i`` (0-based; line i + 2) replaced."""
    body = list(GOOD if rows is None else rows)
    for index, line in edits:
        body[index] = line
    return "\n".join([header, *body]) + "\n"


def write_text(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        return path
    return build


def write_bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return build


def write_xlsx(name: str, rows: list[list[Any]], *, merge: tuple[str, ...] = (),
               title: str = "数据") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for cells in merge:
            sheet.merge_cells(cells)
        workbook.create_sheet("说明")
        path = folder / name
        workbook.save(path)
        return path
    return build


def write_parquet(name: str, frame: pd.DataFrame) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        frame.to_parquet(path, index=False)
        return path
    return build


def panel(path: Path, **kwargs: Any) -> pd.DataFrame:
    return load_panel(path, today=TODAY, **kwargs)


def series(path: Path, **kwargs: Any) -> pd.DataFrame:
    return load_market_series(path, today=TODAY, **kwargs)


SHEET_ROWS = [["品牌", "周", "点赞", "互动量", "加购"],
              ["A", "2024-01-01", 10, 20, 5],
              ["A", "2024-01-08", 11, 22, 6]]
ZH_MAP = {"品牌": "brand", "周": "week", "点赞": "likes", "互动量": "engagement", "加购": "add_to_cart"}
SERIES_HEADER = "period,value,unit"


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]
    column: str | None  # the column the message must name (None: a file-level problem)
    where: str  # regex for the line / sheet row / byte the message must name
    expected: str  # regex for what was expected (or the reason)
    load: Callable[..., Any] = panel
    kwargs: dict[str, Any] = field(default_factory=dict)
    warning: bool = False


CATALOGUE = [
    # ------------------------------------------------------------------ structure
    Case("missing_column", write_text("p.csv", csv_text(header="brand,week,likes,engagement,"
                                                          "conversion,orders")),
         "add_to_cart", r"header \(line 1\)", r"expected the panel columns"),
    Case("missing_time_role", write_text("p.csv", "brand,engagement,add_to_cart\nA,20,5\nB,40,9\n"),
         "week", r"header \(line 1\)", r"no column for the time role 'week'.*declare a cross-section with time=''"),
    Case("cross_section_repeated_unit", write_text("p.csv", csv_text()), "brand", r"line 2 and line 3",
         r"expected one row per brand; a cross-section", kwargs={"period": None}),
    Case("binary_not_yes_no", write_text("p.csv", "brand,week,engagement,add_to_cart,bought\n"
                                         "A,2024-01-01,20,5,TRUE\nA,2024-01-08,22,6,maybe\n"),
         "bought", r"line 3: 'maybe'", r"expected TRUE/FALSE, yes/no, 1/0", kwargs={"binary": ["bought"]}),
    Case("aggregate_a_weekly_panel", write_text("p.csv", csv_text()), "week", r"column 'week'",
         r"aggregate='week'.*at least 7 days apart.*not daily", kwargs={"aggregate": "week"}),
    Case("unknown_extra_column", write_text("p.csv", "\n".join(
        [HEADER + ",备注", *(r + ",x" for r in GOOD)]) + "\n"),
         "备注", r"header \(line 1\)", r"not panel columns", warning=True),
    Case("empty_file", write_bytes("p.csv", b""), None, r"0 bytes", r"expected a header row"),
    Case("blank_lines_only", write_text("p.csv", "\n \n\n"), None, r"line 1",
         r"expected a header row"),
    Case("header_only", write_text("p.csv", HEADER + "\n"), None, r"line 1",
         r"expected at least one data row"),
    Case("row_with_extra_cells", write_text("p.csv", csv_text((1, "A,2024-01-08,11,22,6,3,99"))),
         None, r"line 3 has 7", r"expected 6 cells on every line"),
    Case("row_with_missing_cells", write_text("p.csv", csv_text((2, "B,2024-01-01,30,40"))),
         None, r"line 4 has 4", r"expected 6 cells"),
    Case("duplicate_header_name", write_text("p.csv", csv_text(
        header="brand,week,likes,engagement,add_to_cart,likes")), "likes", r"line 1",
         r"expected unique column names"),
    Case("unnamed_column_with_data", write_text("p.csv", csv_text(
        header="brand,week,likes,engagement,add_to_cart,")), "#6", r"line 1",
         r"expected a name for every column"),
    Case("semicolon_separated", write_text("p.csv", csv_text(header=HEADER.replace(",", ";"),
                                                             rows=[r.replace(",", ";") for r in GOOD])),
         "brand;week;likes;engagement;add_to_cart;orders", r"line 1", r"separated by semicolons"),
    Case("unclosed_quote", write_text("p.csv", csv_text((3, 'B,2024-01-08,"31,41,8,4'))),
         None, r"line 5", r"quoted"),
    Case("xlsx_renamed_csv", lambda folder: _renamed_xlsx(folder), None, r"ZIP archive",
         r"not a text file"),
    # ------------------------------------------------------------------ encodings
    Case("gbk_not_declared", write_text("p.csv", csv_text(header="品牌,week,likes,engagement,"
                                                          "add_to_cart,orders"), "gbk"),
         None, r"line 1", r'encoding="gb18030"'),
    Case("gbk_declared_as_utf8", write_text("p.csv", csv_text((2, "乙,2024-01-01,30,40,9,4")),
                                            "gbk"), None, r"byte \d+ \(line 4",
         r"declared encoding 'utf-8'", kwargs={"encoding": "utf-8"}),
    Case("utf16_without_bom", write_text("p.csv", csv_text(), "utf-16-le"), None, r"line 1",
         r"UTF-16 without a byte-order mark.*utf-16-le"),
    Case("bom_contradicts_declared", write_bytes("p.csv", b"\xef\xbb\xbf" + csv_text().encode()),
         None, r"UTF-8 byte-order mark", r"expected the two to agree",
         kwargs={"encoding": "gb18030"}),
    Case("unknown_encoding", write_text("p.csv", csv_text()), None, r"encoding",
         r"expected a codec name", kwargs={"encoding": "klingon"}),
    # ------------------------------------------------------------------ keys
    Case("nan_in_entity", write_text("p.csv", csv_text((2, ",2024-01-01,30,40,9,4"))),
         "brand", r"line 4", r"expected a value in every row"),
    Case("nan_in_period", write_text("p.csv", csv_text((1, "A,,11,22,6,3"))),
         "week", r"line 3", r"expected a value in every row"),
    Case("duplicate_entity_period", write_text("p.csv", csv_text((3, "B,2024-01-01,31,41,8,4"))),
         "brand × week", r"line 4 and line 5", r"expected one row per brand and week"),
    Case("entity_with_spaces", write_text("p.csv", csv_text((3, "B ,2024-01-08,31,41,8,4"))),
         "brand", r"line 5", r"without leading or trailing spaces"),
    # ------------------------------------------------------------------ dates
    Case("mixed_date_formats", write_text("p.csv", csv_text((1, "A,2024/1/8,11,22,6,3"),
                                                            (3, "B,01/15/2024,31,41,8,4"))),
         "week", r"line 3: '2024/1/8'.*line 5: '01/15/2024'", r"expected one date format"),
    Case("ambiguous_day_month", write_text("p.csv", csv_text(
        rows=[r.replace("2024-01-01", "01/02/2024").replace("2024-01-08", "08/01/2024")
              for r in GOOD])), "week", r"line 2", r"date_format='%m/%d/%Y'"),
    Case("future_date", write_text("p.csv", csv_text((3, "B,2030-01-07,31,41,8,4"))),
         "week", r"line 5", r"expected no date in the future"),
    Case("date_before_2000", write_text("p.csv", csv_text((0, "A,1999-12-27,10,20,5,2"))),
         "week", r"line 2", r"on or after 2000-01-01"),
    Case("impossible_date", write_text("p.csv", csv_text((0, "A,2024-02-30,10,20,5,2"))),
         "week", r"line 2", r"not a calendar date"),
    Case("time_of_day", write_text("p.csv", csv_text((0, "A,2024-01-01 10:30,10,20,5,2"))),
         "week", r"line 2", r"time of day"),
    Case("excel_serial_dates", write_text("p.csv", csv_text((0, "A,45292,10,20,5,2"))),
         "week", r"line 2", r"Excel serial day number"),
    Case("dates_out_of_order", write_text("p.csv", csv_text(rows=[GOOD[1], GOOD[0], *GOOD[2:]])),
         "week", r"line 3", r"sorted by brand and week", warning=True),
    Case("dates_out_of_order_refused", write_text("p.csv", csv_text(rows=[GOOD[1], GOOD[0],
                                                                          *GOOD[2:]])),
         "week", r"line 3", r"expected rows sorted", kwargs={"on_unsorted": "error"}),
    # ------------------------------------------------------------------ numbers
    Case("wrong_type", write_text("p.csv", csv_text((1, "A,2024-01-08,many,22,6,3"))),
         "likes", r"line 3: 'many'", r"expected a number"),
    Case("negative_engagement", write_text("p.csv", csv_text((2, "B,2024-01-01,30,-40,9,4"))),
         "engagement", r"line 4: -40", r"expected a value >= 0"),
    Case("absurd_likes", write_text("p.csv", csv_text((0, "A,2024-01-01,2e10,20,5,2"))),
         "likes", r"line 2", r"expected at most 1e\+10"),
    Case("fractional_count", write_text("p.csv", csv_text((0, "A,2024-01-01,10,20,5,2.5"))),
         "orders", r"line 2: 2.5", r"whole number"),
    Case("percent_in_count", write_text("p.csv", csv_text((0, "A,2024-01-01,12%,20,5,2"))),
         "likes", r"line 2: '12%'", r"a percent"),
    Case("european_decimal", write_text("p.csv", csv_text((0, 'A,2024-01-01,"1.234,5",20,5,2'))),
         "likes", r"line 2: '1.234,5'", r"European style"),
    Case("approximate_wan", write_text("p.csv", csv_text((0, "A,2024-01-01,约1万,20,5,2"))),
         "likes", r"line 2: '约1万'", r"approximate"),
    Case("compound_wan_qian", write_text("p.csv", csv_text((0, "A,2024-01-01,1万2千,20,5,2"))),
         "likes", r"line 2: '1万2千'", r"compound"),
    Case("lower_bound_plus", write_text("p.csv", csv_text((0, "A,2024-01-01,10w+,20,5,2"))),
         "likes", r"line 2: '10w\+'", r"bound"),
    Case("dash_not_declared", write_text("p.csv", csv_text((0, "A,2024-01-01,10,20,5,-"))),
         "orders", r"line 2: '-'", r"missing only when declared"),
    Case("empty_required_metric", write_text("p.csv", csv_text((0, "A,2024-01-01,10,,5,2"))),
         "engagement", r"line 2", r"expected a value in every row"),
    Case("several_problems_at_once", write_text("p.csv", csv_text(
        (0, "A,2024-01-01,x,20,5,2"), (3, "B,2024-01-08,31,41,8,y"))),
         "likes", r"line 2: 'x'[\s\S]*line 5: 'y'", r"2 problems, nothing was loaded"),
    Case("line_numbers_count_blank_lines", write_text("p.csv", HEADER + "\n\n" + "\n".join(
        [GOOD[0], "", GOOD[1].replace(",11,", ",-11,"), *GOOD[2:]]) + "\n"),
         "likes", r"line 5: -11", r"expected a value >= 0"),
    # ------------------------------------------------------------------ column mapping
    Case("mapping_unknown_source", write_xlsx("p.xlsx", SHEET_ROWS), "点赞数", r"row 1 of sheet",
         r"did you mean '点赞'", kwargs={"columns": {**ZH_MAP, "点赞数": "likes"}}),
    Case("mapping_two_sources_one_role", write_xlsx("p.xlsx", SHEET_ROWS), "engagement",
         r"\['点赞', '互动量'\]", r"expected one source column per role",
         kwargs={"columns": {**ZH_MAP, "点赞": "engagement"}}),
    # ------------------------------------------------------------------ Excel
    Case("excel_merged_header", write_xlsx("p.xlsx", [["品牌", "周", "互动", None, "加购"],
                                                      *SHEET_ROWS[1:]], merge=("C1:D1",)),
         "互动", r"sheet '数据'.*C1:D1", r"one header row"),
    Case("excel_two_row_header", write_xlsx("p.xlsx", [
        ["品牌", "周", "互动", None, "加购"], [None, None, "点赞", "互动量", None],
        ["A", "2024-01-01", 10, 20, 5]]), "互动量", r"rows 1 and 2", r"single header row"),
    Case("excel_merged_data_cells", write_xlsx("p.xlsx", SHEET_ROWS, merge=("A2:A3",)),
         "品牌", r"A2:A3", r"without merged cells"),
    Case("excel_title_row", write_xlsx("p.xlsx", [["2024年品牌周报"], *SHEET_ROWS]), None,
         r"row 1 holds only A1", r"delete the title rows"),
    Case("excel_error_cell", write_xlsx("p.xlsx", [*SHEET_ROWS[:2],
                                                   ["A", "2024-01-08", "#DIV/0!", 22, 6]]),
         "点赞", r"C3", r"Excel errors"),
    Case("excel_unknown_sheet", write_xlsx("p.xlsx", SHEET_ROWS), None, r"no sheet 'Sheet1'",
         r"\['数据', '说明'\]", kwargs={"sheet": "Sheet1", "columns": ZH_MAP}),
    Case("excel_formula_without_value", write_xlsx("p.xlsx", [*SHEET_ROWS[:2],
                                                              ["A", "2024-01-08", 11, "=C3*2", 6]]),
         "互动量", r"D3", r"formulas without a saved value"),
    Case("excel_negative_on_sheet_row", write_xlsx("p.xlsx", [*SHEET_ROWS, [], ["B", "2024-01-01",
                                                                               5, -1, 2]]),
         "engagement", r"row 5: -1", r"expected a value >= 0", kwargs={"columns": ZH_MAP}),
    Case("xlsx_not_a_workbook", write_bytes("p.xlsx", b"not a zip at all"), None,
         r"not a ZIP archive", r"save it as \.xlsx"),
    # ------------------------------------------------------------------ Parquet
    Case("parquet_negative", write_parquet("p.parquet", pd.DataFrame({
        "brand": ["A", "A", "B"], "week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-01"]),
        "engagement": [1, 2, -3], "add_to_cart": [1, 1, 1]})), "engagement", r"row 3: -3",
         r"expected a value >= 0"),
    Case("parquet_bool_metric", write_parquet("p.parquet", pd.DataFrame({
        "brand": ["A"], "week": pd.to_datetime(["2024-01-01"]), "engagement": [True],
        "add_to_cart": [1]})), "engagement", r"row 1", r"holds bool values"),
    Case("parquet_damaged", write_bytes("p.parquet", b"PAR1 truncated"), None, r"Parquet",
         r"expected a readable Parquet file"),
    # ------------------------------------------------------------------ market series
    Case("series_mixed_units", write_text("s.csv", SERIES_HEADER + "\n2022,130000,亿元\n"
                                          "2023,154264,亿元\n2024,1552,万元\n"),
         "unit", r"line 4: '万元'", r"same unit in every row", load=series),
    Case("series_mixed_frequency", write_text("s.csv", SERIES_HEADER + "\n2023,1,亿元\n"
                                              "2024-03,2,亿元\n2024,3,亿元\n"),
         "period", r"line 3: '2024-03'", r"one frequency", load=series),
    Case("series_percent_in_money", write_text("s.csv", SERIES_HEADER + "\n2023,12%,亿元\n"),
         "value", r"line 2: '12%'", r"a percent", load=series),
    Case("series_double_percent", write_text("s.csv", SERIES_HEADER + "\n2023,12%%,%\n"),
         "value", r"line 2: '12%%'", r"more than one %", load=series),
    Case("series_unknown_unit", write_text("s.csv", SERIES_HEADER + "\n2023,12,美元\n"),
         "unit", r"line 2: '美元'", r"expected a unit in", load=series),
    Case("series_negative_level", write_text("s.csv", SERIES_HEADER + "\n2022,5,亿元\n2023,-1,亿元\n"),
         "value", r"line 3: -1", r"expected a value >= 0", load=series),
    Case("series_absurd_level", write_text("s.csv", SERIES_HEADER + "\n2023,3亿,亿元\n"),
         "value", r"line 2", r"absurd", load=series),
    Case("series_future_period", write_text("s.csv", SERIES_HEADER + "\n2024,1,亿元\n2031,2,亿元\n"),
         "period", r"line 3", r"no period in the future", load=series),
    Case("series_duplicate_period", write_text("s.csv", SERIES_HEADER + "\n2024-03,1,亿元\n"
                                               "2024/3,2,亿元\n"),
         "period", r"line 2.*line 3", r"expected each value once", load=series),
]


def _renamed_xlsx(folder: Path) -> Path:
    source = write_xlsx("tmp.xlsx", SHEET_ROWS)(folder)
    path = folder / "p.csv"
    source.rename(path)
    return path


def test_catalogue_is_large_and_unique():
    ids = [case.id for case in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 30


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda c: c.id)
def test_bad_input_is_refused_clearly(case: Case, tmp_path: Path):
    inputs = tmp_path / "inputs"
    out = tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    path = case.build(inputs)
    before = sorted(p.name for p in inputs.iterdir())
    if case.warning:
        with pytest.warns(DataWarning) as record:
            result = case.load(path, **case.kwargs)
        message = " ".join(str(w.message) for w in record if issubclass(w.category, DataWarning))
        assert isinstance(result, pd.DataFrame)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            with pytest.raises(DataError) as info:
                case.load(path, **case.kwargs)
        message = str(info.value)
        assert isinstance(info.value, ReportKitError)
        assert info.value.path == str(path)
        if case.column is not None:
            assert info.value.column == case.column, message
    assert str(path) in message
    if case.column is not None:
        assert case.column in message, message
    assert re.search(case.where, message), f"{case.where!r} not in: {message}"
    assert re.search(case.expected, message), f"{case.expected!r} not in: {message}"
    assert sorted(p.name for p in inputs.iterdir()) == before
    assert list(out.iterdir()) == []


def test_error_fields_name_rows_and_expectation(tmp_path):
    path = write_text("p.csv", csv_text((1, "A,2024-01-08,11,-22,6,3"), (3, "B,2024-01-08,31,-1,8,4")))(tmp_path)
    with pytest.raises(DataError) as info:
        panel(path)
    assert info.value.column == "engagement"
    assert info.value.rows == (3, 5)
    assert info.value.expected and ">= 0" in info.value.expected


# --------------------------------------------------------------------------- good inputs


def _expect_demo_like(frame: pd.DataFrame) -> None:
    assert list(frame["brand"]) == ["A", "A", "B", "B"]
    assert frame["week"].dtype == "datetime64[ns]"
    assert frame["likes"].dtype == "float64"
    assert frame["likes"].tolist() == [10, 11, 30, 31]


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff"),
])
def test_byte_order_marks_decide(tmp_path, encoding, prefix):
    path = tmp_path / "p.csv"
    path.write_bytes(prefix + csv_text().encode(encoding))
    frame = read_table(path)
    assert list(frame.columns) == HEADER.split(",")
    _expect_demo_like(panel(path))


def test_gb18030_declared_with_chinese_headers_and_mapping(tmp_path):
    text = "品牌,周,点赞,互动量,加购\n甲,2024-01-01,\"1,234\",1.2万,5\n乙,2024-01-01,3,4,5\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(DataError, match="gb18030"):
        read_table(path)
    frame = load_panel(path, encoding="gb18030", columns=ZH_MAP, today=TODAY)
    assert list(frame["brand"]) == ["乙", "甲"]  # sorted
    assert frame.set_index("brand").loc["甲", "likes"] == 1234
    assert frame.set_index("brand").loc["甲", "engagement"] == 12000


def test_text_is_read_without_inference(tmp_path):
    path = write_text("p.tsv", "code\tvalue\n007\t1,234\n\t12%\n")(tmp_path)
    frame = read_table(path)
    assert frame["code"].tolist()[0] == "007"
    assert frame["value"].tolist() == ["1,234", "12%"]
    assert pd.isna(frame["code"].iloc[1])
    assert frame.attrs["reportkit_rows"].numbers == (2, 3)


def test_xlsx_with_chinese_headers_dates_and_numbers(tmp_path):
    import datetime as dt

    rows = [["品牌", "周", "点赞", "互动量", "加购", "类目"],
            ["甲", dt.datetime(2024, 1, 1), 1234, "1.2万", 5.0, "美妆个护"],
            ["甲", dt.datetime(2024, 1, 8), 10, 20, 6, "美妆个护"]]
    path = write_xlsx("p.xlsx", rows)(tmp_path)
    text = read_table(path)
    assert text["周"].tolist() == ["2024-01-01", "2024-01-08"]
    assert text["加购"].tolist() == ["5", "6"]
    frame = load_panel(path, columns={**ZH_MAP, "类目": "category"}, today=TODAY)
    assert frame["engagement"].tolist() == [12000, 20]
    assert frame["week"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert frame["category"].tolist() == ["美妆个护"] * 2
    typed = load_data(path)  # load_data infers types for Excel like read_csv does
    assert typed["点赞"].dtype.kind == "i"


def test_parquet_keeps_types(tmp_path):
    import datetime as dt

    frame = pd.DataFrame({"brand": ["B", "A"], "week": [dt.date(2024, 1, 1), dt.date(2024, 1, 1)],
                          "engagement": [3, 4], "add_to_cart": [1.0, 2.0]})
    path = write_parquet("p.parquet", frame)(tmp_path)
    result = panel(path)
    assert result["brand"].tolist() == ["A", "B"]
    assert result["engagement"].tolist() == [4.0, 3.0]
    assert result["week"].dtype == "datetime64[ns]"


@pytest.mark.parametrize("text, value", [
    ("1,234", 1234), ("1，234", 1234), ("12%", 0.12), ("12.5％", 0.125), ("1.2万", 12000),
    ("3亿", 3e8), ("1.5万亿", 1.5e12), ("-3.2", -3.2), ("1.1万", 11000), ("1.2w", 12000),
    ("１２３", 123), (" 42 ", 42), ("1,234.5万", 12_345_000),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1.234,5", "12%%", "约1万", "1万2千", "-", "—", "", "¥12",
                                  "1.2万元", "(12)", "12,5", "1 234", "nan", "10万+", "1e400",
                                  "1.2.3", "1万%"])
def test_parse_number_refuses(text):
    with pytest.raises(DataError, match="expected a number"):
        parse_number(text)


def test_percent_modes_and_declared_missing():
    assert parse_number("12%", percent="points") == 12
    with pytest.raises(DataError, match="a percent"):
        parse_number("12%", percent="refuse")
    assert np.isnan(parse_number("—", missing=("—",)))
    cells = pd.Series(["1", "-", None, "2万"], dtype="str")
    out = parse_numeric_column(cells, column="x", missing=("", "-"))
    assert out.iloc[0] == 1 and np.isnan(out.iloc[1]) and np.isnan(out.iloc[2])
    assert out.iloc[3] == 20000
    with pytest.raises(DataError, match=r"line 3: '-'"):
        parse_numeric_column(cells, column="x")


def test_declared_missing_marker_in_panel(tmp_path):
    path = write_text("p.csv", csv_text((0, "A,2024-01-01,10,20,5,-")))(tmp_path)
    frame = panel(path, missing=("", "-"))
    assert np.isnan(frame.loc[0, "orders"])


def test_out_of_order_rows_come_back_sorted(tmp_path):
    path = write_text("p.csv", csv_text(rows=[GOOD[3], GOOD[1], GOOD[0], GOOD[2]]))(tmp_path)
    with pytest.warns(DataWarning, match="line 4"):
        frame = panel(path)
    _expect_demo_like(frame)


def test_declared_date_format(tmp_path):
    rows = [r.replace("2024-01-01", "01/15/2024").replace("2024-01-08", "01/22/2024") for r in GOOD]
    path = write_text("p.csv", csv_text(rows=rows))(tmp_path)
    frame = panel(path, date_format="%m/%d/%Y")
    assert frame["week"].min() == pd.Timestamp("2024-01-15")


def test_mixed_formats_in_memory_name_minority_rows():
    cells = pd.Series(["2024-01-01", "2024-01-08", "2024/1/15", "2024-01-22"])
    with pytest.raises(DataError, match=r"line 4: '2024/1/15'") as info:
        parse_date_column(cells, column="week")
    assert info.value.rows == (4,)


def test_validate_panel_on_a_frame_uses_csv_lines():
    frame = pd.DataFrame({"brand": ["A", "A"], "week": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                          "engagement": [1.0, 2.0], "add_to_cart": [1, 2]})
    with pytest.raises(DataError, match=r"line 2 and line 3"):
        validate_panel(frame, path="frame.csv", today=TODAY)
    frame.loc[1, "week"] = pd.Timestamp("2024-01-08")
    before = frame.copy()
    out = validate_panel(frame, today=TODAY)
    assert out is not frame and out["add_to_cart"].dtype == "float64"
    pd.testing.assert_frame_equal(frame, before)  # the input is left as it was


def test_market_series_points_and_levels(tmp_path):
    path = write_text("s.csv", "年份,网上零售额,单位,来源\n2024,155225,亿元,NBS\n2023,\"154,264\",亿元,NBS\n")(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = series(path, columns={"年份": "period", "网上零售额": "value", "单位": "unit"})
    texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("['来源']" in t for t in texts)  # an unknown column: kept, with a warning
    assert any("line 3: period=2023" in t and "sorted" in t for t in texts)
    assert [str(p) for p in frame["period"]] == ["2023", "2024"]
    assert frame["value"].tolist() == [154264, 155225]
    path = write_text("g.csv", "period,value,unit\n2023,7.2%,%\n2024,-0.5,%\n")(tmp_path)
    assert series(path)["value"].tolist() == [7.2, -0.5]


def test_load_data_keeps_inference_and_gbk_hint(tmp_path):
    frame = load_data(write_text("p.csv", csv_text())(tmp_path))
    assert frame["likes"].dtype.kind == "i"
    path = write_text("g.csv", csv_text(header="品牌,week,likes,engagement,add_to_cart,orders"),
                      "gbk")(tmp_path)
    with pytest.raises(DataError, match="gb18030"):
        load_data(path)
    assert list(load_data(path, encoding="gb18030").columns)[0] == "品牌"
    utf16 = tmp_path / "u.csv"
    utf16.write_bytes(b"\xff\xfe" + csv_text().encode("utf-16-le"))
    assert load_data(utf16)["likes"].tolist() == [10, 11, 30, 31]


def test_errors_after_a_column_mapping_also_name_the_files_own_column(tmp_path):
    from reportkit.data.io import load_panel

    path = tmp_path / "导出.csv"
    path.write_text("品牌,周,互动量,加购\nBEA01,2024-01-01,100,5\nBEA01,2024-01-08,-3,6\n", encoding="utf-8")
    mapping = {"品牌": "brand", "周": "week", "互动量": "engagement", "加购": "add_to_cart"}
    with pytest.raises(DataError, match=r"column 'engagement' \(your '互动量'\).*line 3") as info:
        load_panel(path, columns=mapping)
    assert info.value.column == "engagement" and info.value.rows == (3,) and str(path) in str(info.value)
