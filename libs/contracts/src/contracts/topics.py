"""Kafka topic names: one event topic per service, command topics for saga steps, a DLQ beside each.

Event topics keep everything (`retention.ms=-1`) so any projector can be rebuilt from offset 0.
"""

USERS = "users.v1"
EVENTS = "events.v1"
BOOKINGS = "bookings.v1"
PAYMENTS = "payments.v1"
NOTIFICATIONS = "notifications.v1"
EVENTS_COMMANDS = "events.commands.v1"
PAYMENTS_COMMANDS = "payments.commands.v1"

EVENT_TOPICS = (USERS, EVENTS, BOOKINGS, PAYMENTS, NOTIFICATIONS)
COMMAND_TOPICS = (EVENTS_COMMANDS, PAYMENTS_COMMANDS)


def dlq(topic: str) -> str:
    """The dead-letter topic for messages of `topic` that keep failing."""
    return f"{topic}.dlq"


def all_topics() -> dict[str, dict[str, str]]:
    """Every topic the system uses, with its configuration."""
    keep_forever = {"retention.ms": "-1"}
    # Commands are consumed once; a week is plenty to replay an incident.
    week = {"retention.ms": str(7 * 24 * 3600 * 1000)}
    topics: dict[str, dict[str, str]] = {}
    for t in EVENT_TOPICS:
        topics[t] = keep_forever
    for t in COMMAND_TOPICS:
        topics[t] = week
    for t in (*EVENT_TOPICS, *COMMAND_TOPICS):
        topics[dlq(t)] = keep_forever
    return topics
