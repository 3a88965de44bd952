"""The data pack report-data.xlsx: figures keep the data they were drawn from, and the workbook holds
every figure and table of the report with the report's numbers (render/data_pack.py)."""

from __future__ import annotations

import dataclasses
import html as html_lib
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_render import FIXED_BUILD_INFO, fixed_results, fixed_spec

from reportkit.errors import RecordError, RenderError
from reportkit.record import Data, Figure, Metric, SectionResults, Table, make_record, record_from_dict, record_to_dict
from reportkit.render import render_html
from reportkit.render.data_pack import (
    DATA_HEADER_ROW,
    INDEX_HEADER_ROW,
    SHEET_NAME_MAX,
    figures_without_data,
    sheet_name,
    write_data_pack,
)
from reportkit.render.html import number_figures_and_tables
from reportkit.style.formatting import format_cell, format_metric, split_number

ROOT = Path(__file__).resolve().parents[1]
GENERATED = "2025-01-01T00:00:00+00:00"
TREND = Data(("年份", "全国网上零售额"), ((2023, 154264), (2024, 155225)))
PROFILE = Data(("变量", "弹性", "95% 置信区间下限", "95% 置信区间上限"),
               (("当周互动量", 0.3686, 0.2008, 0.5131), ("互动量滞后 1 周", 0.1139, 0.0291, 0.2149)))


def results_with_data() -> dict[str, SectionResults]:
    """test_render's fixed results (cross-references in captions, an appendix table, a regression
    table), their two figures with the data they were drawn from."""
    data = {"trend": (TREND, "亿元"), "profile": (PROFILE, "")}
    return {sid: dataclasses.replace(res, records=tuple(
        dataclasses.replace(r, data=data[r.name][0], unit=data[r.name][1]) if isinstance(r, Figure) else r
        for r in res.records)) for sid, res in fixed_results().items()}


def sheet_rows(ws, first: int) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in row)]


def index_entries(wb) -> list[dict]:
    rows = sheet_rows(wb.worksheets[0], INDEX_HEADER_ROW)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def data_of(ws) -> tuple[tuple, list[tuple]]:
    """A figure's or table's sheet: (header, rows) of its data."""
    rows = [tuple(row) for row in ws.iter_rows(min_row=DATA_HEADER_ROW, values_only=True)]
    return rows[0], rows[1:]


def html_captions(page: str) -> list[tuple[str, str]]:
    """(label, caption) of every figure and table of a rendered report, in document order."""
    found = re.findall(r'<span class="caption-label">(.*?)</span> <span class="caption-text">(.*?)</span>', page)
    return [(html_lib.unescape(label), html_lib.unescape(re.sub(r"<[^>]+>", "", text))) for label, text in found]


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pack") / "report-data.xlsx"
    sources = {"market": ("国家统计局，全国网上零售额年度数据",), "engagement": ("模拟数据", "另一来源")}
    return write_data_pack(path, fixed_spec(), results_with_data(), lang="zh", generated=GENERATED, sources=sources)


# --------------------------------------------------------------------------- figures keep their data


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([2023, 2024], [154264, 155225])
    return fig, plt


def test_a_figure_records_the_frame_it_was_drawn_from_and_round_trips():
    fig, plt = _figure()
    frame = pd.DataFrame({"year": [2023, 2024], "level": [154264.0, float("nan")]})
    rec = make_record("trend", fig, caption="规模", data=frame, unit="亿元")
    plt.close(fig)
    assert isinstance(rec, Figure) and rec.unit == "亿元"
    assert rec.data == Data(("year", "level"), ((2023, 154264.0), (2024, None)))  # NaN as None, as in a Table
    assert record_from_dict(record_to_dict(rec)) == rec
    assert record_to_dict(rec)["data"] == {"columns": ["year", "level"], "rows": [[2023, 154264.0], [2024, None]]}
    assert "154264" not in repr(rec) and "<svg" not in repr(rec)  # a cell ending in record(...) stays short
    # a figure recorded before figures carried data still loads, without data
    old = {k: v for k, v in record_to_dict(rec).items() if k not in ("data", "unit")}
    assert record_from_dict(old) == dataclasses.replace(rec, data=None, unit="")
    with pytest.raises(RecordError, match="data must be a mapping"):
        record_from_dict({**record_to_dict(rec), "data": [[1, 2]]})


