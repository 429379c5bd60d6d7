"""Seeded bug: any 200 reply counts as sent, whatever status each destination got inside it (a REJECTED
status group is a refusal)."""

import test_shortlink_contract as reference
from shortlink_client import ShortlinkClient

CAUGHT_BY = "test_a_rejected_destination_is_not_reported_as_sent"
SYMPTOM = "inside its 200 reply, and the client reports it sent"


class EveryStatusTaken(ShortlinkClient):
    def _taken(self, group: str) -> bool:
        return True  # the bug: the status group is never looked at


class TestSeededBug(reference.TestShortlinkClient):
    client_class = EveryStatusTaken
