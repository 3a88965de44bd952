"""A batch's plan: one spec × a matrix of parameter rows (a CSV of clients) → one build per row.

:func:`plan_batch` merges each row's values into the parameters of every section that declares a
parameter of that name and plans each row with :func:`reportkit.plan.make_plan` (the same
validation and run keys as a single build). Runs with the same key are planned once: a section
whose parameters do not vary across rows (the market section of the demo) is one run shared by
every row. Each row also gets a build key (:func:`reportkit.build.build_key`): a row whose
folder already holds intact outputs with that key is not built again. Everything that can be
wrong with the matrix is found here, before a kernel starts.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build import build_key, templates_digest
from ..errors import SpecError
from ..ids import case_key, check_folder_id
from ..params import validate_parameters
from ..plan import (
    LANGUAGE_PARAMETER,
    THEME_PARAMETER,
    Plan,
    PlannedRun,
    make_plan,
    notebook_facts,
    notebook_path,
    run_environment,
)
from ..spec import ReportSpec, load_spec

#: the matrix column naming a row; it becomes the row's output folder and, when the batch is
#: published, its client id: both follow the one rule of :mod:`reportkit.ids`
ID_COLUMN = "id"
#: files the batch writes beside the row folders (run.py, index.py; ``_runs`` and ``.batch.lock``
#: cannot be row ids anyway: an id starts with a letter or digit)
BATCH_FILES = {name: f"the batch folder's own {name}" for name in ("index.json", "index.html", "events.jsonl")}


class MatrixRow(dict):
    """One row of a matrix CSV (column → text), knowing its line in the file for errors."""

    line: int | None = None
@dataclass(frozen=True)
class BatchRow:
    id: str
    values: dict[str, Any]  # the row's matrix values, coerced (empty cells left out)
    spec: ReportSpec  # the spec with the row's values merged into its sections' parameters
    plan: Plan
    build_key: str  # identity of the row's outputs (see reportkit.build.build_key)

    @property
    def run_keys(self) -> tuple[str, ...]:
        return tuple(r.run_key for r in self.plan.runs)


@dataclass(frozen=True)
class BatchPlan:
    spec: ReportSpec
    lang: str
    theme: str
    rows: tuple[BatchRow, ...]
    runs: tuple[PlannedRun, ...]  # distinct runs, deduplicated by run key, in first-use order
    matrix_path: str = ""

    def rows_using(self, run_key: str) -> tuple[str, ...]:
        return tuple(row.id for row in self.rows if run_key in row.run_keys)


def read_matrix(path: str | Path) -> list[dict[str, str]]:
    """Read a matrix CSV (UTF-8, with or without BOM; header row first) into dicts of strings
    (:class:`MatrixRow`: each knows its line in the file)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"matrix file {str(path)!r} does not exist; expected a CSV with an {ID_COLUMN!r} column", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"matrix file is not UTF-8 ({exc}); save it as UTF-8 CSV", path=path) from None
    reader = csv.DictReader(text.splitlines())
    rows: list[dict[str, str]] = []
    for raw in reader:
        line = reader.line_num  # csv's count: blank lines, which DictReader skips, included
        if None in raw or any(v is None for v in raw.values()):
            raise SpecError(f"row has {'more' if None in raw else 'fewer'} cells than the header", path=path, line=line)
        if not any((v or "").strip() for v in raw.values()):
            continue  # blank line
        row = MatrixRow({(k or "").strip(): (v or "").strip() for k, v in raw.items()})
        row.line = line
        rows.append(row)
    if not rows:
        raise SpecError("matrix has no rows; expected a header and at least one row", path=path)
    return rows


def _section_parameters(spec: ReportSpec) -> dict[str, Any]:
    """section id → its notebook's declared parameters (errors name a missing notebook)."""
    declared: dict[str, Any] = {}
    for section in spec.sections:
        declared[section.id] = notebook_facts(notebook_path(spec, section))[0]
    return declared


def _allowed_columns(declared: Mapping[str, Any]) -> str:
    by_name: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for section, params in declared.items():
        for p in params.parameters:
            if p.name in (LANGUAGE_PARAMETER, THEME_PARAMETER):
                continue
            by_name.setdefault(p.name, []).append(section)
            types.setdefault(p.name, p.type_name)
    names = ", ".join(f"{n} ({types[n]}; {'/'.join(s)})" for n, s in sorted(by_name.items()))
    return f"{ID_COLUMN} (the row's folder), {names}"


