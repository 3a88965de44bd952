"""The API and command reference (``docs/reference.md``), generated from the code itself.

Every ``reportkit`` command (from the Typer app: usage, help, options) and every public function
and class of every module (defined in that module, name not starting with ``_``: its signature and
the first paragraph of its docstring). ``python -m reportkit.reference > docs/reference.md``
regenerates it; ``tests/test_reference.py`` fails when the committed file differs, so the docs
cannot drift from the code.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from typing import Any


@functools.lru_cache(maxsize=1)
def _project_folders() -> tuple[str, ...]:
    """Folders of this machine shown as ``<project>`` in default values: the project root (found
    from the current folder, as the commands do) and the checkout of an editable install."""
    from .data.paths import project_root
    from .errors import ReportKitError
    from .resources import editable_source

    folders = [editable_source()]
    try:
        folders.append(project_root())
    except ReportKitError:
        pass
    return tuple(sorted({str(f) for f in folders if f is not None}, key=len, reverse=True))


#: modules run as scripts or holding only data are still listed; these are not (private helpers)
SKIP_MODULES = ("reportkit.__main__",)


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "").split("\n\n", 1)[0]
    return " ".join(text.split())


def _signature(obj: Any) -> str:
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(…)"
    sig = re.sub(r" at 0x[0-9a-f]+", "", sig)  # default values that are objects print their address
    for folder in _project_folders():  # defaults under the checkout: the same text on every machine
        sig = sig.replace(folder, "<project>")
    return sig


def _commands() -> list[str]:
    import typer
    import typer.core

    from .cli import app

    group = typer.main.get_command(app)
    if not isinstance(group, typer.core.TyperGroup):  # an app of one command would be a Command
        raise TypeError(f"reportkit's CLI should be a group of commands; typer made a {type(group).__name__}")
    lines = ["## Commands", ""]
    ctx = group.context_class(group, info_name="reportkit")
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"reportkit {name} is listed but cannot be loaded"
        arguments = [p for p in cmd.params if getattr(p, "param_type_name", "") == "argument"]
        options = [p for p in cmd.params if getattr(p, "param_type_name", "") == "option"]
        usage = " ".join([f"reportkit {name}", *(f"{(a.name or '').upper()}" for a in arguments), "[OPTIONS]"])
        lines += [f"### `reportkit {name}`", "", "```", usage, "```", ""]
        lines += [inspect.cleandoc(cmd.help or ""), ""]
        for param in arguments:
            lines.append(f"- `{(param.name or '').upper()}`: {getattr(param, 'help', '') or ''}")
        for param in options:
            flags = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            shown = param.default not in (None, False, "") and not getattr(param, "is_flag", False)
            default = f" (default: `{param.default}`)" if shown else ""
            lines.append(f"- {flags}: {getattr(param, 'help', '') or ''}{default}")
        lines.append("")
    return lines


def _modules() -> list[Any]:
    import reportkit

    names = ["reportkit"] + sorted(m.name for m in pkgutil.walk_packages(reportkit.__path__, "reportkit.")
                                   if m.name not in SKIP_MODULES)
    return [importlib.import_module(n) for n in names]


def _api() -> list[str]:
    lines = ["## Python API", ""]
    for module in _modules():
        members = [(name, obj) for name, obj in vars(module).items()
                   if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                   and getattr(obj, "__module__", None) == module.__name__]
        if not members and module.__name__ != "reportkit":
            continue
        lines += [f"### `{module.__name__}`", "", _first_paragraph(module.__doc__), ""]
        if module.__name__ == "reportkit":  # the notebook-facing names, defined in the package itself
            members = [(n, getattr(module, n)) for n in module.__all__ if callable(getattr(module, n))]
        for name, obj in sorted(members, key=lambda m: m[0].lower()):
            kind = "class" if inspect.isclass(obj) else "def"
            lines.append(f"- **`{name}{_signature(obj)}`** ({kind}): {_first_paragraph(obj.__doc__) or '—'}")
        lines.append("")
    return lines


def reference() -> str:
    """The whole reference as Markdown."""
    head = ["# reportkit reference", "",
            "Generated from the code by `python -m reportkit.reference > docs/reference.md`; "
            "`tests/test_reference.py` checks it is up to date.", ""]
    return "\n".join(head + _commands() + _api()).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(reference(), end="")
