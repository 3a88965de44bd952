"""Notebooks are committed without outputs, so diffs show code and text only (`make setup` installs
nbstripout as a git filter; this test catches a notebook committed some other way)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tests/notebooks/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for n, cell in enumerate(nb["cells"], start=1):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {n} has outputs; run nbstripout {path}"
            assert cell.get("execution_count") is None, f"{path.name} cell {n} has an execution count"
    assert "papermill" not in nb.get("metadata", {}), f"{path.name} is an executed copy (papermill metadata)"


def test_there_are_notebooks_to_check():
    assert len([p for p in NOTEBOOKS if p.parent.name == "notebooks" and p.parent.parent == ROOT]) >= 2
