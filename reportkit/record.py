"""Record what a report needs from inside a notebook, and read it back at build time.

Notebook side: :func:`record` displays a value under a custom MIME type (the way scrapbook glues
values), so the executed notebook itself carries the results. Build side: :func:`read_results`
turns those outputs into frozen, JSON-serialisable objects. Templates only ever see these objects,
never a kernel, so rendering can be tested without starting one.

Kinds of record:

* ``Metric``: a number (or short string) with a unit and a label, e.g. 155225 亿元;
* ``Table``: a small DataFrame (columns and rows of plain values), with a caption and a note;
* ``Figure``: a matplotlib figure saved as SVG text, with a caption and the data it was drawn from
  (:class:`Data`: given as ``data=frame``, or attached to the figure by the plotting functions of
  :mod:`reportkit.analysis.plots`), which the build's data pack (``report-data.xlsx``) holds;
* ``Text``: a paragraph of narrative; also every markdown cell tagged ``report`` (``markdown=True``,
  with the cell number the analyst sees), whose ``{{ placeholders }}`` are filled from recorded
  metrics when the report is rendered (:mod:`reportkit.render.prose`).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from . import i18n
from .errors import RecordError

MIME_TYPE = "application/vnd.reportkit.record+json"

Kind = Literal["metric", "table", "figure", "text"]
KINDS: tuple[str, ...] = ("metric", "table", "figure", "text")
TABLE_STYLES: tuple[str, ...] = ("", "regression")


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | int | str | None
    unit: str = ""
    label: str = ""
    decimals: int | None = None
    note: str = ""
    ci_low: float | None = None  # an interval around the value, when it is an estimate
    ci_high: float | None = None
    kind: str = field(default="metric", init=False)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = field(repr=False)
    caption: str = ""
    note: str = ""
    decimals: int | dict[str, int] | None = 2  # one for all columns, or column → decimals (others 2)
    style: str = ""  # "" (a data table) or "regression" (coefficients over standard errors)
    unit: str = ""  # of the table's values, when they share one (the data pack shows it)
    # how missing cells are shown (e.g. "—"); None: a missing cell is an error (checks.check_results).
    # Setting it says the gaps are legitimate; say why in ``note``.
    missing: str | None = None
    kind: str = field(default="table", init=False)


@dataclass(frozen=True)
class Data:
    """The numbers a figure was drawn from: columns and rows of plain values, as a Table's; the
    first column holds the x values or the categories."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = field(repr=False)


@dataclass(frozen=True)
class Figure:
    name: str
    svg: str = field(repr=False)  # a notebook cell ending in record(...) must not print the whole SVG
    caption: str = ""
    note: str = ""
    data: Data | None = field(default=None, repr=False)  # what was drawn (None: not recorded)
    unit: str = ""  # of the figure's values, when they share one (the data pack shows it)
    kind: str = field(default="figure", init=False)


@dataclass(frozen=True)
class Text:
    name: str
    text: str
    markdown: bool = False  # a markdown cell tagged ``report`` (text is its markdown source)
    cell: int | None = None  # that cell's number as the analyst sees it (1-based, injected cell not counted)
    lang: str | None = None  # tagged ``report-zh`` / ``report-en``: shown in that edition only
    kind: str = field(default="text", init=False)


Record = Metric | Table | Figure | Text


@dataclass(frozen=True)
class SectionResults:
    """Everything one section's run recorded, in the order it was recorded."""

    section: str
    notebook: str
    parameters: dict[str, Any]
    records: tuple[Record, ...]

    def __getitem__(self, name: str) -> Record:
        for rec in self.records:
            if rec.name == name:
                return rec
        known = ", ".join(r.name for r in self.records) or "(nothing recorded)"
        raise RecordError(
            f"section {self.section!r} ({self.notebook}) recorded no {name!r}; it recorded: {known}"
        )

    def __contains__(self, name: object) -> bool:
        return any(rec.name == name for rec in self.records)

    def of_kind(self, kind: str) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "notebook": self.notebook,
            "parameters": dict(self.parameters),
            "records": [record_to_dict(r) for r in self.records],
        }


# --------------------------------------------------------------------------- serialisation


