"""The seeded staggered-adoption simulator: its truth, and that a heterogeneity-robust estimator
recovers it where a static two-way fixed-effects regression does not."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf

from reportkit.data import simulate_adoption as sa
from reportkit.data.simulate_adoption import COLUMNS, read_adoption, simulate_adoption, write_adoption
from reportkit.errors import DataError, ReportKitError

#: a small panel for the fits: 3 categories × 10 brands × 52 weeks, waves in weeks 13, 26, 39
SMALL = {"n_brands_per_category": 10, "n_weeks": 52, "wave_weeks": (13, 26, 39), "wave_shares": (0.3, 0.3, 0.2)}
SEEDS = range(20)


def _with_truth_columns(frame: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """The frame with ``treat``, the event time and the true effect, recomputed from the frame's own
    adoption weeks and the design's parameters (not from the truth's path or ATTs)."""
    design = truth["design"]
    d = frame.copy()
    week = pd.to_datetime(d["week"])
    d["treat"] = (d["adoption_week"].notna() & (week >= d["adoption_week"])).astype("int64")
    d["event_time"] = ((week - d["adoption_week"]).dt.days // 7).astype("Float64")
    start = pd.Timestamp(design["start"])
    wave = ((d["adoption_week"] - start).dt.days // 7).astype("Int64")
    mult = wave.map(dict(zip(design["wave_weeks"], design["wave_multipliers"], strict=True))).astype("Float64")
    tau = d["category"].map(design["category_effects"])
    e = d["event_time"].fillna(-1).to_numpy(dtype=float)
    build = 1.0 - np.exp(-(np.maximum(e, 0) + 1.0) / design["build_up_weeks"])
    d["delta"] = np.where(d["treat"] == 1, tau * mult.fillna(0).to_numpy(dtype=float) * build, 0.0)
    d["wave"] = wave
    d["y"] = np.log(d["add_to_cart"])
    d["log_engagement"] = np.log(d["engagement"])
    return d


@pytest.fixture(scope="module")
def default():
    return simulate_adoption()


# --------------------------------------------------------------------------- the data


def test_same_seed_same_panel_other_seed_differs(default):
    frame, truth = default
    again = simulate_adoption(sa.DEFAULT_SEED)
    pdt.assert_frame_equal(frame, again.data, check_exact=True)
    assert truth == again.truth
    other = simulate_adoption(sa.DEFAULT_SEED + 1)
    assert not frame["add_to_cart"].equals(other.data["add_to_cart"])
    assert not frame["adoption_week"].equals(other.data["adoption_week"])  # who adopts when moves too
    assert truth["att_overall"] == other.truth["att_overall"]  # the design, not the seed, fixes the ATT


def test_schema_dtypes_and_design(default):
    frame, truth = default
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == 3 * 20 * 104
    for col in ("brand", "category", "week"):
        assert pd.api.types.is_string_dtype(frame[col]), col
    assert frame["adoption_week"].dtype == np.dtype("datetime64[ns]")
    for col in ("engagement", "add_to_cart"):
        assert frame[col].dtype == np.dtype("int64") and (frame[col] > 0).all(), col
    assert frame["week"].iloc[0] == "2023-01-02" and frame["week"].nunique() == 104
    # adoption is a brand attribute, on a Monday of the panel
    assert frame.groupby("brand")["adoption_week"].nunique(dropna=False).eq(1).all()
    adopted = frame["adoption_week"].dropna().dt.strftime("%Y-%m-%d")
    assert set(adopted) == {"2023-07-03", "2024-01-01", "2024-07-01"}  # weeks 26, 52, 78
    json.dumps(truth, ensure_ascii=False)  # JSON-ready as it is
    assert truth["seed"] == sa.DEFAULT_SEED and truth["design"]["build_up_weeks"] == 4.0


def test_never_treated_brands_exist_in_every_category(default):
    frame, truth = default
    never = frame[frame["adoption_week"].isna()].groupby("category")["brand"].nunique()
    assert set(never.index) == set(frame["category"])
    assert (never == truth["wave_counts_per_category"]["never"]).all() and (never >= 1).all()


def test_no_anticipation_in_the_truth(default):
    _, truth = default
    for category, waves in truth["path"].items():
        for wave, cell in waves.items():
            e = np.array(cell["event_time"])
            effect = np.array(cell["effect"])
            assert (effect[e < 0] == 0.0).all(), (category, wave)
            assert (effect[e >= 0] > 0).all(), (category, wave)
            assert (np.diff(effect[e >= 0]) > 0).all(), (category, wave)  # builds up


def test_no_anticipation_in_the_data():
    """Same seed, effects switched off: the counts are drawn by inversion from the same uniforms, so
    every row before adoption (and every never-treated row) is identical, and treated rows move up."""
    treated, truth = simulate_adoption(5, **SMALL)
    null, _ = simulate_adoption(5, **SMALL, category_effects=dict.fromkeys(truth["path"], 0.0))
    d = _with_truth_columns(treated, truth)
    before = d["treat"] == 0
    assert before.sum() > 0 and (~before).sum() > 0
    pdt.assert_series_equal(treated.loc[before, "add_to_cart"], null.loc[before, "add_to_cart"])
    pdt.assert_series_equal(treated["engagement"], null["engagement"])  # adoption never moves engagement
    after = ~before
    assert (treated.loc[after, "add_to_cart"] >= null.loc[after, "add_to_cart"]).all()
    ratio = np.log(treated.loc[after, "add_to_cart"] / null.loc[after, "add_to_cart"])
    assert np.corrcoef(ratio, d.loc[after, "delta"])[0, 1] > 0.95  # the uplift is the true effect


def test_truth_att_equals_a_recomputation_from_the_frame(default):
    frame, truth = default
    d = _with_truth_columns(frame, truth)
    treated = d[d["treat"] == 1]
    assert len(treated) == truth["n_treated_brand_weeks"]
    assert treated["delta"].mean() == pytest.approx(truth["att_overall"], abs=1e-10)
    by_wave = treated.groupby("wave")["delta"].mean()
    assert {str(k): v for k, v in by_wave.items()} == pytest.approx(truth["att_by_cohort"], abs=1e-10)
    by_cat = treated.groupby("category")["delta"].mean()
    assert by_cat.to_dict() == pytest.approx(truth["att_by_category"], abs=1e-10)
    by_e = treated.groupby("event_time")["delta"].agg(["mean", "size"])
    assert by_e.index.astype(int).tolist() == truth["att_by_event_time"]["event_time"]
    assert by_e["mean"].tolist() == pytest.approx(truth["att_by_event_time"]["effect"], abs=1e-10)
    assert by_e["size"].tolist() == truth["att_by_event_time"]["n_brand_weeks"]
    # heterogeneity, as designed: early waves and 美妆个护 gain more
    cohorts = list(truth["att_by_cohort"].values())
    assert cohorts == sorted(cohorts, reverse=True)
    assert max(truth["att_by_category"], key=truth["att_by_category"].get) == "美妆个护"


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"seed": -1}, "seed must be between 0 and .*; got -1"),
        ({"seed": "7"}, "seed must be an integer .*; got '7'"),
        ({"n_categories": 7}, "n_categories must be between 1 and 6; got 7"),
        ({"n_brands_per_category": 1}, "n_brands_per_category must be between 2 and 999; got 1"),
        ({"n_weeks": 2.5}, "n_weeks must be an integer .*; got 2.5"),
        ({"start": "2023-01-03"}, "start must be a Monday .*2023-01-03, a Tuesday"),
        ({"wave_weeks": (0, 52, 78)}, r"wave_weeks\[0\] must be between 1 and 103; got 0"),
        ({"wave_weeks": (26, 26, 78)}, r"wave_weeks must be strictly increasing .*\[26, 26, 78\]"),
        ({"wave_weeks": 26}, "wave_weeks must be a list or tuple; got 26"),
        ({"wave_shares": (0.5, 0.3, 0.2)}, r"never-treated share > 0 .*\[0.5, 0.3, 0.2\], summing to 1"),
        ({"wave_shares": (0.5, 0.3)}, r"wave_shares needs one share per wave \(3\); got \[0.5, 0.3\]"),
        ({"wave_shares": (0.3, -0.1, 0.2)}, r"wave_shares\[1\] must be in \(0.0, 1.0\]; got -0.1"),
        ({"wave_multipliers": (1.0, 1.0)}, r"wave_multipliers needs one multiplier per wave \(3\)"),
        ({"category_effects": {"美妆": 0.1}}, r"unknown categories \['美妆'\]; expected some of 美妆个护"),
        ({"category_effects": {"美妆个护": float("nan")}}, r"category_effects\['美妆个护'\] .*; got nan"),
        ({"build_up_weeks": 0}, r"build_up_weeks must be in \(0.0, 520.0\]; got 0"),
        ({"n_brands_per_category": 3}, "n_brands_per_category=3 .*waves starting in weeks"),
        ({"n_brands_per_category": 5, "wave_weeks": (26,), "wave_shares": (0.95,), "wave_multipliers": (1.0,)},
         "n_brands_per_category=5 the never-treated share 0.05 rounds to no brand"),
    ],
)
def test_bad_inputs_are_refused_naming_the_value(options, named):
    with pytest.raises(DataError, match=named) as info:
        simulate_adoption(**options)
    assert isinstance(info.value, ReportKitError)


# --------------------------------------------------------------------------- files


def test_write_adoption_and_the_command(tmp_path):
    csv_path, json_path = write_adoption(tmp_path / "out", seed=3, **SMALL)
    frame, truth = simulate_adoption(3, **SMALL)
    back = pd.read_csv(csv_path, dtype={"brand": "str", "category": "str", "week": "str"},
                       parse_dates=["adoption_week"], encoding="utf-8")
    back["adoption_week"] = back["adoption_week"].astype("datetime64[ns]")  # pandas 3 reads µs
    pdt.assert_frame_equal(back, frame, check_dtype=False)
    assert back["adoption_week"].isna().sum() == frame["adoption_week"].isna().sum() > 0
    assert json.loads(json_path.read_text(encoding="utf-8")) == truth
    assert not list((tmp_path / "out").glob("*.partial"))

    assert sa.main(["--folder", str(tmp_path / "cli"), "--seed", "3"]) == 0
    assert (tmp_path / "cli" / sa.PANEL_FILE).is_file() and (tmp_path / "cli" / sa.TRUTH_FILE).is_file()


def test_read_adoption_returns_the_simulated_types(tmp_path):
    """What write_adoption wrote reads back as simulate_adoption returned it: the same values and dtypes."""
    write_adoption(tmp_path, seed=3, **SMALL)
    frame, _ = simulate_adoption(3, **SMALL)
    back = read_adoption(tmp_path)
    pdt.assert_frame_equal(back, frame, check_exact=True)  # dtypes included
    assert back["adoption_week"].dtype == np.dtype("datetime64[ns]")
    assert back["adoption_week"].isna().any() and back["adoption_week"].notna().any()
    for col in ("engagement", "add_to_cart"):
        assert back[col].dtype == np.dtype("int64"), col
    assert back["week"].iloc[0] == "2023-01-02"  # an ISO date string, as in the demo panel


def test_read_adoption_refuses_a_missing_file_and_a_bad_date(tmp_path):
    with pytest.raises(DataError, match="adoption panel is missing"):
        read_adoption(tmp_path)
    write_adoption(tmp_path, seed=3, **SMALL)
    path = tmp_path / sa.PANEL_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[3] = "2023/07/03"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"adoption_week must be an ISO date .*'2023/07/03' on line 6") as info:
        read_adoption(tmp_path)
    assert info.value.column == "adoption_week" and info.value.rows[0] == 6


# --------------------------------------------------------------------------- recovery


def _did2s(d: pd.DataFrame, y: str = "y", first: str = "~ log_engagement | brand + week") -> pf.Feols:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")  # pyfixest 0.60 under pandas 3
        return pf.did2s(d, yname=y, first_stage=first, second_stage="~ 0 + treat", treatment="treat", cluster="brand")


def _twfe(d: pd.DataFrame, rhs: str = "treat + log_engagement", y: str = "y") -> pf.Feols:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")  # pyfixest 0.60 under pandas 3
        return pf.feols(f"{y} ~ {rhs} | brand + week", data=d, vcov={"CRV1": "brand"})


def test_did2s_point_estimate_is_the_manual_two_stage_imputation():
    """pyfixest's did2s with one pooled dummy is the imputation estimator: fit the untreated rows
    (brand + week effects and engagement) by OLS, predict the treated rows, average the gaps."""
    frame, truth = simulate_adoption(2, **SMALL)
    d = _with_truth_columns(frame, truth)
    untreated = d[d["treat"] == 0]
    ols = smf.ols("y ~ log_engagement + C(brand) + C(week)", data=untreated).fit()
    treated = d[d["treat"] == 1]
    manual = float((treated["y"] - ols.predict(treated)).mean())
    assert _did2s(d).coef()["treat"] == pytest.approx(manual, abs=1e-8)


def test_static_twfe_is_biased_by_design_and_did2s_is_not():
    """On the true effect alone (no noise), the imputation estimator returns the ATT exactly; static
    TWFE, whose implicit weights use already-treated early adopters as controls while their effect
    still grows, returns less. This is the bias, free of sampling error."""
    frame, truth = simulate_adoption(0, **SMALL)
    d = _with_truth_columns(frame, truth)
    att = truth["att_overall"]
    assert _did2s(d, y="delta", first="~ 0 | brand + week").coef()["treat"] == pytest.approx(att, abs=1e-9)
    twfe = _twfe(d, rhs="treat", y="delta").coef()["treat"]
    assert twfe < att - 0.025, (twfe, att)  # 0.101 against 0.137 (−0.036) for this design


@pytest.fixture(scope="module")
def fits() -> pd.DataFrame:
    rows = []
    for seed in SEEDS:
        frame, truth = simulate_adoption(seed, **SMALL)
        d = _with_truth_columns(frame, truth)
        fit = _did2s(d)
        low, high = fit.confint().loc["treat"]
        twfe = _twfe(d)
        t_low, t_high = twfe.confint().loc["treat"]
        rows.append({"seed": seed, "att": truth["att_overall"], "did2s": fit.coef()["treat"],
                     "se": fit.se()["treat"], "covers": low <= truth["att_overall"] <= high,
                     "twfe": twfe.coef()["treat"], "twfe_covers": t_low <= truth["att_overall"] <= t_high})
    return pd.DataFrame(rows)


def test_did2s_recovers_the_overall_att_over_seeds(fits):
    att = fits["att"].iloc[0]
    assert fits["att"].nunique() == 1
    # the 95 % interval covers the truth in most seeds (P(≤ 15 of 20 | 95 %) ≈ 0.3 %)...
    assert fits["covers"].sum() >= 16, fits
    # ...and not because it is wide or off-centre: the mean estimate sits on the truth (the seeds'
    # spread of the mean is about 0.005) and the interval is narrower than the TWFE bias is large
    assert fits["did2s"].mean() == pytest.approx(att, abs=0.012)
    assert 1.96 * fits["se"].median() < 0.5 * att
    # the reported standard error matches the spread of the estimates across seeds
    assert 0.6 < fits["did2s"].std() / fits["se"].mean() < 1.6


def test_static_twfe_is_biased_downward_over_seeds(fits):
    att = fits["att"].iloc[0]
    bias = fits["twfe"].mean() - att
    assert bias < -0.02, bias  # about −0.034 (−25 %) here
    assert (fits["twfe"] < fits["did2s"]).mean() >= 0.9
    assert fits["twfe_covers"].sum() < fits["covers"].sum()
