"""Scaffolding: `reportkit new section` / `reportkit new report` (reportkit.scaffold)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from reportkit.errors import ReportKitError, SpecError
from reportkit.params import read_parameters
from reportkit.scaffold import new_report, new_section, section_notebook
from reportkit.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "data" / "simulated" / "brand_week_panel.csv"
DEMO_SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"


@pytest.fixture
def report(tmp_path):
    return new_report("acme-2025", reports_dir=tmp_path / "reports", title_zh="测试报告", title_en="Test report",
                      data_path=str(PANEL))


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("bad", ["", "Market", "2024_sales", "channel-mix", "渠道", "a b", "_x", "x" * 65, None])
def test_section_name_is_refused_with_what_was_expected(bad, tmp_path):
    with pytest.raises(SpecError) as exc:
        new_section(bad, notebooks_dir=tmp_path)
    msg = str(exc.value)
    assert repr(bad) in msg and "lowercase letters, digits and underscores" in msg
    assert not list(tmp_path.iterdir()), "nothing may be written"


def test_section_name_error_suggests_a_valid_id(tmp_path):
    with pytest.raises(ReportKitError, match="e.g. 'channel_mix'"):
        new_section("Channel-Mix", notebooks_dir=tmp_path)


@pytest.mark.parametrize("bad", ["", "Acme", "acme 2025", "../acme", "acme.yaml"])
def test_report_name_is_refused(bad, tmp_path):
    with pytest.raises(SpecError, match="not a valid report id"):
        new_report(bad, reports_dir=tmp_path, title_zh="报告", title_en="Report")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- the notebook


def test_notebook_parameters_parse_and_have_the_expected_types(tmp_path):
    path = new_section("channel_mix", notebooks_dir=tmp_path / "notebooks", data_path="data/my.csv")
    assert path == tmp_path / "notebooks" / "channel_mix.ipynb"
    declared = read_parameters(path)
    types = {p.name: p.type_name for p in declared.parameters}
    assert types == {"panel_path": "str", "columns": "dict[str,str]", "encoding": "str", "category": "str", "metric": "str",
                     "outcome": "str", "lang": "str", "theme": "str"}
    assert declared.defaults()["panel_path"] == "data/my.csv"
    assert declared.defaults()["columns"] == {}
    assert all(p.help for p in declared.parameters), "every parameter has a help comment"


def test_notebook_cells_tags_metadata_and_no_outputs(tmp_path):
    nb = nbformat.read(new_section("channel_mix", notebooks_dir=tmp_path), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "reportkit" and nb.metadata.language_info.name == "python"
    tags = [tuple(c.metadata.get("tags", ())) for c in nb.cells]
    assert tags.count(("parameters",)) == 1 and ("report-zh",) in tags and ("report-en",) in tags
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for needle in ("rk.load_panel(panel_path, columns=columns, encoding=encoding or None, required=[metric, outcome]",
                   "engagement.pooled_correlation(", 'rk.record("r_pooled"', 'rk.record("brand_means"',
                   'rk.record("scatter"', "plots.use_theme(theme)", "plots.scatter_fit("):
        assert needle in code, needle
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            compile(cell.source, "<cell>", "exec")
    prose = [c.source for c in nb.cells if "report-zh" in c.metadata.get("tags", []) or "report-en" in c.metadata.get("tags", [])]
    assert all("{{ r_pooled | ci }}" in text for text in prose)


def test_same_scaffold_gives_the_same_notebook():
    a = section_notebook("x", title_zh="甲", title_en="A")
    b = section_notebook("x", title_zh="甲", title_en="A")
    assert nbformat.writes(a) == nbformat.writes(b)


def test_refuses_to_overwrite_a_notebook(tmp_path):
    path = new_section("channel_mix", notebooks_dir=tmp_path)
    path.write_text("mine", encoding="utf-8")
    with pytest.raises(SpecError, match="already exists; refusing to overwrite"):
        new_section("channel_mix", notebooks_dir=tmp_path)
    assert path.read_text(encoding="utf-8") == "mine"


# --------------------------------------------------------------------------- specs


def test_new_report_spec_loads(report, tmp_path):
    spec = load_spec(report)
    assert report == tmp_path / "reports" / "acme-2025.yaml"
    assert spec.id == "acme-2025" and spec.title.zh == "测试报告" and spec.title.en == "Test report"
    # the data pack too, as the demo: every number of the report with the data behind it
    assert spec.outputs == ("html", "pdf", "xlsx") and spec.language == "zh" and spec.theme == "default"
    assert [s.id for s in spec.sections] == ["overview"] and spec.summary == ("overview.r_pooled",)
    # relative to the project root (the folder above reports/), as in the demo spec
    # named after the report, so that a second report in the project gets its own first notebook
    assert spec.sections[0].notebook == "notebooks/acme-2025_overview.ipynb"
    assert spec.resolve(spec.sections[0].notebook).is_file()


def test_new_report_refuses_to_overwrite(report):
    before = report.read_text(encoding="utf-8")
    with pytest.raises(SpecError, match="already exists"):
        new_report("acme-2025", reports_dir=report.parent, title_zh="别的", title_en="Other")
    assert report.read_text(encoding="utf-8") == before


def test_two_reports_in_one_project(tmp_path):
    """`reportkit new report` twice in a copy of the project: each report gets its own first notebook,
    both specs load and point at their own notebook, the first report's files are not touched."""
    from typer.testing import CliRunner

    from reportkit.cli import app

    project = tmp_path / "project"
    for folder in ("notebooks", "reports"):
        shutil.copytree(ROOT / folder, project / folder)
    args = ["--reports", str(project / "reports"), "--notebooks", str(project / "notebooks")]
    first = CliRunner().invoke(app, ["new", "report", "beauty-2025", "--title-zh", "美妆行业报告",
                                     "--title-en", "Beauty industry report", *args])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in (project / "notebooks").iterdir()}
    second = CliRunner().invoke(app, ["new", "report", "food-2025", "--title-zh", "食品饮料行业报告",
                                      "--title-en", "Food and beverage report", *args])
    assert second.exit_code == 0, second.output
    after = {p.name: p.read_bytes() for p in (project / "notebooks").iterdir()}
    assert {n: after[n] for n in before} == before  # nothing of the first report (or the demo) changed
    notebooks = []
    for name in ("beauty-2025", "food-2025"):
        spec = load_spec(project / "reports" / f"{name}.yaml")
        assert [s.id for s in spec.sections] == ["overview"] and spec.summary == ("overview.r_pooled",)
        assert spec.sections[0].notebook == f"notebooks/{name}_overview.ipynb"
        notebooks.append(spec.resolve(spec.sections[0].notebook))
        assert notebooks[-1].is_file() and read_parameters(notebooks[-1]).get("panel_path") is not None
    assert notebooks[0] != notebooks[1]
    assert set(after) - set(before) == {"food-2025_overview.ipynb"}


