"""The registry: consumers parse what they know, skip what they do not, and evolution stays additive."""

import pytest
from pydantic import BaseModel, Field, ValidationError

from contracts import Envelope, parse_payload, payload_model, registered, registry, topics, wrap
from contracts.registry import message
from contracts.users import UserDisabled, UserRegistered

pytestmark = pytest.mark.unit

USER = "3f9c2b1e-7d4a-4c6b-9e1f-2a8d5c7b0e41"


def envelope(type_: str, version: int = 1, payload: dict | None = None) -> Envelope:
    return Envelope(type=type_, version=version, aggregate_id=USER, payload=payload or {})


def test_unknown_type_is_skipped_not_an_error():
    assert parse_payload(envelope("BookingTeleported", payload={"anything": 1})) is None


def test_unknown_version_of_a_known_type_is_skipped_until_the_consumer_upgrades():
    assert parse_payload(envelope("UserDisabled", version=99, payload={"totally": "different"})) is None


def test_known_type_with_a_broken_payload_raises_so_it_goes_to_the_dlq():
    with pytest.raises(ValidationError):
        parse_payload(envelope("UserDisabled", payload={"user_id": "not-a-uuid"}))


def test_known_type_parses_into_its_model():
    sent = UserDisabled(user_id=USER, disabled_at="2025-04-02T16:45:00Z", reason="fraud")

    received = parse_payload(wrap(sent, aggregate_id=USER, aggregate_version=3))

    assert received == sent


@pytest.mark.parametrize("key", sorted(registered()), ids=lambda k: f"{k[0]}.v{k[1]}")
def test_payload_models_ignore_unknown_fields(key):
    """Additive evolution relies on it: 'forbid' would reject newer producers, 'allow' would leak unknowns."""
    _, model = registered()[key]
    assert model.model_config.get("extra", "ignore") == "ignore"


@pytest.mark.parametrize("key", sorted(registered()), ids=lambda k: f"{k[0]}.v{k[1]}")
def test_every_message_is_on_a_known_topic_and_documents_itself(key):
    topic, model = registered()[key]
    assert topic in topics.EVENT_TOPICS + topics.COMMAND_TOPICS
    assert model.__doc__, f"{model.__name__} needs a one-line docstring saying what it is for"
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert not undocumented, f"{model.__name__} fields without Field(description=...): {undocumented}"


def test_a_second_model_cannot_take_an_existing_type_and_version():
    with pytest.raises(ValueError, match="UserRegistered v1 is already registered"):

        @message(topics.USERS)
        class UserRegistered(BaseModel):
            """A clashing redefinition."""

    assert payload_model("UserRegistered", 1) is registered()[("UserRegistered", 1)][1]


def test_a_new_version_is_published_side_by_side_under_the_same_type(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_TOPIC_OF", dict(registry._TOPIC_OF))

    @message(topics.USERS, 2, name="UserRegistered")
    class UserRegisteredV2(BaseModel):
        """v2 splits the name; v1 stays published for consumers that have not moved yet."""

        user_id: str = Field(description="The new user's id.")
        given_name: str = Field(description="Given name.")

    v2 = wrap(UserRegisteredV2(user_id=USER, given_name="Ada"), aggregate_id=USER)

    assert (v2.type, v2.version) == ("UserRegistered", 2)
    assert isinstance(parse_payload(v2), UserRegisteredV2)
    assert payload_model("UserRegistered", 1) is UserRegistered
