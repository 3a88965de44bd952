"""`reportkit preview --watch`: a changed notebook default changes the served page; an unchanged
rebuild executes nothing; a template edit re-renders without executing."""
from __future__ import annotations

import shutil
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
