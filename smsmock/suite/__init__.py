"""The client contract suite: property tests of a user's SMS client against a dialect's contract.

```python
from smsmock.suite import Outgoing, Sent, ShortlinkClientContract

class TestMyClient(ShortlinkClientContract):
    transport = "inprocess"  # the client is built on requests or httpx

    def make_client(self, base_url, credentials):
        return MyClient(base_url, credentials.username, credentials.password)

    def send(self, client, outgoing):
        result = client.send(outgoing.sender, list(outgoing.destinations), outgoing.text)
        return Sent(ok=result.ok, accepted={to: r.ok for to, r in result.results.items()})

    def fetch_reports(self, client):
        return [report.message_id for report in client.fetch_reports()]
```

`transport = "inprocess"` serves clients built on requests or httpx; for an async client, make `send`
and `fetch_reports` `async def` and await the client there.
"""

from smsmock.plugin.handle import Credentials
from smsmock.suite.base import ClientContract, ContractFailure, ErrorReply, Language, Outgoing, Sent
from smsmock.suite.dialects import (
    QikliClientContract,
    QuicktelClientContract,
    SendsmsClientContract,
    ShortlinkClientContract,
    UnifiedClientContract,
)

__all__ = [
    "ClientContract",
    "ContractFailure",
    "Credentials",
    "ErrorReply",
    "Language",
    "Outgoing",
    "QikliClientContract",
    "QuicktelClientContract",
    "SendsmsClientContract",
    "Sent",
    "ShortlinkClientContract",
    "UnifiedClientContract",
]
