"""The contract suite run against the reference sendsms client: every inherited property must hold."""

from __future__ import annotations

import uuid

from sendsms_client import SendsmsClient

from smsmock.suite import Credentials, Outgoing, SendsmsClientContract, Sent


class TestSendsmsClient(SendsmsClientContract):
    transport = "inprocess"  # the client is built on requests
    client_timeout = 5.0
    sends_client_message_id = True  # send() uses outgoing.client_message_id as the ref
    client_class = SendsmsClient
    """The client under test (a seeded-bug variant swaps in a subclass)."""

    def make_client(self, base_url: str, credentials: Credentials) -> SendsmsClient:
        return self.client_class(base_url, credentials.api_key or "", timeout=self.client_timeout)

    def send(self, client: SendsmsClient, outgoing: Outgoing) -> Sent:
        (mobile,) = outgoing.destinations  # the API takes one number per request
        result = client.send(
            outgoing.sender, mobile, outgoing.text, ref=outgoing.client_message_id or uuid.uuid4().hex
        )
        return Sent(ok=result.ok, accepted={mobile: result.ok})
