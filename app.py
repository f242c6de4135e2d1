"""`python app.py [--db DIR] [--host H] [--port P]`: Sanad's chat (/), REST API (/api), API docs (/api/docs) and
embeddable widget (/widget.js, demo at /widget-demo) in one FastAPI process, with the model loaded once, and
with SANAD_FEEDS the feed poller running while the app does."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from errors import SanadError
from settings import Settings, load_settings


def create_app(settings: Settings, embedder=None):
    """The whole web app over the store `settings` describe; `embedder` lets tests share a loaded model."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.middleware.gzip import GZipMiddleware

    from web.api import api_router, install_error_handlers
    from web.chat import build_chat, page_assets
    from web.guards import BodyLimit, RateLimiter
    from web.pages import install_pages
    from web.service import Sanad

    sanad = Sanad(settings, embedder)
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_file)

    @asynccontextmanager
    async def background(app: FastAPI):
        sanad.start_background()
        yield
        await asyncio.to_thread(sanad.stop_background)

    app = FastAPI(
        title="Sanad API", summary="Cited answers from news articles.", version="1.0",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=background,
    )
    install_error_handlers(app)
    app.include_router(api_router(sanad, limiter))
    install_pages(app)
    # The last added runs first. CORS wraps everything, so every answer to an allowed site carries its headers,
    # refusals included, and the widget can show why it was refused; the size check comes before any body is read.
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Sanad-Key"], max_age=600,
    )
    return gr.mount_gradio_app(
        app, build_chat(sanad, limiter), path="/", footer_links=["api"], ssr_mode=False, **page_assets()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve Sanad's chat, API and widget.")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    parser.add_argument("--host", help="address to listen on (default: SANAD_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: SANAD_PORT or 7860)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(data_dir=args.db, host=args.host, port=args.port)
        app = create_app(settings)
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import uvicorn

    print(f"Sanad is at http://{settings.host}:{settings.port}/  (API docs: /api/docs, widget demo: /widget-demo)")
    # uvicorn shuts down on Ctrl+C or SIGTERM, then raises the signal again for the handler it found: with
    # Python's own, SIGTERM would kill the process after a clean shutdown. A stop asked for is a clean exit.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
