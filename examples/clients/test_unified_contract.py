"""The contract suite run against the reference unified client: every inherited property must hold."""

from __future__ import annotations

from unified_client import UnifiedClient

from smsmock.suite import Credentials, Outgoing, Sent, UnifiedClientContract


class TestUnifiedClient(UnifiedClientContract):
    transport = "inprocess"  # the client is built on requests
    client_timeout = 5.0
    client_class = UnifiedClient
    """The client under test (a seeded-bug variant swaps in a subclass)."""

    def make_client(self, base_url: str, credentials: Credentials) -> UnifiedClient:
        return self.client_class(
            base_url, credentials.username, credentials.password, timeout=self.client_timeout
        )

    def send(self, client: UnifiedClient, outgoing: Outgoing) -> Sent:
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        return Sent(
            ok=result.ok,
            accepted={to: entry.ok for to, entry in result.results.items()},
            parts=client.parts(
                outgoing.text
            ),  # the client's own count, which the suite holds to the engine's
        )
