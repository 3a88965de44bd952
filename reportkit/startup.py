"""Start-up of the kit's own processes (the commands and batch workers): an import they skip.

jsonschema, which nbformat uses to validate every notebook it reads, imports the optional package
rfc3987-syntax when it is installed (JupyterLab's dependencies bring it) to check the "iri" string
format; at import that package compiles some forty grammars, about 0.7–1 s for every command and
every batch worker before any work starts. Notebook schemas use no "iri" format, so the kit's
processes tell Python the package is absent (``sys.modules[name] = None``: its import raises
ImportError, which jsonschema expects). Kernels are not affected; a program of yours that imports
:mod:`reportkit.batch` is (jsonschema there checks no "iri" strings).
"""

from __future__ import annotations

import sys

#: optional packages the kit's processes do without
SKIPPED = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Mark :data:`SKIPPED` as absent unless something imported it already."""
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
