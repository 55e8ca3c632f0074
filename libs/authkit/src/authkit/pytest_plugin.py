"""Pytest fixtures for services' API tests: a token issuer and one caller per default role.

Loaded for the whole repository by the root conftest.py; a service's own conftest may override any of them.
"""

from __future__ import annotations

import pytest

from authkit.testing import Caller, TestIssuer, caller


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    """Signs the tokens of this module's callers; the app under test is built with `issuer.verifier()`."""
    return TestIssuer()


@pytest.fixture
def admin(issuer: TestIssuer) -> Caller:
    return caller(issuer, "admin")


@pytest.fixture
def organizer(issuer: TestIssuer) -> Caller:
    return caller(issuer, "organizer")


@pytest.fixture
def support(issuer: TestIssuer) -> Caller:
    return caller(issuer, "support")


@pytest.fixture
def participant(issuer: TestIssuer) -> Caller:
    return caller(issuer, "participant")
