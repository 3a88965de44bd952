"""Automated generation: one build per row of a matrix (a CSV of clients, brands or categories).

spec + matrix → :func:`plan_batch` (:mod:`.matrix`: validate, share invariant runs, key every run
and row) → :func:`run_batch` (:mod:`.run`: execute what is not cached and build what is not
current, on an executor of :mod:`.executors`, with the tasks of :mod:`.tasks`) → the batch folder:
one folder per row, ``_runs/`` (executed notebooks and a log per run), ``events.jsonl`` and the
index of :mod:`.index`.
"""

from ..startup import skip_slow_optional_imports

skip_slow_optional_imports()  # batch workers start faster (see reportkit.startup)

from .executors import DaskExecutor, LocalExecutor, make_executor  # noqa: E402
from .matrix import ID_COLUMN, BatchPlan, BatchRow, plan_batch, read_matrix  # noqa: E402
from .run import RUNS_FOLDER, BatchEvent, BatchResult, RowResult, RunOutcome, run_batch  # noqa: E402

__all__ = [
    "ID_COLUMN", "RUNS_FOLDER", "BatchEvent", "BatchPlan", "BatchResult", "BatchRow", "DaskExecutor",
    "LocalExecutor", "RowResult", "RunOutcome", "make_executor", "plan_batch", "read_matrix", "run_batch",
]
