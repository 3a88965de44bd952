"""Batches: one spec × a matrix of rows → one build per row; shared runs planned once."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.batch import plan_batch, read_matrix
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
    assert len(plan.runs) == 3 and plan.rows[0].run_keys == plan.rows[1].run_keys


def test_unknown_column_refused_naming_allowed(monkeypatch):
    from reportkit import execute

    monkeypatch.setattr(execute, "execute_notebook", lambda *a, **k: pytest.fail("a kernel was started"))
    with pytest.raises(SpecError) as err:
        plan_batch(SPEC, [{"id": "x", "categroy": "母婴"}])
    msg = str(err.value)
    assert "'categroy'" in msg and "category (str; engagement)" in msg and "n_lags (int; engagement)" in msg
    assert "first_period (str; market)" in msg


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
    assert [r.section for r in plan.runs].count("adoption") == 1  # the same for every client: run once
    assert len(plan.runs) == 2 + len(rows)  # every row varies the engagement section


def test_empty_cell_keeps_the_spec_value(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("id,category,n_lags\na,母婴,\nb,母婴,3\n", encoding="utf-8")
    plan = plan_batch(SPEC, csv)
    assert plan.rows[0].plan.runs[1].parameters["n_lags"] == 2
    assert plan.rows[1].plan.runs[1].parameters["n_lags"] == 3


def test_rows_get_a_build_key_that_follows_their_runs_and_options():
    rows = [{"id": "a", "category": "母婴"}, {"id": "b", "category": "母婴"}, {"id": "c", "category": "3C数码"}]
    plan = plan_batch(SPEC, rows)
    keys = [row.build_key for row in plan.rows]
    assert keys[0] == keys[1] != keys[2]  # same runs and options: same outputs
    assert plan_batch(SPEC, rows, lang="en").rows[0].build_key != keys[0]
    assert plan_batch(SPEC, rows, theme="acme").rows[0].build_key != keys[0]


# --------------------------------------------------------------------------- row ids (reportkit.ids)


@pytest.mark.parametrize("bad", ["CON", "nul", "COM1", "aux.txt", "Lpt9.csv"])
def test_device_names_are_refused_as_row_ids_naming_the_file_and_row(bad, tmp_path):
    csv = tmp_path / "clients.csv"
    csv.write_text(f"id,category\nacme,母婴\n\n{bad},母婴\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        plan_batch(SPEC, csv)
    msg = str(err.value)
    assert f"{csv}:4:" in msg  # the CSV line (the blank line 3 counted)
    assert repr(bad) in msg and "row 2" in msg and "device name" in msg and "at most 64 characters" in msg


def test_row_ids_differing_only_by_case_are_refused(tmp_path):
    csv = tmp_path / "clients.csv"
    csv.write_text("id,category\nAcme,母婴\nbeta,母婴\nacme,3C数码\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        plan_batch(SPEC, csv)
    msg = str(err.value)
    assert f"{csv}:4:" in msg and "'acme'" in msg and "'Acme'" in msg and "row 1" in msg and "only by case" in msg


def test_row_ids_follow_the_client_id_length():
    with pytest.raises(SpecError, match="at most 64 characters"):
        plan_batch(SPEC, [{"id": "x" * 65, "category": "母婴"}])


@pytest.mark.parametrize("bad", ["index.json", "INDEX.html", "events.jsonl"])
def test_row_ids_cannot_be_the_batch_folders_own_files(bad):
    with pytest.raises(SpecError, match="batch folder's own"):
        plan_batch(SPEC, [{"id": bad, "category": "母婴"}])


def test_chinese_row_ids_are_client_ids_too():
    plan = plan_batch(SPEC, [{"id": "母婴品牌-01", "category": "母婴"}])
    assert plan.rows[0].id == "母婴品牌-01"
