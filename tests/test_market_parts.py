"""Several series at once (issue 16, item 2): a category × platform export read by parts, shares and
contributions on annual values, forecasts of the parts that add up to the forecast of the total."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis import forecast_reconcile, market_parts
from reportkit.data.market import PART_SEPARATOR, read_market_parts
from reportkit.data.simulate_parts import DEFAULT_FILE, HEADERS, simulate_parts, write_parts
from reportkit.errors import AnalysisError, DataError

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {"月份": "period", "成交额（万元）": "value"}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return write_parts(tmp_path_factory.mktemp("parts") / "品类平台.csv", seed=11)


def _expected(path: Path) -> pd.DataFrame:
    """An independent reading with pandas: month, part label, value in 万元."""
    raw = pd.read_csv(path, encoding="gb18030", thousands=",")
    raw["month"] = pd.PeriodIndex([pd.Period(f"{y}-{m}", freq="M") for y, m in
                                   raw["月份"].str.extract(r"(\d{4})年(\d{1,2})月").astype(int).to_numpy()], freq="M")
    raw["part"] = raw["品类"] + PART_SEPARATOR + raw["平台"]
    return raw


def test_the_committed_example_is_a_fresh_simulation():
    committed = (ROOT / DEFAULT_FILE).read_bytes()
    assert committed == simulate_parts(7).to_csv(index=False, lineterminator="\n").encode("gb18030")


def test_a_gb18030_export_with_chinese_headers_reads_by_parts(export):
    mp = read_market_parts(export, by=["品类", "平台"], columns=COLUMNS, encoding="gb18030", unit="万元")
    assert mp.freq == "monthly" and len(mp.parts) == 6 and mp.unit == "万元"
    raw = _expected(export)
    wide = raw.pivot(index="month", columns="part", values="成交额（万元）")
    np.testing.assert_allclose(mp.levels[list(wide.columns)].to_numpy(), wide.to_numpy())
    annual = mp.annual()
    by_year = raw.groupby([raw["month"].dt.year, "part"])["成交额（万元）"].sum().unstack()
    np.testing.assert_allclose(annual[list(by_year.columns)].to_numpy(), by_year.to_numpy())
    np.testing.assert_allclose(annual["total"].to_numpy(), by_year.sum(axis=1).to_numpy())


def test_a_missing_month_of_one_part_is_unknown_and_its_year_is_left_out(tmp_path):
    frame = simulate_parts(3, start="2020-01", end="2022-12")
    frame = frame.drop(index=frame.index[(frame["月份"] == "2021年5月") & (frame["平台"] == "京东")][:1])
    path = tmp_path / "gap.csv"
    path.write_bytes(frame.to_csv(index=False).encode("gb18030"))
    mp = read_market_parts(path, by=["品类", "平台"], columns=COLUMNS, encoding="gb18030")
    assert mp.levels.isna().sum().sum() == 1 and any(q.code == "gap" for q in mp.quality)
    assert [p.year for p in mp.annual().index] == [2020, 2022]  # 2021 is never summed short
    assert mp.total().isna().sum() == 1


def test_errors_name_the_part_columns(export, tmp_path):
    with pytest.raises(DataError, match=r"by names \['渠道'\]") as err:
        read_market_parts(export, by=["渠道"], columns=COLUMNS, encoding="gb18030")
    assert "品类" in str(err.value)
    frame = simulate_parts(3, start="2023-01", end="2023-03")
    frame.loc[2, "平台"] = ""
    path = tmp_path / "blank.csv"
    path.write_bytes(frame.to_csv(index=False).encode("gb18030"))
    with pytest.raises(DataError, match="no value in the part column"):
        read_market_parts(path, by=["品类", "平台"], columns=COLUMNS, encoding="gb18030")
    assert list(HEADERS) == list(simulate_parts(3, start="2023-01", end="2023-01").columns)


def test_shares_add_up_to_100_and_contributions_to_the_total_growth(export):
    mp = read_market_parts(export, by=["品类", "平台"], columns=COLUMNS, encoding="gb18030")
    annual = market_parts.annual_parts(mp, first=2016, last=2024)
    shares = market_parts.share_table(annual)
    np.testing.assert_allclose(shares[list(mp.parts)].sum(axis=1), 100.0)
    contrib = market_parts.contribution_table(annual)
    np.testing.assert_allclose(contrib[list(mp.parts)].sum(axis=1), contrib["total_growth_pct"])
    expected = (annual["total"].pct_change() * 100).dropna().to_numpy()
    np.testing.assert_allclose(contrib["total_growth_pct"].to_numpy(), expected)
    with pytest.raises(AnalysisError, match="no year between 2030"):
        market_parts.annual_parts(mp, first=2030)


def test_bottom_up_parts_add_up_and_recover_exact_growth():
    """Parts growing exactly 10% and 20% a year: the drift model on logs extrapolates them exactly,
    so the reconciled total is the true total, its backtest errors are nil and the parts add up."""
    years = pd.period_range("2010", "2024", freq="Y")
    t = np.arange(len(years))
    parts = pd.DataFrame({"a": 100 * 1.1 ** t, "b": 50 * 1.2 ** t}, index=years)
    rf = forecast_reconcile.bottom_up(parts, until="2027", models=("drift", "naive"), top=1)
    future = np.arange(len(years), len(years) + 3)
    truth = 100 * 1.1 ** future + 50 * 1.2 ** future
    np.testing.assert_allclose(rf.table["forecast"].to_numpy(), truth, rtol=1e-9)
    np.testing.assert_allclose(rf.parts_table[["a", "b"]].sum(axis=1), rf.parts_table["total"])
    np.testing.assert_allclose(rf.parts_table["total"], rf.table["forecast"])
    assert (rf.table["lo95"] <= rf.table["forecast"]).all() and (rf.table["forecast"] <= rf.table["hi95"]).all()
    assert rf.table["hi95"].iloc[-1] / rf.table["forecast"].iloc[-1] - 1 < 1e-6  # no error in the backtest, no width
    assert list(rf.parts) == ["a", "b"] and rf.method == "bottom-up"


def test_bottom_up_total_interval_comes_from_the_summed_backtest(export):
    mp = read_market_parts(export, by=["品类", "平台"], columns=COLUMNS, encoding="gb18030")
    annual = market_parts.annual_parts(mp, last=2024)
    chosen = list(mp.parts[:3])
    annual = annual[chosen].assign(total=annual[chosen].sum(axis=1))
    rf = forecast_reconcile.bottom_up(annual[chosen], until="2027", models=("naive", "drift", "ets_damped"), top=2)
    np.testing.assert_allclose(rf.parts_table[chosen].sum(axis=1), rf.table["forecast"])
    # independent: the summed backtest forecasts of one origin and step, from each part's own errors
    origin, step = rf.origins[0], 1
    total_actual = total_forecast = 0.0
    for cf in rf.parts.values():
        e = cf.backtest.errors
        row = e[(e["origin"] == origin) & (e["step"] == step)].set_index("model")
        log_fc = sum(w * np.log(row.at[m, "forecast"]) for m, w in cf.weights.items())
        total_actual += float(row["actual"].iloc[0])
        total_forecast += float(np.exp(log_fc))
    assert total_actual == pytest.approx(float(annual["total"][str(int(origin) + step)]))
    assert 0 < rf.sigma[0] and set(rf.coverage) == {80, 95}
    a, b = rf.sigma
    assert abs(np.log(total_actual / total_forecast)) < 10 * a  # the error the width law was fitted to
    with pytest.raises(AnalysisError, match="at least two"):
        forecast_reconcile.bottom_up(annual[[chosen[0]]], until="2027")


@pytest.mark.e2e
def test_the_parts_notebook_reconciles_a_generated_export(tmp_path):
    from reportkit.build import build_report

    path = write_parts(tmp_path / "导出.csv", seed=5)
    spec = tmp_path / "parts.yaml"
    spec.write_text(f"""id: parts
