"""Kafka handlers of the payments service."""
