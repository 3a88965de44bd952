"""`reportkit preview --watch`: a changed notebook default changes the served page; an unchanged
rebuild executes nothing; a template edit re-renders without executing."""
from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from reportkit.watch import Watcher, serve

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp_path: Path) -> Path:
    """A spec with one small section notebook (the records fixture) copied into tmp."""
    nb = tmp_path / "section.ipynb"
    shutil.copy(ROOT / "tests" / "notebooks" / "records.ipynb", nb)
    notebook = nbformat.read(nb, as_version=4)  # narrative the report shows
    notebook.cells.append(nbformat.v4.new_markdown_cell("本节记录每一种数值。", metadata={"tags": ["report"]}))
    nbformat.write(notebook, nb)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""id: watch-test
title: {{zh: 预览测试, en: Preview test}}
outputs: [html, pdf]
sections:
  - id: demo
    notebook: {nb}
    title: {{zh: 示例, en: Demo}}
""", encoding="utf-8")
    return spec


def _set_default(nb_path: Path, name: str, value: str) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = [f"{name}: {line.split(':', 1)[1].split('=')[0].strip()} = {value}" + (
        "  #" + line.split("#", 1)[1] if "#" in line else "") if line.startswith(f"{name}:") else line
        for line in cell.source.splitlines()]
    cell.source = "\n".join(lines)
    nbformat.write(nb, nb_path)


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
        before = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
        assert "示例" in before

        assert watcher.check() is None  # nothing changed: nothing happens
        again = watcher.build()  # an explicit rebuild with nothing changed executes nothing
        assert again.error is None and again.executed == ()

        _set_default(tmp_path / "section.ipynb", "label", '"改过的标签"')
        changed = watcher.check()
        assert changed is not None and changed.executed == ("demo",)
        assert any(name.endswith("section.ipynb") for name in changed.changed)
        after = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
        assert after != before and "改过的标签" in after
    finally:
        server.shutdown()


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


# --------------------------------------------------------------------------- file events, reload


def _start_watching(watcher: Watcher) -> tuple[threading.Event, threading.Thread, list]:
    stop, seen = threading.Event(), []
    thread = threading.Thread(target=watcher.watch, kwargs={"report": seen.append, "stop": stop}, daemon=True)
    thread.start()
    time.sleep(0.5)  # the watcher is set up (inotify watches in place)
    return stop, thread, seen


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _edit_markdown(nb_path: Path, old: str, new: str) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, nb_path)


@pytest.mark.e2e
def test_file_events_rebuild_once_per_burst_ignore_other_files_and_hash_nothing_while_idle(tmp_path, monkeypatch):
    spec = _project(tmp_path)
    watcher = Watcher(spec, tmp_path / "build" / "out", cache_dir=tmp_path / "cache")
    assert watcher.check().error is None
    stop, thread, seen = _start_watching(watcher)
    try:
        import reportkit.plan as plan_module

        hashed = []
        real = plan_module.make_plan
        monkeypatch.setattr("reportkit.watch.make_plan", lambda *a, **k: hashed.append(1) or real(*a, **k))
        (tmp_path / "notes.txt").write_text("not an input", encoding="utf-8")  # not a dependency
        (tmp_path / "build" / "other.html").write_text("output", encoding="utf-8")  # an output folder
        time.sleep(1.0)
        assert seen == [] and hashed == []  # nothing rebuilt, nothing planned or hashed

        for _ in range(3):  # a burst of saves: one rebuild
            _edit_markdown(tmp_path / "section.ipynb", "Records", "Records")
        _edit_markdown(tmp_path / "section.ipynb", "Records one of each kind", "Records one of every kind")
        assert _wait(lambda: len(seen) >= 1)
        time.sleep(0.5)
        assert len(seen) == 1 and seen[0].error is None and seen[0].executed == ()  # prose: nothing executed
        assert any(name.endswith("section.ipynb") for name in seen[0].changed)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


@pytest.mark.e2e
def test_served_page_reloads_after_a_rebuild_and_the_file_has_no_script(tmp_path):
    spec = _project(tmp_path)
    out = tmp_path / "out"
    watcher = Watcher(spec, out, cache_dir=tmp_path / "cache")
    assert watcher.check().error is None
    server = serve(out, port=0, watcher=watcher)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = urllib.request.urlopen(f"{base}/report.html", timeout=10).read().decode("utf-8")
        assert "data-reportkit-preview" in page and "/__reportkit__/events" in page
        assert "data-reportkit-preview" not in (out / "report.html").read_text(encoding="utf-8")

        generation = watcher.generation
        answer: list[dict] = []
        waiting = threading.Thread(target=lambda: answer.append(json.loads(urllib.request.urlopen(
            f"{base}/__reportkit__/events?since={generation}", timeout=60).read())), daemon=True)
        waiting.start()
        time.sleep(0.3)
        assert answer == []  # the request waits for the next build
        _set_default(tmp_path / "section.ipynb", "n", "9")  # a broken value: the build fails
        _set_default(tmp_path / "section.ipynb", "label", "1")
        watcher.check()
        waiting.join(30)
        assert answer and answer[0]["generation"] == generation + 1
        assert answer[0]["error"] and "label" in answer[0]["error"]  # shown in the page's banner
    finally:
        server.shutdown()


@pytest.mark.e2e
def test_a_prose_edit_is_served_without_executing_anything(tmp_path):
    spec = _project(tmp_path)
    out = tmp_path / "out"
    watcher = Watcher(spec, out, cache_dir=tmp_path / "cache")
    assert watcher.check().error is None
    server = serve(out, port=0, watcher=watcher)
    stop, thread, seen = _start_watching(watcher)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
        _edit_markdown(tmp_path / "section.ipynb", "本节记录每一种数值。", "本节记录每一种数值：新的句子。")
        assert _wait(lambda: "新的句子" in urllib.request.urlopen(url, timeout=10).read().decode("utf-8"))
        assert seen and seen[-1].executed == ()
    finally:
        stop.set()
        thread.join(10)
        server.shutdown()