def test_new_report_refuses_an_existing_first_notebook_naming_it(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    mine = notebooks / "acme-2025_overview.ipynb"
    mine.write_text("mine", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        new_report("acme-2025", reports_dir=tmp_path / "reports", title_zh="测试报告", title_en="Test report")
    msg = str(exc.value)
    assert str(mine) in msg and "already exists" in msg and "'acme-2025'" in msg
    assert mine.read_text(encoding="utf-8") == "mine" and not (tmp_path / "reports" / "acme-2025.yaml").exists()


def test_new_section_registers_in_the_spec_keeping_the_rest(report):
    before = report.read_text(encoding="utf-8")
    nb = new_section("channel_mix", spec=report, notebooks_dir=report.parent.parent / "notebooks",
                     title_zh="渠道结构", title_en="Channel mix")
    after = report.read_text(encoding="utf-8")
    spec = load_spec(report)
    assert [s.id for s in spec.sections] == ["overview", "channel_mix"]
    sec = spec.section("channel_mix")
    assert sec.notebook == "notebooks/channel_mix.ipynb" and spec.resolve(sec.notebook) == nb
    assert sec.title.zh == "渠道结构" and sec.title.en == "Channel mix" and sec.parameters == {}
    # only lines added, every comment kept
    added = after.splitlines()
    for line in before.splitlines():
        assert line in added
    assert len(added) == len(before.splitlines()) + 6


def test_registering_into_the_demo_spec_appends_to_its_sections(tmp_path):
    spec_path = tmp_path / "reports" / DEMO_SPEC.name
    spec_path.parent.mkdir()
    spec_path.write_text(DEMO_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    new_section("channel_mix", spec=spec_path, notebooks_dir=tmp_path / "notebooks")
    text = spec_path.read_text(encoding="utf-8")
    assert text.index("  - id: channel_mix") < text.index("# Key figures shown in the executive summary")
    spec = load_spec(spec_path)
    assert [s.id for s in spec.sections] == ["market", "engagement", "adoption", "channel_mix"]
    assert spec.summary == load_spec(DEMO_SPEC).summary and len(spec.data) == 4


def test_registering_when_sections_is_last_or_empty(tmp_path):
    for i, tail in enumerate(["sections: []\n", "sections:\n", "sections:\n  - id: a\n    notebook: a.ipynb\n    title: A\n# end\n"]):
        spec_path = tmp_path / f"s{i}.yaml"
        spec_path.write_text(f"id: s{i}\ntitle: T\n{tail}", encoding="utf-8")
        new_section("b", spec=spec_path, notebooks_dir=tmp_path / f"nb{i}")
        ids = [s.id for s in load_spec(spec_path).sections]
        assert ids[-1] == "b" and ids[:-1] in ([], ["a"]), (tail, ids)
        assert load_spec(spec_path).sections[-1].notebook == f"nb{i}/b.ipynb"


def test_duplicate_section_id_is_refused_and_nothing_written(report):
    notebooks = report.parent.parent / "notebooks"
    before = report.read_text(encoding="utf-8")
    (notebooks / "acme-2025_overview.ipynb").rename(notebooks / "moved.ipynb")  # so only the spec can refuse
    with pytest.raises(SpecError, match="'overview' is already used in this spec") as exc:
        new_section("overview", spec=report, notebooks_dir=notebooks)
    assert str(report) in str(exc.value)
    assert report.read_text(encoding="utf-8") == before
    assert not (notebooks / "overview.ipynb").exists()


def test_a_flow_style_sections_list_is_refused_with_a_hint(tmp_path):
    spec_path = tmp_path / "flow.yaml"
    spec_path.write_text("id: f\ntitle: T\nsections: [{id: a, notebook: a.ipynb, title: A}]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not a block list"):
        new_section("b", spec=spec_path, notebooks_dir=tmp_path / "nb")
    assert not (tmp_path / "nb").exists()


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_scaffolded_section_executes_and_builds_into_a_report(tmp_path):
    from reportkit.build import build_report
    from reportkit.render.prose import f_ci

    spec_path = new_report("acme-2025", reports_dir=tmp_path / "reports", title_zh="测试报告",
                           title_en="Test report", data_path=str(PANEL))
    nb = new_section("channel_mix", spec=spec_path, notebooks_dir=tmp_path / "notebooks",
                     title_zh="渠道结构分析", title_en="Channel mix", data_path=str(PANEL))
    built = build_report(spec_path, out=tmp_path / "build", cache_dir=tmp_path / "cache")

    assert {"html", "pdf", "xlsx"} <= set(built.outputs)  # the scaffolded figures carry their data
    assert all(p.is_file() and p.stat().st_size > 0 for p in built.outputs.values())
    assert (tmp_path / "build" / "runs" / "channel_mix.ipynb").is_file()
    res = built.results["channel_mix"]
    r = res["r_pooled"]
    assert 0.5 < r.value < 0.9 and r.ci_low < r.value < r.ci_high  # the demo panel's 美妆个护 correlation
    assert {"brand_means", "scatter", "n_obs", "methods"} <= {rec.name for rec in res.records}
    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text(encoding="utf-8"))
    sections = {s["id"]: s for s in manifest["sections"]}
    assert sections["channel_mix"]["metrics"]["r_pooled"]["value"] == pytest.approx(r.value)
    assert sections["channel_mix"]["notebook"].endswith("channel_mix.ipynb")

    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "测试报告" in html and "渠道结构分析" in html
    assert f_ci(r, lang="zh") in html  # the placeholder filled from the recorded metric
    assert "{{" not in html and "Traceback" not in html
    en = build_report(spec_path, lang="en", out=tmp_path / "build-en", cache_dir=tmp_path / "cache")
    en_html = en.outputs["html"].read_text(encoding="utf-8")
    assert "Channel mix" in en_html and f_ci(en.results["channel_mix"]["r_pooled"], lang="en") in en_html
    assert Path(nb).read_text(encoding="utf-8") == nbformat.writes(nbformat.read(nb, as_version=4)) + "\n", \
        "the scaffolded notebook is left as written (no outputs)"


# --------------------------------------------------------------------------- kinds of section

NBS_ANNUAL = ROOT / "data" / "nbs_online_retail_annual.csv"
KIND_PARAMETERS = {
    "engagement": {"panel_path": "str", "columns": "dict[str,str]", "encoding": "str", "category": "str",
                   "metric": "str", "outcome": "str", "lang": "str", "theme": "str"},
    "market": {"data_path": "str", "columns": "dict[str,str]", "values": "str", "frequency": "str", "unit": "str",
               "series_name": "dict[str,str]", "source_name": "dict[str,str]", "encoding": "str",
               "date_format": "str", "first_period": "str", "last_period": "str", "horizon": "str",
               "lang": "str", "theme": "str"},
    "blank": {"data_path": "str", "lang": "str", "theme": "str"},
}
KIND_DATA = {"engagement": ("panel_path", "data/simulated/brand_week_panel.csv"),
             "market": ("data_path", "data/nbs_online_retail_annual.csv"),
             "blank": ("data_path", "data/simulated/brand_week_panel.csv")}


def _recorded_names(nb) -> set[str]:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r'rk\.record\(\s*"([a-z_0-9]+)"', code))


