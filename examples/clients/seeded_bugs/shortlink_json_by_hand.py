"""Seeded bug: the JSON body is built by string formatting, so a quote, a backslash or a line break in the
text breaks it."""

import json

import test_shortlink_contract as reference
from shortlink_client import Language, SendResult, ShortlinkClient

CAUGHT_BY = "test_what_the_mock_receives_is_what_the_user_meant"
SYMPTOM = "the requests break the contract"


class JsonByHand(ShortlinkClient):
    def send(
        self,
        sender: str,
        destinations: list[str],
        text: str,
        *,
        language: Language | None = None,
        message_ids: dict[str, str] | None = None,
    ) -> SendResult:
        if language is not None or message_ids:
            return super().send(sender, destinations, text, language=language, message_ids=message_ids)
        # the bug: the body is a format string, so nothing in the text is escaped
        body = f'{{"messages": [{{"from": "{sender}", "to": {json.dumps(destinations)}, "text": "{text}"}}]}}'
        reply = self.session.post(
            f"{self.base_url}/sms/1/text/multi",
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
        )
        return self._read(reply.json()) if reply.status_code == 200 else SendResult(ok=False)


class TestSeededBug(reference.TestShortlinkClient):
    client_class = JsonByHand
