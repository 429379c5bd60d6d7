"""XML replies stay well-formed and read back as written, whatever the client's data holds."""

from __future__ import annotations

import json
import re
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smsmock.dialects.wire import well_formed, xml_body
from smsmock.server.app import MockApp

AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}
NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # controls and lone surrogates too


def as_read_back(text: str) -> str:
    """What a reader finds: every character, except those XML 1.0 cannot carry, as U+FFFD."""
    return NOT_IN_XML.sub("\ufffd", text)


def test_every_character_xml_cannot_carry_and_no_other_is_replaced() -> None:
    every_character = "".join(map(chr, range(0x110000)))
    assert well_formed(every_character) == as_read_back(every_character).replace("\r", "&#13;")


@given(st.text(ANY_CHARACTER))
def test_any_text_reads_back_from_an_xml_body_cr_included(text: str) -> None:
    root = fromstring(xml_body("SMSLogsResponse", {"text": text}))
    assert (root.findtext("text") or "") == as_read_back(text)


def test_a_cr_in_a_sent_text_reads_back_as_a_cr_from_the_xml_logs() -> None:
    client = Client(MockApp())
    text = "first line\r\nsecond\rthird"
    sent = client.post(
        "/restapi/sms/1/text/advanced",
        data=json.dumps(
            {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": text}]}
        ),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    logs = client.get("/restapi/sms/1/logs", headers={**AUTH, "Accept": "application/xml"})
    assert logs.status_code == 200
    assert b"&#13;" in logs.data
    assert [
        result.findtext("text")
        for result in fromstring(logs.data).iter("results")
        if result.find("text") is not None
    ] == [text]


@settings(max_examples=50, deadline=None)
@given(st.text(ANY_CHARACTER, min_size=1, max_size=20).filter(lambda text: as_read_back(text) == text))
def test_a_quicktel_reply_echoes_any_sms_id_as_sent_cr_included(sms_id: str) -> None:
    request = Element("xml_request", name="sms_send")
    SubElement(request, "xml_user", lgn="Aladdin", pwd="open sesame")
    SubElement(request, "sms", sms_id=sms_id, number="79031234567", source_number="InfoSMS").text = "hi"
    reply = QUICKTEL.post(
        "/quicktel/xml", data=tostring(request), headers={"Content-Type": "application/xml"}
    )
    push = fromstring(reply.data).find("push")
    assert push is not None and push.get("sms_id") == sms_id


QUICKTEL = Client(MockApp())