def test_plotting_functions_attach_their_data_and_data_wins():
    from reportkit.analysis import plots
    from reportkit.record import _preview

    fig, plt = _figure()
    plots.attach_data(fig, pd.DataFrame({"期间": ["2023", "2024"], "规模": [1.0, 2.0]}), unit="亿元")
    attached = make_record("trend", fig)
    assert attached.data == Data(("期间", "规模"), (("2023", 1.0), ("2024", 2.0))) and attached.unit == "亿元"
    assert _preview(attached).endswith("(data: 2 rows × 2 columns)")
    given = make_record("trend", fig, data=pd.Series([3.0], name="x"))  # data= wins over what was attached
    assert given.data == Data(("x",), ((3.0,),)) and given.unit == ""
    with pytest.raises(RecordError, match="data= must be the pandas DataFrame"):
        make_record("trend", fig, data=[1, 2])
    bare, _ = _figure()
    assert make_record("bare", bare).data is None
    assert "no data recorded" in _preview(make_record("bare", bare))
    plt.close("all")


def test_the_market_figures_keep_the_values_they_draw():
    from reportkit.analysis import plots

    plots.use_theme()  # the CJK font
    growth = pd.DataFrame({"year": [2023, 2024], "level": [154264.0, 155225.0], "yoy_published_pct": [11.0, 7.2],
                           "yoy_from_levels_pct": [11.9, 0.6]})
    fig = plots.growth_chart(growth, level_label="网上零售额", official_label="官方口径", levels_label="按总量",
                             unit="亿元", lang="zh")
    frame, unit = plots.attached_data(fig)
    assert list(frame.columns) == ["年份", "网上零售额（亿元）", "官方口径（%）", "按总量（%）"] and unit == ""
    assert frame.values.tolist() == [[2023, 154264.0, 11.0, 11.9], [2024, 155225.0, 7.2, 0.6]]
    forecast = pd.DataFrame({"period": ["2025"], "forecast": [167815.0], "lo80": [156344.0], "hi80": [180127.0],
                             "lo95": [148345.0], "hi95": [189839.0]})
    fan = plots.fan_chart(growth.rename(columns={"year": "period"}).astype({"period": str}), forecast,
                          value_label="规模", actual_label="实际值", forecast_label="预测值", band80_label="80% 区间",
                          band95_label="95% 区间", unit="亿元", lang="en")
    frame, unit = plots.attached_data(fan)
    assert unit == "亿元" and list(frame.columns) == ["Period", "实际值", "预测值", "80% 区间, lower", "80% 区间, upper",
                                                       "95% 区间, lower", "95% 区间, upper"]
    assert frame.iloc[1].tolist() == ["2024", 155225.0, None, None, None, None, None]
    assert frame.iloc[2].tolist() == ["2025", None, 167815.0, 156344.0, 180127.0, 148345.0, 189839.0]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_the_figures_the_demo_does_not_draw_keep_their_data_too():
    import matplotlib.pyplot as plt
    import numpy as np

    from reportkit.analysis import plots
    from reportkit.analysis.decompose import calendar_events, decompose, decomposition_plot
    from reportkit.data.timeseries import TimeSeries

    plots.use_theme()
    share = pd.DataFrame({"period": ["2023", "2024"], "share_published_pct": [27.6, 26.8],
                          "share_from_levels_pct": [27.0, 26.5]})
    frame, unit = plots.attached_data(plots.share_chart(share, label="占比", lang="zh"))
    assert frame.values.tolist() == [["2023", 27.6], ["2024", 26.8]] and list(frame.columns) == ["期间", "占比"]
    assert unit == "%"
    annual = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 4.0]}, index=pd.period_range("2023", periods=2, freq="Y"))
    frame, unit = plots.attached_data(plots.stacked_chart(annual, parts=["A", "B"], value_label="规模", unit="亿元",
                                                          lang="zh"))
    assert frame.values.tolist() == [["2023", 1.0, 3.0], ["2024", 2.0, 4.0]] and frame.columns[0] == "年份"
    assert unit == "亿元"
    index = pd.period_range("2018-01", periods=48, freq="M")
    values = np.exp(5 + 0.01 * np.arange(48) + np.tile([-0.2, 0, 0.1, 0.05, 0, 0.15, 0, 0, 0.03, 0.05, 0.25, -0.1], 4))
    series = TimeSeries.from_frame(pd.DataFrame({"month": [str(p) for p in index], "v": values}), date="month",
                                   value="v", name="x")
    dec = decompose(series)
    frame, unit = plots.attached_data(decomposition_plot(dec, calendar_events(dec.index), lang="en"))
    assert list(frame.columns) == ["Period", "Observed (log)", "Trend", "Seasonal", "Remainder", "Calendar event"]
    assert len(frame) == 48 and frame["Period"].iloc[0] == "2018-01" and unit == ""
    assert frame["Trend"].tolist() == pytest.approx(dec.frame["trend"].tolist())
    assert frame.loc[frame["Period"] == "2018-11", "Calendar event"].item().startswith("Double 11")
    plt.close("all")


