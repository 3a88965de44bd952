"""Scaffolding: start a new section notebook or a new report spec from a working skeleton.

``reportkit new section NAME`` → :func:`new_section`: writes ``notebooks/<NAME>.ipynb``, a section
notebook that runs as it is on the demo panel (typed parameters cell, data loading with
``rk.load_panel``, one analysis call, ``rk.record`` of a metric, a table and a figure, and
``report-zh`` / ``report-en`` markdown cells with placeholders bound to the recorded metrics), and
optionally registers it in a report spec (appended to ``sections:``, the rest of the file and its
comments kept as they are).

``reportkit new report NAME`` → :func:`new_report`: writes ``reports/<NAME>.yaml`` with a bilingual
title and subtitle, language, theme, outputs, a first section (``overview``, scaffolded as
:func:`new_section` does into ``notebooks/<NAME>_overview.ipynb``, since a spec needs at least one
section) and a summary line. The cover and the appendix are made
by the report templates from the spec.

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

#: a section id: starts with a lowercase letter; lowercase letters, digits and underscores
SECTION_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: a report id (also its file name): lowercase letters, digits, hyphens and underscores
REPORT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")

DEFAULT_DATA_PATH = "data/simulated/brand_week_panel.csv"
KERNELSPEC = {"display_name": "Python (reportkit)", "language": "python", "name": "reportkit"}


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


# --------------------------------------------------------------------------- the section notebook


def _py(value: str) -> str:
    """A Python string literal keeping Chinese text readable."""
    return json.dumps(value, ensure_ascii=False)


def section_notebook(name: str, *, title_zh: str, title_en: str,
                     data_path: str = DEFAULT_DATA_PATH) -> nbformat.NotebookNode:
    """The notebook :func:`new_section` writes (not written here): cells with empty outputs."""
    v4 = nbformat.v4
    intro = (
        f"# {title_zh} · {title_en}\n\n"
        f"Section notebook `{name}`, scaffolded by `reportkit new section`. It runs as it is on the demo\n"
        "panel; replace the analysis with your own. What reaches the report: everything passed to\n"
        "`rk.record(...)` (metrics, tables, figures) and the markdown cells tagged `report-zh` /\n"
        "`report-en` (or `report` for both editions), whose `{{ placeholders }}` are filled from the\n"
        "recorded metrics. Untagged cells, like this one, are notes for the analyst only."
    )
    params = "\n".join([
        f"panel_path: str = {_py(data_path)}  # your panel file: CSV, Excel (.xlsx) or Parquet, relative to the project",
        'columns: dict[str, str] = {}  # your column names → roles, e.g. {"品牌": "brand", "周": "week", "互动量": "engagement", "加购": "add_to_cart"}',
        'encoding: str = ""  # text encoding of a CSV panel if not UTF-8, e.g. "gb18030" for GBK exports',
        'category: str = "美妆个护"  # category analysed: 美妆个护, 服饰鞋包, 家居家装, 母婴, 3C数码 or 食品饮料',
        'metric: str = "engagement"  # explanatory column: engagement, likes, saves, comments or notes',
        'outcome: str = "add_to_cart"  # outcome column: add_to_cart, orders, gmv or visits',
        'lang: str = "zh"  # report language: zh or en (set by the build from the spec)',
        'theme: str = "default"  # report theme (templates/themes/<name>): figure palette and fonts (set by the build)',
    ])
    load = "\n".join([
        "# Load and check the data. Change `extra` if your file has other descriptive columns, and the",
        "# filter below if you analyse something other than one category.",
        "import numpy as np",
        "",
        "import reportkit as rk",
        "from reportkit.analysis import engagement, narrative, plots",
        "",
        "rk.use_language(lang)  # rk.text(zh=…, en=…) is recorded in this language, rk.say(…) answers in it",
        "plots.use_theme(theme)  # figures in the report's palette and fonts",
        "W = narrative.words(lang)",
        "metric_label = narrative.column_label(metric, lang)",
        "outcome_label = narrative.column_label(outcome, lang)",
        "category_label = narrative.category_label(category, lang)",
        'panel = rk.load_panel(panel_path, columns=columns, encoding=encoding or None, required=[metric, outcome],',
        '                      extra=["category"])',
        'sample = panel[panel["category"] == category]',
        "if sample.empty:",
        '    raise rk.ReportKitError(f"no rows for category = {category!r} in {panel_path}; "',
        '                            f"categories present: {sorted(panel[\'category\'].unique())}")',
        "sample.describe()",
    ])
    analysis = "\n".join([
        "# The analysis: replace it with yours. Every number the report shows must be recorded with",
        "# rk.record(name, value, ...): a metric takes unit, label, decimals, note, ci_low and ci_high.",
        "pooled = engagement.pooled_correlation(sample, engagement=metric, conversion=outcome)",
        'rk.record("r_pooled", pooled.r, decimals=2, ci_low=pooled.ci_low, ci_high=pooled.ci_high,',
        '          label=rk.text(zh=f"{category_label}：{metric_label}与{outcome_label}的相关系数",',
        '                        en=f"{category_label}: correlation of {metric_label.lower()} and {outcome_label.lower()}"),',
        '          note=f"95% CI {pooled.ci_low:.2f}–{pooled.ci_high:.2f}, n = {pooled.n}")',
        'rk.record("n_obs", pooled.n, decimals=0,',
        '          label=rk.text(zh="样本量（品牌周）", en="Observations (brand-weeks)"))',
        "pooled",
    ])
    table = "\n".join([
        "# A small table: a DataFrame is recorded as a table (caption, note, decimals per column).",
        '# A missing cell fails the build unless you pass missing="—" and say why in the note.',
        'by_brand = (sample.groupby("brand")[[metric, outcome]].mean().round(0).reset_index()',
        '            .rename(columns={"brand": W["brand"], metric: metric_label, outcome: outcome_label}))',
        'rk.record("brand_means", by_brand, decimals=0,',
        '          caption=rk.text(zh=f"{category_label}：各品牌周均值", en=f"{category_label}: weekly means by brand"),',
        '          note=rk.say(zh="数据：", en="Data: ") + panel_path.replace("\\\\", "/").rsplit("/", 1)[-1])',
        "by_brand",
    ])
    figure = "\n".join([
        "# A figure: a matplotlib figure is recorded as SVG with its caption. reportkit.analysis.plots has",
        "# scatter_fit, growth_chart, fan_chart and coefficient_plot; any matplotlib figure works.",
        "logged = sample.assign(**{f\"log_{c}\": np.log(sample[c]) for c in (metric, outcome)})",
        'fig = plots.scatter_fit(logged, x=f"log_{metric}", y=f"log_{outcome}", hue="brand",',
        '                        x_label=W["log_of"].format(metric_label), y_label=W["log_of"].format(outcome_label))',
        'rk.record("scatter", fig,',
        '          caption=rk.text(zh=f"{category_label}：{metric_label}与{outcome_label}（对数），r = {pooled.r:.2f}",',
        '                          en=f"{category_label}: {metric_label.lower()} and {outcome_label.lower()} (logs), r = {pooled.r:.2f}"),',
        '          note=rk.text(zh="每个点为一个品牌周；直线为最小二乘拟合，仅作示意。",',
        '                       en="Each point is a brand-week; the line is a least-squares fit, for the eye only."))',
    ])
    prose_help = (
        "The two cells below go into the report (tag `report-zh`: Chinese edition, `report-en`: English).\n"
        "Their text is a placeholder: rewrite it. `{{ name | filter }}` shows a metric recorded in this\n"
        "section (`{{ other_section.name }}` one of another section) through a filter: `pct`, `ci`, `num(2)`,\n"
        "`thousands`, `signed`, `yuan`, `yi`, `wan`. `[[fig:SECTION.NAME]]` / `[[tab:SECTION.NAME]]` link to a recorded\n"
        "figure or table (qualified by the section id, so that two sections may record the same names).\n"
        "An unknown name fails the build, naming it."
    )
    prose_zh = (
        "在 {{ n_obs | thousands }} 个品牌周中，互动量与转化的混合相关系数为 {{ r_pooled | ci }}"
        f"（[[fig:{name}.scatter]]，[[tab:{name}.brand_means]]）。"
    )
    prose_en = (
        "Over {{ n_obs | thousands }} brand-weeks, engagement and conversion correlate at {{ r_pooled | ci }} "
        f"([[fig:{name}.scatter]], [[tab:{name}.brand_means]])."
    )
    methods = "\n".join([
        "# Methods, shown in the report's appendix (a text recorded as \"methods\"); a text recorded as",
        '# "summary" goes into the executive summary. Describe what you did.',
        'rk.record("methods", rk.text(zh="互动量与转化均取对数后计算 Pearson 相关系数，置信区间用 Fisher z 变换。",',
        '                             en="Pearson correlation of log engagement and log conversion; Fisher z confidence interval."))',
    ])
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.cells = [
        v4.new_markdown_cell(intro),
        v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        v4.new_code_cell(load),
        v4.new_markdown_cell("## Analysis"),
        v4.new_code_cell(analysis),
        v4.new_code_cell(table),
        v4.new_code_cell(figure),
        v4.new_markdown_cell(prose_help),
        v4.new_markdown_cell(prose_zh, metadata={"tags": ["report-zh"]}),
        v4.new_markdown_cell(prose_en, metadata={"tags": ["report-en"]}),
        v4.new_code_cell(methods),
    ]
    for i, cell in enumerate(nb.cells):  # stable ids: the same scaffold gives the same file
        cell["id"] = f"{name[:50]}-{i}"
    nbformat.validate(nb)
    return nb


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
    data_path: str = DEFAULT_DATA_PATH,
    parameters: dict[str, Any] | None = None,
) -> Path:
    """Scaffold ``notebooks_dir/<name>.ipynb`` and, if ``spec`` is given, register it there
    (with ``parameters``: the section's parameters in the spec, checked against the notebook's).

    ``name`` is the section id (lowercase letters, digits, ``_``). The titles default to the name.
    ``data_path`` is the default of the notebook's ``panel_path`` parameter (relative to the project,
    or absolute). Refuses an existing notebook and a section id the spec already has; the spec is
    changed only by appending to ``sections:`` and is re-validated before it is written (atomically).
    Returns the notebook's path.
    """
    check_section_name(name)
    return _scaffold_section(name, Path(notebooks_dir) / f"{name}.ipynb", spec=spec, title_zh=title_zh,
                             title_en=title_en, data_path=data_path, parameters=parameters)


def _scaffold_section(name: str, path: Path, *, spec: Path | None, title_zh: str | None, title_en: str | None,
                      data_path: str, parameters: dict[str, Any] | None, role: str = "") -> Path:
    """:func:`new_section` writing the notebook at ``path`` (``role``: what it is, for a refusal)."""
    title_en = title_en or name.replace("_", " ").capitalize()
    title_zh = title_zh or title_en
    for label, value in (("title_zh", title_zh), ("title_en", title_en)):
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise SpecError(f"{label} {value!r} for section {name!r} is not usable; expected one line of text")
    if not isinstance(data_path, str) or not data_path.strip():
        raise SpecError(f"data_path {data_path!r} for section {name!r} is empty; expected the path of a "
                        "CSV, Excel or Parquet panel file")
    _refuse_existing(path, "notebook", role)
    spec_text = None
    if spec is not None:  # check everything before writing anything
        spec_text = register_section(Path(spec), section_id=name, notebook=path, title_zh=title_zh,
                                     title_en=title_en, write=False)
    nb = section_notebook(name, title_zh=title_zh, title_en=title_en, data_path=data_path)
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
    q = _py  # a JSON string is a valid YAML double-quoted scalar
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
outputs: [html, pdf]

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
    section = {
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
