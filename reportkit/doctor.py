"""``reportkit doctor``: check that this machine can build reports, and say how to fix what is not.

Each check is a small function returning a :class:`Check`; :func:`run_checks` runs them all (in
well under five seconds: no kernel is started, the kernelspec is only looked up), each catching
its own exceptions. :func:`format_report` renders one line per check (with a ``fix:`` line for
each failure) and :func:`exit_code` is 1 when a *required* check failed, else 0. Optional parts
(Dask's ``distributed``, S3 credentials) never fail the run. Secret values are never printed.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

MIN_PYTHON = (3, 11)
DEFAULT_KERNEL = "reportkit"
#: the font family the report's PDF is set in (templates/themes/default; render.font_checks.REPORT_FONTS)
PDF_CJK_FAMILY = "Noto Sans CJK SC"
#: the Debian packages WeasyPrint loads through cffi
WEASYPRINT_DEBIAN = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

SETUP_FIX = "run `make setup` (or `pip install -e '.[dev]'` inside .venv)"
FONT_FIX = ("run `make fonts` (Debian: `apt-get install fonts-noto-cjk`; macOS: "
            "`brew install --cask font-noto-sans-cjk-sc`), then `fc-cache -f`")


@dataclass(frozen=True)
class Check:
    """The outcome of one check. ``required=False`` checks (optional parts) never fail the run."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


# --------------------------------------------------------------------------- helpers


def _project_root(project_root: Path | None) -> Path:
    if project_root is not None:
        return Path(project_root)
    from .data.paths import project_root as find_root

    return find_root()


def _pyproject(project_root: Path | None) -> Path | None:
    """The project's pyproject.toml: in the project root, else in the checkout of an editable
    install (an install from a wheel has none: the pins are then not checked)."""
    from .resources import editable_source

    candidates = []
    if project_root is not None:
        candidates.append(Path(project_root) / "pyproject.toml")
    checkout = editable_source()
    if checkout is not None:
        candidates.append(checkout / "pyproject.toml")
    for path in candidates:
        if path.is_file():
            return path
    return None


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def _fontconfig_zh_families() -> list[str] | str:
    """Families fontconfig has with Simplified Chinese coverage, or why they cannot be listed."""
    exe = shutil.which("fc-list")
    if exe is None:
        return "fontconfig's fc-list is not installed (WeasyPrint finds fonts through fontconfig)"
    out = subprocess.run([exe, ":lang=zh-cn", "family"], capture_output=True, text=True,
                         timeout=20, check=True).stdout
    families: set[str] = set()
    for line in out.splitlines():
        families.update(f.strip() for f in line.split(",") if f.strip())
    return sorted(families)


def _pdf_fonts(pdf: bytes) -> list[str]:
    """Base font names in a PDF (subset tags removed), read from memory."""
    import io
    import re

    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else {}
        for ref in fonts.values():
            name = str(ref.get_object().get("/BaseFont") or "").lstrip("/")
            if name:
                names.add(re.sub(r"^[A-Z]{6}\+", "", name))
    return sorted(names)


# --------------------------------------------------------------------------- checks


def check_python() -> Check:
    version = platform.python_version()
    ok = sys.version_info[:2] >= MIN_PYTHON
    want = ".".join(map(str, MIN_PYTHON))
    return Check("python", ok, f"Python {version} ({sys.executable}); needs ≥ {want}",
                 "" if ok else f"create .venv with Python ≥ {want}, then {SETUP_FIX}")


