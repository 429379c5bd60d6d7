"""An account's national-table policy: with `national_policy: requested` the tables an advanced send
asks for are counted, IEs and all, even where the default alphabet would carry the text.

Through the WSGI app, with the accounts read from a `--config` file or added over the control API.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from transports import Exchanged, over_wsgi
from werkzeug.test import Client

from smsmock.contracts.validation import errors, validate
from smsmock.core.accounts import Account
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig, load_config

DOCUMENTED = ("Aladdin", "open sesame")
"""The documents' own credentials: the default account, counting by the fewest parts."""
STRICT = ("strict", "pw")
"""An account whose provider counts every requested table."""

CONFIG = """\
accounts:
  - {name: default, username: Aladdin, password: open sesame, balance: 100, price_per_part: 0.01}
  - {name: strict, username: strict, password: pw, balance: 10, price_per_part: 0.05,
     national_policy: requested}
clock: {frozen: true}
"""

ADVANCED = {"shortlink": "/restapi/sms/1/text/advanced", "qikli": "/sms/2/text/advanced"}
BALANCE = "/restapi/account/1/balance"

PLAIN = "a" * 160
"""One part in the default alphabet; 149 + 11 septets once a single shift IE takes its 3 octets."""
TURKISH = "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."
"""The advanced API example's text: it needs the Turkish tables anyway."""


@pytest.fixture
def client(tmp_path: Path) -> Client:
    config = tmp_path / "smsmock.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return Client(MockApp(load_config(config)))


