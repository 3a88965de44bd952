"""Client ids: the one path segment that separates one client's reports from another's.

A client id becomes a folder (or an S3 prefix) under the destination, so it must never be able
to point anywhere else. :func:`check_client_id` normalises it (Unicode NFKC, so full-width
letters and look-alike forms become one spelling) and refuses, with a clear error: an empty id,
``.`` and ``..``, any path separator (``/``, ``\\``), a leading ``.`` or ``-``, control, space and
format characters, characters outside letters, digits, ``-``, ``_`` and ``.``, and ids longer
than 64 characters. Chinese client names are allowed (they are letters).
"""

from __future__ import annotations

import unicodedata

from ..errors import PublishError

MAX_LENGTH = 64
_ALLOWED_PUNCTUATION = frozenset("-_.")


def check_client_id(raw: object, *, source: str = "--client") -> str:
    """The normalised client id, or a PublishError naming the value, its source and the rule."""
    if not isinstance(raw, str):
        raise PublishError(f"client id from {source} is {raw!r} ({type(raw).__name__}); expected text such as 'acme'")
    client = unicodedata.normalize("NFKC", raw)
    rule = ("expected letters, digits, '-', '_' or '.', not starting with '.' or '-', at most "
            f"{MAX_LENGTH} characters, e.g. 'acme' or 'client-a'")
    if not client:
        raise PublishError(f"client id from {source} is empty; {rule}")
    if client in (".", "..") or "/" in client or "\\" in client or client.startswith(("/", "~")):
        raise PublishError(f"client id {raw!r} from {source} is a path, not a name (it could reach another "
                           f"client's folder); {rule}")
    if len(client) > MAX_LENGTH:
        raise PublishError(f"client id {raw!r} from {source} has {len(client)} characters; {rule}")
    bad = [ch for ch in client if not (ch.isalnum() or ch in _ALLOWED_PUNCTUATION)]
    if bad:
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in dict.fromkeys(bad))
        raise PublishError(f"client id {raw!r} from {source} contains {shown}; {rule}")
    if client[0] in ".-":
        raise PublishError(f"client id {raw!r} from {source} starts with {client[0]!r}; {rule}")
    return client
