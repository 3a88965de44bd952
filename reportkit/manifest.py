"""A build's provenance as frozen objects: what ran, on which data, in which environment, what came out.

:class:`Manifest` is made from the plan and the section runs (:meth:`Manifest.from_runs`) before
anything is rendered, and completed with the outputs once they are written
(:meth:`Manifest.with_outputs`, a modified copy: the first object does not change).
``build/<report>/manifest.json`` is its :meth:`~Manifest.to_json`; :meth:`Manifest.from_json`
reads one back exactly (``from_json(m.to_json()) == m``) and refuses a malformed file, or one an
older reportkit wrote, with a :class:`~reportkit.errors.ManifestError` naming the file and the key.

:class:`BuildInfo` is the part the report's appendix shows (generated, commit, spec, each section's
notebook, parameters and run key, data hashes, environment). A build takes it from its manifest
(:attr:`Manifest.build_info`); a mapping with the same keys is checked once, when it is made
(:meth:`BuildInfo.from_mapping`), so the renderer reads typed attributes only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ManifestError, ReportKitError
from .hashing import file_sha256
from .record import Metric

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Plan
    from .section_run import SectionRun

#: the keys of build_info (what the appendix shows), as render_html has always taken them
BUILD_INFO_KEYS = ("generated", "commit", "reportkit_version", "spec_path", "sections", "data", "environment")
SECTION_INFO_KEYS = ("notebook", "parameters", "run_key")


@dataclass(frozen=True)
class GitState:
    """The project's commit and whether its work tree had uncommitted changes (None: unknown)."""

    commit: str
    dirty: bool | None = None

    def describe(self) -> str:
        return self.commit + (" (uncommitted changes)" if self.dirty else "")


@dataclass(frozen=True)
class DataFile:
    """An input data file of the report with its SHA-256 (and, in a manifest, its citation)."""

    path: str
    sha256: str
    source: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class MetricEntry:
    """A metric a section recorded, as the manifest keeps it."""

    value: Any
    unit: str = ""
    label: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    decimals: int | None = None  # as recorded: the report (and the client's page) show this many


@dataclass(frozen=True)
class SectionInfo:
    """What the appendix shows of one section's run: its notebook, parameters and run key."""

    notebook: str
    parameters: dict[str, Any]
    run_key: str


