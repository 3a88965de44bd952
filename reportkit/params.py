"""A section notebook's parameters: read them, and validate values before a kernel starts.

The cell tagged ``parameters`` holds one annotated assignment per line with a comment as help::

    category: str = "美妆个护"  # product category (one of the six in the demo panel)
    n_lags: int = 2             # weeks of lagged engagement in the model

Notebooks written for plain papermill run too. Plain assignments (``alpha = 0.6``) get their type
from the default literal (int, float, str, bool, list, dict; ``None`` means any value), with a
logged note that annotations check more. A notebook with no ``parameters`` cell declares nothing:
values given anyway are injected unchecked at the top of the notebook with a warning, as papermill
does.

papermill only warns about unknown names and injects them anyway; :func:`validate_parameters`
refuses unknown or mistyped values with the allowed names and types, before any kernel starts. A
bad element of a list or dict is named with its place (``items[0] = 1 (int); expected str in
list[str]``).
"""

from __future__ import annotations

import ast
import io
import keyword
import logging
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ParameterError
from .notebook_file import read_notebook

logger = logging.getLogger(__name__)

#: The scalar types a parameter may have, and the Python types they mean.
SCALAR_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}

#: Common annotations a parameters cell may use, and the Python types they mean. Any nesting of
#: ``list[T]`` and ``dict[str, T]`` over the scalar types is allowed too (``dict[str, list[int]]``).
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

#: Types inferred from the default of a plain assignment (``alpha = 0.6``) that annotations do not
#: use: a list or dict whose elements are not checked, and any value (the default was ``None``).
INFERRED_ONLY_TYPES: dict[str, Any] = {"list": list, "dict": dict, "any": Any}


def _valid_annotation(type_name: str) -> bool:
    """``type_name`` (spaces removed) is a scalar, or ``list[T]`` / ``dict[str,T]`` of a valid T."""
    if type_name in SCALAR_TYPES:
        return True
    if type_name.startswith("list[") and type_name.endswith("]"):
        return _valid_annotation(type_name[len("list["):-1])
    if type_name.startswith("dict[str,") and type_name.endswith("]"):
        return _valid_annotation(type_name[len("dict[str,"):-1])
    return False


def python_type(type_name: str) -> Any:
    """The Python type a parameter type name means (``dict[str,list[int]]`` → ``dict[str, list[int]]``)."""
    if type_name in SCALAR_TYPES:
        return SCALAR_TYPES[type_name]
    if type_name in INFERRED_ONLY_TYPES:
        return INFERRED_ONLY_TYPES[type_name]
    if type_name.startswith("list["):
        return list[python_type(type_name[len("list["):-1])]  # type: ignore[misc]
    if type_name.startswith("dict[str,"):
        return dict[str, python_type(type_name[len("dict[str,"):-1])]  # type: ignore[misc]
    raise KeyError(type_name)


def infer_type(default: Any) -> str:
    """The type name a plain assignment's default implies: bool, int, float, str, list, dict, else any."""
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(default, kind):
            return name
    return "any"


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its type (declared, or ``inferred`` from the default), default, help and line."""

    name: str
    type_name: str
    default: Any
    help: str
    line: int
    #: the type was inferred from the default of a plain assignment (no annotation)
    inferred: bool = False
    #: the default as written in the parameters cell (``0.6``), for messages
    default_source: str = ""

    @property
    def type(self) -> Any:
        return python_type(self.type_name)

    @property
    def secret(self) -> bool:
        """Marked ``# secret: …`` in the parameters cell (see reportkit.secrets)."""
        from .secrets import is_secret_help

        return is_secret_help(self.help)

    def describe(self) -> str:
        return f"{self.name}: {self.type_name} = {self.default!r}"


@dataclass(frozen=True)
class NotebookParameters:
    """The parameters a notebook declares, in cell order; ``has_cell`` is False when it has no ``parameters`` cell."""

    notebook: str
    parameters: tuple[Parameter, ...]
    #: False when the notebook has no cell tagged ``parameters`` (values are injected at the top)
    has_cell: bool = True

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

    def inferred(self) -> tuple[str, ...]:
        """Names of the parameters whose type was inferred from a plain assignment's default."""
        return tuple(p.name for p in self.parameters if p.inferred)

    def allowed(self) -> str:
        if not self.parameters:
            return "none (the parameters cell assigns nothing)" if self.has_cell else "none (no cell tagged 'parameters')"
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


def _find_parameters_cell(nb: Any) -> int | None:
    for i, cell in enumerate(nb["cells"]):  # a NotebookNode or reportkit.notebook_file's dict
        if cell["cell_type"] == "code" and "parameters" in (cell.get("metadata") or {}).get("tags", []):
            return i
    return None


