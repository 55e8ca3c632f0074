"""Fuzz every service's OpenAPI document through the gateway with schemathesis, as a participant and as an
admin: examples, coverage, fuzzing and stateful phases (the stateful phase follows the documents' links,
create → get → cancel).

Checks (DESIGN §7: bad input gets a clear 4xx, never a 500): no 5xx, and every response's status code,
content type and body conform to what the document says. Bounded and reproducible: a fixed seed,
schemathesis' deterministic generation, FUZZ_MAX_EXAMPLES cases per operation and phase, one worker per
role, and a hard time limit. The services' documents are merged into one (fuzz_schema) so that one
schemathesis process per role covers every service; the two roles run side by side.

Failures that are defects being fixed elsewhere are listed in `fuzz_known`: while one still reproduces,
that service × role is reported as xfail naming it; a failure not listed fails the test. Every distinct
failure (operation, request, response) is printed and written to `fuzz-<role>.txt` (FUZZ_REPORT_DIR, or
the pytest temporary directory). Variables: FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_CHECKS, FUZZ_PHASES.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts import topics
from contracts.permissions import DEFAULT_ROLES

from e2e_support import ROOT, Person, Platform, bearer, eventually, read_topic, topic_sizes
from fault_support import caught_up
from fuzz_known import KNOWN, match_known
from fuzz_report import Failure, errors_by_operation, read_failures
from fuzz_schema import merged_document
from users_service.domain.setting import KNOWN_SETTINGS

# The module's fixture fuzzes five services for up to RUN_TIMEOUT seconds: the suite's 300 s default would cut it.
pytestmark = [pytest.mark.e2e, pytest.mark.disruptive, pytest.mark.timeout(900)]

SERVICES = ("users", "events", "bookings", "payments", "notifications")
ROLES = ("participant", "admin")
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "6"))
CHECKS = os.environ.get("FUZZ_CHECKS", "not_a_server_error,status_code_conformance,content_type_conformance,"
                                       "response_schema_conformance")
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful")
RUN_TIMEOUT = 420.0  # seconds for both roles: far above a normal run (~2 min), so only a hang trips it


# Where consumers put what they cannot apply (a fuzzed input the API accepted must never end up there).
DEAD_LETTERS = [topics.dlq(t) for t in (topics.USERS, topics.EVENTS, topics.BOOKINGS, topics.PAYMENTS,
                                        topics.EVENTS_COMMANDS, topics.PAYMENTS_COMMANDS)]
VIEWS = (("events", "catalogue"), ("bookings", "bookings_view"), ("payments", "payments_view"))


@dataclass
class Run:
    role: str
    returncode: int
    output: str
    failures: list[Failure]
    report: Path


@pytest.fixture(scope="module")
def fuzz_people(platform: Platform) -> dict[str, Person]:
    """Fresh accounts for the run: a participant, an admin, and a victim the admin may disable or re-role."""
    participant = platform.register("Fuzz Participant")
    victim = platform.register("Fuzz Victim")
    admin = platform.register("Fuzz Admin")
    r = platform.http.put(f"/api/v1/users/{admin.id}/role", json={"role": "admin"},
                          headers=bearer(platform.admin_token()))
    assert r.status_code == 200, r.text
    return {"participant": participant, "victim": victim,
            "admin": Person(admin.id, admin.email, platform.login(admin.email))}


def everyone(platform: Platform) -> set[str]:
    """Ids of every account registered so far (the platform admin, the crowd, the other tests' people)."""
    ids: set[str] = set()
    while True:
        r = platform.http.get("/api/v1/users/", params={"limit": 100, "offset": len(ids)},
                              headers=bearer(platform.admin_token()))
        assert r.status_code == 200, r.text
        ids |= {u["id"] for u in r.json()}
        if not r.json() or len(ids) >= int(r.headers.get("X-Total-Count", 0)):
            return ids


@pytest.fixture(scope="module")
def fuzz_runs(platform: Platform, fuzz_people: dict[str, Person], system_env: dict[str, str],
              tmp_path_factory) -> dict[str, Run]:
    """Both roles fuzzed side by side; afterwards the platform settings are put back as they were."""
    out = Path(os.environ.get("FUZZ_REPORT_DIR") or tmp_path_factory.mktemp("fuzz"))
    out.mkdir(parents=True, exist_ok=True)
    document, owner = merged_document(platform.http, SERVICES)
    (out / "openapi.json").write_text(json.dumps(document))
    (out / "owners.json").write_text(json.dumps(owner))
    admin = bearer(platform.admin_token())
    settings = {key: r.json() for key in KNOWN_SETTINGS
                if (r := platform.http.get(f"/api/v1/settings/{key}", headers=admin)).status_code == 200}
    env = {**system_env,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent), system_env.get("PYTHONPATH")])),
           "SCHEMATHESIS_HOOKS": "fuzz_hooks",
           "FUZZ_PROTECTED_USERS": ",".join(sorted(everyone(platform) - {fuzz_people["victim"].id})),
           "FUZZ_VICTIM_USER": fuzz_people["victim"].id,
           "FUZZ_PROTECTED_ROLES": ",".join(DEFAULT_ROLES)}
    gateway = f"http://127.0.0.1:{system_env['GATEWAY_PORT']}"
    dead_letters = topic_sizes(system_env["KAFKA_BOOTSTRAP_SERVERS"], DEAD_LETTERS)
    (out / "dead_letters.json").write_text(json.dumps(dead_letters))
    procs = {}
    started = time.monotonic()
    for role in ROLES:
        cmd = [str(ROOT / ".venv/bin/schemathesis"), "run", str(out / "openapi.json"), "--url", gateway,
               "-H", f"Authorization: Bearer {fuzz_people[role].token}",
               "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(MAX_EXAMPLES),
               "--seed", str(SEED), "--generation-deterministic", "--workers", "1",
               "--request-timeout", "30", "--no-color", "--report", "ndjson",
               "--report-ndjson-path", str(out / f"{role}.ndjson")]
        log = (out / f"{role}.log").open("w")
        procs[role] = subprocess.Popen(cmd, cwd=out, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    runs = {}
    try:
        for proc in procs.values():
            proc.wait(timeout=max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for key, s in settings.items():
            r = platform.http.put(f"/api/v1/settings/{key}", json={"value": s["value"], "type": s["type"]},
                                  headers=bearer(platform.admin_token()))
            assert r.status_code == 200, (key, r.text)
    print(f"\nfuzzed both roles in {time.monotonic() - started:.0f} s", file=sys.stderr)
    for role, proc in procs.items():
        output = (out / f"{role}.log").read_text()
        ndjson = out / f"{role}.ndjson"
        failures = read_failures(ndjson) if ndjson.exists() else []
        report = out / f"fuzz-{role}.txt"
        report.write_text("\n\n".join(f"[{owner.get(f.path, '?')}] " + f.describe() for f in failures)
                          + "\n\n--- schemathesis output ---\n" + output)
        runs[role] = Run(role, proc.returncode, output, failures, report)
    return runs


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", SERVICES)
def test_openapi_conformance(service: str, role: str, fuzz_runs: dict[str, Run]):
    run = fuzz_runs[role]
    owners = json.loads((run.report.parent / "owners.json").read_text())
    assert run.returncode in (0, 1), f"schemathesis exited {run.returncode}:\n{run.output[-4000:]}"
    errors = {label: text for label, text in errors_by_operation(run.output).items()
              if owners.get(label.partition(" ")[2], service) == service}  # an error of no operation: everyone's
    failures = [f for f in run.failures if owners.get(f.path) == service]
    text = "\n\n".join(f.describe() for f in failures) or "no failures"
    print(f"\n{role} × {service}: {len(failures)} distinct failures (all: {run.report})\n{text}", file=sys.stderr)

    unknown = [f for f in failures if match_known(f, role) is None]
    assert not unknown, (f"{len(unknown)} new failures fuzzing {service} as {role} (not in fuzz_known):\n\n"
                         + "\n\n".join(f.describe() for f in unknown))
    assert not errors, f"schemathesis could not test some operations as {role}:\n" + "\n\n".join(
        f"{label}:\n{text}" for label, text in errors.items())
    known = sorted({match_known(f, role) for f in failures} - {None})
    if known:
        pytest.xfail(f"known defects still reproduce ({service}, {role}): " + "; ".join(KNOWN[k] for k in known))


def test_fuzzed_inputs_dead_letter_nothing(fuzz_runs: dict[str, Run], system_env: dict[str, str]):
    """What the APIs accepted, the consumers can apply: once the read models caught up, no dead letters."""
    for database, view in VIEWS:
        eventually(lambda d=database, v=view: caught_up(system_env, d, v), timeout=60, interval=0.5,
                   what=f"{view} caught up after the fuzz")
    bootstrap = system_env["KAFKA_BOOTSTRAP_SERVERS"]
    before = json.loads((next(iter(fuzz_runs.values())).report.parent / "dead_letters.json").read_text())
    after = topic_sizes(bootstrap, DEAD_LETTERS)
    grown = {t: after[t] - before.get(t, 0) for t in DEAD_LETTERS if after[t] > before.get(t, 0)}
    if not grown:
        return
    letters = [json.dumps(m) for t in grown for m in read_topic(bootstrap, t)[-grown[t]:]]
    pytest.fail(f"the fuzz left dead letters {grown}:\n" + "\n".join(m[:400] for m in letters))
