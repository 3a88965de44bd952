"""bench/kill_trials.py runs: two trials (one batch, one publish), killed with SIGKILL and re-run.

Checks the script works end to end (set-up, kill, re-run, checks, summary), not that the kit
passes every trial: that is what the script itself reports in bench/results.json.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "kill_trials.py"


def _load():
    spec = importlib.util.spec_from_file_location("kill_trials", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_plan_is_seeded_and_alternates():
    kt = _load()
    plan = kt.plan_trials(6, seed=3)
    assert plan == kt.plan_trials(6, seed=3)
    assert plan != kt.plan_trials(6, seed=4)
    assert [p["kind"] for p in plan] == ["batch", "publish"] * 3
    assert [p["mode"] for p in plan if p["kind"] == "publish"] == list(kt.PUBLISH_MODES)
    assert all(0 <= p["u"] < 1 for p in plan)


def test_temporary_names_follow_the_kit():
    kt = _load()
    assert kt.is_temporary(".report.html.ab12cd.partial")
    assert kt.is_temporary(".market-0123.4567.partial.ipynb")
    assert kt.is_temporary(".report.pdf.x1y2z3.tmp")
    assert kt.is_temporary(".20261204-0123456789ab.partial-1a2b3c4d")
    assert not kt.is_temporary("report.pdf") and not kt.is_temporary("manifest.json")


def test_two_kill_trials_run():
    kt = _load()
    lines: list[str] = []
    # its own short temporary folder (removed after): kernels' IPC socket paths must stay short
    summary = kt.run_trials(2, seed=14, say=lines.append)
    assert summary["trials"] == 2
    kinds = [r["kind"] for r in summary["results"]]
    assert kinds == ["batch", "publish"]
    for r in summary["results"]:
        assert r["command"] and r["kill_at_s"] >= 0 and r["checks"]
        assert r["passed"] == (r["kill"]["killed"] and all(r["checks"].values()))
        assert not r["kill"]["survivors"], r["kill"]  # nothing the trial started is left running
        assert all(r["checks"].values()), r["reasons"]  # the kit survives the kill: nothing partial, all verifies
    assert sum(line.startswith("trial") for line in lines) == 2


def test_the_publish_check_finds_an_english_edition_in_its_own_folder(tmp_path):
    """The "new-version" trials publish the English edition of builds whose spec is Chinese: it is
    released under <report>-en (reportkit.manifest.Manifest.release_folder), and the check must look
    there, not at the Chinese edition's pointer."""
    import json

    from test_publish import fake_build

    from reportkit.publish import publish

    kt = _load()
    source = tmp_path / "batch-en"
    for row in ("acme", "globex"):
        fake_build(tmp_path / "batch-zh" / row, spec_language="zh")
        fake_build(source / row, html=f"<p>{row} report</p>", language="en", spec_language="zh",
                   title="China e-commerce", generated="2026-11-27T03:00:00+00:00")
    rows = {"rows": [{"id": "acme", "status": "done"}, {"id": "globex", "status": "reused"}]}
    for folder in (source, tmp_path / "batch-zh"):
        (folder / "index.json").write_text(json.dumps(rows), encoding="utf-8")
    dest = tmp_path / "dest"
    publish(tmp_path / "batch-zh", dest)  # the clients already hold the Chinese edition
    publish(source, dest)
    exe = str(Path(sys.executable).parent / "reportkit")
    result = kt.check_publish(dict(os.environ), tmp_path, exe, source, dest,
                              {"visible_problems": [], "complete_releases": {}}, {"rc": 0, "stderr": "", "stdout": "", "seconds": 0.0})
    assert result["checks"]["latest_is_the_build"], result["reasons"]
    assert result["checks"]["every_release_verifies"], result["reasons"]  # 4 releases: 2 clients × 2 editions
