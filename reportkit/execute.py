"""Run one section notebook with papermill.

One kernel per run (the ``reportkit`` kernelspec installed inside the venv by ``make``). Progress
is reported through nbclient's cell hooks, passed through papermill, never by subclassing. A failing
cell becomes a :class:`~reportkit.errors.NotebookError` naming the notebook, the cell number in the
original notebook, the exception, and the path of the saved executed notebook that shows it.

Cell numbers are those the analyst sees in the original notebook: papermill's injected-parameters
cell and its error-marker cells are not counted. A notebook that ends itself early with
``sys.exit(0)`` fails too (papermill calls that a success; a report from a half-run notebook would be
wrong). Ctrl-C raises :class:`~reportkit.errors.RunInterrupted` and leaves no partial file behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_atomic
from .errors import NotebookError, ReportKitError, RunInterrupted
from .record import INJECTED_TAG
from .secrets import scrub_notebook

if TYPE_CHECKING:
    from .kernel_pool import KernelPool

#: progress(done_cells, total_cells) after each cell
ProgressHook = Callable[[int, int], None]

DEFAULT_KERNEL = "reportkit"


@dataclass(frozen=True)
class ExecutedNotebook:
    notebook: str
    output: str
    parameters: dict[str, Any]
    seconds: float
    nb: Any  # nbformat.NotebookNode, the executed notebook


def kernel_available(name: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return True


def _kernel_manager_class(stderr_path: Path, ipc_dir: str, kernels: KernelPool | None = None,
                          env: Mapping[str, str] | None = None, launched: Callable[[int], None] | None = None,
                          cwd: str | None = None) -> type:
    """A kernel manager on IPC transport (no TCP ports: parallel runs cannot clash) whose sockets
    live in ``ipc_dir`` (private to this run) and whose kernel writes its stderr to
    ``stderr_path`` instead of the terminal. ``env``: added to the kernel's environment. With
    ``kernels``, the kernel is forked from the pool's pre-imported template when the pool can give
    one identical to a cold kernel (:mod:`reportkit.kernel_pool`), else started as usual. ``cwd``:
    the kernel's working folder (papermill's own ``cwd=`` changes the folder of the whole process,
    which runs in parallel threads would race on).

    jupyter_client's IPC default is the *relative* path ``kernel-ipc-<N>``, N chosen by looking at
    which files exist in the current folder: two kernels started at once in one folder pick the
    same N and clash ("Kernel didn't respond"). An absolute, per-run folder rules that out.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner
    from traitlets import default

    from .kernel_client import client_class

    class RunKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc" if os.name == "posix" else "tcp"

        @default("client_factory")
        def _client_factory_default(self) -> type:
            return client_class()  # ready when the kernel has answered (reportkit.kernel_client)

        def _ip_default(self) -> str:
            if self.transport == "ipc":
                return os.path.join(ipc_dir, "kernel-ipc")
            return super()._ip_default()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if env:
                kw["env"] = {**kw.get("env", os.environ), **env}
            if cwd is not None:  # the kernel's folder, set here: papermill's cwd= would chdir the whole process
                kw["cwd"] = cwd
            # as jupyter_client's launch_kernel sets it: the kernel knows it has a parent (no "ipython kernel" notes)
            forked_env = {**kw.get("env", os.environ), "JPY_PARENT_PID": str(os.getpid())}
            provisioner = self.provisioner
            # a forked kernel stands in for the process jupyter_client's local provisioner would start;
            # any other provisioner (configured by the user) launches its kernels itself
            pid = kernels.launch(kernel_cmd, env=forked_env, cwd=kw.get("cwd") or os.getcwd(), log_path=stderr_path) \
                if kernels is not None and isinstance(provisioner, LocalProvisioner) else None
            if pid is not None and isinstance(provisioner, LocalProvisioner):
                from .kernel_pool import ForkedKernel

                # not a Popen, but it has what the provisioner calls on one (poll, wait, send_signal, kill)
                provisioner.process = ForkedKernel(pid)  # type: ignore[assignment]
                provisioner.pid = provisioner.pgid = pid  # its own session: pid == process group
                provisioner.cwd = kw.get("cwd") or os.getcwd()
                self._reconcile_connection_info(provisioner.connection_info)
            else:
                log = open(stderr_path, "ab")  # noqa: SIM115 - owned by the kernel process
                kw["stderr"] = log
                kw.setdefault("stdout", log)
                try:
                    await super()._async_launch_kernel(kernel_cmd, **kw)
                finally:
                    log.close()
            if launched is not None and isinstance(self.provisioner, LocalProvisioner) and self.provisioner.pid:
                launched(self.provisioner.pid)

    return RunKernelManager


ERROR_MARKER_TAG = "papermill-error-cell-tag"  # papermill's tag on the markdown cells it adds to a failed notebook