def plan_batch(
    spec: str | Path | ReportSpec,
    matrix_rows: Sequence[Mapping[str, Any]] | str | Path,
    *,
    lang: str | None = None,
    theme: str | None = None,
) -> BatchPlan:
    """Plan one build per matrix row; raise a ReportKitError (before any kernel) for an unknown
    column, a bad or duplicate row id, or a value of the wrong type.

    ``matrix_rows``: a CSV path, or rows as mappings with an ``id`` key. Values may be strings
    (as read from CSV: parsed like ``-p name=value``) or already typed; an empty cell leaves the
    spec's value for that row.
    """
    from ..style.themes import load_theme

    spec = spec if isinstance(spec, ReportSpec) else load_spec(spec)
    matrix_path = ""
    if isinstance(matrix_rows, (str, Path)):
        matrix_path = str(matrix_rows)
        matrix_rows = read_matrix(matrix_rows)
    where = matrix_path or "the matrix"
    theme = load_theme(theme or spec.theme).name
    declared = _section_parameters(spec)
    environment = run_environment()  # the same for every row: computed once
    if not matrix_rows:
        raise SpecError(f"{where} has no rows", path=matrix_path or None)
    columns: list[str] = []
    for row in matrix_rows:
        columns.extend(k for k in row if k not in columns)
    if ID_COLUMN not in columns:
        raise SpecError(f"{where} has no {ID_COLUMN!r} column; the allowed columns are: {_allowed_columns(declared)}",
                        path=matrix_path or None)
    for col in columns:
        if col in (LANGUAGE_PARAMETER, THEME_PARAMETER):
            raise SpecError(f"matrix column {col!r} is set for the whole batch (--lang / --theme), not per row",
                            path=matrix_path or None)
        if col != ID_COLUMN and not any(d.get(col) is not None for d in declared.values()):
            raise SpecError(
                f"matrix column {col!r} is not a parameter of any section of {spec.id!r}; "
                f"the allowed columns are: {_allowed_columns(declared)}",
                path=matrix_path or None,
            )

    templates = templates_digest()
    rows: list[BatchRow] = []
    distinct: dict[str, PlannedRun] = {}
    seen: dict[str, tuple[int, str]] = {}  # case_key(id) → (row, id)
    for n, raw in enumerate(matrix_rows, start=1):
        line = getattr(raw, "line", None)

        def error(message: str, line: int | None = line) -> SpecError:
            return SpecError(message, path=matrix_path or None, line=line)

        row_id = check_folder_id(str(raw.get(ID_COLUMN) or "").strip(), what="row id",
                                 source=f"{where}, row {n} (it names the row's folder and, published, its client)",
                                 error=error, reserved=BATCH_FILES)
        first = seen.get(case_key(row_id))
        if first is not None and first[1] == row_id:
            raise error(f"row {n}: id {row_id!r} is used twice (first in row {first[0]}); expected unique row ids")
        if first is not None:
            raise error(f"row {n}: id {row_id!r} differs only by case from row {first[0]}'s {first[1]!r}; on a "
                        "case-insensitive file system (macOS, Windows) the two are one folder, which would mix two "
                        "clients' reports. Expected row ids that differ in more than case")
        seen[case_key(row_id)] = (n, row_id)
        given = {k: v for k, v in raw.items() if k != ID_COLUMN and not (isinstance(v, str) and v.strip() == "")}
        values: dict[str, Any] = {}
        sections = []
        for section in spec.sections:
            params = declared[section.id]
            mine = {k: v for k, v in given.items() if params.get(k) is not None}
            coerced = validate_parameters(
                params, mine, source=f"{where} (row {row_id!r}, section {section.id!r})",
                from_cli=True,  # strings are parsed as YAML scalars for non-str parameters
            ) if mine else {}
            values.update(coerced)
            sections.append(section.model_copy(update={"parameters": {**section.parameters, **coerced}}))
        row_spec = spec.model_copy(update={"sections": tuple(sections)})
        plan = make_plan(row_spec, lang=lang, theme=theme, environment=environment)
        for run in plan.runs:
            distinct.setdefault(run.run_key, run)
        rows.append(BatchRow(row_id, values, row_spec, plan, build_key(plan, templates=templates)))
    return BatchPlan(spec, rows[0].plan.lang, theme, tuple(rows), tuple(distinct.values()), matrix_path)
