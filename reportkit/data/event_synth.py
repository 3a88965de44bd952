"""Synthetic raw event files (engagement and conversion) for benchmarks and tests.

:func:`write_synthetic_events` writes Parquet files in the raw layout that
:func:`reportkit.data.events.aggregate_events` reads:

* engagement events, one row per note and burst of activity: ``note_id`` (BIGINT), ``brand``,
  ``category``, ``ts`` (TIMESTAMP, naive China local time), ``likes``, ``comments``, ``saves``,
  ``shares`` (BIGINT counts);
* conversion events, one row per cart session: ``brand``, ``ts``, ``add_to_cart``, ``orders``
  (BIGINT) and ``gmv`` (DOUBLE, yuan, 2 dp). There is no ``visits`` column.

The model, with ``i`` a brand, ``t`` a week and logs natural:

* brand-week activity ``L_it = a_i + w_t + u_it`` (``u`` an AR(1) with ρ = 0.6); the
  ``n_events`` engagement events are spread over the brand-weeks by a multinomial draw with
  probabilities ∝ exp(L_it); a brand-week has about one note per 25 events, and each event
  belongs to a note published that week (80 %) or the week before (20 %);
* per event, ``likes``, ``comments``, ``saves`` and ``shares`` are geometric counts whose means
  depend on the category (:data:`EVENT_MEANS`);
* conversion: with ``E_it`` the *realised* engagement (likes + comments + saves, read back from
  the written files), the expected number of cart sessions is
  ``μ_it = exp(κ + b_i + v_t + β_0 log E_it + β_1 log E_i,t−1 + e_it)`` with
  ``(β_0, β_1) =`` :data:`CART_ELASTICITIES`, ``e ~ N(0, 0.2²)`` and κ set so that there are
  about ``conversion_ratio × n_events`` sessions in all; sessions ~ Poisson(μ_it); each session
  adds 1 + Geometric items to the cart, orders with the category's rate and pays about the
  category's order value. A regression of log(add_to_cart) on log(engagement) with brand and
  week effects therefore finds a positive elasticity (about β_0 plus what the lag adds through
  the persistence of engagement).

Speed and memory: the per-event rows are never built in Python. Small brand-week tables are
drawn with NumPy; DuckDB then expands every brand-week into its events with ``range(n)`` and
writes them with ``COPY ... TO ... (FORMAT parquet)``, streaming, under a memory limit.

Determinism: the brand-week tables come from ``numpy.random.default_rng(seed)``; every per-event
draw is a uniform number made from DuckDB's ``hash(row_number, seed, stream)``. The same seed,
arguments and DuckDB version give the same rows in the same order (DuckDB's hash function is
stable within a version, not promised across versions).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..errors import DataError
from .simulate import CATEGORIES

__all__ = [
    "CART_ELASTICITIES",
    "EVENT_MEANS",
    "CATEGORY_CODES",
    "synthetic_brands",
    "write_synthetic_events",
]

#: Elasticities (β_0, β_1) of expected cart sessions on current and last week's engagement.
CART_ELASTICITIES: tuple[float, float] = (0.35, 0.15)

#: Brand id prefixes, as in the simulated demo panel (BEA01, FAS01, ...).
CATEGORY_CODES: dict[str, str] = {
    "美妆个护": "BEA",
    "服饰鞋包": "FAS",
    "家居家装": "HOM",
    "母婴": "BAB",
    "3C数码": "DIG",
    "食品饮料": "FOO",
}

#: Per category: mean likes, comments, saves, shares per event; cart-to-order rate; order value.
EVENT_MEANS: dict[str, tuple[float, float, float, float, float, float]] = {
    "美妆个护": (6.0, 0.7, 1.8, 0.4, 0.30, 160.0),
    "服饰鞋包": (5.0, 0.5, 1.2, 0.3, 0.25, 230.0),
    "家居家装": (4.0, 0.5, 1.5, 0.2, 0.20, 280.0),
    "母婴": (5.0, 0.9, 1.6, 0.3, 0.35, 190.0),
    "3C数码": (7.0, 1.0, 1.4, 0.5, 0.15, 1500.0),
    "食品饮料": (4.0, 0.4, 0.9, 0.3, 0.40, 85.0),
}

_EVENTS_PER_NOTE = 25.0
_CARRY_OVER = 0.2  # share of a week's events that go to notes published the week before
_ROW_GROUP_SIZE = 122_880  # DuckDB's default: many row groups, so readers can split the work
_WEEK_S = 7 * 24 * 3600
_BLOCK = 64  # events per row of the table that DuckDB expands (see _blocks)



def _uniform(stream: int, row: str = "e.row_id", seed: str = "e.seed") -> str:
    """SQL for a uniform number in (0, 1]: the top 53 bits of ``hash(row, seed, stream)``."""
    return f"((hash({row}, {seed}, {stream}) >> 11) + 1)::DOUBLE / 9007199254740992.0"


def _below(stream: int, modulus: str | int) -> str:
    """SQL for a whole number in [0, modulus) from ``hash(row, seed, stream)`` (63 bits, BIGINT)."""
    return f"(hash(e.row_id, e.seed, {stream}) >> 1)::BIGINT % {modulus}"


def _geometric(stream: int, mean_column: str) -> str:
    """SQL for a geometric count (0, 1, 2, ...) with the mean in ``mean_column``."""
    u = _uniform(stream)
    # P(X >= k) = q^k with q = m / (1 + m): X = floor(log(u) / log(q))
    return f"floor(ln({u}) / ln({mean_column} / (1.0 + {mean_column})))::BIGINT"


def _check_int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} must be an integer between {lo} and {hi}; got {value!r}")
    if not lo <= int(value) <= hi:
        raise DataError(f"{name} must be between {lo:,} and {hi:,}; got {value!r}")
    return int(value)


def _check_monday(start: Any) -> dt.date:
    try:
        day = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
    except ValueError:
        raise DataError(f"start must be an ISO date such as '2023-01-02'; got {start!r}") from None
    if isinstance(day, dt.datetime):
        day = day.date()
    if day.weekday() != 0:
        raise DataError(f"start must be a Monday (ISO weeks start on Monday); got {day.isoformat()}, a {day:%A}")
    return day


def synthetic_brands(n_brands: int) -> pd.DataFrame:
    """Brand ids and categories: brands are dealt to the six categories in turn (BEA01, FAS01, ...)."""
    n_brands = _check_int("n_brands", n_brands, 1, 99 * len(CATEGORIES))
    rows = []
    for j in range(n_brands):
        category = CATEGORIES[j % len(CATEGORIES)]
        rows.append((f"{CATEGORY_CODES[category]}{j // len(CATEGORIES) + 1:02d}", category))
    return pd.DataFrame(rows, columns=["brand", "category"])


def _ar1(rng: np.random.Generator, n: int, t: int, rho: float, sd: float) -> np.ndarray:
    u = np.empty((n, t))
    u[:, 0] = rng.normal(0.0, sd / np.sqrt(1.0 - rho**2), n)
    eps = rng.normal(0.0, sd, (n, t))
    for j in range(1, t):
        u[:, j] = rho * u[:, j - 1] + eps[:, j]
    return u


def _blocks(cells: pd.DataFrame, size: int = _BLOCK) -> pd.DataFrame:
    """Split every row of ``n`` events (first row id ``row0``) into blocks of at most ``size``.

    DuckDB splits a scan into chunks of a table's rows; a brand-week table has a few thousand
    rows, which would be one chunk and one thread. Blocks give every thread rows to expand.
    """
    n = cells["n"].to_numpy()
    per_cell = -(-n // size)  # ceil; a cell without events has no block
    index = np.repeat(np.arange(len(cells)), per_cell)
    j = np.arange(len(index)) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
    out = cells.iloc[index].reset_index(drop=True)
    out["row0"] = out["row0"].to_numpy() + j * size
    out["n"] = np.minimum(size, n[index] - j * size)
    return out


def _engagement_cells(rng: np.random.Generator, brands: pd.DataFrame, weeks: int, n_events: int, start: dt.date) -> pd.DataFrame:
    """One row per brand-week: events, notes, offsets of the week's rows and note ids."""
    n_b = len(brands)
    level = rng.normal(0.0, 0.6, n_b)[:, None] + rng.normal(0.0, 0.15, weeks)[None, :] + _ar1(rng, n_b, weeks, 0.6, 0.25)
    p = np.exp(level - level.max()).ravel()
    counts = rng.multinomial(n_events, p / p.sum()).reshape(n_b, weeks)
    notes = np.maximum(1, np.rint(counts / _EVENTS_PER_NOTE * np.exp(rng.normal(0.0, 0.2, counts.shape)))).astype(np.int64)
    prev_notes = np.concatenate([notes[:, :1], notes[:, :-1]], axis=1)
    brand_idx = np.repeat(np.arange(n_b), weeks)
    week_idx = np.tile(np.arange(weeks), n_b)
    flat = counts.ravel()
    means = np.array([EVENT_MEANS[c] for c in brands["category"]])[brand_idx]
    return pd.DataFrame(
        {
            "brand": brands["brand"].to_numpy()[brand_idx],
            "category": brands["category"].to_numpy()[brand_idx],
            "monday": pd.to_datetime([start + dt.timedelta(weeks=int(w)) for w in range(weeks)])[week_idx],
            "week_idx": week_idx.astype(np.int64),
            "brand_idx": brand_idx.astype(np.int64),
            "n": flat.astype(np.int64),
            "row0": (np.cumsum(flat) - flat).astype(np.int64),
            "n_notes": notes.ravel(),
            "prev_notes": prev_notes.ravel(),
            "m_likes": means[:, 0],
            "m_comments": means[:, 1],
            "m_saves": means[:, 2],
            "m_shares": means[:, 3],
        }
    )


