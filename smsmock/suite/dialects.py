"""Each dialect's contract class: its error replies, its retry rules, and the properties only it has."""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import given
from hypothesis import strategies as st

from smsmock import strategies
from smsmock.contracts.catalog import code_tables
from smsmock.core.rules import normalise_number
from smsmock.plugin.handle import SmsMock
from smsmock.suite.base import (
    SUITE_SETTINGS,
    ClientContract,
    ErrorReply,
    Outgoing,
    _require,
    section,
    wrong_api_key,
    wrong_password,
)

REJECTED_NUMBER = "15550001005"
"""The number the rejection property has the provider refuse."""


class _MultiDestination(ClientContract):
    """Dialects that take several destinations in one request and answer each inside a 200."""

    rejection: ClassVar[str] = "REJECTED_DND"
    """The status the provider refuses REJECTED_NUMBER with, in a form the dialect answers per destination."""

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_a_rejected_destination_is_not_reported_as_sent(self, contract_mock: SmsMock, data: Any) -> None:
        mock = contract_mock
        outgoing = data.draw(self.outgoing(), label="outgoing")
        outgoing = Outgoing(outgoing.sender, (*outgoing.destinations[:1], REJECTED_NUMBER), outgoing.text)
        mock.control.reset()
        mock.rules(
            {
                "default": {"status": "DELIVERED_TO_HANDSET", "after": 1},
                "rules": [{"name": "rejected", "to": REJECTED_NUMBER, "status": self.rejection}],
            }
        )
        sent = self._send(mock, outgoing, mock.credentials)
        rejected = [
            number
            for number, ok in (sent.accepted or {}).items()
            if ok and normalise_number(number) == REJECTED_NUMBER
        ]
        _require(
            not rejected and (sent.accepted is not None or not sent.ok),
            f"the provider rejected {REJECTED_NUMBER} inside its 200 reply, and the client reports it sent",
            outgoing,
            mock,
        )


class _PullsReports(ClientContract):
    """Dialects whose delivery reports are read once."""

    def fetch_reports(self, client: Any) -> list[str]:
        """The message ids of the delivery reports the client reads in one call."""
        raise NotImplementedError("the report property needs fetch_reports(client) -> list of message ids")

    @SUITE_SETTINGS
    @given(count=st.integers(1, 6))
    def test_delivery_reports_are_not_double_counted(self, contract_mock: SmsMock, count: int) -> None:
        mock = contract_mock
        self._fresh(mock)
        client = self.make_client(mock.base_url, mock.credentials)
        numbers = [f"4179302{index:04d}" for index in range(count)]
        for number in numbers:
            self.send(client, Outgoing("InfoSMS", (number,), "Hello"))
        mock.advance(5)
        first, second = self.fetch_reports(client), self.fetch_reports(client)
        ids = [*first, *second]
        outgoing = Outgoing("InfoSMS", tuple(numbers), "Hello")
        _require(len(ids) == len(set(ids)), f"the client counted reports twice: {ids}", outgoing, mock)
        _require(len(ids) == count, f"{count} reports were due, the client read {len(ids)}", outgoing, mock)


class ShortlinkClientContract(_MultiDestination, _PullsReports):
    """A shortlink client: `send` through /restapi/sms/1/text/..., `fetch_reports` through reports."""

    dialect = "shortlink"
    send_operation: ClassVar[str] = "send_text_multi"
    """The operation whose document section a failure report points to."""

    def error_replies(self) -> list[ErrorReply]:
        where = section(self.dialect, self.send_operation)
        return [
            ErrorReply("401 (bad credentials)", lambda mock: None, section=where, credentials=wrong_password),
            ErrorReply(
                "401 Unauthorized", lambda mock: mock.fault(dialect=self.dialect, code=401), section=where
            ),
            ErrorReply(
                "400 General error", lambda mock: mock.fault(dialect=self.dialect, code=400), section=where
            ),
        ]


