"""``reportkit preview SPEC --watch``: rebuild the report's HTML when a notebook, template, data
file or the spec changes, re-running only what changed, and serve it on localhost; the page reloads
itself after each rebuild.

:class:`Watcher` knows every file the build depends on (the spec, each section's notebook, the data
files the spec and the parameters name, everything under the templates folder). :meth:`Watcher.watch`
waits for file events (watchfiles: inotify on Linux, FSEvents on macOS, polling only where a file
system gives no events) on the folders holding them, not on their subfolders, and rebuilds when one
of them changed; while nothing changes nothing is read, planned or hashed. Other files in those
folders (editor swap and backup files, notes, the build's own output) are let through to no build.
The build uses the run cache, so only sections whose run key changed execute (a template edit or a
sentence in a narrative cell executes nothing: the run key leaves markdown out and the cached run
gets the new narrative), and the session keeps one warm-kernel pool (:mod:`reportkit.kernel_pool`)
so a parameter edit re-executes its section on a pre-imported kernel. :meth:`Watcher.check` does
the same on demand by comparing sizes and modification times (no hashing either), and
:func:`watch` repeats it for file systems without events.

The HTML is served from the output folder by a small threaded HTTP server bound to 127.0.0.1 only.
Served pages carry a short inline script (added to the response, never to the file, which stays a
client deliverable that fetches nothing) that waits on ``/__reportkit__/events`` for the next build
and reloads, keeping the scroll position; a failed rebuild keeps the last good page and shows the
error in a banner.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import secrets
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

__all__ = ["EVENTS_PATH", "Rebuild", "Watcher", "serve", "watch"]

#: where a served page asks for the next build (long polling)
EVENTS_PATH = "/__reportkit__/events"

#: how long one request to EVENTS_PATH waits for a build before it answers "nothing new"
POLL_SECONDS = 25.0

#: files editors and tools write beside the ones they edit (swap, backup, lock and temporary files)
_SCRATCH = re.compile(r"(\.sw[a-p]|~|\.tmp|\.bak|\.py[cod]|\.___jb_\w+___)$|^(\.#|#.*#$|\.~|4913$|\.DS_Store$)")
_SCRATCH_FOLDERS = frozenset({"__pycache__", ".ipynb_checkpoints", ".git", ".mypy_cache", ".pytest_cache"})

Stamp = tuple[int, int] | None


@dataclass(frozen=True)
class Rebuild:
    changed: tuple[str, ...]  # files that changed since the last build (all of them the first time)
    executed: tuple[str, ...]  # sections executed (the others came from the run cache)
    seconds: float
    error: str | None = None


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _is_scratch(path: Path) -> bool:
    """A file no build reads: an editor's swap, backup or lock file, or one in a cache folder."""
    return bool(_SCRATCH.search(path.name)) or any(part in _SCRATCH_FOLDERS for part in path.parts)