def check_packages(project_root: Path | None = None) -> Check:
    """The versions of provenance.TRACKED_PACKAGES against pyproject's ``project.dependencies``."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    from .provenance import TRACKED_PACKAGES

    pyproject = _pyproject(project_root)
    pins: dict[str, Requirement] = {}
    if pyproject is not None:
        deps = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("dependencies", [])
        for dep in deps:
            req = Requirement(dep)
            pins[_canonical(req.name)] = req
    problems, checked = [], 0
    for name in TRACKED_PACKAGES:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} not installed")
            continue
        pin = pins.get(_canonical(name))
        if pin is not None and pin.specifier and not pin.specifier.contains(Version(installed), prereleases=True):
            problems.append(f"{name} {installed} (pinned {pin.specifier})")
        checked += 1
    where = f" against {pyproject}" if pyproject is not None else " (no pyproject.toml found: pins not checked)"
    if problems:
        return Check("packages", False, f"{len(problems)} problem(s){where}: " + "; ".join(problems), SETUP_FIX)
    return Check("packages", True, f"{checked} tracked packages match their pins{where}")


def check_kernelspec(kernel_name: str = DEFAULT_KERNEL) -> Check:
    from . import execute

    name = f"kernelspec {kernel_name!r}"
    fix = (f"run `make setup`, or `python -m ipykernel install --sys-prefix --name {kernel_name}` "
           "with the .venv's python")
    if not execute.kernel_available(kernel_name):
        return Check(name, False, f"the Jupyter kernel {kernel_name!r} is not installed", fix)
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    argv = list(spec.argv or [])
    if not argv:
        return Check(name, False, f"the kernelspec at {spec.resource_dir} has an empty argv", fix)
    exe = argv[0]
    resolved = exe if os.path.isabs(exe) else shutil.which(exe)
    if not resolved or not os.path.isfile(resolved) or not os.access(resolved, os.X_OK):
        return Check(name, False, f"its python {exe!r} (from {spec.resource_dir}) does not exist", fix)
    same = Path(resolved).resolve() == Path(sys.executable).resolve()
    note = "" if same else f"; note: not this interpreter ({sys.executable})"
    return Check(name, True, f"{spec.resource_dir} → {resolved}{note}")


def check_matplotlib_font() -> Check:
    from .analysis import plots

    files = plots.cjk_font_files()
    if not files:
        return Check("CJK font (matplotlib)", False,
                     f"no {plots.CJK_FAMILY} font with Chinese glyphs found; figure labels would be empty boxes",
                     FONT_FIX)
    more = f" (+{len(files) - 1} more)" if len(files) > 1 else ""
    return Check("CJK font (matplotlib)", True, f"{plots.CJK_FAMILY}: {files[0]}{more}")


def check_pdf_font() -> Check:
    """fontconfig (which WeasyPrint uses) must know the report's CJK family for Simplified Chinese."""
    name = "CJK font (PDF engine)"
    families = _fontconfig_zh_families()
    if isinstance(families, str):
        return Check(name, False, families, "install fontconfig (Debian: `apt-get install fontconfig`); " + FONT_FIX)
    if PDF_CJK_FAMILY in families:
        return Check(name, True, f"fontconfig has {PDF_CJK_FAMILY!r} for zh-cn ({len(families)} zh-cn families)")
    if families:
        shown = ", ".join(families[:5]) + (" …" if len(families) > 5 else "")
        detail = f"fontconfig has no {PDF_CJK_FAMILY!r} for zh-cn (only: {shown}); the PDF check expects it"
    else:
        detail = "fontconfig finds no font with Simplified Chinese (fc-list :lang=zh-cn is empty)"
    return Check(name, False, detail, FONT_FIX)


def check_weasyprint() -> Check:
    """Import WeasyPrint (Pango/HarfBuzz via cffi) and render a tiny CJK page to PDF in memory."""
    name = "WeasyPrint"
    lib_fix = f"install WeasyPrint's system libraries (Debian: `apt-get install {WEASYPRINT_DEBIAN}`; macOS: `brew install pango`)"
    try:
        import weasyprint
    except OSError as exc:  # cffi could not load a library: the message names it
        return Check(name, False, f"cannot load a system library: {exc}", lib_fix)
    from .render.pdf import make_url_fetcher

    html = (f"<html><body style=\"font-family: '{PDF_CJK_FAMILY}'\"><p>报告 report</p></body></html>")
    pdf = weasyprint.HTML(string=html, url_fetcher=make_url_fetcher()).write_pdf()
    if not pdf or not pdf.startswith(b"%PDF"):
        return Check(name, False, "rendering a test page produced no PDF", lib_fix)
    fonts = _pdf_fonts(pdf)
    version = getattr(weasyprint, "__version__", "?")
    if not any("CJK" in f.upper() for f in fonts):
        return Check(name, False, f"WeasyPrint {version} renders, but Chinese text embeds no CJK font "
                     f"(embedded: {', '.join(fonts) or 'none'})", FONT_FIX)
    return Check(name, True, f"WeasyPrint {version}: test page with Chinese rendered ({len(pdf)} bytes, "
                 f"fonts: {', '.join(fonts)})")


