"""Warm kernels (reportkit.kernel_pool): a forked kernel behaves as a cold one, nothing one run does
reaches the next, and the pool steps aside (an ordinary kernel) whenever it could not promise that."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from reportkit.execute import execute_notebook
from reportkit.kernel_pool import KernelPool, kernel_environment, notebook_imports, supported

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not supported(), reason="forked kernels are Linux only")]

ENV = {"RK_PROBE": "probe", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

PROBE = """\
import builtins, json, os, sys
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
state = {
    "argv0": os.path.basename(sys.argv[0]), "argv": sys.argv[1:2], "cwd": os.getcwd(),
    "cwd_importable": "" in sys.path or os.getcwd() in sys.path,
    "names": sorted(k for k in globals() if not k.startswith("_")),
    "backend": plt.get_backend(), "probe": os.environ.get("RK_PROBE"), "leak_env": os.environ.get("RK_LEAK"),
    "leak_module": hasattr(pd, "_rk_leak"), "leak_builtin": hasattr(builtins, "rk_leak"),
    "max_rows": pd.get_option("display.max_rows"), "linewidth": plt.rcParams["lines.linewidth"],
}
print(json.dumps(state, sort_keys=True))"""

LEAK = """\
pd._rk_leak = 1
pd.set_option("display.max_rows", 3)
os.environ["RK_LEAK"] = "1"
builtins.rk_leak = 1
plt.rcParams["lines.linewidth"] = 9
leftover = 1"""


def _probe_notebook(path: Path) -> Path:
    nb = new_notebook(cells=[
        new_code_cell('tag: str = "a"  # a label', metadata={"tags": ["parameters"]}),
        new_code_cell(PROBE),
        new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4]);"),  # shown inline at the cell's end
        new_code_cell("print(repr(np.random.random()))"),
        new_markdown_cell("What follows changes state a later run must not see."),
        new_code_cell(LEAK),
    ])
    nb.metadata["kernelspec"] = {"name": "reportkit", "display_name": "Python (reportkit)", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(nb: Path, out: Path, pool: KernelPool | None, env: dict[str, str] = ENV) -> dict:
    executed = execute_notebook(nb, out, {"tag": "b"}, cwd=nb.parent, kernels=pool, env=env).nb

    def cell(start: str):
        return next(c for c in executed.cells if c.cell_type == "code" and c.source.startswith(start))

    def printed(start: str) -> str:
        return "".join("".join(o.get("text", "")) for o in cell(start).outputs if o.get("output_type") == "stream")

    state = json.loads(printed("import builtins"))
    state["figure_shown"] = any("image/png" in o.get("data", {}) for o in cell("fig, ax").outputs)
    state["random"] = printed("print(repr(np.random").strip()
    return state


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return _probe_notebook(tmp_path_factory.mktemp("probe") / "probe.ipynb")


@pytest.fixture
def pool(probe, monkeypatch):  # per test: the environment it is compared with is this test's
    monkeypatch.delenv("MPLBACKEND", raising=False)  # as a kernel started from a terminal: the inline backend
    with KernelPool("reportkit", preload=notebook_imports([probe]), env=ENV) as kernels:
        assert kernels.usable, kernels.reason
        yield kernels


def test_notebook_imports_lists_modules_in_order_without_relative_or_magic_lines(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("%matplotlib inline\nimport pandas as pd, numpy\nfrom reportkit.analysis import plots, tables"),
        new_code_cell("from . import local\nfrom os.path import join\n!ls"),
        new_code_cell("def broken(:\n    pass"),  # not Python: skipped, not an error
    ])
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert notebook_imports([tmp_path / "n.ipynb"]) == [
        "pandas", "numpy", "reportkit.analysis", "reportkit.analysis.plots", "reportkit.analysis.tables",
        "os.path", "os.path.join"]


def test_a_forked_kernel_is_what_a_cold_kernel_is(probe, pool, tmp_path):
    cold = _run(probe, tmp_path / "cold.ipynb", None)
    warm = _run(probe, tmp_path / "warm.ipynb", pool)
    assert pool.launched >= 1 and not pool.declined
    # both kernels knew their parent (JPY_PARENT_PID): neither printed the "ipython kernel" notes to its log
    assert not (tmp_path / "cold.kernel.log").exists() and not (tmp_path / "warm.kernel.log").exists()
    for state in (cold, warm):
        state.pop("random")
    assert warm == cold
    assert cold["argv0"] == "ipykernel_launcher.py" and cold["argv"] == ["-f"] and cold["probe"] == "probe"
    assert cold["cwd"] == str(probe.parent) and cold["cwd_importable"]
    assert cold["backend"] == "module://matplotlib_inline.backend_inline" and cold["figure_shown"]


def test_no_state_passes_from_one_run_to_the_next_on_a_pool(probe, pool, tmp_path):
    first = _run(probe, tmp_path / "1.ipynb", pool)  # its last cell changes modules, builtins, env, options
    second = _run(probe, tmp_path / "2.ipynb", pool)
    for state in (first, second):
        assert state["leak_env"] is None and not state["leak_module"] and not state["leak_builtin"]
        assert state["max_rows"] == 60 and state["linewidth"] == 1.5
        assert "leftover" not in state["names"]
    assert first["random"] != second["random"]  # numpy's global generator is reseeded in every kernel
    assert first["names"] == second["names"]


def test_relative_paths_are_those_of_the_caller_not_of_the_template(probe, pool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a batch names its outputs relative to where it was started
    out = execute_notebook(probe, Path("rel") / "out.ipynb", {"tag": "b"}, cwd=".", kernels=pool, env=ENV)
    assert pool.launched == 1 and not pool.declined and (tmp_path / "rel" / "out.ipynb").is_file()
    assert json.loads(next("".join(o["text"]) for c in out.nb.cells if c.source.startswith("import builtins")
                           for o in c.outputs if o.get("output_type") == "stream"))["cwd"] == str(tmp_path)


def test_a_launch_with_another_environment_gets_an_ordinary_kernel(probe, pool, tmp_path):
    declined = len(pool.declined)
    state = _run(probe, tmp_path / "other.ipynb", pool, env={**ENV, "RK_PROBE": "other"})
    assert state["probe"] == "other" and state["figure_shown"]
    assert len(pool.declined) == declined + 1 and "RK_PROBE" in pool.declined[-1]


def test_an_edited_module_restarts_the_template_instead_of_serving_stale_code(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "rkprobe_mod.py").write_text("VALUE = 1\n", encoding="utf-8")
    nb = new_notebook(cells=[new_code_cell("x: int = 0", metadata={"tags": ["parameters"]}),
                             new_code_cell("import rkprobe_mod\nprint(rkprobe_mod.VALUE)")])
    nbformat.write(nb, tmp_path / "m.ipynb")
    env = {**ENV, "PYTHONPATH": str(lib)}

    def value(pool: KernelPool, name: str) -> str:
        out = execute_notebook(tmp_path / "m.ipynb", tmp_path / name, {}, cwd=tmp_path, kernels=pool, env=env).nb
        return "".join(out.cells[-1].outputs[0]["text"]).strip()

    with KernelPool("reportkit", preload=["rkprobe_mod"], env=env) as pool:
        assert value(pool, "1.ipynb") == "1" and pool.launched == 1
        time.sleep(0.01)
        (lib / "rkprobe_mod.py").write_text("VALUE = 2\n", encoding="utf-8")
        assert value(pool, "2.ipynb") == "2"  # an ordinary kernel, while a new template starts
        assert "changed since it started" in pool.declined[-1]
        assert value(pool, "3.ipynb") == "2" and pool.launched == 2  # forked again, from the new template


def test_a_module_that_starts_a_thread_makes_the_pool_step_aside(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "rkthreads.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n",
        encoding="utf-8")
    env = {**ENV, "PYTHONPATH": str(lib)}
    nb = new_notebook(cells=[new_code_cell("import rkthreads\nprint('ran')")])
    nbformat.write(nb, tmp_path / "t.ipynb")
    with KernelPool("reportkit", preload=["rkthreads"], env=env) as pool:
        out = execute_notebook(tmp_path / "t.ipynb", tmp_path / "t-out.ipynb", {}, cwd=tmp_path, kernels=pool, env=env)
        assert "ran" in "".join(out.nb.cells[0].outputs[0]["text"])
        assert not pool.usable and "started a thread" in (pool.reason or "")
        assert pool.launched == 0


def test_kernel_environment_applies_the_kernelspec_env_and_extras(monkeypatch):
    monkeypatch.setenv("RK_BASE", "base")
    monkeypatch.setenv("PYTHONEXECUTABLE", "/x/python")
    env = kernel_environment({"RK_SPEC": "${RK_BASE}-spec"}, {"RK_EXTRA": "1"})
    assert env["RK_SPEC"] == "base-spec" and env["RK_EXTRA"] == "1" and "PYTHONEXECUTABLE" not in env


def test_closing_the_pool_stops_its_template_and_removes_its_folder(probe):
    pool = KernelPool("reportkit", preload=["json"], env=ENV)
    assert pool.usable and pool._ready() is not None
    pid, folder = pool._ready()["pid"], pool.socket.parent
    pool.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid) and not folder.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_ctrl_c_during_parallel_sections_interrupts_every_kernel_and_leaves_no_partial_notebook(tmp_path):
    slow = Path(__file__).resolve().parent / "notebooks" / "slow.ipynb"
    spec = tmp_path / "r.yaml"
    spec.write_text(
        "id: t\ntitle: 测试\nsections:\n"
        + "".join(f"  - id: s{i}\n    notebook: {slow}\n    title: 节{i}\n    parameters: {{marker: {tmp_path / f'm{i}'}}}\n"
                  for i in (1, 2)),
        encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from reportkit.cli import main; main()", "build", str(spec), "--out", str(out),
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 90
    while not all((tmp_path / f"m{i}").exists() for i in (1, 2)) and time.monotonic() < deadline \
            and proc.poll() is None:
        time.sleep(0.1)
    assert all((tmp_path / f"m{i}").exists() for i in (1, 2)), proc.communicate(timeout=30)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted at cell 3 of notebook" in stderr and "Traceback" not in stderr
    leftovers = [p.name for p in (out / "runs").iterdir()] if (out / "runs").exists() else []
    assert leftovers == [], leftovers
    assert not (out / "report.html").exists()


def _pool_killed_while_importing(tmp_path, *, import_seconds: int, kill_after: float):
    """A process opens a pool whose template imports a module taking ``import_seconds``, then is
    killed ``kill_after`` s later. Returns (when it was killed, running() of the template, the template)."""
    import psutil

    (tmp_path / "rk_slow_import.py").write_text(f"import time\ntime.sleep({import_seconds})\n", encoding="utf-8")
    script = ("import os, time\nfrom reportkit.kernel_pool import KernelPool\n"
              f"pool = KernelPool('reportkit', preload=['rk_slow_import'], env={ENV!r})\n"
              f"print(pool._proc.pid, flush=True)\ntime.sleep({kill_after})\nos.kill(os.getpid(), 9)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    killed = time.monotonic()
    template = psutil.Process(int(proc.stdout.split()[0]))

    def running() -> bool:
        try:
            return template.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return killed, running, template


def test_a_template_whose_pool_is_killed_while_it_imports_exits(tmp_path):
    """The template notices that the process that started it is gone even when that happened
    during its imports (a batch killed at its start), rather than serving no one for ever."""

    killed, running, template = _pool_killed_while_importing(tmp_path, import_seconds=3, kill_after=0.5)
    deadline = time.monotonic() + 15  # its imports end after 3 s; it then checks its parent every second
    while running() and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = running()
    if alive:
        template.kill()
    assert not alive, "the kernel template outlived its pool"


@pytest.mark.parametrize("kill_after", [0.0, 1.0], ids=["before-it-has-started", "in-the-middle-of-its-imports"])
def test_a_template_ends_soon_after_its_pool_even_in_the_middle_of_its_imports(tmp_path, kill_after):
    """A batch killed while its workers' templates import (the first seconds of a batch, longer on a
    busy machine) leaves no template importing on for seconds: it checks its parent while it imports.

    kill_after=0: the pool is killed at once, before the template's interpreter asked for its
    parent's pid (a CI kill trial found a "kernel template (parent 1)" importing on 5 s after the
    kill). The template is told its pool's pid rather than taking its new parent (pid 1, a
    subreaper) for its pool."""

    killed, running, template = _pool_killed_while_importing(tmp_path, import_seconds=20, kill_after=kill_after)
    while running() and time.monotonic() - killed < 10:  # its import alone lasts 20 s
        time.sleep(0.05)
    lived = time.monotonic() - killed
    if running():
        template.kill()
    assert lived < 3, f"the kernel template was still importing {lived:.1f} s after its pool was killed"


SUBREAPER = """\
import ctypes, json, os, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER: orphans below come to this process, not pid 1
reaps = sys.argv[-1] == "reaps"  # else nothing is reaped: the killed worker stays a zombie (a slow init)
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:-1]], stdout=subprocess.PIPE, text=True)
kernel, forked = json.loads(worker.stdout.readline())
worker.kill()
if reaps:
    worker.wait()

