"""The seeded simulator of the demo brand × week panel, and the committed demo files."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from reportkit.data import simulate as sim
from reportkit.data.simulate import (
    CATEGORIES,
    COLUMNS,
    COUNT_COLUMNS,
    DEFAULT_SEED,
    SimulatedPanel,
    demo_folder,
    load_demo_panel,
    load_true_params,
    pooled_log_correlation,
    simulate_panel,
    write_demo_panel,
)
from reportkit.errors import DataError

EXPECTED_CATEGORIES = {"美妆个护", "服饰鞋包", "家居家装", "母婴", "3C数码", "食品饮料"}


@pytest.fixture(scope="module")
def panel() -> SimulatedPanel:
    return simulate_panel()


def test_same_seed_same_frame_and_other_seed_differs(panel):
    again = simulate_panel(seed=DEFAULT_SEED)
    pdt.assert_frame_equal(panel.data, again.data, check_exact=True)
    assert panel.truth == again.truth
    other = simulate_panel(seed=DEFAULT_SEED + 1)
    assert not panel.data["add_to_cart"].equals(other.data["add_to_cart"])
    assert not panel.data["engagement"].equals(other.data["engagement"])


def test_schema_and_dtypes(panel):
    df = panel.data
    assert tuple(df.columns) == COLUMNS
    for col in COUNT_COLUMNS:
        assert df[col].dtype == np.dtype("int64"), col
        assert (df[col] >= 0).all(), col
    assert df["gmv"].dtype == np.dtype("float64")
    assert (df["gmv"] >= 0).all()
    for col in ("brand", "category", "week"):
        assert pd.api.types.is_string_dtype(df[col]), col
    assert not df.isna().any().any()


def test_engagement_is_likes_comments_saves(panel):
    df = panel.data
    assert (df["engagement"] == df["likes"] + df["comments"] + df["saves"]).all()


def test_funnel_is_consistent(panel):
    df = panel.data
    assert (df["orders"] <= df["add_to_cart"]).all()
    assert (df["add_to_cart"] <= df["visits"]).all()
    assert ((df["gmv"] == 0) == (df["orders"] == 0)).all()
    assert np.allclose(df["gmv"], df["gmv"].round(2), rtol=0, atol=1e-9)
    # the log model needs no zeros in these columns
    assert (df["engagement"] > 0).all() and (df["add_to_cart"] > 0).all()


def test_categories_brands_and_weeks(panel):
    df = panel.data
    assert set(df["category"]) == EXPECTED_CATEGORIES == set(CATEGORIES)
    assert df.groupby("category")["brand"].nunique().eq(8).all()
    assert df["brand"].str.fullmatch(r"[A-Z]{3}\d{2}").all()
    assert df["brand"].str[:3].groupby(df["category"]).nunique().eq(1).all()
    weeks = sorted(df["week"].unique())
    assert len(weeks) == 104
    # 104 whole weeks: Monday 2023-01-02 to Sunday 2024-12-29 (the last Monday is 2024-12-23)
    assert weeks[0] == "2023-01-02" and weeks[-1] == "2024-12-23"
    assert all(dt.date.fromisoformat(w).weekday() == 0 for w in weeks)
    assert df.groupby("brand").size().eq(104).all()
    assert not df.duplicated(["brand", "week"]).any()
    assert len(df) == 6 * 8 * 104


def test_beauty_pooled_log_correlation_is_near_073(panel):
    beauty = panel.data[panel.data["category"] == "美妆个护"]
    assert len(beauty) == 832
    r = np.corrcoef(np.log(beauty["engagement"]), np.log(beauty["add_to_cart"]))[0, 1]
    assert abs(r - 0.73) <= 0.03
    assert r == pytest.approx(pooled_log_correlation(panel.data, "美妆个护"), abs=1e-12)
    assert panel.truth.calibration["realised_value"] == pytest.approx(r, abs=1e-6)


def test_truth_holds_the_model(panel):
    truth = panel.truth
    assert truth.lag_elasticities == (0.35, 0.15, 0.05)
    assert truth.long_run_elasticity == pytest.approx(0.55)
    assert truth.seed == DEFAULT_SEED
    assert truth.generator_version == sim.GENERATOR_VERSION
    assert [c.category for c in truth.categories] == list(CATEGORIES)
    assert len(truth.brands) == 48
    assert truth.category("美妆个护").code == "BEA"
    with pytest.raises(DataError, match="unknown category"):
        truth.category("汽车")


def test_committed_csv_matches_a_fresh_regeneration(panel):
    path = demo_folder() / sim.PANEL_FILE
    assert path.is_file(), "run `python -m reportkit.data.simulate`"
    assert path.stat().st_size < 1_000_000
    committed = load_demo_panel()
    pdt.assert_frame_equal(committed, panel.data, check_exact=False, rtol=1e-9)


def test_committed_true_params_round_trip(panel):
    params = load_true_params()
    assert params == panel.truth.to_dict()
    text = (demo_folder() / sim.PARAMS_FILE).read_text(encoding="utf-8")
    assert "美妆个护" in text  # ensure_ascii=False
    assert json.loads(text)["lag_elasticities"] == [0.35, 0.15, 0.05]


def test_write_demo_panel_writes_both_files_atomically(tmp_path, panel):
    csv_path, json_path = write_demo_panel(tmp_path / "out")
    assert csv_path.name == "brand_week_panel.csv" and json_path.name == "true_params.json"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([csv_path.name, json_path.name])
    pdt.assert_frame_equal(load_demo_panel(tmp_path / "out"), panel.data, check_exact=False, rtol=1e-9)
    assert load_true_params(tmp_path / "out") == panel.truth.to_dict()
    first_line = csv_path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == ",".join(COLUMNS)  # no index column


def test_main_regenerates(tmp_path, capsys):
    assert sim.main(["--folder", str(tmp_path), "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "brand_week_panel.csv" in out
    assert load_true_params(tmp_path)["seed"] == 7


def test_missing_files_raise_data_error_naming_the_path(tmp_path):
    with pytest.raises(DataError, match=re.escape(str(tmp_path))):
        load_demo_panel(tmp_path)
    with pytest.raises(DataError, match="true_params.json"):
        load_true_params(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"seed": -1}, "-1"),
        ({"seed": "618"}, "'618'"),
        ({"seed": 1.5}, "1.5"),
        ({"seed": True}, "True"),
        ({"n_brands_per_category": 1}, "n_brands_per_category"),
        ({"n_brands_per_category": 100}, "100"),
        ({"n_weeks": 0}, "n_weeks"),
        ({"start": "2023-01-03"}, "Monday"),
        ({"start": "not a date"}, "'not a date'"),
        ({"start": 20230102}, "20230102"),
        ({"start": "2010-01-04"}, "Spring Festival"),
    ],
)
def test_bad_arguments_raise_data_error(kwargs, needle):
    with pytest.raises(DataError, match=re.escape(needle)):
        simulate_panel(**kwargs)


def test_other_sizes_work():
    small = simulate_panel(seed=1, n_brands_per_category=3, start="2024-06-03", n_weeks=5)
    assert len(small.data) == 6 * 3 * 5
    assert small.data["week"].min() == "2024-06-03"


def test_readme_states_the_committed_truth():
    readme = (demo_folder() / "README.md").read_text(encoding="utf-8")
    params = load_true_params()
    assert f"seed {params['seed']}" in readme or f"seed = {params['seed']}" in readme
    for beta in params["lag_elasticities"]:
        assert f"{beta:.2f}" in readme
    assert f"{params['calibration']['realised_value']:.3f}" in readme
    assert params["generator_version"] in readme
    assert "simulated" in readme.lower()


def test_calibrated_claim_is_named_only_for_the_calibrated_analysis():
    import json
    from pathlib import Path

    from reportkit.data.simulate import calibrated_claim

    truth = json.loads((Path(__file__).resolve().parents[1] / "data/simulated/true_params.json").read_text("utf-8"))
    same = dict(category="美妆个护", engagement="engagement", conversion="add_to_cart")
    assert calibrated_claim(truth, **same) == truth["calibration"]["target_value"] == 0.73
    assert calibrated_claim(truth, **{**same, "category": "母婴"}) is None
    assert calibrated_claim(truth, **{**same, "conversion": "orders"}) is None
    assert calibrated_claim(None, **same) is None  # real data: no truth file


def test_demo_folder_is_in_the_project_not_next_to_the_package(tmp_path, monkeypatch):
    """Installed from a wheel the package sits in site-packages; the demo files are the project's."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "reports").mkdir()
    monkeypatch.chdir(project)
    assert demo_folder() == project.resolve() / "data" / "simulated"
    with pytest.raises(DataError, match="demo panel is missing"):
        load_demo_panel()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("REPORTKIT_PROJECT", str(project))
    assert demo_folder() == project.resolve() / "data" / "simulated"
