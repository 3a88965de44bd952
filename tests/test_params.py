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


def test_a_notebook_without_parameters_cell_declares_nothing(fixture_notebook):
    """papermill runs such a notebook (and injects values at the top); so do we."""
    declared = read_parameters(fixture_notebook("no_parameters"))
    assert declared.names() == () and not declared.has_cell
    assert validate_parameters(declared, {}, from_cli=True) == {}


def test_an_unannotated_parameter_gets_its_type_from_the_default(fixture_notebook):
    declared = read_parameters(fixture_notebook("untyped_parameters"))
    x = declared.get("x")
    assert (x.type_name, x.default, x.help, x.inferred) == ("int", 1, "no annotation", True)


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
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"columns": {"周": 3}})
    assert "columns['周'] = 3 (int); expected str in dict[str,str]" in str(info.value)


# --------------------------------------------------------------------------- element-level type errors


def _notebook(tmp_path, source: str, name: str = "nb.ipynb"):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_a_list_element_of_the_wrong_type_is_named_with_its_index(fixture_notebook):
    declared = read_parameters(fixture_notebook("records"))
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"items": "[1, 2]"}, source="the command line", from_cli=True)
    msg = str(info.value)
    assert "items[0] = 1 (int); expected str in list[str]" in msg
    assert "the command line" in msg and "[1, 2]" in msg
    assert info.value.name == "items"


def test_a_later_list_element_is_named_too(fixture_notebook):
    declared = read_parameters(fixture_notebook("records"))
    with pytest.raises(ParameterError, match=r"items\[2\] = 3 \(int\); expected str in list\[str\]"):
        validate_parameters(declared, {"items": ["a", "b", 3]})


def test_dict_keys_and_values_of_the_wrong_type_are_named(tmp_path):
    declared = read_parameters(_notebook(tmp_path, 'columns: dict[str, str] = {"品牌": "brand"}'))
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"columns": "{周: 7}"}, source="the command line", from_cli=True)
    assert "columns['周'] = 7 (int); expected str in dict[str,str]" in str(info.value)
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"columns": {3: "week"}}, source="the spec")
    assert "columns has key 3 (int); expected str keys in dict[str,str]" in str(info.value)


def test_nested_types_name_the_innermost_bad_element(tmp_path):
    declared = read_parameters(_notebook(tmp_path, 'groups: dict[str, list[int]] = {"a": [1, 2]}  # ids per group'))
    assert declared.get("groups").type_name == "dict[str,list[int]]"
    assert validate_parameters(declared, {"groups": "{a: [1], b: []}"}, from_cli=True) == {"groups": {"a": [1], "b": []}}
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"groups": {"a": [1, "x"]}})
    assert "groups['a'][1] = 'x' (str); expected int in dict[str,list[int]]" in str(info.value)
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"groups": {"a": 5}})
    assert "groups['a'] = 5 (int); expected list[int] in dict[str,list[int]]" in str(info.value)


def test_list_of_floats_accepts_ints_element_by_element(fixture_notebook, tmp_path):
    declared = read_parameters(_notebook(tmp_path, "weights: list[float] = [0.5, 1]"))
    assert declared.get("weights").default == [0.5, 1.0]
    assert validate_parameters(declared, {"weights": "[1, 2.5]"}, from_cli=True) == {"weights": [1.0, 2.5]}
    with pytest.raises(ParameterError, match=r"weights\[1\] = True \(bool\); expected float in list\[float\]"):
        validate_parameters(declared, {"weights": [1.0, True]})


def test_an_annotation_outside_the_closed_set_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="'when' has type 'date'; expected one of"):
        read_parameters(_notebook(tmp_path, 'when: date = "2024-01-01"'))
    with pytest.raises(ParameterError, match="'m' has type 'dict\\[int,str\\]'"):
        read_parameters(_notebook(tmp_path, 'm: dict[int, str] = {}', name="m.ipynb"))


# --------------------------------------------------------------------------- papermill-style parameters cells


