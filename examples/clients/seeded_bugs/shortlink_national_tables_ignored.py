"""Seeded bug: the client counts parts itself (to price a send before the reply) with the default GSM
alphabet only, though it asked for a national language: a Turkish `ş` makes it count the text as Unicode,
which the provider packs in GSM 7-bit with the Turkish shift table."""

import dataclasses

import test_shortlink_contract as reference
from shortlink_client import Language, SendResult, ShortlinkClient
from unified_client import parts as default_alphabet_parts

CAUGHT_BY = "test_national_language_texts_are_counted_with_their_tables"
SYMPTOM = "the client counts * part(s), the provider *"


class CountsWithoutShiftTables(ShortlinkClient):
    def send(
        self,
        sender: str,
        destinations: list[str],
        text: str,
        *,
        language: Language | None = None,
        message_ids: dict[str, str] | None = None,
    ) -> SendResult:
        result = super().send(sender, destinations, text, language=language, message_ids=message_ids)
        count = default_alphabet_parts(text)  # the bug: the language's tables are left out of the count
        result.results = {
            to: dataclasses.replace(entry, sms_count=count) for to, entry in result.results.items()
        }
        return result


class TestSeededBug(reference.TestShortlinkClient):
    client_class = CountsWithoutShiftTables
