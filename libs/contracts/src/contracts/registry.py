"""Which payload model belongs to which (type, version), so consumers can parse and ignore the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.envelope import Envelope

_REGISTRY: dict[tuple[str, int], type[BaseModel]] = {}
_TOPIC_OF: dict[tuple[str, int], str] = {}
_KEY_OF: dict[type[BaseModel], tuple[str, int]] = {}

M = TypeVar("M", bound=type[BaseModel])


def message(topic: str, version: int = 1, *, name: str | None = None) -> Callable[[M], M]:
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
        _KEY_OF[cls] = key
        cls.message_type = key[0]  # type: ignore[attr-defined]
        cls.message_version = version  # type: ignore[attr-defined]
        cls.topic = topic  # type: ignore[attr-defined]
        return cls

    return register


def message_type(model: type[BaseModel] | BaseModel) -> str:
    """The registered type name of a payload model (or of an instance's model), as `Envelope.type` carries it."""
    return _KEY_OF[model if isinstance(model, type) else type(model)][0]


def message_version(model: type[BaseModel] | BaseModel) -> int:
    """The registered version of a payload model (or of an instance's model)."""
    return _KEY_OF[model if isinstance(model, type) else type(model)][1]


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


def wrap(payload: BaseModel, *, aggregate_id: str, aggregate_version: int = 0, **fields: Any) -> Envelope:
    """Put a registered payload model into an envelope."""
    return Envelope(
        type=message_type(payload),
        version=message_version(payload),
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        payload=payload.model_dump(mode="json"),
        **fields,
    )
