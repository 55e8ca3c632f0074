"""Fuzz failures that are known defects, being fixed on other branches.

Empty: every defect the fuzz found for issue 6 (undocumented 400, 422 documented as JSON, offsets beyond
bigint, NUL bytes) is fixed, so any of them coming back fails the fuzz. List a defect here only while its
fix is under way, and remove the entry as soon as the fix lands: an entry that no longer reproduces would
hide the defect's return. An entry matches on the check code, the operation (fnmatch over
"METHOD /path/{template}"), a piece of the message and, where the same operation could fail for another
reason, a regular expression over the request that shows it.
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
    # e.g. "offset-beyond-bigint": Known("an offset beyond PostgreSQL's bigint gives 500", "ST101",
    #                                    "GET /api/v1/*/", request=r"[?&]offset=\d{19,}"),
}
KNOWN = {id_: k.reason for id_, k in KNOWN_DEFECTS.items()}


def match_known(failure: Failure, role: str) -> str | None:
    """The id of the known defect this failure is, or None."""
    for id_, k in KNOWN_DEFECTS.items():
        if (k.code == failure.code and role in k.roles and fnmatch(failure.operation, k.operation)
                and k.message in failure.message and (not k.request or re.search(k.request, failure.request))):
            return id_
    return None
