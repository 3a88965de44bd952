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
    with pytest.raises(RecordError, match="takes caption, decimals, missing, note, style, unit, not colour"):
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


# --------------------------------------------------------------------------- narrative cells, Table.missing


def _record_output(rec):
    from reportkit.record import MIME_TYPE

    return {"output_type": "display_data", "metadata": {MIME_TYPE: {"name": rec.name}},
            "data": {MIME_TYPE: record_to_dict(rec), "text/plain": rec.name}}


def _executed_notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    return new_notebook(cells=[
        new_markdown_cell("# Title (not tagged)"),                                               # cell 1
        new_code_cell("year: int = 2024", metadata={"tags": ["parameters"]}),                   # cell 2
        new_code_cell("year = 2023", metadata={"tags": ["injected-parameters"]}),               # not counted
        new_markdown_cell("开篇：{{ level }}", metadata={"tags": ["report"]}),                    # cell 3
        new_code_cell("rk.record(...)", outputs=[_record_output(Metric("level", 1.0, unit="亿元"))]),  # cell 4
        new_markdown_cell("analyst's note {{ x }}", metadata={"tags": ["draft"]}),               # cell 5
        new_markdown_cell(["两条记录之间\n", "{{ level | num }}"], metadata={"tags": ["x", "report"]}),  # cell 6
        new_code_cell("rk.record(...)", outputs=[_record_output(Text("summary", "总结"))]),        # cell 7
    ])


def test_tagged_markdown_cells_are_read_in_cell_order_with_their_cell_numbers():
    from reportkit.record import read_results

    res = read_results(_executed_notebook(), section="market", notebook="m.ipynb", parameters={})
    assert [r.name for r in res.records] == ["md_3", "level", "md_6", "summary"]
    first, second = res["md_3"], res["md_6"]
    assert isinstance(first, Text) and first.markdown and first.cell == 3 and first.text == "开篇：{{ level }}"
    assert second.cell == 6 and second.text == "两条记录之间\n{{ level | num }}"  # list sources joined
    assert res["summary"].markdown is False and res["summary"].cell is None
    # plain dicts (as read from JSON) work too
    import json

    again = read_results(json.loads(json.dumps(_executed_notebook())), section="market", notebook="m.ipynb", parameters={})
    assert again == res


def test_a_record_named_like_a_narrative_cell_is_refused():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from reportkit.record import read_results

    nb = new_notebook(cells=[new_markdown_cell("a", metadata={"tags": ["report"]}),
                             new_code_cell("", outputs=[_record_output(Metric("md_1", 1.0))])])
    with pytest.raises(RecordError, match="'md_1' recorded in cell 2 has the name of a markdown cell"):
        read_results(nb, section="s", notebook="n", parameters={})


def test_text_narrative_fields_and_table_missing_round_trip():
    text = Text("md_7", "增长 {{ cagr | pct }}", markdown=True, cell=7)
    assert record_from_dict(record_to_dict(text)) == text
    table = make_record("g", pd.DataFrame({"year": [2014, 2015], "yoy": [None, 39.0]}),
                        missing="—", note="2014 年无上年数据")
    assert isinstance(table, Table) and table.missing == "—"
    assert record_to_dict(table)["missing"] == "—"
    assert record_from_dict(record_to_dict(table)) == table
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.missing = None  # type: ignore[misc]
    # records written before these fields existed still load, with the defaults
    old_text = {"kind": "text", "name": "summary", "text": "总结"}
    assert record_from_dict(old_text) == Text("summary", "总结") and Text("summary", "总结").markdown is False
    old_table = {k: v for k, v in record_to_dict(table).items() if k != "missing"}
    assert record_from_dict(old_table).missing is None
