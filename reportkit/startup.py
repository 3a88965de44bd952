"""Start-up of the kit's own processes (the commands and batch workers): imports they skip.

jsonschema, which nbformat uses to validate every notebook it reads, imports at its own import the
optional packages that check string formats ("iri", "uri", "duration", "date-time", "color", …)
when they are installed, and JupyterLab's dependencies install them. The worst, rfc3987-syntax,
compiles some forty grammars: about 0.7–1 s for every command and every batch worker before any
work starts; isoduration (with arrow), rfc3986-validator and the others add about 0.04 s more.
nbformat validates without a format checker, so no format is ever checked in the kit's
processes: they tell Python these packages are absent (``sys.modules[name] = None``: importing one
raises ImportError, which jsonschema expects). idna is not skipped (HTTP clients use it). Kernels
are not affected; a program of yours that imports :mod:`reportkit.batch` is (its jsonschema then
checks none of these formats).
"""

from __future__ import annotations

import sys

#: optional packages the kit's processes do without: jsonschema's format checkers
SKIPPED = ("rfc3987_syntax", "isoduration", "rfc3986_validator", "rfc3339_validator", "uri_template", "fqdn",
           "webcolors", "jsonpointer")


def skip_slow_optional_imports() -> None:
    """Mark :data:`SKIPPED` as absent unless something imported it already."""
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
