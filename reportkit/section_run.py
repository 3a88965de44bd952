"""One way to run a section: parameters → execute (or reuse from the run cache) → redact secrets →
read results.

:func:`run_section` is what ``reportkit run``, a build (:func:`reportkit.build.run_plan`) and a
batch worker (:func:`reportkit.batch.tasks.execute_run`) all call; it returns a frozen
:class:`SectionRun`. :func:`check_values` checks parameters given as text (the command line)
against the notebook's parameters cell, before a kernel starts.

A run is read back before it is stored in the cache, so a run whose records cannot be read is
never reused. Errors are the kit's own: a :class:`~reportkit.errors.NotebookError` for a failing
cell (its executed notebook kept and named), a ParameterError for a bad parameter or a leaked
secret, a RecordError for a record that cannot be read, and
:class:`~reportkit.errors.RunInterrupted` on Ctrl-C.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_atomic
from .cache import RunCache
from .execute import ProgressHook, execute_notebook
from .record import INJECTED_TAG, SectionResults, read_results
from .secrets import redact

if TYPE_CHECKING:
    from .kernel_pool import KernelPool


@dataclass(frozen=True)
class SectionRun:
    """One section's run: the executed notebook (path and node), what it recorded, and how it went."""

    section: str
    notebook: str  # as results and manifests name it (relative to the project when it is inside)
    output: Path  # the executed notebook
    parameters: dict[str, Any]  # as shown: secret values redacted
    results: SectionResults = field(repr=False)
    nb: Any = field(repr=False)  # nbformat.NotebookNode
    seconds: float
    run_key: str | None = None
    reused: bool = False  # True: copied from the run cache, not executed


def run_section(
    notebook: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    cwd: str | Path,
    section: str | None = None,
    shown_as: str | None = None,
    secret: Collection[str] = (),
    run_key: str | None = None,
    cache: RunCache | None = None,
    reuse: bool = True,
    progress: ProgressHook | None = None,
    kernels: KernelPool | None = None,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> SectionRun:
    """Run ``notebook`` with ``parameters`` (already validated) into ``output`` and read its results.

    ``section``: the section id (default: the notebook's name); ``shown_as``: how results and
    manifests name the notebook (default: relative to ``cwd`` when inside it). With ``cache`` and
    ``run_key``, a cached run is copied to ``output`` instead of executed (unless ``reuse`` is
    False) and an executed one is stored. ``secret``: parameters whose values never reach anything
    written (see :mod:`reportkit.secrets`). ``progress(done, total)`` after each cell. ``kernels``,
    ``env`` and ``stop``: as :func:`reportkit.execute.execute_notebook` takes them.
    """
    notebook, output = Path(notebook), Path(output)
    section = section or notebook.stem
    if shown_as is None:
        rel = os.path.relpath(notebook, cwd)
        shown_as = str(notebook) if rel.startswith("..") else rel
    values = dict(parameters)
    started = time.perf_counter()
    cached = cache is not None and run_key is not None and reuse and cache.get(run_key) is not None
    if cache is not None and run_key is not None and cached:
        import nbformat

        cache.copy_to(run_key, output)
        nb = nbformat.read(output, as_version=4)
        changed = overlay_narrative(nb, nbformat.read(notebook, as_version=4))
        if changed is None:  # cells that do not line up: run it rather than guess
            cached = False
        elif changed:
            write_atomic(output, nbformat.writes(nb))
        if cached and progress:
            progress(len(nb.cells), len(nb.cells))
    if not cached:
        nb = execute_notebook(notebook, output, values, cwd=cwd, progress=progress, secret=tuple(secret),
                              kernels=kernels, env=env, stop=stop).nb
    public = redact(values, secret)
    results = read_results(nb, section=section, notebook=shown_as, parameters=public)
    if not cached and cache is not None and run_key is not None:
        cache.put(run_key, output)
    return SectionRun(section, shown_as, output, public, results, nb, round(time.perf_counter() - started, 3),
                      run_key, cached)


def check_values(notebook: str | Path, values: Mapping[str, Any], *,
                 source: str = "the command line") -> tuple[dict[str, Any], tuple[str, ...]]:
    """``values`` as typed on a command line, checked against the notebook's declared parameters
    before a kernel starts: (the coerced parameters, the names of the secret ones)."""
    from .params import read_parameters, validate_parameters

    declared = read_parameters(notebook)
    return validate_parameters(declared, values, source=source, from_cli=True), declared.secret()


def overlay_narrative(executed: Any, source: Any) -> bool | None:
    """Put the markdown cells of ``source`` (the notebook as it is now) into ``executed`` (a cached
    run of it), in place; True when any changed.

    The run key hashes the code and the cell structure but not markdown text
    (:func:`reportkit.provenance.notebook_code_hash`), so a reused run may carry older narrative;
    the cells line up one to one once papermill's injected-parameters cell is set aside (a matching
    run key makes that so; the check guards a cache written by an older version).
    """
    cells = [c for c in executed.cells if INJECTED_TAG not in (c.get("metadata") or {}).get("tags", [])]
    if [c.cell_type for c in cells] != [c.cell_type for c in source.cells]:
        return None
    changed = False
    for cell, new in zip(cells, source.cells, strict=True):
        if cell.cell_type != "markdown":
            continue
        tags = (new.get("metadata") or {}).get("tags")
        # papermill gives every executed cell a tags list, empty where the source has none: no edit
        if cell.source != new.source or list((cell.get("metadata") or {}).get("tags") or ()) != list(tags or ()):
            cell.source = new.source
            if tags is None:
                cell.metadata.pop("tags", None)
            else:
                cell.metadata["tags"] = list(tags)
            changed = True
    return changed
