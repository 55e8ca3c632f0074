"""The catalogue view is idempotent under redelivery: Kafka's again, the relay's re-publish, a batch split."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_redelivery, fresh_database, golden_story

from events_service.projections.catalogue import CatalogueProjection

pytestmark = pytest.mark.integration


def test_the_catalogue_is_idempotent_under_redelivery():
    first, second = uuid4(), uuid4()
    one = golden_story(["EventCreated", "SeatsReserved", "EventUpdated", "SeatsReserved", "SeatsReleased",
                        "SeatsRejected", "EventCancelled"], "event_id", event_id=first)
    two = golden_story(["EventCreated", "SeatsReserved", "SeatsReserved"], "event_id", event_id=second)
    interleaved = [one[0], two[0], one[1], two[1], one[2], one[3], two[2], *one[4:]]
    with fresh_database("catalogue_redelivery") as name:
        rows = check_redelivery(InfraSettings().conninfo(name), CatalogueProjection, interleaved)
    by_id = {r["event_id"]: r for r in rows["catalogue"]}
    assert by_id[str(first)]["status"] == "cancelled" and by_id[str(first)]["version"] == 7
    assert by_id[str(second)]["version"] == 3
    assert by_id[str(second)]["seats_available"] == two[2].payload["seats_available"]
