"""Every error a service can answer with has a stable `type` (/docs/problems#<slug>) and a human title, and the
page the gateway serves at /docs/problems has an anchor for each (generated: python -m deploy.problems_page)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: deploy/ is not installed
from webkit import Problem, install_problem_handlers  # noqa: E402
from webkit.problems import PROBLEMS_PAGE, error_slug, humanise, is_error_name, slug_of  # noqa: E402

from deploy.problems_page import PAGE, SERVICES, page, service_kinds  # noqa: E402

pytestmark = pytest.mark.unit

ANCHORS = set(re.findall(r'<section id="([^"]+)"', PAGE.read_text(encoding="utf-8")))


def subclasses(cls: type) -> list[type]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))]


def domain_errors(service: str) -> dict:
    import importlib
    return importlib.import_module(f"{service}_service.main").DOMAIN_ERRORS


def emitted(domain_errors_map, error: Exception):
    app = FastAPI()
    install_problem_handlers(app, domain_errors_map)

    @app.post("/boom")
    def boom() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        return client.post("/boom").json()


def test_the_page_is_up_to_date():
    assert PAGE.read_text(encoding="utf-8") == page(), "run: .venv/bin/python -m deploy.problems_page"


@pytest.mark.parametrize("service", SERVICES)
def test_every_type_a_service_emits_has_an_anchor_and_a_human_title(service):
    errors = domain_errors(service)
    for mapped in errors:
        for cls in subclasses(mapped):
            try:
                error = cls("something went wrong")
            except Exception:  # an error built from structured arguments: its message does not matter here
                error = cls.__new__(cls)
                Exception.__init__(error, "something went wrong")
            body = emitted(errors, error)
            page_path, _, slug = body["type"].partition("#")
            assert page_path == PROBLEMS_PAGE and slug in ANCHORS, (cls, body)
            assert not is_error_name(body["title"]), body
    for kind in service_kinds()[service]:  # including the named refusals its routes raise
        assert kind.slug in ANCHORS and not is_error_name(kind.title), kind


def test_a_domain_error_answers_with_its_slug_and_title():
    class SeatsUnavailable(Exception):
        """Raised when an event has fewer free seats than asked for."""

    body = emitted({SeatsUnavailable: 409}, SeatsUnavailable("no seats"))
    assert (body["type"], body["title"], body["detail"]) == ("/docs/problems#seats-unavailable", "Seats unavailable",
                                                             "no seats")


def test_a_route_refusal_named_in_camel_case_gets_a_type_too():
    problem = Problem(403, "NotPaymentOwner", "someone else's")
    assert (problem.type, problem.title) == ("/docs/problems#not-payment-owner", "Not payment owner")
    assert Problem(403, "Forbidden").type == "about:blank"


def test_slugs_and_titles_read_well():
    assert slug_of("EmailAlreadyRegistered") == "email-already-registered"
    assert humanise("EmailAlreadyRegistered") == "Email already registered"
    assert slug_of("InvalidHTTPHeader") == "invalid-http-header"
    assert error_slug(type("X", (Exception,), {"problem_slug": "custom"})) == "custom"
