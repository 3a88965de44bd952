"""`reportkit preview --watch`: file events rebuild what changed (once per burst of saves, never for
a file the build does not read, hashing nothing while idle); the served page reloads itself after a
rebuild (the script is in the response, not in the file); a prose edit executes nothing.

The tests without the e2e mark replace the build itself (reportkit.watch.build_report) by a fake
that writes a page: they test the watching and serving, in a few seconds. The e2e ones build a real
section notebook on a kernel.
"""
from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from reportkit.errors import ReportKitError
from reportkit.watch import EVENTS_PATH, Watcher, serve, watch

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp_path: Path, *, data: bool = False) -> Path:
    """A spec with one small section notebook (the records fixture) copied into tmp; with ``data``,
    a data file the spec names (hashed by each plan)."""
    nb = tmp_path / "section.ipynb"
    shutil.copy(ROOT / "tests" / "notebooks" / "records.ipynb", nb)
    notebook = nbformat.read(nb, as_version=4)  # narrative the report shows
    notebook.cells.append(nbformat.v4.new_markdown_cell("本节记录每一种数值。", metadata={"tags": ["report"]}))
    nbformat.write(notebook, nb)
    data_block = ""
    if data:
        (tmp_path / "numbers.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        data_block = "data:\n  - path: numbers.csv\n    source: {zh: 测试数据, en: test data}\n"
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""id: watch-test
title: {{zh: 预览测试, en: Preview test}}
outputs: [html, pdf]
sections:
  - id: demo
    notebook: {nb}
    title: {{zh: 示例, en: Demo}}
{data_block}""", encoding="utf-8")
    return spec


def _set_default(nb_path: Path, name: str, value: str) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = [f"{name}: {line.split(':', 1)[1].split('=')[0].strip()} = {value}" + (
        "  #" + line.split("#", 1)[1] if "#" in line else "") if line.startswith(f"{name}:") else line
        for line in cell.source.splitlines()]
    cell.source = "\n".join(lines)
    nbformat.write(nb, nb_path)


def _edit_markdown(nb_path: Path, old: str, new: str) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, nb_path)


def _get(url: str, timeout: float = 10) -> str:
    return urllib.request.urlopen(url, timeout=timeout).read().decode("utf-8")


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class _Watching:
    """Watcher.watch in a thread, stopped (and joined) on exit; ``seen`` holds the Rebuilds."""

    def __init__(self, watcher: Watcher, **kwargs) -> None:
        self.watcher, self.kwargs = watcher, kwargs
        self.stop, self.seen = threading.Event(), []
        self.thread = threading.Thread(target=watcher.watch, kwargs={"report": self.seen.append, "stop": self.stop,
                                                                     **kwargs}, daemon=True)

    def __enter__(self) -> _Watching:
        self.thread.start()
        time.sleep(1.3)  # the watch is in place and its first look (sizes and times) is done
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


class _FakeBuild:
    """Stands in for build_report: writes a page naming the build, executes nothing."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: str | None = None

    def __call__(self, spec, *, out, **kwargs):
        self.calls += 1
        if self.fail:
            raise ReportKitError(self.fail)
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "report.html").write_text(
            f"<!DOCTYPE html><html><head><title>t</title></head><body><p>build {self.calls}</p></body></html>",
            encoding="utf-8")
        return SimpleNamespace(manifest=SimpleNamespace(executed=()))


@pytest.fixture
def fake_build(monkeypatch) -> _FakeBuild:
    fake = _FakeBuild()
    monkeypatch.setattr("reportkit.watch.build_report", fake)
    return fake


@pytest.fixture
def counted_hashing(monkeypatch) -> list[str]:
    """Every data file plan.make_plan hashes, and every make_plan the watcher runs ("plan")."""
    import reportkit.hashing
    import reportkit.plan

    calls: list[str] = []
    real_plan = reportkit.plan.make_plan
    monkeypatch.setattr("reportkit.plan.file_sha256",
                        lambda path: calls.append(str(path)) or reportkit.hashing.file_sha256(path))
    monkeypatch.setattr("reportkit.watch.make_plan", lambda *a, **k: calls.append("plan") or real_plan(*a, **k))
    return calls


# ------------------------------------------------------------------------ file events (fake build)


