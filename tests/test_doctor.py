"""reportkit doctor: passes on this machine, names the problem and its fix when something is missing."""

from __future__ import annotations

import os
import time

import pytest

from reportkit import doctor, execute
from reportkit.analysis import plots
from reportkit.doctor import Check, exit_code, format_report, run_checks


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


@pytest.fixture(scope="module")
def healthy() -> tuple[list[Check], float]:
    started = time.perf_counter()
    checks = run_checks()
    return checks, time.perf_counter() - started


def test_this_machine_passes(healthy):
    checks, seconds = healthy
    failed = [c for c in checks if c.required and not c.ok]
    assert not failed, format_report(checks)
    assert exit_code(checks) == 0
    names = set(by_name(checks))
    assert {"python", "packages", "kernelspec 'reportkit'", "CJK font (matplotlib)", "CJK font (PDF engine)",
            "WeasyPrint", "build folder"} <= names
    assert seconds < 5, f"run_checks took {seconds:.1f} s"


def test_report_has_one_line_per_check_and_marks(healthy):
    checks, _ = healthy
    report = format_report(checks)
    assert report.count("✓") == sum(c.ok for c in checks)
    head_lines = [line for line in report.splitlines() if not line.startswith("    fix:")]
    assert len(head_lines) == len(checks)
    failed = [Check("a", False, "broken", "do this"), Check("b", False, "absent", "maybe", required=False),
              Check("c", True, "fine")]
    assert format_report(failed).splitlines() == [
        "✗ a: broken", "    fix: do this", "– b: absent", "    fix: maybe", "✓ c: fine",
    ]


def test_missing_kernelspec_fails_naming_kernel_and_fix(monkeypatch):
    checks = run_checks(kernel_name="no-such-kernel")
    kernel = by_name(checks)["kernelspec 'no-such-kernel'"]
    assert not kernel.ok and kernel.required
    assert "no-such-kernel" in kernel.detail
    assert "ipykernel install --sys-prefix --name no-such-kernel" in kernel.fix
    assert exit_code(checks) == 1

    monkeypatch.setattr(execute, "kernel_available", lambda name: False)
    check = doctor.check_kernelspec("reportkit")
    assert not check.ok and "'reportkit'" in check.detail and "make setup" in check.fix
    assert "✗ kernelspec 'reportkit'" in format_report([check])


def test_kernelspec_with_missing_python_fails(monkeypatch, tmp_path):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    spec = KernelSpec(argv=[str(tmp_path / "gone" / "python"), "-m", "ipykernel_launcher"],
                      display_name="x", language="python", resource_dir=str(tmp_path))
    monkeypatch.setattr(execute, "kernel_available", lambda name: True)
    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", lambda self, name: spec)
    check = doctor.check_kernelspec("reportkit")
    assert not check.ok and "does not exist" in check.detail and "ipykernel install" in check.fix


def test_no_cjk_font_fails_with_fix(monkeypatch):
    monkeypatch.setattr(plots, "cjk_font_files", lambda family=plots.CJK_FAMILY: [])
    monkeypatch.setattr(doctor, "_fontconfig_zh_families", lambda: [])
    checks = by_name(run_checks())
    for name in ("CJK font (matplotlib)", "CJK font (PDF engine)"):
        c = checks[name]
        assert not c.ok and c.required, c
        assert "fonts-noto-cjk" in c.fix and "make fonts" in c.fix
    assert exit_code(list(checks.values())) == 1


def test_pdf_font_needs_the_report_family(monkeypatch):
    monkeypatch.setattr(doctor, "_fontconfig_zh_families", lambda: ["AR PL UMing CN"])
    c = doctor.check_pdf_font()
    assert not c.ok and "Noto Sans CJK SC" in c.detail and "AR PL UMing CN" in c.detail


