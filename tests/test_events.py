"""Event files → brand × period panel (reportkit.data.events) and the synthetic event writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reportkit.analysis.models import estimate
from reportkit.data.event_synth import CART_ELASTICITIES, write_synthetic_events
from reportkit.data.events import aggregate_events, quote_identifier
from reportkit.data.simulate import COLUMNS
from reportkit.errors import DataError

ENG_COLUMNS = ["note_id", "brand", "category", "ts", "likes", "comments", "saves", "shares"]
CONV_COLUMNS = ["brand", "ts", "add_to_cart", "orders", "gmv"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, list[Path]]:
    """Small synthetic event files: 12 brands × 12 weeks, engagement in 3 files."""
    folder = tmp_path_factory.mktemp("synth")
    return write_synthetic_events(folder, n_events=30_000, n_brands=12, weeks=12, files=3, seed=7, threads=1)


def _events() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A hand-made log: two brands, string note ids, a Sunday-night and a Monday-morning event."""
    ts = pd.to_datetime([
        "2024-01-01 09:00:00", "2024-01-03 12:00:00", "2024-01-07 23:59:59", "2024-01-08 00:00:00", "2024-01-09 08:30:00",
        "2024-01-02 10:00:00", "2024-01-10 11:00:00", "2024-01-10 11:05:00",
    ])
    eng = pd.DataFrame({
        "note_id": ["n1", "n1", "n2", "n2", "n3", "m1", "m1", "m2"],
        "brand": ["BEA01"] * 5 + ["FOO01"] * 3,
        "category": ["美妆个护"] * 5 + ["食品饮料"] * 3,
        "ts": ts,
        "likes": [5, 3, 2, 7, 1, 4, 4, 6],
        "comments": [1, 0, 0, 2, 0, 1, 0, 1],
        "saves": [2, 1, 0, 1, 0, 0, 2, 3],
        "shares": [0, 1, 0, 0, 1, 0, 0, 2],
    })
    conv = pd.DataFrame({
        "brand": ["BEA01", "BEA01", "BEA01", "FOO01"],
        "ts": pd.to_datetime(["2024-01-02 10:00", "2024-01-06 18:00", "2024-01-11 09:00", "2024-01-03 20:00"]),
        "add_to_cart": [3, 2, 4, 5],
        "orders": [1, 1, 2, 2],
        "gmv": [160.5, 99.0, 320.25, 170.0],
    })
    return eng, conv


def _write(frame: pd.DataFrame, path: Path, **kwargs) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    else:
        frame.to_parquet(path, index=False, **kwargs)
    return path


def _reference(eng: pd.DataFrame, conv: pd.DataFrame, freq: str = "week") -> pd.DataFrame:
    """The plain pandas computation the DuckDB aggregation must match exactly."""
    def period(ts: pd.Series) -> pd.Series:
        day = ts.dt.normalize()
        return day - pd.to_timedelta(ts.dt.day_of_week, unit="D") if freq == "week" else day

    e = eng.assign(**{freq: period(eng["ts"])}).groupby(["brand", "category", freq], as_index=False).agg(
        notes=("note_id", "nunique"), likes=("likes", "sum"), comments=("comments", "sum"),
        saves=("saves", "sum"), shares=("shares", "sum"))
    e["engagement"] = e["likes"] + e["comments"] + e["saves"]
    c = conv.assign(**{freq: period(conv["ts"])}).groupby(["brand", freq], as_index=False)[
        ["add_to_cart", "orders", "gmv"]].sum()
    return e.merge(c, on=["brand", freq], how="left").sort_values(["brand", freq], ignore_index=True)


