"""Seeded bug: the text goes into the <sms> element unescaped, so a `&` or `<` in it makes the whole
request malformed XML, and a CR arrives as LF (XML parsers normalise line ends; `&#13;` keeps one)."""

import test_quicktel_contract as reference
from quicktel_client import QuicktelClient, Sms

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = ("the requests break the contract", "the text arrived as *")


class TextUnescaped(QuicktelClient):
    def _sms_element(self, sms: Sms) -> str:
        element = super()._sms_element(sms)
        start = element.index(">") + 1  # quoteattr escapes > in the attributes, so this ends the tag
        return element[:start] + sms.text + "</sms>"  # the bug


class TestSeededBug(reference.TestQuicktelClient):
    client_class = TextUnescaped
