"""One exception family for everything reportkit raises.

Every error says what the bad value was, where it came from and what was expected, so that a
caller (the CLI, a batch runner, a notebook) can show one clear paragraph. Catch
:class:`ReportKitError` to catch them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


class ReportKitError(Exception):
    """Base class of every error reportkit raises on purpose.

    Errors cross processes (a batch's worker processes, Dask workers) pickled with their fields:
    ``__reduce__`` rebuilds the same class with the same message and attributes without calling
    ``__init__`` again (whose keyword-only fields plain Exception pickling loses), as nbclient's
    errors do.
    """

    def __reduce__(self) -> tuple[Callable[..., ReportKitError], tuple[Any, ...]]:  # the pickle protocol
        return _restore_error, (type(self), self.args, dict(self.__dict__))


def _restore_error(cls: type[ReportKitError], args: tuple, state: dict) -> ReportKitError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class SpecError(ReportKitError):
    """A report spec (YAML) is missing, malformed or invalid."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path:
            where = f"{self.path}:{line}: " if line else f"{self.path}: "
        super().__init__(where + message)


class ParameterError(ReportKitError):
    """A notebook parameter is unknown, mistyped or its parameters cell cannot be read."""

    def __init__(self, message: str, *, notebook: str | Path | None = None, name: str | None = None) -> None:
        self.notebook = str(notebook) if notebook is not None else None
        self.name = name
        prefix = f"{self.notebook}: " if self.notebook else ""
        super().__init__(prefix + message)


class DataError(ReportKitError):
    """Input data are missing, unreadable or fail a check (names file, column and bad rows).

    The message says it all; the fields repeat the parts a program may want: ``path`` (the
    file), ``column`` (the first column at fault), ``rows`` (where the first bad rows are in the
    file: line numbers for text files, where the header is line 1, sheet rows for Excel, 1-based
    rows for Parquet files and frames; empty when no row is at fault) and ``expected`` (what was
    expected, in words).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        column: str | None = None,
        rows: Iterable[int] | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.column = column
        self.rows: tuple[int, ...] = tuple(int(row) for row in rows) if rows is not None else ()
        self.expected = expected
        prefix = f"{self.path}: " if self.path else ""
        super().__init__(prefix + message)


class DataWarning(UserWarning):
    """Input data are usable but something deserves a look (an unknown column, rows re-sorted)."""


class AnalysisError(ReportKitError):
    """A model cannot be estimated on the data given (too few rows, bad option, ...)."""


class NotebookError(ReportKitError):
    """A section notebook failed while executing.

    Carries the notebook, the (1-based) cell number, the exception name and value, and the path
    of the saved executed notebook that shows the error.
    """

    def __init__(
        self,
        *,
        notebook: str | Path,
        cell: int | None,
        ename: str,
        evalue: str,
        saved: str | Path | None,
        source: str | None = None,
    ) -> None:
        self.notebook = str(notebook)
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        self.saved = str(saved) if saved is not None else None
        self.source = source
        where = f"cell {cell}" if cell is not None else "before the first cell"
        msg = f"{self.notebook} failed in {where}: {ename}: {evalue}"
        if source:
            first = source.strip().splitlines()[0] if source.strip() else ""
            msg += f"\n  cell starts: {first[:120]}"
        if self.saved:
            msg += f"\n  the executed notebook with the error is saved at {self.saved}"
        super().__init__(msg)


class RunInterrupted(KeyboardInterrupt):
    """A run was interrupted (Ctrl-C, SIGINT) while a notebook was executing; nothing was written.

    Carries the notebook and the (1-based) number of the cell that was running, as the analyst's
    notebook numbers it. A KeyboardInterrupt, deliberately *not* a ReportKitError: code that catches
    ReportKitError or Exception to go on with the next run (a batch) must not swallow a Ctrl-C.
    """

    def __init__(self, *, notebook: str | Path, cell: int | None) -> None:
        self.notebook = str(notebook)
        self.cell = cell
        where = f"at cell {cell}" if cell is not None else "before the first cell"
        super().__init__(f"interrupted {where} of notebook {self.notebook}")

    # picklable across process pools, keyword-only fields
    def __reduce__(self) -> tuple[Callable[..., RunInterrupted], tuple[str, int | None]]:
        return _rebuild_interrupted, (self.notebook, self.cell)


def _rebuild_interrupted(notebook: str, cell: int | None) -> RunInterrupted:
    return RunInterrupted(notebook=notebook, cell=cell)


class RecordError(ReportKitError):
    """A value cannot be recorded, or recorded results cannot be read back."""


class RenderError(ReportKitError):
    """Rendering HTML or PDF failed, or a client-output check (fonts, links, NaN) failed."""


class StorageError(ReportKitError):
    """A storage location (a folder or ``s3://bucket/prefix``) cannot be opened, read or written:
    names the location, the reason and what was expected."""


class PublishError(ReportKitError):
    """A release cannot be published, found or verified (names the client, path and reason)."""


class ManifestError(ReportKitError):
    """A build's ``manifest.json`` is missing, malformed or written by an older reportkit.

    Names the file (``path``) and the key at fault (``key``, dotted: ``sections[0].run_key``).
    """

    def __init__(self, message: str, *, path: str | Path | None = None, key: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.key = key
        prefix = f"{self.path}: " if self.path else ""
        super().__init__(prefix + message)


class WorkerError(ReportKitError):
    """A batch task failed outside reportkit's own checks: an unexpected exception in the task, or
    the worker process running it died. The message names the exception."""
