"""Seeded bug: every text goes as type 0 (plain GSM text), Unicode included, so characters GSM cannot carry
reach the provider under a type that says they are not there."""

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = "the requests break the contract"


class AlwaysType0(UnifiedClient):
    def _params(self, sender: str, destinations: list[str], text: str, flash: bool) -> dict[str, str]:
        params = super()._params(sender, destinations, text, flash)
        params.update(type="0", message=text)  # the bug: no type 2, no hex
        return params


class TestSeededBug(reference.TestUnifiedClient):
    client_class = AlwaysType0
