"""What stands between the open internet and the API: body size, which sites may ask, the widget key, the
admin token and a per-client rate limit. Each refusal is a JSON error that says what to do."""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Mount

from settings import Settings


class BodyLimit:
    """ASGI middleware: API requests larger than `max_bytes` get 413 before the app sees them.

    A declared Content-Length is checked before anything is read; a chunked body, which declares none, is read
    here up to the limit and handed on whole (the API reads whole bodies anyway)."""

    def __init__(self, app, max_bytes: int, prefix: str = "/api/"):
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before it finished sending
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > self.max_bytes:
                return await self._refuse(send)
            if not message.get("more_body"):
                break
        body = b"".join(parts)
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # what comes after the body: a disconnect, which streaming answers watch for
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send):
        body = json.dumps({"error": f"the request body is larger than {self.max_bytes} bytes"}).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})


def _flattened(routes) -> list:
    """Routes with included routers replaced by their own routes (FastAPI keeps `include_router`'s as one)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += _flattened(included.routes) if included else [route]
    return found


class ApiPaths:
    """ASGI middleware: a request under /api that no API route takes gets a JSON 404, or a 405 naming the
    methods its path allows, instead of falling through to the chat mounted at / (which answers {"detail"})."""

    def __init__(self, app, prefix: str = "/api/"):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not (scope["path"] + "/").startswith(self.prefix):
            return await self.app(scope, receive, send)
        allowed: set[str] = set()
        for route in _flattened(scope["app"].routes):
            if isinstance(route, Mount) and not route.path:
                continue  # the chat, mounted at the root, would take every path
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return await self.app(scope, receive, send)
            if match is Match.PARTIAL:
                allowed |= route.methods
        if allowed:
            methods = ", ".join(sorted(allowed))
            message = f"{scope['method']} is not allowed on {scope['path']}; use {methods}"
            response = JSONResponse({"error": message}, 405, headers={"Allow": methods})
        else:
            response = JSONResponse({"error": f"no such API path: {scope['path']} (see /api/docs)"}, 404)
        await response(scope, receive, send)


class RateLimiter:
    """At most `per_minute` questions per client in any sliding minute.

    The counts are kept in SQLite: in this process's memory, or in `shared_file`, which every app process behind
    one proxy names so that they share one limit (on several machines: a file on shared storage, and clocks kept
    in step, since times are wall-clock)."""

    def __init__(self, per_minute: int, shared_file: Path | None = None, clock=time.time):
        self.per_minute = per_minute
        self._clock = clock
        if shared_file:
            shared_file.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            shared_file or ":memory:", timeout=30, isolation_level=None, check_same_thread=False
        )
        if shared_file:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS asked (client TEXT NOT NULL, at REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS asked_by_client ON asked (client, at)")
        self._lock = threading.Lock()
        self._counted = 0

    def wait_for(self, client: str) -> float:
        """0 and the question counts, or the seconds until this client may ask again."""
        now = self._clock()
        with self._lock:
            # IMMEDIATE: another process cannot count between this one's count and its insert.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM asked WHERE client = ? AND at <= ?", (client, now - 60))
                asked, first = self._db.execute(
                    "SELECT count(*), min(at) FROM asked WHERE client = ?", (client,)
                ).fetchone()
                if asked >= self.per_minute:
                    return 60 - (now - first)
                self._db.execute("INSERT INTO asked VALUES (?, ?)", (client, now))
                self._counted += 1
                # Forget idle clients now and then, so that the table does not grow with every address ever seen.
                if self._counted % 1000 == 0:
                    self._db.execute("DELETE FROM asked WHERE at <= ?", (now - 60,))
                return 0.0
            finally:
                self._db.execute("COMMIT")

    def refusal(self, wait: float) -> str:
        """What a client that must wait `wait` seconds is told."""
        return f"too many questions: up to {self.per_minute} a minute; try again in {math.ceil(wait)} seconds"


def client_address(request) -> str:
    """The address a request came from (a FastAPI or a Gradio request); behind a proxy, uvicorn's
    --forwarded-allow-ips decides whether X-Forwarded-For is believed."""
    return request.client.host if request.client else "unknown"


def _equal(given: str, expected: str) -> bool:
    """A constant-time comparison that any header value survives (compare_digest refuses non-ASCII text)."""
    return secrets.compare_digest(given.encode(), expected.encode())


def _same_origin(request: Request, origin: str) -> bool:
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


class QuestionGuard:
    """A FastAPI dependency for the question endpoints: the widget's origin and key, then the rate limit."""

    def __init__(self, settings: Settings, limiter: RateLimiter):
        self.allowed_origins = set(settings.allowed_origins)
        self.widget_key = settings.widget_key
        self.limiter = limiter

    def __call__(self, request: Request) -> None:
        origin = request.headers.get("origin")
        # Browsers send Origin on cross-site requests; CORS keeps other sites from reading answers, and this
        # keeps them from spending our CPU on questions whose answers they could not read anyway.
        if origin and origin not in self.allowed_origins and not _same_origin(request, origin):
            raise HTTPException(
                403, f"the site {origin} may not use this Sanad; its operator can add it to SANAD_ALLOWED_ORIGINS"
            )
        if self.widget_key and not _equal(request.headers.get("x-sanad-key", ""), self.widget_key):
            raise HTTPException(
                401, "a widget key is required: send it as the X-Sanad-Key header (data-key on the widget's tag)"
            )
        if wait := self.limiter.wait_for(client_address(request)):
            raise HTTPException(429, self.limiter.refusal(wait), {"Retry-After": str(math.ceil(wait))})


class AdminGuard:
    """A FastAPI dependency for writes: off unless SANAD_ADMIN_TOKEN is set, then that token as a Bearer token."""

    def __init__(self, settings: Settings):
        self.token = settings.admin_token.get_secret_value() if settings.admin_token else None

    def __call__(self, request: Request) -> None:
        if not self.token:
            raise HTTPException(403, "ingest over HTTP is off; set SANAD_ADMIN_TOKEN to turn it on")
        if not self.admits(request):
            raise HTTPException(
                401, "send the admin token as 'Authorization: Bearer TOKEN'", {"WWW-Authenticate": "Bearer"}
            )

    def admits(self, request: Request) -> bool:
        """Whether the request carries the admin token."""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return bool(self.token) and scheme.lower() == "bearer" and _equal(given.strip(), self.token)
