"""Fixtures of the bookings worker's Kafka tests."""

from __future__ import annotations

import pytest

from contracts.topics import dlq
from spine.testing import create_topics, unique_topic

from bookings_service.main import Topics


@pytest.fixture
def names() -> Topics:
    """Fresh topics (and their DLQs) for one worker, so tests never read each other's messages."""
    names = Topics(**{field: unique_topic(field) for field in Topics.__dataclass_fields__})
    all_topics = [getattr(names, f) for f in Topics.__dataclass_fields__]
    create_topics(*all_topics, *[dlq(t) for t in all_topics], partitions=2)
    return names
