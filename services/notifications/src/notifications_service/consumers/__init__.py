"""Kafka handlers that turn public events into notifications (the outbox rows)."""
