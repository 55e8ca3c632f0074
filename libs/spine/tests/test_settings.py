"""Every Kafka client takes its security from InfraSettings: SASL by default, and a clear error without a
principal (rather than an anonymous connection the broker refuses after a timeout)."""

from __future__ import annotations

import pytest
from faststream.kafka.security import parse_security
from faststream.security import SASLScram512

from spine.settings import InfraSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def no_kafka_env(monkeypatch):
    for name in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_USERNAME", "KAFKA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_a_principal_from_the_environment_becomes_scram_options_for_aiokafka_and_faststream(monkeypatch):
    monkeypatch.setenv("KAFKA_USERNAME", "bookings")
    monkeypatch.setenv("KAFKA_PASSWORD", "s3cret")
    s = InfraSettings()
    expected = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_plain_username": "bookings", "sasl_plain_password": "s3cret"}
    assert s.kafka_client_options() == expected
    security = s.kafka_security()
    assert isinstance(security, SASLScram512)
    assert {k: v for k, v in parse_security(security).items() if k != "ssl_context"} == expected
    assert "s3cret" not in repr(s)


def test_sasl_without_a_principal_is_refused_with_the_variables_to_set():
    with pytest.raises(ValueError, match="KAFKA_USERNAME and KAFKA_PASSWORD"):
        InfraSettings().kafka_client_options()


def test_an_external_broker_without_security_needs_no_principal():
    s = InfraSettings(kafka_security_protocol="PLAINTEXT")
    assert s.kafka_client_options() == {"security_protocol": "PLAINTEXT"}
    assert s.kafka_security() is None


def test_sasl_ssl_brings_a_tls_context():
    s = InfraSettings(kafka_security_protocol="SASL_SSL", kafka_username="ops", kafka_password="x")
    options = s.kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["ssl_context"] is not None
    assert parse_security(s.kafka_security())["security_protocol"] == "SASL_SSL"
