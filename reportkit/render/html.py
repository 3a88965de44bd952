"""Results → one self-contained HTML report, through Jinja2 templates.

The templates see a small, prepared context: the spec's texts in the chosen language, one
chapter per section with its records grouped into blocks (a grid of key figures, paragraphs, a
numbered figure, a numbered table), the executive summary cards and the appendix's traceability
data. Every string is escaped (autoescape is on everywhere); the only markup trusted as is, is a
figure's (or the theme logo's) SVG, after :func:`~reportkit.render.html_checks.check_svg` has vetted
it, and in the analyst edition the notebooks exported by :mod:`reportkit.render.notebooks`. CSS
(the report's own and the theme's) is inlined, so the HTML fetches nothing when opened.

Layout of ``templates_dir`` (the fixed strings are the ``report`` group of the catalogue, :mod:`reportkit.i18n`)::

    report/base.html.j2 …   the page layout, with blocks (head, cover, toc, summary, chapters,
                            appendix, notebooks) a theme or client template may override
    report/report.css       screen and print (paged media) rules
    report/notebook.css     the analyst edition's notebook appendix
    themes/<name>/          theme.yaml (colours, fonts, palette, cover, logo), theme.css, logo,
                            report.html.j2 (optional, extends report/base.html.j2)

Cross-references (``[[fig:NAME]]``, ``[[tab:NAME]]``, ``[[sec:ID]]``) in texts, captions and
notes are resolved once every block is numbered (:mod:`reportkit.render.xref`).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
import jinja2.bccache
from markupsafe import Markup

from .. import i18n
from ..errors import RecordError, RenderError
from ..hanzi import convert_html
from ..i18n import CATALOGUE_DIR, catalogue, check_language, html_lang, run_language
from ..manifest import SECTION_INFO_KEYS, BuildInfo, Manifest
from ..record import Figure, Metric, SectionResults, Table, Text
from ..spec import ReportSpec
from ..style import formatting
from ..style.themes import Theme, available_themes, default_templates_dir, load_theme, read_css
from .alt_text import figure_alt
from .escaping import encode_braces, escape_text
from .html_checks import check_svg
from .prose import render_markdown
from .xref import References

__all__ = ["render_html", "build_context", "available_themes", "default_templates_dir", "load_strings",
           "prepare_svg", "EDITIONS", "check_edition", "Numbered", "number_figures_and_tables", "report_references"]

RESERVED_TEXTS = ("summary", "methods")  # Text records shown in the summary / appendix, not the chapter
APPENDIX_PREFIX = "appendix_"  # records named appendix_* are shown in the appendix, under their section
HASH_SHOWN = 12  # hex digits of a sha256 shown in the appendix (the full hash is in a title attribute)

Edition = Literal["client", "analyst"]
#: client: what a client reads, no code; analyst: adds the executed notebooks as an appendix
EDITIONS: tuple[Edition, ...] = ("client", "analyst")


def check_edition(edition: object) -> Edition:
    for known in EDITIONS:
        if edition == known:
            return known
    raise RenderError(f"unknown edition {edition!r}; expected one of {', '.join(EDITIONS)}")


# --------------------------------------------------------------------------- resources


def _read_css(path: Path) -> str:
    return read_css(path)


class Strings(dict):
    """The template strings of one language; a missing one names the file it should be in."""

    def __init__(self, data: Mapping[str, str], path: Path) -> None:
        super().__init__(data)
        self.path = path

    def __missing__(self, key: str) -> str:
        raise RenderError(f"no template string {key!r} in {self.path}; it has: {', '.join(self)}")


def load_strings(lang: str) -> Strings:
    """The fixed strings of the templates in ``lang``: the ``report`` group of the catalogue
    (``reportkit/catalogue/<lang>.yaml``, see :mod:`reportkit.i18n`)."""
    strings = catalogue("report", check_language(lang, error=RenderError))
    path = CATALOGUE_DIR / f"{lang}.yaml"
    shadowed = sorted(k for k in strings if hasattr(dict, str(k)))
    if shadowed:  # `t.items` in a template would find the dict method, not the string
        raise RenderError(f"{path}: rename {', '.join(shadowed)}; these names are taken by Python dicts")
    return Strings(dict(strings), path)


# --------------------------------------------------------------------------- CSS from strings


def css_string(value: object) -> Markup:
    """A CSS string literal (``"…"``) holding ``value``: quotes, backslashes, line breaks,
    ``<`` and braces escaped, so it can sit in an inlined ``<style>`` element (and a brace from
    data never looks like a template leftover)."""
    text = "" if value is None else str(value)
    out = []
    for ch in text:
        if ch in '"\\<>&{}' or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')  # noqa: S704 - escaped above


_PLACEHOLDER = re.compile(r"\{(page|pages)\}")


def css_counters(template: str) -> Markup:
    """A ``content`` value from a string with ``{page}`` and ``{pages}``: "第 {page} 页 / 共 {pages} 页"
    → ``"第 " counter(page) " 页 / 共 " counter(pages) " 页"``."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.start() > pos:
            parts.append(str(css_string(template[pos:m.start()])))
        parts.append(f"counter({m.group(1)})")
        pos = m.end()
    if pos < len(template):
        parts.append(str(css_string(template[pos:])))
    return Markup(" ".join(parts) or '""')  # noqa: S704 - built from css_string


