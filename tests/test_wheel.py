"""reportkit installed from a wheel (not the checkout) builds the demo report in another folder.

The slow test builds a wheel offline (``pip wheel --no-build-isolation``: the venv's own setuptools,
no network), installs it into a fresh venv that has no pip and no packages of its own (a ``.pth``
file lends it the project venv's site-packages for the dependencies only: ``.pth`` files found
there are not run, so the editable install's import hook is not), registers that venv's Python as
the ``reportkit`` kernel, and runs the installed ``reportkit build`` in a temporary folder holding
only the user's parts of a project (the spec, notebooks/ and data/; no templates/, no reportkit/).

Isolation is checked, not assumed: an audit hook (PEP 578), loaded by a ``.pth`` file into every
Python process of the fresh venv (the command and the kernels), logs every file opened and every
folder listed under the checkout (the project venv aside); the log must be empty. The installed
copy of the report CSS gets a marker line, which must appear in the HTML (the CSS is inlined).
"""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SPEC = "reports/china-ecommerce-2024.yaml"
MARKER = "/* reportkit wheel test: installed templates */"
# the checkout's files that are not the package's sources (the copy the wheel is built from skips them)
NOT_SOURCES = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache",
               ".ipynb_checkpoints")

AUDIT_MODULE = '''\
"""Test helper (tests/test_wheel.py): log what this process reads under the checkout."""
import os
import sys

_ROOT = os.environ.get("RK_AUDIT_ROOT", "")
_ALLOWED = tuple(p for p in os.environ.get("RK_AUDIT_ALLOWED", "").split(os.pathsep) if p)
_LOG = os.environ.get("RK_AUDIT_LOG", "")


def _hook(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    try:
        path = args[0]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return  # a file descriptor, or None (the working directory)
        path = os.path.abspath(os.fsdecode(path))
        if path != _ROOT and not path.startswith(_ROOT + os.sep):
            return
        if any(path == a or path.startswith(a + os.sep) for a in _ALLOWED):
            return
        import traceback

        where = " <- ".join(f"{f.filename}:{f.lineno}" for f in reversed(traceback.extract_stack(limit=8)[:-1]))
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{event} {path} (pid {os.getpid()}, {' '.join(sys.argv)[:120]}): {where}\\n")
    except Exception:  # an audit hook must never break what it watches
        pass


if _ROOT and _LOG:
    sys.addaudithook(_hook)
'''


# --------------------------------------------------------------------------- packaging configuration


def _listed_packages() -> set[str]:
    return set(PYPROJECT["tool"]["setuptools"]["packages"])


def _package_folders(root: Path) -> dict[str, Path]:
    """Every folder of reportkit/ holding a file (dotted name → folder), and reportkit.templates."""
    found = {"reportkit.templates": root / "templates"}
    for folder in [root / "reportkit", *sorted((root / "reportkit").rglob("*"))]:
        if not folder.is_dir() or any(fnmatch.fnmatch(part, p) for part in folder.relative_to(root).parts
                                      for p in NOT_SOURCES):
            continue
        if any(f.is_file() for f in folder.iterdir()):
            found[".".join(folder.relative_to(root).parts)] = folder
    return found


def test_every_folder_of_the_package_is_listed_in_pyproject():
    """packages.find cannot see reportkit.templates (mapped to templates/), so the list is explicit."""
    folders = _package_folders(ROOT)
    listed = _listed_packages()
    assert set(folders) == listed, (
        f"[tool.setuptools] packages in pyproject.toml: add {sorted(set(folders) - listed)}, "
        f"remove {sorted(listed - set(folders))}")
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"reportkit.templates": "templates"}
    # every non-Python file of the package is declared package data (include-package-data is off)
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for name, folder in folders.items():
        shipped = {p for pattern in data.get(name, []) for p in folder.glob(pattern)}
        for path in folder.iterdir():
            if path.is_file() and path.suffix not in (".py", ".pyc"):
                assert path in shipped, (f"{path.relative_to(ROOT)} is not shipped: add a pattern for it to "
                                         f"[tool.setuptools.package-data] {name!r} in pyproject.toml")


def test_the_editable_install_finds_the_checkouts_templates():
    from reportkit.resources import editable_source, templates_dir
    from reportkit.style.themes import default_templates_dir

    assert templates_dir() == default_templates_dir()
    assert templates_dir().resolve() == (ROOT / "templates").resolve()
    assert (templates_dir() / "report" / "base.html.j2").is_file()
    assert editable_source() == ROOT


# --------------------------------------------------------------------------- the wheel, installed


def _run(cmd: list[str | Path], *, timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, check=False, **kw)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
        f"\n--- stderr\n{proc.stderr[-6000:]}")
    return proc


def _build_requirements_met() -> str | None:
    """Why ``--no-build-isolation`` cannot build here (the venv's build backend is too old), or None."""
    from packaging.requirements import Requirement

    for line in PYPROJECT["build-system"]["requires"]:
        req = Requirement(line)
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return f"{req.name} is not installed in {sys.prefix}; the wheel build needs {req}"
        if not req.specifier.contains(have, prereleases=True):
            return (f"{sys.prefix} has {req.name} {have}, the wheel build needs {req} "
                    f"(pyproject [build-system]); install it: {sys.executable} -m pip install '{req}'")
    return None