class QikliClientContract(ShortlinkClientContract):
    """A qikli client: `send` through /sms/2/text/advanced, `fetch_reports` through /sms/1/reports."""

    dialect = "qikli"
    send_operation = "send_text_advanced"


class UnifiedClientContract(_MultiDestination):
    """A unified client: `send` through /bulksms/bulksms; only 1709 may be retried, 1715 never."""

    dialect = "unified"
    retries_after_1709: ClassVar[int] = 2
    """How many retries the suite lets a client make after 1709 (the document sets no number)."""

    def senders(self) -> st.SearchStrategy[str]:
        # A unified source: alphanumeric up to 11, numeric up to 18 (the document's limits).
        return strategies.sender_ids()

    def numbers(self) -> st.SearchStrategy[str]:
        return strategies.phone_numbers()  # `+` optional, as the document says

    def error_replies(self) -> list[ErrorReply]:
        where = section(self.dialect, "submit")
        replies = [
            ErrorReply(
                "1709 (bad credentials)",
                lambda mock: None,
                1 + self.retries_after_1709,
                where,
                wrong_password,
            )
        ]
        for row in code_tables(self.dialect)["error_codes"].rows:
            if not row["success"]:
                allowed = 1 + self.retries_after_1709 if row["retry_allowed"] else 1
                replies.append(_faulted(self.dialect, row["code"], row["description"], allowed, where))
        return replies


class QuicktelClientContract(_MultiDestination):
    """A quicktel client: `send` posts one sms_send with an <sms> per destination, as raw XML."""

    dialect = "quicktel"
    rejection = "REJECTED_NOT_ENOUGH_CREDITS"
    """The one refusal quicktel answers inside its reply, as a <push res="-3007"> for that SMS."""
    retries_allowed: ClassVar[int] = 0
    """The document gives no retry rule, so by default a refused request is not sent again."""

    def texts(self) -> st.SearchStrategy[str]:
        return super().texts().filter(_xml_carries)

    def boundary_texts(self) -> st.SearchStrategy[str]:
        return super().boundary_texts().filter(_xml_carries)

    def error_replies(self) -> list[ErrorReply]:
        where = section(self.dialect, "sms_send")
        allowed = 1 + self.retries_allowed
        replies = [ErrorReply("-2003 (bad lgn/pwd)", lambda mock: None, allowed, where, wrong_password)]
        for row in code_tables(self.dialect)["request_errors_own"].rows:
            if row["scope"] == "request":
                name = row["description"].split(":")[0]
                replies.append(_faulted(self.dialect, row["res"], name, allowed, where))
        return replies


class SendsmsClientContract(ClientContract):
    """A sendsms client: `send` calls send_sms.php once for the one destination it takes."""

    dialect = "sendsms"
    max_destinations = 1
    retries_allowed: ClassVar[int] = 0
    """The document gives no retry rule, so by default a refused request is not sent again."""

    def error_replies(self) -> list[ErrorReply]:
        where = section(self.dialect, "send_sms")
        allowed = 1 + self.retries_allowed
        replies = [ErrorReply("407 (bad API key)", lambda mock: None, allowed, where, wrong_api_key)]
        for row in code_tables(self.dialect)["numeric_codes"].rows:
            if not row["accepted"]:
                replies.append(_faulted(self.dialect, row["code"], row["description"], allowed, where))
        return replies


def _faulted(dialect: str, code: int, description: str, allowed: int, where: str) -> ErrorReply:
    """The documented error `code`, which a fault makes the mock answer with."""
    return ErrorReply(
        f"{code} ({description})", lambda mock: mock.fault(dialect=dialect, code=code), allowed, where
    )


def _xml_carries(text: str) -> bool:
    """Whether XML 1.0 can carry `text` at all: no C0 controls but TAB, LF and CR (so no GSM form feed),
    and neither U+FFFE nor U+FFFF."""
    return not any((char < " " and char not in "\t\n\r") or char in "\ufffe\uffff" for char in text)
