"""The qikli dialect: the shortlink family's advanced send and delivery reports, on their own paths."""

from __future__ import annotations

from functools import cached_property

from werkzeug.wrappers import Request

from smsmock.contracts.catalog import code_tables
from smsmock.contracts.validation import Violation
from smsmock.core.backend import Backend
from smsmock.core.messages import Message
from smsmock.core.vocabulary import ACCEPTED, Status
from smsmock.dialects import family
from smsmock.dialects.shortlink import Shortlink
from smsmock.dialects.wire import JSON, XML, BadRequest, Reply, accepts_json_or_xml, body_format, reply_format

WRONG_METHOD = "wrong_method"
"""The pseudo-operation of a qikli path asked with a method it does not take (errata qikli-http-methods)."""
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Qikli(Shortlink):
    """qikli answers like its family, with the spellings of its own samples."""

    name = "qikli"
    server_error_code: int | None = None
    ok_spelling = "Ok"
    sender_id = family.QIKLI_SENDER_ID
    phone_number = family.QIKLI_PHONE_NUMBER

    @cached_property
    def _accepted(self) -> Status:
        """Id 26 MESSAGE_ACCEPTED in group 1 PENDING, as qikli's sample shows (errata qikli-status-26)."""
        row = next(row for row in code_tables(self.name)["example_only_statuses"].rows if row["id"] == 26)
        return Status(row["id"], row["name"], row["group_id"], row["group_name"], row["description"])

    def _reply_status(self, message: Message) -> Status:
        return self._accepted if message.status.name == ACCEPTED else message.status

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """The documented routes, plus every other method on their paths, answered with the General error."""
        routes = super().routes()
        for path, methods, _ in list(routes):
            others = tuple(method for method in _METHODS if method not in methods)
            routes.append((path, others, WRONG_METHOD))
        return routes

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """The General error; in JSON for an Accept qikli cannot answer (errata qikli-accept-default)."""
        if accepts_json_or_xml(request.headers.get("Accept")):
            return super().too_large_reply(operation, request, problem)
        return self.error_reply(BadRequest(f"General error: {problem}"), "json")

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        accept = request.headers.get("Accept")
        if not accepts_json_or_xml(accept):
            # errata qikli-accept-default: an Accept qikli cannot answer gets the General error in JSON.
            problem = BadRequest(f"General error: Accept {accept!r} names neither {JSON} nor {XML}")
            return self.error_reply(problem, "json"), []
        if operation != WRONG_METHOD:
            return super().handle(operation, request, backend)
        wire = reply_format(accept, body_format(request.headers.get("Content-Type")))
        path = request.path.rstrip("/")
        allowed = next((op.methods for op in self.operations.values() if path in op.paths), ("GET", "POST"))
        problem = BadRequest(
            f"General error: {request.method} is not a method of {path}; it takes {' or '.join(allowed)}"
        )
        return self.error_reply(problem, wire), []
