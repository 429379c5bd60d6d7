"""The numbering plan behind Number Context answers: the document's examples, a sound table, longest match."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmock.contracts.catalog import json_validator
from smsmock.core.numbering import Network, imsi_for, lookup, networks, normalise, serving_msc_for
from smsmock.resources import schemas_dir

ALL_NETWORKS = networks()

# The countries the plan must cover: calling code -> MCC.
EXPECTED_COUNTRIES = {
    "41": "228",
    "385": "219",
    "49": "262",
    "44": "234",
    "1": "310",
    "90": "286",
    "46": "240",
    "7": "250",
    "233": "620",
    "234": "621",
    "212": "604",
    "33": "208",
    "34": "214",
    "351": "268",
    "30": "202",
    "381": "220",
    "48": "260",
}


COMMON_SCHEMA = schemas_dir() / "shortlink" / "common.schema.json"
DEFS = json.loads(COMMON_SCHEMA.read_text(encoding="utf-8"))["$defs"]
MCC_MNC = re.compile(DEFS["MccMnc"]["pattern"])
COUNTRY_PREFIX = re.compile(DEFS["Network"]["properties"]["countryPrefix"]["pattern"])
NETWORK_PREFIX = re.compile(DEFS["Network"]["properties"]["networkPrefix"]["pattern"])
IMSI = re.compile(DEFS["NCResponseDetails"]["properties"]["imsi"]["pattern"])


def _countries() -> dict[str, list[Network]]:
    by_country: dict[str, list[Network]] = {}
    for network in ALL_NETWORKS:
        by_country.setdefault(network.country_prefix, []).append(network)
    return by_country


@st.composite
def numbers_in(draw: st.DrawFn) -> tuple[Network, str]:
    """A network of the plan and a number in its range, at most 15 digits long."""
    network = draw(st.sampled_from(ALL_NETWORKS))
    prefix = network.country_prefix + network.network_prefix
    suffix = draw(st.text(alphabet="0123456789", max_size=15 - len(prefix)))
    return network, prefix + suffix


# The document's examples


@pytest.mark.parametrize(
    ("number", "mcc_mnc", "country", "network"),
    [("41793026727", "22801", "41", "79"), ("3859851212", "21901", "385", "98")],
)
def test_the_documents_examples(number, mcc_mnc, country, network):
    found = lookup(number)
    assert found is not None
    assert (found.mcc_mnc, found.country_prefix, found.network_prefix) == (mcc_mnc, country, network)


@pytest.mark.parametrize(
    "spelling", ["+41793026727", "0041793026727", "+41 79 302 67 27", "0041-79-302-67-27"]
)
def test_international_spellings_give_the_same_answer(spelling):
    assert lookup(spelling) == lookup("41793026727")
    assert normalise(spelling) == "41793026727"


@pytest.mark.parametrize(
    "number",
    ["Alphanumeric", "999123", "", "+", "00", "41", "4170123", "0793026727", "41 79x3026727", "4179٣"],
)
def test_non_numbers_and_unknown_numbers_have_no_network(number):
    assert lookup(number) is None


def test_the_longest_network_prefix_wins():
    # Portugal's 92 is MEO's except the blocks 921 and 929.
    assert lookup("351925551234").name == "MEO"
    assert lookup("351921551234").name == "Vodafone PT"
    assert lookup("351929551234").name == "NOS"


# The table


def test_every_code_has_its_shape():
    for network in ALL_NETWORKS:
        assert re.fullmatch(r"[0-9]{3}", network.mcc), network
        assert re.fullmatch(r"[0-9]{2,3}", network.mnc), network
        assert re.fullmatch(r"[0-9]{1,3}", network.country_prefix), network
        assert COUNTRY_PREFIX.fullmatch(network.country_prefix), network
        assert NETWORK_PREFIX.fullmatch(network.network_prefix), network
        assert MCC_MNC.fullmatch(network.mcc_mnc), network
        assert network.name and network.country_name, network


def test_countries_and_networks_are_unique():
    countries = _countries()
    prefixes = list(countries)
    # Calling codes are prefix-free: no code starts another.
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    for country_prefix, members in countries.items():
        assert len({n.mcc for n in members}) == 1, country_prefix
        assert len({n.country_name for n in members}) == 1, country_prefix
        duplicates = [p for p, count in Counter(n.network_prefix for n in members).items() if count > 1]
        assert not duplicates, (country_prefix, duplicates)
        assert networks(country_prefix) == tuple(members)
    # One mobile network code names one operator.
    operators: dict[str, set[str]] = {}
    for network in ALL_NETWORKS:
        operators.setdefault(network.mcc_mnc, set()).add(network.name)
    assert all(len(names) == 1 for names in operators.values()), operators
    assert {n.country_prefix: n.mcc for n in ALL_NETWORKS}.items() >= EXPECTED_COUNTRIES.items()


def test_the_us_test_network_has_a_three_digit_mnc():
    assert lookup("15551234567").mcc_mnc == "310260"


# Lookup, IMSI and MSC properties


@given(numbers_in())
def test_a_number_in_a_range_belongs_to_its_network_or_a_longer_one(case):
    network, number = case
    found = lookup(number)
    assert found is not None
    assert found.country_prefix == network.country_prefix
    national = number[len(network.country_prefix) :]
    assert national.startswith(found.network_prefix)
    assert found.network_prefix.startswith(network.network_prefix)
    # Longest match: no network of the country has a longer prefix of this number.
    longer = [
        n
        for n in networks(network.country_prefix)
        if national.startswith(n.network_prefix) and len(n.network_prefix) > len(found.network_prefix)
    ]
    assert not longer
    assert lookup("+" + number) == lookup("00" + number) == found


@given(numbers_in())
def test_imsi_is_fifteen_digits_in_the_networks_codes(case):
    network, number = case
    imsi = imsi_for(number, network)
    assert len(imsi) == 15
    assert imsi.isascii() and imsi.isdigit()
    assert IMSI.fullmatch(imsi)
    assert imsi.startswith(network.mcc_mnc)
    assert imsi == imsi_for(number, network) == imsi_for("+" + number, network)


@given(numbers_in())
def test_serving_msc_is_an_e164_number_in_the_networks_country(case):
    network, number = case
    msc = serving_msc_for(network, number)
    assert msc.isascii() and msc.isdigit()
    assert len(msc) <= 15
    assert msc.startswith(network.country_prefix)
    assert msc == serving_msc_for(network, number)


def test_different_subscribers_get_different_imsis():
    network = lookup("41793026727")
    assert imsi_for("41793026727", network) != imsi_for("41793026728", network)


def test_imsi_and_msc_refuse_non_numbers():
    network = lookup("41793026727")
    with pytest.raises(ValueError):
        imsi_for("Alphanumeric", network)
    with pytest.raises(ValueError):
        serving_msc_for(network, "Alphanumeric")


# The answer fits the contract


def _schema_network(network: Network) -> dict[str, str]:
    return {
        "networkName": network.name,
        "networkPrefix": network.network_prefix,
        "countryName": network.country_name,
        "countryPrefix": network.country_prefix,
    }


@given(numbers_in(), st.sampled_from(ALL_NETWORKS))
def test_an_answer_built_from_the_plan_validates(case, roaming_network):
    _, number = case
    found = lookup(number)
    ported = [n for n in networks(found.country_prefix) if n.mcc_mnc != found.mcc_mnc]
    body = {
        "results": [
            {
                "to": number,
                "mccMnc": found.mcc_mnc,
                "imsi": imsi_for(number, found),
                "originalNetwork": _schema_network(found),
                "ported": bool(ported),
                **({"portedNetwork": _schema_network(ported[0])} if ported else {}),
                "roaming": True,
                "roamingNetwork": _schema_network(roaming_network),
                "servingMSC": serving_msc_for(roaming_network, number),
                "status": {
                    "groupId": 3,
                    "groupName": "DELIVERED",
                    "id": 5,
                    "name": "DELIVERED_TO_HANDSET",
                    "description": "Message delivered to handset",
                },
                "error": {
                    "groupId": 0,
                    "groupName": "OK",
                    "id": 0,
                    "name": "NO_ERROR",
                    "description": "No Error",
                    "permanent": False,
                },
            }
        ]
    }
    validator = json_validator("shortlink", "number_query", "response", "json")
    assert validator is not None
    assert not [error.message for error in validator.iter_errors(body)]