def _engagement_sql() -> str:
    """The engagement query for the weeks $first..$last; row ids are global, so files do not matter.

    A note id is ``(brand + 1) · 10¹² + publication week · 10⁹ + number within that week``.
    """
    carry = _uniform(0, row="c.row0 + r.k", seed="$seed::BIGINT")
    return f"""
SELECT
    (e.brand_idx + 1) * 1000000000000 + (e.week_idx - e.carry) * 1000000000
        + {_below(1, "(CASE WHEN e.carry = 1 THEN e.prev_notes ELSE e.n_notes END)")} AS note_id,
    e.brand,
    e.category,
    CAST(e.monday + to_seconds({_below(2, _WEEK_S)}) AS TIMESTAMP) AS ts,
    {_geometric(3, "e.m_likes")} AS likes,
    {_geometric(4, "e.m_comments")} AS comments,
    {_geometric(5, "e.m_saves")} AS saves,
    {_geometric(6, "e.m_shares")} AS shares
FROM (
    SELECT c.*, c.row0 + r.k AS row_id, $seed::BIGINT AS seed,
           CASE WHEN c.week_idx > 0 AND {carry} <= {_CARRY_OVER} THEN 1 ELSE 0 END AS carry
    FROM (SELECT * FROM cells WHERE week_idx BETWEEN $first AND $last) AS c, range(c.n) AS r(k)
) AS e
"""


