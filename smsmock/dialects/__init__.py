"""One module per dialect: routes, request decoding and reply rendering over the shared core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from smsmock.contracts.validation import Violation
    from smsmock.core.backend import Backend, Callback
    from smsmock.dialects.wire import Reply


class Dialect(Protocol):
    """What the server asks of a dialect."""

    name: str
    fault_codes: frozenset[int]
    """The dialect's own error codes a fault may answer a request with (empty: none)."""
    server_error_code: int | None
    """The code the document gives for a failure on the provider's side, which the mock answers when its
    store fails; None where the document has none (the mock answers 503 then)."""

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(path, methods, operation) for every documented path and accepted erroneous spelling."""
        ...

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        """Answer one request; the second item is what the request breaks of its contract."""
        ...

    def requested_operation(self, operation: str, request: Request) -> str:
        """The operation a request asks for: its route's, unless the request names another on the same
        path (quicktel's <xml_request name>, unified's scheduling parameters). Faults match on it."""
        ...

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """The reply to a request a fault answers with one of `fault_codes`; nothing is sent."""
        ...

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """The dialect's error for a request whose body is longer than the server takes, built from the
        path, query and headers alone (the body is not read); `problem` says what the limit is."""
        ...

    def render_callback(self, callback: Callback) -> tuple[str, bytes]:
        """The operation and body of a POST the mock owes a client (delivery report, ...)."""
        ...