# --------------------------------------------------------------------------- the workbook


def test_the_pack_has_an_index_and_one_sheet_per_figure_and_table_numbered_as_the_report(pack):
    spec, results = fixed_spec(), results_with_data()
    wb = openpyxl.load_workbook(pack)
    shown = number_figures_and_tables(spec, results)
    assert len(wb.sheetnames) == 1 + len(shown) == 1 + 5  # 2 figures, 3 tables (one in the appendix)
    assert wb.sheetnames[0] == "索引"
    entries = index_entries(wb)
    page = render_html(spec, results, lang="zh", build_info=FIXED_BUILD_INFO)
    # the report's labels and captions, in the report's order; cross-references written as their labels
    assert [(e["编号"], e["标题"]) for e in entries] == html_captions(page)
    assert entries[0]["编号"] == "图 1" and entries[0]["标题"] == "全国网上零售额（数据见表 1）"
    assert [e["章节"] for e in entries][-1] == "附录 · 内容互动与转化"  # the appendix table, numbered last
    assert [e["类型"] for e in entries] == ["图", "表", "表", "图", "表"]
    assert entries[0]["单位"] == "亿元" and entries[0]["来源"] == "国家统计局，全国网上零售额年度数据"
    assert next(e for e in entries if e["章节"].startswith("第 2 章"))["来源"] == "模拟数据；另一来源"
    assert wb.sheetnames[1:] == [e["工作表"] for e in entries]
    link = wb.worksheets[0].cell(row=INDEX_HEADER_ROW + 1, column=4).hyperlink
    assert link.location == f"'{entries[0]['工作表']}'!A1"
    for entry in entries:  # each sheet repeats its number, caption, section, unit, source and note
        ws = wb[entry["工作表"]]
        meta = {row[0]: row[1] for row in ws.iter_rows(min_row=1, max_row=6, max_col=2, values_only=True)}
        assert meta["编号"] == entry["编号"] and meta["标题"] == entry["标题"] and meta["注"] == entry["注"]


def test_numbers_in_the_pack_are_the_numbers_in_the_report(pack):
    spec, results = fixed_spec(), results_with_data()
    wb = openpyxl.load_workbook(pack)
    page = render_html(spec, results, lang="zh", build_info=FIXED_BUILD_INFO)
    levels = results["market"]["levels"]
    header, rows = data_of(wb["表 1 全国网上零售额"])
    assert header == levels.columns and rows == [tuple(r) for r in levels.rows]  # full precision, None empty
    cell = rows[1][2]  # 2024's growth, 0.6: a number, shown with the table's decimals
    assert cell == 0.6 and f'<td class="num">{format_cell(cell, 1, "yoy", lang="zh")}</td>' in page
    assert wb["表 1 全国网上零售额"].cell(row=DATA_HEADER_ROW + 2, column=3).number_format == "#,##0.0"
    assert wb["表 1 全国网上零售额"].cell(row=DATA_HEADER_ROW + 2, column=1).number_format == "General"  # a year
    # the key figure 155,225 of the summary is the figure's last value drawn
    header, rows = data_of(wb["图 1 全国网上零售额（数据见表 1）"])
    assert header == TREND.columns and rows == list(TREND.rows)
    level = results["market"]["level"]
    number, _, unit = split_number(format_metric(level, lang="zh"))
    assert isinstance(level, Metric) and rows[-1][1] == level.value
    assert f'<span class="kpi-number">{number}</span> <span class="kpi-unit">{unit}</span>' in page
    # figure data equals the frame drawn, regression cells stay the report's text
    assert data_of(wb["图 2 滞后弹性"]) == (PROFILE.columns, list(PROFILE.rows))
    assert data_of(wb["表 2 回归结果，对比第 1 章"])[1] == [("log(互动)", "0.52***"), (None, "(0.04)")]


