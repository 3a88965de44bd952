"""The modules of reportkit/data form layers: no import cycle, and one home for each shared piece.

Read from the source (ast), so a cycle hidden in a function-level import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "reportkit" / "data"
MODULES = sorted(p.stem for p in DATA.glob("*.py") if p.stem != "__init__")


def _tree(name: str) -> ast.Module:
    return ast.parse((DATA / f"{name}.py").read_text(encoding="utf-8"))


def _imports(name: str) -> set[str]:
    """The sibling modules ``name`` imports anywhere in its source (top level or in a function)."""
    found: set[str] = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # from .x import y / from . import x
                targets = [module] if module else [a.name for a in node.names]
            elif node.level == 0 and module.startswith("reportkit.data"):
                rest = module.removeprefix("reportkit.data").lstrip(".")
                targets = [rest.split(".")[0]] if rest else [a.name for a in node.names]
            else:
                targets = []
            found.update(t.split(".")[0] for t in targets)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("reportkit.data."):
                    found.add(alias.name.split(".")[2])
    return found & set(MODULES)


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_data_modules_form_a_dag():
    cycle = _cycle(GRAPH)
    assert cycle is None, "import cycle in reportkit/data: " + " → ".join(cycle or [])


@pytest.mark.parametrize("base", ["paths", "periods", "messages", "formats"])
def test_the_shared_modules_import_no_other_data_module(base):
    assert GRAPH[base] == set(), f"{base} imports {sorted(GRAPH[base])}"


def _definitions(names: set[str]) -> list[tuple[str, str]]:
    """(module, name) of every function, class or assignment target called one of ``names``."""
    found = []
    for module in MODULES:
        for node in ast.walk(_tree(module)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                found.append((module, node.name))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [(module, t.id) for t in targets if isinstance(t, ast.Name) and t.id in names]
    return found


def _regexes(module: str) -> list[str]:
    """The patterns of every ``re.compile(...)`` in ``module``."""
    return [node.args[0].value for node in ast.walk(_tree(module))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compile" and node.args and isinstance(node.args[0], ast.Constant)]


def _string_constants(module: str) -> list[str]:
    """Short string constants of ``module`` outside docstrings and f-strings (suffixes, labels)."""
    tree = _tree(module)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                   for part in node.values}  # a file name written, such as f"part-{j}.parquet"
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings | in_fstrings
            and len(node.value) < 40]


def test_one_period_label_parser():
    parsers = _definitions({"parse_period", "parse_ytd_period", "_parse_label", "PeriodLabel", "_Parsed"})
    assert {module for module, _ in parsers} == {"periods"}
    assert sorted(name for _, name in parsers) == ["PeriodLabel", "parse_period", "parse_ytd_period"]
    # the label patterns (quarters, NBS cumulative periods) live there and nowhere else
    for module in MODULES:
        label_patterns = [p for p in _regexes(module) if r"\.\." in p or "[Qq]" in p or "季" in p]
        if module == "periods":
            assert len(label_patterns) >= 3
        else:
            assert label_patterns == [], f"{module} parses period labels itself: {label_patterns}"


def test_one_suffix_table():
    tables = _definitions({"FORMATS", "TEXT_SUFFIXES", "EXCEL_SUFFIXES", "PARQUET_SUFFIXES",
                           "_PARQUET_SUFFIXES", "_CSV_SUFFIXES", "_ALL_SUFFIXES"})
    assert tables == [("formats", "FORMATS")]
    for module in MODULES:
        named = sorted({s for s in _string_constants(module)
                        if s in {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq", ".csv.gz"}})
        if module != "formats":
            assert named == [], f"{module} names file suffixes itself: {named}"


def test_one_home_for_paths_and_row_locations():
    assert _definitions({"project_root", "resolve_data_path"}) == [("paths", "project_root"),
                                                                   ("paths", "resolve_data_path")]
    assert _definitions({"RowNumbers", "MAX_SHOWN", "_MAX_SHOWN", "_MAX_BAD_ROWS"}) == [
        ("messages", "MAX_SHOWN"), ("messages", "RowNumbers")]


def test_no_module_finds_the_project_from_the_package_location():
    """``Path(__file__)`` or ``reportkit.__file__`` would point into site-packages once installed;
    the project is found from the working directory (or REPORTKIT_PROJECT) only."""
    for module in MODULES:
        uses = [ast.unparse(node) for node in ast.walk(_tree(module))
                if (isinstance(node, ast.Name) and node.id == "__file__")
                or (isinstance(node, ast.Attribute) and node.attr == "__file__")]
        allowed = {"schemas": 1}  # _warn: which stack frames belong to reportkit.data
        assert len(uses) == allowed.get(module, 0), f"{module} uses {uses}"