title: {{zh: 分项, en: Parts}}
outputs: [html]
sections:
  - id: parts
    notebook: {ROOT / "notebooks" / "market_parts.ipynb"}
    title: {{zh: 分项市场规模, en: Several series}}
    parameters:
      data_path: {path}
      unit: 万元
      series_name: {{zh: 成交额, en: GMV}}
      horizon: "2027"
summary: [parts.total_latest, parts.forecast_total]
""", encoding="utf-8")
    built = build_report(spec, out=tmp_path / "out", cache=False)
    res = built.results["parts"]
    table = res["forecast_table"]
    names = table.columns
    part_cols = [i for i, c in enumerate(names) if PART_SEPARATOR in c]
    total_col = names.index("合计")
    assert len(part_cols) == 6
    for row in table.rows:
        assert sum(row[i] for i in part_cols) == pytest.approx(row[total_col], rel=1e-9)  # the parts add up
    fc = res["forecast_total"]
    assert fc.value == pytest.approx(table.rows[-1][total_col]) and fc.ci_low < fc.value < fc.ci_high
    raw = _expected(path)
    assert res["total_latest"].value == pytest.approx(raw[raw["month"].dt.year == 2024]["成交额（万元）"].sum())
    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "自下而上" in html and "3C数码 · 天猫" in html
