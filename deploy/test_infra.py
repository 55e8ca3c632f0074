"""Which PostgreSQL and Kafka the tests use — the one place that decides (deploy/run_tests.sh and the root
conftest.py both ask it).

* `EP_INFRA=local`: the local clusters that deploy/postgres.sh and deploy/kafka.sh run (started by
  run_tests.sh); the tests reach them through the environment deploy/env.sh exports.
* `EP_INFRA=containers`: the test session starts PostgreSQL and Kafka with testcontainers — the images of
  docker-compose.yml, the broker set up by the same deploy/kafka/compose-kafka.sh (SASL/SCRAM, a user per
  principal, ACLs) — and points the environment at them before any test reads it. They are removed at the end.
* unset or `auto`: `containers` where a Docker engine answers (DOCKER_HOST, or the usual sockets), else `local`.

To the deploy scripts the containers are external infrastructure (EXTERNAL_POSTGRES/EXTERNAL_KAFKA=1): a
`kafka.sh up` only (re)applies topics and ACLs, and never starts a local broker beside them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
Mode = Literal["local", "containers"]
MODES = ("local", "containers", "auto")
DOCKER_SOCKETS = ("/var/run/docker.sock", "~/.docker/run/docker.sock", "$XDG_RUNTIME_DIR/docker.sock")
POSTGRES_PORT, KAFKA_HOST_PORT = 5432, 29092  # inside the containers (docker-compose.yml)


class InfraUnavailable(RuntimeError):
    """Raised when EP_INFRA names infrastructure that cannot be had (containers without a Docker engine)."""


def docker_reachable(env: Mapping[str, str], sockets: Iterable[str] = DOCKER_SOCKETS,
                     timeout: float = 1.0) -> bool:
    """Whether a Docker engine answers: DOCKER_HOST's address if set, else the first usual socket that exists."""
    host = env.get("DOCKER_HOST", "").strip()
    if host:
        url = urlparse(host)
        if url.scheme == "unix":
            return _connects(socket.AF_UNIX, url.path, timeout)
        if url.scheme in ("tcp", "http", "https") and url.hostname:
            return _connects(socket.AF_INET, (url.hostname, url.port or 2375), timeout)
        return url.scheme in ("ssh", "npipe")  # reachable only through a client we do not probe: trust it
    for candidate in sockets:
        path = os.path.expanduser(candidate.replace("$XDG_RUNTIME_DIR", env.get("XDG_RUNTIME_DIR", "/nonexistent")))
        if os.path.exists(path):
            return _connects(socket.AF_UNIX, path, timeout)
    return False


def _connects(family: int, address: Any, timeout: float) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(address)
        return True
    except OSError:
        return False


def choose(env: Mapping[str, str], reachable: Callable[[Mapping[str, str]], bool] = docker_reachable) -> Mode:
    """The infrastructure for this test run, from EP_INFRA (local | containers | auto, the default)."""
    wanted = env.get("EP_INFRA", "").strip().lower() or "auto"
    if wanted not in MODES:
        raise InfraUnavailable(f"EP_INFRA={env['EP_INFRA']!r}: use one of {', '.join(MODES)}")
    if wanted == "local":
        return "local"
    if reachable(env):
        return "containers"
    if wanted == "containers":
        raise InfraUnavailable("EP_INFRA=containers, but no Docker engine answers (DOCKER_HOST or "
                               "/var/run/docker.sock); use EP_INFRA=local for the local clusters")
    return "local"


@dataclass(frozen=True)
class ContainerSpec:
    """What testcontainers starts: plain data, so the definitions are checked without a Docker engine."""

    image: str
    command: list[str]
    env: dict[str, str]
    ports: dict[int, int | None]  # container port -> host port (None: any free one)
    volumes: list[tuple[str, str, str]] = field(default_factory=list)  # host path, container path, mode
    hostname: str | None = None


def postgres_spec(env: Mapping[str, str]) -> ContainerSpec:
    """docker-compose's `postgres`: one database per service (deploy/postgres-init), 400 connections."""
    return ContainerSpec(
        image="postgres:15", command=["postgres", "-c", "max_connections=400"],
        env={"POSTGRES_USER": env.get("POSTGRES_USER", "eventplanner"),
             "POSTGRES_PASSWORD": env.get("POSTGRES_PASSWORD", "eventplanner")},
        ports={POSTGRES_PORT: None},
        volumes=[(str(ROOT / "deploy/postgres-init"), "/docker-entrypoint-initdb.d", "ro")])


