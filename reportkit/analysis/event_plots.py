"""The event-study figure: effects before and after adoption with their intervals, and the truth.

Follows :mod:`reportkit.analysis.plots`: colours from the theme's palette (call
:func:`~reportkit.analysis.plots.use_theme` first, which also sets the CJK font), the legend in a
row under the axes, fixed words from the catalogue (``event_study`` group) in ``lang`` (default:
the kernel's language). Axis labels come from :mod:`reportkit.analysis.event_text` (``axis_x``,
``axis_y``), which names the panel's period and outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import AnalysisError
from ..i18n import Language, Text

__all__ = ["event_study_plot"]

PATH_COLUMNS = ("event_time", "estimate", "ci_low", "ci_high")


def _label(value: str | Text | None, key: str, lang: Language | None) -> str:
    if value is None:
        return i18n.message(f"event_study.{key}").resolve(lang)
    return value.resolve(lang) if isinstance(value, Text) else str(value)


def _truth_frame(truth: Any) -> pd.DataFrame:
    """The true mean effect by event time: a frame with ``event_time`` and ``effect``, or the
    simulator's truth (``att_by_event_time``)."""
    if isinstance(truth, pd.DataFrame):
        frame = truth
    elif isinstance(truth, Mapping) and "att_by_event_time" in truth:
        by_e = truth["att_by_event_time"]
        frame = pd.DataFrame({"event_time": by_e["event_time"], "effect": by_e["effect"]})
    else:
        raise AnalysisError("truth: expected a frame with event_time and effect, or the simulator's truth "
                            f"(with att_by_event_time); got {type(truth).__name__}")
    missing = [c for c in ("event_time", "effect") if c not in frame.columns]
    if missing:
        raise AnalysisError(f"truth lacks columns {missing}; expected event_time and effect")
    return frame


def event_study_plot(path: pd.DataFrame, *, truth: Any = None, lang: Language | None = None,
                     conf_level: float = 0.95, x_label: str | Text | None = None,
                     y_label: str | Text | None = None) -> Any:
    """Leads and lags with their intervals (points and error bars), a vertical line between event
    times −1 and 0, a zero line and, with ``truth``, the true path as a dashed line with markers.

    ``path`` is :attr:`~reportkit.analysis.event_study.EventStudy.path` (``event_time``,
    ``estimate``, ``ci_low``, ``ci_high``; ``part`` "lead"/"lag", else from the sign of the event
    time). Where event time −1 is missing (Sun–Abraham: the reference period), it is drawn as a
    hollow point at 0. ``truth``: a frame with ``event_time`` and ``effect`` (e.g.
    :func:`~reportkit.analysis.event_study.true_path_frame`) or the simulator's truth; only event
    times inside the path's range are drawn. ``x_label``, ``y_label``: axis labels (a Text is
    resolved in ``lang``); defaults are generic.
    """
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer
    from matplotlib.ticker import MaxNLocator

    from .plots import FIGSIZE, PALETTE, attach_data, data_column

    if not isinstance(path, pd.DataFrame):
        raise AnalysisError(f"expected the event study's path (a DataFrame); got {type(path).__name__}")
    missing = [c for c in PATH_COLUMNS if c not in path.columns]
    if missing:
        raise AnalysisError(f"the path lacks columns {missing}; expected {list(PATH_COLUMNS)} (EventStudy.path)")
    if path.empty:
        raise AnalysisError("the path has no event times to plot")
    if lang is not None:
        lang = i18n.check_language(lang, source="lang", error=AnalysisError)
    level = format(100 * conf_level, "g")
    e = path["event_time"].to_numpy(dtype=float)
    lead = (path["part"] == "lead").to_numpy() if "part" in path.columns else e < 0
    est, lo, hi = (path[c].to_numpy(dtype=float) for c in ("estimate", "ci_low", "ci_high"))

    fig, ax = plt.subplots(figsize=FIGSIZE)
    for mask, colour, key in ((lead, PALETTE[2], "legend_lead"), (~lead, PALETTE[0], "legend_lag")):
        if mask.any():
            ax.errorbar(e[mask], est[mask], yerr=[est[mask] - lo[mask], hi[mask] - est[mask]], fmt="o", markersize=4,
                        color=colour, ecolor=colour, elinewidth=1.2, capsize=2.5,
                        label=i18n.message(f"event_study.{key}").format(level=level).resolve(lang))
    reference = -1 not in set(e.astype(int)) and e.min() < -1
    if reference:
        ax.plot([-1], [0.0], marker="o", markersize=5, markerfacecolor="white", markeredgecolor=PALETTE[2],
                linestyle="none", label=_label(None, "legend_reference", lang))
    true_effect: dict[float, float] = {}
    if truth is not None:
        true = _truth_frame(truth)
        te = true["event_time"].to_numpy(dtype=float)
        inside = (te >= e.min()) & (te <= e.max())
        true_effect = dict(zip(te[inside], true["effect"].to_numpy(dtype=float)[inside], strict=True))
        if inside.any():
            order = np.argsort(te[inside])
            ax.plot(te[inside][order], true["effect"].to_numpy(dtype=float)[inside][order], linestyle="--",
                    marker="x", markersize=4, linewidth=1.3, color=PALETTE[1], zorder=3,
                    label=_label(None, "legend_truth", lang))
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    ax.axvline(-0.5, color="#666666", linewidth=0.9, linestyle=":")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if x_label is None:  # generic words: "periods relative to adoption"
        generic = i18n.message("event_study.axis_x").format(periods=i18n.message("event_study.periods_other"),
                                                            period=i18n.message("event_study.period_other"))
        x_label = generic.map(lambda s: s[:1].upper() + s[1:])
    x_name, y_name = _label(x_label, "axis_x", lang), _label(y_label, "axis_y_log", lang)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.grid(axis="x", visible=False)
    handles, names = ax.get_legend_handles_labels()
    shown = sorted(range(len(names)), key=lambda i: not isinstance(handles[i], ErrorbarContainer))  # estimates first
    handles, names = [handles[i] for i in shown], [names[i] for i in shown]
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    # the data drawn, by event time: estimates and intervals (the reference period at 0, without an
    # interval, when it is drawn) and the true effect where it is drawn
    points: dict[int, list[float | None]] = {int(t): [v, low, high] for t, v, low, high in zip(e, est, lo, hi, strict=True)}
    if reference:
        points[-1] = [0.0, None, None]
    for t in true_effect:
        points.setdefault(int(t), [None, None, None])
    drawn = pd.DataFrame([(t, *points[t]) for t in sorted(points)],
                         columns=[x_name, y_name, data_column("ci_low", lang, level=level),
                                  data_column("ci_high", lang, level=level)])
    if true_effect:
        drawn[_label(None, "legend_truth", lang)] = [true_effect.get(float(t)) for t in drawn[x_name]]
    return attach_data(fig, drawn)
