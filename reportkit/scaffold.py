"""Scaffolding: start a new section notebook or a new report spec from a working skeleton.

``reportkit new section NAME [--kind engagement|market|blank]`` → :func:`new_section`: writes
``notebooks/<NAME>.ipynb``, a section notebook of that kind that runs as it is on data shipped in
``data/`` (typed parameters cell holding the kind's data roles, data loading, analysis calls,
``rk.record`` of metrics, tables and figures, ``report-zh`` / ``report-en`` markdown cells with
placeholders bound to the recorded metrics, a methods text; the notebooks themselves are built by
:mod:`reportkit.section_templates`), and optionally registers it in a report spec (appended to
``sections:``, the rest of the file and its comments kept as they are).

``reportkit new report NAME`` → :func:`new_report`: writes ``reports/<NAME>.yaml`` with a bilingual
title and subtitle, language, theme, outputs, a first section (``overview``, an engagement section
scaffolded as :func:`new_section` does into ``notebooks/<NAME>_overview.ipynb``, since a spec needs
at least one section) and a summary line. The cover and the appendix are made by the report
templates from the spec.

Nothing is ever overwritten; every problem raises a :class:`~reportkit.errors.SpecError` naming the
bad value, where it came from and what was expected, before any file is written.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import yaml

from .atomic import write_atomic
from .errors import SpecError
from .section_templates import (
    DATA_PARAMETER,
    DEFAULT_DATA,
    DEFAULT_KIND,
    KERNELSPEC,
    SECTION_KINDS,
    check_kind,
    section_notebook,
)

__all__ = [
    "SECTION_KINDS",
    "DEFAULT_DATA_PATH",
    "KERNELSPEC",
    "check_section_name",
    "check_report_name",
    "section_notebook",
    "register_section",
    "new_section",
    "new_report",
]

#: a section id: starts with a lowercase letter; lowercase letters, digits and underscores
SECTION_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: a report id (also its file name): lowercase letters, digits, hyphens and underscores
REPORT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")

#: the engagement section's default panel (that of ``new report``'s first section)
DEFAULT_DATA_PATH = DEFAULT_DATA["engagement"]


# --------------------------------------------------------------------------- names


def check_section_name(name: Any, *, source: str = "the section name") -> str:
    """Return ``name`` if it is a valid section id, else raise a SpecError saying what is expected."""
    if not isinstance(name, str) or not SECTION_ID.fullmatch(name):
        hint = ""
        if isinstance(name, str) and name:
            suggestion = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
            if suggestion and not suggestion[0].isalpha():
                suggestion = "s_" + suggestion
            if suggestion and SECTION_ID.fullmatch(suggestion):
                hint = f" (e.g. {suggestion!r})"
        raise SpecError(
            f"{source} {name!r} is not a valid section id; expected lowercase letters, digits and "
            f"underscores, starting with a letter, at most 64 characters, such as 'channel_mix'{hint}"
        )
    return name


def check_report_name(name: Any, *, source: str = "the report name") -> str:
    """Return ``name`` if it is a valid report id (the spec's file name), else raise a SpecError."""
    if not isinstance(name, str) or not REPORT_ID.fullmatch(name):
        raise SpecError(
            f"{source} {name!r} is not a valid report id; expected lowercase letters, digits, '-' "
            "and '_', starting with a letter or digit, at most 80 characters, such as 'china-ecommerce-2025'"
        )
    return name


def _refuse_existing(path: Path, what: str, role: str = "") -> None:
    if path.exists():
        raise SpecError(f"{what} {path}{role} already exists; refusing to overwrite it. Choose another name or "
                        "remove the file first")


# --------------------------------------------------------------------------- registering in a spec


def _spec_root(spec_path: Path) -> Path:
    """Where the spec's relative paths resolve (as :func:`reportkit.spec.load_spec` decides)."""
    parent = spec_path.resolve().parent
    return parent.parent if parent.name == "reports" else parent


def _relative_notebook(notebook: Path, root: Path) -> str:
    notebook = notebook.resolve()
    try:
        return notebook.relative_to(root.resolve()).as_posix()
    except ValueError:
        return notebook.as_posix()


def _entry_text(entry: dict[str, Any], indent: int) -> str:
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


def _with_section(text: str, entry: dict[str, Any], spec_path: Path) -> str:
    """``text`` with ``entry`` appended to its ``sections:`` list; other lines are kept as they are."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", path=spec_path) from exc
    if not isinstance(root, yaml.MappingNode):
        raise SpecError("expected a mapping of report fields at the top level", path=spec_path)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    keys = [(k, v) for k, v in root.value]
    index = next((i for i, (k, _) in enumerate(keys) if k.value == "sections"), None)
    if index is None:  # no sections key at all: add one at the end
        return "".join(lines) + "sections:\n" + _entry_text(entry, 2)
    key, value = keys[index]
    if isinstance(value, yaml.ScalarNode) or (isinstance(value, yaml.SequenceNode) and not value.value):
        # `sections:` (null) or `sections: []`: the key's line becomes a block list of one entry
        if isinstance(value, yaml.SequenceNode) and key.start_mark.line != value.end_mark.line:
            raise SpecError("the 'sections' value spans several lines; expected a block list "
                            "('sections:' then '  - id: …' lines)", path=spec_path, line=key.start_mark.line + 1)
        line = key.start_mark.line
        lines[line] = " " * key.start_mark.column + "sections:\n"
        lines[line + 1:line + 1] = [_entry_text(entry, key.start_mark.column + 2)]
        return "".join(lines)
    if not isinstance(value, yaml.SequenceNode) or value.flow_style:
        raise SpecError("'sections' is not a block list; expected 'sections:' followed by '  - id: …' lines "
                        "(rewrite a [ … ] list in that form to add a section to it)",
                        path=spec_path, line=key.start_mark.line + 1)
    first = value.value[0]
    first_line = lines[first.start_mark.line]
    dash = first_line.rfind("-", 0, first.start_mark.column)
    indent = dash if dash >= 0 else max(first.start_mark.column - 2, 0)
    # insert after the last item's content: before the next top-level key, and before the blank
    # and comment lines that precede that key (they belong to it)
    if index + 1 < len(keys):
        at = keys[index + 1][0].start_mark.line
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1
    else:  # sections is the last key: after the last line that is neither blank nor a comment
        at = len(lines)
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1
    lines[at:at] = [_entry_text(entry, indent)]
    return "".join(lines)


def _validated(text: str, spec_path: Path, *, expect_ids: list[str]) -> Any:
    """Load ``text`` as if it were ``spec_path`` (same folder, same root) and check its sections."""
    from .spec import load_spec

    fd, tmp = tempfile.mkstemp(prefix=f".{spec_path.name}.", suffix=".check.yaml", dir=spec_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            spec = load_spec(tmp, root=_spec_root(spec_path))
        except SpecError as exc:
            raise SpecError(f"the spec would no longer load after adding the section ({exc}); "
                            "nothing was written", path=spec_path) from exc
    finally:
        os.unlink(tmp)
    ids = [s.id for s in spec.sections]
    if ids != expect_ids:  # a guard against a bad text edit (e.g. an unusual layout of the file)
        raise SpecError(f"adding the section would give the sections {ids}, expected {expect_ids}; "
                        "nothing was written. Add the section to the file by hand", path=spec_path)
    return spec


def register_section(spec_path: Path, *, section_id: str, notebook: Path, title_zh: str, title_en: str,
                     parameters: dict[str, Any] | None = None, write: bool = True) -> str:
    """Append a section to the ``sections:`` list of the spec at ``spec_path`` (comments and the rest
    of the file kept) and return the new text; refuses a duplicate id. With ``write=False`` only
    checks and returns the text."""
    from .spec import load_spec

    spec_path = Path(spec_path)
    raw = None
    if spec_path.is_file():
        try:
            raw = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            raw = None  # load_spec below reports it with its line
    if isinstance(raw, dict) and raw.get("sections") in (None, []):
        ids: list[str] = []  # `sections: []`: the one thing wrong is checked again once the section is in
        root = _spec_root(spec_path)
    else:
        old = load_spec(spec_path)  # a missing or invalid spec is reported as it is
        ids = [s.id for s in old.sections]
        root = Path(old.root)
    if section_id in ids:
        raise SpecError(f"section id {section_id!r} is already used in this spec (sections: {', '.join(ids)}); "
                        "expected a new id", path=spec_path)
    entry = {
        "id": section_id,
        "notebook": _relative_notebook(Path(notebook), root),
        "title": {"zh": title_zh, "en": title_en},
        "parameters": dict(parameters or {}),
    }
    text = _with_section(spec_path.read_text(encoding="utf-8"), entry, spec_path)
    _validated(text, spec_path, expect_ids=[*ids, section_id])
    if write:
        write_atomic(spec_path, text)
    return text


# --------------------------------------------------------------------------- public functions


def _checked(nb: Any, parameters: dict[str, Any], name: str) -> dict[str, Any]:
    """``parameters`` (strings from the command line, or typed) checked and typed against the
    scaffolded notebook's parameters cell."""
    from .params import read_parameters, validate_parameters

    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / f"{name}.ipynb"
        probe.write_text(nbformat.writes(nb), encoding="utf-8")
        declared = read_parameters(probe)
    return validate_parameters(declared, parameters, source=f"the parameters of new section {name!r}", from_cli=True)


def new_section(
    name: str,
    *,
    spec: Path | None = None,
    notebooks_dir: Path,
    title_zh: str | None = None,
    title_en: str | None = None,
    data_path: str | None = None,
    parameters: dict[str, Any] | None = None,
    kind: str = DEFAULT_KIND,
) -> Path:
    """Scaffold ``notebooks_dir/<name>.ipynb`` of ``kind`` and, if ``spec`` is given, register it there
    (with ``parameters``: the section's parameters in the spec, checked against the notebook's).

    ``name`` is the section id (lowercase letters, digits, ``_``). The titles default to the name.
    ``kind`` is one of :data:`~reportkit.section_templates.SECTION_KINDS`: ``engagement`` (a
    brand × week panel), ``market`` (a market series) or ``blank``. ``data_path`` is the default of
    the notebook's data parameter (``panel_path`` / ``data_path``; relative to the project, or
    absolute); ``None``: the kind's demo data. Refuses an unknown kind, an existing notebook and a
    section id the spec already has; the spec is changed only by appending to ``sections:`` and is
    re-validated before it is written (atomically). Returns the notebook's path.
    """
    check_section_name(name)
    kind = check_kind(kind)
    return _scaffold_section(name, Path(notebooks_dir) / f"{name}.ipynb", spec=spec, title_zh=title_zh,
                             title_en=title_en, data_path=DEFAULT_DATA[kind] if data_path is None else data_path,
                             parameters=parameters, kind=kind)


def _scaffold_section(name: str, path: Path, *, spec: Path | None, title_zh: str | None, title_en: str | None,
                      data_path: str, parameters: dict[str, Any] | None, role: str = "",
                      kind: str = DEFAULT_KIND) -> Path:
    """:func:`new_section` writing the notebook at ``path`` (``role``: what it is, for a refusal)."""
    title_en = title_en or name.replace("_", " ").capitalize()
    title_zh = title_zh or title_en
    for label, value in (("title_zh", title_zh), ("title_en", title_en)):
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise SpecError(f"{label} {value!r} for section {name!r} is not usable; expected one line of text")
    if not isinstance(data_path, str) or not data_path.strip():
        raise SpecError(f"data_path {data_path!r} for section {name!r} is empty; expected the path of a "
                        f"CSV, Excel or Parquet file (the default of the {kind} notebook's {DATA_PARAMETER[kind]})")
    _refuse_existing(path, "notebook", role)
    spec_text = None
    if spec is not None:  # check everything before writing anything
        spec_text = register_section(Path(spec), section_id=name, notebook=path, title_zh=title_zh,
                                     title_en=title_en, write=False)
    nb = section_notebook(name, title_zh=title_zh, title_en=title_en, data_path=data_path, kind=kind)
    if parameters:
        if spec is None:
            raise SpecError(f"parameters {sorted(parameters)} for section {name!r} need a spec to go into (--spec)")
        spec_text = register_section(Path(spec), section_id=name, notebook=path, title_zh=title_zh,
                                     title_en=title_en, parameters=_checked(nb, parameters, name), write=False)
    write_atomic(path, nbformat.writes(nb) + "\n")
    if spec is not None and spec_text is not None:
        try:
            write_atomic(Path(spec), spec_text)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def _spec_text(name: str, *, title_zh: str, title_en: str, section: dict[str, Any], date: str) -> str:
    def q(value: str) -> str:  # a JSON string is a valid YAML double-quoted scalar; Chinese kept readable
        return json.dumps(value, ensure_ascii=False)

    sid = section["id"]
    return f"""# Report spec scaffolded by `reportkit new report {name}`.
# Build: `reportkit build <this file>` (add `--lang en` for the English edition).
# The cover (title, subtitle, publisher, client, date) and the appendix (methods, data sources,
# runs and parameters, environment) are made from this file by the report templates.
id: {name}
title:
  zh: {q(title_zh)}
  en: {q(title_en)}
subtitle:
  zh: "（副标题：请填写）"
  en: "(subtitle: to be written)"
# publisher:
#   zh: 发布机构
#   en: Publisher
# client:            # who the report is for (shown on the cover)
#   zh: 客户名称
#   en: Client name
# confidentiality:   # footer line of every page (wins over the theme's)
#   zh: 仅供内部使用
#   en: For internal use only
date: {q(date)}
language: zh        # zh or en; `reportkit build … --lang en` builds the other edition
theme: default      # templates/themes/<name>
outputs: [html, pdf, xlsx]  # xlsx: the data pack report-data.xlsx (the data of every figure and table)

# Sections in report order; add one with `reportkit new section NAME --spec <this file>`.
sections:
  - id: {sid}
    notebook: {q(section["notebook"])}
    title:
      zh: {q(section["title"]["zh"])}
      en: {q(section["title"]["en"])}
    parameters: {{}}

# Key figures shown in the executive summary, as section.metric
summary:
  - {sid}.r_pooled

# Input data files (hashed into the manifest and cited in the appendix), e.g.
#   - path: data/my_panel.csv
#     source:
#       zh: 数据来源
#       en: Data source
#     licence: internal
data: []
"""


def new_report(
    name: str,
    *,
    reports_dir: Path,
    title_zh: str,
    title_en: str,
    notebooks_dir: Path | None = None,
    first_section: str = "overview",
    data_path: str = DEFAULT_DATA_PATH,
) -> Path:
    """Scaffold the report spec ``reports_dir/<name>.yaml``; return its path.

    A spec needs at least one section, so a first section ``first_section`` is scaffolded as
    :func:`new_section` does, into ``notebooks_dir/<name>_<first_section>.ipynb`` (named after the
    report, so that every report of a project gets its own; ``notebooks_dir`` defaults to
    ``notebooks/`` next to ``reports/`` when ``reports_dir`` is called ``reports``, else
    ``reports_dir/notebooks``) and named in the summary. Refuses an existing spec or notebook, naming
    it; the written spec is loaded with ``load_spec`` to check it.
    """
    check_report_name(name)
    check_section_name(first_section, source="the first section's name")
    for label, value in (("title_zh", title_zh), ("title_en", title_en)):
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise SpecError(f"{label} {value!r} for report {name!r} is not usable; expected one line of text")
    reports_dir = Path(reports_dir)
    path = reports_dir / f"{name}.yaml"
    _refuse_existing(path, "report spec")
    if notebooks_dir is None:
        notebooks_dir = reports_dir.parent / "notebooks" if reports_dir.name == "reports" else reports_dir / "notebooks"
    notebooks_dir = Path(notebooks_dir)
    # named after the report: every report of a project starts with a section called `overview`,
    # and notebooks/ is shared by all of them
    notebook = notebooks_dir / f"{name}_{first_section}.ipynb"
    role = f" (the first section of report {name!r})"
    _refuse_existing(notebook, "notebook", role)
    root = (reports_dir.resolve().parent if reports_dir.resolve().name == "reports" else reports_dir.resolve())
    section: dict[str, Any] = {
        "id": first_section,
        "notebook": _relative_notebook(notebook, root),
        "title": {"zh": "概览", "en": "Overview"} if first_section == "overview"
        else {"zh": first_section, "en": first_section.replace("_", " ").capitalize()},
        "parameters": {},
    }
    text = _spec_text(name, title_zh=title_zh, title_en=title_en, section=section,
                      date=_dt.date.today().strftime("%Y-%m"))
    reports_dir.mkdir(parents=True, exist_ok=True)
    _validated(text, path, expect_ids=[first_section])
    _scaffold_section(first_section, notebook, spec=None, title_zh=section["title"]["zh"],
                      title_en=section["title"]["en"], data_path=data_path, parameters=None, role=role)
    try:
        write_atomic(path, text)
    except BaseException:
        notebook.unlink(missing_ok=True)
        raise
    return path
