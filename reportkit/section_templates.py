"""The notebooks ``reportkit new section`` writes, one builder per kind of section.

Each kind is a working skeleton an analyst starts from: a typed ``parameters`` cell holding the
data roles of that kind (papermill and :func:`reportkit.params.read_parameters` read it), data
loading, one or two analysis calls, ``rk.record(...)`` of what the report shows, ``report-zh`` /
``report-en`` markdown cells whose ``{{ placeholders }}`` are bound to the recorded metrics, and a
``methods`` text. Every kind runs as it is with its defaults, on data shipped in ``data/``:

* ``engagement``: an engagement → conversion section on a brand × week panel (``panel_path``, a
  ``columns`` mapping to the panel's roles, ``encoding``, ``category``, ``metric``, ``outcome``),
  through :func:`reportkit.load_panel` and :mod:`reportkit.analysis.engagement`; default data: the
  simulated demo panel;
* ``market``: a market series (``data_path``, ``columns`` mapping to the roles period, value,
  growth, share, total; ``values``, ``frequency``, ``unit``, ``series_name``, ``source_name``,
  ``encoding``, ``date_format``, ``first_period``, ``last_period``, ``horizon``) read by
  :func:`reportkit.data.market.read_market_series`, measured by :mod:`reportkit.analysis.market`,
  worded by :mod:`reportkit.analysis.market_text`, forecast by
  :func:`reportkit.analysis.forecast_combine.combine_forecast` (80 % interval) and drawn by
  :mod:`reportkit.analysis.plots`; default data: the NBS online retail series. A short version of
  ``notebooks/market_trends.ipynb``;
* ``blank``: the smallest section that runs: a table read with :func:`reportkit.load_data`, one
  metric, one table, the report cells and a methods text.

Builders only build (:func:`section_notebook`); writing the file and registering the section in a
spec is :mod:`reportkit.scaffold`'s. The notebooks' texts are bilingual through ``rk.text`` /
``rk.say`` and the catalogue's words, never a branch on the language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Literal, cast, get_args

import nbformat

from .choices import check_choice
from .errors import SpecError

__all__ = [
    "SectionKind",
    "SECTION_KINDS",
    "DEFAULT_KIND",
    "DEFAULT_DATA",
    "DATA_PARAMETER",
    "KERNELSPEC",
    "check_kind",
    "section_notebook",
]

SectionKind = Literal["engagement", "market", "blank"]
#: the kinds of section ``reportkit new section --kind`` scaffolds
SECTION_KINDS: tuple[str, ...] = get_args(SectionKind)
DEFAULT_KIND: SectionKind = "engagement"
#: the data file each kind's notebook reads by default (relative to the project)
DEFAULT_DATA: Mapping[str, str] = MappingProxyType({
    "engagement": "data/simulated/brand_week_panel.csv",
    "market": "data/nbs_online_retail_annual.csv",
    "blank": "data/simulated/brand_week_panel.csv",
})
#: the parameter holding the data path in each kind's notebook (``--data`` sets its default)
DATA_PARAMETER: Mapping[str, str] = MappingProxyType({
    "engagement": "panel_path",
    "market": "data_path",
    "blank": "data_path",
})
KERNELSPEC = {"display_name": "Python (reportkit)", "language": "python", "name": "reportkit"}

_PROSE_HELP = (
    "The two cells below go into the report (tag `report-zh`: Chinese edition, `report-en`: English).\n"
    "Their text is a placeholder: rewrite it. `{{ name | filter }}` shows a metric recorded in this\n"
    "section (`{{ other_section.name }}` one of another section) through a filter: `pct`, `ci`, `num(2)`,\n"
    "`thousands`, `signed`, `yuan`, `yi`, `wan`. `[[fig:SECTION.NAME]]` / `[[tab:SECTION.NAME]]` link to a recorded\n"
    "figure or table (qualified by the section id, so that two sections may record the same names).\n"
    "An unknown name fails the build, naming it."
)


def check_kind(kind: object) -> SectionKind:
    """``kind`` if it is one of :data:`SECTION_KINDS`; else a SpecError naming it and the kinds."""
    return cast(SectionKind, check_choice("section kind (--kind)", kind, SECTION_KINDS, error=SpecError))


def _py(value: str) -> str:
    """A Python string literal keeping Chinese text readable."""
    return json.dumps(value, ensure_ascii=False)


def _code(lines: list[str]) -> str:
    return "\n".join(lines)


# --------------------------------------------------------------------------- engagement


def _engagement(name: str, title_zh: str, title_en: str, data_path: str) -> list[nbformat.NotebookNode]:
    """Engagement → conversion on a brand × week panel (the demo panel by default)."""
    v4 = nbformat.v4
    intro = (
        f"# {title_zh} · {title_en}\n\n"
        f"Section notebook `{name}`, scaffolded by `reportkit new section`. It runs as it is on the demo\n"
        "panel; replace the analysis with your own. What reaches the report: everything passed to\n"
        "`rk.record(...)` (metrics, tables, figures) and the markdown cells tagged `report-zh` /\n"
        "`report-en` (or `report` for both editions), whose `{{ placeholders }}` are filled from the\n"
        "recorded metrics. Untagged cells, like this one, are notes for the analyst only."
    )
    params = _code([
        f"panel_path: str = {_py(data_path)}  # your panel file: CSV, Excel (.xlsx) or Parquet, relative to the project",
        'columns: dict[str, str] = {}  # your column names → roles, e.g. {"品牌": "brand", "周": "week", "互动量": "engagement", "加购": "add_to_cart"}',
        'encoding: str = ""  # text encoding of a CSV panel if not UTF-8, e.g. "gb18030" for GBK exports',
        'category: str = "美妆个护"  # category analysed: 美妆个护, 服饰鞋包, 家居家装, 母婴, 3C数码 or 食品饮料',
        'metric: str = "engagement"  # explanatory column: engagement, likes, saves, comments or notes',
        'outcome: str = "add_to_cart"  # outcome column: add_to_cart, orders, gmv or visits',
        'lang: str = "zh"  # report language: zh or en (set by the build from the spec)',
        'theme: str = "default"  # report theme (templates/themes/<name>): figure palette and fonts (set by the build)',
    ])
    load = _code([
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
        '                      extra=["category"], other_columns="keep")  # columns that play no role are kept, unchecked',
        'sample = panel[panel["category"] == category]',
        "if sample.empty:",
        '    raise rk.ReportKitError(f"no rows for category = {category!r} in {panel_path}; "',
        '                            f"categories present: {sorted(panel[\'category\'].unique())}")',
        "sample.describe()",
    ])
    analysis = _code([
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
    table = _code([
        "# A small table: a DataFrame is recorded as a table (caption, note, decimals per column).",
        '# A missing cell fails the build unless you pass missing="—" and say why in the note.',
        'by_brand = (sample.groupby("brand")[[metric, outcome]].mean().round(0).reset_index()',
        '            .rename(columns={"brand": W["brand"], metric: metric_label, outcome: outcome_label}))',
        'rk.record("brand_means", by_brand, decimals=0,',
        '          caption=rk.text(zh=f"{category_label}：各品牌周均值", en=f"{category_label}: weekly means by brand"),',
        '          note=rk.say(zh="数据：", en="Data: ") + panel_path.replace("\\\\", "/").rsplit("/", 1)[-1])',
        "by_brand",
    ])
    figure = _code([
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
    prose_zh = (
        "在 {{ n_obs | thousands }} 个品牌周中，互动量与转化的混合相关系数为 {{ r_pooled | ci }}"
        f"（[[fig:{name}.scatter]]，[[tab:{name}.brand_means]]）。"
    )
    prose_en = (
        "Over {{ n_obs | thousands }} brand-weeks, engagement and conversion correlate at {{ r_pooled | ci }} "
        f"([[fig:{name}.scatter]], [[tab:{name}.brand_means]])."
    )
    methods = _code([
        "# Methods, shown in the report's appendix (a text recorded as \"methods\"); a text recorded as",
        '# "summary" goes into the executive summary. Describe what you did.',
        'rk.record("methods", rk.text(zh="互动量与转化均取对数后计算 Pearson 相关系数，置信区间用 Fisher z 变换。",',
        '                             en="Pearson correlation of log engagement and log conversion; Fisher z confidence interval."))',
    ])
    return [
        v4.new_markdown_cell(intro),
        v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        v4.new_code_cell(load),
        v4.new_markdown_cell("## Analysis"),
        v4.new_code_cell(analysis),
        v4.new_code_cell(table),
        v4.new_code_cell(figure),
        v4.new_markdown_cell(_PROSE_HELP),
        v4.new_markdown_cell(prose_zh, metadata={"tags": ["report-zh"]}),
        v4.new_markdown_cell(prose_en, metadata={"tags": ["report-en"]}),
        v4.new_code_cell(methods),
    ]


# --------------------------------------------------------------------------- market


def _market(name: str, title_zh: str, title_en: str, data_path: str) -> list[nbformat.NotebookNode]:
    """A market series: growth, compound growth, a combined forecast with its interval (NBS by default)."""
    v4 = nbformat.v4
    nbs = data_path == DEFAULT_DATA["market"]
    # the roles of the default file (its metadata YAML gives names, unit and caveats; 2025 is not
    # verified); another file's roles are the analyst's to declare, and all its periods count
    columns = ('{"year": "period", "online_retail_100m_yuan": "value", "online_yoy_official_pct": "growth"}'
               if nbs else "{}")
    last = '"2024"' if nbs else '""'
    intro = (
        f"# {title_zh} · {title_en}\n\n"
        f"Section notebook `{name}`, scaffolded by `reportkit new section --kind market`: one market series\n"
        "(annual, quarterly or monthly; levels, January-to-period totals or growth rates; the unit as you\n"
        "declare it), its growth measured the ways the data allow, compound growth and a combined forecast\n"
        "of annual totals with an 80 % interval. Point `data_path` and `columns` at your series; what the\n"
        "source says about it (names, unit, caveats) may sit in a YAML file beside it with the same stem\n"
        "(see `data/nbs_online_retail_annual.yaml`). What reaches the report: everything passed to\n"
        "`rk.record(...)` and the markdown cells tagged `report-zh` / `report-en`. The demo's full market\n"
        "chapter, `notebooks/market_trends.ipynb`, adds shares, contributions, the values of the last\n"
        "year's periods, a seasonal decomposition and the backtest's tables."
    )
    # comments hold no quotes or braces: papermill's parameter parser would stumble on them
    params = _code([
        f"data_path: str = {_py(data_path)}  # your market series: CSV, Excel (.xlsx) or Parquet, relative to the project",
        f"columns: dict[str, str] = {columns}  # your column names → roles: period, value, growth (a published YoY %), "
        "share (a published % of a total), total; a column already named after its role needs no entry",
        'values: str = "level"  # what the value column holds: level, ytd (January-to-period cumulative) or growth (% on a year earlier)',
        'frequency: str = "auto"  # annual, quarterly, monthly, or auto (from the period labels or the spacing of dates)',
        'unit: str = ""  # unit of the values as the source states it (元, 万元, 亿元, USD million…); empty: from the metadata file',
        "series_name: dict[str, str] = {}  # the series name per language (keys zh and en); empty: from the metadata file, "
        "else the name of the value column",
        "source_name: dict[str, str] = {}  # the source per language (keys zh and en); empty: from the metadata file, "
        "else the file name",
        'encoding: str = ""  # text encoding of a CSV file if not UTF-8, e.g. gb18030 for GBK exports',
        'date_format: str = ""  # strptime format for day- or month-first dates, e.g. %m/%d/%y',
        'first_period: str = ""  # first year (or period, e.g. 2019Q4) of the growth table and chart; empty: the first in the data',
        f"last_period: str = {last}  # last year (or period) of data used; empty: the last in the data",
        'horizon: str = "2029"  # forecast annual totals up to this year',
        'lang: str = "zh"  # report language: zh or en (set by the build from the spec)',
        'theme: str = "default"  # report theme (templates/themes/<name>): figure palette and fonts (set by the build)',
    ])
    load = _code([
        "# Read the series: roles by the column mapping, numbers converted explicitly (1,234 / 1.2万 / 7.2%),",
        "# names, unit, source and caveats from the arguments or the metadata file beside the data.",
        "import reportkit as rk",
        "from reportkit.analysis import forecast_combine, market, narrative, plots",
        "from reportkit.analysis import market_text as mt",
        "from reportkit.data.market import read_market_series",
        "",
        "rk.use_language(lang)  # rk.text(zh=…, en=…) is recorded in this language, rk.say(…) answers in it",
        "plots.use_theme(theme)  # figures in the report's palette and fonts",
        "ms = read_market_series(data_path, columns=columns, values=values, frequency=frequency, unit=unit,",
        "                        name=series_name, source=source_name, encoding=encoding, date_format=date_format)",
        "name, source_note, W = ms.name.resolve(), mt.source_note(ms), narrative.words(lang)",
        "ms",
    ])
    growth = _code([
        "# Growth the ways the data allow: from the levels and, with a growth column, as the source publishes",
        "# it. Every number the report shows is recorded: a metric takes unit, label, decimals and note.",
        "growth = market.growth_table(ms, first=first_period or None, last=last_period or None)",
        "latest = growth.iloc[-1]",
        "when = mt.period_text(latest[\"period\"])",
        "words = {k: v.resolve() for k, v in mt.growth_words(ms).items()}",
        'rk.record("level_latest", latest["level"], unit=ms.unit, decimals=0,',
        '          label=mt.say("level_label", period=when, name=ms.name))',
        'rk.record("growth_latest", latest["yoy_from_levels_pct"], unit="%", decimals=1,',
        '          label=mt.say("rate_label", period=when, what=mt.say("growth_from_levels")))',
        'fig = plots.growth_chart(growth, level_label=name, official_label=words.get("published"),',
        '                         levels_label=words["from_levels"], unit=ms.unit)',
        'both = "both" if ms.growth is not None else "levels"',
        'rk.record("growth_chart", fig, note=source_note,',
        '          caption=mt.say(f"chart_caption_{both}", name=ms.name, first=mt.period_text(growth["period"].iloc[0]),',
        "                         last=when))",
        "# the table: a cell without a value shows as a dash (missing=...), and the note says why",
        'shown = growth.drop(columns=["flag"] + ([] if ms.growth is not None else ["yoy_published_pct", "gap_pp"]))',
        'shown = shown.rename(columns={"period": words["period"], "level": words["level"],',
        '                              "yoy_published_pct": words.get("published"),',
        '                              "yoy_from_levels_pct": words["from_levels"] + " %", "gap_pp": words["gap"],',
        '                              "pop_pct": words.get("pop")})',
        'first_note = (mt.say("table_note_first", first=mt.period_text(growth["period"].iloc[0]))',
        '              if growth["yoy_from_levels_pct"].isna().iloc[0] else "")',
        'rk.record("growth_table", shown, decimals={words["level"]: 0} | {c: 1 for c in shown.columns[2:]}, missing="—",',
        '          caption=mt.say(f"table_caption_{both}", name=ms.name), note=source_note + first_note)',
        "caveat = mt.gap_paragraph(ms, growth, 1.0)  # where the two measures differ by more than 1 point, and why",
        "if caveat is not None:",
        '    rk.record("growth_caveat", caveat)',
        "growth",
    ])
    cagr = _code([
        "# Compound annual growth from levels, from the first period of the table in the latest one's season",
        "# (2019Q4 to 2024Q4, 2019-12 to 2024-12) to the latest period.",
        'same_season = growth[(growth["period"].str[4:] == str(latest["period"])[4:]) & growth["level"].notna()]',
        'cg = market.compound_growth(ms, same_season["period"].iloc[0], latest["period"])',
        'rk.record("cagr", cg.rate_pct, unit="%", decimals=1,',
        '          label=mt.say("cagr_label", start=mt.period_text(cg.start), end=mt.period_text(cg.end)),',
        '          note=mt.say("cagr_note", start_value=mt.number(cg.start_value, ms.unit),',
        '                      end_value=mt.number(cg.end_value, ms.unit)))',
        "cg",
    ])
    forecast = _code([
        "# A forecast of annual totals (quarterly or monthly data: complete years only; the backtest needs 8",
        "# or more): the best 3 of these models in a rolling-origin backtest, combined, with empirical 80 %",
        "# and 95 % prediction intervals. The growth model uses a published annual rate where there is one.",
        "target = market.forecast_target(ms, last=last_period or None)",
        'models = ["naive", "drift", "theta", "ets_damped", "arima"] + (["growth"] if target.growth is not None else [])',
        "cf = forecast_combine.combine_forecast(target.series, until=horizon, models=models, growth=target.growth)",
        "what = mt.target_name(ms, target)",
        "end = cf.table.iloc[-1]",
        'rk.record("forecast_horizon", end["forecast"], unit=ms.unit, decimals=0, ci_low=end["lo80"], ci_high=end["hi80"],',
        '          label=mt.say("forecast_label", horizon=horizon),',
        '          note=narrative.interval_note(end["lo80"], end["hi80"], unit=ms.unit, decimals=0, level=80, lang=lang))',
        'fig = plots.fan_chart(target.series, cf.table, value_label=name, actual_label=W["actual"],',
        '                      forecast_label=W["forecast"], band80_label=W["band80"], band95_label=W["band95"], unit=ms.unit)',
        'rk.record("forecast_chart", fig, note=mt.say("fan_note", target=what, note=cf.note[lang]),',
        '          caption=mt.say("fan_caption", name=ms.name, target=what, horizon=horizon, method=cf.combination_label(lang)))',
        'table = cf.table.rename(columns={"period": words["period"], "forecast": W["forecast"], "lo80": W["lo80"],',
        '                                 "hi80": W["hi80"], "lo95": W["lo95"], "hi95": W["hi95"]})',
        'rk.record("forecast_intervals", table, decimals=0, note=mt.say("forecast_note"),',
        '          caption=mt.say("forecast_caption", name=ms.name, target=what, unit=ms.unit))',
        "table",
    ])
    # (names other than the demo market chapter's fan_chart and forecast_table, which its prose cites
    # unqualified: both chapters can be in one report)
    prose_zh = (
        "最近一期（{{ level_latest }}）按总量计算较上年同期增长 {{ growth_latest | pct }}，"
        f"按总量计算的年均复合增长率为 {{{{ cagr | pct }}}}（[[fig:{name}.growth_chart]]，[[tab:{name}.growth_table]]）。"
        "组合预测的期末值为 {{ forecast_horizon }}，其 80% 预测区间见"
        f"[[fig:{name}.forecast_chart]]与[[tab:{name}.forecast_intervals]]：区间随预测步长变宽，远期数值应从宽解读。"
    )
    prose_en = (
        "The latest level, {{ level_latest }}, is {{ growth_latest | pct }} above the same period a year earlier "
        "(from levels); the compound annual growth rate from levels is {{ cagr | pct }} "
        f"([[fig:{name}.growth_chart]], [[tab:{name}.growth_table]]). The combined forecast for the last year is "
        "{{ forecast_horizon }}; its 80% prediction interval is in "
        f"[[fig:{name}.forecast_chart]] and [[tab:{name}.forecast_intervals]]: it widens with the horizon, so read the later "
        "years generously."
    )
    methods = _code([
        "# The executive summary's paragraph (a text recorded as \"summary\") and the appendix's methods",
        '# (a text recorded as "methods"), worded from the series\' own names by reportkit.analysis.market_text.',
        'rk.record("summary", mt.summary(ms, latest, cg, target, end))',
        'rk.record("methods", mt.methods(ms, threshold_pp=1.0, target=target, cf=cf, n_models=len(models)))',
    ])
    return [
        v4.new_markdown_cell(intro),
        v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        v4.new_code_cell(load),
        v4.new_markdown_cell("## Growth and compound growth"),
        v4.new_code_cell(growth),
        v4.new_code_cell(cagr),
        v4.new_markdown_cell("## Forecast: a combination of models, with its interval"),
        v4.new_code_cell(forecast),
        v4.new_markdown_cell(_PROSE_HELP),
        v4.new_markdown_cell(prose_zh, metadata={"tags": ["report-zh"]}),
        v4.new_markdown_cell(prose_en, metadata={"tags": ["report-en"]}),
        v4.new_code_cell(methods),
    ]


# --------------------------------------------------------------------------- blank


def _blank(name: str, title_zh: str, title_en: str, data_path: str) -> list[nbformat.NotebookNode]:
    """The smallest section that runs: a table read, one metric, one table, the report cells."""
    v4 = nbformat.v4
    intro = (
        f"# {title_zh} · {title_en}\n\n"
        f"Section notebook `{name}`, scaffolded by `reportkit new section --kind blank`: the smallest section\n"
        "that runs. Replace the example with your analysis. What reaches the report: everything passed to\n"
        "`rk.record(...)` (metrics, tables, figures, texts) and the markdown cells tagged `report-zh` /\n"
        "`report-en`. Untagged cells, like this one, are notes for the analyst only."
    )
    params = _code([
        f"data_path: str = {_py(data_path)}  # your data file: CSV, Excel (.xlsx) or Parquet, relative to the project",
        'lang: str = "zh"  # report language: zh or en (set by the build from the spec)',
        'theme: str = "default"  # report theme (templates/themes/<name>): figure palette and fonts (set by the build)',
    ])
    load = _code([
        "# Load the data: rk.load_data reads CSV (UTF-8; add encoding=\"gb18030\" for a GBK export), Excel",
        "# (sheet=...) or Parquet, resolved against the project. rk.load_panel checks a panel's roles too.",
        "import pandas as pd",
        "",
        "import reportkit as rk",
        "from reportkit.analysis import plots",
        "",
        "rk.use_language(lang)  # rk.text(zh=…, en=…) is recorded in this language, rk.say(…) answers in it",
        "plots.use_theme(theme)  # a figure you add gets the report's palette and fonts",
        "data = rk.load_data(data_path)",
        "data.head()",
    ])
    analysis = _code([
        "# One metric and one table: replace them with yours. Every number the report shows is recorded.",
        'rk.record("n_rows", len(data), decimals=0, label=rk.text(zh="数据行数", en="Rows of data"))',
        "overview = pd.DataFrame({",
        '    rk.say(zh="列", en="Column"): [str(c) for c in data.columns],',
        '    rk.say(zh="非空值个数", en="Values present"): data.notna().sum().to_numpy(),',
        '    rk.say(zh="不同取值个数", en="Distinct values"): data.nunique().to_numpy(),',
        "})",
        'rk.record("columns_overview", overview, decimals=0,',
        '          caption=rk.text(zh="数据各列概览", en="The columns of the data"),',
        '          note=rk.say(zh="数据：", en="Data: ") + data_path.replace("\\\\", "/").rsplit("/", 1)[-1])',
        "overview",
    ])
    prose_zh = f"数据共 {{{{ n_rows | thousands }}}} 行，各列见[[tab:{name}.columns_overview]]。"
    prose_en = f"The data have {{{{ n_rows | thousands }}}} rows; [[tab:{name}.columns_overview]] lists their columns."
    methods = _code([
        "# Methods, shown in the report's appendix (a text recorded as \"methods\"); a text recorded as",
        '# "summary" goes into the executive summary. Describe what you did.',
        'rk.record("methods", rk.text(zh="各列的非空值个数与不同取值个数，按数据文件直接计算。",',
        '                             en="The number of values present and of distinct values of each column, counted in the data file."))',
    ])
    return [
        v4.new_markdown_cell(intro),
        v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        v4.new_code_cell(load),
        v4.new_markdown_cell("## Analysis"),
        v4.new_code_cell(analysis),
        v4.new_markdown_cell(_PROSE_HELP),
        v4.new_markdown_cell(prose_zh, metadata={"tags": ["report-zh"]}),
        v4.new_markdown_cell(prose_en, metadata={"tags": ["report-en"]}),
        v4.new_code_cell(methods),
    ]


# --------------------------------------------------------------------------- the notebook

_BUILDERS: Mapping[str, Callable[[str, str, str, str], list[nbformat.NotebookNode]]] = MappingProxyType({
    "engagement": _engagement,
    "market": _market,
    "blank": _blank,
})


def section_notebook(name: str, *, title_zh: str, title_en: str, data_path: str | None = None,
                     kind: str = DEFAULT_KIND) -> nbformat.NotebookNode:
    """The notebook of ``kind`` that ``reportkit new section`` writes (not written here): cells with
    empty outputs and stable ids (the same arguments give the same file). ``data_path`` is the
    default of the kind's data parameter (:data:`DATA_PARAMETER`; default :data:`DEFAULT_DATA`).
    An unknown ``kind`` is a :class:`~reportkit.errors.SpecError` naming it and the kinds."""
    kind = check_kind(kind)
    nb: nbformat.NotebookNode = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.cells = _BUILDERS[kind](name, title_zh, title_en, DEFAULT_DATA[kind] if data_path is None else data_path)
    for i, cell in enumerate(nb.cells):  # stable ids: the same scaffold gives the same file
        cell["id"] = f"{name[:50]}-{i}"
    nbformat.validate(nb)
    return nb
