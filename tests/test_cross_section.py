"""Cross-sections and daily panels in the engagement path (issue 16, item 3).

A file with one row per campaign, store or session and no time column runs through the engagement
notebook as a cross-section (``time=""``): conversion on engagement across units, without time
effects, with robust (HC) or group-clustered standard errors, the parts that need time skipped with
a sentence saying why. A daily panel is summed to weeks on request (``aggregate="week"``). A file
without a declared role is refused naming the role, the file's columns and how to declare a
cross-section.

The real data set (UCI Online Shoppers Purchasing Intention) lives outside the project, at
``../shared/data/real/`` from the project root; tests that need it skip when it is absent.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reportkit.analysis import engagement
from reportkit.analysis.models import rate_by
from reportkit.data.io import aggregate_panel, load_panel
from reportkit.errors import AnalysisError, DataError, DataWarning, NotebookError
from reportkit.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "engagement_conversion.ipynb"
SHOPPERS = ROOT / ".." / "shared" / "data" / "real" / "online_shoppers_intention.csv"
needs_shoppers = pytest.mark.skipif(
    not SHOPPERS.is_file(),
    reason=f"real data not available: {SHOPPERS} (UCI Online Shoppers Purchasing Intention; the project never holds a copy)")
TODAY = "2025-06-30"
CATEGORIES = ("美妆", "服饰", "家居", "母婴", "数码", "食品", "宠物", "运动")
TRUE_ELASTICITY = 0.6


def campaigns(seed: int = 7, n: int = 240) -> pd.DataFrame:
    """A campaign table as an analyst exports it: one row per campaign, no date, a category,
    engagement components and orders with a known elasticity of orders on engagement."""
    rng = np.random.default_rng(seed)
    category = rng.choice(CATEGORIES, n)
    level = dict(zip(CATEGORIES, rng.normal(0.0, 0.3, len(CATEGORIES)), strict=True))
    likes = rng.integers(500, 20_000, n)
    comments = (likes * rng.uniform(0.05, 0.2, n)).astype(int)
    saves = (likes * rng.uniform(0.1, 0.3, n)).astype(int)
    interactions = likes + comments + saves
    mean = np.exp(np.array([level[c] for c in category]) + TRUE_ELASTICITY * np.log(interactions) - 1.5
                  + rng.normal(0.0, 0.3, n))
    return pd.DataFrame({"campaign_id": [f"C{i:04d}" for i in range(n)], "category": category, "likes": likes,
                         "comments": comments, "saves": saves, "engagement": interactions,
                         "orders": rng.poisson(mean)})


@pytest.fixture(scope="module")
def shoppers() -> pd.DataFrame:
    if not SHOPPERS.is_file():
        pytest.skip(f"real data not available: {SHOPPERS}")
    return load_panel(SHOPPERS, entity=None, period=None, group="VisitorType", required=["PageValues", "Revenue"],
                      binary=["Revenue"], other_columns="keep")


# --------------------------------------------------------------------------- the loader


def test_a_panel_file_without_the_declared_time_role_is_refused_naming_role_columns_and_cross_section(tmp_path):
    path = tmp_path / "campaigns.csv"
    campaigns().to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load_panel(path, entity="campaign_id", required=["engagement", "orders"], today=TODAY)  # time role: 'week'
    message = str(info.value)
    assert info.value.path == str(path) and info.value.column == "week"
    assert str(path) in message
    assert "no column for the time role 'week'" in message
    assert "['campaign_id', 'category', 'likes', 'comments', 'saves', 'engagement', 'orders']" in message
    assert "columns={'your date column': 'week'}" in message
    assert "declare a cross-section with time=''" in message
    assert "missing column(s)" not in message  # the old message, with no way forward


def test_every_missing_role_is_named_in_one_error(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"shop": ["A"], "day": ["2024-01-01"], "interactions": [3]}).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load_panel(path, group="category", required=["interactions", "carts"], today=TODAY)
    message = str(info.value)
    for role in ("the entity role 'brand'", "the time role 'week'", "the group role 'category'", "the metric 'carts'"):
        assert role in message, message
    assert "'your id column': 'brand'" in message and "'your category column': 'category'" in message
    assert "time='' and entity=''" in message and "declare no group (group='')" in message
    assert info.value.column == "brand"


def test_a_mapped_time_column_is_not_a_missing_role(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"品牌": ["A", "A"], "日期": ["2024-01-01", "2024-01-08"], "engagement": [3, 4],
                  "add_to_cart": [1, 2]}).to_csv(path, index=False)
    panel = load_panel(path, columns={"品牌": "brand", "日期": "week"}, today=TODAY)
    assert panel["week"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]


def test_a_cross_section_is_read_by_unit_id_and_refuses_a_repeated_unit(tmp_path):
    path = tmp_path / "campaigns.csv"
    table = campaigns(n=30)
    table.iloc[::-1].to_csv(path, index=False)
    frame = load_panel(path, entity="campaign_id", period=None, group="category", required=["engagement", "orders"],
                       metrics=["likes", "comments", "saves"], today=TODAY)
    assert frame["campaign_id"].tolist() == sorted(table["campaign_id"])  # sorted by unit, as a panel is
    assert frame["orders"].dtype == "float64" and "week" not in frame
    assert frame.set_index("campaign_id")["orders"].to_dict() == table.set_index("campaign_id")["orders"].astype(float).to_dict()
    table.loc[5, "campaign_id"] = table.loc[4, "campaign_id"]
    table.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load_panel(path, entity="campaign_id", period=None, required=["engagement", "orders"], today=TODAY,
                   other_columns="keep")
    message = str(info.value)
    assert "line 6 and line 7" in message and "expected one row per campaign_id" in message
    assert "declare its time column instead of time=''" in message


def test_a_cross_section_without_ids_keeps_the_file_order(tmp_path):
    path = tmp_path / "sessions.csv"
    pd.DataFrame({"pages": [3, 0, 7], "bought": ["FALSE", "FALSE", "TRUE"]}).to_csv(path, index=False)
    frame = load_panel(path, entity="", period="", required=["pages", "bought"], binary=["bought"])
    assert frame["pages"].tolist() == [3.0, 0.0, 7.0] and frame["bought"].tolist() == [0.0, 0.0, 1.0]


def test_a_time_role_without_an_entity_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"week": ["2024-01-01"], "engagement": [1], "add_to_cart": [1]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"time role 'week' needs an entity role"):
        load_panel(path, entity=None, today=TODAY)


def test_a_binary_column_takes_yes_no_values_only(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("pages,bought\n1,TRUE\n2,false\n3,是\n4,0\n5,\n", encoding="utf-8")
    frame = load_panel(path, entity=None, period=None, required=["pages"], binary=["bought"])
    assert frame["bought"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0] and np.isnan(frame["bought"].iloc[4])
    path.write_text("pages,bought\n1,TRUE\n2,maybe\n3,2\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_panel(path, entity=None, period=None, required=["pages"], binary=["bought"])
    assert info.value.column == "bought" and info.value.rows == (3, 4)
    assert "line 3: 'maybe'" in str(info.value) and "expected TRUE/FALSE, yes/no, 1/0 or 是/否" in str(info.value)


def test_a_yes_no_column_read_as_a_number_says_how_to_declare_it_binary(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("pages,bought\n1,TRUE\n2,FALSE\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"declare it binary \(load_panel\(binary=\['bought'\]\)"):
        load_panel(path, entity=None, period=None, required=["pages", "bought"])


def test_other_columns_warn_by_default_and_are_kept_quietly_on_request(tmp_path):
    path = tmp_path / "campaigns.csv"
    campaigns(n=12).assign(region="north").to_csv(path, index=False)
    kwargs = dict(entity="campaign_id", period=None, required=["engagement", "orders"])
    with pytest.warns(DataWarning, match=r"\['region'\] in the header \(line 1\) are not panel columns"):
        load_panel(path, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        frame = load_panel(path, other_columns="keep", **kwargs)
    assert frame.attrs["other_columns"] == ["region"] and (frame["region"] == "north").all()
    with pytest.raises(DataError, match=r"other_columns: expected one of \['warn', 'keep'\]; got 'drop'"):
        load_panel(path, other_columns="drop", **kwargs)


# --------------------------------------------------------------------------- daily → weekly


def daily_panel(seed: int = 3) -> pd.DataFrame:
    """Three brands, daily, Wednesday 2024-01-03 to Tuesday 2024-02-20, one day missing for brand B."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-03", "2024-02-20", freq="D")
    frame = pd.DataFrame([(b, d) for b in ("A", "B", "C") for d in days], columns=["brand", "day"])
    frame["category"] = frame["brand"].map({"A": "美妆", "B": "美妆", "C": "母婴"})
    frame["engagement"] = rng.integers(10, 500, len(frame))
    frame["add_to_cart"] = rng.integers(0, 40, len(frame))
    frame["gmv"] = rng.uniform(0, 5000, len(frame)).round(2)
    return frame[~((frame["brand"] == "B") & (frame["day"] == pd.Timestamp("2024-01-24")))].reset_index(drop=True)


