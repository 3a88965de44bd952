"""The template process of a warm-kernel pool: imports once, forks one kernel per run.

Started by :class:`reportkit.kernel_pool.KernelPool` as
``<kernel python> [its flags] -m reportkit.kernel_template SOCKET MODULE...`` with the environment
the kernels get. It does what ``ipykernel_launcher`` does before a kernel runs any code (drops the
current folder from ``sys.path``, makes the inline matplotlib backend the default), imports the
kernel machinery and MODULE... (what the section notebooks import), then serves requests on the
Unix socket SOCKET, one JSON line each:

- ``{"op": "launch", "argv": [...], "env": {...}, "cwd": ..., "log": ...}``: fork a child that
  becomes an IPython kernel exactly as ``python -m ipykernel_launcher -f CONNECTION_FILE`` would
  (environment, working folder, ``sys.argv``, a new session, stdout and stderr to ``log``); the
  reply is ``{"pid": N}``.
- ``{"op": "stop"}``: exit.

This process never runs user code, so every kernel starts from the same clean state: nothing one
run does can reach the next (each is a separate process, used once). A launch is refused (and the
caller starts an ordinary kernel instead) when this process is no longer safe to fork (a thread
was started) or when a module it imported changed on disk since (``{"refused": reason}``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

#: seconds between checks that the template's parent is still there, while it imports
_PARENT_CHECK = 0.2

#: the pool's pid, set by :class:`reportkit.kernel_pool.KernelPool` in the template's environment
POOL_PID_ENV = "REPORTKIT_POOL_PID"


def os_threads() -> int:
    """Threads of this process as the kernel sees them (``/proc/self/task``); fork is safe at 1."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _module_files() -> dict[str, int]:
    stamps: dict[str, int] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            try:
                stamps[path] = os.stat(path).st_mtime_ns
            except OSError:
                continue
    return stamps


def _changed(stamps: dict[str, int]) -> list[str]:
    changed = []
    for path, mtime in stamps.items():
        try:
            if os.stat(path).st_mtime_ns != mtime:
                changed.append(path)
        except OSError:
            changed.append(path)
    return changed


def _reap(*_: Any) -> None:
    """Collect every kernel that exited, so that none lingers as a zombie (its pool sees it gone)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _exit_with(parent: int) -> None:
    """While the template imports (seconds; longer on a busy machine), end it within 0.2 s of the
    process that started it ending: a SIGALRM timer compares the parent pid (no thread: the template
    must stay single-threaded to fork). :func:`_serve` checks the same while it serves. Call with 0
    to stop the timer."""

    def check(_signum: int, _frame: Any) -> None:
        if os.getppid() != parent:
            os._exit(0)

    if parent:
        signal.signal(signal.SIGALRM, check)
        signal.setitimer(signal.ITIMER_REAL, _PARENT_CHECK, _PARENT_CHECK)
    else:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


class _LauncherPoller:
    """Ends a forked kernel when the process that asked for it is gone, as ipykernel's parent poller
    ends a kernel its launcher started directly.

    A kernel jupyter_client starts is the child of the run's process (``JPY_PARENT_PID``), and
    ipykernel's ``ParentPollerUnix`` ends it when its parent changes. A forked kernel is the child of
    this template, so that poller only ends it once it is reparented to pid 1 (never, under a
    subreaper). This thread checks every second that ``JPY_PARENT_PID`` still runs instead: a
    process that has ended but is not yet reaped (a zombie, which ``kill(pid, 0)`` still finds, for
    as long as an init that reaps late keeps it) counts as ended, and so does another process that
    took its pid (its start time differs)."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid = pid
        self.started = running_since(pid)
        self.thread = threading.Thread(target=self._run, name="reportkit-launcher-poller", daemon=True)

    def _run(self) -> None:
        while True:
            started = running_since(self.pid)
            if started is None or started != self.started:
                os._exit(1)
            time.sleep(1.0)


def running_since(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc/PID/stat``), or None when
    it has ended, including one ended but not yet reaped (state Z or X). Linux only, as forked
    kernels are; :class:`reportkit.kernel_pool.ForkedKernel` asks it too."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()  # the command name, in (…), may hold spaces
    except OSError:
        return None
    if fields[0] in ("Z", "X", "x"):
        return None
    return int(fields[19])  # field 22 of proc(5); fields[0] is field 3


