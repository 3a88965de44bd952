"""Notebooks are committed without outputs, so diffs show code and text only (`make setup` installs
pre-commit's hook, whose .pre-commit-config.yaml strips staged notebooks with the venv's nbstripout;
this test catches a notebook committed some other way, and checks the hook and its installation)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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


OLD_HOOK = """#!/bin/sh
# reportkit: notebooks are committed without outputs. Installed as .git/hooks/pre-commit by
# `make setup`; strips every staged .ipynb with nbstripout and stages the result.
"""


def _tool(name: str) -> Path:
    return Path(sys.executable).parent / name


def _repo(tmp_path: Path) -> tuple[Path, dict[str, str], Callable[..., subprocess.CompletedProcess]]:
    """A git repository with this checkout's .pre-commit-config.yaml and a .venv/bin of links to the
    venv's tools (as `make setup` leaves a checkout), isolated from the user's git and pre-commit set-up."""
    for tool in ("nbstripout", "pre-commit"):
        if not _tool(tool).exists():
            pytest.skip(f"needs the venv's {tool}")
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    for tool in ("nbstripout", "pre-commit", "ruff"):
        (repo / ".venv" / "bin" / tool).symlink_to(_tool(tool))
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo / ".pre-commit-config.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GIT_DIR")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=repo, env=env, check=check, capture_output=True, text=True)

    run("git", "init", "-q")
    return repo, env, run


def _install_hooks(run: Callable[..., subprocess.CompletedProcess]) -> str:
    """`make hooks`, as `make setup` runs it, in the repository."""
    if shutil.which("make") is None:
        pytest.skip("needs make")
    return run("make", "-s", "-f", str(ROOT / "Makefile"), "hooks").stdout


def test_the_pre_commit_hook_strips_a_staged_notebook(tmp_path):
    import nbformat

    repo, _, run = _repo(tmp_path)
    _install_hooks(run)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells = [cell]
    nbformat.write(nb, repo / "分析.ipynb")
    run("git", "add", ".pre-commit-config.yaml", "分析.ipynb")
    # the hook strips the notebook and stops the commit: nothing with outputs is committed
    first = run("git", "commit", "-q", "-m", "a notebook with outputs", check=False)
    assert first.returncode != 0 and "files were modified by this hook" in first.stdout + first.stderr
    assert run("git", "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0
    stripped = json.loads((repo / "分析.ipynb").read_text(encoding="utf-8"))
    assert stripped["cells"][0]["outputs"] == [] and stripped["cells"][0]["execution_count"] is None
    # staged again, the stripped notebook is committed
    run("git", "add", "分析.ipynb")
    run("git", "commit", "-q", "-m", "a notebook with outputs")
    committed = json.loads(run("git", "show", "HEAD:分析.ipynb").stdout)
    assert committed["cells"][0]["outputs"] == [] and committed["cells"][0]["execution_count"] is None


def test_setup_keeps_a_hook_of_the_users_own(tmp_path):
    repo, _, run = _repo(tmp_path)
    hook = repo / ".git" / "hooks" / "pre-commit"
    mine = "#!/bin/sh\n# my own checks (reportkit)\nexit 0\n"
    hook.write_text(mine)
    out = _install_hooks(run)
    assert hook.read_text() == mine and "kept your" in out
    assert not (hook.parent / "pre-commit.legacy").exists()


def test_setup_replaces_the_old_hand_written_hook_and_reinstalls_its_own(tmp_path):
    repo, _, run = _repo(tmp_path)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(OLD_HOOK)
    _install_hooks(run)
    assert "File generated by pre-commit" in hook.read_text()
    assert not (hook.parent / "pre-commit.legacy").exists()  # not kept (and run) as a legacy hook
    # pre-commit's own hook chaining a user's legacy hook: reinstalled, the legacy one kept
    legacy = hook.parent / "pre-commit.legacy"
    legacy.write_text("#!/bin/sh\nexit 0\n")
    _install_hooks(run)
    assert "File generated by pre-commit" in hook.read_text() and legacy.read_text() == "#!/bin/sh\nexit 0\n"
