"""Date-times as the documents write them, read by one code path on every supported Python."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmock.contracts.catalog import examples
from smsmock.core.clock import parse_moment
from smsmock.dialects.family import parse_timestamp
from smsmock.dialects.wire import BadRequest
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

DIALECTS = ("shortlink", "qikli", "unified", "quicktel", "sendsms")
DOCUMENTED = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?")


def by_hand(found: re.Match[str]) -> datetime:
    """The instant a documented date-time names, read field by field (no ISO reader involved)."""
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    fraction, offset = found.group(7) or "0", found.group(8)
    moment = datetime(year, month, day, hour, minute, second, int(fraction[:6].ljust(6, "0")))
    if offset in (None, "Z"):
        return moment.replace(tzinfo=timezone.utc)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * shift))


def documented_moments() -> list[str]:
    found: set[str] = set()
    for dialect in DIALECTS:
        for example in examples(dialect):
            text = unquote(str(example.get("body") or "") + " " + str(example.get("query") or ""))
            found.update(match.group(0) for match in DOCUMENTED.finditer(text))
    return sorted(found)


def test_the_documents_write_date_times_in_both_offset_styles() -> None:
    moments = documented_moments()
    assert any(re.search(r"[+-]\d{4}$", moment) for moment in moments), "basic offsets, +0100"
    assert any(re.search(r"[+-]\d\d:\d\d$", moment) for moment in moments), "extended offsets, +01:00"


@pytest.mark.parametrize("text", documented_moments())
def test_every_documented_date_time_reads_as_the_instant_it_names(text: str) -> None:
    found = DOCUMENTED.fullmatch(text)
    assert found is not None
    assert parse_moment(text) == by_hand(found)
    assert parse_timestamp(text, "sendAt") == by_hand(found)


MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(timezone.utc)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timedelta(minutes=minutes))


@given(MOMENTS, OFFSETS, st.sampled_from(["basic", "extended", "zulu", "space"]))
def test_a_moment_written_in_any_documented_style_reads_back_as_the_same_instant(
    moment: datetime, offset: timedelta, style: str
) -> None:
    local = moment.astimezone(timezone(offset))
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    clock = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    text = {
        "basic": f"{clock}{sign}{hours:02d}{minutes:02d}",
        "extended": f"{clock}{sign}{hours:02d}:{minutes:02d}",
        "zulu": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "space": f"{clock.replace('T', ' ')}{sign}{hours:02d}:{minutes:02d}",
    }[style]
    assert parse_timestamp(text, "sendAt") == moment


def test_a_date_time_without_an_offset_is_read_as_utc() -> None:
    assert parse_timestamp("2015-02-12T09:51:43", "sendAt") == datetime(
        2015, 2, 12, 9, 51, 43, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    "text", ["tomorrow", "2015-13-12T09:51:43Z", "2015-02-12T25:00:00Z", "", "12/02/2015"]
)
def test_a_text_that_is_no_date_time_is_the_dialect_s_bad_request(text: str) -> None:
    with pytest.raises(BadRequest, match="sendAt is not an ISO-8601 date-time"):
        parse_timestamp(text, "sendAt")


def test_the_config_and_the_control_api_read_the_documents_basic_offset_too() -> None:
    config = MockConfig.from_mapping({"clock": {"start": "2030-01-01T12:00:00.000+0100", "frozen": True}})
    app = MockApp(config)
    assert app.clock.now() == datetime(2030, 1, 1, 11, 0, tzinfo=timezone.utc)
    app.control.set_clock(at="2030-01-01T13:30:00.000+0100")
    assert app.clock.now() == datetime(2030, 1, 1, 12, 30, tzinfo=timezone.utc)
