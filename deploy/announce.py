"""Tell the person who typed `make run` where things are, once the system answers.

Started in the background just before honcho; waits for the users service through the gateway, prints
the URLs and the demo login, then seeds demo data when a `deploy.demo_data` module exists.
Exits quietly if honcho (its --parent) goes away first.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVICES = ("users", "events", "bookings", "payments", "notifications")


def answers(url: str) -> bool:
    """True when the URL returns 2xx within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def alive(pid: int) -> bool:
    """Whether the process we announce for is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def started_apis() -> list[str]:
    """Services whose api the Procfile starts, alone or with its worker (users first: the others need its keys)."""
    procfile = Path(__file__).resolve().parents[1] / os.environ.get("PROCFILE", "Procfile")
    names = [line.split(":", 1)[0] for line in procfile.read_text().splitlines() if line.strip()]
    apis = [n.removesuffix("-api").removesuffix("-service") for n in names if n.endswith(("-api", "-service"))]
    return sorted(apis, key=lambda s: s != "users")


def banner(gateway: str) -> str:
    """The text printed once the system is up."""
    status = {s: "up" if answers(f"{gateway}/health/{s}") else "not built yet" for s in SERVICES}
    email = os.environ.get("ADMIN_EMAIL", "admin@example.com")
    password = os.environ.get("ADMIN_PASSWORD", "admin-change-me")
    data = os.environ.get("EP_DATA", ".data/run")
    lines = [
        "",
        "=" * 72,
        "  Event Planner is running",
        f"  Gateway (API):   {gateway}/api/v1/",
        f"  API docs:        {gateway}/docs/",
        f"  Operations:      {gateway}/docs/ops (admins; logs in {os.environ.get('LOG_DIR', data + '/logs')})",
        f"  Demo admin:      {email} / {password}",
        f"  SMTP sink:       127.0.0.1:{os.environ.get('SMTP_PORT', '1025')} (mail saved in {data}/mail)",
        "  Services:        " + ", ".join(f"{s} {state}" for s, state in status.items()),
        "  Ctrl-C stops the services; `make stop` also stops PostgreSQL and Kafka.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def seed_demo_data() -> None:
    """Run the optional demo seeding module, if the project has one."""
    if importlib.util.find_spec("deploy.demo_data") is None:
        return
    print("[announce] seeding demo data (python -m deploy.demo_data)", flush=True)
    result = subprocess.run([sys.executable, "-m", "deploy.demo_data"], check=False)
    if result.returncode != 0:
        print(f"[announce] demo data seeding failed (exit {result.returncode})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True, help="pid of honcho; stop waiting when it exits")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    gateway = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
    deadline = time.monotonic() + args.timeout
    for service in started_apis():
        while not answers(f"{gateway}/health/{service}"):
            if not alive(args.parent):
                return 0
            if time.monotonic() > deadline:
                print(f"[announce] {gateway}/health/{service} did not answer within {args.timeout:.0f} s; "
                      f"see the {service} lines above", flush=True)
                return 1
            time.sleep(0.5)
    print(banner(gateway), flush=True)
    seed_demo_data()
    return 0


if __name__ == "__main__":
    sys.exit(main())
