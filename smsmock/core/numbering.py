"""The numbering plan: which country and mobile network a number belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from smsmock.resources import load_fixture

FIXTURE = "numbering.yaml"

IMSI_LENGTH = 15
E164_MAX_DIGITS = 15

_SEPARATORS = re.compile(r"[\s-]+")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() would accept "٣" or "²"


@dataclass(frozen=True, slots=True)
class Network:
    """One mobile network's range: numbers starting with country_prefix + network_prefix."""

    country_prefix: str
    network_prefix: str
    mcc: str
    mnc: str
    name: str
    country_name: str = ""

    @property
    def mcc_mnc(self) -> str:
        return self.mcc + self.mnc


@dataclass(frozen=True, slots=True)
class _Country:
    prefix: str
    mcc: str
    name: str
    networks: dict[str, Network]
    longest_network_prefix: int


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(f"fixtures/{FIXTURE}: {message}")


def _country(entry: dict[str, Any]) -> _Country:
    prefix, mcc, name = str(entry["country_prefix"]), str(entry["mcc"]), str(entry["name"])
    _check(re.fullmatch(r"[0-9]{1,3}", prefix) is not None, f"country prefix {prefix!r} is not 1-3 digits")
    _check(re.fullmatch(r"[0-9]{3}", mcc) is not None, f"{name}: mcc {mcc!r} is not 3 digits")
    networks: dict[str, Network] = {}
    for row in entry["networks"]:
        network_prefix, mnc = str(row["network_prefix"]), str(row["mnc"])
        _check(_DIGITS.fullmatch(network_prefix) is not None, f"{name}: network prefix {network_prefix!r}")
        _check(re.fullmatch(r"[0-9]{2,3}", mnc) is not None, f"{name}: mnc {mnc!r} is not 2-3 digits")
        _check(network_prefix not in networks, f"{name}: network prefix {network_prefix} twice")
        networks[network_prefix] = Network(prefix, network_prefix, mcc, mnc, str(row["name"]), name)
    return _Country(prefix, mcc, name, networks, max(map(len, networks), default=0))


@cache
def _index() -> dict[str, _Country]:
    countries: dict[str, _Country] = {}
    for entry in load_fixture(FIXTURE)["countries"]:
        country = _country(entry)
        _check(country.prefix not in countries, f"country prefix {country.prefix} twice")
        countries[country.prefix] = country
    return countries


def networks(country_prefix: str | None = None) -> tuple[Network, ...]:
    """Every network in the plan, in table order; only one country's when country_prefix is given."""
    countries = _index().values()
    return tuple(
        network
        for country in countries
        if country_prefix is None or country.prefix == country_prefix
        for network in country.networks.values()
    )


def normalise(number: str) -> str | None:
    """The international number as bare digits ("+41 79-302" -> "4179302"), or None if it is not one."""
    digits = _SEPARATORS.sub("", number)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    return digits if _DIGITS.fullmatch(digits) else None


def _split(number: str) -> tuple[_Country, str] | None:
    digits = normalise(number)
    if digits is None:
        return None
    countries = _index()
    # Calling codes are prefix-free, so at most one length matches; longest first all the same.
    for length in range(min(3, len(digits)), 0, -1):
        country = countries.get(digits[:length])
        if country is not None:
            return country, digits[length:]
    return None


@lru_cache(maxsize=4096)  # the plan never changes, and clients send to the same numbers again and again
def lookup(number: str) -> Network | None:
    """The network a number belongs to by its prefixes (longest match), or None if the plan has none.

    Accepts "41793026727", "+41 79 302 67 27" and "0041-79-302-67-27" alike. The length of the
    subscriber part is not checked.
    """
    split = _split(number)
    if split is None:
        return None
    country, national = split
    for length in range(min(len(national), country.longest_network_prefix), 0, -1):
        network = country.networks.get(national[:length])
        if network is not None:
            return network
    return None


def _national_digits(number: str, network: Network) -> str:
    digits = normalise(number)
    if digits is None:
        raise ValueError(f"not a phone number: {number!r}")
    return digits.removeprefix(network.country_prefix)


def imsi_for(number: str, network: Network) -> str:
    """A synthetic IMSI for the subscriber: mcc + mnc + the national number's last digits (15 in all).

    Real IMSIs have no relation to the MSISDN; deriving the MSIN from the number only makes the
    mock's answers deterministic and distinct per subscriber. Short numbers are zero-padded on the left.
    """
    msin_length = IMSI_LENGTH - len(network.mcc_mnc)
    national = _national_digits(number, network)
    return network.mcc_mnc + national[-msin_length:].rjust(msin_length, "0")


def serving_msc_for(network: Network, number: str) -> str:
    """A synthetic serving MSC address, an E.164 number in the network's range.

    country prefix + network prefix + "99" + one of 16 MSC numbers picked by the subscriber's number,
    so one network's subscribers spread over a few switches but each always gets the same one.
    """
    national = _national_digits(number, network)
    switch = f"99{int(national or '0') % 16:02d}"
    head = (network.country_prefix + network.network_prefix)[: E164_MAX_DIGITS - len(switch)]
    return head + switch
