"""Seeded bug: a GSM extension character (€ [ ] { } ~ ^ | \\ and form feed) is counted as one septet, though
it is sent as escape + code: two septets, never split across parts."""

import test_unified_contract as reference
import unified_client
from unified_client import UnifiedClient

CAUGHT_BY = "test_the_client_counts_parts_as_the_provider_does"
SYMPTOM = "the client counts * part(s), the provider *"


class CountsCharacters(UnifiedClient):
    @staticmethod
    def parts(text: str, *, flash: bool = False) -> int:
        if not unified_client.is_gsm(text):
            return unified_client.parts(text, flash=flash)
        single, per_part = (140, 134) if flash else (160, 153)
        return 1 if len(text) <= single else -(-len(text) // per_part)  # the bug: € is one septet here


class TestSeededBug(reference.TestUnifiedClient):
    client_class = CountsCharacters
