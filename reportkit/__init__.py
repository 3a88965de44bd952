"""reportkit: parameterised notebooks → papermill runs → HTML and PDF industry reports.

The public surface is small on purpose; notebooks use these names only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ReportKitError
from .i18n import Text, text
from .record import record
from .version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from .build import BuildResult
    from .spec import ReportSpec


def use_language(lang: str) -> str:
    """Set the language this kernel writes in, once, from the notebook's ``lang`` parameter: every
    :func:`text` recorded afterwards is shown in it, and :func:`say` answers in it."""
    from .i18n import set_language

    return set_language(lang)


def say(**entries: str) -> str:
    """``rk.say(zh="期间", en="Period")``: the string in the kernel's language, for a label used at
    once (a column name, a list item); a missing entry for that language is an error."""
    return text(**entries).resolve()


def load_data(path: str = "", **kwargs: Any) -> pd.DataFrame:
    """Read a data file (CSV, Parquet) resolved against the project; see reportkit.data.load_data."""
    from .data.io import load_data as _load

    return _load(path, **kwargs)


#: what the functions below import on first use: a warm kernel's template (reportkit.kernel_template)
#: imports these too, so that no run pays for them (pandera registers its pandas checks on first use)
KERNEL_IMPORTS = ("reportkit.data.io", "pandera.backends.pandas.builtin_checks")


def load_panel(path: str = "", **kwargs: Any) -> pd.DataFrame:
    """Read, convert and check an entity × period panel (CSV in any declared encoding, Excel,
    Parquet; a column mapping; 1,234 / 1.2万 numbers); see reportkit.data.io.load_panel."""
    from .data.io import load_panel as _load

    return _load(path, **kwargs)


def preview(**kwargs: Any) -> Any:
    """Show the current section as the report will, from what the current run recorded (no re-run),
    laid out as the build lays it out; see reportkit.section_preview.preview."""
    from .section_preview import preview as _preview

    return _preview(**kwargs)


def build(spec: str | Path | ReportSpec, **kwargs: Any) -> BuildResult:
    """Build one report from a spec file; see reportkit.build.build_report."""
    from .build import build_report

    return build_report(spec, **kwargs)


__all__ = ["record", "text", "say", "use_language", "Text", "load_data", "load_panel", "preview", "build", "ReportKitError", "__version__"]