def _conversion_sql() -> str:
    items = f"1 + {_geometric(11, 'e.m_extra')}"
    return f"""
SELECT
    e.brand,
    CAST(e.monday + to_seconds({_below(10, _WEEK_S)}) AS TIMESTAMP) AS ts,
    {items} AS add_to_cart,
    CASE WHEN {_uniform(12)} <= e.order_rate THEN 1 ELSE 0 END::BIGINT AS orders,
    CASE WHEN {_uniform(12)} <= e.order_rate
         THEN round(e.aov * (0.6 + 0.8 * {_uniform(13)}), 2) ELSE 0.0 END AS gmv
FROM (
    SELECT c.*, c.row0 + r.k AS row_id, $seed::BIGINT AS seed, 0.25 AS m_extra
    FROM conv_cells AS c, range(c.n) AS r(k)
) AS e
"""


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, params: dict[str, Any]) -> Path:
    """COPY a query to ``target`` through a temporary name in the same folder, then rename."""
    tmp = target.with_name(f".{target.name}.partial")
    try:
        con.execute(
            f"COPY ({query}) TO '{_sql_string(tmp)}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {_ROW_GROUP_SIZE})",
            params,
        )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _sql_string(path: Path) -> str:
    """A path as the body of a SQL string literal (COPY ... TO takes no parameter)."""
    return str(path).replace("'", "''")


