"""Which system the CLI talks to: a profile of deploy/env.sh (run by default), or whatever the environment says.

The services read their infrastructure from the environment (`spine.settings.InfraSettings`: POSTGRES_*,
KAFKA_*); deploy/env.sh fills in a profile's ports and passwords without overriding a variable that is
already set. So the CLI sources the same file for `--profile` (EP_PROFILE when not given, else `run`) and then
reads the same settings the services do: `--profile test` finds the test profile's ports, and exported
variables (another machine, a CI job, your own ports) win exactly as they do for `make run`.

Kafka principals (contracts.access): reading commands (lag, tail, dlq list) use $KAFKA_USERNAME, which env.sh
sets to the read-only `ops` principal in the run profile. Commands that write into a service's topics
(republish, dlq retry) repair what a service would have written, which no service principal may do for
another: they authenticate as the super user ($KAFKA_ADMIN_USERNAME / $KAFKA_ADMIN_PASSWORD, which env.sh
sets locally), and fall back to $KAFKA_USERNAME when those are not set.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from contracts.access import SERVICES
from spine.settings import InfraSettings

from planner_ops.errors import OpsError


def repo_root() -> Path | None:
    """The checkout this CLI runs from (EP_ROOT, or the one holding this package), if it has deploy/env.sh."""
    candidates = [Path(os.environ["EP_ROOT"])] if os.environ.get("EP_ROOT") else []
    candidates += [Path(__file__).resolve().parents[3], Path.cwd()]
    return next((c for c in candidates if (c / "deploy" / "env.sh").is_file()), None)


def load_profile(profile: str | None) -> str:
    """Export the profile's variables (deploy/env.sh semantics: what is already set wins); returns its name."""
    name = profile or os.environ.get("EP_PROFILE") or "run"
    if name not in ("run", "test"):
        raise OpsError(f"unknown profile {name!r}: use run or test (or set the variables yourself)")
    root = repo_root()
    if root is None:
        return name  # an installed tool without the repository: the environment alone says where things are
    script = 'set -a; source "$1" >/dev/null; set +a; env -0'
    done = subprocess.run(["bash", "-c", script, "env.sh", str(root / "deploy" / "env.sh")],
                          env={**os.environ, "EP_PROFILE": name}, capture_output=True, check=False)
    if done.returncode != 0:
        raise OpsError(f"deploy/env.sh failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    for item in done.stdout.split(b"\0"):
        key, sep, value = item.decode(errors="replace").partition("=")
        if sep and key.isidentifier() and not key.startswith(("BASH", "SHLVL", "_")):
            os.environ[key] = value
    return name


@dataclass
class Ops:
    """What every command needs: the infrastructure settings and the service databases."""

    profile: str
    settings: InfraSettings = field(default_factory=InfraSettings)

    def writer(self) -> InfraSettings:
        """Settings for commands that write into services' topics: the super user when its password is set."""
        user, password = os.environ.get("KAFKA_ADMIN_USERNAME"), os.environ.get("KAFKA_ADMIN_PASSWORD")
        if user and password:
            return self.settings.model_copy(update={"kafka_username": user, "kafka_password": SecretStr(password)})
        return self.settings

    @staticmethod
    def services() -> tuple[str, ...]:
        """Every service with a principal (contracts.access), i.e. every service with its own database."""
        return tuple(SERVICES)

    @staticmethod
    def database(service: str) -> str:
        """A service's database: <SERVICE>_DATABASE as its Settings read it, else the service's name."""
        if service not in SERVICES:
            raise OpsError(f"unknown service {service!r}: one of {', '.join(SERVICES)}")
        return os.environ.get(f"{service.upper()}_DATABASE", service)

    def where(self) -> str:
        s = self.settings
        return f"PostgreSQL {s.postgres_host}:{s.postgres_port}, Kafka {s.kafka_bootstrap_servers}"
