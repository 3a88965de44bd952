"""Results a batch repeats are computed once (reportkit.analysis.memo): read back equal, keyed by
everything they depend on, never stored without the kit's folder, never half-written."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis import heterogeneity, memo
from reportkit.analysis.memo import MEMO_ENV, memo_key, memoized
from reportkit.data.simulate import simulate_panel

CALLS: list[tuple] = []


@memoized
def _mean(df: pd.DataFrame, column: str, *, scale: float = 1.0) -> float:
    CALLS.append((column, scale))
    return float(df[column].mean() * scale)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMO_ENV, str(tmp_path / "memo"))
    CALLS.clear()
    return tmp_path / "memo"


def _frame(values=(1.0, 2.0, 3.0)) -> pd.DataFrame:
    return pd.DataFrame({"x": list(values), "g": ["a", "b", "c"]})


def test_the_same_call_is_computed_once_and_read_back(folder):
    assert _mean(_frame(), "x", scale=2.0) == 4.0
    assert _mean(_frame(), "x", scale=2.0) == 4.0  # a new but equal frame: same key
    assert CALLS == [("x", 2.0)]
    assert len(list(folder.glob("*.pickle"))) == 1 and not list(folder.glob(".*"))  # no temporary file left


@pytest.mark.parametrize("change", [
    lambda: ((_frame((1.0, 2.0, 4.0)), "x"), {"scale": 2.0}),  # a value
    lambda: ((_frame().set_axis([5, 6, 7]), "x"), {"scale": 2.0}),  # the index
    lambda: ((_frame().astype({"x": "float32"}), "x"), {"scale": 2.0}),  # a dtype
    lambda: ((_frame(), "x"), {"scale": 3.0}),  # an argument
])
def test_anything_the_result_depends_on_changes_the_key(folder, change):
    _mean(_frame(), "x", scale=2.0)
    args, kwargs = change()
    _mean(*args, **kwargs)
    assert len(CALLS) == 2


def test_attrs_and_the_language_enter_the_key(folder):
    import reportkit as rk

    tagged = _frame()
    tagged.attrs["source_path"] = "a.csv"
    base = memo_key(_mean.__wrapped__, (_frame(), "x"), {})
    assert memo_key(_mean.__wrapped__, (tagged, "x"), {}) != base
    rk.use_language("en")
    try:
        assert memo_key(_mean.__wrapped__, (_frame(), "x"), {}) != base
    finally:
        rk.use_language("zh")


def test_code_changes_change_the_key(folder, monkeypatch):
    base = memo_key(_mean.__wrapped__, (_frame(), "x"), {})
    monkeypatch.setattr(memo, "code_digest", lambda: "another version")
    assert memo_key(_mean.__wrapped__, (_frame(), "x"), {}) != base


def test_without_the_folder_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.delenv(MEMO_ENV, raising=False)
    CALLS.clear()
    _mean(_frame(), "x")
    _mean(_frame(), "x")
    assert len(CALLS) == 2


def test_an_argument_it_cannot_describe_computes_as_usual(folder):
    @memoized
    def first(values: object) -> object:
        CALLS.append(("first",))
        return next(iter(values))  # type: ignore[call-overload]

    assert first({1}) == 1 and first({1}) == 1  # a set: not keyed
    assert len(CALLS) == 2 and not folder.exists()


def test_a_damaged_entry_is_computed_again_and_replaced(folder):
    _mean(_frame(), "x")
    (entry,) = folder.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _mean(_frame(), "x") == 2.0 and len(CALLS) == 2
    assert pickle.loads(entry.read_bytes()) == 2.0


def test_a_real_forest_read_back_equals_the_one_computed(folder):
    panel = simulate_panel(seed=3).data
    fresh = heterogeneity.by_group.__wrapped__(panel, n_lags=1)
    heterogeneity.by_group(panel, n_lags=1)  # computed and stored
    stored = heterogeneity.by_group(panel, n_lags=1)  # read back
    pd.testing.assert_frame_equal(stored, fresh)
    assert np.isfinite(stored["estimate"]).all() and len(list(folder.glob("*by_group*.pickle"))) == 1
