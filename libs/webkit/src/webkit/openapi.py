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


def unbounded_inputs(document: dict[str, Any]) -> list[str]:
    """Every request field or parameter of the document without a limit (for tests: each should have one).

    Strings need `maxLength` (or a uuid/date-time format, or an enum), arrays `maxItems`, integers `maximum`,
    free-form JSON `x-max-bytes`."""
    schemas = document.get("components", {}).get("schemas", {})
    found: list[str] = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                _collect(parameter.get("schema", {}), schemas, f"{where} {parameter['name']}", found, set())
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _collect(media.get("schema", {}), schemas, f"{where} body", found, set())
    return found


def _collect(schema: dict[str, Any], schemas: dict[str, Any], where: str, found: list[str], seen: set[str]) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            _collect(schemas.get(name, {}), schemas, where, found, seen | {name})
        return
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        # pydantic's Decimal is "number | string"; its digits are bounded by max_digits, which JSON schema lacks.
        decimal = any(o.get("type") == "number" for o in options)
        for option in options:
            if not (decimal and option.get("type") == "string"):
                _collect(option, schemas, where, found, seen)
        return
    kind = schema.get("type")
    if "enum" in schema or "const" in schema or kind in ("boolean", "null", "number"):
        return
    if kind == "string":
        if "maxLength" not in schema and schema.get("format") not in ("uuid", "date-time"):
            found.append(f"{where}: string without maxLength")
    elif kind == "integer":
        if "maximum" not in schema:
            found.append(f"{where}: integer without maximum")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        _collect(schema.get("items", {}), schemas, f"{where}[]", found, seen)
    elif kind == "object" or "properties" in schema:
        for name, prop in schema.get("properties", {}).items():
            _collect(prop, schemas, f"{where}.{name}", found, seen)
        if schema.get("additionalProperties") not in (None, False) and "x-max-bytes" not in schema:
            found.append(f"{where}: free-form object without x-max-bytes")
    elif "x-max-bytes" not in schema:
        found.append(f"{where}: any JSON value without x-max-bytes")
