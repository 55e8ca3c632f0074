"""Every problem type a service can answer with, and the static page (/docs/problems) that explains them.

A service's types follow from its DOMAIN_ERRORS: each mapped error and every subclass of it (the handler
answers with the concrete class's type), each Refusal, the named refusals its routes raise as
`Problem(status, "CamelCaseName", ...)`, plus the shared validation type. The gateway serves
the page generated from all services (deploy/gateway/make_problems_page.py), one anchor per slug.
"""

from __future__ import annotations

import ast
import html
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from webkit.problems import (
    VALIDATION_SLUG,
    Refusal,
    error_slug,
    error_title,
    humanise,
    is_error_name,
    slug_of,
    status_phrase,
)

VALIDATION_MEANING = ("The request did not match the operation's schema; `errors` lists every invalid field at "
                      "once (`loc`, `msg`, `type`).")


@dataclass(frozen=True)
class ProblemKind:
    """One problem type: its anchor, title, HTTP status, and what it means."""

    slug: str
    title: str
    status: int
    meaning: str


def _subclasses(cls: type) -> Iterator[type]:
    yield cls
    sub: type
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def _meaning(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split()) or humanised_fallback(cls)


def humanised_fallback(cls: type) -> str:
    return f"{error_title(cls)}."


def kinds(domain_errors: Mapping[type[Exception], int | Refusal],
          routes: Iterable[ProblemKind] = ()) -> list[ProblemKind]:
    """The problem types one service can emit: validation, its domain errors, its routes' named refusals."""
    found = {VALIDATION_SLUG: ProblemKind(VALIDATION_SLUG, "Request validation failed", 422, VALIDATION_MEANING)}
    for kind in routes:
        found.setdefault(kind.slug, kind)
    for mapped, answer in domain_errors.items():
        if isinstance(answer, Refusal):
            slug = answer.slug or error_slug(mapped)
            found.setdefault(slug, ProblemKind(slug, answer.title or status_phrase(answer.status), answer.status,
                                               answer.detail))
            continue
        for cls in _subclasses(mapped):
            found.setdefault(error_slug(cls), ProblemKind(error_slug(cls), error_title(cls), answer, _meaning(cls)))
    return sorted(found.values(), key=lambda k: (k.slug != VALIDATION_SLUG, k.slug))


def render_page(by_service: Mapping[str, list[ProblemKind]]) -> str:
    """The /docs/problems page: one section per slug (anchor = slug), naming the services that emit it."""
    sections: dict[str, list[tuple[str, ProblemKind]]] = {}
    for service, service_kinds in by_service.items():
        for kind in service_kinds:
            sections.setdefault(kind.slug, []).append((service, kind))
    parts = []
    for slug in sorted(sections):
        rows = sections[slug]
        first = rows[0][1]
        uses = "".join(f"<li><b>{html.escape(service)}</b>: {kind.status} {html.escape(status_phrase(kind.status))}"
                       f" — {html.escape(kind.meaning)}</li>" for service, kind in rows)
        parts.append(f'<section id="{html.escape(slug)}">\n<h2><a href="#{html.escape(slug)}">'
                     f"{html.escape(first.title)}</a></h2>\n<p><code>type: /docs/problems#{html.escape(slug)}"
                     f"</code></p>\n<ul>{uses}</ul>\n</section>")
    body = "\n".join(parts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Event Planner — problem types</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
section{{border-top:1px solid #ddd;padding:.5em 0}}h2{{font-size:1.1em;margin:.3em 0}}
h2 a{{color:inherit;text-decoration:none}}code{{color:#555}}</style>
</head>
<body>
<h1>Problem types</h1>
<p>Every error answer is <code>application/problem+json</code> (RFC 9457). Its <code>type</code> names one
section of this page; its <code>title</code> is the section's heading, its <code>detail</code> says what
happened this time. Answers with <code>type: about:blank</code> are plain HTTP errors (401, 403, 404, 405,
429, 500): their title is the status phrase. Generated from the services' code by
<code>deploy/gateway/make_problems_page.py</code>; do not edit by hand.</p>
{body}
</body>
</html>
"""


def route_kinds(source_root: Path) -> list[ProblemKind]:
    """Refusals raised in routes as `Problem(<status>, "<CamelCaseName>", ...)` under `source_root` (their meaning:
    the first line of the enclosing function's docstring)."""
    found: list[ProblemKind] = []
    for path in sorted(source_root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(func):
                if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Problem"):
                    continue
                match call.args:
                    case [ast.Constant(value=int() as status), ast.Constant(value=str() as name), *_]:
                        if is_error_name(name):
                            meaning = (ast.get_docstring(func) or humanise(name)).split("\n")[0]
                            found.append(ProblemKind(slug_of(name), humanise(name), status, meaning))
    return found
