"""Where the tests' PostgreSQL and Kafka come from (deploy/test_infra.py): EP_INFRA and Docker detection decide
between the local clusters and testcontainers, and the containers are docker-compose's own. This machine has no
Docker, so the containers are checked as definitions, never started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from contracts.access import usernames

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # deploy/ is not installed
from deploy.test_infra import (  # noqa: E402
    InfraUnavailable,
    choose,
    container_env,
    docker_reachable,
    kafka_spec,
    postgres_spec,
    profile_env,
)

pytestmark = pytest.mark.unit


def docker(answers: bool):
    return lambda env: answers


@pytest.mark.parametrize(("env", "answers", "chosen"), [
    ({}, False, "local"),
    ({}, True, "containers"),
    ({"EP_INFRA": "auto"}, True, "containers"),
    ({"EP_INFRA": "auto"}, False, "local"),
    ({"EP_INFRA": "local"}, True, "local"),
    ({"EP_INFRA": " Containers "}, True, "containers"),
    ({"EP_INFRA": ""}, True, "containers"),
])
def test_ep_infra_and_detection_choose_the_infrastructure(env, answers, chosen):
    assert choose(env, docker(answers)) == chosen


def test_containers_without_docker_or_an_unknown_choice_stop_with_a_reason():
    with pytest.raises(InfraUnavailable, match="no Docker engine answers"):
        choose({"EP_INFRA": "containers"}, docker(False))
    with pytest.raises(InfraUnavailable, match="'podman'.*local, containers, auto"):
        choose({"EP_INFRA": "podman"}, docker(True))


@pytest.fixture
def unix_listener(tmp_path) -> Iterator[str]:
    path = str(tmp_path / "docker.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        yield path


@pytest.fixture
def tcp_listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_docker_host_is_probed_where_it_points(unix_listener, tcp_listener, tmp_path):
    assert docker_reachable({"DOCKER_HOST": f"unix://{unix_listener}"})
    assert not docker_reachable({"DOCKER_HOST": f"unix://{tmp_path}/absent.sock"})
    assert docker_reachable({"DOCKER_HOST": f"tcp://127.0.0.1:{tcp_listener}"})
    assert not docker_reachable({"DOCKER_HOST": f"tcp://127.0.0.1:{closed_port()}"})
    assert docker_reachable({"DOCKER_HOST": "ssh://builder@docker.example"})  # not probed: trusted


def test_without_docker_host_the_usual_sockets_are_probed(unix_listener, tmp_path):
    assert docker_reachable({}, sockets=[str(tmp_path / "none.sock"), unix_listener])
    assert not docker_reachable({}, sockets=[str(tmp_path / "none.sock")])
    stale = tmp_path / "stale.sock"  # a socket file nobody listens on (the daemon is down)
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(stale))
    assert not docker_reachable({}, sockets=[str(stale)])


def run_choice(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("EP_INFRA", "DOCKER_HOST")}
    return subprocess.run([sys.executable, "-m", "deploy.test_infra"], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True)


def test_run_tests_sh_asks_the_same_choice_on_the_command_line(tmp_path):
    nowhere = f"unix://{tmp_path}/absent.sock"
    assert run_choice(EP_INFRA="local").stdout.strip() == "local"
    assert run_choice(DOCKER_HOST=nowhere).stdout.strip() == "local"
    refused = run_choice(EP_INFRA="containers", DOCKER_HOST=nowhere)
    assert refused.returncode == 2 and "EP_INFRA=containers" in refused.stderr
    script = (ROOT / "deploy/run_tests.sh").read_text()
    assert ".venv/bin/python -m deploy.test_infra" in script


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


@pytest.fixture(scope="module")
def profile() -> dict[str, str]:
    return profile_env({k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "POSTGRES_"))})


def test_postgres_container_is_composes_postgres(compose, profile):
    spec, service = postgres_spec(profile), compose["postgres"]
    assert spec.image == service["image"] == "postgres:15"
    assert spec.command == service["command"]
    assert spec.env == {"POSTGRES_USER": "eventplanner", "POSTGRES_PASSWORD": profile["POSTGRES_PASSWORD"]}
    assert spec.ports == {5432: None}  # any free host port
    [(host, inside, mode)] = spec.volumes
    assert f"{inside}:{mode}" in {v.split(":", 1)[1] for v in service["volumes"]}
    assert {p.name for p in Path(host).glob("*.sql")} == {"10-databases.sql"}


def test_kafka_container_is_composes_broker_with_the_local_sasl_users(compose, profile):
    spec, service = kafka_spec(profile, usernames(), "10.0.0.7:41234"), compose["kafka"]
    assert spec.image == service["image"] == "apache/kafka:4.1.1"
    assert spec.command == service["command"]
    assert spec.env["KAFKA_PRINCIPALS"].split() == service["environment"]["KAFKA_PRINCIPALS"].split() \
        == list(usernames())
    for name in usernames():  # the passwords deploy/env.sh gives the tests' clients
        assert spec.env[f"KAFKA_{name.upper()}_PASSWORD"] == profile[f"KAFKA_{name.upper()}_PASSWORD"]
    assert spec.env["KAFKA_HOST_ADVERTISED"] == "10.0.0.7:41234"
    assert spec.ports == {29092: 41234}  # bound to the advertised port, so clients find the broker again
    [(script, inside, mode)] = spec.volumes
    assert mode == "ro"
    assert f"./deploy/kafka/compose-kafka.sh:{inside}:ro" in service["volumes"]
    text = Path(script).read_text()
    assert spec.hostname == "kafka" and "controller.quorum.voters=1@kafka:9093" in text
    assert "HOST://${KAFKA_HOST_ADVERTISED:-localhost:29092}" in text  # compose's own "29092:29092" by default
    assert "29092:29092" in service["ports"][0]


def test_the_tests_are_pointed_at_the_containers_as_external_infrastructure():
    env = container_env(("10.0.0.7", 49153), "10.0.0.7:41234")
    assert env["POSTGRES_HOST"] == "10.0.0.7" and env["POSTGRES_PORT"] == env["PG_PORT"] == "49153"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "10.0.0.7:41234"
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT" and env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    # deploy/postgres.sh and kafka.sh then only create databases, topics and ACLs: no local cluster beside them.
    assert env["EXTERNAL_POSTGRES"] == env["EXTERNAL_KAFKA"] == "1" and env["EP_INFRA"] == "containers"