#: a line such as "UsageError: Line magic function `%x` not found." (IPython writes these to stderr)
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")


def _tags(cell: Any) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags", []))


def _injected_flags(nb: Any) -> list[bool]:
    """For each cell of the notebook papermill executes (error markers removed, parameters
    injected): is it the injected-parameters cell? Indices papermill and nbclient report refer to
    this list."""
    return [INJECTED_TAG in _tags(c) for c in nb.get("cells", []) if ERROR_MARKER_TAG not in _tags(c)]


def _cell_number(injected: list[bool], index: int | None) -> int | None:
    """The 1-based number of executed cell ``index`` in the analyst's notebook: the injected
    parameters cell and papermill's error-marker cells are not counted. The injected cell itself
    gets the number of the cell before it (the parameters cell), or None if it comes first."""
    if index is None or index < 0:
        return None
    number = sum(1 for flag in injected[: index + 1] if not flag)
    return number or None


def _executed_cells(path: Path) -> list[Any]:
    """The cells of a saved executed notebook without papermill's error-marker cells, so that
    papermill's cell indices point into the list."""
    import nbformat  # imported where a notebook is executed, not by every command (see reportkit.notebook_file)

    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if ERROR_MARKER_TAG not in _tags(c)]


def _stderr_cause(cell: Any) -> tuple[str, str] | None:
    """(ename, evalue) from what a failed cell wrote to stderr, for errors IPython reports there
    instead of as an error output (a line magic that does not exist, a usage error)."""
    text = "".join(
        "".join(o.get("text", "")) for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    match = _ERROR_LINE.match(lines[-1])
    if match:
        return match.group(1), match.group(2)
    return "CellExecutionError", lines[-1][:500]


def _early_exit(cells: list[Any]) -> tuple[int, int] | None:
    """(index, later code cells that did not run) when a cell ended the notebook with
    ``sys.exit(0)`` (papermill stops there and calls the run a success), else None."""
    for index, cell in enumerate(cells):
        if not (cell.get("metadata") or {}).get("papermill", {}).get("exception"):
            continue
        later = cells[index + 1:]
        skipped = sum(1 for c in later if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip())
        return (index, skipped) if skipped else None
    return None


def _drop_empty(path: Path) -> None:
    if path.exists() and path.stat().st_size == 0:
        path.unlink()


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    parameters: dict[str, Any],
    *,
    cwd: str | Path,
    kernel_name: str = DEFAULT_KERNEL,
    progress: ProgressHook | None = None,
    timeout: int = 900,
    secret: Collection[str] = (),
    kernels: KernelPool | None = None,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> ExecutedNotebook:
    """Execute ``notebook`` with ``parameters`` (already validated) and save it at ``output``.

    The executed notebook is written under a temporary name and renamed when the run succeeds;
    when a cell fails (or ``sys.exit(0)`` leaves later code cells unrun) it is kept as
    ``<output stem>.failed.ipynb`` and a NotebookError is raised. On Ctrl-C the temporary notebook
    is removed and :class:`~reportkit.errors.RunInterrupted` (a KeyboardInterrupt) is raised.
    ``secret``: names of parameters whose values must not stay in the saved notebook (see
    :mod:`reportkit.secrets`); both the executed and a failed notebook are scrubbed. ``kernels``: a
    :class:`~reportkit.kernel_pool.KernelPool` to fork a warm kernel from; ``env``: variables added
    to the kernel's environment (e.g. thread limits). ``stop``: set from another thread, it
    interrupts the run as Ctrl-C would (the running cell is interrupted; RunInterrupted is raised).
    """
    import nbformat  # imported where a notebook is executed, not by every command (see reportkit.notebook_file)
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if not kernel_available(kernel_name):
        raise ReportKitError(
            f"the Jupyter kernel {kernel_name!r} is not installed; run `make setup` (it installs the "
            f"kernelspec inside .venv), or `python -m ipykernel install --sys-prefix --name {kernel_name}`"
        )
    partial = output.with_name(f".{output.stem}.{os.getpid()}.partial.ipynb")
    failed = output.with_name(f"{output.stem}.failed.ipynb")
    kernel_log = output.with_name(f"{output.stem}.kernel.log")
    # "injected": which executed cells are papermill's parameters cell, to number cells as the
    # analyst's notebook does; "current": the cell nbclient started last (its on_cell_complete
    # fires when a cell is *sent* to the kernel, so the last "complete" cell may still be running)
    state: dict[str, Any] = {"done": 0, "total": 0, "injected": [], "current": None}

    def on_notebook_start(notebook: Any, **_: Any) -> None:
        state["notebook"] = notebook  # the notebook papermill fills in (kept for a run that ends without it saved)
        state["total"] = len(notebook.cells)
        state["injected"] = _injected_flags(notebook)
        if progress:
            progress(0, state["total"])

    def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
        state["current"] = cell_index
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt

    def on_launch(pid: int) -> None:
        state["pid"] = pid
        if stop is not None:
            threading.Thread(target=interrupt_on_stop, args=(pid,), daemon=True,
                             name=f"reportkit-stop-{pid}").start()

    def interrupt_on_stop(pid: int) -> None:
        while not stop.wait(0.2):  # type: ignore[union-attr]
            if state.get("ended"):
                return
        if not state.get("ended"):
            try:
                os.kill(pid, signal.SIGINT)  # the running cell raises KeyboardInterrupt
            except OSError:
                pass

    def on_cell_complete(cell: Any, cell_index: int, **_: Any) -> None:
        state["done"] = cell_index + 1
        if progress:
            progress(state["done"], state["total"])

    def keep_failed() -> Path | None:
        """The partial notebook, scrubbed, as ``<stem>.failed.ipynb`` (it shows the error)."""
        if not partial.exists() and state.get("notebook") is not None:
            # papermill writes the notebook when a cell fails, not when the kernel dies or a cell times out
            write_atomic(partial, nbformat.writes(state["notebook"]))
        if not partial.exists():
            return None
        os.replace(partial, failed)
        scrub_notebook(failed, parameters, secret)
        return failed if failed.exists() else None

    started = time.perf_counter()
    ipc_dir = tempfile.mkdtemp(prefix="rk-ipc-")
    try:
        pm.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            # papermill would write the whole notebook before and after every cell (about a second of
            # this process's CPU per run); it is written once at the end, or by keep_failed()
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            on_notebook_start=on_notebook_start,
            on_cell_start=on_cell_start,
            on_cell_complete=on_cell_complete,
            kernel_manager_class=_kernel_manager_class(kernel_log, ipc_dir, kernels, env, on_launch, str(Path(cwd).resolve())),
            shutdown_kernel="immediate",  # every output is collected by then; no need to wait for a clean exit
        )
        cells = _executed_cells(partial)
        exit_at = _early_exit(cells)
        if exit_at is not None:  # sys.exit(0) half-way: papermill calls it success, a report must not
            index, skipped = exit_at
            raise NotebookError(
                notebook=notebook, cell=_cell_number(_injected_flags({"cells": cells}), index), ename="SystemExit",
                evalue=(f"the notebook exited early (sys.exit(0) or SystemExit); {skipped} later code "
                        f"cell{'s' if skipped != 1 else ''} did not run, so its results would be incomplete: "
                        f"remove the exit, or raise an exception to stop on purpose"),
                saved=keep_failed(), source="".join(cells[index].get("source", "")),
            )
    except PapermillExecutionError as exc:
        if stop is not None and stop.is_set():  # interrupted from another thread: as Ctrl-C
            partial.unlink(missing_ok=True)
            kernel_log.unlink(missing_ok=True)
            raise RunInterrupted(notebook=notebook, cell=_cell_number(state["injected"], state["current"])) from None
        ename, evalue = exc.ename, exc.evalue
        injected = state["injected"]
        if partial.exists():
            cells = _executed_cells(partial)
            injected = _injected_flags({"cells": cells})
            # no error output (a line magic that does not exist, a usage error): IPython wrote the cause to stderr
            if ename == "CellExecutionError" and not evalue and 0 <= exc.cell_index < len(cells):
                ename, evalue = _stderr_cause(cells[exc.cell_index]) or (ename, evalue)
        if not evalue:
            evalue = ("the cell failed without an error message; see its output in the saved notebook"
                      if ename == "CellExecutionError" else "(no message)")
        raise NotebookError(
            notebook=notebook, cell=_cell_number(injected, exc.cell_index), ename=ename, evalue=evalue,
            saved=keep_failed(), source=exc.source,
        ) from None
    except ReportKitError:
        raise
    except KeyboardInterrupt:  # Ctrl-C: nbclient has shut the kernel down; leave nothing behind
        partial.unlink(missing_ok=True)
        kernel_log.unlink(missing_ok=True)  # at most "KeyboardInterrupt caught in kernel"
        raise RunInterrupted(notebook=notebook, cell=_cell_number(state["injected"], state["current"])) from None
    except Exception as exc:  # kernel died, timeout, ...
        text = str(exc).strip()
        raise NotebookError(
            notebook=notebook, cell=_cell_number(state["injected"], state["current"]),
            ename=type(exc).__name__, evalue=text.splitlines()[0] if text else "",
            saved=keep_failed(),
        ) from exc
    finally:
        state["ended"] = True
        shutil.rmtree(ipc_dir, ignore_errors=True)
        _drop_empty(kernel_log)
    scrub_notebook(partial, parameters, secret)  # before it gets its final name
    os.replace(partial, output)
    seconds = time.perf_counter() - started
    nb = nbformat.read(output, as_version=4)
    return ExecutedNotebook(str(notebook), str(output), dict(parameters), seconds, nb)
