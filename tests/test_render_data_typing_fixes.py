"""Behaviour kept by the typing fixes of reportkit/render and reportkit/data (mypy over the whole package)."""

from __future__ import annotations

import pandas as pd
import pytest

from reportkit.data.schemas import convert_market_series
from reportkit.errors import DataError, RenderError
from reportkit.render.html import EDITIONS, check_edition
from reportkit.render.html_checks import check_svg
from reportkit.render.prose import _markdown


def test_mixed_frequencies_name_each_minority_row_with_its_frequency():
    frame = pd.DataFrame({"period": ["2023", "2024-03", "2024", "2024Q2"], "value": ["1", "2", "3", "4"],
                          "unit": ["亿元"] * 4})
    with pytest.raises(DataError, match=r"mixes frequencies: line 3: '2024-03' is monthly; line 5: '2024Q2' is "
                                        r"quarterly, while 2 other row\(s\) are annual; expected one frequency"):
        convert_market_series(frame)


@pytest.mark.parametrize("edition", EDITIONS)
def test_check_edition_returns_the_edition(edition):
    assert check_edition(edition) == edition
    assert type(check_edition(edition)) is str


def test_check_edition_refuses_an_unknown_one():
    with pytest.raises(RenderError, match=r"unknown edition None; expected one of client, analyst"):
        check_edition(None)


def test_markdown_parses_every_link_so_that_the_checks_see_it():
    md = _markdown()
    assert md is _markdown()
    children = md.parseInline("[x](javascript:alert(1))")[0].children
    assert [t.type for t in children] == ["link_open", "text", "link_close"]
    assert children[0].attrs["href"] == "javascript:alert(1)"


def test_svg_event_handler_is_shown():
    with pytest.raises(RenderError, match=r"it has an event handler attribute \(onload=\)"):
        check_svg('<svg onload="alert(1)"><path d="M0 0"/></svg>', where="figure 'x'")


def test_missing_markers_given_as_a_generator_apply_to_every_column():
    """``missing`` is an Iterable: a generator must not be used up by the first column converted."""
    from reportkit.data.schemas import convert_panel

    frame = pd.DataFrame({"brand": ["a", "a"], "week": ["2024-01-01", "2024-01-08"], "likes": ["1", "—"],
                          "comments": ["—", "2"], "saves": ["3", "4"]})
    out = convert_panel(frame, missing=(m for m in ("", "—")))
    assert out["likes"].isna().tolist() == [False, True]
    assert out["comments"].isna().tolist() == [True, False]
    frame = pd.DataFrame({"period": ["2023", "2024"], "value": ["—", "2"], "unit": ["亿元"] * 2})
    assert convert_market_series(frame, missing=(m for m in ("", "—")))["value"].isna().tolist() == [True, False]
