from __future__ import annotations

import pytest

from reportkit.errors import ParameterError, ReportKitError
from reportkit.params import read_parameters, validate_parameters


def test_reads_typed_parameters_with_defaults_and_help(fixture_notebook):
    declared = read_parameters(fixture_notebook("records"))
    assert declared.names() == ("n", "scale", "label", "flag", "items", "lang")
    n = declared.get("n")
    assert (n.type_name, n.default, n.help) == ("int", 3, "how many")
    assert declared.get("items").default == ["a", "b"]
    assert declared.get("label").default == "销量"


def test_unknown_parameter_is_refused_with_allowed_names(fixture_notebook):
    declared = read_parameters(fixture_notebook("records"))
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"bogus": 1}, source="the command line")
    msg = str(info.value)
    assert "'bogus'" in msg and "the command line" in msg
    assert "n (int)" in msg and "items (list[str])" in msg


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"n": "5"}, {"n": 5}),
        ({"scale": "2"}, {"scale": 2.0}),
        ({"flag": "true"}, {"flag": True}),
        ({"items": "[x, y]"}, {"items": ["x", "y"]}),
        ({"label": "123"}, {"label": "123"}),  # a str parameter keeps the text as typed
    ],
)
def test_cli_values_are_coerced_by_declared_type(fixture_notebook, values, expected):
    declared = read_parameters(fixture_notebook("records"))
    assert validate_parameters(declared, values, from_cli=True) == expected


@pytest.mark.parametrize("values", [{"n": "three"}, {"n": "2.5"}, {"flag": "maybe"}, {"items": "5"}])
def test_mistyped_cli_values_are_refused(fixture_notebook, values):
    declared = read_parameters(fixture_notebook("records"))
    with pytest.raises(ParameterError, match="expected"):
        validate_parameters(declared, values, from_cli=True)


def test_spec_values_are_strict(fixture_notebook):
    declared = read_parameters(fixture_notebook("records"))
    with pytest.raises(ParameterError, match="'n'.*expected int"):
        validate_parameters(declared, {"n": "5"})
    assert validate_parameters(declared, {"scale": 2}) == {"scale": 2.0}


def test_missing_parameters_cell(fixture_notebook):
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        read_parameters(fixture_notebook("no_parameters"))


def test_untyped_parameter_is_an_error(fixture_notebook):
    with pytest.raises(ParameterError, match="without a type annotation"):
        read_parameters(fixture_notebook("untyped_parameters"))


def test_missing_notebook_is_a_reportkit_error(tmp_path):
    with pytest.raises(ReportKitError, match="no such notebook"):
        read_parameters(tmp_path / "nope.ipynb")


def test_a_column_mapping_parameter_is_a_dict_of_strings(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('columns: dict[str, str] = {"品牌": "brand"}  # your column → role')
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = tmp_path / "m.ipynb"
    nbformat.write(nb, path)
    declared = read_parameters(path)
    assert declared.get("columns").type_name == "dict[str,str]"
    assert declared.get("columns").default == {"品牌": "brand"}
    assert validate_parameters(declared, {"columns": "{周: week, 加购: add_to_cart}"}, from_cli=True) == {
        "columns": {"周": "week", "加购": "add_to_cart"}}
    with pytest.raises(ParameterError, match="'columns'.*expected dict\\[str,str\\]"):
        validate_parameters(declared, {"columns": {"周": 3}})