@pytest.mark.parametrize("kind", sorted(KIND_PARAMETERS))
def test_each_kind_is_a_valid_notebook_whose_parameters_parse(kind, tmp_path):
    path = new_section("s1", kind=kind, notebooks_dir=tmp_path)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "reportkit"
    declared = read_parameters(path)
    assert {p.name: p.type_name for p in declared.parameters} == KIND_PARAMETERS[kind]
    assert all(p.help for p in declared.parameters), "every parameter has a help comment"
    name, default = KIND_DATA[kind]
    assert declared.defaults()[name] == default and (ROOT / default).is_file()
    tags = [tuple(c.metadata.get("tags", ())) for c in nb.cells]
    assert tags.count(("parameters",)) == 1 and tags.count(("report-zh",)) == 1 and tags.count(("report-en",)) == 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            compile(cell.source, "<cell>", "exec")
            assert not re.search(r"\blang\s*[!=]=", cell.source), "no branch on the language"
    # every placeholder of the report cells is a recorded metric, every link a recorded figure or
    # table of this section, and both editions cite the same
    recorded = _recorded_names(nb)
    assert "methods" in recorded
    cited = []
    for tag in ("report-zh", "report-en"):
        (prose,) = [c.source for c in nb.cells if tag in c.metadata.get("tags", [])]
        names = set(re.findall(r"\{\{\s*([a-z_0-9]+)", prose))
        links = set(re.findall(r"\[\[(?:fig|tab):s1\.([a-z_0-9]+)\]\]", prose))
        assert names and names <= recorded, (tag, names - recorded)
        assert links <= recorded and len(links) == prose.count("[["), (tag, links)
        cited.append((names, links))
    assert cited[0] == cited[1]


