"""Each service's Swagger UI, served whole by the service: its JavaScript, CSS and icon come from the pinned
`fastapi-offline` package, not from a CDN, so the docs render on a machine without internet.

Everything lives under `/docs/<service>/`, the same absolute path on the service and through the gateway, so
the page's URLs work either way. One title scheme for every service: "Event Planner — bookings".
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from webkit.problems import Problem

DEFAULT_PROJECT = "Event Planner"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
# Only these files are served (never a path from the request): Swagger UI 5 and its icon.
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
# The assets change only with the pinned package; a day in caches spares reloading 1.5 MB per page view.
ASSET_CACHE = "public, max-age=86400"


def docs_title(service: str, project: str = DEFAULT_PROJECT) -> str:
    """The OpenAPI `info.title` and page title of a service's docs."""
    return f"{project} — {service}"


def docs_base(service: str) -> str:
    return f"/docs/{service}"


def install_docs(app: FastAPI, service: str) -> None:
    """Swagger UI at /docs/<service>/ (the app's openapi_url must be /docs/<service>/openapi.json)."""
    base = docs_base(service)

    @app.get(f"{base}/", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{base}/openapi.json", title=app.title, oauth2_redirect_url=f"{base}/oauth2-redirect",
            swagger_js_url=f"{base}/assets/swagger-ui-bundle.js", swagger_css_url=f"{base}/assets/swagger-ui.css",
            swagger_favicon_url=f"{base}/assets/favicon.png",
            # No validator badge (it would call validator.swagger.io); keep the token across reloads.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True})

    @app.get(f"{base}/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.api_route(f"{base}/assets/{{name}}", methods=["GET", "HEAD"], include_in_schema=False)
    def swagger_ui_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise Problem(404, "Not Found", f"no documentation asset {name!r}")
        return FileResponse(ASSETS_DIR / name, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})
