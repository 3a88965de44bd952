"""One exception family: every error pickles with its message and fields; one validator of closed choices."""
from __future__ import annotations

import pickle

import pytest

from reportkit import errors
from reportkit.choices import check_choice
from reportkit.errors import AnalysisError, DataError, NotebookError, ParameterError, ReportKitError, SpecError


@pytest.mark.parametrize("err", [
    SpecError("sections: expected a list", path="reports/x.yaml", line=7),
    ParameterError("n_lags is 'a' (str); expected int", notebook="notebooks/x.ipynb", name="n_lags"),
    DataError("column 'week' is missing", path="data/x.csv", column="week", rows=[3, 4], expected="a date"),
    NotebookError(notebook="notebooks/x.ipynb", cell=3, ename="ValueError", evalue="bad [/x]",
                  saved="build/x.failed.ipynb", source="load()"),
    AnalysisError("vcov: expected one of 'iid', 'hc1'; got 'x'"),
    errors.RecordError("x"), errors.RenderError("y"), errors.PublishError("z"),
], ids=lambda e: type(e).__name__)
def test_every_error_pickles_with_its_message_and_fields(err):
    """Errors travel back from worker processes pickled; keyword-only fields used to be lost or to break it."""
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.args == err.args
    assert back.__dict__ == err.__dict__


def test_every_error_class_of_the_family_is_covered_by_the_base_reduce():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, ReportKitError)]
    assert all("__reduce__" not in vars(c) or c is ReportKitError for c in classes)


def test_one_choice_validator_names_the_option_the_choices_and_the_value():
    assert check_choice("freq", "M", ("A", "Q", "M")) == "M"
    with pytest.raises(AnalysisError, match=r"^freq: expected one of 'A', 'Q', 'M'; got 'W'$"):
        check_choice("freq", "W", ("A", "Q", "M"))
    with pytest.raises(DataError, match=r"on_unsorted: expected one of \['sort', 'error'\]; got 3") as info:
        check_choice("on_unsorted", 3, ("sort", "error"), as_list=True, error=DataError)
    assert info.value.expected == "one of ['sort', 'error']"


def test_the_data_and_analysis_layers_use_the_one_validator():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "reportkit"
    defined = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
               if "def _check_choice(" in p.read_text(encoding="utf-8")]
    assert defined == []