def test_the_market_notebook_holds_the_roles_of_a_market_series(tmp_path):
    nb = nbformat.read(new_section("my_market", kind="market", notebooks_dir=tmp_path), as_version=4)
    defaults = read_parameters(tmp_path / "my_market.ipynb").defaults()
    # the defaults read the NBS series, its last verified year
    assert defaults["columns"] == {"year": "period", "online_retail_100m_yuan": "value", "online_yoy_official_pct": "growth"}
    assert defaults["values"] == "level" and defaults["last_period"] == "2024" and defaults["horizon"] == "2029"
    header = NBS_ANNUAL.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert set(defaults["columns"]) <= set(header)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for needle in ("read_market_series(data_path, columns=columns, values=values, frequency=frequency, unit=unit,",
                   "market.growth_table(", "market.compound_growth(", "market.forecast_target(",
                   "forecast_combine.combine_forecast(", "plots.growth_chart(", "plots.fan_chart(",
                   'ci_low=end["lo80"], ci_high=end["hi80"]', "mt.methods(", "plots.use_theme(theme)"):
        assert needle in code, needle
    assert {"level_latest", "growth_latest", "cagr", "forecast_horizon", "growth_chart", "growth_table",
            "forecast_chart", "forecast_intervals", "summary", "methods"} <= _recorded_names(nb)