def _plain(value: Any) -> Any:
    """A JSON-safe plain Python value; NaN and missing become None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalar
        except (AttributeError, ValueError):
            pass
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError, ImportError):
        pass
    return str(value)


def record_to_dict(rec: Record) -> dict[str, Any]:
    d = asdict(rec)
    if isinstance(rec, Table):
        d["columns"] = list(rec.columns)
        d["rows"] = [list(r) for r in rec.rows]
    if isinstance(rec, Figure):
        d["data"] = None if rec.data is None else {"columns": list(rec.data.columns),
                                                    "rows": [list(r) for r in rec.data.rows]}
    return d


def _data_from_dict(value: Any) -> Data | None:
    """A figure's data as serialised (``{"columns": [...], "rows": [[...], ...]}``), or None."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list) or not isinstance(value.get("rows"), list):
        raise TypeError(f"data must be a mapping with the lists 'columns' and 'rows'; got {value!r:.80}")
    return Data(tuple(value["columns"]), tuple(tuple(r) for r in value["rows"]))


def record_from_dict(d: dict[str, Any]) -> Record:
    kind = d.get("kind")
    body = {k: v for k, v in d.items() if k != "kind"}
    try:
        if kind == "metric":
            return Metric(**body)
        if kind == "table":
            body["columns"] = tuple(body["columns"])
            body["rows"] = tuple(tuple(r) for r in body["rows"])
            return Table(**body)
        if kind == "figure":  # a figure recorded before figures carried data has none
            body["data"] = _data_from_dict(body.get("data"))
            return Figure(**body)
        if kind == "text":
            return Text(**body)
    except TypeError as exc:
        raise RecordError(f"recorded {kind!r} named {d.get('name')!r} is malformed: {exc}") from exc
    raise RecordError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")


# --------------------------------------------------------------------------- notebook side


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise RecordError(
            f"record name {name!r} is not usable; expected a Python identifier such as 'cagr_2019_2024'"
        )
    return name


#: Collections with more elements than this (scatter points, stems) are drawn as an embedded
#: image inside the SVG: thousands of vector markers make the PDF slow to render and heavy to view.
RASTERIZE_ABOVE = 300


def _rasterize_dense_layers(fig: Any) -> None:
    for ax in fig.get_axes():
        for coll in ax.collections:
            try:
                n = max(len(coll.get_offsets()), len(coll.get_paths()))
            except (AttributeError, TypeError):
                continue
            if n > RASTERIZE_ABOVE:
                coll.set_rasterized(True)
        for line in ax.get_lines():  # markers drawn with plot(): one SVG element per point
            marker = line.get_marker()
            if marker not in (None, "", "None", " ") and len(line.get_xdata()) > RASTERIZE_ABOVE:
                line.set_rasterized(True)


def _figure_svg(fig: Any) -> str:
    import warnings

    _rasterize_dense_layers(fig)
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=150)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    if missing:
        raise RecordError(
            "a figure uses characters its font cannot draw (they would show as empty boxes): "
            + missing[0]
            + "; call reportkit.analysis.plots.use_theme() before plotting so a CJK font is used"
        )
    svg = buf.getvalue()
    # drop the XML prolog and DOCTYPE so the SVG can be inlined in HTML
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _columns_and_rows(frame: Any) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """A DataFrame's columns (as text; a bilingual Text in the kernel's language) and rows of plain
    values; a named or non-default index becomes the first column(s)."""
    import pandas as pd

    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    columns = tuple(c.resolve() if isinstance(c, i18n.Text) else str(c) for c in frame.columns)
    rows = tuple(tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None))
    return columns, rows


def _figure_data(name: str, fig: Any, data: Any) -> tuple[Data | None, str]:
    """What a figure was drawn from, and the unit of its values ("" unknown or mixed): ``data`` (a
    DataFrame or Series) when given, else the frame the plotting function attached to ``fig``
    (:func:`reportkit.analysis.plots.attach_data`) with its unit."""
    import pandas as pd

    from .analysis.plots import attached_data

    unit = ""
    if data is None:
        data, unit = attached_data(fig) or (None, "")
    if data is None:
        return None, ""
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise RecordError(f"figure {name!r}: data= must be the pandas DataFrame (or Series) the figure was "
                          f"drawn from; got {type(data).__name__}")
    if data.columns.empty:
        raise RecordError(f"figure {name!r}: data= has no columns; expected the values the figure draws")
    return Data(*_columns_and_rows(data)), unit