# --------------------------------------------------------------------------- SVG


_SVG_ID = re.compile(r"""(\sid\s*=\s*)(["'])(.*?)\2""")
_SVG_REF_HREF = re.compile(r"""((?:xlink:)?href\s*=\s*)(["'])#(.*?)\2""")
_SVG_REF_URL = re.compile(r"""url\(\s*(["']?)#(.*?)\1\s*\)""")


_SVG_STYLE = re.compile(r"(<style\b.*?</style\s*>)", re.IGNORECASE | re.DOTALL)
_SVG_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="http://www\.w3\.org/(?:2000/svg|1999/xlink)"')


def prepare_svg(svg: str, *, prefix: str, where: str) -> Markup:
    """Vet a figure's SVG and make it safe to inline next to others.

    Drops anything before ``<svg`` (XML prolog, DOCTYPE) and the ``<metadata>`` block (it holds a
    creation date and nothing visible), and prefixes every ``id`` and ``#`` reference with
    ``prefix`` so that two figures never share an id.
    """
    check_svg(svg, where=where)
    start = svg.lower().find("<svg")
    svg = svg[start:].strip()
    svg = re.sub(r"<metadata\b.*?</metadata>\s*", "", svg, flags=re.DOTALL | re.IGNORECASE)
    ids = {m.group(3) for m in _SVG_ID.finditer(svg)}
    svg = _SVG_ID.sub(lambda m: f"{m.group(1)}{m.group(2)}{prefix}-{m.group(3)}{m.group(2)}", svg)

    def href(m: re.Match) -> str:
        ref = m.group(3)
        return f"{m.group(1)}{m.group(2)}#{prefix}-{ref}{m.group(2)}" if ref in ids else m.group(0)

    def url(m: re.Match) -> str:
        ref = m.group(2)
        return f"url(#{prefix}-{ref})" if ref in ids else m.group(0)

    svg = _SVG_REF_HREF.sub(href, svg)
    svg = _SVG_REF_URL.sub(url, svg)
    # Inline SVG in HTML needs no namespace declarations (the HTML parser puts <svg> and xlink:href
    # in their namespaces); dropping them leaves no "http://" anywhere in the client's HTML.
    svg = _SVG_XMLNS.sub("", svg)
    # text from data (a label "{{Brand}}") must not look like a template leftover: braces as
    # character references, except in <style> (CSS rules, where references are not decoded)
    svg = "".join(part if part[:6].lower() == "<style" else encode_braces(part)
                  for part in _SVG_STYLE.split(svg))
    return Markup(svg)  # noqa: S704 - vetted by check_svg above


# --------------------------------------------------------------------------- context


def _loc(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, i18n.Text):
        return value[lang]
    return str(value)


@dataclass(frozen=True)
class Numbered:
    """A figure or a table where the report shows it: its section, its report-wide number (figures
    and tables are numbered apart) and whether it is in the appendix (a record named ``appendix_*``)."""

    kind: Literal["figure", "table"]
    number: int
    section: str
    record: Figure | Table
    appendix: bool

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.number}"


