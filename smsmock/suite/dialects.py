"""Each dialect's contract class: its error replies, its retry rules, and the properties only it has."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmock import strategies
from smsmock.contracts.catalog import code_tables
from smsmock.core.rules import normalise_number
from smsmock.encoding import charset_for, default_charset, dialect_profiles, measure, national_languages
from smsmock.plugin.handle import SmsMock
from smsmock.suite.base import (
    SUITE_SETTINGS,
    ClientContract,
    ErrorReply,
    Language,
    Outgoing,
    Sent,
    _departures,
    _require,
    _require_same_count,
    section,
    wrong_api_key,
    wrong_password,
)

REJECTED_NUMBER = "15550001005"
"""The number the rejection property has the provider refuse."""
NATIONAL_TEXT_UNITS = 320
"""The longest national-language text drawn, in characters: a few parts, where a wrong table costs one."""


class _MultiDestination(ClientContract):
    """Dialects that take several destinations in one request and answer each inside a 200."""

    rejection: ClassVar[str] = "REJECTED_DND"
    """The status the provider refuses REJECTED_NUMBER with, in a form the dialect answers per destination."""

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_a_rejected_destination_is_not_reported_as_sent(self, contract_mock: SmsMock, data: Any) -> None:
        """One destination refused inside a 200 reply: it is not reported sent, and the others of the
        same reply are reported accepted."""
        mock = contract_mock
        drawn = data.draw(self._strategy("outgoing", self.outgoing), label="outgoing")
        others = [to for to in drawn.destinations if normalise_number(to) != REJECTED_NUMBER]
        others = others[: self.max_destinations - 1]
        at = data.draw(st.integers(0, len(others)), label="position of the rejected number")
        outgoing = Outgoing(drawn.sender, (*others[:at], REJECTED_NUMBER, *others[at:]), drawn.text)
        mock.control.reset()
        mock.rules(
            {
                "default": {"status": "DELIVERED_TO_HANDSET", "after": 1},
                "rules": [{"name": "rejected", "to": REJECTED_NUMBER, "status": self.rejection}],
                "replace": True,
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
        reported = {normalise_number(to): ok for to, ok in (sent.accepted or {}).items()}
        refused = [
            to for to in others if sent.accepted is not None and not reported.get(normalise_number(to))
        ]
        _require(
            not refused,
            f"the provider accepted {', '.join(refused)} in the same reply as it rejected {REJECTED_NUMBER}, "
            "and the client reports them not accepted",
            outgoing,
            mock,
        )


class _PullsReports(ClientContract):
    """Dialects whose delivery reports are read once."""

    def fetch_reports(self, client: Any) -> list[str]:
        """The message ids of the delivery reports the client reads in one call (optional; may be
        `async def`)."""
        raise NotImplementedError("the report property needs fetch_reports(client) -> list of message ids")

    @SUITE_SETTINGS
    @given(count=st.integers(1, 6))
    def test_delivery_reports_are_not_double_counted(self, contract_mock: SmsMock, count: int) -> None:
        if type(self).fetch_reports is _PullsReports.fetch_reports:
            pytest.skip(
                f"the report property needs fetch_reports(client) -> the message ids of one read of "
                f"delivery reports: {type(self).__name__} has none"
            )
        mock = contract_mock
        self._fresh(mock)
        client = self._run(self.make_client(mock.base_url, mock.credentials))
        numbers = [f"4179302{index:04d}" for index in range(count)]
        for number in numbers:
            self._run(self.send(client, Outgoing("InfoSMS", (number,), "Hello")))
        mock.advance(5)
        first, second = self._run(self.fetch_reports(client)), self._run(self.fetch_reports(client))
        ids = [*first, *second]
        outgoing = Outgoing("InfoSMS", tuple(numbers), "Hello")
        _require(len(ids) == len(set(ids)), f"the client counted reports twice: {ids}", outgoing, mock)
        _require(len(ids) == count, f"{count} reports were due, the client read {len(ids)}", outgoing, mock)


class _NationalLanguages(ClientContract):
    """Dialects that let a client ask for a national language's shift tables (TR, ES, PT)."""

    def languages(self) -> st.SearchStrategy[Language]:
        """Every language with every pairing of its tables the engine knows (Spanish has no locking table)."""
        choices = [
            Language(code, single, locking)
            for code, language in sorted(national_languages().items())
            for single, locking in ((True, False), (False, True), (True, True))
            if language.locking is not None or not locking
        ]
        return st.sampled_from(choices)

    def national_texts(self, language: Language) -> st.SearchStrategy[str]:
        """Texts of the language's tables, of any length up to a few parts, each with at least one
        character only those tables hold (where a client that ignores them counts wrong)."""
        charset = charset_for(
            language.code, single_shift=language.single_shift, locking_shift=language.locking_shift
        )
        national = st.lists(
            st.sampled_from(sorted(set(charset.encode) - set(default_charset().encode))),
            min_size=1,
            max_size=3,
        )

        @st.composite
        def build(draw: st.DrawFn) -> str:
            length = draw(st.integers(0, NATIONAL_TEXT_UNITS))
            chars = list(draw(strategies.gsm_texts(charset, min_size=length, max_size=length)))
            for char in draw(national):
                chars.insert(draw(st.integers(0, len(chars))), char)
            return "".join(chars)

        return build()

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_national_language_texts_are_counted_with_their_tables(
        self, contract_mock: SmsMock, data: Any
    ) -> None:
        """A text in a national language, with its shift tables asked for: the provider gets the
        language (it counts the parts the tables give), and a count the client gives is the provider's."""
        self._skip_unless(
            "sends_language", "the national-language test needs `send` to pass outgoing.language on"
        )
        mock = contract_mock
        language = data.draw(self._strategy("languages", self.languages), label="language")
        texts = self._strategy(("national texts", language), lambda: self.national_texts(language))
        text = data.draw(texts, label="text")
        outgoing = Outgoing("InfoSMS", ("41793026727",), text, language=language)
        self._fresh(mock)
        sent = self._send(mock, outgoing, mock.credentials)
        received = mock.outbox()
        _require(not _departures(mock), "the requests break the contract", outgoing, mock)
        _require(len(received) == 1, "the message did not arrive", outgoing, mock)
        message = received[0]
        _require(message.text == text, f"the text arrived as {message.text!r}", outgoing, mock)
        tables = measure(
            text,
            language=language.code,
            single_shift=language.single_shift,
            locking_shift=language.locking_shift,
            profile=dialect_profiles(self.dialect)["text"],
        )
        _require(
            (message.encoding, message.parts) == (tables.encoding.value, tables.segments),
            f"the provider counted {message.parts} part(s) in {message.encoding}; with the {language.code} "
            f"tables asked for, the text takes {tables.segments} in {tables.encoding.value}: the language "
            "did not reach the provider",
            outgoing,
            mock,
        )
        _require_same_count(sent, message, outgoing, mock)


