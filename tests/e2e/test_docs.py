"""The API as a developer meets it through the gateway: every service's Swagger UI renders in a real headless
Chromium that can reach nothing but the gateway; one title scheme; the Authorize dialog says "e-mail";
`OPTIONS` names each path's real methods; a browser page on another origin can call the API (CORS); and the
README's routes and quick-start are true of the running system."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Browser, Page, chromium, require_chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # deploy.demo_data
SERVICES = ("users", "events", "bookings", "payments", "notifications")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@pytest.fixture(scope="module")
def documents(gateway) -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, as the gateway serves it."""
    docs = {}
    for service in SERVICES:
        r = gateway.get(f"/docs/{service}/openapi.json")
        assert r.status_code == 200, (service, r.text)
        docs[service] = r.json()
    return docs


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(require_chromium()) as b:
        yield b


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh tab, closed afterwards (Swagger UI tabs are heavy)."""
    tab = browser.new_page()
    yield tab
    tab.close()


def origin_of(gateway) -> str:
    """http://127.0.0.1:<port>, without a trailing slash."""
    return str(gateway.base_url).rstrip("/")


def operations(document: dict[str, Any]) -> int:
    return sum(1 for item in document["paths"].values() for method in item if method in METHODS)


# --- the docs pages ------------------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_swagger_ui_renders_every_operation_with_no_network_but_the_gateway(gateway, documents, page, service):
    page.goto(f"{origin_of(gateway)}/docs/{service}/")
    expected = operations(documents[service])
    rendered = page.wait_for(f"(n => n >= {expected} && n)(document.querySelectorAll('.opblock').length)")
    assert rendered == expected
    assert page.evaluate("document.title") == f"Event Planner — {service}"
    assert page.evaluate("document.querySelector('.info .title').textContent").startswith(f"Event Planner — {service}")
    outside = [url for url in page.requests if not url.startswith(origin_of(gateway) + "/")]
    assert outside == [], "the docs page asked for something beyond the gateway"


def test_the_authorize_dialog_says_the_username_is_the_email(gateway, page):
    page.goto(f"{origin_of(gateway)}/docs/bookings/")
    page.wait_for("!!document.querySelector('.btn.authorize')")
    page.evaluate("document.querySelector('.btn.authorize').click(), true")
    dialog = page.wait_for("(d => d && d.textContent)(document.querySelector('.modal-ux'))")
    assert "e-mail address" in dialog and "username" in dialog


def test_every_service_shares_one_title_scheme(documents):
    assert {s: d["info"]["title"] for s, d in documents.items()} == {s: f"Event Planner — {s}" for s in SERVICES}


def test_the_token_form_and_the_security_scheme_name_the_email(documents):
    users = documents["users"]
    form = users["paths"]["/api/v1/users/token"]["post"]["requestBody"]["content"]
    schema_ref = form["application/x-www-form-urlencoded"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "e-mail" in users["components"]["schemas"][schema_ref]["properties"]["username"]["description"]
    for service, document in documents.items():
        schemes = document.get("components", {}).get("securitySchemes", {})
        assert schemes, service
        assert all("e-mail" in s.get("description", "") for s in schemes.values()), service


# --- OPTIONS ---------------------------------------------------------------------------------------------

def concrete(path: str, item: dict[str, Any]) -> str:
    """A path of the template with a valid value for each path parameter."""
    params = {p["name"]: p.get("schema", {}) for op in item.values() if isinstance(op, dict)
              for p in op.get("parameters", []) if p.get("in") == "path"}

    def value(match: re.Match) -> str:
        schema = params.get(match.group(1), {})
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        return "1" if schema.get("type") == "integer" else "x"

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)


def test_options_answers_each_paths_real_methods_through_the_gateway(gateway, documents):
    wrong = []
    for service, document in documents.items():
        for path, item in document["paths"].items():
            expected = {m.upper() for m in item if m in METHODS} | {"OPTIONS"}
            r = gateway.options(concrete(path, item))
            allow = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
            if r.status_code not in (200, 204) or allow != expected:
                wrong.append(f"{service} OPTIONS {path}: {r.status_code} Allow={sorted(allow)}, "
                             f"documented {sorted(expected)}")
    assert wrong == []


