"""Batches: one spec × a matrix of rows → one build per row; shared runs planned once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reportkit.batch import plan_batch, read_matrix, run_batch
from reportkit.errors import ReportKitError, SpecError

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"
CLIENTS = ROOT / "reports" / "clients.csv"
CATEGORIES = {"美妆个护", "服饰鞋包", "家居家装", "母婴", "3C数码", "食品饮料"}


def test_plan_dedup_shares_the_market_run():
    rows = [
        {"id": "bea-lag1", "category": "美妆个护", "n_lags": "1"},
        {"id": "bea-lag2", "category": "美妆个护", "n_lags": "2"},
        {"id": "fas-lag2", "category": "服饰鞋包", "n_lags": "2"},
    ]
    plan = plan_batch(SPEC, rows)
    sections = [r.section for r in plan.runs]
    assert sections.count("market") == 1
    assert sections.count("engagement") == 3
    market = next(r for r in plan.runs if r.section == "market")
    assert plan.rows_using(market.run_key) == ("bea-lag1", "bea-lag2", "fas-lag2")
    # CSV strings are coerced to the notebook's types and merged into the section's parameters
    first = plan.rows[0].plan.runs[1]
    assert first.parameters["n_lags"] == 1 and first.parameters["category"] == "美妆个护"
    assert first.parameters["vcov"] == "cluster"  # from the spec, not varied
    # same code path as a single build: identical parameters give the single build's run key
    from reportkit.plan import make_plan
    single = make_plan(plan.spec)
    assert plan.rows[1].plan.runs[1].run_key == single.runs[1].run_key


def test_identical_rows_share_every_run():
    plan = plan_batch(SPEC, [{"id": "a", "category": "母婴"}, {"id": "b", "category": "母婴"}])
    assert len(plan.runs) == 2 and plan.rows[0].run_keys == plan.rows[1].run_keys


def test_unknown_column_refused_naming_allowed(monkeypatch):
    import reportkit.execute as execute

    monkeypatch.setattr(execute, "execute_notebook", lambda *a, **k: pytest.fail("a kernel was started"))
    with pytest.raises(SpecError) as err:
        plan_batch(SPEC, [{"id": "x", "categroy": "母婴"}])
    msg = str(err.value)
    assert "'categroy'" in msg and "category (str; engagement)" in msg and "n_lags (int; engagement)" in msg
    assert "first_year (int; market)" in msg


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([{"id": "a b", "category": "母婴"}], "not folder-safe"),
        ([{"id": "a", "category": "母婴"}, {"id": "a", "category": "母婴"}], "used twice"),
        ([{"id": "a", "n_lags": "two"}], "n_lags"),
        ([{"category": "母婴"}], "no 'id' column"),
        ([{"id": "a", "lang": "en"}], "--lang"),
    ],
)
def test_bad_matrix_refused(rows, expected):
    with pytest.raises(ReportKitError, match=expected):
        plan_batch(SPEC, rows)


def test_clients_csv_plans_one_market_run():
    rows = read_matrix(CLIENTS)
    assert len(rows) >= 24
    assert {r["category"] for r in rows} == CATEGORIES
    plan = plan_batch(SPEC, CLIENTS)
    assert [r.section for r in plan.runs].count("market") == 1
    assert len(plan.runs) == 1 + len(rows)  # every row varies the engagement section


def test_empty_cell_keeps_the_spec_value(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("id,category,n_lags\na,母婴,\nb,母婴,3\n", encoding="utf-8")
    plan = plan_batch(SPEC, csv)
    assert plan.rows[0].plan.runs[1].parameters["n_lags"] == 2
    assert plan.rows[1].plan.runs[1].parameters["n_lags"] == 3


# --------------------------------------------------------------------------- real kernels


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory) -> Path:
    """Only the engagement section, HTML only; absolute paths (the spec's root is tmp)."""
    folder = tmp_path_factory.mktemp("batch")
    spec = folder / "spec.yaml"
    spec.write_text(
        f"""id: batch-test
title: {{zh: 批量测试, en: Batch test}}
outputs: [html]
sections:
  - id: engagement
    notebook: {ROOT / 'notebooks' / 'engagement_conversion.ipynb'}
    title: {{zh: 内容种草与电商转化, en: Content seeding and conversion}}
    parameters:
      category: 美妆个护
      panel_path: {ROOT / 'data' / 'simulated' / 'brand_week_panel.csv'}
      truth_path: {ROOT / 'data' / 'simulated' / 'true_params.json'}
""",
        encoding="utf-8",
    )
    return spec


GOOD_ROWS = "id,category,n_lags\nbea-lag1,美妆个护,1\nbea-lag2,美妆个护,2\nfas-lag2,服饰鞋包,2\n"


@pytest.mark.e2e
def test_real_batch_then_rerun_reuses(small_spec, tmp_path):
    matrix = tmp_path / "m.csv"
    matrix.write_text(GOOD_ROWS, encoding="utf-8")
    out = tmp_path / "out"
    events: list[tuple[str, str, str]] = []
    result = run_batch(plan_batch(small_spec, matrix), out, workers=2, progress=lambda *e: events.append(e))
    assert result.ok, [r.error for r in result.rows]
    assert [r.status for r in result.rows] == ["done"] * 3
    for row_id in ("bea-lag1", "bea-lag2", "fas-lag2"):
        assert (out / row_id / "report.html").is_file()
        assert (out / row_id / "manifest.json").is_file()
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in index["rows"]] == ["done"] * 3
    assert index["summary"]["runs_executed"] == 3
    assert sorted(k for k, _, _ in events) == ["row"] * 3 + ["run"] * 3
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="bea-lag1/report.html"' in html
    assert not list(out.rglob("*.partial*"))

    again = run_batch(plan_batch(small_spec, matrix), out, workers=2)
    assert [r.status for r in again.rows] == ["reused"] * 3
    assert all(r.status == "cached" for r in again.runs)
    for row_id in ("bea-lag1", "bea-lag2", "fas-lag2"):
        manifest = json.loads((out / row_id / "manifest.json").read_text(encoding="utf-8"))
        assert all(s["reused_from_cache"] for s in manifest["sections"])


@pytest.mark.e2e
def test_failing_row_reported_others_complete_cli_exits_1(small_spec, tmp_path):
    from reportkit.cli import app

    matrix = tmp_path / "m.csv"
    matrix.write_text("id,category,n_lags\nbea-lag2,美妆个护,2\npets,宠物<b>,2\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["batch", str(small_spec), "--matrix", str(matrix), "--out", str(out),
                                   "--workers", "2"])
    assert res.exit_code == 1, res.output
    assert "row pets failed" in res.output and "宠物" in res.output and ".failed.ipynb" in res.output
    assert "category values present: ['" in res.output  # error text printed as is, not as rich markup
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    status = {r["id"]: r["status"] for r in index["rows"]}
    assert status["pets"] == "failed" and status["bea-lag2"] in ("done", "reused")
    assert (out / "bea-lag2" / "report.html").is_file()
    failed = next(r for r in index["rows"] if r["id"] == "pets")
    assert failed["failed_notebook"] and Path(failed["failed_notebook"]).is_file()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "宠物&lt;b&gt;" in page and "宠物<b>" not in page  # data escaped
