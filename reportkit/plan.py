"""Turn a validated spec into a plan: one run per section, parameters checked, keys computed.

Everything that can be wrong with a spec or its parameters is found here, before a kernel starts.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .errors import ReportKitError, SpecError
from .hashing import file_sha256
from .i18n import check_language
from .params import NotebookParameters, read_parameters, validate_parameters
from .provenance import (
    environment_lock,
    notebook_code_hash,
    notebook_narrative_hash,
    package_source_hash,
    package_versions,
    run_key,
)
from .spec import ReportSpec, SectionSpec

#: A notebook parameter with this name receives the report's language.
LANGUAGE_PARAMETER = "lang"
#: A notebook parameter with this name receives the report's theme (figure palette and fonts).
THEME_PARAMETER = "theme"


@dataclass(frozen=True)
class PlannedRun:
    section: str
    notebook: Path
    parameters: dict[str, Any]
    run_key: str
    inputs: dict[str, str]  # data file (as named) → sha256, every file that went into the key
    secret: tuple[str, ...] = ()  # parameters marked secret: their values are never written anywhere
    narrative: str = ""  # hash of the notebook's markdown cells: not in run_key, in the build key

    @property
    def public_parameters(self) -> dict[str, Any]:
        """The parameters as manifests and reports show them (secret values redacted)."""
        from .secrets import redact

        return redact(self.parameters, self.secret)


@dataclass(frozen=True)
class Plan:
    spec: ReportSpec
    lang: str
    runs: tuple[PlannedRun, ...]
    data_hashes: dict[str, str]
    environment: dict[str, str]
    theme: str = "default"


def notebook_path(spec: ReportSpec, section: SectionSpec) -> Path:
    """The section's notebook file; a SpecError naming the section if it does not exist."""
    path = spec.resolve(section.notebook)
    if not path.is_file():
        raise SpecError(
            f"section {section.id!r}: notebook {section.notebook!r} does not exist (looked at {path})",
            path=spec.source_path,
        )
    return path


# A batch plans every row from the same notebooks and data files: what is read from a file is kept
# for the process, under the file's identity and state (device, inode, size, modification time in
# ns), so an edited or replaced file is read again and an unchanged one once.
_FILE_FACTS: dict[tuple[str, str, int, int, int, int], Any] = {}
_FACTS_LOCK = threading.Lock()


def _from_file(kind: str, path: Path, read: Any) -> Any:
    st = os.stat(path)
    key = (kind, str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _FACTS_LOCK:
        if key in _FILE_FACTS:
            return _FILE_FACTS[key]
    value = read(path)
    with _FACTS_LOCK:
        if len(_FILE_FACTS) > 4096:  # a long-lived process (a preview session) that saw many versions
            _FILE_FACTS.clear()
        _FILE_FACTS[key] = value
    return value


def content_hash(path: Path) -> str:
    """SHA-256 of a file's content (read once per process while the file is unchanged)."""
    digest: str = _from_file("sha256", path, file_sha256)
    return digest


def _read_notebook(path: Path) -> tuple[NotebookParameters, str, str]:
    nb = nbformat.read(path, as_version=4)
    return read_parameters(path), notebook_code_hash(nb), notebook_narrative_hash(nb)


def notebook_facts(path: Path) -> tuple[NotebookParameters, str, str]:
    """A notebook's declared parameters, code hash and narrative hash (read once per process while
    the file is unchanged)."""
    facts: tuple[NotebookParameters, str, str] = _from_file("notebook", path, _read_notebook)
    return facts


def data_hashes(spec: ReportSpec) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for src in spec.data:
        path = spec.resolve(src.path)
        if not path.is_file():
            raise SpecError(
                f"data source {src.path!r} does not exist (looked at {path}); expected a file the report reads",
                path=spec.source_path,
            )
        hashes[src.path] = content_hash(path)
    return hashes


def parameter_files(spec: ReportSpec, values: dict[str, Any]) -> dict[str, str]:
    """Hashes of the files that string parameters name (relative to the project), e.g. a
    notebook's ``panel_path``, so that editing such a file changes the run key."""
    hashes: dict[str, str] = {}
    for value in values.values():
        if isinstance(value, str) and value.strip() and len(value) < 1024:
            path = spec.resolve(value)
            if path.is_file():
                hashes[value] = content_hash(path)
    return hashes


def make_plan(spec: ReportSpec, *, lang: str | None = None, theme: str | None = None) -> Plan:
    """One run per section. Notebooks that declare ``lang`` / ``theme`` parameters receive the
    report's language and theme (``theme`` overrides ``spec.theme``)."""
    lang = lang or spec.language
    theme = theme or spec.theme
    try:
        check_language(lang)
    except ReportKitError as exc:
        raise SpecError(str(exc).removeprefix("lang: "), path=spec.source_path) from exc
    hashes = data_hashes(spec)
    environment = package_versions()
    environment["reportkit_source"] = package_source_hash()[:16]
    environment["packages_lock"] = environment_lock()[:16]
    runs: list[PlannedRun] = []
    for section in spec.sections:
        nb_path = notebook_path(spec, section)
        declared, code_hash, narrative_hash = notebook_facts(nb_path)
        values = dict(section.parameters)
        if declared.get(LANGUAGE_PARAMETER) is not None:
            values[LANGUAGE_PARAMETER] = lang
        if declared.get(THEME_PARAMETER) is not None:
            values[THEME_PARAMETER] = theme
        params = validate_parameters(declared, values, source=f"{spec.source_path} (section {section.id!r})")
        inputs = {**hashes, **parameter_files(spec, declared.defaults() | params)}
        key = run_key(code_hash=code_hash, parameters=params, data_hashes=inputs, environment=environment)
        runs.append(PlannedRun(section.id, nb_path, params, key, inputs, declared.secret(), narrative_hash))
    return Plan(spec, lang, tuple(runs), hashes, environment, theme)