def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

killed = time.monotonic()
while alive(kernel) and time.monotonic() - killed < 8:
    try:
        while reaps and os.waitpid(-1, os.WNOHANG)[0]:  # reap what is reparented here
            pass
    except ChildProcessError:
        pass
    time.sleep(0.05)
lived = time.monotonic() - killed
if alive(kernel):
    os.kill(kernel, 9)
print(json.dumps({"forked": forked, "lived": lived}))
"""

WORKER = """\
import json, os, sys, threading, time
from reportkit.execute import execute_notebook
from reportkit.kernel_pool import KernelPool
nb, out, pidfile = sys.argv[1:4]
env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
pool = KernelPool("reportkit", preload=["json"], env=env)
threading.Thread(target=execute_notebook, args=(nb, out, {}), daemon=True,
                 kwargs={"cwd": os.path.dirname(nb), "kernels": pool, "env": env}).start()
while not os.path.exists(pidfile) or not open(pidfile).read().endswith("\\n"):
    time.sleep(0.05)
print(open(pidfile).read().strip(), flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("reaper", ["reaps", "does-not-reap"])
def test_a_forked_kernel_ends_with_the_process_that_ran_it_under_a_subreaper(tmp_path, reaper):
    """A kernel forked from the template is the template's child, not the run's process's; when that
    process is killed (a batch worker), the kernel ends too, as a kernel jupyter_client started would,
    also where orphans are adopted by a subreaper (a container's init, systemd) rather than pid 1,
    and where that process is not reaped at once (a zombie answers ``kill(pid, 0)`` as if alive; an
    init that reaps late left a kernel running in a CI kill trial)."""
    pidfile = tmp_path / "kernel.pid"
    nb = new_notebook(cells=[new_code_cell(
        "import json, os, time\n"
        f"open({str(pidfile)!r}, 'w').write(json.dumps([os.getpid(), os.getppid() != int(os.environ['JPY_PARENT_PID'])]) + '\\n')\n"
        "time.sleep(60)")])
    nb.metadata["kernelspec"] = {"name": "reportkit", "display_name": "Python (reportkit)", "language": "python"}
    nbformat.write(nb, tmp_path / "sleeps.ipynb")
    proc = subprocess.run([sys.executable, "-c", SUBREAPER, WORKER, str(tmp_path / "sleeps.ipynb"),
                           str(tmp_path / "out.ipynb"), str(pidfile), reaper], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["forked"], f"the kernel was not forked from the template: {result}"
    assert result["lived"] < 4, f"the kernel ran on {result['lived']:.1f} s after the process that ran it was killed"
