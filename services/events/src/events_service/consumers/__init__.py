"""Kafka message handlers of the events service (the seat side of the booking saga)."""
