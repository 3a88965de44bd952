"""Notebooks are committed without outputs, so diffs show code and text only (`make setup` installs
scripts/git-pre-commit, which strips staged notebooks; this test catches a notebook committed some
other way, and checks the hook)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tests/notebooks/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for n, cell in enumerate(nb["cells"], start=1):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {n} has outputs; run nbstripout {path}"
            assert cell.get("execution_count") is None, f"{path.name} cell {n} has an execution count"
    assert "papermill" not in nb.get("metadata", {}), f"{path.name} is an executed copy (papermill metadata)"


def test_there_are_notebooks_to_check():
    assert len([p for p in NOTEBOOKS if p.parent.name == "notebooks" and p.parent.parent == ROOT]) >= 2


def test_the_pre_commit_hook_strips_a_staged_notebook(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    import nbformat

    if shutil.which("git") is None or not (Path(sys.executable).parent / "nbstripout").exists():
        pytest.skip("needs git and the venv's nbstripout")
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "nbstripout").symlink_to(Path(sys.executable).parent / "nbstripout")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    shutil.copy(ROOT / "scripts" / "git-pre-commit", repo / ".git" / "hooks" / "pre-commit")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells = [cell]
    nbformat.write(nb, repo / "分析.ipynb")
    git("add", "分析.ipynb")
    git("commit", "-q", "-m", "a notebook with outputs")
    committed = json.loads(git("show", "HEAD:分析.ipynb"))
    assert committed["cells"][0]["outputs"] == [] and committed["cells"][0]["execution_count"] is None
