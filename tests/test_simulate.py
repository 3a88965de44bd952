"""The seeded simulator of the demo brand × week panel, and the committed demo files."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyfixest as pf
import pytest

from reportkit.data import simulate as sim
from reportkit.data import simulate_adoption as sa
from reportkit.data.simulate import (
    CATEGORIES,
    COLUMNS,
    COUNT_COLUMNS,
    DEFAULT_SEED,
    PANEL_COLUMNS,
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
    assert tuple(df.columns) == PANEL_COLUMNS == (*COLUMNS, "adoption_week")
    for col in COUNT_COLUMNS:
        assert df[col].dtype == np.dtype("int64"), col
        assert (df[col] >= 0).all(), col
    assert df["gmv"].dtype == np.dtype("float64")
    assert (df["gmv"] >= 0).all()
    for col in ("brand", "category", "week"):
        assert pd.api.types.is_string_dtype(df[col]), col
    assert df["adoption_week"].dtype == np.dtype("datetime64[ns]")
    assert not df[list(COLUMNS)].isna().any().any()  # adoption_week is NaT for never-adopting brands


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
    assert committed["adoption_week"].dtype == np.dtype("datetime64[ns]")
    assert committed["adoption_week"].isna().sum() == 6 * 2 * 104  # NaT for the never-adopting brands
    # in the file: an ISO date, or an empty last cell for a brand that never adopts
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    last = {line.rsplit(",", 1)[1] for line in lines}
    assert last == {"", "2023-07-03", "2024-01-01", "2024-07-01"}


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
    assert first_line == ",".join(PANEL_COLUMNS)  # no index column; adoption_week last


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
        # a wave or the never-adopting group would be empty (shares 0.25 each, largest remainder)
        ({"n_brands_per_category": 3}, "n_brands_per_category must give every category at least one brand"),
        ({"n_weeks": 0}, "n_weeks"),
        ({"n_weeks": 78}, "n_weeks must be at least 79"),  # the last wave joins in week index 78
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
    # the smallest panel with adoption: one brand per wave and one never-adopting brand, and the last
    # wave (week index 78) inside the panel
    small = simulate_panel(seed=1, n_brands_per_category=4, start="2024-06-03", n_weeks=79)
    assert len(small.data) == 6 * 4 * 79
    assert small.data["week"].min() == "2024-06-03"
    assert small.truth.adoption["wave_counts_per_category"] == {"26": 1, "52": 1, "78": 1, "never": 1}
    assert small.truth.adoption["wave_mondays"] == {"26": "2024-12-02", "52": "2025-06-02", "78": "2025-12-01"}
    assert small.data["adoption_week"].max() == pd.Timestamp("2025-12-01")
    # other sizes: the same shares, largest-remainder rounding (ties to the earlier wave)
    five = simulate_panel(seed=1, n_brands_per_category=5)
    assert five.truth.adoption["wave_counts_per_category"] == {"26": 2, "52": 1, "78": 1, "never": 1}


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


# --------------------------------------------------------------------------- staggered adoption


def _adoption_columns(df: pd.DataFrame, adoption: dict) -> pd.DataFrame:
    """The frame with ``treat``, the event time, the wave and the true ``delta`` of every brand-week,
    recomputed from the frame's own adoption weeks and the design's parameters (not the truth's path)."""
    design = adoption["design"]
    d = df.copy()
    week = pd.to_datetime(d["week"])
    d["treat"] = (d["adoption_week"].notna() & (week >= d["adoption_week"])).astype("int64")
    d["event_time"] = ((week - d["adoption_week"]).dt.days // 7).astype("Float64")
    wave = ((d["adoption_week"] - pd.Timestamp(design["start"])).dt.days // 7).astype("Int64")
    mult = wave.map(dict(zip(design["wave_weeks"], design["wave_multipliers"], strict=True))).astype("Float64")
    tau = d["category"].map(design["category_effects"]).to_numpy(dtype=float)
    e = d["event_time"].fillna(-1).to_numpy(dtype=float)
    build = 1.0 - np.exp(-(np.maximum(e, 0) + 1.0) / design["build_up_weeks"])
    d["delta"] = np.where(d["treat"] == 1, tau * mult.fillna(0).to_numpy(dtype=float) * build, 0.0)
    d["wave"] = wave
    return d


def test_adoption_waves_and_counts_per_category(panel):
    df, adoption = panel.data, panel.truth.adoption
    assert adoption["design"]["wave_weeks"] == [26, 52, 78]
    assert adoption["wave_mondays"] == {"26": "2023-07-03", "52": "2024-01-01", "78": "2024-07-01"}
    assert adoption["wave_counts_per_category"] == {"26": 2, "52": 2, "78": 2, "never": 2}
    # adoption is a brand attribute
    assert df.groupby("brand")["adoption_week"].nunique(dropna=False).eq(1).all()
    per_brand = df.drop_duplicates("brand").copy()
    per_brand["wave"] = per_brand["adoption_week"].dt.strftime("%Y-%m-%d").fillna("never")
    counts = per_brand.groupby(["category", "wave"]).size().unstack()
    assert set(counts.index) == set(CATEGORIES)
    assert counts.columns.tolist() == ["2023-07-03", "2024-01-01", "2024-07-01", "never"]
    assert (counts == 2).all().all()
    # the truth's brand list says the same
    truth_weeks = {b["brand"]: b["adoption_week"] for b in panel.truth.brands}
    frame_weeks = dict(zip(per_brand["brand"], per_brand["adoption_week"].dt.strftime("%Y-%m-%d"), strict=True))
    assert truth_weeks == {k: (None if pd.isna(v) else v) for k, v in frame_weeks.items()}
    for b in panel.truth.brands:
        g = b["adoption_week_index"]
        assert (g is None) == (b["adoption_week"] is None)
        if g is not None:
            assert b["adoption_week"] == adoption["wave_mondays"][str(g)]


def test_adoption_weeks_are_mondays_inside_the_panel(panel):
    df = panel.data
    adopted = df["adoption_week"].dropna()
    assert (adopted.dt.day_of_week == 0).all()
    weeks = pd.to_datetime(df["week"])
    assert weeks.min() < adopted.min() and adopted.max() <= weeks.max()
    assert set(adopted.dt.strftime("%Y-%m-%d")) <= set(df["week"])  # a week of the panel
    # every wave has weeks before it (a pre-period) and after it
    assert (weeks < adopted.min()).any() and (weeks >= adopted.max()).any()


def test_adoption_is_drawn_from_its_own_generator(panel, monkeypatch):
    """Which brand is in which wave comes from default_rng([seed, 1]), not the model's generator: the
    assignment reproduces from that stream alone, and the draws the model makes before the first treated
    brand-week (all of 美妆个护's engagement, the add_to_cart before its first adopter) do not change
    when the effect is switched off."""
    stream = np.random.default_rng([DEFAULT_SEED, 1])
    counts = list(panel.truth.adoption["wave_counts_per_category"].values())
    waves = [26, 52, 78, None]
    by_brand = {b["brand"]: b["adoption_week_index"] for b in panel.truth.brands}
    for code, category in zip(("BEA", "FAS", "HOM", "BAB", "DIG", "FOO"), CATEGORIES, strict=True):
        expected = [waves[j] for j in sa.assign_waves(stream, counts)]
        assert [by_brand[f"{code}{j + 1:02d}"] for j in range(8)] == expected, category

    monkeypatch.setattr(sim, "ADOPTION_WAVE_MULTIPLIERS", (0.0, 0.0, 0.0))
    null = simulate_panel()
    assert null.truth.adoption["att_overall"] == 0.0
    pdt.assert_series_equal(null.data["adoption_week"], panel.data["adoption_week"])  # same assignment
    beauty = panel.data["category"] == "美妆个护"
    for col in ("notes", "likes", "comments", "saves", "shares", "engagement"):
        pdt.assert_series_equal(null.data.loc[beauty, col], panel.data.loc[beauty, col])
    first_treated = _adoption_columns(panel.data, panel.truth.adoption)["treat"].to_numpy().argmax()
    assert first_treated >= 104  # BEA01 never adopts with seed 618: at least one whole brand
    pdt.assert_series_equal(
        null.data["add_to_cart"].iloc[:first_treated], panel.data["add_to_cart"].iloc[:first_treated]
    )
    assert null.data["add_to_cart"].iloc[first_treated] != panel.data["add_to_cart"].iloc[first_treated]


def test_adoption_truth_is_the_design_of_simulate_adoption(panel):
    adoption = panel.truth.adoption
    assert sa.CATEGORIES == CATEGORIES
    design = adoption["design"]
    assert design["wave_multipliers"] == [1.5, 1.0, 0.6]
    assert design["build_up_weeks"] == 4.0
    assert design["category_effects"] == {
        "美妆个护": 0.20,
        "服饰鞋包": 0.12,
        "家居家装": 0.06,
        "母婴": 0.15,
        "3C数码": 0.08,
        "食品饮料": 0.10,
    }
    assert design["start"] == "2023-01-02" and design["n_weeks"] == 104 and design["seed"] == DEFAULT_SEED
    assert "log(mu_it)" in adoption["effect_formula"] and "add_to_cart" in adoption["effect_formula"]
    assert "simple mean of delta_it over all treated brand-weeks" in adoption["att_definition"]
    # the path is the formula: δ(e) = m_g · τ_c · (1 − exp(−(e + 1)/k)) for e ≥ 0, and 0 before (no anticipation)
    for category, cells in adoption["path"].items():
        tau = design["category_effects"][category]
        assert list(cells) == ["26", "52", "78"]
        for (wave, cell), m in zip(cells.items(), design["wave_multipliers"], strict=True):
            e = np.array(cell["event_time"])
            assert e[0] == -int(wave) and e[-1] == 103 - int(wave) and len(e) == 104
            expected = np.where(e >= 0, m * tau * (1 - np.exp(-(e + 1) / 4.0)), 0.0)
            np.testing.assert_allclose(cell["effect"], expected, rtol=0, atol=1e-12)
            assert (np.array(cell["effect"])[e < 0] == 0.0).all()


def test_adoption_atts_recompute_from_path_and_wave_counts(panel):
    adoption = panel.truth.adoption
    counts = adoption["wave_counts_per_category"]
    rows = []  # one row per (category, wave, event time ≥ 0), weighted by the brands in the wave
    for category, cells in adoption["path"].items():
        for wave, cell in cells.items():
            for e, d in zip(cell["event_time"], cell["effect"], strict=True):
                if e >= 0:
                    rows.append({"category": category, "wave": wave, "e": e, "delta": d, "n": counts[wave]})
    cells = pd.DataFrame(rows)
    cells["weighted"] = cells["delta"] * cells["n"]

    def mean(frame):
        return frame["weighted"].sum() / frame["n"].sum()

    assert adoption["n_treated_brand_weeks"] == cells["n"].sum() == 6 * 2 * (78 + 52 + 26)
    assert adoption["att_overall"] == pytest.approx(mean(cells), abs=1e-10)
    assert adoption["att_by_cohort"] == pytest.approx({w: mean(f) for w, f in cells.groupby("wave")}, abs=1e-10)
    assert adoption["att_by_category"] == pytest.approx({c: mean(f) for c, f in cells.groupby("category")}, abs=1e-10)
    by_e = adoption["att_by_event_time"]
    assert by_e["event_time"] == list(range(78))
    assert by_e["effect"] == pytest.approx([mean(f) for _, f in cells.groupby("e")], abs=1e-10)
    assert by_e["n_brand_weeks"] == cells.groupby("e")["n"].sum().tolist()
    # the same means over the panel's own brand-weeks (adoption weeks of the frame, the design's formula)
    d = _adoption_columns(panel.data, adoption)
    treated = d[d["treat"] == 1]
    assert len(treated) == adoption["n_treated_brand_weeks"]
    assert treated["delta"].mean() == pytest.approx(adoption["att_overall"], abs=1e-10)
    assert treated.groupby("category")["delta"].mean().to_dict() == pytest.approx(
        adoption["att_by_category"], abs=1e-10
    )
    # heterogeneity as designed: early waves and 美妆个护 gain more
    cohorts = list(adoption["att_by_cohort"].values())
    assert cohorts == sorted(cohorts, reverse=True)
    assert max(adoption["att_by_category"], key=adoption["att_by_category"].get) == "美妆个护"


def test_committed_truth_has_the_adoption_block():
    params = load_true_params()
    adoption = params["adoption"]
    for key in (
        "design",
        "wave_mondays",
        "effect_formula",
        "wave_counts_per_category",
        "att_definition",
        "att_overall",
        "att_by_cohort",
        "att_by_category",
        "att_by_event_time",
        "n_treated_brand_weeks",
        "path",
    ):
        assert key in adoption, key
    assert all("adoption_week" in b and "adoption_week_index" in b for b in params["brands"])


def test_did2s_recovers_the_true_att_on_the_demo_panel(panel):
    """The imputation (two-stage) estimator with brand and week effects in its first stage, on
    log(add_to_cart) of the demo panel, covers the true ATT (on log μ) with its 95 % interval."""
    d = _adoption_columns(load_demo_panel(), panel.truth.adoption)
    d["y"] = np.log(d["add_to_cart"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")  # pyfixest 0.60 under pandas 3
        fit = pf.did2s(
            d,
            yname="y",
            first_stage="~ 0 | brand + week",
            second_stage="~ 0 + treat",
            treatment="treat",
            cluster="brand",
        )
    att = load_true_params()["adoption"]["att_overall"]
    low, high = fit.confint().loc["treat"]
    assert low <= att <= high, (fit.coef()["treat"], low, high, att)
    assert high - low < att  # informative: the interval is narrower than the effect is large