def write_synthetic_events(
    folder: str | Path,
    *,
    n_events: int,
    n_brands: int = 48,
    start: str | dt.date = "2023-01-02",
    weeks: int = 104,
    seed: int = 618,
    files: int = 1,
    conversion: bool = True,
    conversion_ratio: float = 0.05,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> dict[str, list[Path]]:
    """Write synthetic engagement (and conversion) events as Parquet files under ``folder``.

    Parameters
    ----------
    folder
        Created if missing. Files are ``engagement-000.parquet`` … and ``conversion.parquet``;
        existing files of those names are replaced (each through a temporary name and a rename).
    n_events
        Number of engagement event rows in all (1 to 2 billion).
    n_brands
        Brands, dealt to the six categories in turn (:func:`synthetic_brands`).
    start, weeks
        Monday of the first week (ISO date) and the number of weeks (1–520).
    seed
        Non-negative integer; the same seed and arguments give the same rows (see the module
        docstring for how).
    files
        Engagement files to write; the weeks are split into ``files`` runs of consecutive weeks,
        one file each (so a glob such as ``engagement-*.parquet`` reads them all).
    conversion, conversion_ratio
        Also write ``conversion.parquet``, with about ``conversion_ratio × n_events`` cart
        sessions (rows) in all.
    memory_limit, threads
        DuckDB settings used while writing (it streams: the events are never all in memory).

    Returns
    -------
    dict
        ``{"engagement": [paths...], "conversion": [path]}`` (no ``"conversion"`` key when
        ``conversion=False``).

    Raises
    ------
    DataError
        An argument out of range or of the wrong type (named, with the range expected).
    """
    n_events = _check_int("n_events", n_events, 1, 2_000_000_000)
    weeks = _check_int("weeks", weeks, 1, 520)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    files = _check_int("files", files, 1, weeks)
    start_day = _check_monday(start)
    if not 0.0 < float(conversion_ratio) <= 10.0:
        raise DataError(f"conversion_ratio must be in (0, 10]; got {conversion_ratio!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(seed)
    brands = synthetic_brands(n_brands)
    cells = _engagement_cells(rng, brands, weeks, n_events, start_day)

    spill = Path(tempfile.mkdtemp(prefix="reportkit-synth-"))
    config: dict[str, Any] = {"memory_limit": str(memory_limit), "temp_directory": str(spill)}
    if threads is not None:
        config["threads"] = _check_int("threads", threads, 1, 1024)
    try:
        con = duckdb.connect(config=config)
    except duckdb.Error as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise DataError(f"cannot start DuckDB with memory_limit={memory_limit!r}: {exc}") from exc
    con.execute("SET enable_progress_bar = false")
    try:
        con.register("cells_df", _blocks(cells))
        con.execute("CREATE TABLE cells AS SELECT * FROM cells_df")
        bounds = np.linspace(0, weeks, files + 1).round().astype(int)
        engagement = []
        sql = _engagement_sql()
        for j in range(files):
            target = folder / f"engagement-{j:03d}.parquet"
            params = {"seed": seed, "first": int(bounds[j]), "last": int(bounds[j + 1]) - 1}
            engagement.append(_copy(con, sql, target, params))
        written: dict[str, list[Path]] = {"engagement": engagement}
        if conversion:
            conv_cells = _conversion_cells(con, rng, cells, engagement, start_day, n_events * float(conversion_ratio))
            con.register("conv_df", _blocks(conv_cells))
            con.execute("CREATE TABLE conv_cells AS SELECT * FROM conv_df")
            written["conversion"] = [_copy(con, _conversion_sql(), folder / "conversion.parquet", {"seed": seed})]
        return written
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _conversion_cells(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    cells: pd.DataFrame,
    engagement: list[Path],
    start: dt.date,
    target: float,
) -> pd.DataFrame:
    """Cart sessions per brand-week from the realised (written) engagement, current and lagged."""
    realised = con.execute(
        "SELECT brand, date_diff('day', $start, ts::DATE) // 7 AS week_idx, "
        "sum(likes + comments + saves) AS engagement FROM read_parquet($files) GROUP BY ALL",
        {"start": start, "files": [str(p) for p in engagement]},
    ).df()
    frame = cells.merge(realised, on=["brand", "week_idx"], how="left")  # keeps the brand-major order
    eng = frame["engagement"].fillna(0).to_numpy(dtype=float).reshape(-1, cells["week_idx"].max() + 1)
    n_b, weeks = eng.shape
    log_e = np.log(np.maximum(eng, 1.0))
    log_lag = np.concatenate([log_e[:, :1], log_e[:, :-1]], axis=1)
    b0, b1 = CART_ELASTICITIES
    lin = (
        rng.normal(0.0, 0.3, n_b)[:, None]
        + rng.normal(0.0, 0.1, weeks)[None, :]
        + b0 * log_e
        + b1 * log_lag
        + rng.normal(0.0, 0.2, (n_b, weeks))
    )
    mu = np.exp(lin - lin.max())
    mu *= target / mu.sum()
    sessions = rng.poisson(mu).ravel().astype(np.int64)
    rates = np.array([EVENT_MEANS[c][4:] for c in cells["category"]])
    return pd.DataFrame(
        {
            "brand": cells["brand"],
            "monday": cells["monday"],
            "n": sessions,
            "row0": np.cumsum(sessions) - sessions,
            "order_rate": rates[:, 0],
            "aov": rates[:, 1],
        }
    )