def kafka_spec(env: Mapping[str, str], principals: Iterable[str], advertised: str) -> ContainerSpec:
    """docker-compose's `kafka`, run by compose-kafka.sh: SCRAM users for `principals` with the passwords of
    deploy/env.sh (KAFKA_<PRINCIPAL>_PASSWORD), its host listener advertised as `advertised` (host:port),
    which must be the address the tests reach (the port is bound to the same number on the host)."""
    names = list(principals)
    passwords = {f"KAFKA_{n.upper()}_PASSWORD": env.get(f"KAFKA_{n.upper()}_PASSWORD", f"{n}-dev-password")
                 for n in names}
    return ContainerSpec(
        image="apache/kafka:4.1.1", command=["sh", "/opt/event-planner/compose-kafka.sh"],
        env={**passwords, "KAFKA_PRINCIPALS": " ".join(names), "KAFKA_HOST_ADVERTISED": advertised},
        ports={KAFKA_HOST_PORT: int(advertised.rsplit(":", 1)[1])},
        volumes=[(str(ROOT / "deploy/kafka/compose-kafka.sh"), "/opt/event-planner/compose-kafka.sh", "ro")],
        hostname="kafka")  # the broker's controller quorum names itself `kafka` (as in compose)


def container_env(postgres: tuple[str, int], kafka: str) -> dict[str, str]:
    """The variables that point the tests (and the processes e2e tests start) at the containers."""
    host, port = postgres
    return {"EP_INFRA": "containers", "POSTGRES_HOST": host, "POSTGRES_PORT": str(port), "PG_PORT": str(port),
            "KAFKA_BOOTSTRAP_SERVERS": kafka, "EXTERNAL_POSTGRES": "1", "EXTERNAL_KAFKA": "1",
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}


def profile_env(env: Mapping[str, str]) -> dict[str, str]:
    """What deploy/env.sh exports for the test profile (principals' passwords, ports), keeping `env`'s values."""
    out = subprocess.run(["bash", "-c", "source deploy/env.sh && env -0"], cwd=ROOT,
                         env={**env, "EP_PROFILE": "test"}, capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Containers:
    """PostgreSQL and Kafka in containers for one test session (needs Docker; not run on this project's CI)."""

    def __init__(self, env: Mapping[str, str]):
        self.env = dict(env)
        self.started: list[Any] = []

    def start(self) -> dict[str, str]:
        """Start both, wait until they serve, create topics and ACLs; returns the variables to export."""
        from testcontainers.core.docker_client import DockerClient

        from contracts.access import usernames

        host = DockerClient().host()

        pg = self._run(postgres_spec(self.env))
        pg_port = int(pg.get_exposed_port(POSTGRES_PORT))
        kafka_address = f"{host}:{free_port()}"
        self._run(kafka_spec(self.env, usernames(), kafka_address))
        exported = container_env((host, pg_port), kafka_address)
        self._wait_for_postgres({**self.env, **exported})
        # Topics and ACLs exactly as for the local broker: kafka.sh with EXTERNAL_KAFKA=1 (retries until it answers).
        subprocess.run(["bash", "deploy/kafka.sh", "up"], cwd=ROOT, env={**self.env, **exported}, check=True)
        return exported

    def _run(self, spec: ContainerSpec) -> Any:
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(spec.image, command=spec.command, env=dict(spec.env), volumes=spec.volumes,
                                    **({"hostname": spec.hostname} if spec.hostname else {}))
        for inside, outside in spec.ports.items():
            container.with_bind_ports(inside, outside)
        self.started.append(container.start())
        return container

    @staticmethod
    def _wait_for_postgres(env: Mapping[str, str], timeout: float = 120.0) -> None:
        import psycopg

        conninfo = (f"host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} dbname=notifications "
                    f"user={env.get('POSTGRES_USER', 'eventplanner')} "
                    f"password={env.get('POSTGRES_PASSWORD', 'eventplanner')}")
        deadline = time.monotonic() + timeout
        while True:  # the image runs its init scripts on a socket-only server first: TCP answers once they ran
            try:
                psycopg.connect(conninfo, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        for container in reversed(self.started):
            container.stop()
        self.started.clear()


if __name__ == "__main__":  # `python -m deploy.test_infra mode`: what run_tests.sh asks
    try:
        print(choose(os.environ))
    except InfraUnavailable as exc:
        print(f"test_infra: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
