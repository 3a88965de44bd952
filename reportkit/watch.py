"""``reportkit preview SPEC --watch``: rebuild the report's HTML when a notebook, template, data
file or the spec changes, re-running only what changed, and serve it on localhost.

:class:`Watcher` keeps the size and modification time of every file the build depends on (the
spec, each section's notebook, the data files the spec and the parameters name, everything under
``templates/``). :meth:`Watcher.check` rebuilds when one of them changed; the build uses the run
cache, so only sections whose run key changed execute (a template edit executes nothing). The HTML
is served from the output folder by a small threaded HTTP server bound to 127.0.0.1 only; a failed
rebuild keeps the last good page and reports the error.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .build import build_report, default_cache_dir
from .errors import ReportKitError
from .plan import make_plan
from .spec import ReportSpec, load_spec


@dataclass(frozen=True)
class Rebuild:
    changed: tuple[str, ...]  # files that changed since the last build (all of them the first time)
    executed: tuple[str, ...]  # sections executed (the others came from the run cache)
    seconds: float
    error: str | None = None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Watcher:
    """Rebuilds ``spec_path``'s HTML into ``out`` when its inputs change."""

    def __init__(self, spec_path: str | Path, out: str | Path, *, lang: str | None = None, theme: str | None = None,
                 cache_dir: str | Path | None = None, templates_dir: str | Path | None = None) -> None:
        from .style.themes import default_templates_dir

        self.spec_path = Path(spec_path)
        self.out = Path(out)
        self.lang, self.theme = lang, theme
        self.cache_dir = cache_dir
        self.templates_dir = Path(templates_dir) if templates_dir is not None else default_templates_dir()
        self.stamps: dict[Path, tuple[int, int] | None] = {}

    def files(self) -> list[Path]:
        """Every file the build depends on (read again each time: a spec edit may add a section)."""
        files = {self.spec_path.resolve()}
        files.update(p for p in self.templates_dir.rglob("*") if p.is_file())
        try:
            spec = load_spec(self.spec_path)
            plan = make_plan(spec, lang=self.lang, theme=self.theme)
        except ReportKitError:
            return sorted(files | set(self.stamps))  # keep watching what we knew; the build reports the error
        for run in plan.runs:
            files.add(Path(run.notebook).resolve())
            files.update(spec.resolve(name).resolve() for name in run.inputs)
        return sorted(files)

    def changed(self) -> list[Path]:
        now = {path: _stamp(path) for path in self.files()}
        changed = [p for p, stamp in now.items() if self.stamps.get(p, "unseen") != stamp]
        changed += [p for p in self.stamps if p not in now]
        self.stamps = now
        return changed

    def build(self, changed: list[Path] | tuple[str, ...] = ()) -> Rebuild:
        """Build the HTML now (the run cache decides what executes)."""
        started = time.perf_counter()
        names = tuple(str(p) for p in changed)
        try:
            spec: ReportSpec = load_spec(self.spec_path)
            spec = spec.model_copy(update={"outputs": ("html",)})  # the PDF is not needed to look at the page
            result = build_report(spec, lang=self.lang, theme=self.theme, out=self.out, cache=True,
                                  cache_dir=self.cache_dir if self.cache_dir is not None else default_cache_dir(spec))
        except ReportKitError as exc:
            return Rebuild(names, (), round(time.perf_counter() - started, 3), str(exc))
        return Rebuild(names, result.manifest.executed, round(time.perf_counter() - started, 3))

    def check(self) -> Rebuild | None:
        """Rebuild if an input changed since the last check; None when nothing changed."""
        changed = self.changed()
        return self.build(changed) if changed else None


def serve(folder: str | Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """Serve ``folder`` on http://127.0.0.1:PORT/ in a background thread (``port=0``: any free
    port; the server's ``server_address`` has the one chosen). Call ``shutdown()`` to stop."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="reportkit-preview", daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload always shows the latest build
        super().end_headers()


def watch(watcher: Watcher, *, interval: float = 1.0, report: Callable[[Rebuild], None] = lambda r: None,
          stop: threading.Event | None = None) -> None:
    """Check every ``interval`` seconds until ``stop`` is set (or Ctrl-C)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        result = watcher.check()
        if result is not None:
            report(result)
        stop.wait(interval)