def test_papermill_reads_the_market_parameters_as_reportkit_does(tmp_path):
    """papermill's own parser (JupyterLab's parameter tooling uses it) stumbles on quotes and braces in
    the comments; the market notebook's help texts have none and read the same both ways."""
    import papermill

    path = new_section("my_market", kind="market", notebooks_dir=tmp_path)
    theirs = papermill.inspect_notebook(str(path))
    ours = read_parameters(path)
    assert list(theirs) == [p.name for p in ours.parameters]
    assert {n: p["help"] for n, p in theirs.items()} == {p.name: p.help for p in ours.parameters}
    (cell,) = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    for line in cell.source.splitlines():
        assert not re.search(r"""["'{}]""", line.split("  # ", 1)[1]), line


@pytest.mark.parametrize("kind", sorted(KIND_PARAMETERS))
def test_data_sets_the_default_of_the_kinds_data_parameter(kind, tmp_path):
    path = new_section("s1", kind=kind, notebooks_dir=tmp_path, data_path="data/mine.xlsx")
    name, _ = KIND_DATA[kind]
    defaults = read_parameters(path).defaults()
    assert defaults[name] == "data/mine.xlsx"
    if kind == "market":  # the NBS file's roles and last year are not another file's
        assert defaults["columns"] == {} and defaults["last_period"] == ""


@pytest.mark.parametrize("bad", ["chart", "Market", "", None])
def test_an_unknown_kind_is_refused_naming_it_and_the_kinds(bad, tmp_path):
    with pytest.raises(SpecError) as exc:
        new_section("s1", kind=bad, notebooks_dir=tmp_path / "notebooks")
    msg = str(exc.value)
    assert repr(bad) in msg and all(repr(k) in msg for k in KIND_PARAMETERS)
    assert not tmp_path.joinpath("notebooks").exists(), "nothing may be written"
    with pytest.raises(SpecError, match="section kind"):
        section_notebook("s1", title_zh="甲", title_en="A", kind=bad)


def test_new_section_kind_market_through_the_cli(report, tmp_path):
    from typer.testing import CliRunner

    from reportkit.cli import app

    notebooks = tmp_path / "notebooks"
    before = report.read_text(encoding="utf-8")
    res = CliRunner().invoke(app, [
        "new", "section", "my_market", "--kind", "market", "--spec", str(report), "--notebooks", str(notebooks),
        "--title-zh", "我的市场", "--title-en", "My market", "-p", "data_path=data/my_market.csv",
        "-p", "columns={月份: period, 成交额（万元）: value}", "-p", "unit=万元", "-p", "horizon=2027"])
    assert res.exit_code == 0, res.output
    path = notebooks / "my_market.ipynb"
    declared = read_parameters(path)
    assert [p.name for p in declared.parameters] == list(KIND_PARAMETERS["market"])
    assert declared.defaults()["data_path"] == "data/nbs_online_retail_annual.csv"
    sec = load_spec(report).section("my_market")
    assert sec.notebook == "notebooks/my_market.ipynb" and sec.title.zh == "我的市场"
    assert sec.parameters == {"data_path": "data/my_market.csv", "columns": {"月份": "period", "成交额（万元）": "value"},
                              "unit": "万元", "horizon": "2027"}
    # -p is checked against the market notebook's parameters: an engagement one is refused, naming them
    res = CliRunner().invoke(app, ["new", "section", "other", "--kind", "market", "--spec", str(report),
                                   "--notebooks", str(notebooks), "-p", "panel_path=data/x.csv"])
    assert res.exit_code == 1 and "panel_path" in res.output and "data_path" in res.output
    assert not (notebooks / "other.ipynb").exists()
    # an unknown kind: one line naming it and the kinds, nothing written
    res = CliRunner().invoke(app, ["new", "section", "other", "--kind", "chart", "--notebooks", str(notebooks)])
    assert res.exit_code == 1 and "'chart'" in res.output and "'market'" in res.output
    assert not (notebooks / "other.ipynb").exists()
    # no --kind: an engagement section, as before
    res = CliRunner().invoke(app, ["new", "section", "plain", "--notebooks", str(notebooks)])
    assert res.exit_code == 0, res.output
    assert read_parameters(notebooks / "plain.ipynb").get("panel_path") is not None
    assert [line for line in before.splitlines() if line not in report.read_text(encoding="utf-8").splitlines()] == []


