"""Property-based tests of the readers: whatever the bytes or the frame, only the kit's error.

Arbitrary bytes written as .csv/.tsv/.txt/.xlsx/.parquet, damaged copies of valid workbooks
and Parquet files, arbitrary text in several encodings and arbitrary DataFrames go through
:func:`read_table`, :func:`load_data`, :func:`load_panel` and :func:`validate_panel`: each
either returns a DataFrame or raises :class:`ReportKitError`, never anything else. Valid panels
written with thousands separators and 万 come back with the same numbers.
"""

from __future__ import annotations

import io
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from reportkit.data.io import load_data, load_panel
from reportkit.data.numbers import parse_number, parse_numeric_column
from reportkit.data.readers import read_table
from reportkit.data.schemas import validate_market_series, validate_panel
from reportkit.errors import DataWarning, ReportKitError

TODAY = "2025-06-30"
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextmanager
def file_with(data: bytes, suffix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        yield path


def only_kit_errors(call: Callable[[], Any]) -> Any:
    """Run ``call``; a ReportKitError is fine, any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            result = call()
        except ReportKitError:
            return None
    assert isinstance(result, pd.DataFrame)
    return result


def _valid_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["brand", "week", "engagement", "add_to_cart"], ["A", "2024-01-01", 1, 2],
                ["A", "2024-01-08", 3, 4]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _valid_parquet() -> bytes:
    frame = pd.DataFrame({"brand": ["A", "A"], "week": pd.to_datetime(["2024-01-01", "2024-01-08"]),
                          "engagement": [1, 3], "add_to_cart": [2, 4]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


VALID_XLSX = _valid_xlsx()
VALID_PARQUET = _valid_parquet()
SUFFIXES = [".csv", ".tsv", ".txt", ".xlsx", ".parquet"]


def _readers(path: Path) -> list[Callable[[], Any]]:
    return [lambda: read_table(path), lambda: load_data(path),
            lambda: load_panel(path, today=TODAY)]


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_raise_only_kit_errors(data, suffix):
    with file_with(data, suffix) as path:
        for call in _readers(path):
            only_kit_errors(call)


@st.composite
def damaged(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid file truncated, or with a few bytes overwritten."""
    data = bytearray(valid)
    if draw(st.booleans()):
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@FAST
@given(data=damaged(VALID_XLSX))
def test_damaged_workbooks_raise_only_kit_errors(data):
    with file_with(data, ".xlsx") as path:
        for call in _readers(path):
            only_kit_errors(call)


@FAST
@given(data=damaged(VALID_PARQUET))
def test_damaged_parquet_raises_only_kit_errors(data):
    with file_with(data, ".parquet") as path:
        for call in _readers(path):
            only_kit_errors(call)


CELL = st.one_of(st.text(max_size=8), st.sampled_from(
    ["1,234", "12%", "1.2万", "3亿", "-", "", "2024-01-01", "2024/1/8", "01/15/2024", "A", "B",
     '"', '"a,b"', "\t", ";", "1.234,5", "约1万", "nan", "-5", "1e400", "\x00", "\r"]))


@FAST
@given(header=st.lists(st.sampled_from(["brand", "week", "engagement", "add_to_cart", "likes",
                                        "gmv", "", "品牌", "brand"]), min_size=1, max_size=6),
       rows=st.lists(st.lists(CELL, max_size=7), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"]),
       declare=st.booleans(), sep=st.sampled_from([",", "\t", ";"]))
def test_arbitrary_text_tables_raise_only_kit_errors(header, rows, encoding, declare, sep):
    text = "\n".join(sep.join(cells) for cells in [header, *rows]) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    with file_with(data, ".csv") as path:
        only_kit_errors(lambda: read_table(path, encoding=encoding if declare else None))
        only_kit_errors(lambda: load_panel(path, encoding=encoding if declare else None,
                                           today=TODAY))
        only_kit_errors(lambda: load_data(path))


ANY_DTYPE = st.sampled_from([object, "str", float, int, bool, "datetime64[ns]", "complex128",
                             "timedelta64[ns]", "category"])


def _column(name: str, dtype: Any) -> hpd.column:
    if dtype == "str":
        return hpd.column(name, elements=st.text(max_size=5), dtype=object)
    if dtype is object:
        return hpd.column(name, elements=st.one_of(st.none(), st.text(max_size=5), st.integers(),
                                                   st.floats(), st.booleans(), st.dates()),
                          dtype=object)
    if dtype == "category":  # drawn as text, made categorical afterwards
        return hpd.column(name, elements=st.sampled_from(["a", "b", "%"]), dtype=object)
    return hpd.column(name, dtype=dtype)


@st.composite
def arbitrary_panels(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from(["brand", "week", "engagement", "add_to_cart", "likes",
                                           "orders", "gmv", "category", "extra"]),
                          min_size=1, max_size=6, unique=True))
    dtypes = [draw(ANY_DTYPE) for _ in names]
    columns = [_column(name, dtype) for name, dtype in zip(names, dtypes, strict=True)]
    frame = draw(hpd.data_frames(columns, index=hpd.range_indexes(max_size=6)))
    for name, dtype in zip(names, dtypes, strict=True):
        if dtype == "category":
            frame[name] = frame[name].astype("category")
    return frame


@FAST
@given(frame=arbitrary_panels())
def test_arbitrary_frames_raise_only_kit_errors(frame):
    only_kit_errors(lambda: validate_panel(frame, today=TODAY))
    only_kit_errors(lambda: validate_panel(frame, path="frame.csv", required=("likes",)))
    market = frame.rename(columns={"week": "period", "engagement": "value", "category": "unit"})
    only_kit_errors(lambda: validate_market_series(market, today=TODAY))
    for name in frame.columns:
        try:
            parse_numeric_column(frame[name], column=name)
        except ReportKitError:
            pass
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frame.csv"
        frame.to_csv(path, index=False)
        only_kit_errors(lambda: load_panel(path, today=TODAY))
        parquet = Path(folder) / "frame.parquet"
        try:
            frame.to_parquet(parquet, index=False)
        except Exception:  # noqa: BLE001 - pandas/pyarrow cannot store every frame; not ours
            return
        only_kit_errors(lambda: load_panel(parquet, today=TODAY))


# --------------------------------------------------------------------------- round trips

STYLES = {
    "plain": lambda n: str(n),
    "thousands": lambda n: f"{n:,}",
    "fullwidth": lambda n: f"{n:,}".replace(",", "，"),
    "wan": lambda n: f"{n / 10_000:.4f}万" if n % 1 == 0 else str(n),
}


@st.composite
def valid_panels(draw: st.DrawFn) -> pd.DataFrame:
    brands = draw(st.lists(st.text("甲乙丙ABC", min_size=1, max_size=3), min_size=1,
                           max_size=3, unique=True))
    weeks = draw(st.lists(st.dates(min_value=pd.Timestamp("2001-01-01").date(),
                                   max_value=pd.Timestamp(TODAY).date()),
                          min_size=1, max_size=4, unique=True))
    rows = [(b, w) for b in brands for w in weeks]
    counts = st.integers(0, 10**9)
    return pd.DataFrame({
        "brand": [b for b, _ in rows],
        "week": [w.isoformat() for _, w in rows],
        "engagement": draw(st.lists(counts, min_size=len(rows), max_size=len(rows))),
        "add_to_cart": draw(st.lists(counts, min_size=len(rows), max_size=len(rows))),
    })


@FAST
@given(frame=valid_panels(), style=st.sampled_from(sorted(STYLES)),
       order=st.randoms(use_true_random=False))
def test_valid_panels_round_trip(frame, style, order):
    shown = frame.copy()
    for column in ("engagement", "add_to_cart"):
        shown[column] = [STYLES[style](n) for n in frame[column]]
    positions = list(range(len(shown)))
    order.shuffle(positions)
    shown = shown.iloc[positions]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "panel.csv"
        shown.to_csv(path, index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            result = load_panel(path, today=TODAY)
    expected = frame.sort_values(["brand", "week"], kind="stable").reset_index(drop=True)
    assert result["brand"].tolist() == expected["brand"].tolist()
    assert [d.date().isoformat() for d in result["week"]] == expected["week"].tolist()
    for column in ("engagement", "add_to_cart"):
        assert result[column].tolist() == expected[column].astype(float).tolist()


@FAST
@given(value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_parse_number_reads_its_formats(value):
    assert parse_number(f"{value:,}") == pytest.approx(value, rel=1e-12, abs=1e-12)
    digits = np.format_float_positional(value, trim="-")  # a suffix takes no exponent
    assert parse_number(f"{digits}%") == pytest.approx(value / 100, rel=1e-12, abs=1e-14)
    assert parse_number(f"{digits}万") == pytest.approx(value * 1e4, rel=1e-12, abs=1e-8)
    assert np.isfinite(parse_number(repr(value)))


@FAST
@given(text=st.text(max_size=12))
def test_parse_number_never_fails_otherwise(text):
    try:
        result = parse_number(text)
    except ReportKitError:
        return
    assert np.isfinite(result)
