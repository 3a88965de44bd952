"""Tests pass in any order and alone: a selection that once failed outside the full suite's order.

`pytest -k "xss or escape"` used to error: a figure fixture in test_render.py drew Chinese labels
before any test had registered the CJK font. CI runs the suite in random order (pytest-randomly);
this runs the selection on its own, in a fresh interpreter.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_escape_and_xss_tests_pass_on_their_own():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "xss or escape", "-m", "not e2e",
         "tests/test_render.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
