"""Distinct failures of a schemathesis run, read from its NDJSON event stream (`--report ndjson`).

One Failure per (check code, operation, first line of the message): a run repeats the same defect with
many inputs, and the lead needs each defect once, with one input that shows it and the response it got.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BODY_CHARS = 400


@dataclass(frozen=True)
class Failure:
    code: str  # e.g. ST101 (server error), ST103 (undocumented status), ST105 (content type), ST102 (schema)
    title: str
    operation: str  # "POST /api/v1/events/" (the operation the failing request went to)
    path: str  # the operation's path template
    message: str
    phase: str
    request: str  # method, URL and body of one request that shows it
    response: str  # status, content type and the start of the body

    @property
    def key(self) -> tuple[str, str, str]:
        return self.code, self.operation, self.message.splitlines()[0] if self.message else ""

    def describe(self) -> str:
        first = self.message.splitlines()[0] if self.message else ""
        return (f"[{self.code} {self.title}] {self.operation} (phase {self.phase})\n  {first}"
                f"\n  request:  {self.request}\n  response: {self.response}")


def _content(raw: Any) -> str:
    if isinstance(raw, dict) and "$base64" in raw:
        raw = base64.b64decode(raw["$base64"]).decode("utf-8", "replace")
    elif isinstance(raw, dict) and "string" in raw:
        raw = raw["string"]
    text = raw if isinstance(raw, str) else json.dumps(raw)
    return text if len(text) <= BODY_CHARS else text[:BODY_CHARS] + f"… ({len(text)} chars)"


def _request(interaction: dict, case: dict) -> str:
    req = interaction.get("request", {})
    body = req.get("body")
    shown = f" body={_content(body)}" if body not in (None, "") else ""
    if not shown and case.get("body") is not None:
        shown = f" body={_content(case['body'])}"
    return f"{req.get('method', case.get('method'))} {req.get('uri', case.get('path'))}{shown}"


def _response(interaction: dict) -> str:
    resp = interaction.get("response") or {}
    if not resp:
        return "(no response)"
    ctype = (resp.get("headers", {}).get("content-type") or ["?"])[0]
    return f"{resp.get('status_code')} {ctype} {_content(resp.get('content', ''))}"


def read_failures(ndjson: Path) -> list[Failure]:
    """Every distinct failed check of the run, in the order first seen."""
    seen: dict[tuple[str, str, str], Failure] = {}
    for line in ndjson.read_text().splitlines():
        if '"failure_info"' not in line:
            continue
        event = json.loads(line)
        finished = event.get("ScenarioFinished") or event.get("FuzzScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                info = (check.get("failure_info") or {}).get("failure")
                if check.get("status") != "failure" or not info:
                    continue
                case = (recorder.get("cases", {}).get(case_id) or {}).get("value", {})
                interaction = recorder.get("interactions", {}).get(case_id, {})
                failure = Failure(code=info.get("code", "?"), title=info.get("title", check.get("name", "")),
                                  operation=f"{case.get('method', '?')} {case.get('path', '?')}",
                                  path=case.get("path", "?"),
                                  message=info.get("message", ""), phase=finished.get("phase", "?"),
                                  request=_request(interaction, case), response=_response(interaction))
                seen.setdefault(failure.key, failure)
    return list(seen.values())


def errors_by_operation(output: str) -> dict[str, str]:
    """The ERRORS section of schemathesis' console output (hook, schema and internal errors), per block
    label: an operation ("POST /api/v1/roles") or whatever else schemathesis names the block."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip("= ") == "ERRORS"), None)
    if start is None:
        return {}
    blocks: dict[str, list[str]] = {}
    label = "(run)"
    for line in lines[start + 1:]:
        if line.startswith("===="):
            break
        if line.startswith("____") and line.endswith("____"):
            label = line.strip("_ ")
            continue
        blocks.setdefault(label, []).append(line[:300])
    return {label: "\n".join(text).strip() for label, text in blocks.items()}
