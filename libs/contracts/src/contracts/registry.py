"""Which payload model belongs to which (type, version), so consumers can parse and ignore the rest."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from contracts.envelope import Envelope

_REGISTRY: dict[tuple[str, int], type[BaseModel]] = {}
_TOPIC_OF: dict[tuple[str, int], str] = {}

M = TypeVar("M", bound=type[BaseModel])


def message(topic: str, version: int = 1, *, name: str | None = None):
    """Class decorator: register a payload model as type `name` (default: its class name) and `version` on `topic`.

    `name` lets a new version live beside the old one: `@message(topics.USERS, 2, name="UserRegistered")`
    on `class UserRegisteredV2`.
    """

    def register(cls: M) -> M:
        key = (name or cls.__name__, version)
        known = _REGISTRY.get(key)
        # Two models under one (type, version) would make consumers parse with whichever came last.
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"{key[0]} v{version} is already registered by {known.__module__}.{known.__qualname__}")
        _REGISTRY[key] = cls
        _TOPIC_OF[key] = topic
        cls.message_type = key[0]  # type: ignore[attr-defined]
        cls.message_version = version  # type: ignore[attr-defined]
        cls.topic = topic  # type: ignore[attr-defined]
        return cls

    return register


def payload_model(type_: str, version: int = 1) -> type[BaseModel] | None:
    """The model for a message type, or None when this code does not know it (consumers skip it)."""
    return _REGISTRY.get((type_, version))


def parse_payload(envelope: Envelope) -> BaseModel | None:
    """Validate an envelope's payload against its registered model; None for unknown types."""
    model = payload_model(envelope.type, envelope.version)
    return None if model is None else model.model_validate(envelope.payload)


def registered() -> dict[tuple[str, int], tuple[str, type[BaseModel]]]:
    """Every known message: (type, version) -> (topic, model). Used for docs and golden tests."""
    return {key: (_TOPIC_OF[key], model) for key, model in _REGISTRY.items()}


def wrap(payload: BaseModel, *, aggregate_id: str, aggregate_version: int = 0, **fields) -> Envelope:
    """Put a registered payload model into an envelope."""
    return Envelope(
        type=payload.message_type,  # type: ignore[attr-defined]
        version=payload.message_version,  # type: ignore[attr-defined]
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        payload=payload.model_dump(mode="json"),
        **fields,
    )
