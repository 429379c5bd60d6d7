"""The code tables: row counts as the documents print them, and schemas that agree with them."""

from __future__ import annotations

import json

import pytest

from smsmock.contracts import code_tables
from smsmock.resources import schemas_dir

ROW_COUNTS = {
    ("shortlink", "status_groups"): 6,
    ("shortlink", "statuses"): 25,
    ("shortlink", "error_groups"): 4,
    ("shortlink", "gsm_errors"): 84,
    ("qikli", "status_groups"): 6,
    ("unified", "error_codes"): 21,
    ("unified", "message_types"): 8,
    ("unified", "dlr_values"): 2,
    ("quicktel", "delivery_statuses"): 5,
    ("quicktel", "xml_escapes"): 5,
    ("sendsms", "numeric_codes"): 5,
    ("sendsms", "queue_status"): 3,
    ("sendsms", "dlr_status"): 3,
}


@pytest.mark.parametrize(
    ("key", "count"), ROW_COUNTS.items(), ids=lambda v: "/".join(v) if isinstance(v, tuple) else str(v)
)
def test_row_counts(key, count):
    dialect, table = key
    assert len(code_tables(dialect)[table].rows) == count
    assert not code_tables(dialect)[table].own


def rows(dialect, table):
    return code_tables(dialect)[table].rows


def test_shortlink_statuses_and_groups():
    groups = {row["group_id"]: row["group_name"] for row in rows("shortlink", "status_groups")}
    assert groups == {
        0: "ACCEPTED",
        1: "PENDING",
        2: "UNDELIVERABLE",
        3: "DELIVERED",
        4: "EXPIRED",
        5: "REJECTED",
    }
    statuses = {row["id"]: row for row in rows("shortlink", "statuses")}
    assert sorted(statuses) == list(range(1, 26))
    assert statuses[7]["name"] == "PENDING_ENROUTE" and statuses[7]["group_id"] == 1
    assert all(row["group_id"] in groups for row in statuses.values())
    accepted = [
        row for row in rows("shortlink", "example_only_statuses") if row["name"] == "MESSAGE_ACCEPTED"
    ]
    assert accepted[0]["id"] == 0 and accepted[0]["group_id"] == 0


def test_shortlink_gsm_error_permanence():
    errors = {row["id"]: row for row in rows("shortlink", "gsm_errors")}
    assert errors[0] == {**errors[0], "name": "NO_ERROR", "permanent": None}
    assert errors[1]["permanent"] is True and errors[6]["permanent"] is False
    assert sum(row["permanent"] is True for row in errors.values()) == 15
    assert errors[4102]["name"] == "EC_NotSubmittedToSmppChannel"


def test_unified_retry_rules():
    codes = {row["code"]: row for row in rows("unified", "error_codes")}
    assert [code for code, row in codes.items() if row["retry_allowed"]] == [1709]
    assert [code for code, row in codes.items() if row["never_resubmit"]] == [1715]
    assert [code for code, row in codes.items() if row["success"]] == [1701]
    types = {row["type"]: row for row in rows("unified", "message_types")}
    assert types[3]["reserved"] and not any(row["reserved"] for key, row in types.items() if key != 3)


def test_quicktel_tables():
    assert [row["status"] for row in rows("quicktel", "delivery_statuses")] == [-1004, -1, 1, 2, 4]
    escapes = {row["character"]: row["replacement"] for row in rows("quicktel", "xml_escapes_own")}
    assert escapes == {"<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "&": "&amp;"}
    own = code_tables("quicktel")["request_errors_own"]
    assert own.own
    codes = [row["res"] for row in own.rows]
    assert len(codes) == len(set(codes)) and not {-1004, -1} & set(codes)


def test_sendsms_numeric_codes_keep_the_documents_spelling():
    codes = {row["code"]: row["description"] for row in rows("sendsms", "numeric_codes")}
    assert set(codes) == {200, 400, 405, 406, 407}
    assert "paramter" in codes[400] and codes[407] == "Inavlid API Key"


def test_qikli_borrows_the_family_tables():
    assert rows("qikli", "statuses_own") == rows("shortlink", "statuses")
    assert rows("qikli", "gsm_errors_own") == rows("shortlink", "gsm_errors")
    assert code_tables("qikli")["statuses_own"].own


def _defs(dialect):
    return json.loads((schemas_dir() / dialect / "common.schema.json").read_text(encoding="utf-8"))["$defs"]


def test_shortlink_schema_enums_agree_with_the_tables():
    defs = _defs("shortlink")
    names = {row["name"] for row in rows("shortlink", "statuses")} | {"MESSAGE_ACCEPTED"}
    assert set(defs["StatusName"]["enum"]) == names
    assert set(defs["StatusId"]["enum"]) == set(range(26))
    assert set(defs["ErrorName"]["enum"]) == {row["name"] for row in rows("shortlink", "gsm_errors")}
    assert set(defs["ErrorId"]["enum"]) == {row["id"] for row in rows("shortlink", "gsm_errors")}
    assert set(defs["StatusGroupName"]["enum"]) == {
        row["group_name"] for row in rows("shortlink", "status_groups")
    }
