"""The sendsms dialect: send_sms.php and dlr.php, an API key among the parameters, numeric or JSON replies."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from werkzeug.wrappers import Request

from smsmock.contracts import fastcheck
from smsmock.contracts.catalog import code_tables, operations
from smsmock.contracts.forms import posted_fields
from smsmock.contracts.params import Params, decode_params
from smsmock.contracts.validation import Violation, errors, validate
from smsmock.core.accounts import Account
from smsmock.core.backend import Backend, Callback
from smsmock.core.commands import Submission
from smsmock.core.messages import Message
from smsmock.dialects.wire import JSON, TEXT, Reply, json_body

MULTIPART = "multipart/form-data"
KEY_SPELLINGS = ("key", "Key")
"""The examples' spelling and the parameter list's (errata sendsms-key-capitalisation)."""
SEND_PARAMETERS = ("mobile", "sender", "msgtext", "ref")
"""Checked for presence in this order, after the key (errata sendsms-missing-parameter-errors)."""
DLR_PARAMETERS = ("full_number", "ref")
QUEUE_ERROR = 0
"""The only queue_error the document shows (errata sendsms-queue-error)."""
CENT = Decimal("0.01")


class Refused(Exception):
    """A request answered with an error reply: a condition of codes.yaml, and the parameter it names."""

    def __init__(self, condition: str, parameter: str | None = None) -> None:
        super().__init__(condition if parameter is None else f"{condition}: {parameter}")
        self.condition = condition
        self.parameter = parameter


# the code tables


@dataclass(frozen=True, slots=True)
class Answer:
    """One send_sms reply: the numeric code, and the JSON status and error that go with it."""

    numeric_code: int
    status: bool
    error: str | int


@dataclass(frozen=True, slots=True)
class CoreState:
    """How a message in one core state reads in sendsms (codes.yaml core_states_own)."""

    send_reply: str | None
    queue_status: str
    dlr_status: str | None


@dataclass(frozen=True, slots=True)
class DlrStatus:
    exists: bool | None
    """The reply's dlr_exist where the document shows one; None: the report exists, with error and cost."""
    error: str


class Tables:
    """fixtures/sendsms/codes.yaml, indexed the way the dialect looks things up."""

    def __init__(self) -> None:
        tables = code_tables("sendsms")
        self.answers = {
            (row["condition"], row.get("parameter")): Answer(row["numeric_code"], row["status"], row["error"])
            for row in (*tables["json_errors"].rows, *tables["json_errors_own"].rows)
        }
        self.condition_of_code = {
            answer.numeric_code: condition
            for (condition, parameter), answer in self.answers.items()
            if parameter is None
        }
        self.fault_codes = frozenset(
            row["code"] for row in tables["numeric_codes"].rows if not row["accepted"]
        )
        self.queue_succeeded = {row["queue_status"]: row["status"] for row in tables["queue_status"].rows}
        self.dlr_statuses = {
            row["dlr_status"]: DlrStatus(row.get("dlr_exist"), row.get("dlr_error", ""))
            for row in (*tables["dlr_status"].rows, *tables["dlr_status_own"].rows)
        }
        self.states = {
            row["core"]: CoreState(row["send_reply"], row["queue_status"], row["dlr_status"])
            for row in tables["core_states_own"].rows
        }

    def answer(self, condition: str, parameter: str | None = None) -> Answer:
        return self.answers[(condition, parameter)]

    def state(self, message: Message | None) -> CoreState:
        """What dlr.php reports of `message` (None: no such message)."""
        if message is None:
            return self.states["unknown"]
        if message.deleted:
            return self.states["deleted"]
        return self.status_state(message)

    def status_state(self, message: Message) -> CoreState:
        """The row of the message's status, or else of its status group."""
        status = message.status
        return self.states.get(status.name) or self.states[status.group_name]


@cache
def tables() -> Tables:
    return Tables()


# the dialect