class Watcher:
    """Rebuilds ``spec_path``'s HTML into ``out`` when its inputs change.

    ``generation`` counts the builds (failed ones too); :meth:`wait_for` blocks until it passes a
    value, and ``last`` is the latest :class:`Rebuild`. ``warm_kernels``: keep one warm-kernel pool
    for the session (closed by :meth:`close`).
    """

    def __init__(self, spec_path: str | Path, out: str | Path, *, lang: str | None = None, theme: str | None = None,
                 cache_dir: str | Path | None = None, warm_kernels: bool = False) -> None:
        from .style.themes import default_templates_dir

        self.spec_path = Path(spec_path)
        self.out = Path(out)
        self.lang, self.theme = lang, theme
        self.cache_dir = cache_dir
        self.templates_dir = default_templates_dir().resolve()  # what the render reads
        self.stamps: dict[Path, Stamp] = {}  # (mtime, size) of each dependency when last looked at
        self.deps: frozenset[Path] = frozenset()  # the files the build depends on (resolved paths)
        self.generation = 0
        self.last: Rebuild | None = None
        self.session = secrets.token_hex(8)  # a page served by another session reloads
        self.warm_kernels = warm_kernels
        self._pool: Any = None  # a KernelPool, started by the first build that may execute
        self._changed = threading.Condition()

    # ------------------------------------------------------------------ what the build depends on

    def _template_files(self) -> set[Path]:
        return {p.resolve() for p in self.templates_dir.rglob("*") if p.is_file() and not _is_scratch(p)}

    def files(self) -> list[Path]:
        """Every file the build depends on, read from the spec and its plan (planning hashes the data
        files: call this after a change, not to find one). Files the spec names that do not exist
        yet are included, so creating one rebuilds; when the spec cannot be read, the files known
        from before are kept."""
        files = {self.spec_path.resolve(), *self._template_files()}
        try:
            spec = load_spec(self.spec_path)
        except ReportKitError:
            return sorted(files | self.deps)
        files.update(spec.resolve(s.notebook).resolve() for s in spec.sections)
        files.update(spec.resolve(d.path).resolve() for d in spec.data)
        try:
            plan = make_plan(spec, lang=self.lang, theme=self.theme)
        except ReportKitError:
            return sorted(files | self.deps)
        for run in plan.runs:
            files.update(spec.resolve(name).resolve() for name in run.inputs)
        return sorted(files)

    def changed(self) -> list[Path]:
        """The dependencies whose size or modification time changed since the last look (all of
        them the first time), and deleted ones; records what it saw. Nothing is read or hashed once
        the dependencies are known (template files are listed again, to see a new one)."""
        if not self.deps:
            self.deps = frozenset(self.files())
        now = {path: _stamp(path) for path in self.deps | self._template_files()}
        changed = [p for p, stamp in sorted(now.items()) if self.stamps.get(p, "unseen") != stamp]
        changed += sorted(p for p in self.stamps if p not in now)
        self.stamps = now
        return changed

    def _refresh(self) -> None:
        """Read the dependencies again after a build (a spec edit may add a section or a data file):
        new ones are stamped now, dropped ones forgotten."""
        self.deps = frozenset(self.files())
        self.stamps = {p: self.stamps[p] if p in self.stamps else _stamp(p) for p in self.deps}

    def folders(self) -> list[Path]:
        """The folders to watch (each without its subfolders): those holding a dependency, and every
        folder of the templates (to see a new template file)."""
        folders = {p.parent for p in self.deps}
        folders.add(self.templates_dir)
        folders.update(p.resolve() for p in self.templates_dir.rglob("*") if p.is_dir() and not _is_scratch(p))
        return sorted(f for f in folders if f.is_dir())

    def passes(self, path: str | Path) -> bool:
        """Whether a file event at ``path`` may change the build: a dependency or a new file under
        the templates, never an editor's scratch file nor anything in the output folder."""
        p = Path(path)
        if _is_scratch(p):
            return False
        if p in self.deps:
            return True
        return p.is_relative_to(self.templates_dir) and not p.is_relative_to(self.out.resolve())

    # ------------------------------------------------------------------ building

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
        """Build the HTML now (the run cache decides what executes); a failed build is reported in
        the Rebuild's ``error`` and leaves the last good page in place."""
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

    def _rebuild(self, changed: Iterable[Path | str]) -> Rebuild:
        rebuild = self.build(changed)
        self._refresh()
        return rebuild

    def check(self) -> Rebuild | None:
        """Rebuild if an input changed since the last look (by size and modification time); None
        when nothing changed. The first call builds."""
        changed = self.changed()
        return self._rebuild(changed) if changed else None

    def wait_for(self, generation: int, timeout: float) -> int:
        """Block until a build after ``generation`` ended (or ``timeout`` seconds); the current generation."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation > generation, timeout)
            return self.generation

    def _filter(self, _change: object, path: str) -> bool:
        return self.passes(path)

    def watch(self, *, report: Callable[[Rebuild], None] = lambda r: None, stop: threading.Event | None = None,
              debounce_ms: int = 50, poll_delay_ms: int = 300, force_polling: bool | None = None) -> None:
        """Rebuild on file events until ``stop`` is set (or Ctrl-C: KeyboardInterrupt), reporting each
        :class:`Rebuild` (the first build too, if nothing was built yet). While nothing changes nothing
        is read, planned or hashed.

        ``debounce_ms``: saves less than this apart are one rebuild, which starts this long (at most
        twice this) after the first of them. Saves made during a build make one more build after it. After
        each build the dependencies are read again; when the folders holding them changed, those are
        watched instead, and what changed while the new watch was set up is found by comparing sizes
        and modification times. ``force_polling``/``poll_delay_ms``: watchfiles' own polling, for file
        systems without events (None: watchfiles decides).
        """
        import watchfiles

        if debounce_ms < 1:
            raise ReportKitError(f"debounce_ms={debounce_ms!r}: expected a positive number of milliseconds")
        stop = stop or threading.Event()
        if self.last is None:  # nothing built yet (the command builds before it watches)
            first = self.check()
            if first is not None:
                report(first)
        while not stop.is_set():
            folders = self.folders()
            if not folders:
                raise ReportKitError(f"nothing to watch: no folder of {self.spec_path}'s dependencies exists "
                                     f"(the spec, its notebooks and data files, {self.templates_dir})")
            fresh = True  # the first answer (changes or a timeout) comes once the watch is in place
            for batch in watchfiles.watch(*folders, watch_filter=self._filter, debounce=debounce_ms,
                                          step=min(200, debounce_ms), stop_event=stop, rust_timeout=1000,
                                          yield_on_timeout=True, recursive=False, force_polling=force_polling,
                                          poll_delay_ms=poll_delay_ms, raise_interrupt=True):
                if not batch and not fresh:
                    continue  # a timeout: nothing happened, nothing to look at
                fresh = False
                # sizes and times (no hashing): edits the events did not name, and the stamps before
                # the build reads the files (a save during the build is caught by the next event)
                changed = {Path(path) for _change, path in batch} | set(self.changed())
                if changed:
                    report(self._rebuild(sorted(changed)))
                    if self.folders() != folders:
                        break  # watch the new folders

    def close(self) -> None:
        """Stop the session's warm-kernel pool."""
        pool, self._pool = self._pool, None
        if pool is not None and not isinstance(pool, str):
            pool.close()