@dataclass(frozen=True)
class SectionEntry:
    """One section's run in a manifest (parameters with secret values redacted)."""

    id: str
    notebook: str
    executed_notebook: str  # relative to the build folder
    parameters: dict[str, Any]
    run_key: str
    reused_from_cache: bool
    inputs: dict[str, str]  # data file → sha256, every file that went into the run key
    metrics: dict[str, MetricEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputFile:
    """A file of the build (relative to its folder) with its size and SHA-256."""

    path: str
    bytes: int
    sha256: str

    @classmethod
    def of(cls, path: Path, root: Path) -> OutputFile:
        return cls(os.path.relpath(path, root), path.stat().st_size, file_sha256(path))


@dataclass(frozen=True)
class BuildInfo:
    """The provenance a report's appendix shows; known before anything is rendered."""

    generated: str
    commit: str  # with " (uncommitted changes)" when the work tree was dirty
    reportkit_version: str
    spec_path: str
    sections: dict[str, SectionInfo]
    data: tuple[DataFile, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, info: BuildInfo | Mapping[str, Any], *, error: type[ReportKitError] = ManifestError) -> BuildInfo:
        """A BuildInfo from a mapping with :data:`BUILD_INFO_KEYS`; ``error`` for a missing key or a
        value of the wrong shape (the renderer passes RenderError)."""
        if isinstance(info, BuildInfo):
            return info
        absent = [k for k in BUILD_INFO_KEYS if k not in info]
        if absent:
            raise error(f"build_info lacks {', '.join(absent)}; expected keys {', '.join(BUILD_INFO_KEYS)}")
        sections = info["sections"]
        if not isinstance(sections, Mapping):
            raise error(f"build_info['sections'] must map section ids to {', '.join(SECTION_INFO_KEYS)}; "
                        f"got {sections!r}")
        for sid, entry in sections.items():
            if not isinstance(entry, Mapping) or any(k not in entry for k in SECTION_INFO_KEYS):
                raise error(f"build_info['sections'][{sid!r}] must be a mapping with {', '.join(SECTION_INFO_KEYS)}; "
                            f"got {entry!r}")
        data = info["data"]
        if isinstance(data, (str, bytes, Mapping)) or not all(
                isinstance(d, Mapping) and "path" in d and "sha256" in d for d in data):
            raise error(f"build_info['data'] must be a list of {{path, sha256}} mappings; got {data!r}")
        if not isinstance(info["environment"], Mapping):
            raise error(f"build_info['environment'] must map package names to versions; got {info['environment']!r}")
        return cls(
            generated=str(info["generated"]), commit=str(info["commit"]),
            reportkit_version=str(info["reportkit_version"]), spec_path=str(info["spec_path"]),
            sections={str(sid): SectionInfo(str(e["notebook"]), dict(e["parameters"]), str(e["run_key"]))
                      for sid, e in sections.items()},
            data=tuple(DataFile(str(d["path"]), str(d["sha256"])) for d in data),
            environment={str(k): str(v) for k, v in info["environment"].items()},
        )


@dataclass(frozen=True)
class Manifest:
    """Everything a build records about itself; ``manifest.json`` is :meth:`to_json`."""

    report: str
    title: str
    language: str
    theme: str
    edition: str
    spec: str  # the spec file, relative to the project
    generated: str
    git: GitState
    reportkit_version: str
    environment: dict[str, str]
    data: tuple[DataFile, ...]
    sections: tuple[SectionEntry, ...]
    build_key: str
    outputs: dict[str, str] = field(default_factory=dict)  # kind → path relative to the build folder
    files: tuple[OutputFile, ...] = ()  # every file of the build, with size and hash
    pdf_pages: int | None = None
    timings_seconds: dict[str, float] = field(default_factory=dict)
    summary: tuple[str, ...] = ()  # the spec's key figures ("section.metric"), as the executive summary shows them
    release_notes: str | None = None  # the spec's release notes in the build's language (the client's page)
    spec_language: str | None = None  # the spec's own language (None: a build from before this field)

    # ------------------------------------------------------------------ making
    @classmethod
    def from_runs(cls, plan: Plan, runs: Mapping[str, SectionRun], *, out_dir: Path, edition: str, generated: str,
                  git: GitState, build_key: str, version: str) -> Manifest:
        """The manifest of a build before its outputs exist: from the plan and each section's run
        (``runs``: section id → :class:`~reportkit.section_run.SectionRun`)."""
        spec = plan.spec
        sections = []
        for r in plan.runs:
            run = runs[r.section]
            sections.append(SectionEntry(
                id=r.section, notebook=run.notebook, executed_notebook=os.path.relpath(run.output, out_dir),
                parameters=r.public_parameters, run_key=r.run_key, reused_from_cache=run.reused,
                inputs=dict(r.inputs),
                metrics={m.name: MetricEntry(m.value, m.unit, m.label, m.ci_low, m.ci_high, m.decimals)
                         for m in run.results.of_kind("metric") if isinstance(m, Metric)},
            ))
        return cls(
            report=spec.id, title=spec.title.get(plan.lang), language=plan.lang, theme=plan.theme, edition=edition,
            spec=os.path.relpath(spec.source_path, spec.root) if spec.source_path else "",
            generated=generated, git=git, reportkit_version=version, environment=dict(plan.environment),
            data=tuple(DataFile(src.path, plan.data_hashes[src.path], src.source.get(plan.lang), src.licence)
                       for src in spec.data),
            sections=tuple(sections), build_key=build_key, summary=tuple(spec.summary),
            release_notes=spec.release_notes.get(plan.lang) if spec.release_notes else None,
            spec_language=spec.language,
        )

    def with_outputs(self, outputs: Mapping[str, Path], out_dir: Path, *, pdf_pages: int | None,
                     timings: Mapping[str, float]) -> Manifest:
        """A copy with the written outputs (kind → path), every file's size and hash (the outputs,
        then the executed notebooks), the PDF's page count and the timings."""
        paths = [*outputs.values(), *(out_dir / s.executed_notebook for s in self.sections)]
        return replace(self, outputs={k: os.path.relpath(v, out_dir) for k, v in outputs.items()},
                       files=tuple(OutputFile.of(p, out_dir) for p in paths), pdf_pages=pdf_pages,
                       timings_seconds=dict(timings))

    # ------------------------------------------------------------------ reading
    @property
    def release_folder(self) -> str:
        """The folder of this build's releases under a client: the report id for the spec's own
        language, ``<report>-<language>`` for another (as :func:`reportkit.build.default_out_dir`
        names build folders), so that each language edition has its own versions and latest
        pointer. A build from before ``spec_language`` was recorded: the report id."""
        if self.spec_language is None or self.language == self.spec_language:
            return self.report
        return f"{self.report}-{self.language}"

    @property
    def build_info(self) -> BuildInfo:
        """What the report's appendix shows."""
        return BuildInfo(
            generated=self.generated, commit=self.git.describe(), reportkit_version=self.reportkit_version,
            spec_path=self.spec,
            sections={s.id: SectionInfo(s.notebook, s.parameters, s.run_key) for s in self.sections},
            data=tuple(DataFile(d.path, d.sha256) for d in self.data), environment=dict(self.environment),
        )

    def section(self, section_id: str) -> SectionEntry:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise ManifestError(f"report {self.report!r} has no section {section_id!r}; it has: "
                            f"{', '.join(s.id for s in self.sections)}", key="sections")

    @property
    def reused(self) -> tuple[str, ...]:
        """Sections whose run came from the run cache."""
        return tuple(s.id for s in self.sections if s.reused_from_cache)

    @property
    def executed(self) -> tuple[str, ...]:
        """Sections executed by this build."""
        return tuple(s.id for s in self.sections if not s.reused_from_cache)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``manifest.json`` (plain dicts and lists, keys in the file's order)."""
        return {
            "report": self.report, "title": self.title, "language": self.language, "theme": self.theme,
            "edition": self.edition, "spec": self.spec, "generated": self.generated,
            "git": {"commit": self.git.commit, "dirty": self.git.dirty},
            "reportkit_version": self.reportkit_version, "environment": dict(self.environment),
            "data": [{"path": d.path, "sha256": d.sha256, "source": d.source, "licence": d.licence} for d in self.data],
            "sections": [
                {"id": s.id, "notebook": s.notebook, "executed_notebook": s.executed_notebook,
                 "parameters": dict(s.parameters), "run_key": s.run_key, "reused_from_cache": s.reused_from_cache,
                 "inputs": dict(s.inputs),
                 "metrics": {name: {"value": m.value, "unit": m.unit, "label": m.label, "ci_low": m.ci_low,
                                    "ci_high": m.ci_high, "decimals": m.decimals} for name, m in s.metrics.items()}}
                for s in self.sections
            ],
            "outputs": dict(self.outputs),
            "files": {f.path: {"bytes": f.bytes, "sha256": f.sha256} for f in self.files},
            "build_key": self.build_key,
            "pdf_pages": self.pdf_pages,
            "timings_seconds": dict(self.timings_seconds),
            "summary": list(self.summary),
            "release_notes": self.release_notes,
            "spec_language": self.spec_language,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

    @classmethod
    def from_json(cls, text: str | bytes, *, path: str | Path | None = None) -> Manifest:
        """Read ``manifest.json`` text (``path``: the file, for errors). Raises ManifestError naming
        the file and the key when the JSON is malformed or lacks a key this version writes."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ManifestError(f"is not valid JSON ({exc}); rebuild the report", path=path) from None
        return _Reader(path).manifest(data)

    @classmethod
    def read(cls, path: str | Path) -> Manifest:
        """Read the manifest file at ``path`` (a ManifestError if it is absent or malformed)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ManifestError("does not exist; expected the manifest.json of a finished build", path=path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"cannot be read ({type(exc).__name__}: {exc})", path=path) from None
        return cls.from_json(text, path=path)


_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))


class _Reader:
    """Checks a manifest's JSON key by key, once, naming the file and the dotted key at fault."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ManifestError:
        return ManifestError(f"{problem} at key {key!r}; the manifest is malformed or was written by an older "
                             "reportkit: rebuild the report", path=self.path, key=key)

    def get(self, obj: Any, name: str, where: str, types: type | tuple[type, ...]) -> Any:
        key = f"{where}.{name}" if where else name
        if not isinstance(obj, dict):
            raise self.fail(where or "(top level)", f"expected an object, got {type(obj).__name__}")
        if name not in obj:
            raise self.fail(key, "missing")
        value = obj[name]
        allowed = _tuple(types)
        if not isinstance(value, allowed) or (isinstance(value, bool) and int in allowed and bool not in allowed):
            names = "/".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise self.fail(key, f"expected {names}, got {type(value).__name__}")
        return value

    def manifest(self, data: Any) -> Manifest:
        get = self.get
        git = get(data, "git", "", dict)
        env = get(data, "environment", "", dict)
        timings = get(data, "timings_seconds", "", dict)
        for k, v in timings.items():
            if isinstance(v, bool) or not isinstance(v, _NUMBER):
                raise self.fail(f"timings_seconds.{k}", f"expected a number, got {type(v).__name__}")
        outputs = get(data, "outputs", "", dict)
        for k, v in outputs.items():
            if not isinstance(v, str):
                raise self.fail(f"outputs.{k}", f"expected str, got {type(v).__name__}")
        files = get(data, "files", "", dict)
        return Manifest(
            report=get(data, "report", "", str), title=get(data, "title", "", str),
            language=get(data, "language", "", str), theme=get(data, "theme", "", str),
            edition=get(data, "edition", "", str), spec=get(data, "spec", "", str),
            generated=get(data, "generated", "", str),
            git=GitState(get(git, "commit", "git", str), get(git, "dirty", "git", (bool, type(None)))),
            reportkit_version=get(data, "reportkit_version", "", str),
            environment={str(k): v for k, v in env.items()},
            data=tuple(self.data_file(d, f"data[{i}]") for i, d in enumerate(get(data, "data", "", list))),
            sections=tuple(self.section(s, f"sections[{i}]") for i, s in enumerate(get(data, "sections", "", list))),
            build_key=get(data, "build_key", "", str),
            outputs=dict(outputs),
            files=tuple(OutputFile(name, get(meta, "bytes", f"files.{name}", int), get(meta, "sha256", f"files.{name}", str))
                        for name, meta in files.items()),
            pdf_pages=get(data, "pdf_pages", "", (int, type(None))),
            timings_seconds=dict(timings),
            # added later: optional, so that a build from before them can still be published
            summary=tuple(self.strings(get(data, "summary", "", list), "summary")) if "summary" in data else (),
            release_notes=get(data, "release_notes", "", (str, type(None))) if "release_notes" in data else None,
            spec_language=get(data, "spec_language", "", (str, type(None))) if "spec_language" in data else None,
        )

    def data_file(self, d: Any, where: str) -> DataFile:
        opt = (str, type(None))
        return DataFile(self.get(d, "path", where, str), self.get(d, "sha256", where, str),
                        self.get(d, "source", where, opt), self.get(d, "licence", where, opt))

    def section(self, s: Any, where: str) -> SectionEntry:
        get = self.get
        metrics = get(s, "metrics", where, dict)
        return SectionEntry(
            id=get(s, "id", where, str), notebook=get(s, "notebook", where, str),
            executed_notebook=get(s, "executed_notebook", where, str),
            parameters=get(s, "parameters", where, dict), run_key=get(s, "run_key", where, str),
            reused_from_cache=get(s, "reused_from_cache", where, bool), inputs=get(s, "inputs", where, dict),
            metrics={name: MetricEntry(get(m, "value", f"{where}.metrics.{name}", object),
                                       get(m, "unit", f"{where}.metrics.{name}", str),
                                       get(m, "label", f"{where}.metrics.{name}", str),
                                       get(m, "ci_low", f"{where}.metrics.{name}", _OPTIONAL_NUMBER),
                                       get(m, "ci_high", f"{where}.metrics.{name}", _OPTIONAL_NUMBER),
                                       get(m, "decimals", f"{where}.metrics.{name}", (int, type(None)))
                                       if isinstance(m, dict) and "decimals" in m else None)
                     for name, m in metrics.items()},
        )

    def strings(self, values: list[Any], key: str) -> list[str]:
        """``values`` if every one is a string (else the error names ``key[i]``)."""
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise self.fail(f"{key}[{i}]", f"expected str, got {type(v).__name__}")
        return values


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)
