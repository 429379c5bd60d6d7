"""The qikli dialect: the shortlink family's advanced send and delivery reports, on their own paths."""

from __future__ import annotations

from functools import cached_property

from smsmock.contracts.catalog import code_tables
from smsmock.core.messages import Message
from smsmock.core.vocabulary import ACCEPTED, Status
from smsmock.dialects.shortlink import Shortlink


class Qikli(Shortlink):
    """qikli answers like its family, with the spellings of its own samples."""

    name = "qikli"
    ok_spelling = "Ok"

    @cached_property
    def _accepted(self) -> Status:
        """Id 26 MESSAGE_ACCEPTED in group 1 PENDING, as qikli's sample shows (errata qikli-status-26)."""
        row = next(row for row in code_tables(self.name)["example_only_statuses"].rows if row["id"] == 26)
        return Status(row["id"], row["name"], row["group_id"], row["group_name"], row["description"])

    def _reply_status(self, message: Message) -> Status:
        return self._accepted if message.status.name == ACCEPTED else message.status
