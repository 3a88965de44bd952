"""Narrative with live numbers: markdown cells tagged ``report`` rendered into the report.

A tagged markdown cell may hold placeholders bound to the metrics recorded by its section
(``{{ level_latest }}``) or by another section (``{{ market.cagr | pct }}``), shown through one of
the number filters below. Every number in the prose thus comes from a recorded value.

How a cell is rendered (:func:`render_markdown`):

1. the placeholders are checked against the results before anything runs (:func:`problems_in`):
   only ``{{ name }}`` or ``{{ section.name }}`` with at most one filter whose arguments are
   literals; no ``{% statements %}``; every name must be a recorded metric and every filter known;
2. a sandboxed Jinja2 environment (``ImmutableSandboxedEnvironment``, StrictUndefined, autoescape)
   renders each placeholder to an escaped string, which is set aside, and leaves an inert marker
   in the markdown, so a value can never be read as markdown or HTML;
3. markdown-it (CommonMark, raw HTML disabled: a typed ``<script>`` shows as text) renders the
   markdown; images and links to anything but an in-page ``#anchor`` are refused;
4. the rendered markdown, still holding the markers, is checked for leftovers of the cell's own
   template syntax (``{{``, ``{%``, ``}}``); then the markers are replaced by the escaped values
   (braces included, :mod:`reportkit.render.escaping`): a value is data, never a leftover.

Any problem is a :class:`~reportkit.errors.RenderError` naming the section and the cell number.

Filters (``lang`` is the report's language; "—" is never shown, a missing value is an error):

=============  ==========================================  ==========================================
filter         zh                                          en
=============  ==========================================  ==========================================
(none)         the metric with its unit: 155,225 亿元       15.52 trn yuan
``pct``        7.2% (unit "%" as is; a unitless share ×100) 7.2%
``yuan``       an amount in a yuan unit: 155,225 亿元       15.52 trn yuan
``yi``         an amount converted to 亿元: 155 亿元         15.5 bn yuan
``wan``        converted to 万: 12.35 万 (万元 for money)    123,456 / 15.5 bn yuan
``ci``         0.56（95% 置信区间 0.46–0.67）                0.56 (95% CI 0.46–0.67)
``signed``     +1.2 个百分点 / −0.4%                         +1.2 pp / −0.4%
``thousands``  12,346 (rounded, no unit)                    12,346
``num(d)``     the number with d decimals, no unit          the same
=============  ==========================================  ==========================================
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .. import i18n
from ..errors import RenderError
from ..record import Metric, SectionResults, Text
from ..style import formatting
from .escaping import escape_text
from .problems import Problem

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

LEFTOVERS = ("{{", "{%", "}}")
_SLOT = re.compile("\ue000rk(\\d+)\ue001")
_SLOT_CHARS = ("\ue000", "\ue001")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_SOFT_BREAK = re.compile(rf"(?<=[{_CJK}])\n(?=[{_CJK}])")
_SLOTS_KEY = "__reportkit_slots__"  # context entry the finalizer writes to (not a placeholder name)

#: amounts of money: unit → yuan per unit ("" counts as yuan)
YUAN_UNITS: dict[str, float] = {"": 1.0, "元": 1.0, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "万亿元": 1e12}


class PlaceholderError(RenderError):
    """A placeholder's value cannot be shown the way its filter asks (raised inside filters)."""


# --------------------------------------------------------------------------- filters


def _metric(value: Any, filt: str) -> Metric:
    if not isinstance(value, Metric):
        raise PlaceholderError(
            f"the {filt} filter takes a recorded metric, got {value!r} (one filter per placeholder)"
        )
    return value


def _number(value: Any, filt: str) -> tuple[Metric, float | int]:
    m = _metric(value, filt)
    if formatting.is_missing(m.value):
        raise PlaceholderError(f"metric {m.name!r} has no value (it was recorded as missing)")
    if not formatting.is_number(m.value):
        raise PlaceholderError(f"metric {m.name!r} is {m.value!r}, not a number; the {filt} filter needs a number")
    return m, formatting._scalar(m.value)  # noqa: SLF001 - our own helper (reportkit.style), not public API


