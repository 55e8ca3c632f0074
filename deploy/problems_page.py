"""Write deploy/gateway/docs/problems.html, the page every problem `type` (/docs/problems#<slug>) points at.

Run after adding or renaming a domain error: `.venv/bin/python -m deploy.problems_page`. A test
(tests/errors/test_problem_types.py) fails when the page and the services' DOMAIN_ERRORS disagree.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from webkit.problem_catalogue import ProblemKind, kinds, render_page, route_kinds

SERVICES = ("users", "events", "bookings", "payments", "notifications")
ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "deploy" / "gateway" / "docs" / "problems.html"


def service_kinds() -> dict[str, list[ProblemKind]]:
    """Each service's problem types, from its DOMAIN_ERRORS."""
    return {name: kinds(importlib.import_module(f"{name}_service.main").DOMAIN_ERRORS,
                        route_kinds(ROOT / "services" / name / "src"))
            for name in SERVICES}


def page() -> str:
    return render_page(service_kinds())


if __name__ == "__main__":
    PAGE.write_text(page(), encoding="utf-8")
    print(f"wrote {PAGE}")
