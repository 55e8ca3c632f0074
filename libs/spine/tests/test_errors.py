"""Which failures are worth waiting for: the classification the consumer acts on."""

from __future__ import annotations

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError
from eventsourcing.persistence import IntegrityError, OperationalError
from pydantic import BaseModel, ValidationError

from spine.consumer import Backoff
from spine.errors import Failure, Poison, Transient, classify

pytestmark = pytest.mark.unit


class Strict(BaseModel):
    n: int


def contract_violation() -> ValidationError:
    try:
        Strict(n="many")
    except ValidationError as exc:
        return exc
    raise AssertionError


class ProviderDown(Transient):
    pass


class RuleThatNeverPasses(Exception):
    transient = False


@pytest.mark.parametrize("exc", [IntegrityError("version conflict"), OperationalError("server closed"),
                                 psycopg.OperationalError("connection refused"), ConnectionResetError(),
                                 TimeoutError(), KafkaConnectionError(), ProviderDown("503")])
def test_outages_and_version_conflicts_are_transient(exc):
    assert classify(exc) is Failure.TRANSIENT


@pytest.mark.parametrize("exc", [contract_violation(), Poison("never"), RuleThatNeverPasses(),
                                 psycopg.DataError("value too long"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "x")])
def test_decode_errors_contract_violations_and_rules_that_never_pass_are_poison(exc):
    assert classify(exc) is Failure.POISON


def test_anything_else_is_unknown_and_tried_a_few_times_first():
    assert classify(KeyError("surprise")) is Failure.UNKNOWN
    assert Backoff().unknown_attempts > 1


def test_backoff_grows_and_is_capped():
    backoff = Backoff(first=0.1, cap=5.0)
    assert backoff.delay(1) <= 0.1
    assert 2.5 <= backoff.delay(20) <= 5.0
