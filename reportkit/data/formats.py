"""The one table of data-file suffixes: which kind of file each is, and which readers take it.

Two readers look at a file's suffix: ``"table"`` (:mod:`reportkit.data.readers` and
:func:`reportkit.data.io.load_data`: a whole table read into pandas) and ``"events"``
(:mod:`reportkit.data.events`: event logs streamed by DuckDB, which also reads gzipped CSV).
A suffix is matched on the lower-cased file name, longest first (``.csv.gz`` before ``.gz``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

from ..errors import DataError

__all__ = ["Kind", "Reader", "READERS", "FileFormat", "FORMATS", "suffixes", "file_format"]

Kind = Literal["text", "excel", "parquet"]
Reader = Literal["table", "events"]
READERS: tuple[str, ...] = get_args(Reader)


@dataclass(frozen=True)
class FileFormat:
    """One suffix: the kind of file, a text file's separator (None: told by its first line, a
    tab if it has one, else a comma), and the readers that take it."""

    suffix: str
    kind: Kind
    separator: str | None = None
    readers: tuple[str, ...] = READERS


_TABLE, _EVENTS = ("table",), ("events",)

#: suffix → format, in the order error messages list them
FORMATS: Mapping[str, FileFormat] = MappingProxyType({f.suffix: f for f in (
    FileFormat(".csv", "text", ","),
    FileFormat(".tsv", "text", "\t"),
    FileFormat(".txt", "text", None, _TABLE),
    FileFormat(".csv.gz", "text", ",", _EVENTS),
    FileFormat(".tsv.gz", "text", "\t", _EVENTS),
    FileFormat(".xlsm", "excel", None, _TABLE),
    FileFormat(".xlsx", "excel", None, _TABLE),
    FileFormat(".parquet", "parquet"),
    FileFormat(".pq", "parquet"),
)})


def suffixes(reader: Reader, kind: Kind | None = None) -> tuple[str, ...]:
    """The suffixes ``reader`` takes (of files of ``kind``, if given), in table order."""
    return tuple(s for s, f in FORMATS.items()
                 if reader in f.readers and (kind is None or f.kind == kind))


def _match(name: str) -> FileFormat | None:
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return FORMATS[suffix]
    return None


def file_format(path: str | Path, *, reader: Reader) -> FileFormat:
    """The format of ``path`` by its suffix, if ``reader`` takes it; else a :class:`DataError`
    naming the suffix and the ones ``reader`` takes."""
    found = _match(Path(path).name.lower())
    if found is not None and reader in found.readers:
        return found
    suffix = found.suffix if found is not None else Path(path).suffix.lower()
    allowed = ", ".join(suffixes(reader))
    raise DataError(f"unsupported file type {suffix or '(no suffix)'!r}; expected one of {allowed}",
                    path=path, expected=f"a file ending in one of {allowed}")
