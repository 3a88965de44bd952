"""The kit reads YAML with libyaml's safe loader where PyYAML has it (reportkit.yaml_files): the data
and the line marks must be those of PyYAML's pure-Python safe loader."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from reportkit import yaml_files

ROOT = Path(__file__).resolve().parents[1]


def _project_yaml() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "*.yaml", "*.yml"], cwd=ROOT, capture_output=True, text=True)
    paths = [ROOT / p for p in listed.stdout.split("\0") if p] if listed.returncode == 0 else []
    return paths or sorted(p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts)


def test_libyaml_is_used_where_pyyaml_has_it():
    assert yaml_files.SAFE_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", _project_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_project_reads_as_with_the_pure_python_loader(path):
    text = path.read_text(encoding="utf-8")
    assert yaml_files.safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_values_that_resolve_by_pattern_read_the_same():
    text = ("a: 2024-01-02\nb: 1_000\nc: 0o17\nd: .inf\ne: ~\nf: yes\ng: '007'\nh: 1e3\n"
            "i: 2024-01-02T10:00:00+08:00\nj: 美妆个护\nk: [1, {x: y}]\nl: |\n  two\n  lines\n")
    assert yaml_files.safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_nodes_carry_the_same_line_marks():
    text = "title: x\nsections:\n  - id: a\n    notebook: n.ipynb\n  - id: b\n"
    fast, slow = yaml_files.compose(text), yaml.compose(text, Loader=yaml.SafeLoader)

    def marks(node):
        out = [(node.tag, node.start_mark.line, node.start_mark.column)]
        children = node.value if isinstance(node.value, list) else []
        for child in children:
            out += [m for part in (child if isinstance(child, tuple) else (child,)) for m in marks(part)]
        return out

    assert marks(fast) == marks(slow)


def test_a_syntax_error_names_its_line():
    with pytest.raises(yaml.YAMLError) as info:
        yaml_files.safe_load("a: 1\nb: [2\nc: 3\n")
    assert info.value.problem_mark is not None and info.value.problem_mark.line >= 1
