"""Seeded bug: a reply with any refused destination is taken as a failed request, so the destinations
the provider accepted in the same reply (and will deliver) are reported failed too, and retried by hand."""

import test_unified_contract as reference
from unified_client import DestinationResult, SendResult, UnifiedClient

CAUGHT_BY = "test_a_rejected_destination_is_not_reported_as_sent"
SYMPTOM = "*in the same reply as it rejected *, and the client reports them not accepted"


class OneRefusalFailsAll(UnifiedClient):
    def _parse(self, body: str, destinations: list[str]) -> SendResult:
        result = super()._parse(body, destinations)
        if result.ok:
            return result
        # the bug: one refused line fails every destination of the request
        failed = {to: DestinationResult(False, entry.code, None) for to, entry in result.results.items()}
        return SendResult(False, failed)


class TestSeededBug(reference.TestUnifiedClient):
    client_class = OneRefusalFailsAll
