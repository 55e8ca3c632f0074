"""Which system the CLI talks to: deploy/env.sh's profiles, and the environment the services read wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

SHOW = ("from planner_ops.config import Ops, load_profile; import json, sys; "
        "ops = Ops(load_profile(sys.argv[1] or None)); s = ops.settings; "
        "print(json.dumps({'profile': ops.profile, 'pg': s.postgres_port, 'kafka': s.kafka_bootstrap_servers, "
        "'user': s.kafka_username, 'writer': ops.writer().kafka_username, 'bookings': ops.database('bookings')}))")


def settings_for(profile: str, **env: str) -> dict:
    clean = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}  # nothing of any profile
    done = subprocess.run([sys.executable, "-c", SHOW, profile], capture_output=True, text=True,
                          env={**clean, **env}, check=True)
    return json.loads(done.stdout)


def test_the_run_profile_is_the_default_and_reads_as_the_ops_principal():
    assert settings_for("") == {"profile": "run", "pg": 55432, "kafka": "127.0.0.1:59092", "user": "ops",
                                "writer": "admin", "bookings": "bookings"}


def test_profile_test_finds_the_test_ports():
    got = settings_for("test")
    assert (got["profile"], got["pg"], got["kafka"]) == ("test", 56432, "127.0.0.1:59192")


def test_ep_profile_chooses_when_no_option_is_given_and_set_variables_win():
    got = settings_for("", EP_PROFILE="test", POSTGRES_PORT="57999", KAFKA_BOOTSTRAP_SERVERS="10.0.0.5:9092",
                       BOOKINGS_DATABASE="bookings_blue")
    assert (got["profile"], got["pg"], got["kafka"], got["bookings"]) == ("test", 57999, "10.0.0.5:9092",
                                                                           "bookings_blue")