def number_figures_and_tables(spec: ReportSpec, results: Mapping[str, SectionResults]) -> tuple[Numbered, ...]:
    """Every figure and table of the report in the order a reader meets them, with the number the
    report gives it: the chapters' (sections in the spec's order, records in recorded order), then
    the appendix's supplementary results (records named ``appendix_*``, by section). The one
    numbering of the report: the HTML (and so the PDF) and the data pack both use it."""
    counters = {"figure": 0, "table": 0}
    numbered: list[Numbered] = []
    for appendix in (False, True):
        for sec in spec.sections:
            for rec in results[sec.id].records:
                if isinstance(rec, (Figure, Table)) and rec.name.startswith(APPENDIX_PREFIX) == appendix:
                    kind: Literal["figure", "table"] = "figure" if isinstance(rec, Figure) else "table"
                    counters[kind] += 1
                    numbered.append(Numbered(kind, counters[kind], sec.id, rec, appendix))
    return tuple(numbered)


def report_references(spec: ReportSpec, numbered: tuple[Numbered, ...], strings: Mapping[str, str]) -> References:
    """The cross-reference targets of the report: its chapters (numbered in the spec's order) and
    its figures and tables (``numbered``, from :func:`number_figures_and_tables`)."""
    refs = References(strings)
    for number, sec in enumerate(spec.sections, 1):
        refs.add("sec", sec.id, number, f"section-{sec.id}")
    for item in numbered:
        refs.add("fig" if item.kind == "figure" else "tab", f"{item.section}.{item.record.name}", item.number,
                 item.anchor)
    return refs


def _blocks(res: SectionResults, section_id: str, numbers: Mapping[tuple[str, str], int], *, appendix: bool = False,
            results: Mapping[str, SectionResults] | None = None, lang: str = "zh") -> list[dict[str, Any]]:
    """A section's records in recorded order, grouped for the template: consecutive metrics form
    one grid; figures and tables get their report-wide ``numbers`` ((section, name) → number, from
    :func:`number_figures_and_tables`). ``appendix``: only the records named ``appendix_*``
    (diagnostics and supplementary results); otherwise all the others.

    Texts, captions and notes are copied into the block (``text``, ``caption``, ``note``) so that
    their cross-references can be resolved once every block is numbered."""
    blocks: list[dict[str, Any]] = []
    for rec in res.records:
        if isinstance(rec, Text) and rec.name in RESERVED_TEXTS:
            continue
        if rec.name.startswith(APPENDIX_PREFIX) != appendix:
            continue
        if isinstance(rec, Metric):
            if blocks and blocks[-1]["kind"] == "metrics":
                blocks[-1]["metrics"].append(rec)
            else:
                blocks.append({"kind": "metrics", "metrics": [rec]})
        elif isinstance(rec, Text) and rec.markdown:
            if rec.lang is not None and rec.lang != run_language(lang):
                continue  # a report-zh / report-en cell of the other edition
            html = render_markdown(rec.text, section=section_id, cell=rec.cell,
                                   results=results if results is not None else {section_id: res}, lang=lang)
            blocks.append({"kind": "text", "record": rec, "text": rec.text, "html": html, "section": section_id})
        elif isinstance(rec, Text):
            blocks.append({"kind": "text", "record": rec, "text": rec.text, "html": None, "section": section_id})
        elif isinstance(rec, Figure):
            n = numbers[(section_id, rec.name)]
            svg = prepare_svg(rec.svg, prefix=f"fig{n}", where=f"section {section_id!r}, figure {rec.name!r}")
            blocks.append({"kind": "figure", "record": rec, "number": n, "anchor": f"figure-{n}", "svg": svg,
                           "caption": rec.caption, "note": rec.note, "section": section_id})
        elif isinstance(rec, Table):
            n = numbers[(section_id, rec.name)]
            regression = rec.style == "regression"
            blocks.append({
                "kind": "table", "record": rec, "number": n, "anchor": f"table-{n}",
                "caption": rec.caption, "note": rec.note, "section": section_id,
                # a regression table's columns are models: every column but the labels is centred
                "numeric": ((False,) + (True,) * (len(rec.columns) - 1)) if regression
                else formatting.numeric_columns(rec.columns, rec.rows),
                "table_class": f"data-table table-{rec.style}" if rec.style else "data-table",
                # rows with an empty label hold the standard errors of the row above
                "row_classes": tuple("se-row" if regression and not (row and row[0]) else "" for row in rec.rows),
            })
        else:  # pragma: no cover - record.py only makes the four kinds
            raise RenderError(f"section {section_id!r}: cannot show a record of kind {rec.kind!r}")
    return blocks


