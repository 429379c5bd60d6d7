"""Seeded bug: an emoji is counted as one UTF-16 unit (len() counts code points), so a Unicode text with
astral characters is counted short of its parts."""

import test_unified_contract as reference
import unified_client
from unified_client import UnifiedClient

CAUGHT_BY = "test_the_client_counts_parts_as_the_provider_does"
SYMPTOM = "the client counts * part(s), the provider *"


class CountsCodePoints(UnifiedClient):
    @staticmethod
    def parts(text: str, *, flash: bool = False) -> int:
        if unified_client.is_gsm(text):
            return unified_client.parts(text, flash=flash)
        return 1 if len(text) <= 70 else -(-len(text) // 67)  # the bug: an emoji is two units, not one


class TestSeededBug(reference.TestUnifiedClient):
    client_class = CountsCodePoints