def _become_kernel(request: dict[str, Any], listener: socket.socket, conn: socket.socket) -> None:
    """In the forked child: turn into ``python -m ipykernel_launcher -f CONNECTION_FILE``. Never returns."""
    code = 1
    try:
        listener.close()
        conn.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()  # its own process group, as jupyter_client starts kernels
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(devnull)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        argv = list(request["argv"])
        launcher = argv.index("-m") + 1  # [python, flags…, -m, ipykernel_launcher, -f, file]
        import ipykernel_launcher  # noqa: F401 - its path is the kernel's sys.argv[0], as when run with -m

        sys.argv = [sys.modules["ipykernel_launcher"].__file__ or "ipykernel_launcher", *argv[launcher + 1:]]
        if "numpy" in sys.modules:  # numpy's global generator was seeded in the template: reseed per kernel
            sys.modules["numpy"].random.seed()
        from ipykernel.kernelapp import IPKernelApp

        # traits whose defaults IPKernelApp read from the environment when the template imported it
        app = IPKernelApp.instance(parent_handle=int(os.environ.get("JPY_PARENT_PID") or 0),
                                   interrupt=int(os.environ.get("JPY_INTERRUPT_EVENT") or 0))
        app.initialize()
        launcher_pid = int(os.environ.get("JPY_PARENT_PID") or 0)
        if launcher_pid > 1 and launcher_pid != os.getppid():
            _LauncherPoller(launcher_pid).thread.start()
        if "matplotlib_inline.backend_inline" in sys.modules:
            # imported before a shell existed, its IPython hooks were not installed: do it now, as importing
            # it in a running kernel would have
            sys.modules["matplotlib_inline.backend_inline"]._enable_matplotlib_integration()  # noqa: SLF001
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - reported in the kernel's log, then the child exits
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve(listener: socket.socket, stamps: dict[str, int], parent: int) -> None:
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # its pool's process ended without stopping it (killed)
                return
            continue
        conn.settimeout(None)
        with conn:
            request = json.loads(conn.makefile("r", encoding="utf-8").readline() or "{}")
            op = request.get("op")
            if op == "stop":
                return
            if op != "launch":
                reply: dict[str, Any] = {"refused": f"unknown request {op!r}"}
            elif (threads := os_threads()) != 1:
                reply = {"refused": f"the template process has {threads} threads; forking it is not safe"}
            elif changed := _changed(stamps):
                reply = {"refused": f"{len(changed)} imported module file(s) changed since it started, e.g. {changed[0]}",
                         "stale": True}
            else:
                pid = os.fork()
                if pid == 0:
                    _become_kernel(request, listener, conn)
                reply = {"pid": pid}
            conn.sendall((json.dumps(reply) + "\n").encode("utf-8"))


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    path, modules = argv[0], argv[1:]
    # as ipykernel_launcher: the current folder is not on sys.path while the kernel machinery loads
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    if not os.environ.get("MPLBACKEND"):  # as IPKernelApp.init_gui_pylab, before matplotlib reads it
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopped by its pool, not by a terminal's Ctrl-C
    # its pool's process, as the pool says: asked here, os.getppid() is already pid 1 (or a subreaper)
    # when the pool was killed before this interpreter started, and the template would serve no one
    pool_pid = int(os.environ.pop(POOL_PID_ENV, "0") or 0) or os.getppid()
    _exit_with(pool_pid)  # a pool killed while this imports does not leave it running
    import importlib

    import ipykernel.kernelapp  # noqa: F401 - the kernel machinery every run needs
    import ipykernel_launcher  # noqa: F401

    failed: dict[str, str] = {}
    unsafe = None
    modules = list(modules)
    for name in modules:
        parent = sys.modules.get(name.rpartition(".")[0])
        if parent is not None and not hasattr(parent, "__path__"):
            continue  # `from module import function`: the function is not a module
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 - a kernel that imports it reports the error itself
            failed[name] = f"{type(exc).__name__}: {exc}"
        if os_threads() != 1:
            unsafe = f"importing {name} started a thread; kernels cannot be forked from this process"
            break
        # a package may name what its functions import lazily (reportkit.analysis.KERNEL_IMPORTS)
        later = getattr(sys.modules.get(name), "KERNEL_IMPORTS", ())
        modules.extend(m for m in later if isinstance(m, str) and m not in modules)
    _exit_with(0)  # _serve checks from here on; a forked kernel starts without the timer
    stamps = _module_files()
    os.environ.pop("JE_ARROW_MALLOC_CONF", None)  # set for this process only (see kernel_pool)
    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    ready = {"pid": os.getpid(), "modules": len(sys.modules), "failed": failed, "unsafe": unsafe,
             "seconds": round(time.perf_counter() - started, 3)}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    try:
        _serve(listener, stamps, pool_pid)
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
