"""The report's seaborn theme with a CJK font, and the figures the sections draw.

:func:`use_theme` takes the figure palette and the font family from the report theme
(``templates/themes/<name>/theme.yaml``, the same file the report's CSS comes from), registers
that font's files (Noto Sans CJK SC for the default theme, installed by ``make``) with matplotlib
directly, so a stale matplotlib font cache cannot hide them, and fails loudly when the font is
missing or cannot write Chinese: labels must never fall back to empty boxes.

The figure functions take their colours from :data:`PALETTE`, which :func:`use_theme` sets, and
their few fixed words from the catalogue's ``plots`` group, in ``lang`` (default: the kernel's
language, :func:`reportkit.i18n.current_language`); the other labels are passed in by the caller.

Every figure function keeps the numbers it drew with the figure (:func:`attach_data`): a table with
the x values or categories first, then one column per series, named as the figure's labels and
legend name them. ``rk.record(name, fig)`` records it as the figure's data, which the build writes
to the data pack (``report-data.xlsx``). A figure drawn by hand attaches its frame the same way, or
passes it to ``rk.record(name, fig, data=frame)``.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import AnalysisError, RenderError
from ..i18n import Language

CJK_FAMILY = "Noto Sans CJK SC"
#: the default theme's palette (templates/themes/default/theme.yaml; a test checks they agree)
DEFAULT_PALETTE = ("#1f4e79", "#c0504d", "#7f9db9", "#e3a21a", "#5b8c5a", "#8064a2")
#: the palette of the theme in use: main series, contrast, context, seasonal, reference, extra
PALETTE: tuple[str, ...] = DEFAULT_PALETTE
FIGSIZE = (7.2, 3.8)
#: the attribute under which a figure keeps the data it was drawn from (:func:`attach_data`)
DATA_ATTRIBUTE = "_reportkit_data"

_FONT_GLOBS = (
    "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSansCJK*.otf",
    "/usr/local/share/fonts/**/NotoSansCJK*",
    "/Library/Fonts/NotoSansCJK*",
    "~/Library/Fonts/NotoSansCJK*",
    "~/.local/share/fonts/**/NotoSansCJK*",
    os.path.join(os.environ.get("CONDA_PREFIX", "/nonexistent"), "fonts", "NotoSansCJK*"),
)


def cjk_font_files(family: str = CJK_FAMILY) -> list[str]:
    """Paths of the files of font ``family`` that cover Simplified Chinese (fontconfig), plus,
    for Noto Sans CJK SC, its files in the usual folders (for machines without fontconfig)."""
    files: list[str] = []
    if shutil.which("fc-list"):
        try:
            listed = subprocess.run(
                ["fc-list", "--format", "%{file}\n", f":family={family}:lang=zh-cn"],
                capture_output=True, text=True, timeout=20, check=False,
            ).stdout
            files += [line.strip() for line in listed.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            pass
    if family == CJK_FAMILY:
        for pattern in _FONT_GLOBS:
            files += glob.glob(os.path.expanduser(pattern), recursive=True)
    return sorted(set(files))


def use_theme(theme: str = "default", *, templates_dir: str | os.PathLike | None = None) -> None:
    """Apply report theme ``theme`` (``templates/themes/<theme>/theme.yaml``) to matplotlib:
    seaborn whitegrid, the theme's figure palette (``axes.prop_cycle`` and :data:`PALETTE`) and
    its sans font family for all text. Raises RenderError for an unknown theme (listing the
    available ones) or when the theme's font family is not installed with Chinese glyphs.
    ``templates_dir``: where ``themes/`` is (default: the project's ``templates/``)."""
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib import font_manager

    from ..style.themes import load_theme

    global PALETTE
    spec = load_theme(theme, None if templates_dir is None else Path(templates_dir))
    family = spec.fonts.sans
    files = cjk_font_files() if family == CJK_FAMILY else cjk_font_files(family)
    if not files and family == CJK_FAMILY:
        raise RenderError(
            f"no {CJK_FAMILY} font found, so Chinese labels would render as empty boxes; install it "
            "with `make setup` (Debian: apt-get install fonts-noto-cjk; macOS: brew install --cask "
            "font-noto-sans-cjk-sc)"
        )
    if not files:
        raise RenderError(
            f"theme {spec.name!r} ({spec.folder / 'theme.yaml'}) sets fonts.sans to {family!r}, which figures "
            "use, but no font of that family with Chinese glyphs is installed (fc-list "
            f"':family={family}:lang=zh-cn' finds none); install it or name a CJK family such as {CJK_FAMILY!r}"
        )
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in files:
        if path not in known:
            font_manager.fontManager.addfont(path)
    PALETTE = spec.palette
    sns.set_theme(style="whitegrid", palette=list(PALETTE))
    mpl.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [family, CJK_FAMILY, "DejaVu Sans"] if family != CJK_FAMILY else [CJK_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "figure.figsize": FIGSIZE,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "axes.titlesize": 12,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "reportkit",  # stable ids: the same figure gives the same SVG
        "svg.fonttype": "none",  # text stays text (searchable; set in the report font by WeasyPrint)
    })


