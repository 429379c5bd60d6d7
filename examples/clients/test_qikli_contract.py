"""The contract suite run against the reference qikli client: every inherited property must hold."""

from __future__ import annotations

from qikli_client import Language, QikliClient

from smsmock.suite import Credentials, Outgoing, QikliClientContract, Sent


class TestQikliClient(QikliClientContract):
    transport = "inprocess"  # the client is built on requests
    client_timeout = 5.0
    sends_language = True  # send() passes outgoing.language on
    sends_client_message_id = True  # send() passes outgoing.client_message_id on
    client_class = QikliClient
    """The client under test (a seeded-bug variant swaps in a subclass)."""

    def make_client(self, base_url: str, credentials: Credentials) -> QikliClient:
        return self.client_class(
            base_url, credentials.username, credentials.password, timeout=self.client_timeout
        )

    def send(self, client: QikliClient, outgoing: Outgoing) -> Sent:
        language = outgoing.language
        result = client.send(
            outgoing.sender,
            list(outgoing.destinations),
            outgoing.text,
            language=None
            if language is None
            else Language(language.code, language.single_shift, language.locking_shift),
            message_ids=None
            if outgoing.client_message_id is None
            else dict.fromkeys(outgoing.destinations, outgoing.client_message_id),
        )
        counts = {entry.sms_count for entry in result.results.values() if entry.sms_count is not None}
        return Sent(
            ok=result.ok,
            accepted={to: entry.ok for to, entry in result.results.items()},
            parts=counts.pop() if len(counts) == 1 else None,
            message_ids={to: entry.message_id for to, entry in result.results.items()},
        )

    def fetch_reports(self, client: QikliClient) -> list[str]:
        return [report.message_id for report in client.fetch_reports()]
