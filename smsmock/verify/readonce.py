"""Read-once scenarios: a delivery report (or inbound message) must be handed out by one pull, never two.

Against smsmock the clock is moved with the control API so the report is due at once; against any
other server the report is polled for a few times within the timeout. Either way the pulls that follow
must not hand the same message id out again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from smsmock.verify.plan import ACCEPTED, Call, Expect, Undecided
from smsmock.verify.runner import Session

DELIVERY_WAIT = 120
"""Seconds the mock's clock is moved after a send: smsmock delivers its default numbers within 3 s."""
POLLS = 5
"""Pulls at most, spread over the timeout, while waiting for a real server's report."""

PULL_EXPECT = Expect(ACCEPTED, media="json", rule="a pull of reports is answered with the results")


def reports_read_once(send: Call, pull: Callable[[str], Call]) -> Callable[[Session], list[str]]:
    """Send one message, wait for its report, then pull twice: the report comes once, and only once.

    `pull(message_id)` is the report request for the sent message.
    """

    def scenario(session: Session) -> list[str]:
        sent = session.send(send, Expect(ACCEPTED, media="json"))
        if sent.problems or sent.reading is None:
            return ["the message whose report is read could not be sent:", *sent.problems]
        if not sent.reading.message_ids:
            return [f"{send.line()}: the send reply names no messageId to look the report up by"]
        message_id = sent.reading.message_ids[0]
        problems: list[str] = []
        pulls: list[list[str]] = []

        def pull_once() -> list[str]:
            result = session.send(pull(message_id), PULL_EXPECT)
            problems.extend(result.problems)
            ids = [] if result.reading is None else result.reading.message_ids
            pulls.append(ids)
            return ids

        if session.control_available:
            session.advance(DELIVERY_WAIT)
            first = pull_once()
            pull_once()
            if message_id not in first:
                problems.append(
                    f"the report of message {message_id} was not in the first pull after the clock moved "
                    f"{DELIVERY_WAIT} s past its delivery: a report must not be lost"
                )
        else:
            deadline = time.monotonic() + session.timeout
            for _ in range(POLLS):
                if message_id in pull_once() or time.monotonic() >= deadline:
                    break
                time.sleep(session.timeout / POLLS)  # a real provider's report takes real time
            pull_once()
            if not any(message_id in ids for ids in pulls):
                raise Undecided(f"no report of message {message_id} within {session.timeout:g} s")
        problems.extend(_repeats(pulls, "report"))
        return problems

    return scenario


def inbound_read_once(inbound: dict[str, str], username: str, pull: Call) -> Callable[[Session], list[str]]:
    """Inject an inbound message for `username`'s account with the control API, then pull twice: it
    comes once, and only once."""

    def scenario(session: Session) -> list[str]:
        if not session.control_available:
            raise Undecided("an inbound message can only be injected through smsmock's control API")
        accounts = session.control("GET", "accounts")
        names = [entry.get("name") for entry in accounts if entry.get("username") == username]
        if not names:
            return [f"the control API lists no account with the username {username!r}"]
        injected = session.control("POST", "inbound", {**inbound, "account": names[0]})
        message_id = str(injected.get("id", ""))
        problems: list[str] = []
        pulls: list[list[str]] = []
        for _ in range(2):
            result = session.send(pull, PULL_EXPECT)
            problems.extend(result.problems)
            pulls.append([] if result.reading is None else result.reading.message_ids)
        if message_id not in pulls[0]:
            problems.append(
                f"the inbound message {message_id} was not in the first pull: it must not be lost"
            )
        problems.extend(_repeats(pulls, "inbound message"))
        return problems

    return scenario


def _repeats(pulls: list[list[str]], what: str) -> list[str]:
    counted = Counter(message_id for ids in pulls for message_id in ids)
    return [
        f"the {what} of message {message_id} was handed out by {times} pulls; "
        "each can be retrieved one time only"
        for message_id, times in counted.items()
        if times > 1
    ]
