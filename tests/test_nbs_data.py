"""The project's NBS data files, their loaders, and the generic readers in reportkit.data.io."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from reportkit.data.io import file_sha256, load_data
from reportkit.data.nbs import (
    ANNUAL_FILE,
    MONTHLY_YTD_FILE,
    SERIES,
    load_nbs_annual,
    load_nbs_monthly_ytd,
)
from reportkit.data.paths import PROJECT_ENV, project_root, resolve_data_path
from reportkit.data.periods import parse_ytd_period
from reportkit.errors import DataError

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def annual() -> pd.DataFrame:
    return load_nbs_annual()


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return load_nbs_monthly_ytd()


# ----------------------------------------------------------------- facts pinned


def test_2024_online_retail_facts(annual):
    row = annual.set_index("year").loc[2024]
    assert row["online_retail_100m_yuan"] == 155225
    assert row["online_yoy_official_pct"] == 7.2
    assert row["online_retail_yoy_from_levels_pct"] == 0.6
    prev = annual.set_index("year").loc[2023, "online_retail_100m_yuan"]
    assert prev == 154264
    assert (155225 / 154264 - 1) * 100 == pytest.approx(0.623, abs=1e-3)


def test_annual_shape_and_types(annual):
    assert list(annual["year"]) == list(range(2014, 2026))
    assert annual["year"].dtype.kind == "i"
    assert annual["verification"].notna().all()
    assert annual["source"].notna().all()
    assert math.isnan(annual.loc[0, "physical_online_100m_yuan"])  # 2014: no split published


def test_monthly_shape(monthly):
    assert len(monthly) == 23
    assert list(monthly.columns[:3]) == ["period", "year", "end_month"]
    assert monthly.loc[0, "period"] == "2022-01..02"
    assert (monthly["end_month"] >= 2).all()


def test_december_cumulative_equals_annual_level(annual, monthly):
    dec = monthly[monthly["end_month"] == 12].set_index("year")
    ann = annual.set_index("year")
    for info in SERIES.values():
        for year in dec.index:
            assert dec.loc[year, info.ytd_level_column] == ann.loc[year, info.level_column]


def test_series_mapping_points_at_real_columns(annual, monthly):
    assert {"online_retail", "physical_online", "scgr"} <= set(SERIES)
    assert SERIES["online_retail"].label_zh == "全国网上零售额"
    assert SERIES["physical_online"].label_zh == "实物商品网上零售额"
    assert SERIES["scgr"].label_zh == "社会消费品零售总额"
    for info in SERIES.values():
        assert info.unit == "亿元"
        for col in (info.level_column, info.yoy_official_column, info.yoy_from_levels_column):
            assert col in annual.columns
        for col in (info.ytd_level_column, info.ytd_yoy_column):
            assert col in monthly.columns


def test_parse_ytd_period():
    assert parse_ytd_period("2024-01..02") == (2024, 2)
    assert parse_ytd_period("2022-01..12") == (2022, 12)
    for bad in ("2024-02..03", "2024-01..13", "2024-1..2", "2024"):
        with pytest.raises(ValueError):
            parse_ytd_period(bad)


# ----------------------------------------------------------------- same facts as shared/data


def _shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"reference copy {path} not present (../shared/data is only on dev machines)")
    return path


@pytest.mark.parametrize("name", [ANNUAL_FILE, MONTHLY_YTD_FILE])
def test_project_csv_matches_shared_reference(name):
    reference = pd.read_csv(_shared(name), encoding="utf-8")
    ours = pd.read_csv(REPO / "data" / name, encoding="utf-8")
    assert len(ours) == len(reference)
    missing = set(reference.columns) - set(ours.columns)
    assert not missing, f"project file lacks reference columns {missing}"
    for column in reference.columns:
        pd.testing.assert_series_equal(
            ours[column], reference[column], check_dtype=False, obj=f"{name}:{column}"
        )


# ----------------------------------------------------------------- validation errors


def _write_annual(tmp_path: Path, edit) -> Path:
    frame = pd.read_csv(REPO / "data" / ANNUAL_FILE, encoding="utf-8")
    frame = edit(frame)
    path = tmp_path / "bad_annual.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def test_out_of_order_years_rejected(tmp_path):
    path = _write_annual(tmp_path, lambda f: f.iloc[[0, 2, 1, *range(3, len(f))]])
    with pytest.raises(DataError) as info:
        load_nbs_annual(path)
    msg = str(info.value)
    assert str(path) in msg and "'year'" in msg and "increasing" in msg
    assert info.value.column == "year"


def test_duplicate_years_rejected(tmp_path):
    path = _write_annual(tmp_path, lambda f: pd.concat([f, f.iloc[[-1]]], ignore_index=True))
    with pytest.raises(DataError) as info:
        load_nbs_annual(path)
    msg = str(info.value)
    assert str(path) in msg and "duplicate" in msg and "2025" in msg
    assert info.value.column == "year"


def test_negative_level_rejected(tmp_path):
    def edit(f):
        f.loc[3, "scgr_100m_yuan"] = -1.0
        return f

    path = _write_annual(tmp_path, edit)
    with pytest.raises(DataError) as info:
        load_nbs_annual(path)
    msg = str(info.value)
    assert str(path) in msg and "scgr_100m_yuan" in msg and "line 5" in msg
    assert info.value.column == "scgr_100m_yuan"


def test_missing_column_rejected(tmp_path):
    path = _write_annual(tmp_path, lambda f: f.drop(columns=["online_yoy_official_pct"]))
    with pytest.raises(DataError, match="online_yoy_official_pct") as info:
        load_nbs_annual(path)
    assert str(path) in str(info.value)


def test_monthly_bad_period_and_decreasing_cumulative(tmp_path):
    frame = pd.read_csv(REPO / "data" / MONTHLY_YTD_FILE, encoding="utf-8")
    bad = frame.copy()
    bad.loc[1, "period"] = "2022-03"
    path = tmp_path / "bad_period.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match="period") as info:
        load_nbs_monthly_ytd(path)
    assert str(path) in str(info.value)

    bad = frame.copy()
    bad.loc[2, "online_retail_ytd_100m_yuan"] = 100.0
    path = tmp_path / "bad_cumulative.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match="online_retail_ytd_100m_yuan") as info:
        load_nbs_monthly_ytd(path)
    assert "2022-01..04" in str(info.value)


# ----------------------------------------------------------------- generic readers


def test_project_root_and_resolve(tmp_path, monkeypatch):
    assert project_root(REPO / "data") == REPO
    assert project_root(REPO / "data" / ANNUAL_FILE) == REPO
    # no data/ + reports/ above tmp_path: the folder named by REPORTKIT_PROJECT
    monkeypatch.setenv(PROJECT_ENV, str(REPO))
    assert project_root(tmp_path) == REPO
    monkeypatch.chdir(tmp_path)
    assert resolve_data_path(f"data/{ANNUAL_FILE}") == REPO / "data" / ANNUAL_FILE


def test_project_root_never_falls_back_to_the_package_folder(tmp_path, monkeypatch):
    """Installed from a wheel, the package sits in site-packages: only the working directory
    and REPORTKIT_PROJECT say where the project is."""
    monkeypatch.delenv(PROJECT_ENV, raising=False)
    with pytest.raises(DataError, match=PROJECT_ENV) as info:
        project_root(tmp_path)
    assert str(tmp_path.resolve()) in str(info.value)
    monkeypatch.setenv(PROJECT_ENV, str(tmp_path))  # a folder without data/
    with pytest.raises(DataError, match="no data/ folder"):
        project_root(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="project root: not found"):
        resolve_data_path(f"data/{ANNUAL_FILE}")


def test_missing_file_raises_with_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        load_data("data/no_such_file.csv")
    msg = str(info.value)
    assert "data/no_such_file.csv" in msg and str(tmp_path) in msg and "not found" in msg


def test_empty_file_raises_with_path(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty") as info:
        load_data(path)
    assert str(path) in str(info.value)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_data(blank)
    assert str(blank) in str(info.value)


def test_gbk_file_raises_with_hint(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("地区,网上零售额\n全国,155225\n".encode("gbk"))
    with pytest.raises(DataError) as info:
        load_data(path)
    msg = str(info.value)
    assert str(path) in msg and "gb18030" in msg and "GBK" in msg
    frame = load_data(path, encoding="gb18030")
    assert list(frame.columns) == ["地区", "网上零售额"]


def test_parquet_without_pyarrow_or_unknown_type(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 not really")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(DataError, match="pip install pyarrow"):
            load_data(path)
    else:
        with pytest.raises(DataError):
            load_data(path)
    other = tmp_path / "x.xlsx"
    other.write_bytes(b"zz")
    with pytest.raises(DataError, match="unsupported"):
        load_data(other)


def test_file_sha256(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n1,2\n")
    import hashlib

    assert file_sha256(path) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    with pytest.raises(DataError):
        file_sha256(tmp_path / "missing.csv")
