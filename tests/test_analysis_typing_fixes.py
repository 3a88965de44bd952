"""Checks added with the mypy pass over reportkit/analysis: the narrowing checks that replaced
places where a None would have crashed deep inside the formatting."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from reportkit.analysis import event_text as et
from reportkit.analysis.event_inference import Breakdown
from reportkit.errors import AnalysisError
from reportkit.i18n import Text

WORDS = et.EventWords(**{name: Text.same(name) for name in (
    "entity", "entities", "period", "periods", "entity_period", "outcome", "outcome_label", "group", "group_label")})


@pytest.mark.parametrize("log", [True, False])
def test_a_breakdown_slope_without_its_power_is_an_analysis_error_naming_it(log):
    # breakdown_for_bias always sets both; a Breakdown built by hand may not
    b = Breakdown(bias_per_slope=37.6, breakdown_slope=0.0123, mde_slope=0.007, power_at_breakdown=None)
    es = SimpleNamespace(sensitivity=b, log=log)
    with pytest.raises(AnalysisError, match=r"breakdown slope 0\.0123 has no power_at_breakdown"):
        et.breakdown_note(es, WORDS)


def test_the_power_at_the_breakdown_slope_is_still_written_as_a_percent():
    b = Breakdown(bias_per_slope=37.6, breakdown_slope=0.0123, mde_slope=0.007, power_at_breakdown=0.97)
    assert "97%" in et.breakdown_note(SimpleNamespace(sensitivity=b, log=False), WORDS)["en"]
