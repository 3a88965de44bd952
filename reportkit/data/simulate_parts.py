"""A simulated platform export: monthly GMV by category × platform, as an analyst receives it.

**Simulated, not any platform's data.** It exercises the several-series path
(:func:`reportkit.data.market.read_market_parts`): a GB18030 CSV with Chinese headers, months
written as ``2024年3月``, amounts in 万元 with thousands separators. Each category × platform grows
at its own steady rate with a Double 11 (November) and a 618 (June) peak and small noise, so the
parts' shares drift and the total's growth has known sources.

``python -m reportkit.data.simulate_parts [--seed 7] [--out data/examples/品类平台月度成交额_导出.csv]``
writes the file (atomically); :func:`simulate_parts` returns the frame without writing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_atomic
from .paths import project_root

__all__ = ["CATEGORIES", "PLATFORMS", "HEADERS", "simulate_parts", "write_parts", "DEFAULT_FILE"]

CATEGORIES: tuple[str, ...] = ("美妆个护", "服饰鞋包", "3C数码")
PLATFORMS: tuple[str, ...] = ("天猫", "京东")
#: the export's column names: month, category, platform, GMV in 万元
HEADERS: tuple[str, str, str, str] = ("月份", "品类", "平台", "成交额（万元）")
DEFAULT_FILE = "data/examples/品类平台月度成交额_导出.csv"
_BASE = {"美妆个护": 1000.0, "服饰鞋包": 2000.0, "3C数码": 3000.0}  # 万元 a month in the first January
_GROWTH = {"美妆个护": 0.08, "服饰鞋包": 0.11, "3C数码": 0.14}  # a year, on 天猫; 京东 two points lower
_PLATFORM_SCALE = {"天猫": 1.5, "京东": 1.0}


def simulate_parts(seed: int = 7, *, start: str = "2014-01", end: str = "2024-12") -> pd.DataFrame:
    """The export as text cells (what the file holds): one row per month, category and platform."""
    rng = np.random.default_rng(seed)
    months = pd.period_range(start, end, freq="M")
    rows = []
    for category in CATEGORIES:
        for platform in PLATFORMS:
            growth = _GROWTH[category] - (0.02 if platform == "京东" else 0.0)
            base = _BASE[category] * _PLATFORM_SCALE[platform]
            for k, month in enumerate(months):
                season = 1.0 + 0.25 * (month.month == 11) + 0.10 * (month.month == 6)
                value = base * (1.0 + growth) ** (k / 12) * season * float(np.exp(rng.normal(0.0, 0.03)))
                rows.append((f"{month.year}年{month.month}月", category, platform, f"{value:,.1f}"))
    return pd.DataFrame(rows, columns=list(HEADERS))


def write_parts(path: str | Path, seed: int = 7, **kwargs: str) -> Path:
    """Write :func:`simulate_parts` to ``path`` as GB18030 CSV (atomically); return the path."""
    path = Path(path)
    data = simulate_parts(seed, **kwargs).to_csv(index=False, lineterminator="\n").encode("gb18030")
    write_atomic(path, data)
    return path


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a thin command line
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(project_root() / DEFAULT_FILE))
    args = parser.parse_args(argv)
    print(write_parts(args.out, args.seed))


if __name__ == "__main__":  # pragma: no cover
    main()
