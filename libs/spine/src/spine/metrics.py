"""The Prometheus metric families every process shares (`prometheus-client`, the process-wide registry).

One place declares them, so an api, a worker, a test and the operator's page (`/docs/ops`) agree on names.
The hot paths observe once per *batch* (a relay batch, a consumer partition batch), never per message: a
rush puts hundreds of messages in a batch, and a per-row observation would show in the benchmark.

Names start with `ep_`; `_total`, `_bucket`, `_sum` and `_count` are added by the library. Labels are bounded
sets (consumer groups, topics, partitions, message types, route templates), never ids or raw paths.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# `*_created` series double the scrape and nothing here reads them.
disable_created_metrics()

# Seconds: from a few milliseconds (one saga hop) to a minute (a stuck partition catching up).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0,
                   5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

# --- consumers (spine.consumer): projections and handlers (saga steps, reactions) --------------------------
CONSUMER_LAG = Gauge("ep_consumer_lag_messages", "Messages of a partition not yet applied by the group "
                     "(high watermark minus the next offset to apply)", ["group", "topic", "partition"])
CONSUMER_MESSAGES = Counter("ep_consumer_messages", "Messages a group handled, by type and outcome "
                            "(applied, dead_lettered); kind=handler are saga steps and reactions",
                            ["group", "kind", "type", "outcome"])
CONSUMER_BATCH_SIZE = Histogram("ep_consumer_batch_size", "Messages per applied partition batch",
                                ["group", "kind"], buckets=BATCH_BUCKETS)
CONSUMER_BATCH_SECONDS = Histogram("ep_consumer_batch_seconds", "Time to apply one partition batch (commit "
                                   "included)", ["group", "kind"], buckets=LATENCY_BUCKETS)
CONSUMER_EVENT_LAG = Histogram("ep_consumer_event_lag_seconds", "Age of a batch's oldest message when the batch "
                               "was committed (its occurred_at to now): for kind=projection, the projection lag",
                               ["group", "kind"], buckets=LATENCY_BUCKETS)
CONSUMER_RETRIES = Counter("ep_consumer_retries", "Transient failures retried (partition paused)",
                           ["group", "topic"])
DLQ_MESSAGES = Counter("ep_dlq_messages", "Messages sent to <topic>.dlq", ["group", "topic"])
CONSUMER_STOPPED = Gauge("ep_consumer_stopped", "1 while a partition is behind and has not moved for longer "
                         "than the threshold", ["group", "topic", "partition"])

# --- relays (spine.relay): event store → Kafka --------------------------------------------------------------
RELAY_POSITION = Gauge("ep_relay_position", "Last notification id the relay recorded as published", ["relay"])
RELAY_STORE_POSITION = Gauge("ep_relay_store_position", "Newest notification id in the relay's event store",
                             ["relay"])
RELAY_PUBLISHED = Counter("ep_relay_published", "Records published to Kafka", ["relay"])
RELAY_PARKED = Counter("ep_relay_parked", "Records parked as unpublishable (spine_relay_parked)", ["relay"])
RELAY_PUBLISH_SECONDS = Histogram("ep_relay_publish_seconds", "One relay batch: read, publish, acknowledged, "
                                  "recorded", ["relay"], buckets=LATENCY_BUCKETS)
RELAY_EVENT_AGE = Histogram("ep_relay_event_age_seconds", "Age of a batch's oldest published event when Kafka "
                            "acknowledged it (commit → published)", ["relay"], buckets=LATENCY_BUCKETS)
RELAY_STUCK = Gauge("ep_relay_stuck", "1 while the store has events beyond the relay's position and the position "
                    "has not moved for longer than the threshold", ["relay"])

# --- alarms and sagas ---------------------------------------------------------------------------------------
ALARMS_RAISED = Counter("ep_alarms_raised", "Alarms raised by this process (spine.health)", ["kind"])
SAGA_STUCK = Gauge("ep_saga_stuck", "Sagas not final after the service's threshold, by status",
                   ["service", "status"])
EMAILS = Counter("ep_emails", "E-mails the notifications service handled, by kind (notification, mailing) and "
                 "outcome (sent, retried, failed)", ["kind", "outcome"])
SAGA_OLDEST_SECONDS = Gauge("ep_saga_oldest_stuck_seconds", "Age of the oldest stuck saga", ["service"])


# --- single writers (spine.writer): group commit of an api's commands -------------------------------------
WRITER_BATCH_SIZE = Histogram("ep_writer_batch_size", "Commands per batch of a process's single writer (group "
                              "commit): bigger under load", ["writer"], buckets=BATCH_BUCKETS)
WRITER_BATCH_SECONDS = Histogram("ep_writer_batch_seconds", "Time to run one writer batch (commit included)",
                                 ["writer"], buckets=LATENCY_BUCKETS)


def exposition() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def totals() -> dict[str, float]:
    """Counts since start by family (retries, dead letters, parked records, alarms), for a health readout."""
    families = {"retries": CONSUMER_RETRIES, "dead_lettered": DLQ_MESSAGES, "relay_parked": RELAY_PARKED,
                "alarms": ALARMS_RAISED}
    out: dict[str, float] = {}
    for name, family in families.items():
        out[name] = sum(s.value for m in family.collect() for s in m.samples if s.name.endswith("_total"))
    return out