def _decimals(decimals: Any, filt: str) -> int | None:
    if decimals is None:
        return None
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 10:
        raise PlaceholderError(f"the {filt} filter takes a number of decimals from 0 to 10, got {decimals!r}")
    return decimals


def _yuan(m: Metric, filt: str) -> float:
    unit = (m.unit or "").strip()
    if unit not in YUAN_UNITS:
        raise PlaceholderError(
            f"metric {m.name!r} is in {unit!r}; the {filt} filter takes an amount in "
            + ", ".join(u for u in YUAN_UNITS if u) + " (or no unit, meaning 元)"
        )
    return YUAN_UNITS[unit]


def f_default(value: Any, *, lang: str) -> str:
    """A placeholder without a filter: the metric as the report shows it, with its unit."""
    m = _metric(value, "default")
    if formatting.is_missing(m.value):
        raise PlaceholderError(f"metric {m.name!r} has no value (it was recorded as missing)")
    return formatting.format_metric(m, lang=lang)


def f_pct(value: Any, decimals: int | None = None, *, lang: str) -> str:
    m, x = _number(value, "pct")
    unit = (m.unit or "").strip()
    d = _decimals(decimals, "pct")
    if unit == "%":
        d = m.decimals if d is None else d
    elif unit == "":
        x = x * 100  # a share
        if d is None and m.decimals is not None:
            d = max(0, m.decimals - 2)
    else:
        raise PlaceholderError(f"metric {m.name!r} is in {unit!r}; the pct filter takes a percentage "
                               "(unit '%') or a share without a unit")
    return formatting.format_number(x, d) + "%"


def f_yuan(value: Any, *, lang: str) -> str:
    m, x = _number(value, "yuan")
    _yuan(m, "yuan")
    return formatting.format_value(x, (m.unit or "").strip() or "元", m.decimals, lang=lang)


def f_yi(value: Any, decimals: int | None = None, *, lang: str) -> str:
    m, x = _number(value, "yi")
    amount = x * _yuan(m, "yi") / 1e8
    return formatting.format_value(amount, "亿元", _decimals(decimals, "yi"), lang=lang)


def f_wan(value: Any, decimals: int | None = None, *, lang: str) -> str:
    m, x = _number(value, "wan")
    unit = (m.unit or "").strip()
    d = _decimals(decimals, "wan")
    if unit in YUAN_UNITS and unit:
        return formatting.format_value(x * YUAN_UNITS[unit] / 1e4, "万元", d, lang=lang)
    if unit in formatting.units(lang):
        raise PlaceholderError(f"metric {m.name!r} is in {unit!r}; the wan filter takes a count or an amount in 元")
    text = formatting.format_value(x / 1e4, "万", d, lang=lang)
    if not unit:
        return text
    return i18n.catalogue("numbers", lang)["unit_after"].format(n=text, unit=unit)


def f_ci(value: Any, level: int | float = 95, *, lang: str) -> str:
    m, x = _number(value, "ci")
    if formatting.is_missing(m.ci_low) or formatting.is_missing(m.ci_high):
        raise PlaceholderError(f"metric {m.name!r} has no interval (ci_low/ci_high); the ci filter needs one")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 100:
        raise PlaceholderError(f"the ci filter takes a confidence level in percent, such as 90, got {level!r}")
    places = (m.decimals if m.decimals is not None
              else formatting._auto_decimals(float(x)))  # noqa: SLF001 - our own helper (reportkit.style), not public API
    unit = (m.unit or "").strip()
    mark = unit if unit in ("%", "‰") else ""
    return i18n.catalogue("numbers", lang)["ci"].format(
        value=formatting.format_value(x, unit, places, lang=lang),
        level=formatting.format_number(level),
        low=formatting.format_number(m.ci_low, places) + mark,
        high=formatting.format_number(m.ci_high, places) + mark,
    )


