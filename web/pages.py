"""The app's own pages and files: the widget script, its demo page, and the API docs with local assets."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from web import STATIC


def install_pages(app: FastAPI) -> None:
    """/widget.js, /widget-demo and /api/docs."""
    import swagger_ui_bundle

    router = APIRouter(include_in_schema=False)

    @router.get("/widget.js")
    def widget() -> FileResponse:
        # Short caching: publishers' pages pick up a new widget within minutes of a deploy.
        return FileResponse(
            STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @router.get("/widget-demo")
    def widget_demo() -> FileResponse:
        return FileResponse(STATIC / "widget-demo.html", media_type="text/html; charset=utf-8")

    @router.get("/api/docs")
    def docs() -> HTMLResponse:
        # FastAPI's default /docs loads Swagger UI from a CDN; these assets come from the swagger-ui-bundle package.
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title="Sanad API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js", swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(router)
    app.mount("/api/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")