def basic(credentials: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(":".join(credentials).encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": "application/json"}


def advanced_message(text: str, language: dict[str, Any] | None, *, flat: bool) -> dict[str, Any]:
    """One message of an advanced send; `flat` spells the language as the parameter table does."""
    message: dict[str, Any] = {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": text}
    if language is not None:
        message.update(language if flat else {"language": language})
    return message


def send(
    client: Client,
    credentials: tuple[str, str],
    text: str,
    language: dict[str, Any] | None,
    *,
    dialect: str = "shortlink",
    flat: bool = False,
) -> dict[str, Any]:
    """Send one advanced message; its entry in the reply, which must keep the dialect's contract."""
    body = json.dumps({"messages": [advanced_message(text, language, flat=flat)]}).encode()
    answer = over_wsgi(
        client,
        "POST",
        ADVANCED[dialect],
        body=body,
        headers=basic(credentials),
        content_type="application/json",
    )
    assert answer.status == 200, answer.body
    assert errors(validate(dialect, "send_text_advanced", "response", answer.body, answer.content_type)) == []
    (message,) = json.loads(answer.body)["messages"]
    return message


def balance(client: Client, credentials: tuple[str, str]) -> Decimal:
    answer = over_wsgi(client, "GET", BALANCE, headers=basic(credentials))
    assert answer.status == 200, answer.body
    return Decimal(str(json.loads(answer.body)["balance"]))


def control(client: Client, method: str, path: str, body: Any = None) -> Exchanged:
    data = b"" if body is None else json.dumps(body).encode()
    return over_wsgi(client, method, f"/_smsmock/{path}", body=data, content_type="application/json")


def stored(client: Client, message_id: str) -> dict[str, Any]:
    answer = control(client, "GET", f"messages/{message_id}")
    assert answer.status == 200, answer.body
    return json.loads(answer.body)


TURKISH_SINGLE_SHIFT = {"languageCode": "TR", "singleShift": True, "lockingShift": False}


@pytest.mark.parametrize("dialect", sorted(ADVANCED))
@pytest.mark.parametrize("flat", [False, True], ids=["language-object", "flat-fields"])
def test_requested_policy_counts_the_single_shift_ie_in_parts_and_price(client, dialect, flat):
    fewest = send(client, DOCUMENTED, PLAIN, TURKISH_SINGLE_SHIFT, dialect=dialect, flat=flat)
    requested = send(client, STRICT, PLAIN, TURKISH_SINGLE_SHIFT, dialect=dialect, flat=flat)
    assert (fewest["smsCount"], requested["smsCount"]) == (1, 2)
    assert balance(client, DOCUMENTED) == Decimal("99.99")
    assert balance(client, STRICT) == Decimal("9.90")  # 2 parts at 0.05
    kept = stored(client, requested["messageId"])
    assert (kept["account"], kept["encoding"], kept["units"], kept["parts"]) == ("strict", "GSM7", 160, 2)
    assert kept["price"]["total"] == pytest.approx(0.10)
    assert stored(client, fewest["messageId"])["parts"] == 1


def test_both_shifts_requested_take_two_ies(client):
    both = {"languageCode": "PT", "singleShift": True, "lockingShift": True}
    assert send(client, DOCUMENTED, "a" * 152, both)["smsCount"] == 1
    assert send(client, STRICT, "a" * 152, both)["smsCount"] == 1  # 152 septets: two IEs still fit
    assert send(client, STRICT, "a" * 153, both)["smsCount"] == 2
    assert send(client, STRICT, "a" * 292, both)["smsCount"] == 2  # 146 a part
    assert send(client, STRICT, "a" * 293, both)["smsCount"] == 3
    assert send(client, DOCUMENTED, "a" * 293, both)["smsCount"] == 2


def test_the_policies_agree_where_the_text_needs_the_tables_or_none_are_asked_for(client):
    for credentials in (DOCUMENTED, STRICT):
        assert send(client, credentials, TURKISH, TURKISH_SINGLE_SHIFT)["smsCount"] == 1
        assert send(client, credentials, PLAIN, None)["smsCount"] == 1
        assert send(client, credentials, "a" * 161, None)["smsCount"] == 2
    # Spanish has no locking table (TS 23.038): asking for it alone asks for nothing.
    void = {"languageCode": "ES", "singleShift": False, "lockingShift": True}
    assert send(client, STRICT, PLAIN, void)["smsCount"] == 1


def test_a_character_outside_the_requested_locking_table_keeps_the_single_shift(client):
    # æ is in the default alphabet but not in the Turkish locking table.
    both = {"languageCode": "TR", "singleShift": True, "lockingShift": True}
    text = "æ" + "a" * 154
    assert send(client, DOCUMENTED, text, both)["smsCount"] == 1
    assert send(client, STRICT, text, both)["smsCount"] == 1  # 155 septets with the one IE
    assert send(client, STRICT, text + "a", both)["smsCount"] == 2


def test_the_control_api_shows_and_sets_the_policy(client):
    answer = control(client, "GET", "accounts")
    policies = {account["name"]: account["national_policy"] for account in json.loads(answer.body)}
    assert policies == {"default": "fewest", "strict": "requested"}
    added = {"name": "added", "username": "added", "password": "pw", "national_policy": "requested"}
    answer = control(client, "POST", "accounts", added)
    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["national_policy"] == "requested"
    assert send(client, ("added", "pw"), PLAIN, TURKISH_SINGLE_SHIFT)["smsCount"] == 2
    answer = control(client, "POST", "accounts", {**added, "national_policy": "cheapest"})
    assert answer.status == 400
    assert json.loads(answer.body)["message"] == (
        "national_policy must be fewest or requested, not 'cheapest'"
    )


@pytest.mark.usefixtures("every_store")
def test_an_added_accounts_policy_survives_the_store():
    app = MockApp(MockConfig(clock_frozen=True))
    added = {"name": "added", "username": "added", "password": "pw", "national_policy": "requested"}
    assert control(Client(app), "POST", "accounts", added).status == 200
    account = app.backend.accounts.get("added")
    assert account is not None and account.national_policy == "requested"
    assert send(Client(app), ("added", "pw"), PLAIN, TURKISH_SINGLE_SHIFT)["smsCount"] == 2


def test_the_default_policy_is_fewest():
    assert Account.from_mapping({"name": "a", "username": "u"}).national_policy == "fewest"
    entry = Account.from_mapping({"name": "a", "username": "u", "national_policy": "requested"}).entry()
    assert Account.from_mapping(entry).national_policy == "requested"


@pytest.mark.parametrize("bad", ["cheapest", "Requested", "", 1, None])
def test_a_bad_policy_in_the_config_file_is_refused_by_name(tmp_path, bad):
    config = tmp_path / "smsmock.yaml"
    config.write_text(
        json.dumps({"accounts": [{"name": "a", "username": "u", "national_policy": bad}]}), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    said = str(refused.value)
    assert "national_policy" in said and "fewest or requested" in said and repr(bad) in said