# --------------------------------------------------------------------------- the data drawn


def attach_data(fig: Any, frame: Any, *, unit: str = "") -> Any:
    """Keep ``frame`` with ``fig`` as the data it was drawn from, and return ``fig``.

    ``frame`` is a DataFrame with the x values or categories in its first column and one column per
    series drawn, named in the report's language; ``unit`` is the unit every value shares ("" when
    the series have different units: then the column names carry them). :func:`reportkit.record`
    records it with the figure (unless given ``data=``), for the data pack."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise AnalysisError(f"attach_data: expected the DataFrame the figure was drawn from; got {type(frame).__name__}")
    setattr(fig, DATA_ATTRIBUTE, (frame.reset_index(drop=True), str(unit)))
    return fig


def attached_data(fig: Any) -> tuple[Any, str] | None:
    """The (frame, unit) :func:`attach_data` kept with ``fig``; None when nothing was attached."""
    found = getattr(fig, DATA_ATTRIBUTE, None)
    return found if isinstance(found, tuple) and len(found) == 2 else None


def data_column(key: str, lang: Language | None = None, **values: Any) -> str:
    """The name of a column of a figure's data in ``lang`` (None: the kernel's language): the
    catalogue's ``plots.column_<key>`` (period, year, term, group, ci_low, ci_high, band_low,
    band_high, event, truth), filled with ``values``."""
    return _say(f"column_{key}", lang, **values)


def _x_column(frame: Any, lang: Language | None) -> str:
    """The name of the x column: "年份" for a ``year`` column, else "期间"."""
    return data_column("year" if "year" in frame.columns else "period", lang)


def _numbers(values: Any) -> list[float | None]:
    """Values as floats, missing ones as None."""
    import pandas as pd

    return [None if pd.isna(v) else float(v) for v in values]


# --------------------------------------------------------------------------- market figures


def _thousands() -> Any:
    from matplotlib.ticker import StrMethodFormatter

    return StrMethodFormatter("{x:,.0f}")


def _say(key: str, lang: Language | None, **values: Any) -> str:
    """The catalogue's ``plots.<key>`` text in ``lang`` (None: the kernel's language), filled with ``values``."""
    return i18n.message(f"plots.{key}").resolve(lang).format(**values)


def _with_unit(label: str, unit: str, lang: Language | None) -> str:
    """An axis label with its unit in the reader's words, "零售额（亿元）" / "Retail sales (100 mn yuan)";
    the label alone without a unit."""
    return _say("axis_with_unit", lang, column_label=label, unit=i18n.unit_name(unit).resolve(lang)) if unit else label


def _legend_below(fig: Any, handles: list[Any], labels: list[str]) -> None:
    """One legend row under the axes, so it never covers the data."""
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    rows = -(-len(labels) // 4)
    fig.tight_layout(rect=(0, 0.09 + 0.05 * (rows - 1), 1, 1))


def growth_chart(growth: Any, *, level_label: str, official_label: str | None, levels_label: str, unit: str,
                 lang: Language | None = None) -> Any:
    """Bars of the level by period, lines of the growth measures on a second axis.

    ``growth`` has a ``year`` or ``period`` column (``2024``, ``2024Q4``, ``2024-12``), ``level``,
    ``yoy_from_levels_pct`` and, when ``official_label`` is given, ``yoy_published_pct`` (or
    ``yoy_official_pct``): the rate the source publishes. Long quarterly or monthly series are
    labelled at the first period of a year, as in :func:`fan_chart`.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    if "year" in growth.columns:
        x = list(growth["year"].astype(int))
        ticks, labels = x, None
    else:
        names = [str(p) for p in growth["period"]]
        x = list(range(len(names)))
        ticks = _fan_ticks(names) if len(names) > 12 else x
        labels = [names[i] if len(names) <= 12 else names[i][:4] for i in ticks]
    ax.bar(x, growth["level"], color=PALETTE[2], label=level_label, width=0.7)
    ax.set_ylabel(_with_unit(level_label, unit, lang))
    ax.set_xticks(ticks)
    if labels is not None:
        ax.set_xticklabels(labels)
    ax.tick_params(axis="x", rotation=0)
    ax2 = ax.twinx()
    if official_label is not None:
        published = "yoy_published_pct" if "yoy_published_pct" in growth.columns else "yoy_official_pct"
        ax2.plot(x, growth[published], marker="o", color=PALETTE[0], label=official_label)
    ax2.plot(x, growth["yoy_from_levels_pct"], marker="s" if len(x) <= 40 else None, linestyle="--",
             color=PALETTE[1], label=levels_label)
    ax2.set_ylabel("%")
    ax2.grid(False)
    ax2.axhline(0, color="#999999", linewidth=0.8)
    ax.yaxis.set_major_formatter(_thousands())
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels_ = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    _legend_below(fig, handles, labels_)
    import pandas as pd

    drawn = {_x_column(growth, lang): list(growth["year"].astype(int)) if "year" in growth.columns
             else [str(p) for p in growth["period"]],
             _with_unit(level_label, unit, lang): _numbers(growth["level"])}
    if official_label is not None:
        drawn[_with_unit(official_label, "%", lang)] = _numbers(growth[published])
    drawn[_with_unit(levels_label, "%", lang)] = _numbers(growth["yoy_from_levels_pct"])
    return attach_data(fig, pd.DataFrame(drawn))


