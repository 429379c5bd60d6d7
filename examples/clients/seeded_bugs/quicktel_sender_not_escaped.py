"""Seeded bug: the text is escaped, but the source_number attribute is written between quotes as it is, so
a sender such as `AT&T`, `<Shop>` or `Joe"s` makes the whole request malformed XML."""

from xml.sax.saxutils import quoteattr

import test_quicktel_contract as reference
from quicktel_client import QuicktelClient, Sms

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = ("the requests break the contract", "the sender arrived as *")


class SenderUnescaped(QuicktelClient):
    def _sms_element(self, sms: Sms) -> str:
        element = super()._sms_element(sms)
        # the bug: only the text was ever thought to need escaping
        return element.replace(f"source_number={quoteattr(sms.source)}", f'source_number="{sms.source}"')


class TestSeededBug(reference.TestQuicktelClient):
    client_class = SenderUnescaped
