"""``reportkit preview SPEC --watch``: rebuild the report's HTML when a notebook, template, data
file or the spec changes, re-running only what changed, and serve it on localhost; the page reloads
itself after each rebuild.

:class:`Watcher` knows every file the build depends on (the spec, each section's notebook, the data
files the spec and the parameters name, everything under ``templates/``). :meth:`Watcher.watch`
waits for file events (watchfiles: inotify on Linux, FSEvents on macOS, polling only where a file
system gives no events) on the folders holding them and rebuilds when one of them changed; while
nothing changes nothing is read or hashed. The build uses the run cache, so only sections whose run
key changed execute (a template edit or a sentence in a narrative cell executes nothing), and the
session keeps one warm-kernel pool (:mod:`reportkit.kernel_pool`) so a parameter edit re-executes
its section on a pre-imported kernel. :meth:`Watcher.check` (compare sizes and modification times)
does the same on demand.

The HTML is served from the output folder by a small threaded HTTP server bound to 127.0.0.1 only.
Served pages carry a short script (added to the response, never to the file, which stays a client
deliverable that fetches nothing) that waits on ``/__reportkit__/events`` for the next build and
reloads, keeping the scroll position; a failed rebuild keeps the last good page and shows the error
in a banner.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import build_report, default_cache_dir, kernel_env
from .cache import RunCache
from .errors import ReportKitError
from .plan import make_plan
from .spec import ReportSpec, load_spec

#: where a served page asks for the next build (long polling)
EVENTS_PATH = "/__reportkit__/events"

#: how long one request to EVENTS_PATH waits for a build before it answers "nothing new"
POLL_SECONDS = 25.0


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
    """Rebuilds ``spec_path``'s HTML into ``out`` when its inputs change.

    ``generation`` counts the builds (failed ones too); :meth:`wait_for` blocks until it passes a
    value. ``warm_kernels``: keep one warm-kernel pool for the session (closed by :meth:`close`).
    """

    def __init__(self, spec_path: str | Path, out: str | Path, *, lang: str | None = None, theme: str | None = None,
                 cache_dir: str | Path | None = None, templates_dir: str | Path | None = None,
                 warm_kernels: bool = False) -> None:
        from .style.themes import default_templates_dir

        self.spec_path = Path(spec_path)
        self.out = Path(out)
        self.lang, self.theme = lang, theme
        self.cache_dir = cache_dir
        self.templates_dir = Path(templates_dir) if templates_dir is not None else default_templates_dir()
        self.stamps: dict[Path, tuple[int, int] | None] = {}
        self.deps: frozenset[Path] = frozenset()  # the files of the last build (or of the first look)
        self.generation = 0
        self.last: Rebuild | None = None
        self.warm_kernels = warm_kernels
        self._pool: Any = None  # a KernelPool, started by the first build that may execute
        self._changed = threading.Condition()

    def files(self) -> list[Path]:
        """Every file the build depends on (read again each time: a spec edit may add a section)."""
        files = {self.spec_path.resolve()}
        files.update(p.resolve() for p in self.templates_dir.rglob("*") if p.is_file())
        try:
            spec = load_spec(self.spec_path)
            plan = make_plan(spec, lang=self.lang, theme=self.theme)
        except ReportKitError:
            return sorted(files | set(self.stamps) | set(self.deps))  # keep watching what we knew
        for run in plan.runs:
            files.add(Path(run.notebook).resolve())
            files.update(spec.resolve(name).resolve() for name in run.inputs)
        return sorted(files)

    def changed(self) -> list[Path]:
        now = {path: _stamp(path) for path in self.files()}
        changed = [p for p, stamp in now.items() if self.stamps.get(p, "unseen") != stamp]
        changed += [p for p in self.stamps if p not in now]
        self.stamps = now
        self.deps = frozenset(now)
        return changed

    def _kernels(self, spec: ReportSpec) -> Any:
        """The session's warm-kernel pool (started once), or "warm" for a build's own pool."""
        if not self.warm_kernels:
            return "warm"
        if self._pool is None:
            from .execute import DEFAULT_KERNEL
            from .kernel_pool import open_pool

            notebooks = [spec.resolve(s.notebook) for s in spec.sections]
            self._pool = open_pool(DEFAULT_KERNEL, notebooks, env=kernel_env(RunCache(self._cache_dir(spec)))) or "warm"
        return self._pool

    def _cache_dir(self, spec: ReportSpec) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else default_cache_dir(spec)

    def build(self, changed: Iterable[Path | str] = ()) -> Rebuild:
        """Build the HTML now (the run cache decides what executes)."""
        started = time.perf_counter()
        names = tuple(str(p) for p in changed)
        try:
            spec: ReportSpec = load_spec(self.spec_path)
            spec = spec.model_copy(update={"outputs": ("html",)})  # the PDF is not needed to look at the page
            result = build_report(spec, lang=self.lang, theme=self.theme, out=self.out, cache=True,
                                  cache_dir=self._cache_dir(spec), kernels=self._kernels(spec))
            rebuild = Rebuild(names, result.manifest.executed, round(time.perf_counter() - started, 3))
        except ReportKitError as exc:
            rebuild = Rebuild(names, (), round(time.perf_counter() - started, 3), str(exc))
        with self._changed:
            self.generation += 1
            self.last = rebuild
            self._changed.notify_all()
        return rebuild

    def check(self) -> Rebuild | None:
        """Rebuild if an input changed since the last check (by size and modification time); None
        when nothing changed."""
        changed = self.changed()
        return self.build(changed) if changed else None

    def wait_for(self, generation: int, timeout: float) -> int:
        """Block until a build after ``generation`` ended (or ``timeout`` seconds); the current generation."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation > generation, timeout)
            return self.generation

    def roots(self) -> list[Path]:
        """The folders to watch: those holding a dependency, outermost first, none inside another."""
        folders = sorted({p.parent for p in self.deps}, key=lambda p: (len(p.parts), str(p)))
        kept: list[Path] = []
        for folder in folders:
            if not any(folder.is_relative_to(k) for k in kept):
                kept.append(folder)
        return [k for k in kept if k.is_dir()]

    def watch(self, *, report: Callable[[Rebuild], None] = lambda r: None, stop: threading.Event | None = None,
              debounce_ms: int = 50, poll_delay_ms: int = 300) -> None:
        """Rebuild on file events until ``stop`` is set (or Ctrl-C): nothing is read, planned or
        hashed while nothing changes. A change to a file the build does not depend on (output
        folders, editor swap files) is ignored; after each rebuild the dependencies are read again
        and, when their folders changed, watched instead."""
        import watchfiles

        stop = stop or threading.Event()
        if not self.deps:
            self.changed()  # the first look: what to watch
        while not stop.is_set():
            roots = self.roots()
            deps = self.deps
            for batch in watchfiles.watch(*roots, watch_filter=lambda _c, path, deps=deps: Path(path) in deps,
                                          debounce=debounce_ms, step=min(50, debounce_ms), stop_event=stop,
                                          rust_timeout=1000, poll_delay_ms=poll_delay_ms, raise_interrupt=True):
                changed = sorted({Path(path) for _change, path in batch})
                report(self.build(changed))
                self.changed()  # dependencies after the build (a spec edit may add a section or a file)
                if self.roots() != roots or self.deps != deps:
                    break  # watch the new set

    def close(self) -> None:
        """Stop the session's warm-kernel pool."""
        pool, self._pool = self._pool, None
        if pool is not None and not isinstance(pool, str):
            pool.close()


