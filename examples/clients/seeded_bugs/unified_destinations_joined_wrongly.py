"""Seeded bug: the destinations are joined with ";" instead of the "," the document asks for."""

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = "the requests break the contract"


class JoinsWithSemicolons(UnifiedClient):
    def _params(self, sender: str, destinations: list[str], text: str, flash: bool) -> dict[str, str]:
        params = super()._params(sender, destinations, text, flash)
        params["destination"] = ";".join(destinations)  # the bug
        return params


class TestSeededBug(reference.TestUnifiedClient):
    client_class = JoinsWithSemicolons
