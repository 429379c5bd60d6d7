"""Seeded bug: a REJECTED_DUPLICATE_MESSAGE_ID status is taken for success ("it was sent already"), so a
retry under a reused messageId is reported as a new message sent, with the id of a refused one."""

from typing import Any

import test_shortlink_contract as reference
from shortlink_client import SendResult, ShortlinkClient

CAUGHT_BY = "test_a_reused_client_message_id_is_not_a_new_message"
SYMPTOM = "the provider refused the reused id *, and the client reports the second send as sent"


class DuplicateTakenForSent(ShortlinkClient):
    def _read(self, answer: dict[str, Any]) -> SendResult:
        for entry in answer.get("messages", []):
            if entry["status"]["name"] == "REJECTED_DUPLICATE_MESSAGE_ID":
                entry["status"]["groupName"] = "PENDING"  # the bug: a duplicate counts as sent
        return super()._read(answer)


class TestSeededBug(reference.TestShortlinkClient):
    client_class = DuplicateTakenForSent
