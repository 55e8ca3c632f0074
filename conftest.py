"""Fixtures shared by every service's tests (a token issuer and callers per role: authkit.pytest_plugin)."""

pytest_plugins = ["authkit.pytest_plugin"]