def _summary_cards(spec: ReportSpec, results: Mapping[str, SectionResults], lang: str) -> list[dict[str, Any]]:
    cards = []
    for ref in spec.summary:
        section_id, name = ref.split(".", 1)
        try:
            rec = results[section_id][name]
        except RecordError as exc:
            raise RenderError(f"summary entry {ref!r} in the report spec: {exc}") from exc
        if not isinstance(rec, Metric):
            raise RenderError(
                f"summary entry {ref!r} in the report spec is a {rec.kind}; summary cards show metrics only"
            )
        cards.append({"metric": rec, "section": _loc(spec.section(section_id).title, lang),
                      "anchor": f"section-{section_id}"})
    return cards


def _check_inputs(spec: ReportSpec, results: Mapping[str, SectionResults],
                  build_info: BuildInfo | Manifest | Mapping[str, Any]) -> BuildInfo:
    missing = [s.id for s in spec.sections if s.id not in results]
    if missing:
        raise RenderError(
            f"no results for section(s) {', '.join(missing)}; results were given for: "
            f"{', '.join(results) or '(none)'}"
        )
    build_info = as_build_info(build_info)
    for sec in spec.sections:
        if sec.id not in build_info.sections:
            raise RenderError(
                f"build_info['sections'][{sec.id!r}] must be a mapping with {', '.join(SECTION_INFO_KEYS)}; "
                f"got None"
            )
    return build_info


def as_build_info(build_info: BuildInfo | Manifest | Mapping[str, Any]) -> BuildInfo:
    """The typed build_info of a BuildInfo, a Manifest, or a mapping with the keys of
    :data:`reportkit.manifest.BUILD_INFO_KEYS` (checked here, once: a RenderError names a missing key or a value of the wrong shape)."""
    if isinstance(build_info, Manifest):
        return build_info.build_info
    return BuildInfo.from_mapping(build_info, error=RenderError)


def _resolve_references(refs: References, chapters: list[dict], supplements: list[dict],
                        section_summaries: list[dict], methods: list[dict]) -> None:
    """Rewrite every reference in texts, captions and notes to its qualified form (or fail)."""
    for group in (chapters, supplements):
        for ch in group:
            for b in ch["blocks"]:
                if b["kind"] == "text":
                    where = f"section {b['section']!r}, text {b['record'].name!r}"
                    b["text"] = refs.canonical(b["text"], section=b["section"], where=where)
                    if b["html"] is not None:  # a narrative cell, already rendered: its references too
                        qualified = refs.canonical(str(b["html"]), section=b["section"], where=where)
                        # safe: the cell was escaped when rendered; canonical() only rewrites [[kind:name]]
                        # into [[kind:section.name]] with checked section ids and record names
                        b["html"] = Markup(qualified)  # noqa: S704 - see above
                elif b["kind"] in ("figure", "table"):
                    what = f"{b['kind']} {b['record'].name!r}"
                    for field in ("caption", "note"):
                        b[field] = refs.canonical(b[field], section=b["section"],
                                                  where=f"section {b['section']!r}, {field} of {what}")
    for bucket, name in ((section_summaries, "summary"), (methods, "methods")):
        for item in bucket:
            item["text"] = refs.canonical(item["text"], section=item["id"],
                                          where=f"section {item['id']!r}, text {name!r}")


