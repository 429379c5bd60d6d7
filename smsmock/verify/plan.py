"""What a verification run sends and what it expects back: credentials, calls, expectations, probes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsmock.core.accounts import DEFAULT_ACCOUNTS

if TYPE_CHECKING:
    from smsmock.verify.runner import Session

# The probe groups, in the order the summary lists them.
EXAMPLES = "examples"
VALID = "valid"
INVALID = "invalid"
AUTH = "auth"
NEGOTIATION = "negotiation"
READ_ONCE = "read-once"
GROUPS = (EXAMPLES, VALID, INVALID, AUTH, NEGOTIATION, READ_ONCE)

# What a reply must say about its request.
ACCEPTED = "accepted"
"""The request as a whole is taken; single messages may still get a documented rejection status."""
REFUSED = "refused"
"""The request, or the items it got wrong, are refused with the dialect's documented error."""

DOCUMENTED_STATUSES: dict[str, frozenset[int]] = {
    # 401 for credentials (every section of both documents); the "General error" is 400 (errata
    # shortlink-error-body-undocumented, qikli-general-error-body).
    "shortlink": frozenset({200, 400, 401}),
    "qikli": frozenset({200, 400, 401}),
    # These answer every request with 200 and say in the body what went wrong (errata
    # unified-reply-error-shape, quicktel-http-status, sendsms-numeric-codes-body).
    "unified": frozenset({200}),
    "quicktel": frozenset({200}),
    "sendsms": frozenset({200}),
}

NOTIFY_URL = "http://127.0.0.1:9/smsmock-verify"
"""Where a request that must name a notifyUrl points: the discard port on the server's own loopback,
so that no callback leaves the server's host. Reports then wait to be pulled."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """The account the verifier sends as; the defaults are what `smsmock serve` accepts out of the box."""

    username: str = DEFAULT_ACCOUNTS[0]["username"]
    password: str = DEFAULT_ACCOUNTS[0]["password"]
    api_key: str = DEFAULT_ACCOUNTS[0]["api_key"]

    def basic(self, password: str | None = None) -> str:
        """An HTTP Basic Authorization header value, with another password if given."""
        pair = f"{self.username}:{self.password if password is None else password}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    @property
    def wrong_password(self) -> str:
        return f"not-{self.password}"

    @property
    def wrong_api_key(self) -> str:
        return f"not-{self.api_key}"


@dataclass(slots=True)
class Call:
    """One HTTP request; `path` is absolute under the target, `query` already encoded."""

    operation: str
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def line(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True, slots=True)
class Expect:
    """What the reply to a call must be."""

    outcome: str = ACCEPTED
    errors: frozenset[str] = frozenset()
    """Error codes the document gives for this refusal (any one will do); empty: any refusal."""
    whole: bool = False
    """The refusal must be of the whole request, not of some of its items."""
    statuses: frozenset[int] = frozenset()
    """HTTP statuses allowed; empty: every status the dialect documents."""
    media: str | None = None
    """The reply's format, `json`, `xml` or `text`; None: whichever the contract allows."""
    rule: str = ""
    """The documented rule the expectation comes from, for a failure message."""


Scenario = Callable[["Session"], list[str]]
"""A probe of several calls (send, then pull twice): its problems, or a reason it could not decide,
raised as `Undecided`."""


class Undecided(Exception):
    """A scenario that could not reach a verdict against this target (no report within the timeout)."""


@dataclass(slots=True)
class Probe:
    """One check of the target: a call and its expectation, or a scenario of several calls."""

    group: str
    name: str
    dialect: str
    call: Call | None = None
    expect: Expect = field(default_factory=Expect)
    scenario: Scenario | None = None
    change: str = ""
    """How an invalid probe differs from a valid request, for a failure message."""
