"""Seeded bug: an SMS counts as sent when its <push> came back at all, so a push with a negative res (an
SMS refused inside a 200 reply) passes for sent."""

import xml.etree.ElementTree as ET

import test_quicktel_contract as reference
from quicktel_client import QuicktelClient

CAUGHT_BY = "test_a_rejected_destination_is_not_reported_as_sent"
SYMPTOM = "inside its 200 reply, and the client reports it sent"


class AnyPushSent(QuicktelClient):
    def _sent(self, code: int | None, push: ET.Element) -> bool:
        return code is not None  # the bug: res is read but never checked


class TestSeededBug(reference.TestQuicktelClient):
    client_class = AnyPushSent
