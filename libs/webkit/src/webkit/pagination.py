"""Paged lists: `limit`/`offset` query parameters in, `X-Total-Count` and RFC 8288 `Link` headers out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response

from webkit.fields import INT64_MAX

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Page:
    """Which slice of a list the client asked for."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= self.offset <= INT64_MAX:
            raise ValueError(f"offset must be between 0 and {INT64_MAX}")

    def slice(self, items: Sequence[T]) -> list[T]:
        """This page of an in-memory list."""
        return list(items[self.offset:self.offset + self.limit])


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items to return.")] = DEFAULT_LIMIT,
    # Bounded by PostgreSQL's bigint: OFFSET 2^63 is an error in the database, not an empty page.
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="How many items to skip.")] = 0,
) -> Page:
    """Read and validate the paging query parameters (bad values give a 422 problem)."""
    return Page(limit=limit, offset=offset)


PageParams = Annotated[Page, Depends(page_params)]


def page_links(request: Request, total: int, page: Page) -> dict[str, str]:
    """Relative URLs of the first, previous, next and last pages, keeping the other query parameters."""
    last_offset = ((total - 1) // page.limit) * page.limit if total > 0 else 0
    offsets = {"first": 0}
    if page.offset > 0:
        offsets["prev"] = min(max(page.offset - page.limit, 0), last_offset)
    if page.offset + page.limit < total:
        offsets["next"] = page.offset + page.limit
    offsets["last"] = last_offset
    links = {}
    for rel, offset in offsets.items():
        url = request.url.include_query_params(limit=page.limit, offset=offset)
        # Relative to the path, so links stay right behind the gateway whatever host the service sees.
        links[rel] = f"{url.path}?{url.query}"
    return links


def set_page_headers(request: Request, response: Response, total: int, page: Page) -> None:
    """Tell the client how many items there are and where the neighbouring pages are."""
    response.headers["X-Total-Count"] = str(total)
    response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in
                                         page_links(request, total, page).items())
