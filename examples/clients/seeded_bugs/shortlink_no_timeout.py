"""Seeded bug: the client sends with no timeout at all, so a stalled provider hangs it for ever."""

import test_shortlink_contract as reference
from shortlink_client import ShortlinkClient

CAUGHT_BY = "test_a_stalled_server_makes_the_client_give_up"
SYMPTOM = "the client sent a request without a timeout"


class NoTimeout(ShortlinkClient):
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float) -> None:
        super().__init__(base_url, username, password, timeout=None)  # the bug


class TestSeededBug(reference.TestShortlinkClient):
    client_class = NoTimeout
