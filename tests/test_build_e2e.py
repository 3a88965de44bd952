"""End to end: build the demo report for real (two kernels, WeasyPrint) into a temporary folder."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from reportkit.build import build_report
from reportkit.data.simulate import load_true_params
from reportkit.manifest import Manifest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"
RESOURCE_REF = re.compile(
    r"""(?:\bsrc|\bhref|xlink:href)\s*=\s*["']?\s*(?:https?:|file:|//)|url\(\s*["']?\s*(?:https?:|file:|//)|@import""",
    re.IGNORECASE,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def zh_build(tmp_path_factory):
    return build_report(SPEC, out=tmp_path_factory.mktemp("zh"), cache=False)


@pytest.fixture(scope="module")
def en_build(tmp_path_factory):
    return build_report(SPEC, lang="en", out=tmp_path_factory.mktemp("en"), cache=False)


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


def _pdf_fonts(path: Path) -> set[str]:
    fonts: set[str] = set()
    for page in pypdf.PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    return fonts


def test_outputs_exist(zh_build):
    out = zh_build.out_dir
    for name in ("report.html", "report.pdf", "manifest.json", "runs/market.ipynb", "runs/engagement.ipynb"):
        assert (out / name).is_file(), name
    assert not list(out.rglob("*.partial*")), "a temporary file was left behind"


def test_pdf_text_and_cjk_font(zh_build):
    pdf = zh_build.outputs["pdf"]
    text = _pdf_text(pdf)
    assert "中国电子商务" in text
    assert "155,225" in text
    assert "目录" in text and "执行摘要" in text
    assert any("CJK" in f for f in _pdf_fonts(pdf)), _pdf_fonts(pdf)
    assert len(pypdf.PdfReader(pdf).pages) >= 6


def test_html_is_self_contained(zh_build):
    html = zh_build.outputs["html"].read_text(encoding="utf-8")
    assert "中国电子商务行业发展报告" in html
    assert not RESOURCE_REF.findall(html), RESOURCE_REF.findall(html)[:5]
    assert "<svg" in html and "<style" in html
    assert "Traceback" not in html and ">nan<" not in html.lower()


def test_elasticity_recovers_the_simulators_truth(zh_build):
    truth = load_true_params()
    metrics = {m.name: m for m in zh_build.results["engagement"].of_kind("metric")}
    total = metrics["elasticity_total"]
    assert total.ci_low <= truth["long_run_elasticity"] <= total.ci_high, (total, truth["long_run_elasticity"])
    lag0 = metrics["elasticity_lag0"]
    assert lag0.ci_low <= truth["lag_elasticities"][0] <= lag0.ci_high
    # the published claim is tested, not repeated: the pooled r comes with its interval
    r = metrics["pooled_r"]
    assert r.ci_low < r.value < r.ci_high


def test_summary_numbers_come_from_recorded_results(zh_build):
    market = zh_build.results["market"]
    assert market["level_latest"].value == 155225
    assert market["yoy_official_latest"].value == pytest.approx(7.2)
    assert market["yoy_levels_latest"].value == pytest.approx((155225 / 154264 - 1) * 100, abs=1e-9)
    text = _pdf_text(zh_build.outputs["pdf"])
    assert "7.2%" in text and "0.6%" in text


def test_manifest_traces_parameters_data_and_environment(zh_build):
    manifest = json.loads(zh_build.outputs["manifest"].read_text(encoding="utf-8"))
    assert manifest["language"] == "zh" and manifest["report"] == "china-ecommerce-2024"
    assert {d["path"] for d in manifest["data"]} >= {"data/nbs_online_retail_annual.csv", "data/simulated/brand_week_panel.csv"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) for d in manifest["data"])
    sections = {s["id"]: s for s in manifest["sections"]}
    assert sections["engagement"]["parameters"]["category"] == "美妆个护"
    assert sections["market"]["parameters"]["lang"] == "zh"
    assert sections["market"]["metrics"]["level_latest"]["value"] == 155225
    assert re.fullmatch(r"[0-9a-f]{16}", sections["market"]["run_key"])
    assert manifest["environment"]["papermill"] and manifest["git"]["commit"]
    assert set(manifest["timings_seconds"]) >= {"run:market", "run:engagement", "render_pdf", "total"}
    assert Manifest.read(zh_build.outputs["manifest"]) == zh_build.manifest  # the file is the object, exactly


