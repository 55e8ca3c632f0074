"""ENVIRONMENT=production refuses the development defaults at start-up, one line per reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from spine.settings import UnsafeConfiguration

from users_service.settings import Settings

pytestmark = pytest.mark.unit

SAFE = {"secret_key": "k" * 48, "admin_password": "a sturdy admin passphrase 42"}


def test_development_accepts_the_defaults():
    Settings(environment="development").check_startup()
    assert Settings().environment == "development"


def test_production_refuses_each_default_secret_with_its_own_line():
    with pytest.raises(UnsafeConfiguration) as refused:
        Settings(environment="Production").check_startup()
    reasons = refused.value.reasons
    assert len(reasons) == 2 and all("\n" not in r for r in reasons)
    assert reasons[0].startswith("SECRET_KEY is the default") and reasons[1].startswith("ADMIN_PASSWORD is the default")
    assert "change_me" in str(refused.value) and "admin-change-me" not in str(refused.value)


@pytest.mark.parametrize(("override", "expected"), [
    ({"secret_key": "short-but-not-default"}, "SECRET_KEY is shorter than 32"),
    ({"admin_password": "password1"}, "ADMIN_PASSWORD is unsafe: password is too weak"),
])
def test_production_refuses_a_short_secret_and_a_weak_admin_password(override, expected):
    with pytest.raises(UnsafeConfiguration) as refused:
        Settings(environment="production", **{**SAFE, **override}).check_startup()
    assert [r for r in refused.value.reasons if r.startswith(expected)]


def test_production_starts_with_real_secrets():
    Settings(environment="production", **SAFE).check_startup()


def test_hs256_is_refused_in_every_environment_with_a_reason():
    for environment in ("development", "production"):
        with pytest.raises(ValidationError, match="ALGORITHM=HS256 is not supported"):
            Settings(environment=environment, algorithm="HS256", **SAFE)


@pytest.mark.parametrize("script", ["users-api", "users-worker"])
def test_the_processes_exit_at_once_naming_what_to_fix(script):
    exe = Path(sys.executable).parent / script
    if not exe.exists():
        exe = Path(shutil.which(script) or script)
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ADMIN_PASSWORD")}
    env["ENVIRONMENT"] = "production"
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "refusing to start with ENVIRONMENT=production" in done.stderr
    assert "  - SECRET_KEY is the default" in done.stderr and "  - ADMIN_PASSWORD is the default" in done.stderr
    assert "Traceback" not in done.stderr


def test_hs256_ends_the_process_with_one_line_and_no_traceback():
    exe = Path(sys.executable).parent / "users-api"
    exe = exe if exe.exists() else Path(shutil.which("users-api") or "users-api")
    env = {**os.environ, "ENVIRONMENT": "production", "ALGORITHM": "HS256", "SECRET_KEY": "s3cr3t-value-never-printed"}
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "  - ALGORITHM: Value error, ALGORITHM=HS256 is not supported" in done.stderr
    assert "Traceback" not in done.stderr and "s3cr3t" not in done.stderr