def test_a_burst_of_saves_is_one_rebuild_and_other_files_none(tmp_path, fake_build):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path / "build" / "out", cache_dir=tmp_path / "cache")
    assert watcher.check() is not None and fake_build.calls == 1
    with _Watching(watcher, debounce_ms=300) as w:
        (tmp_path / "notes.txt").write_text("not an input", encoding="utf-8")  # beside the spec, not read
        (tmp_path / ".section.ipynb.swp").write_bytes(b"vim")  # editor scratch files
        (tmp_path / "section.ipynb~").write_bytes(b"backup")
        (tmp_path / "build" / "out" / "other.html").write_text("output", encoding="utf-8")  # the output folder
        time.sleep(1.0)
        assert w.seen == [] and fake_build.calls == 1

        nb = nbformat.read(tmp_path / "section.ipynb", as_version=4)
        for i in range(4):  # a burst of saves
            nb.cells[-1].source = f"本节记录每一种数值（第 {i} 稿）。"
            nbformat.write(nb, tmp_path / "section.ipynb")
        assert _wait(lambda: len(w.seen) >= 1, 10)
        time.sleep(1.0)
        assert len(w.seen) == 1 and fake_build.calls == 2
        assert w.seen[0].error is None and w.seen[0].changed == (str((tmp_path / "section.ipynb").resolve()),)


def test_nothing_is_planned_or_hashed_while_idle(tmp_path, fake_build, counted_hashing):
    spec = _project(tmp_path, data=True)
    watcher = Watcher(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    watcher.check()
    assert any(c.endswith("numbers.csv") for c in counted_hashing)  # the counter sees the plan's hashing
    counted_hashing.clear()
    with _Watching(watcher) as w:
        time.sleep(1.5)  # idle, past a timeout of the event wait
        assert counted_hashing == [] and w.seen == []

        (tmp_path / "numbers.csv").write_text("a,b\n1,3\n", encoding="utf-8")  # a data file changed
        assert _wait(lambda: len(w.seen) >= 1, 10)
        assert w.seen[0].changed == (str((tmp_path / "numbers.csv").resolve()),)
        assert "plan" in counted_hashing  # the dependencies are read again after the rebuild


def test_a_spec_edit_that_names_a_new_data_folder_is_watched_from_then_on(tmp_path, fake_build):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    watcher.check()
    (tmp_path / "more").mkdir()
    extra = tmp_path / "more" / "extra.csv"
    extra.write_text("x\n1\n", encoding="utf-8")
    assert extra.resolve() not in watcher.deps
    with _Watching(watcher) as w:
        with spec.open("a", encoding="utf-8") as fh:
            fh.write("data:\n  - path: more/extra.csv\n    source: {zh: 新数据, en: new data}\n")
        assert _wait(lambda: len(w.seen) >= 1, 10)
        assert extra.resolve() in watcher.deps and extra.parent.resolve() in watcher.folders()
        time.sleep(1.3)  # the watch moved to the new set of folders
        extra.write_text("x\n2\n", encoding="utf-8")
        assert _wait(lambda: len(w.seen) >= 2, 10)
        assert w.seen[1].changed == (str(extra.resolve()),)


def test_an_edit_while_the_watch_is_set_up_is_not_lost(tmp_path, fake_build):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    watcher.check()
    _edit_markdown(tmp_path / "section.ipynb", "本节", "这一节")  # after the build, before any event watch
    with _Watching(watcher) as w:
        assert _wait(lambda: len(w.seen) >= 1, 10)
        assert w.seen[0].changed == (str((tmp_path / "section.ipynb").resolve()),)


def test_watching_before_any_build_builds_first(tmp_path, fake_build):
    watcher = Watcher(_project(tmp_path), tmp_path / "out", cache_dir=tmp_path / "cache")
    with _Watching(watcher) as w:
        assert len(w.seen) == 1 and fake_build.calls == 1 and (tmp_path / "out" / "report.html").is_file()
        assert str((tmp_path / "section.ipynb").resolve()) in w.seen[0].changed


def test_what_passes_the_filter(tmp_path, fake_build):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path, cache_dir=tmp_path / "cache")  # output in the spec's own folder
    watcher.check()
    nb = (tmp_path / "section.ipynb").resolve()
    assert watcher.passes(nb) and watcher.passes(spec.resolve())  # dependencies, even in the output folder
    assert not watcher.passes(tmp_path.resolve() / "report.html")  # the build's own output
    for scratch in (".section.ipynb.swp", "section.ipynb~", ".#section.ipynb", "#section.ipynb#", "4913"):
        assert not watcher.passes(tmp_path.resolve() / scratch), scratch
    template = next(p for p in watcher.templates_dir.rglob("*.j2"))
    assert watcher.passes(template) and watcher.passes(template.with_name("new_partial.j2"))  # a new template
    assert not watcher.passes(template.with_name("base.j2.swp"))
    assert not watcher.passes(watcher.templates_dir / "__pycache__" / "x.cpython-311.pyc")


