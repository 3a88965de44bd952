"""Every command of the README's tutorial works as written, in order, on a copy of the project."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tutorial_commands() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tutorial", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return "\n".join(re.sub(r"^ {3}", "", line) for block in blocks for line in block.splitlines())


def test_the_tutorial_has_its_steps():
    script = tutorial_commands()
    for command in ("reportkit build", "reportkit run", "reportkit new section", "--theme acme", "reportkit batch",
                    "reportkit publish", "reportkit verify"):
        assert command in script


@pytest.mark.e2e
def test_readme_tutorial_runs_as_written(tmp_path):
    project = tmp_path / "project"
    for folder in ("data", "notebooks", "reports"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "build").mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    script = "set -euo pipefail\n" + tutorial_commands()
    proc = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert (project / "build" / "china-ecommerce-2024" / "report.pdf").is_file()
    assert (project / "build" / "mine" / "report.pdf").is_file()
    assert "我的品牌" in (project / "build" / "mine" / "report.html").read_text(encoding="utf-8")
    assert (project / "build" / "china-ecommerce-2024-acme" / "report.pdf").is_file()
    assert "ok, every file matches" in proc.stdout