def f_signed(value: Any, decimals: int | None = None, *, lang: str) -> str:
    m, x = _number(value, "signed")
    d = _decimals(decimals, "signed")
    text = formatting.format_value(x, m.unit, m.decimals if d is None else d, lang=lang)
    return "+" + text if x > 0 and text[:1].isdigit() else text


def f_thousands(value: Any, *, lang: str) -> str:
    _, x = _number(value, "thousands")
    return formatting.format_number(int(round(x)))


def f_num(value: Any, decimals: int | None = None, *, lang: str) -> str:
    m, x = _number(value, "num")
    d = _decimals(decimals, "num")
    return formatting.format_number(x, m.decimals if d is None else d)


FILTERS: dict[str, Callable[..., str]] = {
    "pct": f_pct, "yuan": f_yuan, "yi": f_yi, "wan": f_wan, "ci": f_ci,
    "signed": f_signed, "thousands": f_thousands, "num": f_num,
}


# --------------------------------------------------------------------------- environment


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> str:
    """Every placeholder's output: formatted, escaped and set aside; an inert marker stays in the text."""
    slots = context.get(_SLOTS_KEY)
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises, naming what was undefined
    text = f_default(value, lang=context.get("__reportkit_lang__", "zh")) if isinstance(value, Metric) else value
    if not isinstance(text, str):
        raise PlaceholderError(f"a placeholder gave {text!r}; placeholders show recorded metrics")
    slots.append(escape_text(text))
    return f"\ue000rk{len(slots) - 1}\ue001"


