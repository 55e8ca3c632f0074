"""The envelope every public message travels in (DESIGN §3), and its Kafka encoding.

The same fields go into Kafka headers (`type`, `version`, `event_id`, `correlation_id`) so a router
can pick messages without parsing the body.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from contracts import limits as lim


class Envelope(BaseModel):
    """One public event or command, as published on a topic."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this message; consumers deduplicate on it.",
                           examples=["5b4c0f8e-3a0d-5f5b-9a57-2f1f9d0e6d11"])
    type: str = Field(description="Message type name.", examples=["EventCreated"],
                      json_schema_extra=lim.text(lim.MESSAGE_TYPE))
    version: int = Field(default=1, ge=1, description="Schema version of the payload for this type.", examples=[1],
                         json_schema_extra=lim.count(1))
    aggregate_id: str = Field(description="Id of the aggregate the message is about; also the Kafka key.",
                              examples=["0d6f6f7c-1c4f-4f0e-9d8e-7b6b8e3f2a10"],
                              json_schema_extra=lim.text(lim.AGGREGATE_ID))
    aggregate_version: int = Field(default=0, ge=0,
                                   description="Version of the aggregate after this event (0 for commands).",
                                   examples=[1], json_schema_extra={"maximum": lim.INT64_MAX})
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC), description="When it happened (UTC).")
    correlation_id: str | None = Field(default=None,
                                       description="Id shared by every message of one user request or saga.",
                                       json_schema_extra=lim.text(lim.CORRELATION_ID))
    causation_id: str | None = Field(default=None, description="event_id of the message that caused this one.",
                                        json_schema_extra=lim.text(lim.CORRELATION_ID))
    actor_id: str | None = Field(default=None, description="User who caused it, if any.",
                                    json_schema_extra=lim.text(lim.AGGREGATE_ID))
    payload: dict[str, Any] = Field(default_factory=dict, description="Type-specific body (see the payload schemas).")

    def to_bytes(self) -> bytes:
        """The Kafka message value."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse a Kafka message value; raises pydantic.ValidationError on anything else."""
        return cls.model_validate_json(raw)

    def kafka_key(self) -> bytes:
        """Partition key: all messages of one aggregate land on one partition, in order."""
        return self.aggregate_id.encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Routing headers, duplicated from the body."""
        headers = [("type", self.type), ("version", str(self.version)), ("event_id", str(self.event_id))]
        if self.correlation_id:
            headers.append(("correlation_id", self.correlation_id))
        return [(k, v.encode()) for k, v in headers]


def dumps(obj: Any) -> str:
    """JSON for golden samples and logs, stable key order."""
    return json.dumps(obj, sort_keys=True, indent=2, default=str)
