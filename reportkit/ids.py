"""Folder ids: the one rule for a name that becomes a folder or an S3 prefix.

A batch row id names the row's folder (``build/clients/<id>/``) and, when the batch is published,
the client (``DEST/<client>/``); a client id given with ``--client`` names the same kind of folder.
So both follow one rule, checked here, and what a batch accepts a publish accepts:

- normalised with Unicode NFKC (full-width letters and look-alike forms become one spelling);
- letters (Chinese too), digits, ``-``, ``_`` and ``.``; starting with a letter or digit (so never
  ``.``, ``..``, a hidden name, an option such as ``-rf``, or the batch's ``_runs`` folder); not ending
  with ``.`` (Windows drops a trailing dot: ``acme.`` and ``acme`` would be one folder);
- not a Windows device name (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``–``COM9``, ``LPT0``–``LPT9``),
  in any case and with any extension (``aux.txt``, ``NUL.tar.gz``): on Windows such a folder cannot
  be created, copied or synced;
- at most :data:`MAX_LENGTH` (64) characters. Why 64: client ids were already limited to 64, so
  every published client stays valid; a row id longer than that (batch allowed 100) ran the whole
  batch and was only refused at publish. And Chinese letters take 3 bytes in UTF-8: 64 of them are
  192 bytes, within the 255-byte name limit of ext4, APFS and NTFS with room for the temporary
  names the kit writes beside a folder, where 100 would be 300 bytes, not a valid folder name.

Two ids that differ only by case (``Acme`` / ``acme``; compared with :func:`case_key`) are one
folder on a case-insensitive file system (macOS, Windows), which would mix two clients' reports:
callers refuse them within one matrix and within one destination.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from .errors import ReportKitError

MAX_LENGTH = 64
_ALLOWED_PUNCTUATION = frozenset("-_.")
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])", re.IGNORECASE)

#: the rule in words, the end of every error about an id
RULE = ("expected letters, digits, '-', '_' or '.', starting with a letter or digit, not ending with '.', "
        f"at most {MAX_LENGTH} characters, and not a Windows device name (CON, PRN, AUX, NUL, COM0-COM9, "
        "LPT0-LPT9, in any case, with or without an extension), e.g. 'acme' or 'client-a'")


def is_device_name(name: str) -> bool:
    """True for a Windows device name, in any case, with any extension (``aux.txt``)."""
    stem = unicodedata.normalize("NFKC", name).split(".", 1)[0]
    return bool(_DEVICE.fullmatch(stem.rstrip(" ")))


def case_key(name: str) -> str:
    """What a case-insensitive file system compares: equal for ``Acme``, ``acme`` and ``ＡＣＭＥ``."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if name in (".", "..") or "/" in name or "\\" in name or name.startswith("~"):
        return "is a path, not a name (it could reach another folder)"
    if len(name) > MAX_LENGTH:
        return f"has {len(name)} characters"
    bad = [ch for ch in name if not (ch.isalnum() or ch in _ALLOWED_PUNCTUATION)]
    if bad:
        return "contains " + ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in dict.fromkeys(bad))
    if not name[0].isalnum():
        return f"starts with {name[0]!r}"
    if name.endswith("."):
        return "ends with '.' (Windows drops it, so it would be the folder without the dot)"
    if is_device_name(name):
        return (f"is a Windows device name ({name.split('.', 1)[0].upper()}); no folder of that name can "
                "exist on Windows")
    return None


def check_folder_id(raw: object, *, what: str, source: str,
                    error: Callable[[str], ReportKitError] = ReportKitError,
                    reserved: Mapping[str, str] | None = None) -> str:
    """The normalised id, or ``error(message)`` naming the value (as ``what``, e.g. "client id"),
    where it came from (``source``) and the rule. ``reserved``: names the caller keeps for itself
    (name → what it is; compared as :func:`case_key` does), refused too."""
    if not isinstance(raw, str):
        raise error(f"{what} from {source} is {raw!r} ({type(raw).__name__}); {RULE}")
    name = unicodedata.normalize("NFKC", raw)
    problem = _problem(name)
    if problem is None:
        taken = {case_key(r): why for r, why in (reserved or {}).items()}
        if case_key(name) in taken:
            problem = f"is the name of {taken[case_key(name)]}"
    if problem is not None:
        raise error(f"{what} {raw!r} from {source} is not folder-safe: it {problem}; {RULE}")
    return name
