"""A batch's index.html, the page an analyst opens: status colours and filters, links to each row's
report, its runs' logs and a failed run's notebook, escaping, nothing from elsewhere; index.json as it
was. The batch runs with the in-process fakes of tests/test_batch_run.py (no kernel), which write the
files a real batch leaves (reports, logs, a failed notebook). Then (slow) the page in headless
Chromium: no console errors, every link resolves, the filters work from the keyboard, screenshots at
1280 and 390 px."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from browser import browser, check_links, outside, screenshots, tab_through, visit  # noqa: F401 - browser: fixture
from test_batch_run import ROWS, InlineExecutor, write_spec
from test_client_page import Page

from reportkit import i18n
from reportkit.batch import plan_batch, run_batch
from reportkit.batch.tasks import TaskResult
from reportkit.errors import ReportKitError


def failing_batch(out: Path, spec_dir: Path, *, error: str = "cell 7 raised ValueError: 宠物<b> & co") -> Path:
    """Run the batch of ROWS with fakes: every run writes its log; bea-lag2's run fails (bea-lag2 and
    bea-again fail with it) and keeps its notebook; the other rows write report.html and report.pdf."""
    plan = plan_batch(write_spec(spec_dir), ROWS)
    bad = next(r for r in plan.rows if r.id == "bea-lag2").run_keys[0]

    def run(notebook, target, parameters, cwd, cache_dir, run_key, attempt, secret=(), preload=None, *_remote):
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_suffix(".log").write_text(f"run {run_key}: executed in 0.1 s\n", encoding="utf-8")
        if run_key == bad:
            saved = target.with_name(f"{target.stem}.failed.ipynb")
            saved.write_text("{}", encoding="utf-8")
            return TaskResult(0.1, ReportKitError(error), saved=str(saved))
        return TaskResult(0.01)

    def build(row_spec, folder, lang, theme, cache_dir, *_remote):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("report.html", "report.pdf", "manifest.json"):
            (folder / name).write_text("x", encoding="utf-8")
        return TaskResult(1.25, outputs={"html": str(folder / "report.html"), "pdf": str(folder / "report.pdf"),
                                         "manifest": str(folder / "manifest.json")})

    result = run_batch(plan, out, executor=InlineExecutor(run, build), cache_dir=out.parent / "cache")
    assert {r.id: r.status for r in result.rows} == {"bea-lag1": "done", "bea-lag2": "failed", "bea-again": "failed",
                                                     "fas-lag2": "done"}
    return out / "index.html"


@pytest.fixture
def index(tmp_path) -> Path:
    return failing_batch(tmp_path / "out", tmp_path / "spec")


def test_rows_show_their_status_outputs_logs_and_failed_notebook(index):
    html = index.read_text(encoding="utf-8")
    page = Page(html)
    rows = [a for t, a in page.tags if t == "tr" and a.get("data-status")]
    assert [r["data-status"] for r in rows] == ["done", "failed", "failed", "done"]
    assert 'href="bea-lag1/report.html"' in html and 'href="bea-lag1/report.pdf"' in html
    logs = [h for h in page.hrefs if h.endswith(".log")]
    assert len(logs) == 4  # each row links the log of its run (bea-again shares bea-lag2's)
    failed = [h for h in page.hrefs if h.endswith(".failed.ipynb")]
    assert len(failed) == 2 and all(h.startswith("_runs/") for h in failed)
    zh = i18n.catalogue("batch_page", "zh")
    text = "".join(page.text)
    assert zh["status_failed"] in text and zh["failed_notebook"] in text


def test_every_link_resolves_inside_the_batch_folder(index):
    page = Page(index.read_text(encoding="utf-8"))
    root = index.parent.resolve()
    for href in page.hrefs:
        if href.startswith("#"):
            assert href[1:] in {a.get("id") for _, a in page.tags}, href
            continue
        target = (root / unquote(href)).resolve()
        assert target.is_relative_to(root) and target.is_file(), href


def test_errors_and_parameters_are_escaped(tmp_path):
    index = failing_batch(tmp_path / "out", tmp_path / "spec", error="<script>alert(1)</script> 宠物<b>")
    html = index.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; 宠物&lt;b&gt;" in html


def test_the_page_is_self_contained_and_shows_every_row_without_script(index):
    html = index.read_text(encoding="utf-8")
    page = Page(html)
    scripts = page.all("script")
    assert len(scripts) == 1 and "src" not in scripts[0]  # the filters, inline
    assert page.all("link") == [] and "http:" not in html and "https:" not in html
    for _, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:") or ":" not in value.split("/")[0], value
    [bar] = [a for t, a in page.tags if a.get("id") == "filters"]
    assert "hidden" in bar  # the filter buttons appear only where the script runs
    assert not [a for t, a in page.tags if t == "tr" and "hidden" in a]


def test_index_json_keeps_its_shape(index):
    data = json.loads((index.parent / "index.json").read_text(encoding="utf-8"))
    assert list(data) == ["report", "spec", "matrix", "language", "theme", "generated", "rows", "runs", "summary"]
    assert list(data["rows"][0]) == ["id", "status", "seconds", "outputs", "error", "failed_notebook", "executed",
                                     "parameters"]


@pytest.mark.slow
def test_the_batch_index_in_chromium(index, browser, tmp_path):  # noqa: F811 - the fixture imported above
    url = index.as_uri()
    seen = visit(browser, url)
    try:
        assert seen.problems == [], seen.problems
        assert outside(seen.requested, index.parent) == []
        page = seen.page
        check_links(page, index, index.parent)
        assert page.is_visible("#filters")
        visible = "() => Array.from(document.querySelectorAll('tbody tr')).filter(r => !r.hidden).map(r => r.dataset.status)"
        assert page.evaluate(visible) == ["done", "failed", "failed", "done"]
        # the keyboard reaches the filters; Enter on "failed" shows the failed rows only
        stops = tab_through(page, 12)
        assert any(s["tag"] == "button" for s in stops)
        page.focus("button[data-filter='failed']")
        page.keyboard.press("Enter")
        assert page.evaluate(visible) == ["failed", "failed"]
        assert page.get_attribute("button[data-filter='failed']", "aria-pressed") == "true"
        assert "2" in page.inner_text("#shown") and "4" in page.inner_text("#shown")
        page.focus("button[data-filter='all']")
        page.keyboard.press("Space")
        assert len(page.evaluate(visible)) == 4
    finally:
        seen.close()
    screenshots(browser, url, tmp_path / "screenshots", "batch-index")
