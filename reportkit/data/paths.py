"""Where the project is and where a data file named in a notebook or spec lives.

The project folder is found from the **working directory**, never from where the ``reportkit``
package is installed (a wheel puts it in site-packages, far from any data): kernels start in the
spec's root (``execute_notebook(..., cwd=spec.root)``), so walking up from the working directory
to the first folder with both ``data/`` and ``reports/`` finds the project a report belongs to.
Outside a project (a script run from elsewhere, a test in a temporary folder) the environment
variable :data:`PROJECT_ENV` (``REPORTKIT_PROJECT``) names the project folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError
from ..storage import is_url

__all__ = ["PROJECT_ENV", "project_root", "resolve_data_path"]

#: The environment variable naming the project folder when no folder from the working directory
#: upwards is one (a folder with ``data/``).
PROJECT_ENV = "REPORTKIT_PROJECT"


def _is_project_root(folder: Path) -> bool:
    return (folder / "data").is_dir() and (folder / "reports").is_dir()


def _declared_root() -> Path | None:
    """The folder named by :data:`PROJECT_ENV`, checked; None when the variable is unset."""
    declared = os.environ.get(PROJECT_ENV, "").strip()
    if not declared:
        return None
    folder = Path(declared).expanduser().resolve()
    if not (folder / "data").is_dir():
        raise DataError(f"{PROJECT_ENV}={declared!r} names {folder}, which has no data/ folder; "
                        "expected the project folder (the one with data/ and reports/)",
                        path=folder, expected="a project folder with data/")
    return folder


def project_root(start: Path | None = None) -> Path:
    """Return the project's root folder.

    Walks up from ``start`` (or the current directory) to the first folder that holds both
    ``data/`` and ``reports/``. If there is none, uses the folder named by the environment
    variable ``REPORTKIT_PROJECT`` (it must have ``data/``). Raises :class:`DataError` otherwise.
    Where the ``reportkit`` package is installed plays no part.
    """
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if _is_project_root(folder):
            return folder
    declared = _declared_root()
    if declared is not None:
        return declared
    raise DataError(
        f"cannot find the project root: no folder from {here} upwards has both data/ and "
        f"reports/, and {PROJECT_ENV} is not set; run from inside the project, set "
        f"{PROJECT_ENV} to the project folder, or pass an absolute path"
    )


def resolve_data_path(path: str | Path) -> Path:
    """Return the absolute path of an existing data file.

    An ``s3://`` URL is fetched into the local downloads folder (:func:`reportkit.remote_inputs.fetch`).
    An absolute path is used as it is. A relative path is tried against the current directory,
    then against :func:`project_root`. A missing file raises :class:`DataError` naming the path,
    the folders tried and what was expected.
    """
    if path is None or str(path).strip() == "":
        raise DataError("no data path given; expected the path of a CSV, Excel or Parquet file")
    if is_url(str(path).strip()):
        from ..remote_inputs import fetch

        return fetch(str(path).strip())  # a local copy, kept by content (reportkit.remote_inputs)
    raw = Path(path).expanduser()
    tried: list[str] = []
    if raw.is_absolute():
        candidates = [raw]
    else:
        cwd = Path.cwd().resolve()
        candidates = [cwd / raw]
        tried.append(str(cwd))
        try:
            root = project_root()
        except DataError:
            tried.append("(project root: not found)")
        else:
            if root != cwd:
                candidates.append(root / raw)
                tried.append(str(root))
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    for candidate in candidates:
        if candidate.exists():
            raise DataError(
                f"{candidate} is not a file (a folder?); expected a CSV, Excel or Parquet data file",
                path=path,
            )
    if raw.is_absolute():
        raise DataError(
            "data file not found (absolute path); expected an existing CSV, Excel or Parquet file",
            path=path,
        )
    raise DataError(
        "data file not found; tried relative to: "
        + ", ".join(tried)
        + "; expected an existing CSV, Excel or Parquet file (relative paths are looked up in the "
        "current directory, then in the project root, the folder with data/ and reports/)",
        path=path,
    )