def make_record(name: str, value: Any, **meta: Any) -> Record:
    """Turn a value into a record: numbers → Metric, DataFrame → Table, figure → Figure, str → Text.

    A bilingual :class:`reportkit.i18n.Text` (the value or a caption, label, note or unit) is
    recorded in the kernel's language (:func:`reportkit.i18n.current_language`). A figure keeps
    the data it was drawn from: ``data=`` (a DataFrame), else what the plotting function attached."""
    name = _check_name(name)
    if isinstance(value, i18n.Text):
        value = value.resolve()
    meta = {key: (v.resolve() if isinstance(v, i18n.Text) else v) for key, v in meta.items()}
    if not isinstance(meta.get("unit", ""), str):
        raise RecordError(f"record {name!r}: unit={meta['unit']!r} is not usable; expected a string such as '亿元' or '%'")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(value, pd.Series):
        value = value.to_frame()
    if pd is not None and isinstance(value, pd.DataFrame):
        columns, rows = _columns_and_rows(value)
        allowed = {"caption", "note", "decimals", "style", "missing", "unit"}
        _check_missing_marker(name, meta.get("missing"))
        if meta.get("style", "") not in TABLE_STYLES:
            raise RecordError(f"table {name!r}: style {meta['style']!r} is not offered; expected one of "
                              + ", ".join(repr(x) for x in TABLE_STYLES))
        _check_meta(name, "table", meta, allowed)
        return Table(name=name, columns=columns, rows=rows, **meta)
    if hasattr(value, "savefig"):
        _check_meta(name, "figure", meta, {"caption", "note", "data", "unit"})
        data, unit = _figure_data(name, value, meta.pop("data", None))
        meta["unit"] = meta.get("unit") or unit
        return Figure(name=name, svg=_figure_svg(value), data=data, **meta)
    if isinstance(value, str) and not meta.keys() & {"unit", "label", "decimals", "ci_low", "ci_high"}:
        _check_meta(name, "text", meta, set())
        return Text(name=name, text=value)
    if isinstance(value, (int, float, str)) or value is None or hasattr(value, "item"):
        _check_meta(name, "metric", meta, {"unit", "label", "decimals", "note", "ci_low", "ci_high"})
        for bound in ("ci_low", "ci_high"):
            if bound in meta:
                meta[bound] = _plain(meta[bound])
        return Metric(name=name, value=_plain(value), **meta)
    raise RecordError(
        f"cannot record {name!r} of type {type(value).__name__}; expected a number, a string, "
        "a pandas DataFrame or Series, or a matplotlib figure"
    )


_NOT_MARKERS = frozenset({"nan", "none", "nat", "<na>", "inf", "-inf", "null"})


def _check_missing_marker(name: str, marker: Any) -> None:
    """``missing`` must be a visible, non-numeric marker such as "—" or "n/a"."""
    if marker is None:
        return
    # the words that mean "missing" themselves (style.formatting.MISSING_STRINGS; not imported
    # here: importing reportkit.render in a kernel would load WeasyPrint)
    if not isinstance(marker, str) or not marker.strip() or marker.strip().lower() in _NOT_MARKERS:
        raise RecordError(
            f"table {name!r}: missing={marker!r} cannot show a missing value; expected a visible "
            "marker such as '—' (and say why values are missing in the table's note)"
        )


def _check_meta(name: str, kind: str, meta: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(meta) - allowed)
    if extra:
        raise RecordError(
            f"record {name!r} is a {kind}; it takes {', '.join(sorted(allowed)) or 'no options'}, "
            f"not {', '.join(extra)}"
        )


#: what this process (a notebook's kernel) recorded: name → its latest record, in first-recorded
#: order; rk.preview() renders it without running anything again
_SESSION: dict[str, Record] = {}
#: where each of them was last recorded: name → (the IPython execution count of the cell that recorded
#: it, its ``In [n]``: 0 outside IPython; the number of that record() call in this process). The
#: preview places a record by its cell and leaves out those made before the last run started.
_ORIGINS: dict[str, tuple[int, int]] = {}
_CALLS: list[int] = [0]


def session_records() -> tuple[Record, ...]:
    return tuple(_SESSION.values())


def session_origins() -> dict[str, tuple[int, int]]:
    """Name → (``In [n]`` of the cell that last recorded it, 0 outside IPython; call number) for
    every record of :func:`session_records`."""
    return dict(_ORIGINS)


def clear_session() -> None:
    _SESSION.clear()
    _ORIGINS.clear()


