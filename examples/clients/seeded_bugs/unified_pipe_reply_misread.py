"""Seeded bug: the `code|destination|id` reply is read by its first line only, whose code is taken for
every destination, so a destination refused on a later line passes for sent (and one refused on the first
line fails the others with it)."""

import test_unified_contract as reference
from unified_client import SUCCESS, DestinationResult, SendResult, UnifiedClient

CAUGHT_BY = "test_a_rejected_destination_is_not_reported_as_sent"
SYMPTOM = (
    "inside its 200 reply, and the client reports it sent",  # a later line refused
    "*in the same reply as it rejected *, and the client reports them not accepted",  # the first line
)


class ReadsFirstLine(UnifiedClient):
    def _parse(self, body: str, destinations: list[str]) -> SendResult:
        code = body.split("|", 1)[0]  # the bug: one line read for all
        ok = code == str(SUCCESS)
        result = DestinationResult(ok, int(code) if code.isdigit() else None, None)
        return SendResult(ok, dict.fromkeys(destinations, result))


class TestSeededBug(reference.TestUnifiedClient):
    client_class = ReadsFirstLine
