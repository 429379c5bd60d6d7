"""Seeded bug: the reply's `bulkId` is assumed present, but the document gives one only for several
destinations (or when the client sent its own), so a single-destination send blows up after it went out."""

import dataclasses
from typing import Any

import test_qikli_contract as reference
from qikli_client import QikliClient, SendResult

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = "the client reported a failed send that the provider accepted"


class BulkIdAssumed(QikliClient):
    def _read(self, reply: dict[str, Any], destinations: list[str]) -> SendResult:
        result = super()._read(reply, destinations)
        return dataclasses.replace(result, bulk_id=str(reply["bulkId"]))  # the bug: KeyError for one


class TestSeededBug(reference.TestQikliClient):
    client_class = BulkIdAssumed
