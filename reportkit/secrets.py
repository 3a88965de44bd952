"""Secret parameters: values that run a notebook but never appear in anything a build writes.

A parameter is secret when its help comment starts with ``secret``::

    api_token: str = ""  # secret: token of the platform's export API

Its value reaches the kernel (papermill injects it) and nothing else: the executed notebook is
scrubbed as soon as it is written (the injected-parameters cell and papermill's metadata show
``<secret>``), manifests, the HTML appendix and published releases show ``<secret>``, and if the
value still appears anywhere in the executed notebook (a cell printed it, a figure shows it) the
run fails and the notebook is deleted rather than kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .errors import ParameterError

SECRET_MARK = re.compile(r"^secret\b", re.IGNORECASE)
REDACTED = "<secret>"


def is_secret_help(help_text: str) -> bool:
    return bool(SECRET_MARK.match(help_text.strip()))


def redact(parameters: Mapping[str, Any], secret: Collection[str]) -> dict[str, Any]:
    """``parameters`` with the value of every secret one replaced by ``<secret>``."""
    return {k: (REDACTED if k in secret else v) for k, v in parameters.items()}


def _values(parameters: Mapping[str, Any], secret: Collection[str]) -> dict[str, str]:
    """name → the text to look for (empty or very short values cannot be searched for meaningfully)."""
    return {k: str(parameters[k]) for k in secret if k in parameters and len(str(parameters[k])) >= 4}


def scrub_notebook(path: str | Path, parameters: Mapping[str, Any], secret: Collection[str]) -> None:
    """Rewrite the executed notebook at ``path`` without the secret values; raise ParameterError
    (after deleting the file) when a value is still in it, e.g. printed by a cell."""
    if not secret:
        return
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            lines = [f"{name} = {REDACTED!r}" if (name := line.split("=", 1)[0].strip()) in secret else line
                     for line in source.splitlines()]
            cell["source"] = "\n".join(lines)
    papermill = nb.get("metadata", {}).get("papermill", {})
    if isinstance(papermill.get("parameters"), dict):
        papermill["parameters"] = redact(papermill["parameters"], secret)
    text = json.dumps(nb, ensure_ascii=False, indent=1)
    leaks = [name for name, value in _values(parameters, secret).items()
             if value in text or json.dumps(value, ensure_ascii=False)[1:-1] in text]
    if leaks:
        path.unlink()
        raise ParameterError(
            f"the value of secret parameter{'s' if len(leaks) > 1 else ''} {', '.join(map(repr, leaks))} appears in "
            f"the outputs of {path.name} (a cell printed or plotted it); the executed notebook was deleted. "
            "Secrets may be used by a notebook but never shown: remove the output that shows it",
            name=leaks[0],
        )
    write_atomic(path, text + "\n")
