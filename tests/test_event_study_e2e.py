"""The adoption notebook end to end (papermill, a real kernel): with its defaults on the demo panel,
as JupyterLab runs it, and on an analyst's export with Chinese column names mapped through
``columns``; the recorded ATT's interval covers the simulator's true ATT in both."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportkit.data.simulate_adoption import simulate_adoption
from reportkit.execute import execute_notebook
from reportkit.params import read_parameters
from reportkit.record import read_results
from reportkit.render.result_checks import notebook_problems, record_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "adoption_event_study.ipynb"

pytestmark = pytest.mark.e2e


def _run(tmp_path: Path, name: str, params: dict, cwd: Path):
    executed = execute_notebook(NOTEBOOK, tmp_path / f"{name}.ipynb", params, cwd=cwd)
    parameters = {**read_parameters(NOTEBOOK).defaults(), **params}
    results = read_results(executed.nb, section="adoption", notebook=str(NOTEBOOK), parameters=parameters)
    assert notebook_problems(executed.nb, section="adoption") == []  # no traceback, warning or stderr
    assert record_problems(results) == []  # no missing value, empty figure or unfilled placeholder
    return results


def test_the_defaults_recover_the_demo_panels_true_att(tmp_path):
    truth = json.loads((ROOT / "data" / "simulated" / "true_params.json").read_text(encoding="utf-8"))["adoption"]
    res = _run(tmp_path, "defaults", {}, cwd=ROOT / "notebooks")  # as in JupyterLab: the notebook's folder
    att = res["att"]
    assert att.ci_low <= truth["att_overall"] <= att.ci_high, (att, truth["att_overall"])
    assert res["true_att"].value == truth["att_overall"]  # the demo file: its truth is shown
    assert res["att_pct"].ci_low < res["att_pct"].value < res["att_pct"].ci_high
    assert res["twfe"].ci_low < res["twfe"].value < res["twfe"].ci_high
    assert 0 <= res["pretrend_p"].value <= 1 and res["mde_slope"].value > 0
    names = {r.name for r in res.records}
    assert {"event_path", "att_by_group", "appendix_att_by_cohort", "summary", "methods", "att_text", "twfe_text",
            "pretrend_text", "sensitivity_text", "group_text"} <= names
    table = res["att_by_group"]
    assert table.columns[0] == "类目" and len(table.rows) == 6 and "真实 ATT" in table.columns
    true_by_category = dict(zip([r[0] for r in table.rows], [r[-1] for r in table.rows], strict=True))
    assert true_by_category == pytest.approx(truth["att_by_category"])
    assert "平行趋势" in res["summary"].text and "Gardner, J. (2021)" in res["methods"].text


def test_an_analyst_export_with_chinese_column_names_runs_by_parameters_alone(tmp_path):
    frame, truth = simulate_adoption(1111)
    export = frame.assign(adoption_week=frame["adoption_week"].dt.strftime("%Y-%m-%d"),
                          add_to_cart=frame["add_to_cart"].map(lambda v: f"{v:,}"))  # 「1,234」 as platforms write
    export = export.rename(columns={"brand": "品牌", "category": "品类", "week": "周", "adoption_week": "合作上线周",
                                    "engagement": "互动量", "add_to_cart": "加购"})
    path = tmp_path / "品牌周数据_合作上线.csv"
    export.to_csv(path, index=False, encoding="gb18030")
    params = {"panel_path": str(path), "encoding": "gb18030", "lang": "en",
              "columns": {"品牌": "brand", "品类": "category", "周": "week", "合作上线周": "adoption_week", "加购": "add_to_cart"}}
    res = _run(tmp_path, "analyst", params, cwd=tmp_path)
    att = res["att"]
    assert att.ci_low <= truth["att_overall"] <= att.ci_high, (att, truth["att_overall"])
    assert "true_att" not in res  # not the demo file: no truth is shown
    table = res["att_by_group"]
    assert table.columns[0] == "Category" and "True ATT" not in table.columns
    assert sorted(r[0] for r in table.rows) == ["Apparel, shoes & bags", "Beauty & personal care", "Home & furnishing"]
    assert "Adoption changed add-to-cart by" in res["summary"].text
    counts = truth["wave_counts_per_category"]
    never = 3 * counts["never"]
    assert f"60 brands, {60 - never} adopting during the sample and {never} never" in res["methods"].text


def test_sun_abraham_reports_its_own_pretrend_test_and_sensitivity(tmp_path):
    res = _run(tmp_path, "sunab", {"estimator": "sunab", "control": "never", "lang": "en"}, cwd=ROOT / "notebooks")
    assert 0 <= res["pretrend_p"].value <= 1 and res["mde_slope"].value > 0
    assert "(7 leads jointly)" in res["pretrend_p"].label  # −8 … −2: the week before adoption is the reference
    text = res["pretrend_text"].text
    assert "the 7 leads (8 to 2 weeks before)" in text and "No joint pre-trend test" not in text
    assert "sensitivity_text" in res
    methods = res["methods"].text
    assert "Sun and Abraham" in methods and "same saturated regression" in methods
