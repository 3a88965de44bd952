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


def one_thread_env() -> dict[str, str]:
    """The BLAS/OpenMP thread limits the kit gives its kernels (:data:`reportkit.build.THREAD_LIMITS`,
    each 1), for a plain chain run under the same limits. With two processes on two cores, a plain
    kernel's OpenBLAS threads oversubscribe them: the market notebook's ARIMA back-test took 46 s
    beside a busy core against 15 s with one thread (14 s alone either way)."""
    from reportkit.build import THREAD_LIMITS

    return dict.fromkeys(THREAD_LIMITS, "1")
