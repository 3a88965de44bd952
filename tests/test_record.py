from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from reportkit.errors import RecordError
from reportkit.record import Metric, SectionResults, Table, Text, make_record, record_from_dict, record_to_dict


def test_numbers_become_metrics_with_plain_values():
    m = make_record("growth", np.float64(7.2), unit="%", label="同比增长", decimals=1)
    assert isinstance(m, Metric) and m.value == 7.2 and type(m.value) is float
    assert make_record("missing", float("nan")).value is None


def test_frames_become_tables_with_nan_as_none():
    df = pd.DataFrame({"year": [2023, 2024], "yoy": [11.0, math.nan]}).set_index("year")
    t = make_record("g", df, caption="增长")
    assert isinstance(t, Table) and t.columns == ("year", "yoy") and t.rows == ((2023, 11.0), (2024, None))


def test_strings_become_text_and_bad_options_are_refused():
    assert isinstance(make_record("s", "一段文字"), Text)
    with pytest.raises(RecordError, match="takes caption, decimals, note, style, not colour"):
        make_record("t", pd.DataFrame({"a": [1]}), colour="red")
    with pytest.raises(RecordError, match="not usable"):
        make_record("bad name", 1)
    with pytest.raises(RecordError, match="cannot record 'x' of type dict"):
        make_record("x", {"a": 1})


def test_records_are_frozen_and_round_trip_through_dicts():
    t = make_record("g", pd.DataFrame({"a": [1, 2]}), caption="c")
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.caption = "changed"  # type: ignore[misc]
    assert record_from_dict(record_to_dict(t)) == t
    with pytest.raises(RecordError, match="unknown record kind"):
        record_from_dict({"kind": "video", "name": "v"})


def test_missing_result_names_what_was_recorded():
    res = SectionResults("market", "nb.ipynb", {}, (Metric("cagr", 1.0),))
    with pytest.raises(RecordError, match="recorded no 'yoy'.*cagr"):
        res["yoy"]


def test_table_styles_are_a_closed_choice():
    assert make_record("r", pd.DataFrame({"a": ["0.35***"]}), style="regression").style == "regression"
    with pytest.raises(RecordError, match="style 'fancy' is not offered; expected one of '', 'regression'"):
        make_record("r", pd.DataFrame({"a": [1]}), style="fancy")
