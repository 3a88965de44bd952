"""Report specs: the YAML file that names a report's title, languages, sections, outputs and data.

A spec is validated (pydantic) into frozen objects before anything runs. Validation errors name
the file and line of the bad value and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import yaml_files
from .errors import SpecError
from .i18n import DEFAULT_LANGUAGE, EDITIONS, Language, TextField

#: xlsx: the data pack, report-data.xlsx (the data behind every figure and table: reportkit.render.data_pack)
OutputFormat = Literal["html", "pdf", "xlsx"]
#: the PDF a build writes: untagged, tagged PDF/UA-1, or archival PDF/A-3a with the data pack
#: embedded (reportkit.render.pdf.PDF_VARIANTS)
PdfVariant = Literal["standard", "accessible", "archival"]
OUTPUT_FORMATS: tuple[str, ...] = ("html", "pdf", "xlsx")

class DataSource(BaseModel):
    """An input data file the report depends on (hashed into the manifest) and its citation."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str
    source: TextField
    licence: str = ""


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    notebook: str
    title: TextField
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"section id {value!r} must be a Python identifier such as 'market'")
        return value


class ReportSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    title: TextField
    subtitle: TextField | None = None
    publisher: TextField | None = None
    client: TextField | None = None  # who the report is for (cover); a client theme may name one too
    confidentiality: TextField | None = None  # footer line of every page; wins over the theme's
    date: str = ""
    language: Language = DEFAULT_LANGUAGE
    theme: str = "default"
    pdf: PdfVariant = "standard"
    outputs: tuple[OutputFormat, ...] = ("html", "pdf", "xlsx")
    sections: tuple[SectionSpec, ...]
    summary: tuple[str, ...] = ()
    data: tuple[DataSource, ...] = ()
    # names from data kept as written in the Traditional Chinese editions (brands, shops, a category
    # the client spells in Simplified characters): not converted by OpenCC (reportkit.hanzi)
    proper_names: tuple[str, ...] = ()
    # what changed in this version, for the client's page (reportkit publish); in the report's languages
    release_notes: TextField | None = None
    # where the spec file is; relative paths in the spec are resolved against `root`
    source_path: str = ""
    root: str = ""

    @field_validator("language", mode="before")
    @classmethod
    def _offered_language(cls, value: Any) -> str:
        if isinstance(value, str) and value in EDITIONS:
            return value
        raise ValueError(f"the languages offered are {', '.join(repr(lang) for lang in EDITIONS)}")

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: tuple[SectionSpec, ...]) -> tuple[SectionSpec, ...]:
        if not value:
            raise ValueError("a report needs at least one section")
        seen: set[str] = set()
        for sec in value:
            if sec.id in seen:
                raise ValueError(f"section id {sec.id!r} is used twice; ids must be unique")
            seen.add(sec.id)
        return value

    @field_validator("summary")
    @classmethod
    def _summary_refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for ref in value:
            if ref.count(".") != 1:
                raise ValueError(f"summary entry {ref!r} must be 'section.metric', e.g. 'market.cagr'")
        return value

    @model_validator(mode="after")
    def _summary_sections_exist(self) -> ReportSpec:
        ids = {s.id for s in self.sections}
        for ref in self.summary:
            sec = ref.split(".", 1)[0]
            if sec not in ids:
                raise ValueError(
                    f"summary entry {ref!r} names section {sec!r}; the sections are {', '.join(sorted(ids))}"
                )
        return self

    def section(self, section_id: str) -> SectionSpec:
        for sec in self.sections:
            if sec.id == section_id:
                return sec
        raise SpecError(f"no section {section_id!r}; the sections are {', '.join(s.id for s in self.sections)}")

    def resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else Path(self.root) / p


# --------------------------------------------------------------------------- loading


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in a YAML document to its 1-based line."""
    lines: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            lines.update(_line_index(value_node, path + (key,)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, path + (i,)))
    return lines


def _closest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def load_spec(path: str | Path, *, root: str | Path | None = None) -> ReportSpec:
    """Read and validate a report spec. Relative paths resolve against ``root`` (default: the
    folder above ``reports/`` if the spec lives there, else the spec's own folder)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("no such report spec file; expected a YAML file such as reports/china-ecommerce-2024.yaml", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml_files.compose(text)
        raw = yaml_files.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path,
                        line=mark.line + 1 if mark else None) from exc
    if not isinstance(raw, dict):
        raise SpecError(f"expected a mapping of report fields at the top level, got {type(raw).__name__}", path=path)
    if root is None:
        parent = path.resolve().parent
        root = parent.parent if parent.name == "reports" else parent
    lines = _line_index(node) if node is not None else {}
    try:
        return ReportSpec.model_validate({**raw, "source_path": str(path), "root": str(Path(root).resolve())})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        got = err.get("input")
        got_s = repr(got) if not isinstance(got, dict) else "a mapping"
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise SpecError(f"{where}: {err['msg']}; got {got_s}{more}", path=path, line=_closest_line(lines, loc)) from exc