def test_english_edition(en_build):
    text = _pdf_text(en_build.outputs["pdf"])
    assert "China E-commerce Industry Report" in text
    assert "Contents" in text
    assert "trn yuan" in text  # 亿元 converted for English readers
    html = en_build.outputs["html"].read_text(encoding="utf-8")
    assert 'lang="en"' in html
    assert not RESOURCE_REF.findall(html)
    manifest = en_build.manifest  # published beside the zh edition, not over it
    assert (manifest.language, manifest.spec_language) == ("en", "zh")
    assert manifest.release_folder == f"{manifest.report}-en"


def test_cli_refuses_unknown_parameter_before_a_kernel_starts(tmp_path):
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "reportkit"), "run", str(ROOT / "notebooks" / "engagement_conversion.ipynb"),
         "-p", "bogus=1", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert "unknown parameter 'bogus'" in err and "category (str)" in err and "n_lags (int)" in err
    assert not list(tmp_path.iterdir()), "nothing may be executed or written"


def test_cli_build_failure_is_one_paragraph_and_nonzero(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = SPEC.read_text(encoding="utf-8").replace("n_lags: 2", "n_lags: two")
    text = text.replace("notebook: notebooks/", f"notebook: {ROOT}/notebooks/").replace("path: data/", f"path: {ROOT}/data/")
    bad.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "reportkit"), "build", str(bad), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 1
    err = " ".join(proc.stderr.split())
    assert "'n_lags'" in err and "expected int" in err and "Traceback" not in proc.stderr
    assert "bad.yaml" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["market_trends", "engagement_conversion"])
def test_notebooks_run_top_to_bottom_with_defaults_from_their_folder(name, tmp_path):
    """As in JupyterLab: the kernel's working directory is notebooks/, no parameters injected."""
    from reportkit.execute import execute_notebook
    from reportkit.params import read_parameters
    from reportkit.record import read_results

    nb = ROOT / "notebooks" / f"{name}.ipynb"
    executed = execute_notebook(nb, tmp_path / f"{name}.ipynb", {}, cwd=ROOT / "notebooks")
    results = read_results(executed.nb, section=name, notebook=str(nb), parameters=read_parameters(nb).defaults())
    assert {"summary", "methods"} <= {r.name for r in results.of_kind("text")}
    assert len(results.of_kind("figure")) >= 2


def test_committed_notebooks_have_no_outputs():
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs; strip them"


def test_engagement_section_shows_issue_3_evidence(zh_build):
    res = zh_build.results["engagement"]
    assert res["regression_table"].style == "regression"
    assert len(res["regression_table"].columns) == 5  # label column + four models side by side
    for name in ("correlation_table", "lag_profile", "forest_plot", "placebo_p", "adstock_decay",
                 "appendix_vif", "appendix_diagnostics", "appendix_residuals", "appendix_granger"):
        assert name in res, name
    text = _pdf_text(zh_build.outputs["pdf"])
    assert "诊断与补充结果" in text and "Breusch–Pagan" in text and "按品牌聚类（CRV1）" in text
    assert "都高出10%时" in re.sub(r"\s+", "", text)  # cumulative over the lags, not "每提升10%"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_demo_pdf_shows_the_statistical_review_items(lang, zh_build, en_build):
    """Issue 13: wild bootstrap named under the main table, the coverage certificate, the model-spread
    table, both CAGRs and the minimum detectable lead effect, in both editions."""
    built = zh_build if lang == "zh" else en_build
    raw = _pdf_text(built.outputs["pdf"])
    text = re.sub(r"\s+", "", raw) if lang == "zh" else " ".join(raw.split())
    eng, market = built.results["engagement"], built.results["market"]
    reg_note = eng["regression_table"].note
    cagr, chained = market["cagr"].value, market["cagr_chained"].value
    mde = f"{eng['placebo_mde'].value:.2f}"
    if lang == "zh":
        assert "限制性野聚类自助法（WCR" in reg_note and "限制性野聚类自助法（WCR" in text
        assert "本报告所用的野聚类自助法95%置信区间覆盖真值的比例为" in text and "蒙特卡洛误差" in text
        assert "各模型对2029年的预测" in text
        assert "最小超前效应" in text
    else:
        assert "restricted wild cluster bootstrap (WCR" in reg_note and "restricted wild cluster bootstrap (WCR" in text
        assert "simulations of this design" in text and "Monte Carlo error" in text
        assert "Model spread" in text
        assert "80% power is" in text
    assert f"{cagr:.1f}%" in text and f"{chained:.1f}%" in text and abs(cagr - chained) > 1
    assert mde in text
    cover = eng["coverage_reported"].value
    assert f"{cover:.1f}%" in text and 88 < cover < 99


