"""Seeded bug: Unicode text is declared as type 2 but sent as it is, not as hex UCS-2 (four hex digits per
UTF-16 unit) as the document requires."""

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = "the requests break the contract"


class UnicodeNotHex(UnifiedClient):
    def _params(self, sender: str, destinations: list[str], text: str, flash: bool) -> dict[str, str]:
        params = super()._params(sender, destinations, text, flash)
        params["message"] = text  # the bug: the right type, but the text itself instead of its hex
        return params


class TestSeededBug(reference.TestUnifiedClient):
    client_class = UnicodeNotHex