class _ReusedIds(ClientContract):
    """Dialects that answer a client's reused message id in a documented way."""

    reused_id_answer: ClassVar[str] = "refused"
    """`refused`: the second message is refused (shortlink and qikli REJECTED_DUPLICATE_MESSAGE_ID,
    sendsms not accepted); `first attempt`: the first message stands for it (quicktel res 1)."""

    def client_message_ids(self) -> st.SearchStrategy[str]:
        return st.uuids().map(lambda uuid: uuid.hex)

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_a_reused_client_message_id_is_not_a_new_message(self, contract_mock: SmsMock, data: Any) -> None:
        """The same message sent twice under the client's own id, as a retry does: the second is not
        reported as a new message sent."""
        self._skip_unless(
            "sends_client_message_id", "the reused-id test needs `send` to pass outgoing.client_message_id on"
        )
        mock = contract_mock
        drawn = data.draw(self._strategy("outgoing", self.outgoing), label="outgoing")
        client_ids = self._strategy("client message ids", self.client_message_ids)
        client_id = data.draw(client_ids, label="client message id")
        outgoing = Outgoing(drawn.sender, drawn.destinations[:1], drawn.text, client_message_id=client_id)
        (to,) = outgoing.destinations
        self._fresh(mock)
        first = self._send(mock, outgoing, mock.credentials)
        _require(
            first.ok and _accepted(first, to) is not False,
            "the client reported a failed send that the provider accepted",
            outgoing,
            mock,
        )
        second = self._send(mock, outgoing, mock.credentials)
        if self.reused_id_answer == "refused":
            _require(
                not second.ok and not _accepted(second, to),
                f"the provider refused the reused id {client_id!r} (the message is not sent again), and "
                "the client reports the second send as sent",
                outgoing,
                mock,
            )
            return
        first_id, second_id = _message_id(first, to), _message_id(second, to)
        _require(
            second.ok and _accepted(second, to) is not False,
            f"the provider answered the reused id {client_id!r} with its first message, which stands, and "
            "the client reports the send failed",
            outgoing,
            mock,
        )
        _require(
            first_id is None or second_id == first_id,
            f"the provider answered the reused id {client_id!r} with its first message ({first_id}), and "
            f"the client reports another ({second_id})",
            outgoing,
            mock,
        )


class ShortlinkClientContract(_MultiDestination, _PullsReports, _NationalLanguages, _ReusedIds):
    """A shortlink client: `send` through /restapi/sms/1/text/..., `fetch_reports` through reports."""

    dialect = "shortlink"
    send_operation: ClassVar[str] = "send_text_multi"
    """The operation whose document section a failure report points to."""

    def error_replies(self) -> list[ErrorReply]:
        where = section(self.dialect, self.send_operation)
        return [
            ErrorReply("401 (bad credentials)", lambda mock: None, section=where, credentials=wrong_password),
            ErrorReply(
                "401 Unauthorized",
                lambda mock: mock.fault(dialect=self.dialect, code=401, processed=False),
                section=where,
            ),
            ErrorReply(
                "400 General error",
                lambda mock: mock.fault(dialect=self.dialect, code=400, processed=False),
                section=where,
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


class QuicktelClientContract(_MultiDestination, _ReusedIds):
    """A quicktel client: `send` posts one sms_send with an <sms> per destination, as raw XML."""

    dialect = "quicktel"
    reused_id_answer = "first attempt"
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


class SendsmsClientContract(_ReusedIds):
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
    """The documented error `code`, which a fault makes the mock answer with, the request not taken."""
    return ErrorReply(
        f"{code} ({description})",
        lambda mock: mock.fault(dialect=dialect, code=code, processed=False),
        allowed,
        where,
    )


def _accepted(sent: Sent, to: str) -> bool | None:
    """Whether the client reports `to` accepted; None when it does not say per destination."""
    if sent.accepted is None:
        return None
    found = {normalise_number(number): ok for number, ok in sent.accepted.items()}
    return found.get(normalise_number(to), False)


def _message_id(sent: Sent, to: str) -> str | None:
    """The provider's message id the client reports for `to`, if it reports ids."""
    found = {normalise_number(number): ident for number, ident in (sent.message_ids or {}).items()}
    return found.get(normalise_number(to))


def _xml_carries(text: str) -> bool:
    """Whether XML 1.0 can carry `text` at all: no C0 controls but TAB, LF and CR (so no GSM form feed),
    and neither U+FFFE nor U+FFFF."""
    return not any((char < " " and char not in "\t\n\r") or char in "\ufffe\uffff" for char in text)