def share_chart(share: Any, *, label: str, lang: Language | None = None) -> Any:
    """A line of a share of a total in % by period (``share_published_pct``, else ``share_from_levels_pct``)."""
    import matplotlib.pyplot as plt

    column = "share_published_pct" if share["share_published_pct"].notna().any() else "share_from_levels_pct"
    names = [str(p) for p in share["period"]]
    x = list(range(len(names)))
    fig, ax = plt.subplots()
    ax.plot(x, share[column], color=PALETTE[0], label=label)
    ticks = _fan_ticks(names) if len(names) > 12 else x
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[i] if len(names) <= 12 else names[i][:4] for i in ticks])
    ax.set_ylabel(_with_unit(label, "%", lang))
    _legend_below(fig, *ax.get_legend_handles_labels())
    import pandas as pd

    return attach_data(fig, pd.DataFrame({_x_column(share, lang): names, label: _numbers(share[column])}), unit="%")


def stacked_chart(annual: Any, *, parts: Sequence[str], value_label: str, unit: str,
                  lang: Language | None = None) -> Any:
    """Stacked bars of the parts by year: ``annual`` has a PeriodIndex (or ``year`` column) and one
    column per part; the legend names the parts in their order (bottom first)."""
    import matplotlib.pyplot as plt

    labels = [str(p) for p in (annual["year"] if "year" in annual.columns else annual.index)]
    x = list(range(len(labels)))
    fig, ax = plt.subplots()
    bottom = [0.0] * len(labels)
    for i, part in enumerate(parts):
        values = [float(v) for v in annual[part]]
        ax.bar(x, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=str(part), width=0.7,
               alpha=1.0 if i < len(PALETTE) else 0.6)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylabel(_with_unit(value_label, unit, lang))
    ax.yaxis.set_major_formatter(_thousands())
    _legend_below(fig, *ax.get_legend_handles_labels())
    import pandas as pd

    annual_index = isinstance(annual.index, pd.PeriodIndex) and annual.index.freqstr[:1] in ("A", "Y")
    x_name = data_column("year" if "year" in annual.columns or annual_index else "period", lang)
    drawn = {x_name: labels} | {str(part): _numbers(annual[part]) for part in parts}
    return attach_data(fig, pd.DataFrame(drawn), unit=unit)