def watch(watcher: Watcher, *, interval: float = 1.0, report: Callable[[Rebuild], None] = lambda r: None,
          stop: threading.Event | None = None) -> None:
    """Check every ``interval`` seconds until ``stop`` is set (or Ctrl-C), by sizes and modification
    times: for file systems that give no events (use :meth:`Watcher.watch` everywhere else)."""
    if not interval > 0:
        raise ReportKitError(f"interval={interval!r}: expected a positive number of seconds between looks")
    stop = stop or threading.Event()
    while not stop.is_set():
        result = watcher.check()
        if result is not None:
            report(result)
        stop.wait(interval)


# ---------------------------------------------------------------------------------------- serving


def serve(folder: str | Path, port: int = 8000, *, watcher: Watcher | None = None) -> http.server.ThreadingHTTPServer:
    """Serve ``folder`` on http://127.0.0.1:PORT/ in a background thread (``port=0``: any free
    port; the server's ``server_address`` has the one chosen). Call ``shutdown()`` and
    ``server_close()`` to stop. With a ``watcher``, HTML pages reload themselves after each of its
    builds, and a page that does not exist yet (the first build is running or failed) says so."""
    handler = functools.partial(_PreviewHandler, directory=str(folder), watcher=watcher)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ReportKitError(f"--port {port}: cannot serve on 127.0.0.1:{port} ({exc.strerror or exc}); "
                             "expected a free port (--port 0 picks one)") from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="reportkit-preview", daemon=True).start()
    return server


#: added to served HTML pages (not to the files): wait for the next build, then reload in place
RELOAD_SCRIPT = """<script data-reportkit-preview>
(function () {
  var generation = %(generation)d, session = "%(session)s", key = "reportkit-preview-scroll:" + location.pathname;
  var y = sessionStorage.getItem(key);
  if (y !== null) {
    sessionStorage.removeItem(key);
    if ("scrollRestoration" in history) { history.scrollRestoration = "manual"; }
    window.addEventListener("load", function () { window.scrollTo(0, Number(y)); });
  }
  function banner(text) {
    var box = document.getElementById("reportkit-preview-error") || document.createElement("pre");
    box.id = "reportkit-preview-error";
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:.8em 1em;max-height:40vh;" +
      "overflow:auto;background:#7f1d1d;color:#fff;font:13px/1.4 monospace;white-space:pre-wrap;z-index:99999";
    box.textContent = "rebuild failed; this is the last good page.\\n" + text;
    document.body.appendChild(box);
  }
  function reload() {
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  }
  function wait() {
    fetch("%(events)s?since=" + generation, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.session !== session) { reload(); return; }
        if (d.generation <= generation) { wait(); return; }
        generation = d.generation;
        if (d.error) { banner(d.error); wait(); return; }
        reload();
      })
      .catch(function () { setTimeout(wait, 1000); });
  }
  %(initial)s
  wait();
})();
</script>
"""

#: the page shown where the build's page does not exist yet (the first build is running or failed)
PENDING_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>reportkit preview</title></head>
<body style="font:15px/1.5 sans-serif;margin:3em">
<p>%(what)s</p>
</body></html>
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
        if url.path == "/":
            self.send_response(302)
            self.send_header("Location", "/report.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.watcher is not None and url.path == EVENTS_PATH:
            self._events(url.query)
            return
        target = Path(self.translate_path(url.path))
        if self.watcher is not None and target.suffix in (".html", ".htm"):
            if target.is_file():
                self._page(target)
                return
            if url.path == "/report.html":
                self._pending()
                return
        super().do_GET()

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
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
        self._send(json.dumps({"generation": generation, "session": self.watcher.session, "error": error},
                              ensure_ascii=False).encode("utf-8"), "application/json")

    def _script(self, generation: int, initial: str = "") -> str:
        assert self.watcher is not None
        return RELOAD_SCRIPT % {"generation": generation, "session": self.watcher.session,
                                "events": EVENTS_PATH, "initial": initial}

    def _page(self, path: Path) -> None:
        assert self.watcher is not None
        generation = self.watcher.generation  # read before the file: a build that lands meanwhile reloads again
        text = path.read_text(encoding="utf-8")
        script = self._script(generation)
        at = text.lower().rfind("</body>")
        text = text[:at] + script + text[at:] if at >= 0 else text + script
        self._send(text.encode("utf-8"), "text/html; charset=utf-8")

    def _pending(self) -> None:
        assert self.watcher is not None
        generation, last = self.watcher.generation, self.watcher.last
        if last is not None and last.error:
            what = "The build failed; this page reloads when a rebuild succeeds."
            initial = f"banner({json.dumps(last.error)});"
        else:
            what = "Building the report; this page reloads when it is ready."
            initial = ""
        page = PENDING_PAGE % {"what": html.escape(what)}
        at = page.rfind("</body>")
        body = page[:at] + self._script(generation, initial.replace("</", "<\\/")) + page[at:]
        self._send(body.encode("utf-8"), "text/html; charset=utf-8", status=503)