def test_optional_checks_never_change_exit_code(monkeypatch, tmp_path, healthy):
    checks, _ = healthy
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", str(tmp_path / "absent.toml"))
    s3 = doctor.check_s3_credentials()
    assert not s3.ok and not s3.required
    dask = Check("Dask (optional)", False, "`distributed` is not importable", "pip", required=False)
    required = [c for c in checks if c.required]
    assert exit_code(required + [s3, dask]) == 0
    assert "– S3 credentials (optional)" in format_report([s3])
    # a broken config file is reported, still optional
    (tmp_path / "bad.toml").write_text("[s3\nkey = ", encoding="utf-8")
    monkeypatch.setenv("REPORTKIT_STORAGE_CONFIG", str(tmp_path / "bad.toml"))
    bad = doctor.check_s3_credentials()
    assert not bad.ok and not bad.required and "bad.toml" in bad.detail


def test_s3_credentials_never_printed(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSECRETKEYID123")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value-456")
    c = doctor.check_s3_credentials()
    assert c.ok and not c.required
    text = format_report([c]) + repr(c)
    assert "AKIDSECRETKEYID123" not in text and "very-secret-value-456" not in text


def test_unwritable_build_folder_fails_with_fix(tmp_path):
    (tmp_path / "build").write_text("not a folder", encoding="utf-8")  # chmod does not stop root
    c = doctor.check_build_dir(tmp_path)
    assert not c.ok and c.required and str(tmp_path / "build") in c.detail and c.fix
    checks = run_checks(project_root=tmp_path)
    assert not by_name(checks)["build folder"].ok
    assert exit_code(checks) == 1


def test_build_folder_is_created_and_left_clean(tmp_path):
    c = doctor.check_build_dir(tmp_path)
    assert c.ok
    assert (tmp_path / "build").is_dir() and os.listdir(tmp_path / "build") == []


def test_a_check_that_raises_becomes_a_failed_check(monkeypatch):
    def boom() -> Check:
        raise RuntimeError("fc-list exploded")

    monkeypatch.setattr(doctor, "check_pdf_font", boom)
    checks = by_name(run_checks())
    c = checks["CJK font (PDF engine)"]
    assert not c.ok and "fc-list exploded" in c.detail
    assert exit_code(list(checks.values())) == 1


def test_weasyprint_missing_library_names_debian_packages(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kw):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0.so.0: cannot open shared object file")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    c = doctor.check_weasyprint()
    assert not c.ok and "libpango-1.0" in c.detail
    assert "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in c.fix


def test_package_pin_mismatch_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pandas~=1.0", "Jinja2~=3.1"]\n', encoding="utf-8")
    c = doctor.check_packages(tmp_path)
    assert not c.ok and "pandas" in c.detail and "~=1.0" in c.detail and "jinja2" not in c.detail.lower()
    assert "make setup" in c.fix


def test_cli_doctor_exit_codes():
    from typer.testing import CliRunner

    from reportkit.cli import app

    ok = CliRunner().invoke(app, ["doctor"])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["doctor", "--kernel", "no-such-kernel"])
    assert bad.exit_code == 1 and "no-such-kernel" in bad.output and "ipykernel install" in bad.output


def test_packages_are_checked_against_the_checkout_of_an_editable_install(tmp_path):
    """Run outside the project (no pyproject.toml there): the editable install's checkout has one."""
    from reportkit.resources import editable_source

    checkout = editable_source()
    assert checkout is not None and (checkout / "reportkit").is_dir()
    c = doctor.check_packages(project_root=tmp_path)
    assert c.ok and str(checkout / "pyproject.toml") in c.detail, c


def test_packages_check_installed_from_a_wheel_has_no_pyproject(monkeypatch, tmp_path):
    """Installed from a wheel there is no checkout: the pins are not checked, and that is no failure."""
    from reportkit import resources

    monkeypatch.setattr(resources, "editable_source", lambda: None)
    c = doctor.check_packages(project_root=tmp_path)
    assert c.ok and "no pyproject.toml found" in c.detail, c