_FAN_ALL_TICKS = 20  # label every period up to this many
_FAN_MAX_TICKS = 14  # else label at most this many first periods of years
_YEAR_START = re.compile(r"^\d{4}(Q1|-01)$")


def _fan_x(frame: Any, what: str) -> list[str]:
    """The x labels of a fan-chart table: its ``period`` column, else its ``year`` column, as strings."""
    from ..errors import AnalysisError

    if "period" in frame.columns:
        return [str(v) for v in frame["period"]]
    if "year" in frame.columns:
        return [str(int(v)) if isinstance(v, (int, float)) or hasattr(v, "__index__") else str(v)
                for v in frame["year"]]
    raise AnalysisError(
        f"fan_chart: the {what} table needs a 'period' or 'year' column; it has {', '.join(map(str, frame.columns))}"
    )


def _fan_history(history: Any) -> tuple[list[str], list[float]]:
    """History as (labels, values): a Series with a PeriodIndex, or a table with period/year and level/value."""
    import pandas as pd

    from ..errors import AnalysisError

    if isinstance(history, pd.Series):
        return [str(p) for p in history.index], [float(v) for v in history.to_numpy(dtype=float)]
    labels = _fan_x(history, "history")
    for col in ("level", "value"):
        if col in history.columns:
            return labels, [float(v) for v in history[col]]
    raise AnalysisError(
        f"fan_chart: the history table needs a 'level' or 'value' column; it has {', '.join(map(str, history.columns))}"
    )


def _fan_ticks(labels: list[str], max_ticks: int = _FAN_MAX_TICKS) -> list[int]:
    """Positions to label: all of them for short series; else first periods of years (Q1, January), thinned."""
    n = len(labels)
    if n <= _FAN_ALL_TICKS:
        return list(range(n))
    anchors = [i for i, lab in enumerate(labels) if _YEAR_START.match(lab)] or list(range(n))
    every = -(-len(anchors) // max_ticks)
    return anchors[::every]


def fan_chart(history: Any, forecast: Any, *, value_label: str, actual_label: str, forecast_label: str,
              band80_label: str, band95_label: str, unit: str, lang: Language | None = None) -> Any:
    """History as a line, the forecast as a line with 80 % and 95 % bands.

    ``history`` is a table with a ``period`` (strings such as ``"2024"``, ``"2024Q4"``,
    ``"2024-12"``) or ``year`` column and a ``level`` (or ``value``) column, or a Series with a
    PeriodIndex; ``forecast`` is a table with ``period`` or ``year`` and ``forecast``, ``lo80``,
    ``hi80``, ``lo95``, ``hi95`` (e.g. ``Forecast.table``). Periods are placed one step apart in
    order; long quarterly or monthly series are labelled at the first period of every year (or
    every few years), at most 14 labels; up to 20 periods every one is labelled.
    """
    import matplotlib.pyplot as plt

    h_labels, h_values = _fan_history(history)
    f_labels = _fan_x(forecast, "forecast")
    position: dict[str, int] = {}
    for lab in [*h_labels, *f_labels]:
        position.setdefault(lab, len(position))
    hx = [position[lab] for lab in h_labels]
    fx = [position[lab] for lab in f_labels]
    marker = "o" if len(position) <= 40 else None

    fig, ax = plt.subplots()
    ax.plot(hx, h_values, marker=marker, color=PALETTE[0], label=actual_label)
    ax.fill_between(fx, forecast["lo95"], forecast["hi95"], color=PALETTE[1], alpha=0.15, label=band95_label)
    ax.fill_between(fx, forecast["lo80"], forecast["hi80"], color=PALETTE[1], alpha=0.30, label=band80_label)
    ax.plot([hx[-1], *fx], [h_values[-1], *forecast["forecast"]], marker=marker, linestyle="--",
            color=PALETTE[1], label=forecast_label)
    ax.set_ylabel(_with_unit(value_label, unit, lang))
    labels = list(position)
    ticks = _fan_ticks(labels)
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks])
    ax.tick_params(axis="x", rotation=45)
    top = max([abs(v) for v in h_values] + [abs(float(v)) for v in forecast["hi95"]])
    if top >= 1000:
        ax.yaxis.set_major_formatter(_thousands())
    _legend_below(fig, *ax.get_legend_handles_labels())
    import pandas as pd

    # one row per period, in the order drawn: history with its actual value, then the forecast and its bands
    bands = {"forecast": forecast_label,
             "lo80": data_column("band_low", lang, band=band80_label), "hi80": data_column("band_high", lang, band=band80_label),
             "lo95": data_column("band_low", lang, band=band95_label), "hi95": data_column("band_high", lang, band=band95_label)}
    drawn = pd.DataFrame({data_column("period", lang): labels, actual_label: [None] * len(labels)}
                         | {name: [None] * len(labels) for name in bands.values()}, dtype=object)
    for lab, value in zip(h_labels, h_values, strict=True):
        drawn.at[position[lab], actual_label] = value
    for col, name in bands.items():
        for lab, band_value in zip(f_labels, _numbers(forecast[col]), strict=True):
            drawn.at[position[lab], name] = band_value
    return attach_data(fig, drawn, unit=unit)


