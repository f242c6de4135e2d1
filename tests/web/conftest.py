"""The web app as users meet it: `python app.py` in its own process on a real port, over a store of the
cross-lingual fixtures plus one hostile article; other configurations run in this process on their own ports."""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from tests.conftest import FIXTURES, ROOT, free_port, running, wait_for_http

ADMIN_TOKEN = "test-admin-token"
HOSTILE_QUESTION = "How much is the lighthouse restoration budget?"
ARTICLES = 6  # in the web store, one chunk each


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(url: str, method: str = "GET", body: object = None, raw: bytes | None = None, **headers: str) -> Reply:
    """One HTTP request; error statuses are returned, not raised."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(url, data=data, method=method, headers={k.replace("_", "-"): v for k, v in headers.items()})
    try:
        with urllib.request.urlopen(call, timeout=120) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


def events(body: bytes) -> list[tuple[str, dict]]:
    """Server-Sent Events as (event, data) pairs."""
    found = []
    for block in body.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


@pytest.fixture(scope="session")
def web_settings(base_settings, embedder, tmp_path_factory):
    """A store with the cross-lingual fixtures (Arabic), an English article and the hostile one, ingested once."""
    from ingest.pipeline import ingest_paths
    from vectorstore.store import ChunkStore

    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("web-store")})
    folders = [FIXTURES / "crosslingual", FIXTURES / "english", FIXTURES / "hostile"]
    report = ingest_paths(folders, settings, ChunkStore(settings, embedder))
    assert report.added == ARTICLES and not report.errors
    return settings


@pytest.fixture(scope="session")
def widget_site_port() -> int:
    """The port of the one other site allowed to embed the widget."""
    return free_port()


@pytest.fixture(scope="session")
def app_url(web_settings, widget_site_port, tmp_path_factory):
    """`python app.py --db … --port …` as a user starts it; yields its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    environment = {
        **os.environ,
        "SANAD_MODEL_DIR": str(web_settings.model_dir),
        "SANAD_ALLOWED_ORIGINS": f"http://127.0.0.1:{widget_site_port}",
        "SANAD_ADMIN_TOKEN": ADMIN_TOKEN,
        "SANAD_RATE_LIMIT_PER_MINUTE": "10000",
    }
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "app.py", "--db", str(web_settings.data_dir), "--port", str(port)]
    try:
        with running(command, f"{url}/api/health", 180, log, cwd=ROOT, env=environment):
            yield url
    finally:
        print(log.read_text()[-3000:])  # shown when a test failed


class ThreadedApp:
    """create_app on a real uvicorn server in a thread of this process, sharing the session's loaded model."""

    def __init__(self, settings, embedder):
        import uvicorn

        from app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings, embedder), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        wait_for_http(f"{self.url}/api/health", 60)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def start_app(embedder, web_settings, tmp_path):
    """Start the app with settings changed from the web store's; a fresh data folder when `empty`."""
    started: list[ThreadedApp] = []

    def start(empty: bool = False, **changes) -> str:
        if empty:
            changes["data_dir"] = tmp_path / "empty"
        app = ThreadedApp(web_settings.model_copy(update=changes), embedder)
        started.append(app)
        return app.start()

    yield start
    for app in started:
        app.stop()


# A wire story as two sites ran it: the second lightly edited, as outlets do. Written for these tests.
WIRE_STORY = {
    "title": "Night ferry to the islands returns after a winter without service",
    "author": "Hana Sabri",
    "date": "2026-04-09",
    "paragraphs": [
        "The night ferry between the port and the three southern islands sailed again on Wednesday, after the "
        "operator laid up its only vessel for the winter to replace both engines, the maritime office said.",
        "Crossings leave the port at eleven in the evening on Mondays, Wednesdays and Fridays, and a return "
        "ticket costs eight dinars, the same fare as before the break.",
        "Island councils had asked for the service to resume early because fishermen send their catch to the "
        "morning market on the mainland by the night boat.",
    ],
}
WIRE_COPY = {
    **WIRE_STORY,
    "paragraphs": [
        "(Agencies) " + WIRE_STORY["paragraphs"][0],
        WIRE_STORY["paragraphs"][1].replace("eight dinars", "eight dinars (about 26 dollars)"),
        WIRE_STORY["paragraphs"][2],
    ],
}


@dataclass
class WireStore:
    settings: object
    story_url: str  # the stored article
    copy_url: str  # kept as its alternate source


@pytest.fixture(scope="session")
def wire_store(base_settings, embedder, tmp_path_factory) -> WireStore:
    """A store filled from a local news site the way `python -m ingest URL…` fills one: the wire story from one
    site is stored, and its copy from another path is kept as an alternate source, not stored again."""
    from ingest.fetch import Fetcher
    from ingest.pipeline import IngestReport
    from ingest.remote import Item, ingest_items
    from tests.ingest.site import Site, page
    from vectorstore.store import ChunkStore

    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("wire-store")})
    site = Site()
    urls = [
        site.add("/news/night-ferry", page(WIRE_STORY, lang="en")), site.add("/wire/ferry", page(WIRE_COPY, lang="en")),
    ]
    report = IngestReport()
    try:
        with Fetcher(settings) as fetcher:
            items = [Item(url=u, source=u) for u in urls]
            done = ingest_items(items, fetcher, settings, ChunkStore(settings, embedder), report)
    finally:
        site.close()
    assert report.added == 1 and not report.errors and done.alternates == [(urls[1], urls[0])]
    return WireStore(settings, *urls)
