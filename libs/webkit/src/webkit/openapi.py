"""The OpenAPI document says what the service really answers: every error is `application/problem+json`,
and every operation lists the errors the shared layers can give it (400, 413, 422; 401 where a token is
read), with its body limit.

FastAPI documents validation errors as `application/json` `HTTPValidationError` and knows nothing of the
undecodable-body 400 or the body-limit 413; this rewrites each operation once, when the document is built.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from webkit.body_limit import LIMIT_KEY
from webkit.problems import PROBLEM_JSON, ProblemDetails, status_phrase

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# What the shared layers answer, whatever the route: an unreadable body, an oversized one, invalid input.
_BODY_ERRORS = {400: "The body is not valid JSON (or not of the declared media type).",
                413: "The body is larger than this operation's limit (`x-max-body-bytes`).",
                422: "Invalid input: `errors` lists each field and why."}
_PARAMETER_ERRORS = {422: _BODY_ERRORS[422]}


def install_problem_openapi(app: FastAPI, default_body_limit: int) -> None:
    """Post-process the app's OpenAPI document (built lazily, once) as the module docstring says."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document_problems(document, default_body_limit)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(document: dict[str, Any], default_body_limit: int) -> None:
    """Rewrite every operation's error responses in place."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ProblemDetails"] = ProblemDetails.model_json_schema()
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in _METHODS:
                _document_operation(operation, default_body_limit)
    if "HTTPValidationError" not in str(document.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


def _document_operation(operation: dict[str, Any], default_body_limit: int) -> None:
    responses = operation.setdefault("responses", {})
    added: dict[int, str] = {}
    if "requestBody" in operation:
        operation.setdefault(LIMIT_KEY, default_body_limit)
        added.update(_BODY_ERRORS)
    if operation.get("parameters"):
        added.update(_PARAMETER_ERRORS)
    if operation.get("security"):
        added[401] = "Missing, invalid or revoked access token."
    for status, text in added.items():
        responses.setdefault(str(status), {"description": text})
    for status, response in responses.items():
        if status.isdigit() and status[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            if not response.get("description") or response["description"] == "Validation Error":
                response["description"] = added.get(int(status), status_phrase(int(status)))
