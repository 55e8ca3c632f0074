"""One OpenAPI document for the whole gateway, merged from every service's own (/docs/<service>/openapi.json).

One schemathesis process then fuzzes every service (its start-up and schema analysis cost a few CPU-seconds,
which on two cores matters more than the requests). Paths are disjoint by design (each service owns its
prefixes); component names are not (every service has its `HTTPValidationError`), so each service's
components are renamed `<service>__<name>` and every `$ref` to them rewritten.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

REF = re.compile(r"^#/components/(\w+)/(.+)$")


def _prefixed(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (m := REF.match(value)):
                value = f"#/components/{m[1]}/{service}__{m[2]}"
            out[key] = _prefixed(value, service)
        return out
    if isinstance(node, list):
        return [_prefixed(item, service) for item in node]
    return node


def merged_document(client: httpx.Client, services: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The services' documents as one (paths side by side, components renamed per service), and which
    service serves each path."""
    owner: dict[str, str] = {}
    merged: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "Event Planner (all services)", "version": "1"},
                              "paths": {}, "components": {}}
    for service in services:
        r = client.get(f"/docs/{service}/openapi.json")
        assert r.status_code == 200, (service, r.status_code, r.text[:300])
        doc = r.json()
        overlap = set(doc["paths"]) & set(merged["paths"])
        assert not overlap, f"{service} serves paths another service serves too: {overlap}"
        merged["paths"].update(_prefixed(doc["paths"], service))
        owner.update(dict.fromkeys(doc["paths"], service))
        for kind, items in doc.get("components", {}).items():
            if kind == "securitySchemes":  # referenced by name from `security`, not by $ref: keep the names
                merged["components"].setdefault(kind, {}).update(items)
                continue
            merged["components"].setdefault(kind, {}).update(
                {f"{service}__{name}": _prefixed(value, service) for name, value in items.items()})
    return merged, owner