def test_types_are_inferred_from_plain_defaults(fixture_notebook, tmp_path, caplog):
    import shutil

    path = tmp_path / "untyped_defaults.ipynb"  # a fresh path: the note is logged once per notebook
    shutil.copy(fixture_notebook("untyped_defaults"), path)
    with caplog.at_level("WARNING", logger="reportkit.params"):
        declared = read_parameters(path)
    types = {p.name: p.type_name for p in declared.parameters}
    assert types == {"alpha": "float", "n": "int", "name": "str", "flag": "bool",
                     "items": "list", "options": "dict", "extra": "any"}
    assert all(p.inferred for p in declared.parameters)
    assert declared.get("alpha").help == "learning rate" and declared.get("extra").default is None
    note = caplog.text
    assert "no type annotations" in note and "alpha: float" in note and "stricter" in note and str(path) in note
    # once per notebook, not once per read (a batch reads each notebook once per row)
    caplog.clear()
    with caplog.at_level("WARNING", logger="reportkit.params"):
        read_parameters(path)
    assert "no type annotations" not in caplog.text


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"alpha": "0.3"}, {"alpha": 0.3}),
        ({"alpha": "1"}, {"alpha": 1.0}),
        ({"n": "4"}, {"n": 4}),
        ({"name": "123"}, {"name": "123"}),
        ({"flag": "false"}, {"flag": False}),
        ({"items": "[x, 2]"}, {"items": ["x", 2]}),
        ({"options": "{a: [1, 2]}"}, {"options": {"a": [1, 2]}}),
        ({"extra": "[1, 2]"}, {"extra": [1, 2]}),
        ({"extra": "hello"}, {"extra": "hello"}),
        ({"extra": "2024-01-31"}, {"extra": "2024-01-31"}),  # a date stays text: papermill injects plain values
    ],
)
def test_cli_values_for_inferred_types(fixture_notebook, values, expected):
    declared = read_parameters(fixture_notebook("untyped_defaults"))
    assert validate_parameters(declared, values, from_cli=True) == expected


def test_a_mistyped_value_for_an_inferred_type_says_how_to_declare_another(fixture_notebook):
    declared = read_parameters(fixture_notebook("untyped_defaults"))
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"n": "2.5"}, source="the command line", from_cli=True)
    msg = str(info.value)
    assert "'n' from the command line is 2.5 (float); expected int" in msg
    assert "inferred from its default `n = 3`" in msg and "`n: float = …`" in msg


def test_unknown_names_are_still_refused_for_an_unannotated_cell(fixture_notebook):
    declared = read_parameters(fixture_notebook("papermill_parameters"))
    with pytest.raises(ParameterError) as info:
        validate_parameters(declared, {"alhpa": "0.3"}, source="the command line", from_cli=True)
    msg = str(info.value)
    assert "unknown parameter 'alhpa' from the command line" in msg
    assert "alpha (float)" in msg and "ratio (float)" in msg


def test_annotated_and_plain_assignments_mix(tmp_path):
    declared = read_parameters(_notebook(tmp_path, 'n: int = 2  # typed\nratio = 0.1  # plain'))
    assert [(p.name, p.type_name, p.inferred) for p in declared.parameters] == [
        ("n", "int", False), ("ratio", "float", True)]


@pytest.mark.parametrize(
    "source, match",
    [
        ("import datetime\nstart = datetime.date(2024, 1, 1)", "line 1 of the parameters cell is not a parameter assignment"),
        ("start = datetime.date(2024, 1, 1)", "'start' has a default that is not a literal \\(datetime.date\\(2024, 1, 1\\)\\)"),
        ("a, b = 1, 2", "line 1 of the parameters cell assigns 'a, b'"),
        ("a = b = 1", "line 1 of the parameters cell assigns 'a' and 'b' at once"),
        ("x: int", "line 1 of the parameters cell declares 'x' without a default"),
        ("x = 1\nx = 2", "line 2 of the parameters cell assigns 'x' again \\(first on line 1\\)"),
    ],
)
def test_parameters_cells_that_cannot_be_checked_are_refused(tmp_path, source, match):
    with pytest.raises(ParameterError, match=match):
        read_parameters(_notebook(tmp_path, source))


def test_no_parameters_cell_values_are_injected_unchecked_with_a_warning(fixture_notebook, caplog):
    declared = read_parameters(fixture_notebook("papermill_no_parameters"))
    with caplog.at_level("WARNING", logger="reportkit.params"):
        values = validate_parameters(declared, {"alpha": "0.3", "tags": "[a, b]"}, source="the command line",
                                     from_cli=True)
    assert values == {"alpha": 0.3, "tags": ["a", "b"]}
    assert "no cell tagged 'parameters'" in caplog.text and "top of the notebook" in caplog.text
    assert "alpha, tags" in caplog.text


def test_no_parameters_cell_still_refuses_names_that_cannot_be_assigned(fixture_notebook):
    declared = read_parameters(fixture_notebook("papermill_no_parameters"))
    for bad in ("my alpha", "class", "1x"):
        with pytest.raises(ParameterError, match=f"{bad!r} from the command line is not a Python name"):
            validate_parameters(declared, {bad: "1"}, source="the command line", from_cli=True)
