"""Scaffolding: `reportkit new section` / `reportkit new report` (reportkit.scaffold)."""
from __future__ import annotations

import json
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
    assert spec.outputs == ("html", "pdf") and spec.language == "zh" and spec.theme == "default"
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
    assert [s.id for s in spec.sections] == ["market", "engagement", "channel_mix"]
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

    assert {"html", "pdf"} <= set(built.outputs)
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
