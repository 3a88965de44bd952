"""A section notebook's typed parameters: read them, and validate values before a kernel starts.

The cell tagged ``parameters`` holds one annotated assignment per line with a comment as help::

    category: str = "美妆个护"  # product category (one of the six in the demo panel)
    n_lags: int = 2             # weeks of lagged engagement in the model

papermill only warns about unknown names and injects them anyway; :func:`validate_parameters`
refuses unknown or mistyped values with the allowed names and types, before any kernel starts.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import nbformat
import yaml
from pydantic import TypeAdapter, ValidationError

from .errors import ParameterError

#: The annotation names a parameters cell may use, and the Python types they mean.
ALLOWED_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list[str]": list[str],
    "list[int]": list[int],
    "list[float]": list[float],
    # a column mapping: the analyst's column names (Chinese or English) → the notebook's roles
    "dict[str,str]": dict[str, str],
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type_name: str
    default: Any
    help: str
    line: int

    @property
    def type(self) -> Any:
        return ALLOWED_TYPES[self.type_name]

    @property
    def secret(self) -> bool:
        """Marked ``# secret: …`` in the parameters cell (see reportkit.secrets)."""
        from .secrets import is_secret_help

        return is_secret_help(self.help)

    def describe(self) -> str:
        return f"{self.name}: {self.type_name} = {self.default!r}"


@dataclass(frozen=True)
class NotebookParameters:
    notebook: str
    parameters: tuple[Parameter, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def get(self, name: str) -> Parameter | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def secret(self) -> tuple[str, ...]:
        """Names of the parameters marked secret."""
        return tuple(p.name for p in self.parameters if p.secret)

    def allowed(self) -> str:
        return ", ".join(f"{p.name} ({p.type_name})" for p in self.parameters)


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def parameters_cell(nb: Any, notebook: str) -> tuple[int, str]:
    """Index and source of the cell tagged ``parameters``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i, cell.source
    raise ParameterError(
        "has no cell tagged 'parameters'; expected one code cell with the tag 'parameters' "
        "holding annotated assignments such as `category: str = \"美妆个护\"  # help`",
        notebook=notebook,
    )


def read_parameters(notebook: str | Path) -> NotebookParameters:
    """Read the typed parameters declared in a notebook's ``parameters`` cell."""
    path = Path(notebook)
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise ParameterError("no such notebook file; expected a .ipynb path", notebook=path) from None
    except Exception as exc:  # nbformat raises several kinds for unreadable JSON
        raise ParameterError(f"cannot be read as a Jupyter notebook: {exc}", notebook=path) from exc
    _, source = parameters_cell(nb, str(path))
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"the parameters cell is not valid Python (line {exc.lineno}): {exc.msg}", notebook=path) from exc
    comments = _comments_by_line(source)
    params: list[Parameter] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name = node.target.id
            type_name = ast.unparse(node.annotation).replace(" ", "")
            if type_name not in ALLOWED_TYPES:
                raise ParameterError(
                    f"parameter {name!r} has type {type_name!r}; expected one of {', '.join(ALLOWED_TYPES)}",
                    notebook=path, name=name,
                )
            try:
                default = ast.literal_eval(node.value)
            except ValueError:
                raise ParameterError(
                    f"parameter {name!r} has a default that is not a literal ({ast.unparse(node.value)}); "
                    "expected a number, string, bool, list or dict literal",
                    notebook=path, name=name,
                ) from None
            default = _coerce(name, type_name, default, str(path), source="its default")
            params.append(Parameter(name, type_name, default, comments.get(node.lineno, ""), node.lineno))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
            raise ParameterError(
                f"line {node.lineno} of the parameters cell assigns {target!r} without a type annotation "
                f"and default; expected `name: type = default  # help`",
                notebook=path,
            )
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            raise ParameterError(
                f"line {node.lineno} of the parameters cell is not a parameter assignment; the cell should "
                "hold only `name: type = default  # help` lines",
                notebook=path,
            )
    return NotebookParameters(str(path), tuple(params))


def _coerce(name: str, type_name: str, value: Any, notebook: str, *, source: str) -> Any:
    target = ALLOWED_TYPES[type_name]
    if type_name == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    try:
        return TypeAdapter(target).validate_python(value, strict=True)
    except ValidationError:
        raise ParameterError(
            f"parameter {name!r} from {source} is {value!r} ({type(value).__name__}); expected {type_name}",
            notebook=notebook, name=name,
        ) from None


def parse_cli_value(text: str) -> Any:
    """A value given as ``-p name=value`` on the command line, read as YAML (``3`` → 3, ``[a, b]`` → list)."""
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def validate_parameters(
    declared: NotebookParameters, values: Mapping[str, Any], *, source: str = "the spec", from_cli: bool = False
) -> dict[str, Any]:
    """Check names and types of ``values`` against the declared parameters; return coerced values.

    ``from_cli``: values are strings from ``-p name=value``; a ``str`` parameter keeps the text as
    given, other types are parsed as YAML scalars or lists first.
    """
    unknown = [k for k in values if declared.get(k) is None]
    if unknown:
        raise ParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} from {source}; "
            f"the allowed parameters are: {declared.allowed()}",
            notebook=declared.notebook, name=unknown[0],
        )
    out: dict[str, Any] = {}
    for key, value in values.items():
        param = declared.get(key)
        assert param is not None
        if from_cli and isinstance(value, str) and param.type_name != "str":
            value = parse_cli_value(value)
        out[key] = _coerce(key, param.type_name, value, declared.notebook, source=source)
    return out
