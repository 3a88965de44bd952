"""Warm kernels: the kernel start and the heavy imports leave the critical path of a run.

A :class:`KernelPool` starts one template process (:mod:`reportkit.kernel_template`) that imports,
once, what the section notebooks import (pandas, statsmodels, pyfixest, matplotlib, reportkit, …)
and then forks one fresh kernel per run. Each kernel is used for one run and discarded; the
template itself never runs a notebook, so no state passes from one run to the next (every kernel
is a copy of the same never-used process). Forking a 400 MB process takes milliseconds; the
import cell of a section that took 2 s in a cold kernel takes a few milliseconds.

Where the pool cannot give a kernel identical to a cold one it declines, and
:func:`reportkit.execute.execute_notebook` starts an ordinary kernel instead (logged, never an
error): not Linux; a kernelspec that is not ``python … -m ipykernel_launcher -f {connection_file}``;
a launch whose environment differs from the template's (variables read at import time would then
differ); a module the template imported changed on disk since it started (the pool is then
restarted for the next run); a thread started in the template (unsafe to fork).

Differences from a cold kernel that remain: the kernel's parent process is the template, and all
kernels of one pool share the template's string-hash seed (``PYTHONHASHSEED``), so the iteration
order of a set of strings is the same in every run of a pool (it differs between cold kernels).
numpy's global random generator is reseeded in each kernel, as Python's ``random`` is.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ReportKitError
from .kernel_template import POOL_PID_ENV, running_since

log = logging.getLogger(__name__)

#: variables that may differ between the template and a kernel: set per kernel by jupyter_client,
#: by pytest per test phase, or by the kit per run (the planned hashes of a run's inputs in object
#: storage, reportkit.remote_inputs); none of them is read when a module is imported (PYDEVD_…
#: are: debugpy, which the template imports, reads them, so a kernel with other values is declined)
PER_KERNEL_ENV = ("JPY_", "PYTEST_CURRENT_TEST", "REPORTKIT_PINNED_INPUTS")

#: the template only: no jemalloc background thread in pyarrow (a thread makes forking unsafe)
TEMPLATE_ONLY_ENV = {"JE_ARROW_MALLOC_CONF": "background_thread:false"}

#: imported in every template, whatever the notebooks import: the kernel machinery, and what
#: ``IPKernelApp.initialize()`` imports in every kernel it starts (the debugger, debugpy, is most of
#: it: about 0.15 s of the 0.2 s a forked kernel took to start)
BASE_MODULES = ("IPython", "ipykernel.ipkernel", "matplotlib_inline.backend_inline", "ipykernel.debugger",
                "IPython.core.debugger", "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3",
                "tornado.platform.asyncio")


def supported() -> bool:
    """Forked kernels are offered on Linux only (macOS frameworks are not safe to fork)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def notebook_imports(notebooks: Iterable[str | Path]) -> list[str]:
    """The modules the code cells of ``notebooks`` import (``import a.b`` → ``a.b``; ``from a.b
    import c`` → ``a.b`` and ``a.b.c``, which may be a module), in the order met, without relative
    imports. Cells that are not plain Python (magics) are skipped line by line."""
    import nbformat

    names: list[str] = []
    for path in notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.extend(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
                    names.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return list(dict.fromkeys(names))


def kernel_environment(spec_env: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment jupyter_client gives a kernel launched now (this process's, the kernelspec's
    ``env`` with ``${VAR}`` substituted, no PYTHONEXECUTABLE), plus ``extra``."""
    from string import Template

    env = dict(os.environ)
    env.update({k: Template(v).safe_substitute(env) for k, v in spec_env.items()})
    env.pop("PYTHONEXECUTABLE", None)
    env.update(extra or {})
    return env


def _comparable(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(PER_KERNEL_ENV)}


class ForkedKernel:
    """What jupyter_client's local provisioner needs of a ``Popen`` for a kernel that is not our
    child (the template forked it): poll, wait, signals. The template reaps it when it exits."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if running_since(self.pid) is None:  # exited (a zombie only until the template reaps it)
            self.returncode = 0  # the template has its status; a kernel that ended is all we need to know
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel pid {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class KernelPool:
    """One template process for ``kernel_name`` that forks pre-imported kernels.

    ``preload``: modules to import in the template (e.g. :func:`notebook_imports` of a plan's
    notebooks); ``env``: variables added to the kernels' environment (thread limits). The template
    starts in the background at once; :meth:`launch` waits for it. Use as a context manager or call
    :meth:`close`. Thread-safe: sections running in parallel share one pool.
    """

    def __init__(self, kernel_name: str, *, preload: Sequence[str] = (), env: Mapping[str, str] | None = None,
                 ready_timeout: float = 120) -> None:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        self.kernel_name = kernel_name
        self.preload = tuple(dict.fromkeys((*BASE_MODULES, *preload)))
        self.extra_env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.launched = 0
        self.declined: list[str] = []  # why a launch went to an ordinary kernel
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._info: dict[str, Any] | None = None
        self._reason: str | None = None  # set when the pool cannot serve at all
        self._folder = Path(tempfile.mkdtemp(prefix="rk-kernels-"))
        try:
            spec = KernelSpecManager().get_kernel_spec(kernel_name)
        except NoSuchKernel:
            self._reason = f"no kernelspec {kernel_name!r}"
            return
        argv = list(spec.argv)
        if not supported():
            self._reason = f"forked kernels are not offered on {sys.platform}"
        elif argv[-4:] != ["-m", "ipykernel_launcher", "-f", "{connection_file}"]:
            self._reason = f"kernelspec {kernel_name!r} is not `python -m ipykernel_launcher -f {{connection_file}}`"
        if self._reason:
            return
        self.prefix = argv[:-3]  # [python, flags…, -m]
        self.env = kernel_environment(spec.env or {}, self.extra_env)
        self._start()

    # -- the template process -------------------------------------------------------------------
    def _start(self) -> None:
        sock = self._folder / f"pool-{len(self.declined)}-{self.launched}.sock"
        sock.unlink(missing_ok=True)
        self.socket = sock
        self._info = None
        self._errlog = open(self._folder / "template.log", "ab")  # noqa: SIM115 - kept for the process
        self._proc = subprocess.Popen(
            [*self.prefix, "reportkit.kernel_template", str(sock), *self.preload],
            # its pool's pid, told rather than asked (os.getppid() in the template is pid 1 already
            # when this process is killed before the template's interpreter has started)
            env={**self.env, **TEMPLATE_ONLY_ENV, POOL_PID_ENV: str(os.getpid())}, cwd=self._folder, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._errlog, text=True, start_new_session=True,
        )

    def _ready(self) -> dict[str, Any] | None:
        """The template's ready line (waits for it), or None when it failed to start."""
        if self._info is not None or self._proc is None:
            return self._info
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.ready_timeout)
        try:
            info = json.loads(line[0]) if line and line[0] else None
        except ValueError:
            info = None
        if not isinstance(info, dict):  # no line, or not the template's ready object
            tail = (self._folder / "template.log").read_text(errors="replace").strip().splitlines()[-3:]
            self._reason = "the kernel template did not start" + (f": {' / '.join(tail)}" if tail else "")
            self._stop_process()
            return None
        if info.get("unsafe"):
            self._reason = info["unsafe"]
        if info.get("failed"):
            log.debug("kernel template: not preloaded (the kernels import them themselves): %s", info["failed"])
        self._info = info
        return info

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                self._request({"op": "stop"}, timeout=5)
            except OSError:
                pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()
        self._errlog.close()

    def _request(self, request: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(self.socket))
            conn.sendall((json.dumps(request) + "\n").encode("utf-8"))
            reply = conn.makefile("r", encoding="utf-8").readline()
        return json.loads(reply) if reply else {}

    # -- kernels -------------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return self._reason is None

    @property
    def reason(self) -> str | None:
        """Why the pool starts no kernel at all (None while it does)."""
        return self._reason

    def launch(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | Path, log_path: str | Path) -> int | None:
        """Fork a kernel for ``argv`` (the kernel command jupyter_client built: ``[python, flags…, -m,
        ipykernel_launcher, -f, CONNECTION_FILE]``): its pid, or None when this launch must use an
        ordinary kernel (the reason is logged and kept in :attr:`declined`)."""
        with self._lock:
            reason = self._decline(argv, env)
            if reason is None:
                try:
                    # the template has its own working folder: every path it gets is absolute
                    reply = self._request({"op": "launch", "argv": list(argv), "env": dict(env),
                                           "cwd": str(Path(cwd).absolute()), "log": str(Path(log_path).absolute())})
                except (OSError, ValueError) as exc:
                    reply = {"refused": f"the kernel template did not answer ({exc})"}
                if "pid" in reply:
                    self.launched += 1
                    return int(reply["pid"])
                reason = str(reply.get("refused", "no answer"))
                if reply.get("stale"):  # reportkit (or a library) was edited: a fresh template for the next run
                    self._stop_process()
                    self._start()
            self.declined.append(reason)
            log.info("starting an ordinary kernel: %s", reason)
            return None

    def _decline(self, argv: Sequence[str], env: Mapping[str, str]) -> str | None:
        if self._reason is None and self._ready() is None and self._reason is None:
            self._reason = "the kernel template did not start"
        if self._reason is not None:
            return self._reason
        if list(argv[: len(self.prefix)]) != self.prefix or list(argv[len(self.prefix):][:2]) != ["ipykernel_launcher", "-f"]:
            return f"kernel command {' '.join(argv)!r} is not the template's"
        mine, theirs = _comparable(self.env), _comparable(env)
        if mine != theirs:
            names = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
            return f"the kernel's environment differs from the template's in {', '.join(names[:5])}"
        return None

    def close(self) -> None:
        with self._lock:
            self._stop_process()
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_pool(kernel_name: str, notebooks: Iterable[str | Path], *, env: Mapping[str, str] | None = None) -> KernelPool | None:
    """A pool pre-importing what ``notebooks`` import, or None where forked kernels are not offered."""
    if not supported():
        return None
    try:
        return KernelPool(kernel_name, preload=notebook_imports(notebooks), env=env)
    except (OSError, ReportKitError) as exc:  # pragma: no cover - a machine that cannot start it runs cold kernels
        log.info("no warm kernels: %s", exc)
        return None