def test_options_of_an_unknown_path_is_a_404_problem(gateway):
    for path in ("/api/v1/events/x/nothing/here", "/api/v1/nothing"):
        r = gateway.options(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"


# --- CORS --------------------------------------------------------------------------------------------------

def test_a_page_on_another_origin_can_call_the_api(gateway, platform, page):
    """http://localhost:<port> and http://127.0.0.1:<port> are different origins; development allows localhost."""
    organizer = platform.organizer("Cora Cross-Origin")
    api = origin_of(gateway)
    page.goto(api.replace("127.0.0.1", "localhost") + "/docs/")
    page.wait_for("document.readyState === 'complete'")
    body = json.dumps({"title": "Cross-origin meetup", "description": "", "start_time": "2031-05-01T18:00:00Z",
                       "duration_minutes": 60, "max_participants": 5, "is_paid": False, "tags": []})
    script = f"""(async () => {{
        const auth = {{"Authorization": "Bearer {organizer.token}"}};
        const created = await fetch("{api}/api/v1/events/", {{method: "POST", headers: {{...auth,
            "Content-Type": "application/json", "Idempotency-Key": "{uuid.uuid4()}"}}, body: {json.dumps(body)}}});
        const list = await fetch("{api}/api/v1/events/?limit=1&after=" + created.headers.get("X-Event-Position"),
                                 {{headers: auth}});
        return {{created: created.status, position: created.headers.get("X-Event-Position"),
                 listed: list.status, total: list.headers.get("X-Total-Count"), link: list.headers.get("Link")}};
    }})()"""
    seen = page.evaluate(script)
    assert seen["created"] == 201 and seen["position"], seen
    assert seen["listed"] == 200 and int(seen["total"]) >= 1 and seen["link"], seen


def test_preflight_through_the_gateway_allows_the_auth_header(gateway):
    origin = origin_of(gateway).replace("127.0.0.1", "localhost")
    r = gateway.options("/api/v1/bookings/", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == origin
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    refused = gateway.get("/api/v1/events/", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers


# --- the README against the running system ------------------------------------------------------------------

README = (ROOT / "README.md").read_text()


def readme_routes() -> set[str]:
    """Every `/api/v1/...` path the README names (query strings dropped; `a|b` alternatives split)."""
    found: set[str] = set()
    for match in re.findall(r"(/api/v1/[A-Za-z0-9_{}./|:-]*)", README):
        path = match.split("?")[0].rstrip(".,:")
        if path == "/api/v1/":  # "the API under /api/v1/"
            continue
        head, _, last = path.rpartition("/")
        for alternative in last.split("|"):
            found.add(f"{head}/{alternative}")
    return found


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/")


def test_every_route_the_readme_names_exists(documents):
    served = {shape(p) for d in documents.values() for p in d["paths"]}
    assert readme_routes(), "the README names no routes?"
    missing = sorted(p for p in readme_routes() if shape(p) not in served)
    assert missing == []


def test_every_gateway_page_the_readme_names_answers(gateway):
    pages = set(re.findall(r"`(/(?:docs|health|metrics|\.well-known)/[A-Za-z0-9_/<>.-]*)`", README))
    assert "/docs/asyncapi.json" in pages
    missing = []
    for page in sorted(pages):
        for service in SERVICES if "<service>" in page else (None,):
            path = page.replace("<service>", service) if service else page
            if "<" in path or (path.startswith(("/health/", "/metrics/")) and not service):
                continue  # a worker's own /health/detail is on its port, not the gateway's
            if gateway.get(path).status_code == 404:
                missing.append(path)
    assert missing == []


def quick_start() -> str:
    match = re.search(r"<!-- quick-start -->\s*```bash\n(.*?)```", README, re.S)
    assert match, "the README's quick-start block (marked <!-- quick-start -->) is missing"
    return match.group(1)


@pytest.fixture(scope="module")
def demo_data(system_env) -> None:
    """What `make run` seeds (python -m deploy.demo_data): the demo organizer and their events."""
    seeded = subprocess.run([sys.executable, "-m", "deploy.demo_data"], cwd=ROOT, env=system_env,
                            capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr


def test_the_readme_quick_start_works(gateway, system_env, demo_data):
    """The five-minute curl walk-through, run as written against this system."""
    script = quick_start().replace("http://127.0.0.1:8000", origin_of(gateway))
    run = subprocess.run(["timeout", "120", "bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
                         env=system_env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "confirmed" in run.stdout.splitlines(), run.stdout
    assert '"role":"organizer"' in run.stdout.replace(" ", ""), run.stdout


def test_the_demo_organizer_login_in_the_readme_is_the_seeded_one(gateway, demo_data):
    from deploy.demo_data import ORGANIZER

    assert f"`{ORGANIZER[0]}` / `{ORGANIZER[1]}`" in README
    r = gateway.post("/api/v1/users/login", json={"email": ORGANIZER[0], "password": ORGANIZER[1]})
    assert r.status_code == 200, r.text
    me = gateway.get("/api/v1/users/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert me["role"] == "organizer"