def record(name: str, value: Any, **meta: Any) -> None:
    """Record ``value`` under ``name`` for the report, and show it to the analyst.

    Returns nothing, as IPython's ``display`` does: a cell ending in ``rk.record(...)`` shows the
    one-line summary of what was recorded, not the record object again as ``Out[n]``.

    A figure keeps the data it was drawn from for the data pack (``report-data.xlsx``): the
    plotting functions of :mod:`reportkit.analysis` attach it; a figure drawn by hand passes it,
    ``record("my_chart", fig, caption="…", data=frame)`` (and ``unit="亿元"`` when its values share one).

    >>> record("online_retail_2024", 155225, unit="亿元", label="2024年网上零售额")  # doctest: +SKIP
    """
    rec = make_record(name, value, **meta)
    shell = _shell()
    _CALLS[0] += 1
    _SESSION[rec.name] = rec
    _ORIGINS[rec.name] = (int(getattr(shell, "execution_count", 0) or 0), _CALLS[0])
    if shell is None:  # plain Python: nothing to attach the record to
        return
    from IPython.display import display

    payload = record_to_dict(rec)
    text = _preview(rec)
    display({MIME_TYPE: payload, "text/plain": text}, raw=True, metadata={MIME_TYPE: {"name": name}})


def _shell() -> Any:
    """The IPython shell running this process (a notebook's kernel), or None (plain Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _preview(rec: Record) -> str:
    if isinstance(rec, Metric):
        return f"[recorded metric] {rec.name} = {rec.value} {rec.unit}".rstrip()
    if isinstance(rec, Table):
        return f"[recorded table] {rec.name}: {len(rec.rows)} rows × {len(rec.columns)} columns"
    if isinstance(rec, Figure):
        data = (f"data: {len(rec.data.rows)} rows × {len(rec.data.columns)} columns" if rec.data is not None
                else "no data recorded: pass data=<the frame drawn> for the data pack")
        return f"[recorded figure] {rec.name}: {rec.caption} ({data})"
    return f"[recorded text] {rec.name}: {rec.text[:80]}"


# --------------------------------------------------------------------------- build side


REPORT_TAG = "report"  # markdown cells with this tag are part of the report
INJECTED_TAG = "injected-parameters"  # the cell papermill adds; the analyst never sees it


def numbered_cells(nb: Any) -> list[tuple[int | None, Any]]:
    """Each cell of an executed notebook with the number the analyst sees in the original notebook:
    1-based, papermill's injected-parameters cell not counted (it gets ``None``)."""
    numbered: list[tuple[int | None, Any]] = []
    number = 0
    for cell in nb.get("cells", []):
        if INJECTED_TAG in (cell.get("metadata") or {}).get("tags", []):
            numbered.append((None, cell))
            continue
        number += 1
        numbered.append((number, cell))
    return numbered


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_results(nb: Any, *, section: str, notebook: str, parameters: dict[str, Any]) -> SectionResults:
    """Read every record from an executed notebook (an nbformat NotebookNode or a dict).

    Records come in notebook order: outputs of code cells, and markdown cells tagged ``report``
    as :class:`Text` records named ``md_<cell>`` (``markdown=True``, ``cell`` = the cell number).
    A cell tagged ``report-zh`` or ``report-en`` instead belongs to that language's edition only.
    """
    records: dict[str, Record] = {}
    narrative: set[str] = set()
    for number, cell in numbered_cells(nb):
        if cell.get("cell_type") == "markdown":
            tags = (cell.get("metadata") or {}).get("tags", [])
            langs = [t.split("-", 1)[1] for t in tags if t.startswith(REPORT_TAG + "-")]
            tagged = REPORT_TAG in tags or bool(langs)
            if not tagged or number is None or not _source(cell).strip():
                continue
            rec: Record = Text(name=f"md_{number}", text=_source(cell), markdown=True, cell=number,
                               lang=langs[0] if len(langs) == 1 else None)
            if rec.name in records:
                raise RecordError(f"section {section!r} ({notebook}): the record {rec.name!r} has the name "
                                  f"of the narrative in markdown cell {number}; rename the record")
            records[rec.name] = rec
            narrative.add(rec.name)
            continue
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if MIME_TYPE not in data:
                continue
            payload = data[MIME_TYPE]
            if isinstance(payload, str):
                payload = json.loads(payload)
            rec = record_from_dict(payload)
            if rec.name in narrative:
                raise RecordError(f"section {section!r} ({notebook}): the record {rec.name!r} recorded in "
                                  f"cell {number} has the name of a markdown cell's narrative; rename the record")
            records.pop(rec.name, None)  # a later record of the same name wins, at its new place
            records[rec.name] = rec
    return SectionResults(
        section=section, notebook=notebook, parameters=dict(parameters), records=tuple(records.values())
    )
