"""The contract suite run against the reference quicktel client: every inherited property must hold."""

from __future__ import annotations

import uuid

from quicktel_client import QuicktelClient, Sms

from smsmock.suite import Credentials, Outgoing, QuicktelClientContract, Sent


class TestQuicktelClient(QuicktelClientContract):
    transport = "inprocess"  # the client is built on requests
    client_timeout = 5.0
    sends_client_message_id = True  # send() uses outgoing.client_message_id as the sms_id
    client_class = QuicktelClient
    """The client under test (a seeded-bug variant swaps in a subclass)."""

    def make_client(self, base_url: str, credentials: Credentials) -> QuicktelClient:
        return self.client_class(
            base_url, credentials.username, credentials.password, timeout=self.client_timeout
        )

    def send(self, client: QuicktelClient, outgoing: Outgoing) -> Sent:
        # sms_id must be unique per account: a reused one is not sent again.
        batch = [
            Sms(outgoing.client_message_id or uuid.uuid4().hex, to, outgoing.sender, outgoing.text)
            for to in outgoing.destinations
        ]
        results = client.send(batch)
        counts = {result.sms_count for result in results if result.sms_count is not None}
        return Sent(
            ok=all(result.ok for result in results),
            accepted={sms.number: result.ok for sms, result in zip(batch, results, strict=True)},
            parts=counts.pop() if len(counts) == 1 else None,
            message_ids={sms.number: result.push_id for sms, result in zip(batch, results, strict=True)},
        )
