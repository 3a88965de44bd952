"""Run one section notebook with papermill.

One kernel per run (the ``reportkit`` kernelspec installed inside the venv by ``make``). Progress
is reported through nbclient's cell hooks, passed through papermill, never by subclassing. A failing
cell becomes a :class:`~reportkit.errors.NotebookError` naming the notebook, the cell number in the
original notebook, the exception, and the path of the saved executed notebook that shows it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection

import nbformat

from .errors import NotebookError, ReportKitError
from .secrets import scrub_notebook

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


def _kernel_manager_class(stderr_path: Path, ipc_dir: str) -> type:
    """A kernel manager on IPC transport (no TCP ports: parallel runs cannot clash) whose sockets
    live in ``ipc_dir`` (private to this run) and whose kernel writes its stderr to
    ``stderr_path`` instead of the terminal.

    jupyter_client's IPC default is the *relative* path ``kernel-ipc-<N>``, N chosen by looking at
    which files exist in the current folder: two kernels started at once in one folder pick the
    same N and clash ("Kernel didn't respond"). An absolute, per-run folder rules that out.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class RunKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc" if os.name == "posix" else "tcp"

        def _ip_default(self) -> str:
            if self.transport == "ipc":
                return os.path.join(ipc_dir, "kernel-ipc")
            return super()._ip_default()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log = open(stderr_path, "ab")  # noqa: SIM115 - owned by the kernel process
            kw["stderr"] = log
            kw.setdefault("stdout", log)
            try:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                log.close()

    return RunKernelManager


def _injected_index(nb: Any) -> int | None:
    for i, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


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
) -> ExecutedNotebook:
    """Execute ``notebook`` with ``parameters`` (already validated) and save it at ``output``.

    The executed notebook is written under a temporary name and renamed when the run succeeds;
    when a cell fails it is kept as ``<output stem>.failed.ipynb`` and a NotebookError is raised.
    ``secret``: names of parameters whose values must not stay in the saved notebook (see
    :mod:`reportkit.secrets`); both the executed and a failed notebook are scrubbed.
    """
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
    kernel_log = output.with_name(f"{output.stem}.kernel.log")
    state = {"done": 0, "total": 0}

    def on_notebook_start(notebook: Any, **_: Any) -> None:
        state["total"] = len(notebook.cells)
        if progress:
            progress(0, state["total"])

    def on_cell_complete(cell: Any, cell_index: int, **_: Any) -> None:
        state["done"] = cell_index + 1
        if progress:
            progress(state["done"], state["total"])

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
            cwd=str(cwd),
            execution_timeout=timeout,
            on_notebook_start=on_notebook_start,
            on_cell_complete=on_cell_complete,
            kernel_manager_class=_kernel_manager_class(kernel_log, ipc_dir),
            shutdown_kernel="immediate",  # every output is collected by then; no need to wait for a clean exit
        )
    except PapermillExecutionError as exc:
        failed = output.with_name(f"{output.stem}.failed.ipynb")
        cell_number = exc.cell_index + 1
        if partial.exists():
            nb = nbformat.read(partial, as_version=4)
            injected = _injected_index(nb)
            if injected is not None and exc.cell_index > injected:
                cell_number -= 1  # number the cell as the analyst sees it in the original notebook
            os.replace(partial, failed)
            scrub_notebook(failed, parameters, secret)
        raise NotebookError(
            notebook=notebook, cell=cell_number, ename=exc.ename, evalue=exc.evalue,
            saved=failed if failed.exists() else None, source=exc.source,
        ) from None
    except ReportKitError:
        raise
    except Exception as exc:  # kernel died, timeout, ...
        failed = output.with_name(f"{output.stem}.failed.ipynb")
        if partial.exists():
            os.replace(partial, failed)
            scrub_notebook(failed, parameters, secret)
        raise NotebookError(
            notebook=notebook, cell=None if state["done"] == 0 else state["done"] + 1,
            ename=type(exc).__name__, evalue=str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            saved=failed if failed.exists() else None,
        ) from exc
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    scrub_notebook(partial, parameters, secret)  # before it gets its final name
    os.replace(partial, output)
    if kernel_log.exists() and kernel_log.stat().st_size == 0:
        kernel_log.unlink()
    seconds = time.perf_counter() - started
    nb = nbformat.read(output, as_version=4)
    return ExecutedNotebook(str(notebook), str(output), dict(parameters), seconds, nb)
