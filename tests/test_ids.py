"""Folder ids (reportkit.ids): the one rule for batch row ids and client ids, used by both."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.errors import PublishError, ReportKitError, SpecError
from reportkit.ids import MAX_LENGTH, RULE, case_key, check_folder_id, is_device_name
from reportkit.publish import check_client_id

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "reports" / "china-ecommerce-2024.yaml"

DEVICE_NAMES = ["CON", "con", "Con", "nul", "NUL", "PRN", "aux", "COM1", "com9", "LPT1", "lpt9", "COM0",
                "aux.txt", "NUL.tar.gz", "con.html", "COM¹", "ＣＯＮ"]
FINE = ["acme", "client-a", "母婴品牌-01", "console", "com10", "lpt", "nul-brand", "auxiliary", "con_x", "acme.cn",
        "a" * MAX_LENGTH, "2024", "品牌"]
BAD = ["", "a b", "../x", "x" * (MAX_LENGTH + 1), "acme.", "_x", "-x", ".x", "a/b"]


@pytest.mark.parametrize("name", DEVICE_NAMES)
def test_device_names_are_refused_with_any_case_and_extension(name):
    assert is_device_name(name)
    with pytest.raises(ReportKitError) as exc:
        check_folder_id(name, what="id", source="the test")
    msg = str(exc.value)
    assert repr(name) in msg and "the test" in msg and "device name" in msg and RULE in msg


@pytest.mark.parametrize("name", FINE)
def test_ordinary_names_pass(name):
    assert not is_device_name(name)
    assert check_folder_id(name, what="id", source="the test") == name


@pytest.mark.parametrize("name", BAD)
def test_other_bad_names_say_the_rule(name):
    with pytest.raises(ReportKitError) as exc:
        check_folder_id(name, what="id", source="the test")
    assert repr(name) in str(exc.value) and RULE in str(exc.value)


def test_the_error_type_is_the_callers():
    with pytest.raises(PublishError):
        check_folder_id("CON", what="client id", source="--client", error=PublishError)


def test_case_key_folds_case_and_width():
    assert case_key("ACME") == case_key("acme") == case_key("Ａｃｍｅ")
    assert case_key("acme") != case_key("acme-2")


@pytest.mark.parametrize("name", ["CON", "nul", "aux.txt", "_x", "acme.", "x" * (MAX_LENGTH + 1), "a b"])
def test_batch_row_ids_and_client_ids_follow_the_same_rule(name):
    """A row id becomes a client id when the batch is published: what one refuses, the other refuses,
    with the same words, before anything runs."""
    from reportkit.batch import plan_batch

    with pytest.raises(PublishError) as client_err:
        check_client_id(name)
    with pytest.raises(SpecError) as row_err:
        plan_batch(SPEC, [{"id": name, "category": "母婴"}])
    assert RULE in str(client_err.value) and RULE in str(row_err.value)


def test_the_longest_id_is_accepted_by_both():
    from reportkit.batch import plan_batch

    name = "b" * MAX_LENGTH
    assert check_client_id(name) == name
    assert plan_batch(SPEC, [{"id": name, "category": "母婴"}]).rows[0].id == name