@functools.cache
def environment(lang: str) -> ImmutableSandboxedEnvironment:
    """The sandboxed environment of prose in ``lang``: only the number filters, nothing else."""
    env = ImmutableSandboxedEnvironment(
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize,
        keep_trailing_newline=True, auto_reload=False,
    )
    env.filters.clear()  # no built-in filters (|attr, |map, |format …): only ours
    env.tests.clear()
    env.globals.clear()
    for name, func in FILTERS.items():
        env.filters[name] = functools.partial(func, lang=lang)
    return env


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    class AnyLinkMarkdown(MarkdownIt):
        # Parse every link, whatever its scheme (markdown-it leaves javascript:/file: ones as plain
        # text): _check_links then refuses each one that is not an in-page anchor, naming it.
        def validateLink(self, url: str) -> bool:
            return True

    # CommonMark without raw HTML (it is escaped, shown as text), plus pipe tables
    return AnyLinkMarkdown("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


class _SectionMetrics:
    """``{{ market.cagr }}``: the metrics of one section, looked up by item only (no attributes)."""

    __slots__ = ("_metrics",)

    def __init__(self, metrics: Mapping[str, Metric]) -> None:
        self._metrics = dict(metrics)

    def __getitem__(self, name: str) -> Metric:
        return self._metrics[name]


def _metrics_of(res: SectionResults) -> dict[str, Metric]:
    return {r.name: r for r in res.records if isinstance(r, Metric)}


def _context(section: str, results: Mapping[str, SectionResults], lang: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {sid: _SectionMetrics(_metrics_of(res)) for sid, res in results.items()}
    if section in results:
        ctx.update(_metrics_of(results[section]))
    return ctx


# --------------------------------------------------------------------------- placeholders


def _where(section: str, cell: int | None) -> str:
    return f"section {section!r}, cell {cell}" if cell is not None else f"section {section!r}, markdown"


def _expr_text(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_expr_text(node.node)}.{node.attr}"
    if isinstance(node, nodes.Filter):
        args = ", ".join(repr(a.value) if isinstance(a, nodes.Const) else "…" for a in node.args)
        inner = _expr_text(node.node) if node.node is not None else "…"
        return f"{inner} | {node.name}" + (f"({args})" if node.args else "")
    if isinstance(node, nodes.Const):
        return repr(node.value)
    return type(node).__name__.lower()


def find_placeholders(text: str) -> list[str]:
    """The placeholders of a markdown text as written, without braces, in order:
    ``["level_latest", "market.cagr | pct", "x | num(2)"]``. Text that is not valid template
    syntax yields the placeholders found before the error."""
    found = []
    for m in re.finditer(r"\{\{(.*?)\}\}", text or "", re.DOTALL):
        found.append(" ".join(m.group(1).split()))
    return found


def _known(res: SectionResults | None) -> str:
    if res is None:
        return "(no such section)"
    names = sorted(_metrics_of(res))
    return ", ".join(names) if names else "(no metrics recorded)"


def _resolve(node: nodes.Node, section: str, results: Mapping[str, SectionResults]) -> str | None:
    """None if ``node`` (a Name or section.Name) is a recorded metric; otherwise why not."""
    if isinstance(node, nodes.Name):
        sid, name = section, node.name
        if name in results and section in results and name in results[section]:
            return (f"{{{{ {name} }}}} is ambiguous: {name!r} is both a section and a record of "
                    f"section {section!r}; rename the record")
    elif isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        sid, name = node.node.name, node.attr
        if sid not in results:
            if section in results and sid in results[section]:
                return (f"{{{{ {sid}.{name} }}}}: placeholders show a metric through a filter, "
                        f"not its attributes (write {{{{ {sid} }}}} or {{{{ {sid} | num }}}})")
            return (f"unknown placeholder {{{{ {sid}.{name} }}}}: there is no section {sid!r} "
                    f"(sections: {', '.join(results) or '(none)'})")
    else:
        return (f"placeholder {{{{ {_expr_text(node)} }}}} is not allowed: write a recorded metric's "
                "name, or SECTION.NAME for another section's")
    res = results.get(sid)
    rec = res[name] if res is not None and name in res else None
    ref = name if sid == section and isinstance(node, nodes.Name) else f"{sid}.{name}"
    if rec is None:
        return f"unknown placeholder {{{{ {ref} }}}}; section {sid!r} recorded the metrics: {_known(res)}"
    if not isinstance(rec, Metric):
        return f"placeholder {{{{ {ref} }}}} is a {rec.kind}; placeholders show recorded metrics"
    return None


def _static_problems(text: str, *, section: str, results: Mapping[str, SectionResults], lang: str
                     ) -> list[tuple[int | None, str]]:
    """(line, message) for everything wrong with the placeholders of ``text``, found without rendering."""
    if any(ch in text for ch in _SLOT_CHARS):
        return [(None, "the text contains the private-use characters U+E000/U+E001; remove them")]
    env = environment(lang)
    try:
        tree = env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return [(exc.lineno, f"the placeholders are not valid syntax: {exc.message}")]
    found: list[tuple[int | None, str]] = []
    for stmt in tree.body:
        if not isinstance(stmt, nodes.Output):
            found.append((stmt.lineno, f"only {{{{ placeholders }}}} are allowed, not a {{% "
                                       f"{type(stmt).__name__.lower()} %}} statement"))
            continue
        for node in stmt.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            line = node.lineno
            target: nodes.Expr | None = node
            if isinstance(node, nodes.Filter):
                if node.name not in FILTERS:
                    found.append((line, f"unknown filter {node.name!r} in {{{{ {_expr_text(node)} }}}}; "
                                        f"filters: {', '.join(sorted(FILTERS))}"))
                if node.dyn_args is not None or node.dyn_kwargs is not None or not all(
                        isinstance(a, nodes.Const) for a in [*node.args, *(k.value for k in node.kwargs)]):
                    found.append((line, f"{{{{ {_expr_text(node)} }}}}: filter arguments must be plain numbers"))
                target = node.node
                if isinstance(target, nodes.Filter):
                    found.append((line, f"{{{{ {_expr_text(node)} }}}}: one filter per placeholder"))
                    while isinstance(target, nodes.Filter):
                        target = target.node
            # a filter applies to no expression only in a {% filter %} block, a statement refused above
            assert target is not None, f"a filter without an expression in {{{{ {_expr_text(node)} }}}}"
            why = _resolve(target, section, results)
            if why:
                found.append((line, why))
    return found


def _fail(where: str, line: int | None, message: str) -> RenderError:
    return RenderError(f"{where}{f', line {line}' if line else ''}: {message}")


# --------------------------------------------------------------------------- render


def _check_links(tokens: list[Any], where: str) -> None:
    for tok in tokens:
        if tok.type == "image":
            raise RenderError(f"{where}: images are not allowed in report narrative "
                              f"({tok.attrs.get('src', '')!r}); record a figure instead")
        if tok.type == "link_open":
            href = str(tok.attrs.get("href", ""))
            if not href.startswith("#"):
                raise RenderError(f"{where}: a link to {href!r}; report narrative may only link to "
                                  "in-page anchors such as '#table-1' (the report fetches and links nothing outside)")
        if tok.children:
            _check_links(tok.children, where)


def render_markdown(text: str, *, section: str, cell: int | None,
                    results: Mapping[str, SectionResults], lang: str) -> Markup:
    """Fill the placeholders of one markdown cell from ``results`` and render it to safe HTML.

    Raises :class:`RenderError` naming ``section`` and ``cell`` for an unknown placeholder or
    filter, a statement, a value a filter cannot show, an image or external link, or a leftover.
    """
    where = _where(section, cell)
    static = _static_problems(text, section=section, results=results, lang=lang)
    if static:
        raise _fail(where, *static[0]) if len(static) == 1 else RenderError(
            f"{where}: {len(static)} problems:\n  - "
            + "\n  - ".join(f"{f'line {ln}: ' if ln else ''}{msg}" for ln, msg in static))
    slots: list[Markup] = []
    context = _context(section, results, lang)
    context[_SLOTS_KEY] = slots
    context["__reportkit_lang__"] = lang
    try:
        filled = environment(lang).from_string(text).render(context)
    except PlaceholderError as exc:
        raise RenderError(f"{where}: {exc}") from None
    except jinja2.TemplateError as exc:  # UndefinedError, SecurityError, …
        raise _fail(where, getattr(exc, "lineno", None), f"{type(exc).__name__}: {exc}") from None
    md = _markdown()
    tokens = md.parse(filled)
    _check_links(tokens, where)
    html = md.renderer.render(tokens, md.options, {})
    for marker in LEFTOVERS:  # in the narrative itself, before any value is put in
        pos = html.find(marker)
        if pos >= 0:
            raise RenderError(f"{where}: an unfilled template leftover {html[max(0, pos - 20):pos + 30]!r}")

    used: set[int] = set()

    def put(m: re.Match) -> str:
        used.add(int(m.group(1)))
        return str(slots[int(m.group(1))])

    html = _SLOT.sub(put, html)
    if len(used) != len(slots) or any(ch in html for ch in _SLOT_CHARS):
        raise RenderError(f"{where}: a placeholder sits where no value can be shown (in a link target?); "
                          "placeholders belong in the text")
    html = _SOFT_BREAK.sub("", html)  # a line break between two CJK characters is not a space
    return Markup(html)  # noqa: S704 - markdown without raw HTML, values escaped, links vetted


# --------------------------------------------------------------------------- checks


def check_placeholders(results: Mapping[str, SectionResults], *, lang: str = "zh") -> list[Problem]:
    """Every problem of every tagged markdown cell of every section, found before rendering the
    report: unknown placeholders and filters, statements, then (for cells whose placeholders are
    all known) a value a filter cannot show, an external link or image, or a leftover."""
    problems: list[Problem] = []
    for sid, res in results.items():
        for rec in res.records:
            if not (isinstance(rec, Text) and rec.markdown):
                continue
            where = f"cell {rec.cell}" if rec.cell is not None else f"markdown {rec.name!r}"
            static = _static_problems(rec.text, section=sid, results=results, lang=lang)
            for line, message in static:
                problems.append(Problem(sid, where + (f", line {line}" if line else ""), "placeholder", message))
            if static:
                continue
            try:
                render_markdown(rec.text, section=sid, cell=rec.cell, results=results, lang=lang)
            except RenderError as exc:
                message = str(exc).removeprefix(_where(sid, rec.cell) + ": ")
                problems.append(Problem(sid, where, "narrative", message))
    return problems