def parameters_cell(nb: Any, notebook: str) -> tuple[int, str]:
    """Index and source of the cell tagged ``parameters``; a ParameterError if there is none."""
    index = _find_parameters_cell(nb)
    if index is None:
        raise ParameterError(
            "has no cell tagged 'parameters'; expected one code cell with the tag 'parameters' "
            "holding annotated assignments such as `category: str = \"美妆个护\"  # help`",
            notebook=notebook,
        )
    return index, nb["cells"][index]["source"]


_ANNOTATIONS = "str, int, float, bool, list[T] or dict[str, T] with T one of these (list[str], dict[str, str], …)"
_LITERALS = "a number, string, bool, list, dict or None literal"

#: notebooks (path, parameters cell) whose inferred types were noted already: once per process
_NOTED: set[tuple[str, str]] = set()


def read_parameters(notebook: str | Path) -> NotebookParameters:
    """Read the parameters declared in a notebook's ``parameters`` cell.

    Annotated assignments (``n: int = 3  # help``) declare their type; plain ones (``alpha = 0.6``,
    as papermill's documentation writes them) get it from the default, with a logged note that
    annotations give stricter checks. A notebook without a ``parameters`` cell declares nothing
    (``has_cell`` is False).
    """
    path = Path(notebook)
    return parameters_of(read_notebook(path), path)


def parameters_of(nb: Any, path: Path) -> NotebookParameters:
    """:func:`read_parameters` of the notebook ``nb`` already read from ``path``."""
    index = _find_parameters_cell(nb)
    if index is None:
        return NotebookParameters(str(path), (), has_cell=False)
    source = nb["cells"][index]["source"]
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
            if not _valid_annotation(type_name):
                raise ParameterError(
                    f"parameter {name!r} has type {type_name!r}; expected one of {_ANNOTATIONS}",
                    notebook=path, name=name,
                )
            default = _literal_default(name, node.value, path)
            default = _coerce(name, type_name, default, str(path), source="its default")
            param = Parameter(name, type_name, default, comments.get(node.lineno, ""), node.lineno,
                              default_source=ast.unparse(node.value))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            default = _literal_default(name, node.value, path)
            param = Parameter(name, infer_type(default), default, comments.get(node.lineno, ""), node.lineno,
                              inferred=True, default_source=ast.unparse(node.value))
        elif isinstance(node, ast.Assign) and len(node.targets) > 1:
            names = " and ".join(repr(ast.unparse(t)) for t in node.targets)
            raise ParameterError(
                f"line {node.lineno} of the parameters cell assigns {names} at once; expected one "
                "`name: type = default  # help` per line",
                notebook=path,
            )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            node_target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            target = ast.get_source_segment(source, node_target) or ast.unparse(node_target)
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                what = f"declares {target!r} without a default"
            else:
                what = f"assigns {target!r}, which is not one plain name"
            raise ParameterError(
                f"line {node.lineno} of the parameters cell {what}; expected `name: type = default  # help` "
                "(one name per line)",
                notebook=path,
            )
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string as a note
        else:
            raise ParameterError(
                f"line {node.lineno} of the parameters cell is not a parameter assignment "
                f"({ast.unparse(node).splitlines()[0][:80]}); the cell should hold only "
                "`name: type = default  # help` lines (or plain `name = default`); move other code to a later cell",
                notebook=path,
            )
        first = next((p for p in params if p.name == param.name), None)
        if first is not None:
            raise ParameterError(
                f"line {param.line} of the parameters cell assigns {param.name!r} again (first on line "
                f"{first.line}); expected each parameter once",
                notebook=path, name=param.name,
            )
        params.append(param)
    declared = NotebookParameters(str(path), tuple(params))
    _note_inferred(declared, source)
    return declared


def _literal_default(name: str, value: ast.expr, path: Path) -> Any:
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ParameterError(
            f"parameter {name!r} has a default that is not a literal ({ast.unparse(value)}); expected "
            f"{_LITERALS}, so that values can be checked before a kernel starts (compute it in a later cell)",
            notebook=path, name=name,
        ) from None


def _note_inferred(declared: NotebookParameters, source: str) -> None:
    """Log, once per notebook and parameters cell, which types were inferred and how to declare them."""
    names = declared.inferred()
    key = (str(Path(declared.notebook).resolve()), source)
    if not names or key in _NOTED:
        return
    _NOTED.add(key)
    params = [p for p in declared.parameters if p.inferred]
    example = params[0]
    several = len(names) > 1
    logger.warning(
        "%s: %s no type annotation%s; %s inferred from the default%s (%s). "
        "Annotations give stricter checks (every element of a `list[str]`; a declared type instead of "
        "'any' for None) and help text in `reportkit params`: write e.g. `%s: %s = %s  # what it means`.",
        declared.notebook,
        f"parameters {', '.join(names)} have" if several else f"parameter {names[0]} has", "s" if several else "",
        "their types are" if several else "its type is", "s" if several else "",
        ", ".join(f"{p.name}: {p.type_name}" for p in params),
        example.name, example.type_name if example.type_name not in INFERRED_ONLY_TYPES else "str",
        example.default_source or repr(example.default),
    )