def test_a_daily_panel_summed_to_weeks_matches_an_independent_groupby(tmp_path):
    daily = daily_panel()
    path = tmp_path / "daily.csv"
    daily.assign(day=daily["day"].dt.strftime("%Y-%m-%d"), weekday=daily["day"].dt.day_name()).to_csv(path, index=False)
    weekly = load_panel(path, period="day", metrics=["gmv"], group="category", aggregate="week", today=TODAY,
                        other_columns="keep")
    assert "weekday" not in weekly  # a column that plays no role and varies within a week is dropped

    # independently: pandas' Monday-to-Sunday periods, complete weeks only
    reference = (daily.assign(week=daily["day"].dt.to_period("W-SUN").dt.start_time)
                 .groupby(["brand", "week"]).agg(days=("day", "size"), engagement=("engagement", "sum"),
                                                  add_to_cart=("add_to_cart", "sum"), gmv=("gmv", "sum"))
                 .reset_index())
    complete = reference[reference["days"] == 7].reset_index(drop=True)
    assert weekly["day"].tolist() == complete["week"].tolist()  # each week's Monday, in the time role's column
    assert weekly["brand"].tolist() == complete["brand"].tolist()
    for metric in ("engagement", "add_to_cart", "gmv"):
        np.testing.assert_allclose(weekly[metric].to_numpy(), complete[metric].to_numpy(), rtol=1e-12)
    assert (weekly["day"].dt.day_of_week == 0).all() and weekly["category"].tolist() == complete["brand"].map(
        {"A": "美妆", "B": "美妆", "C": "母婴"}).tolist()
    # the first partial week (Wed–Sun) of each brand, the last (Mon–Tue) and B's week with a missing day
    dropped = len(reference) - len(complete)
    assert dropped == 3 + 3 + 1
    info = weekly.attrs["aggregate"]
    assert info == {"to": "week", "rows": len(daily), "periods": len(complete), "dropped": dropped,
                    "first": "2024-01-08", "last": "2024-02-12"}
    note = engagement.aggregation_note(weekly, entity="brand")
    assert f"{len(daily):,} daily rows became {len(complete)} brand-weeks" in note["en"]
    assert f"（{dropped} 个）" in note["zh"] and "品牌周" in note["zh"]


