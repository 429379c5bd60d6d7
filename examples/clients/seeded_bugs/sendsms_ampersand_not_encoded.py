"""Seeded bug: the query string is built by hand, so `&`, `+`, `#` and `%` in the text are not
percent-encoded: an `&` cuts the text short, a `+` becomes a space."""

from typing import Any

import requests
import test_sendsms_contract as reference
from sendsms_client import SendsmsClient, json_object

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = ("the requests break the contract", "the text arrived as *")


class QueryByHand(SendsmsClient):
    def _get(self, script: str, params: dict[str, str]) -> dict[str, Any] | None:
        query = "&".join(f"{name}={value}" for name, value in params.items())  # the bug
        return json_object(requests.get(f"{self.base_url}/{script}?{query}", timeout=self.timeout))


class TestSeededBug(reference.TestSendsmsClient):
    client_class = QueryByHand
