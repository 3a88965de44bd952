"""Computed once, read by every run that asks again: results that the rows of a batch repeat.

In a batch of one report per client, every row's engagement section fits the same cross-category
forest on the same panel, and the rows of one category repeat its bootstrap and diagnostics.
:func:`memoized` wraps such a function: when the kit has given the kernel a folder
(``REPORTKIT_MEMO_DIR``, set for the kernels of a batch or a cached build: ``<run cache>/memo``),
the result is stored there under a key of everything it depends on and read back by any later
call with the same key, in any kernel and any worker.

The key hashes the function's name, the source of every module of reportkit, the versions of the
libraries that compute (numpy, pandas, scipy, statsmodels, pyfixest), the current language and
every argument: a DataFrame or Series by its values, index, column names, dtypes and ``attrs``;
str, int, float, bool, None, and tuples, lists and dicts of them as they are. An argument of any
other type (a fitted model, a figure) makes the call compute as usual. Without the folder (an
analyst in JupyterLab, a build with ``--no-cache``) nothing is stored. Entries are written to a
temporary name and renamed, so a reader never sees half of one; an unreadable entry is computed
again. Only pure functions of their arguments are wrapped (a seed is an argument), so a stored
result is the one the call would compute.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ..i18n import current_language

#: the folder of stored results; unset: nothing is stored
MEMO_ENV = "REPORTKIT_MEMO_DIR"

#: the libraries whose versions enter every key
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "pyfixest")

F = TypeVar("F", bound=Callable[..., Any])


class _Unkeyable(Exception):
    """An argument the key cannot describe: the call computes instead."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of reportkit's source (every module) and of the computing libraries' versions."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing\0".encode())
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, pd.DataFrame | pd.Series):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        digest.update(b"frame\0" + json.dumps(
            [[str(c) for c in frame.columns], [str(t) for t in frame.dtypes], str(frame.index.dtype),
             getattr(value, "name", None) if isinstance(value, pd.Series) else None, value.attrs],
            ensure_ascii=False, default=str, sort_keys=True).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    elif value is None or isinstance(value, str | int | float | bool):
        digest.update(f"{type(value).__name__}:{value!r}\0".encode())
    elif isinstance(value, tuple | list):
        digest.update(f"{type(value).__name__}[{len(value)}\0".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict[{len(value)}\0".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    else:
        raise _Unkeyable(type(value).__name__)


def memo_key(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The key of ``fn(*args, **kwargs)``; raises _Unkeyable for an argument it cannot describe."""
    digest = hashlib.sha256(f"{fn.__module__}.{fn.__qualname__}\0{code_digest()}\0{current_language()}\0".encode())
    _feed(digest, list(args))
    _feed(digest, kwargs)
    return digest.hexdigest()[:32]


def memoized(fn: F) -> F:
    """``fn``, its results stored in and read from the kit's memo folder (see the module's docstring)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        folder = os.environ.get(MEMO_ENV)
        if not folder:
            return fn(*args, **kwargs)
        try:
            key = memo_key(fn, args, kwargs)
        except _Unkeyable:
            return fn(*args, **kwargs)
        path = Path(folder) / f"{fn.__module__}.{fn.__qualname__}-{key}.pickle"
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            pass
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            path.unlink(missing_ok=True)  # damaged or from an incompatible version: compute it again
        result = fn(*args, **kwargs)
        _store(path, result)
        return result

    wrapper.__wrapped__ = fn
    return wrapper  # type: ignore[return-value]


def _store(path: Path, result: Any) -> None:
    """Write ``result`` under a temporary name, then rename; a result that cannot be stored is not."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
