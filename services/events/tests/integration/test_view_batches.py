"""The catalogue applies a batch with a few multi-row statements: the rows must be exactly those of the same
messages applied one by one (repeated keys, duplicates and stale versions included)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from events_service.projections.catalogue import CatalogueProjection

pytestmark = pytest.mark.integration


def test_the_catalogue_batch_equals_one_by_one():
    life = ["EventCreated", "SeatsReserved", "SeatsReserved", "EventUpdated", "SeatsRejected", "SeatsReleased",
            "SeatsReserved", "EventCancelled", "SeatsReleased"]
    stories = [golden_story(life[:n], "event_id", event_id=uuid4()) for n in (1, 3, 4, 7, 9, 9)]
    stories.append(golden_story(["SeatsReserved", "EventUpdated"], "event_id", event_id=uuid4()))  # unknown
    with fresh_database("catalogue_batches") as name:
        rows = check_batched(InfraSettings().conninfo(name), CatalogueProjection, mixed_batch(stories))
    assert sorted(r["version"] for r in rows["catalogue"]) == [1, 3, 4, 7, 9, 9]
    assert sorted(r["status"] for r in rows["catalogue"]) == ["cancelled"] * 2 + ["scheduled"] * 4
