"""`bench/results.json` (git-ignored): every benchmark merges its keys into it, keeping the others'."""

from __future__ import annotations

import json
from pathlib import Path

from reportkit.atomic import write_atomic

RESULTS = Path(__file__).resolve().parent / "results.json"


def merge_results(updates: dict, path: Path = RESULTS) -> Path:
    """Update ``updates``' keys in the JSON at ``path`` (an unreadable file counts as empty),
    written through a temporary file and a rename."""
    current: dict = {}
    if path.is_file():
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            current = {}
        if not isinstance(current, dict):
            current = {}
    current.update(updates)
    return write_atomic(path, json.dumps(current, indent=2, ensure_ascii=False) + "\n")