def build_context(spec: ReportSpec, results: Mapping[str, SectionResults], *, lang: str,
                  build_info: BuildInfo | Manifest | Mapping[str, Any], strings: Mapping[str, str], css: str,
                  theme: Theme | None = None, edition: str = "client",
                  notebooks: Mapping[str, Markup] | None = None) -> dict[str, Any]:
    """Everything the templates see."""
    build_info = _check_inputs(spec, results, build_info)
    edition = check_edition(edition)
    theme = theme if theme is not None else load_theme(spec.theme)
    numbered = number_figures_and_tables(spec, results)
    numbers = {(item.section, item.record.name): item.number for item in numbered}
    counters = {kind: sum(1 for item in numbered if item.kind == kind) for kind in ("figure", "table")}
    refs = report_references(spec, numbered, strings)
    chapters: list[dict[str, Any]] = []
    section_summaries: list[dict[str, Any]] = []
    methods: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for number, sec in enumerate(spec.sections, 1):
        res = results[sec.id]
        title = _loc(sec.title, lang)
        chapters.append({"id": sec.id, "anchor": f"section-{sec.id}", "number": number, "title": title,
                         "blocks": _blocks(res, sec.id, numbers, results=results, lang=lang)})
        for name, bucket in (("summary", section_summaries), ("methods", methods)):
            rec = res[name] if name in res else None
            if isinstance(rec, Text):
                bucket.append({"id": sec.id, "title": title, "anchor": f"section-{sec.id}", "text": rec.text})
        info = build_info.sections[sec.id]
        runs.append({"id": sec.id, "title": title, "number": number, "notebook": info.notebook,
                     "run_key": info.run_key,
                     "parameters": [(str(k), formatting.format_parameter(v))
                                    for k, v in sorted(info.parameters.items())]})
    supplements = []
    for sec in spec.sections:  # numbered after every chapter's figures and tables
        extra = _blocks(results[sec.id], sec.id, numbers, appendix=True, results=results, lang=lang)
        if extra:
            supplements.append({"id": sec.id, "title": _loc(sec.title, lang), "anchor": f"section-{sec.id}",
                                "blocks": extra})
    # every block is placed and numbered: now the cross-references can be resolved
    _resolve_references(refs, chapters, supplements, section_summaries, methods)

    hashes = {d.path: d.sha256 for d in build_info.data}
    notebooks_shown = []
    if edition == "analyst":
        given = notebooks or {}
        missing = [s.id for s in spec.sections if s.id not in given]
        if missing:
            raise RenderError(f"the analyst edition shows every section's executed notebook; none was given "
                              f"for {', '.join(missing)}")
        notebooks_shown = [{"id": run["id"], "title": run["title"], "number": run["number"],
                            "notebook": run["notebook"], "anchor": f"notebook-{run['id']}",
                            "html": given[run["id"]]} for run in runs]
    generated = build_info.generated
    client = spec.client or theme.client
    confidentiality = spec.confidentiality or theme.confidentiality
    logo = theme.logo_svg()
    return {
        "lang": lang,
        "html_lang": html_lang(lang),
        "t": strings,
        "css": Markup(css),  # noqa: S704 - our own CSS files, checked for '</'
        "edition": edition,
        "theme": {"name": theme.name, "cover": theme.cover},
        "logo": prepare_svg(logo, prefix="logo", where=f"theme {theme.name!r}, logo {theme.logo!r}") if logo else "",
        "title": _loc(spec.title, lang),
        "subtitle": _loc(spec.subtitle, lang),
        "publisher": _loc(spec.publisher, lang),
        "client": _loc(client, lang),
        "confidentiality": _loc(confidentiality, lang),
        "date": spec.date or generated[:10],
        "cards": _summary_cards(spec, results, lang),
        "section_summaries": section_summaries,
        "chapters": chapters,
        "methods": methods,
        "supplements": supplements,
        "data_sources": [{"path": d.path, "source": _loc(d.source, lang), "licence": d.licence,
                          "sha256": hashes.get(d.path, ""), "sha256_short": hashes.get(d.path, "")[:HASH_SHOWN]}
                         for d in spec.data],
        "environment": sorted((str(k), str(v)) for k, v in build_info.environment.items()),
        "runs": runs,
        "notebooks": notebooks_shown,
        "build": {"generated": generated, "commit": build_info.commit,
                  "reportkit_version": build_info.reportkit_version, "spec_path": build_info.spec_path},
        "counts": dict(counters),
        "figures_and_tables": [
            {"kind": b["kind"], "number": b["number"], "anchor": b["anchor"], "caption": b["caption"]}
            for ch in [*chapters, *supplements] for b in ch["blocks"] if b["kind"] in ("figure", "table")
        ],
        "refs": refs,
    }