def _files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and not any(fnmatch.fnmatch(part, pat) for part in p.relative_to(folder).parts
                                       for pat in NOT_SOURCES)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel of the checkout, installed in a fresh venv with the ``reportkit`` kernel."""
    reason = _build_requirements_met()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.resolve().is_relative_to(ROOT)
    started = time.perf_counter()

    # build from a copy: nothing is written into the checkout (setuptools' build/ and egg-info)
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp / "dist"], timeout=300)
    (wheel,) = (tmp / "dist").glob("reportkit-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], timeout=120)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     timeout=60).stdout.strip())
    deps = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (site / "_reportkit_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    (site / "_reportkit_test_audit.py").write_text(AUDIT_MODULE, encoding="utf-8")
    (site / "_reportkit_test_audit.pth").write_text("import _reportkit_test_audit\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel],
         timeout=300)

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "VIRTUAL_ENV", "REPORTKIT_PROJECT")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),  # no user-level kernelspec may stand in
        MPLBACKEND="Agg",
        RK_AUDIT_ROOT=str(ROOT),
        RK_AUDIT_ALLOWED=os.pathsep.join(deps),  # the dependencies, lent by the project venv
        RK_AUDIT_LOG=str(tmp / "audit.log"),
    )
    _run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "reportkit",
          "--display-name", "Python (reportkit, from the wheel)"], timeout=120, env=env, cwd=tmp)
    return {"tmp": tmp, "src": src, "wheel": wheel, "venv": venv, "python": python, "site": site,
            "env": env, "seconds": time.perf_counter() - started}


@pytest.mark.slow
@pytest.mark.e2e
def test_the_wheel_holds_the_package_the_templates_and_the_catalogue(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    src = installed["src"]
    expected = {f"reportkit/{f}" for f in _files_under(src / "reportkit")}
    expected |= {f"reportkit/templates/{f}" for f in _files_under(src / "templates")}
    assert expected - names == set(), f"missing from the wheel: {sorted(expected - names)[:20]}"
    assert {"reportkit/catalogue/zh.yaml", "reportkit/templates/report/base.html.j2",
            "reportkit/templates/themes/default/theme.yaml"} <= names
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


@pytest.mark.slow
@pytest.mark.e2e
def test_installed_reportkit_builds_the_report_outside_the_checkout(installed):
    tmp, env, python = installed["tmp"], installed["env"], installed["python"]

    # the installed package, its templates, its catalogue and its kernel: none from the checkout
    probe = _run([python, "-c", (
        "import json, reportkit, reportkit.i18n as i, reportkit.resources as r\n"
        "from jupyter_client.kernelspec import KernelSpecManager\n"
        "print(json.dumps({'package': reportkit.__file__, 'templates': str(r.templates_dir()),"
        " 'catalogue': str(i.CATALOGUE_DIR), 'editable': str(r.editable_source()),"
        " 'kernel': KernelSpecManager().get_kernel_spec('reportkit').argv[0]}))")],
        timeout=120, env=env, cwd=tmp).stdout
    where = json.loads(probe.strip().splitlines()[-1])
    site = installed["site"].resolve()
    for key in ("package", "templates", "catalogue"):
        path = Path(where[key]).resolve()
        assert path.is_relative_to(site) and not path.is_relative_to(ROOT), (key, where)
    assert where["editable"] == "None", where
    assert Path(where["kernel"]) == python, where

    # the installed copy of the CSS gets a marker: the HTML must carry it
    css = Path(where["templates"]) / "report" / "report.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\n{MARKER}\n", encoding="utf-8")

    # the user's project: a spec, the notebooks and the data; no templates/, no reportkit/
    project = tmp / "project"
    (project / "reports").mkdir(parents=True)
    shutil.copy2(ROOT / SPEC, project / SPEC)
    shutil.copytree(ROOT / "notebooks", project / "notebooks", ignore=shutil.ignore_patterns(*NOT_SOURCES))
    shutil.copytree(ROOT / "data", project / "data", ignore=shutil.ignore_patterns(*NOT_SOURCES))
    assert not (project / "templates").exists() and not (project / "reportkit").exists()

    started = time.perf_counter()
    proc = _run([installed["venv"] / "bin" / "reportkit", "build", SPEC, "--out", project / "out"],
                timeout=900, env=env, cwd=project)
    seconds = time.perf_counter() - started

    out = project / "out"
    assert (out / "report.html").is_file() and (out / "report.pdf").is_file(), proc.stdout
    assert (out / "report.pdf").stat().st_size > 10_000
    html = (out / "report.html").read_text(encoding="utf-8")
    assert MARKER in html  # the CSS came from the wheel's templates
    assert '<meta name="generator" content="reportkit' in html and "theme-default" in html
    assert "中国电子商务行业发展报告" in html and "--rk-accent: #0f4c81" in html

    log = tmp / "audit.log"
    read = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    assert not read, "the installed reportkit read the checkout:\n" + "\n".join(read[:30])
    print(f"wheel + venv + kernel: {installed['seconds']:.1f} s; reportkit build: {seconds:.1f} s")