def test_polling_checks_sizes_and_times(tmp_path, fake_build, counted_hashing):
    spec = _project(tmp_path, data=True)
    watcher = Watcher(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    watcher.check()
    counted_hashing.clear()
    assert watcher.check() is None and counted_hashing == []  # a look with nothing changed hashes nothing
    stop, seen = threading.Event(), []
    thread = threading.Thread(target=watch, args=(watcher,), kwargs={"interval": 0.1, "report": seen.append,
                                                                     "stop": stop}, daemon=True)
    thread.start()
    try:
        _set_default(tmp_path / "section.ipynb", "n", "4")
        assert _wait(lambda: len(seen) >= 1, 10)
        assert seen[0].changed == (str((tmp_path / "section.ipynb").resolve()),)
    finally:
        stop.set()
        thread.join(10)
    with pytest.raises(ReportKitError, match="interval=0"):
        watch(watcher, interval=0)


# ------------------------------------------------------------------------ serving (fake build)


@pytest.fixture
def served(tmp_path, fake_build):
    spec = _project(tmp_path)
    out = tmp_path / "out"
    watcher = Watcher(spec, out, cache_dir=tmp_path / "cache")
    server = serve(out, port=0, watcher=watcher)
    try:
        yield watcher, f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()


def test_the_served_page_has_the_reload_script_and_the_file_does_not(served):
    watcher, base, out = served
    watcher.check()
    page = _get(f"{base}/report.html")
    assert "data-reportkit-preview" in page and EVENTS_PATH in page and "sessionStorage" in page
    assert page.index("data-reportkit-preview") < page.index("</body>")  # inside the body, inline
    assert "http://" not in page.split("data-reportkit-preview")[1] and "src=" not in page  # nothing fetched
    assert "data-reportkit-preview" not in (out / "report.html").read_text(encoding="utf-8")
    assert f'session = "{watcher.session}"' in page and "var generation = 1," in page
    with urllib.request.urlopen(f"{base}/", timeout=10) as response:  # / goes to the report
        assert response.url.endswith("/report.html")


def test_the_events_endpoint_answers_after_the_next_build(served, fake_build):
    watcher, base, _out = served
    watcher.check()
    generation = watcher.generation
    answers: list[dict] = []

    def ask() -> None:
        answers.append(json.loads(_get(f"{base}{EVENTS_PATH}?since={generation}", timeout=30)))

    waiting = threading.Thread(target=ask, daemon=True)
    waiting.start()
    time.sleep(0.3)
    assert answers == []  # waits for the next build
    fake_build.fail = "section 'demo': parameter 'n' = 'x' (str); expected int"
    watcher.build()
    waiting.join(10)
    assert answers == [{"generation": generation + 1, "session": watcher.session, "error": fake_build.fail}]

    fake_build.fail = None
    watcher.build()  # asked again with the latest generation: answers at once with the newer build
    assert json.loads(_get(f"{base}{EVENTS_PATH}?since={generation + 1}")) == {
        "generation": generation + 2, "session": watcher.session, "error": None}


def test_before_the_first_good_build_the_page_says_so_and_reloads(served, fake_build):
    watcher, base, _out = served
    with pytest.raises(urllib.error.HTTPError) as building:
        _get(f"{base}/report.html")
    page = building.value.read().decode("utf-8")
    assert building.value.code == 503 and "Building the report" in page and "data-reportkit-preview" in page

    fake_build.fail = "spec.yaml: section 'demo': notebook 'gone.ipynb' does not exist </script>"
    watcher.check()
    with pytest.raises(urllib.error.HTTPError) as failed:
        _get(f"{base}/report.html")
    page = failed.value.read().decode("utf-8")
    assert "The build failed" in page and "banner(" in page and "gone.ipynb" in page
    assert "does not exist </script>" not in page  # the error cannot close the script

    fake_build.fail = None
    watcher.build()
    assert "build 2" in _get(f"{base}/report.html")


def test_a_port_in_use_is_a_clear_error(served):
    _watcher, base, out = served
    port = int(base.rsplit(":", 1)[1])
    with pytest.raises(ReportKitError, match=f"--port {port}: cannot serve on 127.0.0.1:{port}"):
        serve(out, port=port)


@pytest.mark.parametrize(("option", "message"), [
    (["--debounce", "0"], "--debounce 0: expected a positive number of milliseconds"),
    (["--interval", "0"], "--interval 0.0: expected a positive number of seconds"),
])
def test_the_command_refuses_bad_timings_before_building(tmp_path, fake_build, option, message):
    from typer.testing import CliRunner

    from reportkit.cli import app

    res = CliRunner().invoke(app, ["preview", str(_project(tmp_path)), "--watch", *option])
    assert res.exit_code == 1 and message in res.output and fake_build.calls == 0


def test_the_command_names_a_port_in_use(served):
    from typer.testing import CliRunner

    from reportkit.cli import app

    watcher, base, _out = served
    port = base.rsplit(":", 1)[1]
    res = CliRunner().invoke(app, ["preview", str(watcher.spec_path), "--port", port])
    assert res.exit_code == 1 and f"--port {port}: cannot serve on 127.0.0.1:{port}" in res.output


# ------------------------------------------------------------------------ real builds (kernels)


@pytest.mark.e2e
def test_watch_rebuilds_what_changed_and_serves_it(tmp_path):
    spec = _project(tmp_path)
    out = tmp_path / "out"
    watcher = Watcher(spec, out, cache_dir=tmp_path / "cache")
    first = watcher.check()
    assert first is not None and first.error is None and first.executed == ("demo",)
    assert not (out / "report.pdf").exists()  # the preview renders HTML only
    server = serve(out, port=0)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
        before = _get(url)
        assert "示例" in before

        assert watcher.check() is None  # nothing changed: nothing happens
        again = watcher.build()  # an explicit rebuild with nothing changed executes nothing
        assert again.error is None and again.executed == ()

        _set_default(tmp_path / "section.ipynb", "label", '"改过的标签"')
        changed = watcher.check()
        assert changed is not None and changed.executed == ("demo",)
        assert any(name.endswith("section.ipynb") for name in changed.changed)
        after = _get(url)
        assert after != before and "改过的标签" in after
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.e2e
def test_a_failed_rebuild_keeps_the_last_good_page(tmp_path):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert watcher.check().error is None
    good = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    _set_default(tmp_path / "section.ipynb", "n", '"not a number"')
    broken = watcher.check()
    assert broken is not None and broken.error and "'n'" in broken.error
    assert (tmp_path / "out" / "report.html").read_text(encoding="utf-8") == good


@pytest.mark.e2e
def test_a_prose_edit_is_served_without_executing_anything(tmp_path):
    spec = _project(tmp_path)
    out = tmp_path / "out"
    watcher = Watcher(spec, out, cache_dir=tmp_path / "cache")
    assert watcher.check().error is None
    server = serve(out, port=0, watcher=watcher)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
        generation = watcher.generation
        with _Watching(watcher) as w:
            _edit_markdown(tmp_path / "section.ipynb", "本节记录每一种数值。", "本节记录每一种数值：新的句子。")
            answer = json.loads(_get(f"http://127.0.0.1:{server.server_address[1]}{EVENTS_PATH}?since={generation}",
                                     timeout=60))
            assert answer["generation"] > generation and answer["error"] is None  # what the page waits for
            page = _get(url)
            assert "新的句子" in page and "data-reportkit-preview" in page
            assert _wait(lambda: w.seen, 10)  # reported once the dependencies are read again
            assert all(r.executed == () and r.error is None for r in w.seen)  # nothing executed
        assert "data-reportkit-preview" not in (out / "report.html").read_text(encoding="utf-8")
    finally:
        server.shutdown()
        server.server_close()
