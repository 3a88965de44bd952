"""The market notebook on series it was not written for (issue 16): the US Census quarterly e-commerce
series with a column mapping only, and the NBS demo unchanged in its numbers on the general path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportkit.build import build_report

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
US_SALES = REAL / "us_ecommerce_sales_ECOMSA.csv"
US_SHARE = REAL / "us_ecommerce_share_ECOMPCTSA.csv"

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(not US_SALES.is_file() or not US_SHARE.is_file(),
                    reason=f"the real US Census series are not in {REAL} (never copied into the project)")
def test_the_market_notebook_runs_on_us_quarterly_series_with_a_column_mapping_only(tmp_path):
    spec = tmp_path / "us.yaml"
    spec.write_text(f"""id: us-ecommerce
title: {{zh: 美国电子商务, en: US e-commerce}}
language: en
outputs: [html]
sections:
  - id: market
    notebook: {ROOT / "notebooks" / "market_trends.ipynb"}
    title: {{zh: 市场规模, en: Market size}}
    parameters:
      data_path: {US_SALES}
      columns: {{observation_date: period, ECOMSA: value}}
      unit: USD million
      series_name: {{zh: 美国电子商务零售额（季调）, en: US e-commerce retail sales (seasonally adjusted)}}
      source_name: {{zh: 美国人口普查局, en: US Census Bureau}}
      share_path: {US_SHARE}
      share_columns: {{observation_date: period, ECOMPCTSA: share}}
      share_date_format: "%m/%d/%y"
      share_name: {{zh: 电子商务占零售总额比重（季调）, en: E-commerce share of total retail sales (SA)}}
      detail_path: ""
      detail_columns: {{}}
      first_period: "2015"
      last_period: "2024"
      cagr_start: "2019"
      horizon: "2029"
summary: [market.level_latest, market.yoy_levels_latest, market.share_latest, market.forecast_horizon]
""", encoding="utf-8")
    built = build_report(spec, out=tmp_path / "out", cache=False)
    res = built.results["market"]
    raw = pd.read_csv(US_SALES)
    s = raw.set_index(pd.PeriodIndex(pd.to_datetime(raw["observation_date"]), freq="Q"))["ECOMSA"].astype(float)
    assert res["level_latest"].value == s["2024Q4"] == 308910 and res["level_latest"].unit == "USD million"
    assert res["yoy_levels_latest"].value == pytest.approx((s["2024Q4"] / s["2023Q4"] - 1) * 100)
    assert "yoy_official_latest" not in res  # the source publishes no rate beside the levels: not invented
    assert res["share_latest"].value == 16.4
    assert res["cagr"].value == pytest.approx(((s["2024Q4"] / s["2019Q4"]) ** 0.2 - 1) * 100)
    fc = res["forecast_horizon"]
    annual_2024 = s[s.index.year == 2024].sum()
    assert fc.ci_low < fc.value < fc.ci_high and fc.value > annual_2024  # a growing series, annual totals
    periods = [row[0] for row in res["growth_table"].rows]
    assert periods[0] == "2015Q1" and periods[-1] == "2024Q4"
    assert "decomposition" in res or "decomposition_note" in res
    html = built.outputs["html"].read_text(encoding="utf-8")
    for words in ("US e-commerce retail sales", "USD million", "80% prediction interval", "US Census Bureau",
                  "E-commerce share of total retail sales", "2024 Q4"):
        assert words in html, words


def test_the_nbs_demo_numbers_are_those_of_the_nbs_functions(tmp_path):
    """The demo's market section, now on the general path, against the NBS-specific functions it used
    before (an independent path to the same numbers)."""
    from reportkit.analysis import forecast_combine, trends
    from reportkit.data import nbs

    built = build_report(ROOT / "reports" / "china-ecommerce-2024.yaml", out=tmp_path / "zh", cache=False)
    res = built.results["market"]
    annual = nbs.load_nbs_annual(ROOT / "data" / "nbs_online_retail_annual.csv")
    growth = trends.growth_table(annual, "online_retail", first_year=2014, last_year=2024)
    rows = res["growth_table"].rows
    assert [r[0] for r in rows] == [str(y) for y in growth["year"]]
    np.testing.assert_allclose(np.array([[np.nan if v is None else v for v in r[1:5]] for r in rows], dtype=float),
                               growth[["level", "yoy_official_pct", "yoy_from_levels_pct", "gap_pp"]].to_numpy(dtype=float))
    cg = trends.cagr(annual, "online_retail", 2019, 2024)
    assert res["cagr"].value == pytest.approx(cg.cagr_pct) and res["cagr_chained"].value == pytest.approx(cg.cagr_official_chained_pct)
    assert res["share_latest"].value == 26.8
    contrib = trends.contribution_to_growth(annual, first_year=2014, last_year=2024).dropna(
        subset=["physical_online_contribution_pp"])
    np.testing.assert_allclose(np.array([r[1:] for r in res["contribution_table"].rows], dtype=float),
                               contrib[["total_growth_pct", "physical_online_contribution_pp", "other_contribution_pp"]].to_numpy())
    levels = growth.set_index("year")["level"]
    levels.index = pd.PeriodIndex(levels.index.astype(str), freq="Y")
    official = annual.set_index("year")["online_yoy_official_pct"]
    official.index = pd.PeriodIndex(official.index.astype(str), freq="Y")
    cf = forecast_combine.combine_forecast(levels, until="2029", growth=official, top=3)
    end = cf.table.iloc[-1]
    fc = res["forecast_horizon"]
    assert (fc.value, fc.ci_low, fc.ci_high) == pytest.approx((end["forecast"], end["lo80"], end["hi80"]))
    assert sum(r[1] for r in res["monthly_table"].rows) == 155225
