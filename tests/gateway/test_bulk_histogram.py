from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from gateway.bulk_histogram import BulkHistogram

BUCKETS = (0.01, 0.1, 1.0, 10.0)
VALUES = [0.0, 0.01, 0.02, 0.1, 0.5, 1.0, 3.0, 10.0, 11.0, 250.0]


def _samples(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if line.startswith("lag_seconds_"))


def test_bulk_histogram_exposes_what_observing_one_by_one_would() -> None:
    bulk_registry, plain_registry = CollectorRegistry(), CollectorRegistry()
    bulk = BulkHistogram("lag_seconds", "lag", BUCKETS, registry=bulk_registry)
    plain = Histogram("lag_seconds", "lag", buckets=BUCKETS, registry=plain_registry)
    bulk.observe_many(VALUES[:4])
    bulk.observe_many([])
    bulk.observe_many(VALUES[4:])
    for value in VALUES:
        plain.observe(value)
    expected = [s for s in _samples(plain_registry) if not s.startswith("lag_seconds_created")]
    assert _samples(bulk_registry) == expected
