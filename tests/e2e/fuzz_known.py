"""Fuzz failures that are known defects, being fixed on other branches (issue 6, "Hardening").

The lead empties this list as the fixes land: an entry whose defect no longer reproduces does no harm
(that test then simply passes), and a failure not listed here fails the fuzz test. An entry matches on the
check code, the operation (fnmatch over "METHOD /path/{template}"), a piece of the message and, where the
same operation could fail for another reason, a regular expression over the request that shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatch

from fuzz_report import Failure


@dataclass(frozen=True)
class Known:
    reason: str  # what the xfail says
    code: str
    operation: str = "*"
    message: str = ""
    request: str = ""  # regex searched in the request line
    roles: tuple[str, ...] = ("participant", "admin")


KNOWN_DEFECTS: dict[str, Known] = {
    "undocumented-400": Known(
        "a body that is not JSON gets 400 problem+json, but no operation documents 400",
        "ST103", message="Received: 400"),
    "problem-422-documented-as-json": Known(
        "422 is served as application/problem+json but documented as application/json (HTTPValidationError)",
        "ST105", message="Received: application/problem+json"),
    "offset-beyond-bigint": Known(
        "an offset beyond PostgreSQL's bigint gives 500",
        "ST101", "GET /api/v1/*/", request=r"[?&]offset=\d{19,}"),
    "offset-beyond-bigint-status": Known(
        "an offset beyond PostgreSQL's bigint gives 500 (undocumented status)",
        "ST103", "GET /api/v1/*/", message="Received: 500", request=r"[?&]offset=\d{19,}"),
}
KNOWN = {id_: k.reason for id_, k in KNOWN_DEFECTS.items()}


def match_known(failure: Failure, role: str) -> str | None:
    """The id of the known defect this failure is, or None."""
    for id_, k in KNOWN_DEFECTS.items():
        if (k.code == failure.code and role in k.roles and fnmatch(failure.operation, k.operation)
                and k.message in failure.message and (not k.request or re.search(k.request, failure.request))):
            return id_
    return None
