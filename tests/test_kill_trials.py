"""bench/kill_trials.py runs: two trials (one batch, one publish), killed with SIGKILL and re-run.

Checks the script works end to end (set-up, kill, re-run, checks, summary), not that the kit
passes every trial: that is what the script itself reports in bench/results.json.
"""

from __future__ import annotations

import importlib.util
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
