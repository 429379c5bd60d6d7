"""Seeded bug: 1715 (a timeout on the provider's side) is retried, though the message may already be on
its way: the document says never to resubmit after it."""

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_each_documented_error_in_turn"
SYMPTOM = "after 1715*requests; the document allows 1"


class Retries1715(UnifiedClient):
    def _retryable(self, body: str) -> bool:
        return body.split("|", 1)[0] in ("1709", "1715")  # the bug: 1715 taken for a transient error


class TestSeededBug(reference.TestUnifiedClient):
    client_class = Retries1715