def test_the_same_build_gives_the_same_bytes(tmp_path, pack):
    again = write_data_pack(tmp_path / "again.xlsx", fixed_spec(), results_with_data(), lang="zh", generated=GENERATED,
                            sources={"market": ("国家统计局，全国网上零售额年度数据",), "engagement": ("模拟数据", "另一来源")})
    assert again.read_bytes() == pack.read_bytes()
    with zipfile.ZipFile(again) as archive:  # no part dated when it was written (openpyxl's temporary files)
        assert {info.date_time for info in archive.infolist()} == {(2025, 1, 1, 0, 0, 0)}
    wb = openpyxl.load_workbook(again)
    assert wb.properties.created == wb.properties.modified == pd.Timestamp(GENERATED).tz_localize(None)
    later = write_data_pack(tmp_path / "later.xlsx", fixed_spec(), results_with_data(), lang="zh",
                            generated="2025-01-02T00:00:00+00:00")
    assert later.read_bytes() != pack.read_bytes()


def test_english_edition_and_a_converter_for_every_string(tmp_path):
    en = openpyxl.load_workbook(write_data_pack(tmp_path / "en.xlsx", fixed_spec(), results_with_data(), lang="en",
                                                generated=GENERATED))
    assert en.sheetnames[0] == "Index"
    assert [e["Number"] for e in index_entries(en)] == ["Figure 1", "Table 1", "Table 2", "Figure 2", "Table 3"]
    # a Traditional Chinese edition passes its converter: every string goes through it, numbers do not
    convert = str.maketrans("网额数据国统计图", "網額數據國統計圖")
    hant = openpyxl.load_workbook(write_data_pack(tmp_path / "hant.xlsx", fixed_spec(), results_with_data(), lang="zh",
                                                  generated=GENERATED, convert=lambda s: s.translate(convert)))
    strings = [v for ws in hant.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert not any(ch in s for s in strings + hant.sheetnames for ch in "网额数据国统计图")
    assert "圖 1 全國網上零售額（數據见表 1）" in hant.sheetnames
    assert data_of(hant["圖 1 全國網上零售額（數據见表 1）"])[1] == list(TREND.rows)


def test_odd_captions_give_valid_unique_sheet_names(tmp_path):
    odd = "[2024]: 规模*增速? a/b\\c 'quoted' " + "长" * 20  # 40+ characters, every forbidden one
    name = sheet_name(odd)
    assert len(name) <= SHEET_NAME_MAX and not set("[]:*?/\\") & set(name) and name[0] != "'" and name[-1] != "'"
    assert sheet_name(odd, [name]) != name and sheet_name(odd, [name, name.upper()]).endswith(" (2)")
    assert sheet_name("History") != "History" and sheet_name("") == "Sheet" and sheet_name("'a'") == "a"
    assert sheet_name("x" * 40, ["x" * 30 + "…"]) == "x" * 27 + " (2)"
    tables = tuple(Table(f"t{i}", ("类目", "值"), (("=1+1", 1.5), ("@SUM(A1)", None)), caption=odd) for i in range(3))
    spec = fixed_spec(sections=[{"id": "s", "notebook": "n.ipynb", "title": "标题"}], summary=[])
    path = write_data_pack(tmp_path / "odd.xlsx", spec, {"s": SectionResults("s", "n.ipynb", {}, tables)}, lang="zh",
                           generated=GENERATED)
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames[1:]
    assert len(names) == 3 and len({n.lower() for n in names}) == 3
    assert all(len(n) <= SHEET_NAME_MAX and not set("[]:*?/\\") & set(n) for n in names)
    cell = wb[names[0]].cell(row=DATA_HEADER_ROW + 1, column=1)
    assert cell.value == "=1+1" and cell.data_type == "s"  # text from data is never a formula


def test_a_figure_without_data_fails_naming_it_and_how_to_attach_data(tmp_path):
    results = fixed_results()  # its figures have no data
    problems = figures_without_data(results)
    assert [(p.section, p.where) for p in problems] == [
        ("market", "figure 'trend' (notebooks/market_trends.ipynb)"),
        ("engagement", "figure 'profile' (notebooks/engagement_conversion.ipynb)")]
    with pytest.raises(RenderError, match=r"(?s)figure 'trend'.*rk\.record\('trend', fig, data=frame\).*reportkit\.analysis\.plots"):
        write_data_pack(tmp_path / "x.xlsx", fixed_spec(), results, lang="zh", generated=GENERATED)
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_no_partial_file_and_the_old_pack_as_it_was(tmp_path, monkeypatch, pack):
    target = tmp_path / "report-data.xlsx"
    target.write_bytes(pack.read_bytes())
    from openpyxl.writer import excel

    def broken(self):
        self._archive.writestr("xl/half.xml", "<half")
        raise OSError("disk full")

    monkeypatch.setattr(excel.ExcelWriter, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        write_data_pack(target, fixed_spec(), results_with_data(), lang="zh", generated="2025-06-01T00:00:00+00:00")
    assert target.read_bytes() == pack.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["report-data.xlsx"]


def test_unknown_cross_references_and_missing_sections_are_refused(tmp_path):
    results = results_with_data()
    market = results["market"]
    broken = tuple(dataclasses.replace(r, note="见[[tab:nowhere]]") if r.name == "levels" else r for r in market.records)
    with pytest.raises(RenderError, match=r"unknown cross-reference \[\[tab:nowhere\]\] in section 'market', table 'levels' \(note\)"):
        write_data_pack(tmp_path / "x.xlsx", fixed_spec(), {**results, "market": dataclasses.replace(market, records=broken)},
                        lang="zh", generated=GENERATED)
    with pytest.raises(RenderError, match="none for engagement"):
        write_data_pack(tmp_path / "x.xlsx", fixed_spec(), {"market": market}, lang="zh", generated=GENERATED)


# --------------------------------------------------------------------------- builds


def test_a_build_with_a_figure_without_data_fails_before_rendering(tmp_path):
    from reportkit.build import DATA_PACK, build_report

    notebook = Path(__file__).resolve().parent / "notebooks" / "records.ipynb"  # records a bare figure
    spec = tmp_path / "bare.yaml"
    body = f"sections:\n  - id: s\n    notebook: {notebook}\n    title: 记录\n"
    spec.write_text(f"id: bare\ntitle: 裸图\noutputs: [html, xlsx]\n{body}", encoding="utf-8")
    with pytest.raises(RenderError, match=r"(?s)the data pack cannot be published.*section 's', figure 'fig' "
                                          r"\(.*records\.ipynb\): no data recorded.*data=frame"):
        build_report(spec, out=tmp_path / "out", cache_dir=tmp_path / "runs")
    assert not (tmp_path / "out" / "report.html").exists()
    # without the data pack the same report builds, and a pack left by an earlier build is removed
    spec.write_text(f"id: bare\ntitle: 裸图\noutputs: [html]\n{body}", encoding="utf-8")
    (tmp_path / "out" / DATA_PACK).write_bytes(b"stale")
    built = build_report(spec, out=tmp_path / "out", cache_dir=tmp_path / "runs")
    assert set(built.outputs) == {"html", "manifest"} and not (tmp_path / "out" / DATA_PACK).exists()


def test_the_demo_report_s_data_pack_holds_its_figures_and_tables(demo_runs, tmp_path):
    from reportkit.build import build_report
    from reportkit.hashing import file_sha256
    from reportkit.publish import publish, verify
    from reportkit.spec import load_spec

    spec_path = ROOT / "reports" / "china-ecommerce-2024.yaml"
    built = build_report(spec_path, out=tmp_path / "zh", cache_dir=demo_runs)
    path = built.outputs["xlsx"]
    assert path == tmp_path / "zh" / "report-data.xlsx" and built.manifest.outputs["xlsx"] == "report-data.xlsx"
    recorded = {f.path: f for f in built.manifest.files}["report-data.xlsx"]
    assert (recorded.bytes, recorded.sha256) == (path.stat().st_size, file_sha256(path))
    assert 0 < built.manifest.timings_seconds["render_xlsx"] < built.manifest.timings_seconds["total"]

    wb = openpyxl.load_workbook(path)
    numbered = number_figures_and_tables(load_spec(spec_path), built.results)
    figures = [n for n in numbered if n.kind == "figure"]
    assert len(wb.sheetnames) == 1 + len(numbered) and len(figures) >= 6
    entries = index_entries(wb)
    page = built.outputs["html"].read_text(encoding="utf-8")
    assert [(e["编号"], e["标题"]) for e in entries] == html_captions(page)
    sheets = {e["编号"]: wb[e["工作表"]] for e in entries}
    for item in figures:  # every figure of the demo carries the numbers it drew
        header, rows = data_of(sheets[f"图 {item.number}"])
        assert rows and len(header) >= 2 and any(isinstance(v, float) for row in rows for v in row), item.record.name
    by_name = {n.record.name: n for n in numbered}
    market = {e["来源"] for e in entries if e["章节"].startswith("第 1 章")}
    assert market == {"国家统计局，全国网上零售额、实物商品网上零售额、社会消费品零售总额年度数据（各年国民经济运行情况发布）；"
                      "国家统计局，月度社会消费品零售总额及网上零售额（1 至当月累计）"}
    # the forecast the summary shows is the fan chart's last forecast and the forecast table's last row
    # (numbers are written with 16 significant digits, as openpyxl writes every float)
    metric = built.results["market"]["forecast_horizon"]
    header, rows = data_of(sheets[f"图 {by_name['fan_chart'].number}"])
    assert rows[-1][header.index("预测值")] == pytest.approx(metric.value, rel=1e-15)
    header, rows = data_of(sheets[f"表 {by_name['forecast_table'].number}"])
    assert rows[-1][header.index("预测值")] == pytest.approx(metric.value, rel=1e-15)
    number, _, unit = split_number(format_metric(metric, lang="zh"))
    assert f'<span class="kpi-number">{number}</span> <span class="kpi-unit">{unit}</span>' in page
    # a table cell: the latest level, as the growth table in the report shows it
    level = built.results["market"]["level_latest"]
    header, rows = data_of(sheets[f"表 {by_name['growth_table'].number}"])
    assert rows[-1][1] == level.value and f'<td class="num">{format_cell(level.value, 0, lang="zh")}</td>' in page

    # published with the release, and verified
    [release] = publish(built.out_dir, tmp_path / "dest", client="acme")
    assert "report-data.xlsx" in release.files
    version = tmp_path / "dest" / "acme" / "china-ecommerce-2024" / release.version
    assert (version / "report-data.xlsx").read_bytes() == path.read_bytes() and verify(version) == []
    (version / "report-data.xlsx").write_bytes(b"changed")
    assert any("report-data.xlsx" in problem for problem in verify(version))


def test_years_recorded_as_text_are_numbers_in_the_pack(tmp_path):
    """The market notebook records its periods as text ("2014"). In the pack a column of years
    holds numbers, so a spreadsheet sorts, filters and computes with them; a period column with
    anything but four-digit years ("2024-01", "2024Q1") stays text, as do codes and ids."""
    years = Data(("年份", "全国网上零售额"), (("2023", 154264), ("2024", 155225)))
    mixed = Data(("期间", "代码", "值"), (("2024", "0601", 1.0), ("2024-01", "2024", 2.0), ("2024Q1", "1999", 3.0)))
    data = {"trend": years, "profile": mixed}
    results = {sid: dataclasses.replace(res, records=tuple(
        dataclasses.replace(r, data=data[r.name]) if isinstance(r, Figure) else r for r in res.records))
        for sid, res in results_with_data().items()}
    path = write_data_pack(tmp_path / "pack.xlsx", fixed_spec(), results, lang="zh", generated=GENERATED)
    wb = openpyxl.load_workbook(path)
    header, rows = data_of(wb["图 1 全国网上零售额（数据见表 1）"])
    assert rows == [(2023, 154264), (2024, 155225)] and all(type(r[0]) is int for r in rows)
    assert wb["图 1 全国网上零售额（数据见表 1）"].cell(row=DATA_HEADER_ROW + 1, column=1).number_format == "General"
    assert data_of(wb["图 2 滞后弹性"])[1] == list(mixed.rows)  # all text as recorded
