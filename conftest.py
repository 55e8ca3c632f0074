"""Fixtures shared by every service's tests (a token issuer and callers per role: authkit.pytest_plugin), and
the session's PostgreSQL and Kafka: in containers where Docker answers or EP_INFRA=containers, otherwise the
local clusters deploy/run_tests.sh started (the choice: deploy/test_infra.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the repository root: deploy/ is not installed

from deploy import test_infra  # noqa: E402

pytest_plugins = ["authkit.pytest_plugin"]

_containers: test_infra.Containers | None = None


def pytest_configure(config) -> None:
    """Before any test reads the environment: start the containers and point the environment at them."""
    global _containers
    if test_infra.choose(os.environ) == "containers" and _containers is None:
        env = test_infra.profile_env(os.environ)
        _containers = test_infra.Containers(env)
        os.environ.update({**env, **_containers.start()})


def pytest_unconfigure(config) -> None:
    global _containers
    if _containers is not None:
        _containers.stop()
        _containers = None