# --------------------------------------------------------------------------- environment


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` of the report templates: a string (from data) escaped with its braces
    encoded (:mod:`reportkit.render.escaping`); markup and anything else as Jinja2 shows it."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return escape_text(value)
    return value


class _CompiledTemplates(jinja2.BytecodeCache):
    """The report templates compiled once per process (each render makes a new environment, with
    filters bound to its language and references, and would otherwise compile them all again:
    ~0.03 s). Keyed by template name and file, used only while the source is unchanged (its
    checksum), and only by :func:`make_environment`, whose environments all have the same options."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


_COMPILED_TEMPLATES = _CompiledTemplates()


def make_environment(templates_dir: Path, lang: str, refs: References | None = None) -> jinja2.Environment:
    """Autoescape everywhere, StrictUndefined, the number filters bound to ``lang`` and the
    ``xref`` filter bound to ``refs`` (the cross-reference targets of the report being rendered)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        bytecode_cache=_COMPILED_TEMPLATES,
    )
    env.filters["num"] = formatting.format_number
    env.filters["metric"] = lambda m: formatting.format_metric(m, lang=lang)
    env.filters["metric_parts"] = lambda m: formatting.split_number(formatting.format_metric(m, lang=lang))
    env.filters["value"] = lambda v, unit="", decimals=None: formatting.format_value(v, unit, decimals, lang=lang)
    env.filters["cell"] = lambda v, decimals=2, column="", missing=None: (
        (missing or formatting.MISSING) if formatting.is_missing(v) else formatting.format_cell(v, decimals, column, lang=lang))
    env.filters["paragraphs"] = formatting.paragraphs
    env.filters["css_string"] = css_string
    env.filters["css_counters"] = css_counters
    # cross-references: `text|xref` links them, `text|xref(link=False)` writes their labels only
    # (bound to this render's references, so that macros imported without context have it too)
    refs = refs if refs is not None else References(load_strings(lang))
    env.filters["xref"] = lambda value, link=True: refs.link(value, link=link)
    # a figure's alternative text: `block|figure_alt(label, caption)` (render/alt_text.py)
    strings = load_strings(lang)
    env.filters["figure_alt"] = lambda block, label, caption: figure_alt(
        str(label), str(caption), getattr(block["record"], "data", None), strings, lang)
    env.tests["missing"] = formatting.is_missing
    return env


def _template_location(exc: BaseException, templates_dir: Path) -> str:
    """``report/section.html.j2:42`` for the innermost template frame of a Jinja error."""
    root = str(Path(templates_dir).resolve())
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(root):
            return f"{Path(frame.filename).relative_to(root)}:{frame.lineno}: "
    lineno = getattr(exc, "lineno", None)
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    return f"{name}:{lineno}: " if name and lineno else ""


def render_html(spec: ReportSpec, results: Mapping[str, SectionResults], *, lang: str,
                build_info: BuildInfo | Manifest | Mapping[str, Any], templates_dir: Path | None = None,
                theme: str | None = None,
                edition: Edition = "client", notebooks: Mapping[str, Any] | None = None) -> str:
    """Render the report in ``lang`` to one self-contained HTML string.

    ``results`` maps each section id to what its run recorded; ``build_info`` (a
    :class:`~reportkit.manifest.BuildInfo`, the build's Manifest, or a mapping with the same keys)
    carries ``generated``, ``commit``, ``reportkit_version``, ``spec_path``, ``sections`` (section id
    → notebook, parameters, run_key), ``data`` (path, sha256) and ``environment`` (package →
    version), shown in the appendix. ``theme`` overrides ``spec.theme``.
    ``edition="analyst"`` adds the executed notebooks (``notebooks``: section id → notebook
    node) as an appendix; the client edition shows no code.

    Raises :class:`RenderError` for an unknown language, theme or edition, a missing summary
    metric, an unknown cross-reference, an unsafe figure or a template error.
    """
    check_language(lang, source="render_html", error=RenderError)
    edition = check_edition(edition)
    tdir = Path(templates_dir) if templates_dir is not None else default_templates_dir()
    if not (tdir / "report").is_dir():
        raise RenderError(f"no report templates in {tdir}: expected {tdir / 'report'}/base.html.j2")
    theme_obj = load_theme(theme or spec.theme, tdir)
    strings = load_strings(lang)
    # the theme comes last: it sets the custom properties report.css uses, and may override rules
    css = [_read_css(tdir / "report" / "report.css")]
    exported = None
    if edition == "analyst":
        from .notebooks import export_notebooks

        css.append(_read_css(tdir / "report" / "notebook.css"))
        exported = export_notebooks(dict(notebooks or {}), truncated=strings["output_truncated"],
                                    narrative=strings["notebook_narrative"], removed=strings["notebook_removed"],
                                    cell_label=strings["notebook_removed_cell"])
    css.append(theme_obj.css())
    context = build_context(spec, results, lang=lang, build_info=build_info, strings=strings,
                            css="\n".join(css), theme=theme_obj, edition=edition, notebooks=exported)
    env = make_environment(tdir, lang, context["refs"])
    try:
        page = env.get_template(theme_obj.template() or "report/base.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{_template_location(exc, tdir)}template error: {exc}") from exc
    except (RecordError, RenderError) as exc:
        raise RenderError(f"{_template_location(exc, tdir)}{exc}") from exc
    # a Traditional Chinese edition: what the reader sees converted, in the region's font faces
    return convert_html(page, lang, keep=spec.proper_names)
