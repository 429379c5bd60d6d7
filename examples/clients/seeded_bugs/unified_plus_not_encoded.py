"""Seeded bug: `+` is left as it is in the query string (safe="+", kept for "+41..." numbers), so the server
reads every `+` of the text as a space."""

from urllib.parse import quote, urlencode

import test_unified_contract as reference
from unified_client import UnifiedClient

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
# A `+` among other characters breaks the contract's text; a text of `+` alone arrives as a space.
SYMPTOM = ("the requests break the contract", "the text arrived as")


class PlusKept(UnifiedClient):
    def _url(self, params: dict[str, str]) -> str:
        return f"{self.base_url}/bulksms?{urlencode(params, quote_via=quote, safe='+')}"  # the bug


class TestSeededBug(reference.TestUnifiedClient):
    client_class = PlusKept