def serve(folder: str | Path, port: int = 8000, *, watcher: Watcher | None = None) -> http.server.ThreadingHTTPServer:
    """Serve ``folder`` on http://127.0.0.1:PORT/ in a background thread (``port=0``: any free
    port; the server's ``server_address`` has the one chosen). Call ``shutdown()`` to stop. With a
    ``watcher``, HTML pages reload themselves after each of its builds."""
    handler = functools.partial(_PreviewHandler, directory=str(folder), watcher=watcher)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="reportkit-preview", daemon=True).start()
    return server


#: added to served HTML pages (not to the files): wait for the next build, then reload in place
RELOAD_SCRIPT = """<script data-reportkit-preview>
(function () {
  var generation = %(generation)d, key = "reportkit-preview-scroll:" + location.pathname;
  var y = sessionStorage.getItem(key);
  if (y !== null) {
    sessionStorage.removeItem(key);
    window.addEventListener("load", function () { window.scrollTo(0, Number(y)); });
  }
  function banner(text) {
    var box = document.getElementById("reportkit-preview-error") || document.createElement("pre");
    box.id = "reportkit-preview-error";
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:.8em 1em;max-height:40vh;" +
      "overflow:auto;background:#7f1d1d;color:#fff;font:13px/1.4 monospace;white-space:pre-wrap;z-index:99999";
    box.textContent = "rebuild failed; this is the last good page.\n" + text;
    document.body.appendChild(box);
  }
  function wait() {
    fetch("%(events)s?since=" + generation, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.generation <= generation) { wait(); return; }
        generation = d.generation;
        if (d.error) { banner(d.error); wait(); return; }
        sessionStorage.setItem(key, String(window.scrollY));
        location.reload();
      })
      .catch(function () { setTimeout(wait, 1000); });
  }
  wait();
})();
</script>
"""


class _PreviewHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, watcher: Watcher | None = None, **kwargs: Any) -> None:
        self.watcher = watcher
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload always shows the latest build
        super().end_headers()

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if self.watcher is not None and url.path == EVENTS_PATH:
            self._events(url.query)
            return
        target = Path(self.translate_path(url.path))
        if self.watcher is not None and target.is_file() and target.suffix in (".html", ".htm"):
            self._page(target)
            return
        super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self, query: str) -> None:
        assert self.watcher is not None
        try:
            since = int(urllib.parse.parse_qs(query).get("since", ["0"])[0])
        except ValueError:
            since = 0
        generation = self.watcher.wait_for(since, POLL_SECONDS)
        last = self.watcher.last
        error = last.error if last is not None and generation > since else None
        self._send(json.dumps({"generation": generation, "error": error}).encode(), "application/json")

    def _page(self, path: Path) -> None:
        assert self.watcher is not None
        generation = self.watcher.generation  # read before the file: a build that lands meanwhile reloads again
        text = path.read_text(encoding="utf-8")
        script = RELOAD_SCRIPT % {"generation": generation, "events": html.escape(EVENTS_PATH)}
        at = text.lower().rfind("</body>")
        text = text[:at] + script + text[at:] if at >= 0 else text + script
        self._send(text.encode("utf-8"), "text/html; charset=utf-8")


def watch(watcher: Watcher, *, interval: float = 1.0, report: Callable[[Rebuild], None] = lambda r: None,
          stop: threading.Event | None = None) -> None:
    """Check every ``interval`` seconds until ``stop`` is set (or Ctrl-C), by sizes and modification
    times: for file systems that give no events (use :meth:`Watcher.watch` everywhere else)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        result = watcher.check()
        if result is not None:
            report(result)
        stop.wait(interval)