def test_the_demo_panel_split_into_days_and_summed_back_is_the_demo_panel(tmp_path):
    weekly = pd.read_csv(ROOT / "data" / "simulated" / "brand_week_panel.csv", parse_dates=["week"])
    weekly = weekly[weekly["brand"].isin(weekly["brand"].unique()[:4]) & (weekly["week"] < "2023-06-01")]
    counts = ["likes", "comments", "saves", "engagement", "add_to_cart", "orders"]
    rng = np.random.default_rng(5)
    days = []
    for row in weekly.to_dict("records"):
        split = {c: rng.multinomial(int(row[c]), [1 / 7] * 7) for c in counts}
        days += [{"brand": row["brand"], "category": row["category"], "date": row["week"] + pd.Timedelta(days=d),
                  **{c: int(split[c][d]) for c in counts}} for d in range(7)]
    path = tmp_path / "daily.parquet"
    pd.DataFrame(days).to_parquet(path)
    back = load_panel(path, period="date", group="category", aggregate="week", today=TODAY)
    assert back["date"].tolist() == weekly["week"].tolist() and back["brand"].tolist() == weekly["brand"].tolist()
    for c in counts:
        assert back[c].tolist() == weekly[c].astype(float).tolist(), c
    assert back.attrs["aggregate"]["dropped"] == 0 and back.attrs["aggregate"]["rows"] == 7 * len(weekly)


