"""`GET /_smsmock/metrics`: requests, stored messages, queues and webhooks in the Prometheus text format."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

# prometheus_client is imported at the first scrape: a server that is never scraped does not load it.
if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from smsmock.server.app import MockApp


class RequestCounts:
    """Requests answered, by dialect, operation and status; counted on the hot path, read at a scrape."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()

    def count(self, dialect: str | None, operation: str | None, status: int) -> None:
        key = (dialect or "", operation or "", status)
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[tuple[str, str, int], int]:
        with self._lock:
            return dict(self._counts)


class _MockCollector:
    """Reads the mock's state when scraped, so nothing but the request count is kept for metrics."""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        requests = CounterMetricFamily(
            "smsmock_requests", "Requests answered", labels=["dialect", "operation", "status"]
        )
        for (dialect, operation, status), count in sorted(self.app.request_counts.snapshot().items()):
            requests.add_metric([dialect, operation, str(status)], count)
        yield requests
        stats = self.app.backend.store.stats()
        yield GaugeMetricFamily(
            "smsmock_messages_stored", "Sent messages the store holds", value=stats.messages
        )
        yield GaugeMetricFamily(
            "smsmock_inbound_stored", "Inbound (MO) messages the store holds", value=stats.inbound
        )
        for name, help_text, queues in (
            ("smsmock_report_queue_depth", "Delivery reports waiting to be pulled", stats.report_queues),
            ("smsmock_inbound_queue_depth", "Inbound messages waiting to be pulled", stats.inbound_queues),
        ):
            gauge = GaugeMetricFamily(name, help_text, labels=["account", "dialect"])
            for (account, dialect), depth in sorted(queues.items()):
                gauge.add_metric([account, dialect], depth)
            yield gauge
        yield CounterMetricFamily(
            "smsmock_webhook_attempts", "POSTs to clients' notify URLs", value=stats.webhook_attempts
        )
        yield CounterMetricFamily(
            "smsmock_webhook_failures",
            "POSTs to notify URLs that failed (no answer, or not 2xx)",
            value=stats.webhook_failures,
        )
        yield GaugeMetricFamily(
            "smsmock_journal_entries", "Exchanges the request journal holds", value=len(self.app.journal)
        )


def exposition(app: MockApp, accept: str = "") -> tuple[bytes, str]:
    """The mock's metrics and their media type, in the format the scraper's Accept asks for."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_MockCollector(app))  # type: ignore[arg-type]
    encode, media_type = choose_encoder(accept)
    return encode(registry), media_type