def test_the_engagement_notebook_runs_on_an_analysts_own_parquet_file(tmp_path):
    """A spec points the notebook at the analyst's file, mapping its column names by parameters."""
    import pandas as pd

    from reportkit.data.simulate import load_demo_panel

    own = load_demo_panel().rename(columns={
        "brand": "shop_id", "week": "date", "category": "cat", "engagement": "interactions",
        "add_to_cart": "carts", "likes": "zan", "saves": "shoucang", "comments": "pinglun"})
    own = own[own["cat"].isin(["母婴", "食品饮料"])]
    path = tmp_path / "my_panel.parquet"
    own.to_parquet(path)
    spec = tmp_path / "mine.yaml"
    spec.write_text(f"""id: mine
title: 我的报告
outputs: [html]
sections:
  - id: engagement
    notebook: {ROOT / "notebooks" / "engagement_conversion.ipynb"}
    title: 种草与转化
    parameters:
      category: 母婴
      panel_path: {path}
      truth_path: ""
      entity: shop_id
      time: date
      group: cat
      engagement_metric: interactions
      conversion_metric: carts
      engagement_components: [zan, shoucang, pinglun]
      vcov: twoway
summary: [engagement.elasticity_total]
""", encoding="utf-8")
    built = build_report(spec, out=tmp_path / "out", cache=False)
    res = built.results["engagement"]
    assert "true_total" not in res  # no truth for the analyst's own data
    total = res["elasticity_total"]
    assert 0.3 < total.value < 0.8 and total.ci_low < total.value < total.ci_high
    html = built.outputs["html"].read_text(encoding="utf-8")
    assert "双向聚类" in html and "interactions" in html
    assert pd.read_parquet(path).shape == own.shape  # the input was not touched


def test_market_section_shows_issue_4_evidence(zh_build):
    res = zh_build.results["market"]
    caveat = res["growth_caveat"].text
    assert "最近一期 2024 年为 7.2% 对 0.6%" in caveat and "统计范围" in caveat  # the source's own explanation, from data
    backtest = res["backtest_table"]  # MASE per model and horizon (1…5 years), the combination last
    assert backtest.columns[0] == "模型" and backtest.columns[1].startswith("MASE") and len(backtest.columns) == 6
    assert len(backtest.rows) == len(res["model_spread"].rows)
    monthly = res["monthly_table"]
    assert sum(row[1] for row in monthly.rows) == 155225  # the 2024 periods add up to the annual value
    assert any("1–2 月合计" in row[2] for row in monthly.rows)
    assert "decomposition_note" in res and "STL" in res["decomposition_note"].text
    assert "appendix_data_quality" in res and "contribution_table" in res
    fc = res["forecast_horizon"]
    assert fc.ci_low < fc.value < fc.ci_high
    text = _pdf_text(zh_build.outputs["pdf"])
    assert "MASE" in text and "滚动起点回测" in text


# --------------------------------------------------------------------------- themes and the PDF footer


@pytest.fixture(scope="module")
def acme_build(tmp_path_factory):
    return build_report(SPEC, theme="acme", out=tmp_path_factory.mktemp("acme"))  # cached runs are fine


def test_acme_theme_brands_the_pdf_and_the_figures(acme_build):
    pdf = acme_build.outputs["pdf"]
    text = _pdf_text(pdf)
    assert "艾克米零售研究" in text  # the client, on the cover and in the footer
    assert "艾克米零售研究 · 客户机密，未经书面许可不得转发" in text  # the confidentiality line
    assert pdf.stat().st_size < 5 * 1024 * 1024
    manifest = acme_build.manifest
    assert manifest.theme == "acme" and manifest.edition == "client"
    assert all(s.parameters["theme"] == "acme" for s in manifest.sections)
    html = acme_build.outputs["html"].read_text(encoding="utf-8")
    assert "--rk-accent: #1b5e3b" in html and not RESOURCE_REF.findall(html)
    figures = re.findall(r'<figure class="figure".*?</figure>', html, re.DOTALL)
    assert figures and all("#1f4e79" not in f for f in figures)  # not the default palette …
    assert sum("#1b5e3b" in f for f in figures) >= 3  # … but acme's


def test_zh_pdf_footer_and_size(zh_build):
    pdf = zh_build.outputs["pdf"]
    assert "第 3 页 / 共" in _pdf_text(pdf)
    assert pdf.stat().st_size < 5 * 1024 * 1024


def test_en_pdf_footer(en_build):
    assert "Page 3 of" in _pdf_text(en_build.outputs["pdf"])
