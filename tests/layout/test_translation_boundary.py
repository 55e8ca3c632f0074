"""The translation boundary (README "Layout", CONTRIBUTING): public messages are mapped at the edge only.

`consumers/` maps messages in (`to_domain`), `public.py` maps internal events out (`to_public`); `domain/`
never imports a contract message module, so a contract change cannot reach a business rule unnoticed.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import contracts
from contracts import registered

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p for p in (ROOT / "services").glob("*/src/*_service") if p.is_dir())


def message_modules() -> set[str]:
    """The contract modules that declare messages (contracts.events, contracts.payments, ...)."""
    for info in pkgutil.iter_modules(contracts.__path__):
        importlib.import_module(f"contracts.{info.name}")
    return {model.__module__ for _, model in registered().values()}


def imported(path: Path) -> set[str]:
    """Every module a file imports (`from contracts import events` counts as contracts.events)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def defines(path: Path, name: str) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in ast.parse(path.read_text()).body)


def test_the_services_are_found():
    assert {p.name for p in SERVICES} == {"users_service", "events_service", "bookings_service",
                                         "payments_service", "notifications_service"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_the_domain_imports_no_contract_message(service):
    messages = message_modules()
    offenders = {str(path.relative_to(ROOT)): sorted(imported(path) & messages)
                 for path in sorted((service / "domain").rglob("*.py")) if imported(path) & messages}
    assert offenders == {}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_public_py_translates_out_with_to_public(service):
    assert defines(service / "public.py", "to_public")


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_a_consumer_that_reads_messages_translates_them_with_to_domain(service):
    messages = message_modules()
    readers = [path for path in sorted((service / "consumers").glob("*.py")) if imported(path) & messages]
    assert [str(p.relative_to(ROOT)) for p in readers if not defines(p, "to_domain")] == []
