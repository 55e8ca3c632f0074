"""HTTP plumbing shared by every service: problem details, paging, idempotent POSTs, logs, the app factory."""

from webkit.app import create_app
from webkit.idempotency import IdempotencyMiddleware
from webkit.observability import CorrelationMiddleware, configure_logging
from webkit.pagination import Page, PageParams, set_page_headers
from webkit.problems import (
    CONCURRENT_CHANGE,
    Problem,
    ProblemDetails,
    Refusal,
    install_problem_handlers,
    problem_response,
    problem_responses,
    too_many_requests,
)
from webkit.rate_limit import TokenBuckets, Verdict

__all__ = [
    "CONCURRENT_CHANGE",
    "CorrelationMiddleware",
    "IdempotencyMiddleware",
    "Page",
    "PageParams",
    "Problem",
    "ProblemDetails",
    "Refusal",
    "TokenBuckets",
    "Verdict",
    "configure_logging",
    "create_app",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
    "set_page_headers",
    "too_many_requests",
]
