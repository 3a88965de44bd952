"""docs/reference.md is generated from the code; it must match what the code says now."""
from __future__ import annotations

from pathlib import Path

from reportkit.reference import reference

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_reference_is_up_to_date():
    committed = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == reference(), (
        "docs/reference.md is out of date: run `.venv/bin/python -m reportkit.reference > docs/reference.md`")


def test_every_command_and_the_notebook_api_are_documented():
    text = reference()
    for command in ("build", "run", "params", "batch", "publish", "verify", "share", "doctor", "preview"):
        assert f"### `reportkit {command}`" in text
    for name in ("record", "load_panel", "preview", "build"):
        assert f"**`{name}(" in text