class Sendsms:
    """Routes, parameter decoding and the numeric/JSON replies of send_sms.php and dlr.php."""

    name = "sendsms"
    # "400: rejected due to missing parameter or server unable to accept the message"
    server_error_code: int | None = 400
    fault_codes: frozenset[int]

    def __init__(self) -> None:
        self.operations = operations(self.name)
        self.tables = tables()
        self.fault_codes = self.tables.fault_codes
        # Checking that a (mobile, ref) pair is free and taking it must be one step under concurrent sends.
        self._sending = threading.Lock()

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(path, methods, operation) for every documented path."""
        return [(path, op.methods, name) for name, op in self.operations.items() for path in op.paths]

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        """Answer one request; the second item is what the request breaks of its contract."""
        params, notes = self._params(operation, request)
        if fastcheck.conforms(self.name, operation, "request", "params", params):
            violations = notes
        else:
            violations = notes + validate(self.name, operation, "request", params)
        if operation == "dlr":
            return self._dlr(params, violations, request, backend), violations
        return self._send(params, violations, request, backend), violations

    def requested_operation(self, operation: str, request: Request) -> str:
        return operation  # each operation has paths of its own

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """The error reply for `code`, numeric or JSON as the request asked; nothing is sent."""
        refusal = Refused(self.tables.condition_of_code[code])
        if operation == "dlr":
            return self._dlr_error(refusal)
        params, _ = self._params(operation, request)
        return self._send_reply(refusal.condition, None, _send_wire(params.get("response")) or "text")

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """400, "server unable to accept the message", or its JSON form when the query asks for JSON."""
        refusal = Refused("not_accepted")
        if operation == "dlr":
            return self._dlr_error(refusal)
        wire = _send_wire(decode_params(request.query_string).get("response")) or "text"
        return self._send_reply(refusal.condition, None, wire)

    def render_callback(self, callback: Callback) -> tuple[str, bytes]:
        raise LookupError(f"{self.name} sends no callbacks: delivery reports are looked up with dlr.php")

    # reading a request

    def _params(self, operation: str, request: Request) -> tuple[Params, list[Violation]]:
        """The query's parameters, with a POST's form fields over them (errata sendsms-http-methods-form)."""
        params = decode_params(request.query_string)
        if request.method != "POST":
            return params, []
        fields, notes = posted_fields(
            self.name, operation, request.get_data(cache=True), request.headers.get("Content-Type")
        )
        params.update(fields)
        return params, notes

    def _account(self, params: Params, request: Request, backend: Backend) -> Account:
        keys = [value for spelling in KEY_SPELLINGS for value in _listed(params.get(spelling))]
        if not any(keys):
            raise Refused("missing_parameter", "key")
        if len(keys) > 1:
            raise Refused("not_accepted")  # which key is meant? (errata sendsms-repeated-parameters)
        account = backend.accounts.by_api_key(keys[0])
        if account is None:
            raise Refused("invalid_key")
        if account.refuses(request.remote_addr):
            raise Refused("ip_not_allowed")
        return account

    # send_sms

    def _send(self, params: Params, violations: list[Violation], request: Request, backend: Backend) -> Reply:
        """Checks in the order of errata sendsms-check-order; the first that fails answers."""
        wire = _send_wire(params.get("response"))
        try:
            if wire is None:
                raise Refused("not_accepted")  # errata sendsms-response-param
            account = self._account(params, request, backend)
            _require(params, SEND_PARAMETERS)
            if errors(violations):
                raise Refused("not_accepted")
            # A request that meets its contract gives each parameter once: str() only narrows the type.
            condition = self._submit(account, backend, {name: str(params[name]) for name in SEND_PARAMETERS})
        except Refused as refusal:
            return self._send_reply(refusal.condition, refusal.parameter, wire or "text")
        return self._send_reply(condition, None, wire)

    def _submit(self, account: Account, backend: Backend, values: dict[str, str]) -> str:
        """Send one message; the condition its reply answers (errata sendsms-core-rejections)."""
        submission = Submission(
            to=values["mobile"], sender=values["sender"], text=values["msgtext"], client_ref=values["ref"]
        )
        with self._sending:
            if self._holder(backend, account, values["mobile"], values["ref"]) is not None:
                raise Refused("not_accepted")  # errata sendsms-ref-uniqueness
            [message] = backend.submit(account, self.name, [submission])
        state = self.tables.status_state(message)
        assert state.send_reply is not None  # every status row names the reply its send got
        return state.send_reply

    def _holder(self, backend: Backend, account: Account, number: str, ref: str) -> Message | None:
        """The account's message to `number` with `ref` that was accepted: the one a dlr lookup finds.

        A rejected send leaves the reference free to use again (errata sendsms-ref-reuse-after-rejection).
        """
        for message in reversed(backend.by_client_ref(account, self.name, ref)):
            if message.to == number and self.tables.status_state(message).send_reply == "accepted":
                return message
        return None

    def _send_reply(self, condition: str, parameter: str | None, wire: str) -> Reply:
        answer = self.tables.answer(condition, parameter)
        if wire == "json":
            return Reply(200, JSON, json_body({"status": answer.status, "error": answer.error}), "send_sms")
        # The code is the whole body, always with HTTP 200 (errata sendsms-numeric-codes-body).
        return Reply(200, TEXT, str(answer.numeric_code).encode(), "send_sms")

    # dlr

    def _dlr(self, params: Params, violations: list[Violation], request: Request, backend: Backend) -> Reply:
        try:
            account = self._account(params, request, backend)
            _require(params, DLR_PARAMETERS)
        except Refused as refusal:
            return self._dlr_error(refusal)
        message = None
        # A malformed number or reference names no message (errata sendsms-dlr-invalid-values).
        if not errors(violations):
            message = self._holder(backend, account, str(params["full_number"]), str(params["ref"]))
        return Reply(200, JSON, json_body(self._report(message)), "dlr")

    def _report(self, message: Message | None) -> dict[str, Any]:
        """The documented reply shape for the message's state (errata sendsms-dlr-core-states)."""
        state = self.tables.state(message)
        succeeded = self.tables.queue_succeeded[state.queue_status]
        report: dict[str, Any] = {"status": succeeded, "queue_status": state.queue_status}
        if not succeeded:
            return report
        report["queue_error"] = QUEUE_ERROR
        if state.dlr_status is None:
            return report
        dlr = self.tables.dlr_statuses[state.dlr_status]
        if dlr.exists is not None:
            # The report is gone: the reply says so before naming the status, and has no error or cost.
            report["dlr_exist"] = dlr.exists
            report["dlr_status"] = state.dlr_status
            return report
        assert message is not None  # only a message has a report
        report.update(dlr_status=state.dlr_status, dlr_error=dlr.error, sms_cost=sms_cost(message))
        return report

    def _dlr_error(self, refusal: Refused) -> Reply:
        """send_sms's JSON failure shape: the lookup cannot be made (errata sendsms-dlr-error-reply)."""
        answer = self.tables.answer(refusal.condition, refusal.parameter)
        return Reply(200, JSON, json_body({"status": answer.status, "error": answer.error}), "dlr")


def sms_cost(message: Message) -> str:
    """Parts x price per part in two decimals (errata sendsms-sms-cost, sendsms-sms-cost-rounding)."""
    return format(message.price.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _send_wire(response: str | list[str] | None) -> str | None:
    """`json`, `text` (blank or absent), or None for any other value."""
    if response is None or response == "":
        return "text"
    return "json" if response == "json" else None


def _require(params: Params, names: tuple[str, ...]) -> None:
    """Refuse the request at the first of `names` that is missing or empty."""
    for name in names:
        if params.get(name) in (None, ""):
            raise Refused("missing_parameter", name)


def _listed(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _one_or_all(values: list[str]) -> str | list[str]:
    """A form field as decode_params gives it: one value, or the list of a repeated one."""
    return values[0] if len(values) == 1 else values
