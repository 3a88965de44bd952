"""Write data/examples/品牌周数据_导出.csv: the simulated demo panel (two categories) as a platform
export looks — Chinese headers, GB18030 (GBK) encoding, thousands separators and 万 — for the README
tutorial (a section on "your own CSV" with a column mapping). Deterministic: run it again, same bytes.

    .venv/bin/python scripts/make_example_export.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {"brand": "品牌", "category": "品类", "week": "周", "likes": "点赞", "comments": "评论", "saves": "收藏",
           "engagement": "互动量", "add_to_cart": "加购"}


def main() -> Path:
    panel = pd.read_csv(ROOT / "data" / "simulated" / "brand_week_panel.csv")
    panel = panel[panel["category"].isin(["美妆个护", "母婴"])][list(COLUMNS)].reset_index(drop=True)
    out = panel.rename(columns=COLUMNS)
    out["互动量"] = [f"{v / 1e4:.4f}万" if i % 5 == 0 else f"{int(v):,}" for i, v in enumerate(panel["engagement"])]
    out["加购"] = [f"{int(v):,}" for v in panel["add_to_cart"]]
    path = ROOT / "data" / "examples" / "品牌周数据_导出.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="gb18030", lineterminator="\n")
    return path


if __name__ == "__main__":
    print(main())
