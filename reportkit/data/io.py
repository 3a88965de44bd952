"""Find the project, resolve data paths and read data files (CSV, Parquet).

Small and general on purpose: every reader in reportkit goes through :func:`load_data`, so a
missing file, an empty file or a file in the wrong encoding gives the same clear
:class:`~reportkit.errors.DataError` everywhere.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..provenance import file_sha256 as _sha256

__all__ = ["project_root", "resolve_data_path", "load_data", "file_sha256"]

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}


def _is_project_root(folder: Path) -> bool:
    return (folder / "data").is_dir() and (folder / "reports").is_dir()


def project_root(start: Path | None = None) -> Path:
    """Return the project's root folder.

    Walks up from ``start`` (or the current directory) to the first folder that holds both
    ``data/`` and ``reports/``. If there is none, falls back to the folder above the installed
    ``reportkit`` package when that folder has ``data/`` (an editable install). Raises
    :class:`DataError` otherwise.
    """
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if _is_project_root(folder):
            return folder

    import reportkit

    fallback = Path(reportkit.__file__).resolve().parents[1]
    if (fallback / "data").is_dir():
        return fallback
    raise DataError(
        f"cannot find the project root: no folder from {here} upwards has both data/ and "
        f"reports/, and {fallback} (next to the installed reportkit package) has no data/; "
        "run from inside the project or pass an absolute path"
    )


def resolve_data_path(path: str | Path) -> Path:
    """Return the absolute path of an existing data file.

    An absolute path is used as it is. A relative path is tried against the current directory,
    then against :func:`project_root`. A missing file raises :class:`DataError` naming the path,
    the folders tried and what was expected.
    """
    if path is None or str(path).strip() == "":
        raise DataError("no data path given; expected the path of a CSV or Parquet file")
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
                f"{candidate} is not a file (a folder?); expected a CSV or Parquet data file",
                path=path,
            )
    if raw.is_absolute():
        raise DataError(
            "data file not found (absolute path); expected an existing CSV or Parquet file",
            path=path,
        )
    raise DataError(
        "data file not found; tried relative to: "
        + ", ".join(tried)
        + "; expected an existing CSV or Parquet file (relative paths are looked up in the "
        "current directory, then in the project root, the folder with data/ and reports/)",
        path=path,
    )


def load_data(path: str | Path, **read_kwargs) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Parquet file into a DataFrame.

    ``path`` is resolved with :func:`resolve_data_path`. ``read_kwargs`` go to
    :func:`pandas.read_csv` or :func:`pandas.read_parquet`. CSV files are read as UTF-8 (a
    byte-order mark is accepted); for GBK/GB18030 files pass ``encoding="gb18030"``.
    Missing, empty, undecodable or unparsable files raise :class:`DataError` with the path.
    """
    resolved = resolve_data_path(path)
    suffix = resolved.suffix.lower()
    if resolved.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes); expected a header row and data", path=resolved)

    if suffix in _CSV_SUFFIXES:
        kwargs = {"encoding": "utf-8-sig", "sep": _CSV_SUFFIXES[suffix]}
        kwargs.update(read_kwargs)
        try:
            frame = pd.read_csv(resolved, **kwargs)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"cannot decode the file as {kwargs['encoding']} ({exc.reason} at byte "
                f"{exc.start}); it is probably GBK/GB18030 (common for Chinese exports): pass "
                'encoding="gb18030"',
                path=resolved,
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(
                "the file has no columns (blank); expected a header row and data", path=resolved
            ) from exc
        except pd.errors.ParserError as exc:
            raise DataError(f"cannot parse the CSV file: {exc}", path=resolved) from exc
    elif suffix in _PARQUET_SUFFIXES:
        if "engine" not in read_kwargs and importlib.util.find_spec("pyarrow") is None:
            raise DataError(
                "reading Parquet needs the pyarrow package, which is not installed: "
                "pip install pyarrow",
                path=resolved,
            )
        try:
            frame = pd.read_parquet(resolved, **read_kwargs)
        except ImportError as exc:
            raise DataError(
                f"reading Parquet needs pyarrow: pip install pyarrow ({exc})", path=resolved
            ) from exc
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read the Parquet file: {exc}", path=resolved) from exc
    else:
        raise DataError(
            f"unsupported file type {suffix or '(no suffix)'!r}; expected one of "
            ".csv, .tsv, .parquet, .pq",
            path=resolved,
        )

    if frame.shape[1] == 0:
        raise DataError("the file has no columns; expected a header row and data", path=resolved)
    return frame


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (path resolved like :func:`load_data`)."""
    return _sha256(resolve_data_path(path))
