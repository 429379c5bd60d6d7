"""Seeded bug: the client keeps every delivery report it has read and hands the whole list back on each
fetch, so a report the provider gives out once is counted again."""

import test_qikli_contract as reference
from qikli_client import QikliClient, Report

CAUGHT_BY = "test_delivery_reports_are_not_double_counted"
SYMPTOM = "the client counted reports twice*"


class KeepsOldReports(QikliClient):
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float) -> None:
        super().__init__(base_url, username, password, timeout=timeout)
        self.read: list[Report] = []

    def fetch_reports(self, limit: int = 50) -> list[Report]:
        self.read.extend(super().fetch_reports(limit))
        return list(self.read)  # the bug: the old reports come back with the new


class TestSeededBug(reference.TestQikliClient):
    client_class = KeepsOldReports
