"""The two tasks of a batch, run by an executor's worker processes (local or Dask).

:func:`execute_run` executes one distinct run and stores it in the run cache; :func:`build_row`
renders one row from cached runs. Both take and return plain values (a ReportKitError does not
cross a process boundary intact): a dict with ``ok``, ``seconds`` and, on failure, ``error`` and
``saved`` (the failed executed notebook kept for inspection). Neither raises for a failure of
the work itself, so one bad row never stops a batch.

Each run appends to its own log, ``<batch>/_runs/<section>-<run key>.log``: when and where each
attempt started, the parameters, how it ended; the kernel's own output is beside it in
``<section>-<run key>.kernel.log`` when the kernel wrote anything.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ReportKitError


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _describe(exc: BaseException) -> tuple[str, str | None]:
    message = str(exc) if isinstance(exc, ReportKitError) else f"{type(exc).__name__}: {exc}"
    saved = getattr(exc, "saved", None)
    return message, str(saved) if saved else None


def _log(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:  # a log, appended line by line, not an output
        fh.write(f"{_now()} {line}\n")


def execute_run(
    notebook: str, target: str, parameters: dict[str, Any], cwd: str, cache_dir: str, run_key: str, attempt: int,
    secret: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Execute ``notebook`` into ``target`` and store it in the run cache under ``run_key``."""
    from ..cache import RunCache
    from ..execute import execute_notebook

    os.environ.setdefault("MPLBACKEND", "Agg")
    log_path = Path(target).with_suffix(".log")
    where = f"{socket.gethostname()} pid {os.getpid()}"
    _log(log_path, f"attempt {attempt} started on {where}: {notebook} run key {run_key}")
    from ..secrets import redact

    _log(log_path, "parameters " + json.dumps(redact(parameters, secret), ensure_ascii=False, default=str))
    started = time.perf_counter()
    try:  # execute_notebook gives each kernel private IPC sockets: parallel workers cannot clash
        execute_notebook(notebook, target, parameters, cwd=cwd, secret=secret)
        RunCache(cache_dir).put(run_key, target)
    except Exception as exc:  # noqa: BLE001 - reported per run; the batch goes on
        seconds = time.perf_counter() - started
        message, saved = _describe(exc)
        _log(log_path, f"attempt {attempt} failed after {seconds:.1f} s: {message}"
             + (f" (executed notebook kept as {saved})" if saved else ""))
        return {"ok": False, "seconds": seconds, "error": message, "saved": saved, "worker": where}
    seconds = time.perf_counter() - started
    _log(log_path, f"attempt {attempt} executed in {seconds:.1f} s → {target}; stored in the run cache")
    return {"ok": True, "seconds": seconds, "worker": where}


def build_row(row_spec: Any, out: str, lang: str, theme: str, cache_dir: str) -> dict[str, Any]:
    """Build one row into ``out`` (its runs are in the cache, so this renders only)."""
    from ..build import build_report

    os.environ.setdefault("MPLBACKEND", "Agg")
    started = time.perf_counter()
    try:
        result = build_report(row_spec, lang=lang, theme=theme, out=out, cache=True, cache_dir=cache_dir)
    except Exception as exc:  # noqa: BLE001
        message, saved = _describe(exc)
        return {"ok": False, "seconds": time.perf_counter() - started, "error": message, "saved": saved}
    return {
        "ok": True, "seconds": time.perf_counter() - started,
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "executed": [s["id"] for s in result.manifest["sections"] if not s["reused_from_cache"]],
    }
