"""ENVIRONMENT=production refuses the notifications service's development defaults at start-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spine.settings import UnsafeConfiguration

from notifications_service.settings import Settings

pytestmark = pytest.mark.unit

SAFE = {"unsubscribe_secret": "u" * 40, "public_url": "https://planner.example.org"}


def test_development_accepts_the_defaults():
    Settings(environment="development").check_startup()


def test_production_refuses_the_default_unsubscribe_key_and_a_plain_http_public_url():
    with pytest.raises(UnsafeConfiguration) as refused:
        Settings(environment="production").check_startup()
    reasons = refused.value.reasons
    assert [r.split(" ")[0] for r in reasons] == ["UNSUBSCRIBE_SECRET", "PUBLIC_URL=http://127.0.0.1:8000"]
    assert "dev-unsubscribe-secret" not in str(refused.value)


def test_production_refuses_a_short_unsubscribe_key():
    with pytest.raises(UnsafeConfiguration, match="UNSUBSCRIBE_SECRET is shorter than 32"):
        Settings(environment="production", **{**SAFE, "unsubscribe_secret": "short"}).check_startup()


def test_production_starts_with_real_settings():
    Settings(environment="production", **SAFE).check_startup()


@pytest.mark.parametrize("script", ["notifications-api", "notifications-worker"])
def test_the_processes_exit_at_once_naming_what_to_fix(script):
    exe = Path(sys.executable).parent / script
    exe = exe if exe.exists() else Path(shutil.which(script) or script)
    env = {k: v for k, v in os.environ.items() if k not in ("UNSUBSCRIBE_SECRET", "PUBLIC_URL")}
    env["ENVIRONMENT"] = "production"
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "refusing to start with ENVIRONMENT=production" in done.stderr
    assert "  - UNSUBSCRIBE_SECRET is the default" in done.stderr and "Traceback" not in done.stderr
