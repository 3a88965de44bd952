"""Turn a validated spec into a plan: one run per section, parameters checked, keys computed.

Everything that can be wrong with a spec or its parameters is found here, before a kernel starts.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ReportKitError, SpecError
from .hashing import file_sha256
from .i18n import check_language, run_language
from .notebook_file import read_notebook
from .params import NotebookParameters, parameters_of, validate_parameters
from .provenance import (
    environment_lock,
    notebook_code_hash,
    notebook_narrative_hash,
    package_source_hash,
    package_versions,
    run_key,
)
from .spec import ReportSpec, SectionSpec
from .storage import is_url

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
    nb = read_notebook(path)  # JSON, without nbformat: a batch whose rows are current never imports it
    return parameters_of(nb, path), notebook_code_hash(nb), notebook_narrative_hash(nb)


def notebook_facts(path: Path) -> tuple[NotebookParameters, str, str]:
    """A notebook's declared parameters, code hash and narrative hash (read once per process while
    the file is unchanged)."""
    facts: tuple[NotebookParameters, str, str] = _from_file("notebook", path, _read_notebook)
    return facts


def metadata_file(path: Path) -> Path:
    """The metadata file a reader looks for beside a data file (same folder and stem, ``.yaml``;
    :mod:`reportkit.data.market`): it changes what the notebook reports, so it is an input too."""
    return path.with_suffix(".yaml")


def _url_hash(url: str, where: str) -> str:
    from .remote_inputs import url_sha256

    try:
        return url_sha256(url)
    except ReportKitError as exc:
        raise SpecError(f"{where}: {exc}") from exc


def data_hashes(spec: ReportSpec) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for src in spec.data:
        if is_url(src.path):
            hashes[src.path] = _url_hash(src.path, f"{spec.source_path}: data source {src.path!r}")
            continue
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
    for name, value in values.items():
        if not (isinstance(value, str) and value.strip() and len(value) < 1024):
            continue
        if is_url(value.strip()):  # an input in object storage: its content, fetched once (reportkit.remote_inputs)
            hashes[value.strip()] = _url_hash(value.strip(), f"{spec.source_path}: parameter {name}")
            continue
        path = spec.resolve(value)
        if path.is_file():
            hashes[value] = content_hash(path)
            beside = metadata_file(path)
            if beside != path and beside.is_file():
                hashes[str(Path(value).with_suffix(".yaml"))] = content_hash(beside)
    return hashes


def theme_file_hash(theme: str) -> str:
    """Content hash of ``themes/<theme>/theme.yaml`` in the report templates, the file whose palette
    and fonts a run's figures are drawn with (:func:`reportkit.analysis.plots.use_theme`): in the
    key of every run that declares ``theme``, so that an edit of the theme runs those sections
    again. "absent" for a theme without that file (the run then fails, naming the themes there are)."""
    from .style.themes import theme_file

    path = theme_file(theme)
    return content_hash(path) if path.is_file() else "absent"


def pinned_env(run: PlannedRun) -> dict[str, str]:
    """What a run's kernel is told about its inputs in object storage: their planned content hashes
    (:data:`reportkit.remote_inputs.PINNED_ENV`), so that it refuses an object replaced since."""
    from .remote_inputs import PINNED_ENV

    urls = {name: sha for name, sha in run.inputs.items() if is_url(name)}
    return {PINNED_ENV: json.dumps(urls, sort_keys=True)} if urls else {}


def run_environment() -> dict[str, str]:
    """What every run key holds of this process's environment: the tracked packages' versions, a
    hash of reportkit's source and one of every installed distribution."""
    environment = package_versions()
    environment["reportkit_source"] = package_source_hash()[:16]
    environment["packages_lock"] = environment_lock()[:16]
    return environment


def check_environment(expected: dict[str, str], where: str) -> None:
    """Refuse to run where the environment differs from the one the plan's keys were made in: a
    run stored under those keys would not be what they say (a worker with other package versions,
    another reportkit). Names what differs."""
    mine = run_environment()
    differs = sorted(k for k in expected.keys() | mine.keys() if expected.get(k) != mine.get(k))
    if differs:
        shown = "; ".join(f"{k}: planned {expected.get(k, 'absent')}, here {mine.get(k, 'absent')}" for k in differs[:6])
        raise ReportKitError(f"{where} has another environment than the coordinator that planned the batch ({shown}); "
                             "install the same packages and reportkit version on every worker (one image for all)")


def make_plan(spec: ReportSpec, *, lang: str | None = None, theme: str | None = None,
              environment: dict[str, str] | None = None) -> Plan:
    """One run per section. Notebooks that declare ``lang`` / ``theme`` parameters receive the
    report's language (for a Traditional Chinese edition, ``zh``: its runs are the Chinese ones,
    converted when rendered) and theme (``theme`` overrides ``spec.theme``). ``environment``:
    :func:`run_environment` when the caller has it already (a batch plans every row with one)."""
    lang = lang or spec.language
    theme = theme or spec.theme
    try:
        check_language(lang)
    except ReportKitError as exc:
        raise SpecError(str(exc).removeprefix("lang: "), path=spec.source_path) from exc
    hashes = data_hashes(spec)
    environment = dict(environment) if environment is not None else run_environment()
    runs: list[PlannedRun] = []
    for section in spec.sections:
        nb_path = notebook_path(spec, section)
        declared, code_hash, narrative_hash = notebook_facts(nb_path)
        values = dict(section.parameters)
        if declared.get(LANGUAGE_PARAMETER) is not None:
            values[LANGUAGE_PARAMETER] = run_language(lang)  # zh-Hant / zh-HK run as zh, converted when rendered
        if declared.get(THEME_PARAMETER) is not None:
            values[THEME_PARAMETER] = theme
        params = validate_parameters(declared, values, source=f"{spec.source_path} (section {section.id!r})")
        inputs = {**hashes, **parameter_files(spec, declared.defaults() | params)}
        themed = declared.get(THEME_PARAMETER) is not None
        key = run_key(code_hash=code_hash, parameters=params, data_hashes=inputs, environment=environment,
                      theme_hash=theme_file_hash(theme) if themed else None)
        runs.append(PlannedRun(section.id, nb_path, params, key, inputs, declared.secret(), narrative_hash))
    return Plan(spec, lang, tuple(runs), hashes, environment, theme)