@pytest.mark.e2e
@pytest.mark.parametrize("kind", sorted(KIND_PARAMETERS))
def test_each_kind_runs_with_its_defaults(kind, tmp_path):
    """Each kind's notebook, as scaffolded, executes in the reportkit kernel on the demo data, and
    records what its report cells cite, with the numbers of the data file."""
    import pandas as pd

    from reportkit.section_run import run_section

    path = new_section("s1", kind=kind, notebooks_dir=tmp_path / "notebooks")
    run = run_section(path, tmp_path / "runs" / "s1.ipynb", {}, cwd=ROOT)
    res = run.results
    assert _recorded_names(nbformat.read(path, as_version=4)) <= {rec.name for rec in res.records}
    if kind == "engagement":
        panel = pd.read_csv(PANEL)
        assert res["n_obs"].value == (panel["category"] == "美妆个护").sum()
        r = res["r_pooled"]
        assert 0.5 < r.value < 0.9 and r.ci_low < r.value < r.ci_high
    elif kind == "market":
        nbs = pd.read_csv(NBS_ANNUAL).set_index("year")["online_retail_100m_yuan"].astype(float)
        assert res["level_latest"].value == nbs[2024] and res["level_latest"].unit == "亿元"
        assert res["growth_latest"].value == pytest.approx((nbs[2024] / nbs[2023] - 1) * 100)
        assert res["cagr"].value == pytest.approx(((nbs[2024] / nbs[2014]) ** 0.1 - 1) * 100)
        fc = res["forecast_horizon"]
        assert fc.ci_low < fc.value < fc.ci_high and fc.unit == "亿元" and "2029" in fc.label
        forecast = res["forecast_intervals"]
        assert [row[0] for row in forecast.rows] == ["2025", "2026", "2027", "2028", "2029"]
        assert [row[0] for row in res["growth_table"].rows] == [str(y) for y in range(2014, 2025)]
    else:
        data = pd.read_csv(PANEL)
        assert res["n_rows"].value == len(data)
        overview = res["columns_overview"]
        assert [row[0] for row in overview.rows] == list(data.columns)
        # values present per column: all rows, except adoption_week, empty for the brands that never adopt
        assert [row[1] for row in overview.rows] == data.notna().sum().tolist()
        assert data["adoption_week"].notna().sum() == 3744 and data.drop(columns="adoption_week").notna().all().all()


@pytest.mark.e2e
def test_market_and_blank_sections_build_into_an_english_report(report, tmp_path, monkeypatch):
    import pandas as pd

    from reportkit.build import build_report

    monkeypatch.setenv("REPORTKIT_PROJECT", str(ROOT))  # the kernels run in tmp_path: the demo data are the project's
    notebooks = tmp_path / "notebooks"
    new_section("my_market", kind="market", spec=report, notebooks_dir=notebooks, title_en="My market")
    new_section("notes", kind="blank", spec=report, notebooks_dir=notebooks, title_en="Notes")
    built = build_report(report, lang="en", out=tmp_path / "build", cache_dir=tmp_path / "cache")
    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "My market" in html and "Notes" in html and "{{" not in html and "Traceback" not in html
    assert "its 80% prediction interval is in" in html and "Online retail sales" in html
    assert f"The data have {len(pd.read_csv(PANEL)):,} rows" in html
    assert {"forecast_horizon", "cagr"} <= {rec.name for rec in built.results["my_market"].records}
    assert "National Bureau of Statistics" in html  # the source, from the metadata file beside the data
