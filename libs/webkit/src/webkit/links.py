"""OpenAPI links between a service's own operations (create → get → cancel), so the documentation says how
one response feeds the next request, and a stateful fuzzer (schemathesis) follows the real flows."""

from __future__ import annotations

from typing import Any


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """A link to `method path` in the same document; parameters map names to runtime expressions such as
    `$response.body#/id` (OpenAPI 3.1 §4.8.20)."""
    pointer = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()
    return {"operationRef": pointer, "description": description, "parameters": parameters}


def linked(status: int, **links: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra=` adding links to a route's success response (FastAPI deep-merges it into the
    operation, so the route's `responses=` stay as they are)."""
    return {"responses": {str(status): {"links": links}}}