class _Mismatch(Exception):
    """A value (or an element of it) is not of the expected type; ``where`` names the element."""

    def __init__(self, where: str, value: Any, expected: str, *, key: bool = False) -> None:
        super().__init__(where)
        self.where, self.value, self.expected, self.key = where, value, expected, key


def _check(value: Any, type_name: str, where: str) -> Any:
    """``value`` checked against ``type_name`` element by element (strict: no str → int), coerced
    where lossless (int → float); :class:`_Mismatch` names the first bad element."""
    if type_name == "any":
        return value
    if type_name == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif type_name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif type_name in SCALAR_TYPES:
        if isinstance(value, SCALAR_TYPES[type_name]):
            return value
    elif type_name == "list":
        if isinstance(value, list):
            return list(value)
    elif type_name == "dict":
        if isinstance(value, dict):
            return dict(value)
    elif type_name.startswith("list["):
        if isinstance(value, list):
            inner = type_name[len("list["):-1]
            return [_check(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    elif type_name.startswith("dict[str,"):
        if isinstance(value, dict):
            inner = type_name[len("dict[str,"):-1]
            out: dict[str, Any] = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise _Mismatch(where, k, "str", key=True)
                out[k] = _check(v, inner, f"{where}[{k!r}]")
            return out
    raise _Mismatch(where, value, type_name)


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _coerce(name: str, type_name: str, value: Any, notebook: str, *, source: str,
            param: Parameter | None = None) -> Any:
    try:
        return _check(value, type_name, name)
    except _Mismatch as bad:
        got = f"{_short(bad.value)} ({type(bad.value).__name__})"
        if bad.key:
            msg = (f"parameter {name!r} from {source} is {_short(value)}: {bad.where} has key {got}; "
                   f"expected str keys in {type_name}")
        elif bad.where == name:
            msg = f"parameter {name!r} from {source} is {got}; expected {type_name}"
        else:
            msg = (f"parameter {name!r} from {source} is {_short(value)}: {bad.where} = {got}; "
                   f"expected {bad.expected} in {type_name}")
        if param is not None and param.inferred:
            given = infer_type(value)
            example = f"`{name}: {given} = …`" if given in SCALAR_TYPES else "`name: type = default`"
            msg += (f" ({type_name} was inferred from its default `{name} = {param.default_source}` in the "
                    f"parameters cell; declare another type with an annotation such as {example})")
        raise ParameterError(msg, notebook=notebook, name=name) from None


class _CliLoader(yaml.SafeLoader):
    """YAML without timestamps: ``2024-01-31`` stays the text it was (papermill injects plain values)."""


_CliLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_cli_value(text: str) -> Any:
    """A value given as ``-p name=value`` on the command line, read as YAML (``3`` → 3, ``[a, b]`` → list;
    dates stay text)."""
    try:
        return yaml.load(text, Loader=_CliLoader) if text.strip() else ""  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        return text


def _assignable(name: str) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def _without_cell(
    declared: NotebookParameters, values: Mapping[str, Any], *, source: str, from_cli: bool
) -> dict[str, Any]:
    """A notebook with no ``parameters`` cell: values are injected unchecked at the top (papermill's
    behaviour), with a warning; only names that cannot be assigned are refused."""
    for key in values:
        if not _assignable(key):
            raise ParameterError(
                f"parameter {key!r} from {source} is not a Python name; expected a name such as `alpha` "
                "(letters, digits and _, not starting with a digit, not a keyword)",
                notebook=declared.notebook, name=str(key),
            )
    out = {k: parse_cli_value(v) if from_cli and isinstance(v, str) else v for k, v in values.items()}
    if out:
        logger.warning(
            "%s has no cell tagged 'parameters': %s from %s %s injected unchecked in a new cell at the top of "
            "the notebook, as papermill does (an assignment later in the notebook overrides %s). Tag a cell "
            "'parameters' holding the defaults (`%s: %s = …  # help`) to have names and types checked before "
            "a kernel starts.",
            declared.notebook, ", ".join(out), source, "are" if len(out) > 1 else "is",
            "them" if len(out) > 1 else "it", next(iter(out)), infer_type(next(iter(out.values()))),
        )
    return out


def validate_parameters(
    declared: NotebookParameters, values: Mapping[str, Any], *, source: str = "the spec", from_cli: bool = False
) -> dict[str, Any]:
    """Check names and types of ``values`` against the declared parameters; return coerced values.

    ``from_cli``: values are strings from ``-p name=value``; a ``str`` parameter keeps the text as
    given, other types are parsed as YAML scalars, lists or mappings first. A notebook with no
    ``parameters`` cell takes any (assignable) name, unchecked, with a logged warning.
    """
    if not declared.has_cell:
        return _without_cell(declared, values, source=source, from_cli=from_cli)
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
        out[key] = _coerce(key, param.type_name, value, declared.notebook, source=source, param=param)
    return out
