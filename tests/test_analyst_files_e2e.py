"""A section notebook runs on the analyst's own export: Chinese column names, GBK, 1.2万-style
numbers, mapped to the notebook's roles by parameters, and gives the numbers the kit's own file gives."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from reportkit.analysis import engagement
from reportkit.execute import execute_notebook
from reportkit.params import read_parameters, validate_parameters
from reportkit.record import read_results

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "engagement_conversion.ipynb"
PANEL = ROOT / "data" / "simulated" / "brand_week_panel.csv"
CHINESE = {"brand": "品牌", "category": "品类", "week": "周", "likes": "点赞", "comments": "评论", "saves": "收藏",
           "engagement": "互动量", "add_to_cart": "加购"}


def _export_like_an_analyst(path: Path) -> None:
    """The demo panel as a platform export: Chinese headers, GBK, thousands separators, 万."""
    panel = pd.read_csv(PANEL)[list(CHINESE)]
    out = panel.rename(columns=CHINESE)
    out["互动量"] = [f"{v / 1e4:.4f}万" if i % 3 == 0 else f"{int(v):,}" for i, v in enumerate(panel["engagement"])]
    out["周"] = pd.to_datetime(out["周"]).dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, encoding="gb18030")


@pytest.mark.e2e
def test_engagement_notebook_on_a_gbk_export_with_chinese_columns(tmp_path):
    export = tmp_path / "小红书导出.csv"
    _export_like_an_analyst(export)
    declared = read_parameters(NOTEBOOK)
    values = validate_parameters(declared, {
        "panel_path": str(export), "encoding": "gb18030", "truth_path": "",
        "columns": "{品牌: brand, 品类: category, 周: week, 点赞: likes, 评论: comments, 收藏: saves, 互动量: engagement, "
                   "加购: add_to_cart}",
    }, source="the test", from_cli=True)
    executed = execute_notebook(NOTEBOOK, tmp_path / "run.ipynb", values, cwd=ROOT)
    results = read_results(nbformat.read(executed.output, as_version=4), section="engagement", notebook="nb",
                           parameters=values)
    metrics = {m.name: m.value for m in results.of_kind("metric")}
    reference = pd.read_csv(PANEL)
    sample = reference[(reference["category"] == "美妆个护") & reference["week"].between("2023-01-02", "2024-12-23")]
    expected = engagement.pooled_correlation(sample, engagement="engagement", conversion="add_to_cart").r
    assert metrics["pooled_r"] == pytest.approx(expected, rel=1e-9)