def test_a_week_with_a_missing_metric_day_gets_no_partial_sum():
    daily = daily_panel()
    daily["gmv"] = daily["gmv"].astype(float)
    daily.loc[0, "gmv"] = np.nan  # brand A, Wednesday 2024-01-03: a partial week anyway
    daily.loc[daily.index[(daily["brand"] == "A") & (daily["day"] == pd.Timestamp("2024-01-09"))], "gmv"] = np.nan
    weekly = aggregate_panel(daily, entity="brand", period="day", metrics=["engagement", "gmv"])
    week = weekly[(weekly["brand"] == "A") & (weekly["day"] == pd.Timestamp("2024-01-08"))].iloc[0]
    assert np.isnan(week["gmv"]) and week["engagement"] == daily[(daily["brand"] == "A") & daily["day"].between(
        "2024-01-08", "2024-01-14")]["engagement"].sum()


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(aggregate="month"), r"aggregate='month': expected one of \['week'\]"),
    (dict(aggregate="week", period=None, entity=None), r"aggregate='week' sums a daily panel over time, but no time role"),
    (dict(aggregate="week", weekly=True), r"aggregate='week': the dates in column 'day' are at least 7 days apart"),
])
def test_an_aggregation_that_makes_no_sense_is_refused_naming_the_value(tmp_path, kwargs, message):
    daily = daily_panel()
    if kwargs.pop("weekly", False):
        daily = daily[daily["day"].dt.day_of_week == 0]
    path = tmp_path / "daily.csv"
    daily.assign(day=daily["day"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        load_panel(path, **{"period": "day", "today": TODAY, "other_columns": "keep", **kwargs})


# --------------------------------------------------------------------------- the cross-section model


def test_linear_probability_model_matches_statsmodels_with_hc1_and_hc3():
    rng = np.random.default_rng(11)
    x = rng.exponential(10.0, 2_000) * (rng.random(2_000) < 0.4)
    y = (rng.random(2_000) < 0.05 + 0.02 * np.minimum(x, 40)).astype(float)
    df = pd.DataFrame({"pages": x, "bought": y, "segment": rng.choice(list("abcdefg"), 2_000)})
    design = sm.add_constant(df["pages"])
    for vcov in ("hc1", "hc3"):
        res = engagement.fit_cross_section(df, engagement="pages", conversion="bought", binary=True, vcov=vcov)
        ref = sm.OLS(df["bought"], design).fit(cov_type=vcov.upper())
        coef = res.main.coef("pages")
        assert coef.estimate == pytest.approx(ref.params["pages"], rel=1e-9)
        assert coef.std_error == pytest.approx(ref.bse["pages"], rel=1e-7)
        assert res.main.family_label["en"] == "linear regression (OLS)" and res.main.spec.fixed_effects == ()
        sd = df["pages"].std(ddof=1)
        assert res.effect.estimate == pytest.approx(sd * ref.params["pages"], rel=1e-9)
        assert res.effect.std_error == pytest.approx(sd * ref.bse["pages"], rel=1e-7)
    assert [m.spec.family for m in res.models] == ["ols", "logit"]  # no group: no fixed-effects model
    assert res.models[1].spec.vcov == "hc1"  # pyfixest has no HC3 for a logit: HC1, and the label says so


def test_group_clustered_errors_match_statsmodels_and_use_the_wild_bootstrap_below_30_clusters():
    df = campaigns()
    res = engagement.fit_cross_section(df, engagement="engagement", conversion="orders", group="category", vcov="cluster")
    groups = pd.factorize(df["category"])[0]
    ref = sm.OLS(np.log(df["orders"]), sm.add_constant(np.log(df["engagement"]))).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    coef = res.main.coef("log_engagement")
    assert coef.estimate == pytest.approx(ref.params["engagement"], rel=1e-9)
    assert coef.std_error == pytest.approx(ref.bse["engagement"], rel=1e-7)
    assert res.main.n_clusters == (8,) and res.main.inference == "wild" and res.cluster == "category"
    assert res.effect.ci_low < TRUE_ELASTICITY < res.effect.ci_high
    assert [m.spec.family for m in res.models] == ["loglog", "loglog", "ppml"]
    assert res.models[1].spec.fixed_effects == ("category",)
    assert "wild cluster bootstrap" in res.effect_note()["en"] and "野聚类自助法" in res.effect_note()["zh"]


@needs_shoppers
def test_online_shoppers_cross_section_lpm_with_robust_errors(shoppers):
    res = engagement.fit_cross_section(shoppers, engagement="PageValues", conversion="Revenue", binary=True,
                                       group="VisitorType", vcov="hc1")
    ref = sm.OLS(shoppers["Revenue"], sm.add_constant(shoppers["PageValues"])).fit(cov_type="HC1", use_t=True)
    coef = res.main.coef("PageValues")
    assert res.n_obs == 12_330 and shoppers["Revenue"].mean() == pytest.approx(0.1547, abs=5e-5)
    assert coef.estimate == pytest.approx(ref.params["PageValues"], rel=1e-9)
    assert coef.std_error == pytest.approx(ref.bse["PageValues"], rel=1e-7)
    low, high = ref.conf_int().loc["PageValues"]
    assert (coef.ci_low, coef.ci_high) == pytest.approx((low, high), rel=1e-6)
    # the data's README: 3.9 % buy when PageValues = 0, 56.3 % when it is above 0
    assert round(res.rate(engaged=False).rate * 100, 1) == 3.9
    assert round(res.rate(engaged=True).rate * 100, 1) == 56.3
    assert res.rate(engaged=False).n + res.rate(engaged=True).n == 12_330
    reference = rate_by(shoppers, "Revenue", np.where(shoppers["PageValues"] > 0, "yes", "no")).set_index("group")
    assert res.rate(engaged=True).ci_low == reference.loc["yes", "ci_low"]
    assert res.models[-1].spec.family == "logit" and res.models[-1].coef("PageValues").estimate > 0
    for lang in LANGUAGES:
        assert res.table(lang).rows[0][1].startswith("0.00959")  # per unit of PageValues, enough decimals to read
    assert "association" in res.sentence()["en"] and "not the causal effect" in res.sentence()["en"]
    assert "关联" in res.sentence()["zh"] and "HC1" in res.sentence()["zh"]


def test_a_cross_section_refuses_time_errors_an_absent_group_and_an_undeclared_binary_outcome():
    df = campaigns(n=40)
    with pytest.raises(AnalysisError, match=r"vcov='driscoll_kraay' needs a time column.*'hc1'"):
        engagement.fit_cross_section(df, engagement="engagement", conversion="orders", vcov="driscoll_kraay")
    with pytest.raises(AnalysisError, match=r"vcov='cluster' in a cross-section clusters by the group column"):
        engagement.fit_cross_section(df, engagement="engagement", conversion="orders", vcov="cluster", group="")
    with pytest.raises(AnalysisError, match=r"holds only 0 and 1: a yes/no outcome; declare it binary"):
        engagement.fit_cross_section(df.assign(orders=(df["orders"] > 50).astype(int)), engagement="engagement",
                                     conversion="orders")
    with pytest.raises(AnalysisError, match=r"binary=True: the conversion 'orders' must be yes/no"):
        engagement.fit_cross_section(df, engagement="engagement", conversion="orders", binary=True)
    with pytest.raises(AnalysisError, match=r"conversion_binary=True with the time role 'week'"):
        engagement.is_cross_section("week", binary=True)
    assert engagement.is_cross_section("", binary=True) and not engagement.is_cross_section("week")


@pytest.mark.parametrize("part", engagement.SKIPPED_PARTS)
def test_every_skipped_part_says_why_in_every_language(part):
    note = engagement.skipped_note(part)
    assert set(note.languages) == set(LANGUAGES)
    others = {engagement.skipped_note(p)["en"] for p in engagement.SKIPPED_PARTS if p != part}
    assert note["en"] not in others  # each part has its own reason
    if part == "vif":
        assert "fewer than two engagement components" in note["en"]
    else:
        assert "cross-section without a time column" in note["en"] and "截面数据" in note["zh"]


# --------------------------------------------------------------------------- through the notebook


@needs_shoppers
@pytest.mark.e2e
def test_the_shoppers_sessions_run_through_the_engagement_section_as_a_cross_section(tmp_path):
    """Parameters only: no code change in the notebook; the report renders (HTML and PDF)."""
    from reportkit.build import build_report

    spec = tmp_path / "shoppers.yaml"
    spec.write_text(f"""id: shoppers
title: {{zh: 在线购物会话, en: Online shopping sessions}}
outputs: [html, pdf]
sections:
  - id: engagement
    notebook: {NOTEBOOK}
    title: {{zh: 页面价值与购买, en: Page value and purchase}}
    parameters:
      panel_path: {SHOPPERS.resolve()}
      columns: {{Revenue: purchased}}
      time: ""
      entity: ""
      group: VisitorType
      category: ""
      engagement_metric: PageValues
      conversion_metric: purchased
      conversion_binary: true
      vcov: hc1
      engagement_components: []
      truth_path: ""
summary: [engagement.cross_effect, engagement.cross_rate_none, engagement.cross_rate_engaged]
""", encoding="utf-8")
    built = build_report(spec, out=tmp_path / "out", cache=False)
    res = built.results["engagement"]
    assert round(res["cross_rate_none"].value, 1) == 3.9 and round(res["cross_rate_engaged"].value, 1) == 56.3
    data = pd.read_csv(SHOPPERS)
    ref = sm.OLS(data["Revenue"].astype(float), sm.add_constant(data["PageValues"])).fit(cov_type="HC1", use_t=True)
    sd = data["PageValues"].std(ddof=1)
    effect = res["cross_effect"]
    assert effect.value == pytest.approx(100 * sd * ref.params["PageValues"], rel=1e-9) and effect.unit == "pp"
    assert effect.ci_low == pytest.approx(100 * sd * ref.conf_int().loc["PageValues", 0], rel=1e-6)
    for absent in ("pooled_r", "elasticity_total", "placebo_p", "regression_table", "forest_plot"):
        assert absent not in res, absent  # nothing that needs time is estimated …
    for part in ("correlation", "elasticity", "coverage", "timing", "heterogeneity", "diagnostics", "vif"):
        assert res[f"appendix_skipped_{part}"].text == engagement.skipped_note(part)["zh"]  # … and each says why
    reg = res["cross_table"]
    assert reg.style == "regression" and "线性概率模型" in reg.note
    assert next(row for row in reg.rows if row[0] == "标准误类型")[1:] == ("稳健标准误（HC1）",) * 3
    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "线性概率模型" in html and "56.3%" in html and "Traceback" not in html
    assert built.outputs["pdf"].stat().st_size > 10_000


@pytest.mark.e2e
def test_a_campaign_table_runs_as_a_cross_section_with_group_clustered_errors_and_a_panel_is_refused(tmp_path):
    from reportkit.build import build_report
    from reportkit.execute import execute_notebook
    from reportkit.params import read_parameters, validate_parameters

    path = tmp_path / "活动表.csv"
    table = campaigns()
    table.to_csv(path, index=False)
    spec = tmp_path / "campaigns.yaml"
    spec.write_text(f"""id: campaigns
title: {{zh: 活动互动与订单, en: Campaign engagement and orders}}
outputs: [html]
sections:
  - id: engagement
    notebook: {NOTEBOOK}
    title: {{zh: 活动截面, en: Campaigns}}
    parameters:
      panel_path: {path}
      time: ""
      entity: campaign_id
      group: category
      category: ""
      conversion_metric: orders
      vcov: cluster
      truth_path: ""
summary: [engagement.cross_effect]
""", encoding="utf-8")
    built = build_report(spec, lang="en", out=tmp_path / "out", cache=False)
    res = built.results["engagement"]
    effect = res["cross_effect"]
    assert effect.ci_low < TRUE_ELASTICITY < effect.ci_high and 0.5 < effect.value < 0.7
    direct = engagement.fit_cross_section(table, engagement="engagement", conversion="orders", group="category",
                                          vcov="cluster")
    assert effect.value == pytest.approx(direct.effect.estimate, rel=1e-9)
    reg = res["cross_table"]
    assert reg.columns[1:] == ("(1) Log-log", "(2) With category fixed effects", "(3) PPML")
    clusters = next(row for row in reg.rows if row[0] == "Clusters")
    assert clusters[1:] == ("8", "8", "8")
    se_type = next(row for row in reg.rows if row[0] == "SE type")
    assert se_type[1:] == ("clustered by category (CRV1)",) * 3 and "wild cluster bootstrap" in reg.note
    assert "appendix_vif" in res  # needs no time: computed on the campaigns' likes, comments and saves
    assert "cross_rates" not in res  # rates are for a yes/no conversion
    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "a cross-section without a time column" in html and "not a causal effect" in html

    # the same file as a brand × week panel (the notebook's default time role): one clear error
    declared = read_parameters(NOTEBOOK)
    values = validate_parameters(declared, {"panel_path": str(path), "entity": "campaign_id", "conversion_metric": "orders",
                                            "truth_path": ""}, source="the test")
    with pytest.raises(NotebookError) as info:
        execute_notebook(NOTEBOOK, tmp_path / "panel.ipynb", values, cwd=ROOT)
    assert info.value.ename == "DataError"
    evalue = " ".join(info.value.evalue.split())
    assert "no column for the time role 'week'" in evalue and "'campaign_id', 'category', 'likes'" in evalue
    assert "declare a cross-section with time=''" in evalue and str(path) in evalue
