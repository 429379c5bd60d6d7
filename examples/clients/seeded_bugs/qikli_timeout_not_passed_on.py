"""Seeded bug: the client takes a timeout but never passes it on, so the class default of 10 s applies,
twice the 5 s the application counts on: a stalled provider holds every send that long."""

import test_qikli_contract as reference
from qikli_client import QikliClient

CAUGHT_BY = "test_a_stalled_server_makes_the_client_give_up"
SYMPTOM = "*waits * s in all before it gives up: longer than the * s its declared timeout allows*"


class TimeoutDropped(QikliClient):
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float) -> None:
        super().__init__(base_url, username, password)  # the bug: timeout is not passed on


class TestSeededBug(reference.TestQikliClient):
    client_class = TimeoutDropped
