"""Every command of the README's tutorial works as written, in order, on a copy of the project."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the analyst's own market series of the tutorial's step "your own market series" (written by the test)
MARKET_CSV = "data/my_market.csv"


def tutorial_commands() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tutorial", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return "\n".join(re.sub(r"^ {3}", "", line) for block in blocks for line in block.splitlines())


def write_market_series(path: Path) -> dict[str, float]:
    """A platform export of quarterly GMV in 万元, 2015–2024, as analysts get them (Chinese headers and
    period labels, 「2,031.8」), simulated with a seed: growth slowing from about 20 % a year, a Q4
    peak, noise. Returns the values as written, by quarter (``"2024Q4"``)."""
    rng = np.random.default_rng(16)
    season = (0.85, 0.95, 1.0, 1.2)
    annual, values, lines = 9000.0, {}, ["季度,成交额（万元）"]
    for year in range(2015, 2025):
        annual *= 1 + 0.20 - 0.012 * (year - 2015) + rng.normal(0, 0.03)
        for q in range(1, 5):
            value = round(annual / 4 * season[q - 1] * (1 + rng.normal(0, 0.02)), 1)
            values[f"{year}Q{q}"] = value
            lines.append(f'{year}年第{q}季度,"{value:,.1f}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return values


def test_the_tutorial_has_its_steps(tmp_path):
    script = tutorial_commands()
    for command in ("reportkit build", "reportkit run", "reportkit new section", "--theme acme", "reportkit batch",
                    "reportkit publish", "reportkit verify", "--kind market", f"data_path={MARKET_CSV}"):
        assert command in script
    # the README shows the series the test writes, as the file begins
    write_market_series(tmp_path / "series.csv")
    head = "\n".join("   " + line for line in (tmp_path / "series.csv").read_text(encoding="utf-8").splitlines()[:3])
    assert f"```csv\n{head}\n" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_readme_tutorial_runs_as_written(tmp_path):
    project = tmp_path / "project"
    for folder in ("data", "notebooks", "reports"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "build").mkdir()
    series = write_market_series(project / MARKET_CSV)  # the analyst's own series (step "your own market series")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    script = "set -euo pipefail\n" + tutorial_commands()
    proc = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert (project / "build" / "china-ecommerce-2024" / "report.pdf").is_file()
    assert (project / "build" / "mine" / "report.pdf").is_file()
    assert "我的品牌" in (project / "build" / "mine" / "report.html").read_text(encoding="utf-8")
    assert (project / "build" / "china-ecommerce-2024-acme" / "report.pdf").is_file()
    # the market chapter on the analyst's series: growth, compound growth and a forecast with its
    # interval, the numbers those of the file
    manifest = json.loads((project / "build" / "mine" / "manifest.json").read_text(encoding="utf-8"))
    metrics = next(s for s in manifest["sections"] if s["id"] == "my_market")["metrics"]
    assert metrics["level_latest"]["value"] == series["2024Q4"] and metrics["level_latest"]["unit"] == "万元"
    assert metrics["growth_latest"]["value"] == pytest.approx((series["2024Q4"] / series["2023Q4"] - 1) * 100)
    assert metrics["cagr"]["value"] == pytest.approx(((series["2024Q4"] / series["2019Q4"]) ** (1 / 5) - 1) * 100)
    forecast = metrics["forecast_horizon"]
    total_2024 = sum(v for k, v in series.items() if k.startswith("2024"))
    assert forecast["label"].startswith("2027") and forecast["unit"] == "万元"
    assert total_2024 < forecast["ci_low"] < forecast["value"] < forecast["ci_high"]  # a growing series, annual totals
    html = (project / "build" / "mine" / "report.html").read_text(encoding="utf-8")
    assert "我的市场" in html and "我的品类成交额" in html
    for value in (series["2024Q4"], forecast["value"], forecast["ci_low"], forecast["ci_high"]):
        assert f"{value:,.0f} 万元" in html, value
    assert "80% 预测区间" in html
    assert "ok, every file matches" in proc.stdout
