"""The API docs at /docs: Swagger UI from the npm package ``swagger-ui-dist`` (no CDN)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from spatial_platform.headers import CONTENT_SECURITY_POLICY, script_hashes


def mount_api_docs(app: FastAPI, node_modules: Path) -> None:
    """Serve Swagger UI at /docs from the npm install of ``swagger-ui-dist`` (no CDN).

    Build the app with ``docs_url=None, redoc_url=None``: ReDoc is not served (no local copy).
    Its one inline script is allowed by hash in the page's own Content-Security-Policy.
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