def check_build_dir(project_root: Path | None = None) -> Check:
    root = _project_root(project_root)
    build = root / "build"
    fix = (f"make {build} a writable folder (e.g. `chown -R $USER {build}` or `chmod u+rwx {build}`; "
           "remove any file of that name)")
    try:
        build.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".doctor.", suffix=".tmp", dir=build)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Check("build folder", False, f"cannot write in {build}: {exc}", fix)
    return Check("build folder", True, f"{build} is writable")


def check_dask() -> Check:
    try:
        import distributed
    except Exception as exc:  # noqa: BLE001 - a broken install fails in many ways; an optional check reports it
        return Check("Dask (optional)", False, f"`distributed` is not importable: {exc}",
                     "only needed for `--executor dask`: `pip install -e .` installs it", required=False)
    return Check("Dask (optional)", True, f"distributed {getattr(distributed, '__version__', '?')}",
                 required=False)


def check_s3_credentials() -> Check:
    """Whether S3 credentials are configured (where they come from, never their values)."""
    from .storage import CONFIG_ENV, DEFAULT_CONFIG, s3_options

    name = "S3 credentials (optional)"
    config = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    fix = ("only needed to publish to s3://: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write "
           f"key/secret under [s3] in {config} (mode 0600)")
    try:
        options = s3_options()
    except Exception as exc:  # noqa: BLE001 - a damaged config file fails in many ways; an optional check reports it
        return Check(name, False, str(exc), fix, required=False)
    if "key" not in options:
        return Check(name, False, "none in the environment or in " + str(config), fix, required=False)
    env = bool(os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"))
    source = "environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)" if env else str(config)
    endpoint = options.get("client_kwargs", {}).get("endpoint_url")
    where = f"; endpoint {endpoint}" if endpoint else ""
    return Check(name, True, f"from {source}{where}", required=False)


# --------------------------------------------------------------------------- running


def _guarded(name: str, fn: Callable[[], Check], *, required: bool = True) -> Check:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every check reports its own failure instead of stopping the run
        return Check(name, False, f"check failed: {type(exc).__name__}: {exc}",
                     "see the error above", required=required)


def run_checks(*, project_root: Path | None = None, kernel_name: str = DEFAULT_KERNEL) -> list[Check]:
    """Run every check, in order; never raises."""
    return [
        _guarded("python", check_python),
        _guarded("packages", lambda: check_packages(project_root)),
        _guarded(f"kernelspec {kernel_name!r}", lambda: check_kernelspec(kernel_name)),
        _guarded("CJK font (matplotlib)", check_matplotlib_font),
        _guarded("CJK font (PDF engine)", check_pdf_font),
        _guarded("WeasyPrint", check_weasyprint),
        _guarded("build folder", lambda: check_build_dir(project_root)),
        _guarded("Dask (optional)", check_dask, required=False),
        _guarded("S3 credentials (optional)", check_s3_credentials, required=False),
    ]


def exit_code(checks: list[Check]) -> int:
    """1 if any required check failed, else 0."""
    return 1 if any(c.required and not c.ok for c in checks) else 0


def format_report(checks: list[Check]) -> str:
    """One line per check (✓ ok, ✗ failed, – optional part missing), and a ``fix:`` line under each failure."""
    lines = []
    for c in checks:
        mark = "✓" if c.ok else ("✗" if c.required else "–")
        lines.append(f"{mark} {c.name}: {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"    fix: {c.fix}")
    return "\n".join(lines)


def main(*, project_root: Path | None = None, kernel_name: str = DEFAULT_KERNEL) -> int:
    """Print the report and return the exit code (for the CLI's ``reportkit doctor``)."""
    started = time.perf_counter()
    checks = run_checks(project_root=project_root, kernel_name=kernel_name)
    print(format_report(checks))
    failed = [c.name for c in checks if c.required and not c.ok]
    summary = f"{len(failed)} problem(s): {', '.join(failed)}" if failed else "all required checks passed"
    print(f"\n{summary} ({time.perf_counter() - started:.1f} s)")
    return exit_code(checks)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
