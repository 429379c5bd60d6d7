"""Seeded bug: every error code is retried, not just 1709 (the document: "Apart from error code 1709,
please do NOT retry")."""

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_every_documented_error_is_a_failure_and_retried_only_where_allowed"
SYMPTOM = "requests; the document allows"


class RetriesEveryError(UnifiedClient):
    def _retryable(self, body: str) -> bool:
        return body.isdigit()  # the bug: any bare code is retried


class TestSeededBug(reference.TestUnifiedClient):
    client_class = RetriesEveryError
