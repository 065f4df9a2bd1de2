"""The API docs: Swagger UI at /docs and ReDoc at /redoc, both from npm packages (no CDN)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from spatial_platform.headers import CONTENT_SECURITY_POLICY, script_hashes

REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_IMAGE = b"data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E"


def mount_api_docs(app: FastAPI, node_modules: Path) -> None:
    """Serve Swagger UI at /docs (``swagger-ui-dist``) and ReDoc at /redoc (``redoc``'s bundle).

    Build the app with ``docs_url=None, redoc_url=None``. Each page's inline script is allowed by
    hash in its own Content-Security-Policy; ReDoc also styles itself inline.
    """
    assets = "/static/swagger-ui"
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API docs",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = page.body.decode()
    allowed = " ".join(script_hashes(html))
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {allowed}")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    swagger = node_modules / "swagger-ui-dist"
    app.mount(assets, StaticFiles(directory=swagger, check_dir=False), name="swagger-ui")

    redoc = get_redoc_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API reference",
        redoc_js_url="/static/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon-32x32.png",
        with_google_fonts=False,
    ).body.decode()
    redoc_policy = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' {' '.join(script_hashes(redoc))}"
    ).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc, headers={"Content-Security-Policy": redoc_policy})

    bundle = node_modules / "redoc" / "bundles" / "redoc.standalone.js"
    served: list[bytes] = []

    @app.get("/static/redoc/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        # The bundle's one outside fetch, the "powered by" logo from Redocly's CDN, points at an
        # inline image instead: the page loads nothing from another host.
        if not served:
            if not bundle.is_file():
                return Response("ReDoc is not installed: run scripts/setup.sh", status_code=404)
            served.append(bundle.read_bytes().replace(REDOC_LOGO, BLANK_IMAGE))
        return Response(
            served[0], media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )
