"""Seeded bug: the client reads the plain reply and takes any number in it for success, though the body is
a code: 200 accepted, 400, 405, 406 and 407 refused."""

import requests
import test_sendsms_contract as reference
from sendsms_client import SendResult, SendsmsClient, normalise

CAUGHT_BY = "test_every_documented_error_is_a_failure_and_retried_only_where_allowed"
SYMPTOM = "after *, the client reports success*"


class NumberMeansSent(SendsmsClient):
    def send(self, sender: str, mobile: str, text: str, ref: str) -> SendResult:
        params = {"key": self.api_key, "mobile": normalise(mobile), "sender": sender, "msgtext": text}
        params["ref"] = ref
        reply = requests.get(f"{self.base_url}/send_sms.php", params=params, timeout=self.timeout)
        body = reply.text.strip()
        return SendResult(body.isdigit(), int(body) if body.isdigit() else None, None)  # the bug


class TestSeededBug(reference.TestSendsmsClient):
    client_class = NumberMeansSent
