"""Client ids: the one path segment that separates one client's reports from another's.

A client id becomes a folder (or an S3 prefix) under the destination, so it must never be able
to point anywhere else, nor be a name some file system cannot hold. :func:`check_client_id`
applies the folder-id rule of :mod:`reportkit.ids` (the same rule as batch row ids, which become
client ids when a batch is published): normalised with Unicode NFKC; letters (Chinese too),
digits, ``-``, ``_``, ``.``; starting with a letter or digit; not ending with ``.``; no Windows
device name (``CON``, ``nul``, ``COM1``, ``aux.txt``); at most 64 characters.

:func:`check_case_clashes` refuses a client id that differs only by case from another one being
published at the same time or from a folder already in the destination (``Acme`` / ``acme``): on
a case-insensitive file system (macOS, Windows) the two would be one folder holding two clients'
reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import PublishError
from ..ids import MAX_LENGTH, RULE, case_key, check_folder_id
from ..storage import Store

__all__ = ["MAX_LENGTH", "RULE", "check_case_clashes", "check_client_id"]


def check_client_id(raw: object, *, source: str = "--client") -> str:
    """The normalised client id, or a PublishError naming the value, its source and the rule."""
    return check_folder_id(raw, what="client id", source=source, error=PublishError)


def check_case_clashes(store: Store, names: Iterable[tuple[str, str]], *, parts: tuple[str, ...] = (),
                       what: str = "client id", mixing: str = "two clients' reports") -> None:
    """Refuse ``names`` ((id, where it came from), already checked) when two of them, or one of them
    and a name already under ``parts`` of ``store``, differ only by case. A destination that cannot be
    listed (credentials allowed to write but not to list) is compared with ``names`` only."""
    seen: dict[str, tuple[str, str]] = {}
    for name, source in names:
        other = seen.get(case_key(name))
        if other is not None and other[0] != name:
            raise PublishError(
                f"{what} {name!r} from {source} differs only by case from {other[0]!r} from {other[1]}; on a "
                "case-insensitive file system (macOS, Windows) they are one folder, which would mix "
                f"{mixing}. Expected one spelling per {what.split()[0]}, or ids that differ in more than case")
        seen.setdefault(case_key(name), (name, source))
    try:
        existing = store.list(*parts)
    except PermissionError:
        return
    where = store.display(*parts)
    for folder in existing:
        mine = seen.get(case_key(folder))
        if mine is not None and mine[0] != folder:
            raise PublishError(
                f"{what} {mine[0]!r} from {mine[1]} differs only by case from {folder!r}, already in {where}; on a "
                "case-insensitive file system (macOS, Windows) they are one folder, which would mix "
                f"{mixing}. Expected {folder!r} if it is the same {what.split()[0]}, or an id that differs in more than case")