# --------------------------------------------------------------------------- engagement figures


def scatter_fit(df: Any, *, x: str, y: str, x_label: str, y_label: str, hue: str | None = None,
                hue_label: str | None = None, lang: Language | None = None) -> Any:
    """Scatter of ``y`` on ``x`` with a least-squares line (seaborn regplot, for the eye only).
    The data kept with the figure are the points drawn (rows where both are known), with ``hue``."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots()
    if hue:
        sns.scatterplot(data=df, x=x, y=y, hue=hue, ax=ax, s=12, alpha=0.6, linewidth=0, legend=False)
    sns.regplot(data=df, x=x, y=y, ax=ax, scatter=not hue, ci=None,
                scatter_kws={"s": 10, "alpha": 0.4, "color": PALETTE[2]},
                line_kws={"color": PALETTE[1], "linewidth": 2})
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if hue_label:
        ax.set_title(hue_label, loc="left", fontsize=10)
    fig.tight_layout()
    import pandas as pd

    from .narrative import column_label

    points = df[[x, y, *([hue] if hue else [])]].apply(lambda c: c if c.name == hue else pd.to_numeric(c, errors="coerce"))
    points = points[points[x].notna() & points[y].notna()]
    drawn: dict[str, list[float | None] | list[str]] = {x_label: _numbers(points[x]), y_label: _numbers(points[y])}
    if hue:
        drawn[column_label(hue, i18n.current_language() if lang is None else lang)] = [str(v) for v in points[hue]]
    return attach_data(fig, pd.DataFrame(drawn))


def coefficient_plot(tidy: Any, *, labels: Sequence[str], x_label: str, truth: Sequence[float] | None = None,
                     truth_label: str = "", lang: Language | None = None) -> Any:
    """Point estimates with 95 % CIs, one row per term (e.g. the lag profile of engagement)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.6 * len(labels) + 1.4))
    ypos = list(range(len(labels)))[::-1]
    est = list(tidy["estimate"])
    lo = list(tidy["ci_low"])
    hi = list(tidy["ci_high"])
    ax.errorbar(est, ypos,
                xerr=[[e - low for e, low in zip(est, lo, strict=True)], [h - e for e, h in zip(est, hi, strict=True)]],
                fmt="o", color=PALETTE[0], capsize=4,
                label=_say("legend_ci95", lang))
    if truth is not None:
        ax.scatter(list(truth), ypos, marker="x", color=PALETTE[1], zorder=3, label=truth_label)
        ax.legend(loc="lower right", frameon=False)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_yticks(ypos)
    ax.set_yticklabels(list(labels))
    ax.set_xlabel(x_label)
    fig.tight_layout()
    import pandas as pd

    drawn = {data_column("term", lang): [str(label) for label in labels], x_label: _numbers(est),
             data_column("ci_low", lang, level=95): _numbers(lo), data_column("ci_high", lang, level=95): _numbers(hi)}
    if truth is not None:
        drawn[truth_label or data_column("truth", lang)] = _numbers(truth)
    return attach_data(fig, pd.DataFrame(drawn))