def _read_all(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


# --------------------------------------------------------------------------- aggregation


@pytest.mark.parametrize("freq", ["week", "day"])
def test_synthetic_files_match_a_pandas_reference(synth, freq):
    pattern = str(synth["engagement"][0].parent / "engagement-*.parquet")
    panel = aggregate_events(pattern, synth["conversion"], freq=freq, threads=1)
    ref = _reference(_read_all(synth["engagement"]), _read_all(synth["conversion"]), freq)
    # brand-periods with engagement but no cart session: 0 (the log records every event)
    ref[["add_to_cart", "orders", "gmv"]] = ref[["add_to_cart", "orders", "gmv"]].fillna(0)
    ref = ref.astype({"add_to_cart": "int64", "orders": "int64"})
    assert len(panel) == len(ref)  # no brand-period has cart sessions without engagement
    assert list(panel.columns) == [c for c in COLUMNS if c != "visits"][:2] + [freq] + [
        c for c in COLUMNS if c not in ("brand", "category", "week", "visits")]
    pd.testing.assert_frame_equal(panel.drop(columns="gmv"), ref[panel.columns].drop(columns="gmv"), check_dtype=False)
    np.testing.assert_allclose(panel["gmv"], ref["gmv"], rtol=1e-12)
    if freq == "week":
        assert (panel["week"].dt.day_of_week == 0).all()
        assert panel["week"].min() == pd.Timestamp("2023-01-02")


def test_week_is_the_iso_monday_and_sums_are_exact(tmp_path):
    eng, conv = _events()
    panel = aggregate_events(_write(eng, tmp_path / "e.parquet"), _write(conv, tmp_path / "c.parquet"))
    bea = panel[panel["brand"] == "BEA01"].set_index("week")
    # Sunday 23:59:59 belongs to the week of Monday 2024-01-01; Monday 00:00 starts the next
    assert bea.loc["2024-01-01", ["notes", "likes", "comments", "saves", "engagement"]].tolist() == [2, 10, 1, 3, 14]
    assert bea.loc["2024-01-08", ["notes", "likes", "add_to_cart", "orders"]].tolist() == [2, 8, 4, 2]
    assert bea.loc["2024-01-01", "gmv"] == pytest.approx(259.5)
    # FOO01 has no cart session in the week of 2024-01-08, which the conversion log covers: 0
    assert panel.set_index(["brand", "week"]).loc[("FOO01", "2024-01-08"), "add_to_cart"] == 0
    pd.testing.assert_frame_equal(panel, _reference(eng, conv).fillna({"add_to_cart": 0, "orders": 0, "gmv": 0.0}),
                                  check_dtype=False)


def test_csv_and_parquet_give_the_same_panel(tmp_path):
    eng, conv = _events()
    from_parquet = aggregate_events(_write(eng, tmp_path / "e.parquet"), _write(conv, tmp_path / "c.parquet"))
    from_csv = aggregate_events(_write(eng, tmp_path / "e.csv"), _write(conv, tmp_path / "c.csv"))
    pd.testing.assert_frame_equal(from_csv, from_parquet)


def test_a_glob_and_a_list_of_files_read_the_same_events(tmp_path):
    eng, conv = _events()
    for j, part in enumerate(np.array_split(np.arange(len(eng)), 3)):
        _write(eng.iloc[part], tmp_path / f"eng-{j}.parquet")
    one = aggregate_events(_write(eng, tmp_path / "all.parquet"))
    globbed = aggregate_events(str(tmp_path / "eng-*.parquet"))
    listed = aggregate_events([tmp_path / f"eng-{j}.parquet" for j in range(3)])
    pd.testing.assert_frame_equal(globbed, one)
    pd.testing.assert_frame_equal(listed, one)
    assert list(one.columns) == ["brand", "category", "week", "notes", "likes", "comments", "saves", "shares", "engagement"]


def test_chinese_column_names_through_a_mapping(tmp_path):
    eng, conv = _events()
    zh_eng = {"note_id": "笔记ID", "brand": "品牌", "category": "类目", "ts": "时间", "likes": "点赞",
              "comments": "评论", "saves": "收藏", "shares": "分享 \"转发\""}
    zh_conv = {"brand": "店铺品牌", "ts": "时间", "add_to_cart": "加购", "orders": "订单", "gmv": "成交额"}
    mapping = {v: k for k, v in {**zh_eng, **zh_conv}.items()}
    mapping["品牌"] = "brand"  # two file names for one role: each file uses the one it has
    expected = aggregate_events(_write(eng, tmp_path / "e.parquet"), _write(conv, tmp_path / "c.parquet"))
    for suffix in (".parquet", ".csv"):
        got = aggregate_events(_write(eng.rename(columns=zh_eng), tmp_path / f"zh-e{suffix}"),
                               _write(conv.rename(columns=zh_conv), tmp_path / f"zh-c{suffix}"), columns=mapping)
        pd.testing.assert_frame_equal(got, expected)
    assert quote_identifier('分享 "转发"') == '"分享 ""转发"""'


def test_spans_visits_time_zones_and_the_spill_folder(tmp_path):
    eng, conv = _events()
    short = conv[conv["ts"] < "2024-01-08"].assign(visits=[30, 20, 50])
    spill = tmp_path / "spill"
    spill.mkdir()
    panel = aggregate_events(_write(eng, tmp_path / "e.parquet"), _write(short, tmp_path / "c.parquet"),
                             temp_directory=spill, threads=1, memory_limit="200MB")
    assert list(spill.iterdir()) == []  # the private spill folder is removed
    assert "visits" in panel.columns
    late = panel[panel["week"] == "2024-01-08"]
    # the conversion log ends before the week of 2024-01-08: unknown, not zero
    assert late["add_to_cart"].isna().all() and late["gmv"].isna().all()
    assert str(panel["add_to_cart"].dtype) == "Int64"

    # time-zone-aware timestamps are read in China Standard Time (UTC+8)
    utc = eng.assign(ts=pd.to_datetime(["2024-01-07 20:00"] * len(eng)).tz_localize("UTC"))
    week = aggregate_events(_write(utc, tmp_path / "utc.parquet"))["week"].unique()
    assert list(week) == [pd.Timestamp("2024-01-08")]


# --------------------------------------------------------------------------- errors


def test_missing_files_and_patterns(tmp_path):
    with pytest.raises(DataError, match="not found") as err:
        aggregate_events(tmp_path / "nope.parquet")
    assert err.value.path == str(tmp_path / "nope.parquet")
    with pytest.raises(DataError, match="no engagement file matches"):
        aggregate_events(str(tmp_path / "nope-*.parquet"))
    (tmp_path / "e.json").write_text("{}")
    with pytest.raises(DataError, match="unsupported file type"):
        aggregate_events(tmp_path / "e.json")
    eng, _ = _events()
    with pytest.raises(DataError, match="freq: expected one of 'week', 'day'; got 'month'"):
        aggregate_events(_write(eng, tmp_path / "e.parquet"), freq="month")
    with pytest.raises(DataError, match="'时间' is mapped to 'time'; expected one of"):
        aggregate_events(tmp_path / "e.parquet", columns={"时间": "time"})


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_missing_column_lists_the_columns_there(tmp_path, suffix):
    eng, conv = _events()
    path = _write(eng.drop(columns="saves"), tmp_path / f"e{suffix}")
    with pytest.raises(DataError, match=r"no column for 'saves' \(looked for 'saves'\); the file has: note_id, brand") as err:
        aggregate_events(path)
    assert err.value.path == str(path) and err.value.column == "saves"
    good = _write(eng, tmp_path / "good.parquet")
    cpath = _write(conv.rename(columns={"gmv": "成交额"}), tmp_path / f"c{suffix}")
    with pytest.raises(DataError, match="no column for 'gmv'") as err:
        aggregate_events(good, cpath)
    assert err.value.path == str(cpath)


def test_non_numeric_metrics(tmp_path):
    eng, _ = _events()
    path = _write(eng.astype({"comments": "str"}), tmp_path / "e.parquet")
    with pytest.raises(DataError, match="column 'comments' .* has type VARCHAR; expected whole-number counts") as err:
        aggregate_events(path)
    assert (err.value.path, err.value.column) == (str(path), "comments")
    path = _write(eng.astype({"likes": "float64"}), tmp_path / "f.parquet")
    with pytest.raises(DataError, match="'likes' .* has type DOUBLE; expected whole-number counts"):
        aggregate_events(path)
    bad = eng.astype({"likes": "object"})
    bad.loc[3, "likes"] = "七"
    path = _write(bad, tmp_path / "e.csv")
    with pytest.raises(DataError, match=r'Line: 5.*Could not convert string "七"') as err:
        aggregate_events(path)
    assert (err.value.path, err.value.column) == (str(path), "likes")


@pytest.mark.parametrize("statistics", [True, False], ids=["parquet-stats", "parquet-no-stats"])
def test_negative_counts_name_the_rows(tmp_path, statistics):
    eng, conv = _events()
    eng.loc[[2, 6], "likes"] = [-1, -4]
    path = tmp_path / "e.parquet"
    pq.write_table(pa.Table.from_pandas(eng, preserve_index=False), path, write_statistics=statistics)
    with pytest.raises(DataError, match=r"column 'likes' \(likes\) has negative values in 2 rows \(1 file\); "
                                        r"expected values ≥ 0\. First rows: e\.parquet row 3: note_id=n2, brand=BEA01, "
                                        r"ts=2024-01-07 23:59:59, likes=-1; e\.parquet row 7") as err:
        aggregate_events(path)
    assert (err.value.path, err.value.column) == (str(path), "likes")
    good = _write(eng.assign(likes=1), tmp_path / "good.parquet")
    cpath = _write(conv.assign(gmv=[1.0, -2.0, 3.0, 4.0]), tmp_path / "c.csv")
    with pytest.raises(DataError, match=r"conversion events: column 'gmv' .* negative values in 1 row .* brand=BEA01"):
        aggregate_events(good, cpath)


@pytest.mark.parametrize("column", ["brand", "ts", "category", "note_id", "shares"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_missing_values(tmp_path, column, suffix):
    eng, _ = _events()
    eng = eng.astype({"shares": "Int64"})
    eng.loc[4, column] = None
    path = _write(eng, tmp_path / f"e{suffix}")
    with pytest.raises(DataError, match=rf"column '{column}' \({column}\) has missing values in 1 row \(1 file\); expected a value on every event") as err:
        aggregate_events(path)
    assert (err.value.path, err.value.column) == (str(path), column)
    if suffix == ".parquet":
        assert "row 5" in str(err.value)


def test_one_category_per_brand_and_known_conversion_brands(tmp_path):
    eng, conv = _events()
    eng.loc[4, "category"] = "母婴"
    path = _write(eng, tmp_path / "e.parquet")
    with pytest.raises(DataError, match=r"brand 'BEA01' has 2 categories \(母婴, 美妆个护\); expected one category") as err:
        aggregate_events(path)
    assert err.value.column == "category"
    eng, conv = _events()
    conv.loc[1, "brand"] = "bea01"
    with pytest.raises(DataError, match=r"1 brand\(s\) have no engagement events, so no category: 'bea01'"):
        aggregate_events(_write(eng, tmp_path / "e.parquet"), _write(conv, tmp_path / "c.parquet"))


def test_unreadable_files_are_named(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not a parquet file")
    with pytest.raises(DataError, match="DuckDB cannot read the events") as err:
        aggregate_events(path)
    assert err.value.path == str(path)
    with pytest.raises(DataError, match="no engagement events in the files"):
        aggregate_events(_write(_events()[0].iloc[:0], tmp_path / "empty.parquet"))


# --------------------------------------------------------------------------- synthetic events


def test_the_generator_is_deterministic_for_a_seed(tmp_path, synth):
    again = write_synthetic_events(tmp_path / "a", n_events=30_000, n_brands=12, weeks=12, files=3, seed=7, threads=2)
    other = write_synthetic_events(tmp_path / "b", n_events=30_000, n_brands=12, weeks=12, files=3, seed=8, threads=1)
    for key in ("engagement", "conversion"):
        pd.testing.assert_frame_equal(_read_all(again[key]), _read_all(synth[key]))
        assert not _read_all(other[key]).equals(_read_all(synth[key]))
    eng = _read_all(synth["engagement"])
    assert len(eng) == 30_000 and list(eng.columns) == ENG_COLUMNS
    assert list(_read_all(synth["conversion"]).columns) == CONV_COLUMNS
    assert sorted(eng["brand"].unique())[:2] == ["BAB01", "BAB02"] and eng["brand"].nunique() == 12
    assert eng["ts"].min() >= pd.Timestamp("2023-01-02") and eng["ts"].max() < pd.Timestamp("2023-03-27")
    with pytest.raises(DataError, match="start must be a Monday"):
        write_synthetic_events(tmp_path / "c", n_events=10, start=dt.date(2023, 1, 3))


def test_the_synthetic_regression_finds_a_positive_elasticity(tmp_path):
    files = write_synthetic_events(tmp_path, n_events=200_000, n_brands=24, weeks=26, seed=618, conversion_ratio=0.3)
    panel = aggregate_events(files["engagement"], files["conversion"])
    res = estimate(panel, outcome="add_to_cart", regressors="engagement", fixed_effects=("brand", "week"),
                   family="loglog", vcov="cluster", entity="brand", time="week")
    coef = res.tidy().set_index("term").loc["log_engagement"]
    assert coef["ci_low"] > 0
    # about β0 plus part of β1 through the persistence of engagement; attenuated a little by noise
    assert 0.5 * CART_ELASTICITIES[0] < coef["estimate"] < sum(CART_ELASTICITIES) + 0.15
