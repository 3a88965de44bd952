"""The ``reportkit`` command shows every message as written (never as rich markup), exits 130 with
one line on Ctrl-C, and offers --version and shell completion."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_manifest import sample_manifest
from typer.testing import CliRunner

import reportkit
from reportkit.cli import app
from reportkit.errors import NotebookError, ReportKitError

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
#: would be eaten by rich markup ([i], [bold]) or crash it ([/x])
NASTY = "bad value [/x] here; print(data[i]); [bold]not bold[/bold]"


def _raise(*_args, **_kwargs):
    raise ReportKitError(NASTY)


# (command line, module whose function the command calls, that function)
FAILING = [
    (["build", "r[1].yaml"], "reportkit.build", "build_report"),
    (["run", "nb[/x].ipynb"], "reportkit.params", "read_parameters"),
    (["params", "nb[/x].ipynb"], "reportkit.params", "read_parameters"),
    (["batch", "r.yaml", "--matrix", "m.csv", "--out", "o"], "reportkit.batch", "plan_batch"),
    (["publish", "build/x", "--to", "dest"], "reportkit.publish", "publish"),
    (["verify", "dest/a/r/v"], "reportkit.publish", "verify"),
    (["share", "s3://b/a/r/v/report.pdf"], "reportkit.publish", "share"),
    (["preview", "r.yaml"], "reportkit.spec", "load_spec"),
    (["new", "section", "channel_mix"], "reportkit.scaffold", "new_section"),
    (["new", "report", "x", "--title-zh", "中", "--title-en", "en"], "reportkit.scaffold", "new_report"),
]


@pytest.mark.parametrize(("args", "module", "function"), FAILING, ids=lambda v: v[0] if isinstance(v, list) else "")
def test_an_error_with_square_brackets_is_shown_as_written(monkeypatch, args, module, function):
    import importlib

    monkeypatch.setattr(importlib.import_module(module), function, _raise)
    res = CliRunner().invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code in (1, 2), res.output
    assert f"error: {NASTY}" in res.output


def test_a_failing_notebook_message_keeps_its_brackets(monkeypatch):
    def fail(*_a, **_k):
        raise NotebookError(notebook="nb[/x].ipynb", cell=2, ename="ValueError", evalue="bad value [/x] here",
                            saved="build/runs/nb[1].failed.ipynb", source="print(data[i])\nraise ValueError()")

    monkeypatch.setattr("reportkit.build.build_report", fail)
    res = CliRunner().invoke(app, ["build", "r.yaml"])
    assert res.exit_code == 1 and res.exception is None or isinstance(res.exception, SystemExit)
    assert "nb[/x].ipynb failed in cell 2: ValueError: bad value [/x] here" in res.output
    assert "cell starts: print(data[i])" in res.output
    assert "build/runs/nb[1].failed.ipynb" in res.output


def test_success_messages_keep_their_brackets(monkeypatch, tmp_path):
    section = sample_manifest().sections[0]
    result = SimpleNamespace(
        outputs={"html": Path("build/[b]x[/b]/report.html")},
        manifest=sample_manifest(sections=(dataclasses.replace(section, id="s[1]", reused_from_cache=True),),
                                 pdf_pages=None, timings_seconds={"total": 1.0}, report="r[/x]", language="zh",
                                 theme="t", edition="client"),
    )
    monkeypatch.setattr("reportkit.build.build_report", lambda *a, **k: result)
    res = CliRunner().invoke(app, ["build", "r.yaml"])
    assert res.exit_code == 0, res.output
    assert "build/[b]x[/b]/report.html" in res.output and "s[1]" in res.output and "built r[/x] (zh" in res.output

    monkeypatch.setattr("reportkit.publish.verify", lambda release: [])
    res = CliRunner().invoke(app, ["verify", "dest/a[/x]/r/v"])
    assert res.exit_code == 0 and "dest/a[/x]/r/v: ok" in res.output


def test_params_table_shows_help_and_defaults_with_brackets():
    res = CliRunner().invoke(app, ["params", str(NOTEBOOKS / "brackets.ipynb")], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "'a[1]'" in res.output and "shown as [/x] in [bold]the help" in res.output


@pytest.mark.e2e
def test_a_real_failing_cell_with_brackets_through_run(tmp_path):
    res = CliRunner().invoke(app, ["run", str(NOTEBOOKS / "brackets.ipynb"), "--out", str(tmp_path / "runs"),
                                   "--cwd", str(tmp_path)])
    assert res.exit_code == 1, res.output
    assert "failed in cell 3: ValueError: bad value [/x] here" in res.output
    assert "cell starts: print(data[i])" in res.output


def test_version_prints_the_package_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"reportkit {reportkit.__version__}"


def test_shell_completion_is_offered():
    res = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "--install-completion" in res.output and "--show-completion" in res.output
    # what a completion script does when the user presses Tab after "reportkit bu" (no shell
    # detection involved: under make or CI the parent process is not an interactive shell)
    res = CliRunner().invoke(app, [], prog_name="reportkit",
                             env={"_REPORTKIT_COMPLETE": "complete_bash", "COMP_WORDS": "reportkit bu", "COMP_CWORD": "1"})
    assert res.exit_code == 0 and res.output.split() == ["build"]


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    """``reportkit ARGS`` in a child process that reacts to SIGINT as a terminal's Ctrl-C does
    (a shell may have started this test with SIGINT ignored)."""
    return subprocess.Popen(
        [sys.executable, "-c", "from reportkit.cli import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs,
    )


@pytest.mark.e2e
def test_ctrl_c_during_run_prints_one_line_cleans_up_and_exits_130(tmp_path):
    marker = tmp_path / "started"
    out = tmp_path / "runs"
    proc = _cli("run", str(NOTEBOOKS / "slow.ipynb"), "--out", str(out), "--cwd", str(tmp_path),
                "-p", f"marker={marker}", env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), proc.communicate(timeout=30)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, (stdout, stderr)
    assert f"interrupted at cell 3 of notebook {NOTEBOOKS / 'slow.ipynb'}; nothing written" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == []  # no .partial.ipynb, no empty kernel log
