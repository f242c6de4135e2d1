"""`python -m ingest watch FEEDS_FILE --every 10m`, and the app's poller when SANAD_FEEDS is set: poll every
feed in turn, ingest new items, one line per poll per feed; a failing feed waits longer each time (doubling,
capped) while the others go on; a stop request (Ctrl+C, SIGTERM, the app shutting down) ends the watch between
articles."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from errors import InputError, SanadError
from ingest.feeds import poll_feed
from ingest.fetch import Fetcher, check_url, url_lines
from ingest.pipeline import IngestReport
from ingest.state import FeedState
from settings import Settings
from vectorstore.store import ChunkStore

# However long a feed has failed, it is tried again at least this often (or every poll, if polls are rarer).
BACKOFF_CAP_SECONDS = 6 * 3600


def read_feeds_file(path: Path) -> list[str]:
    """The feed URLs in a file, one a line; blank lines and lines starting with # are left out."""
    feeds = []
    for number, line in url_lines(path, "feeds file"):
        try:
            feeds.append(check_url(line))
        except InputError as error:
            raise InputError(str(path), str(error), number) from None
    if not feeds:
        raise InputError(str(path), "no feed URL in the file")
    return list(dict.fromkeys(feeds))


@dataclass(frozen=True)
class FeedStatus:
    """How one feed's last poll went, as /api/health shows it."""

    last_poll: str = ""  # UTC, ISO 8601; empty until the first poll ends
    result: str = ""  # the line the poll printed
    errors: tuple[str, ...] = ()  # the feed's failure, or its items' failures
    failures: int = 0  # polls failed in a row


class Watcher:
    """Polls feeds until stopped; `say` gets one line per poll per feed, `warn` one line per failure."""

    def __init__(self, feeds: list[str], every: float, settings: Settings, store: ChunkStore,
                 say: Callable[[str], None] = lambda line: print(line, flush=True),
                 warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)):
        self.feeds, self.every, self.settings, self.store = feeds, every, settings, store
        self.say, self.warn = say, warn
        self.stop = threading.Event()
        self.status = {feed: FeedStatus() for feed in feeds}
        self.due = {feed: 0.0 for feed in feeds}
        self._thread = threading.Thread(target=self.run, name="feeds", daemon=True)

    def start_in_background(self) -> None:
        """Poll in a thread of this process (the app's way: it serves while this polls)."""
        self.say(f"polling {len(self.feeds)} feeds every {self.every:g}s")
        self._thread.start()

    def stop_background(self, seconds: float) -> None:
        """Ask the polling thread to stop between articles, and wait up to `seconds` for those it is writing."""
        if self._thread.is_alive():
            self.stop.set()
            self._thread.join(seconds)
            unfinished = self._thread.is_alive()
            self.say("feed poller still writing; leaving it unfinished" if unfinished else "feed poller stopped")

    @property
    def polling(self) -> bool:
        """Whether the background thread is polling."""
        return self._thread.is_alive()

    def delay(self, failures: int) -> float:
        """Seconds until a feed's next poll: the interval, doubled for each failure in a row, capped."""
        return min(self.every * 2**failures, max(self.every, BACKOFF_CAP_SECONDS))

    def report(self) -> list[dict]:
        """Each feed's last poll and the seconds to its next one."""
        now = time.monotonic()
        return [
            {"url": feed, **asdict(self.status[feed]), "next_poll_in": round(max(self.due[feed] - now, 0.0), 1)}
            for feed in self.feeds
        ]

    def run(self) -> None:
        """Poll each feed when it is due, until `stop` is set."""
        state = FeedState(self.settings.data_dir)
        try:
            with Fetcher(self.settings) as fetcher:
                while not self.stop.is_set():
                    for feed in self.feeds:
                        if self.stop.is_set():
                            break
                        if time.monotonic() >= self.due[feed]:
                            self.poll(feed, fetcher, state)
                    wait = min(self.due.values()) - time.monotonic()
                    self.stop.wait(max(wait, 0.05))
        finally:
            state.close()

    def poll(self, feed: str, fetcher: Fetcher, state: FeedState) -> None:
        """Poll one feed, say how it went and schedule its next poll."""
        started = time.monotonic()
        report = IngestReport()
        try:
            poll = poll_feed(feed, fetcher, state, self.settings, self.store, report, self.stop)
        except Exception as error:  # beyond our own errors, a feed or page no parser foresaw must not end the watch
            problem = str(error) if isinstance(error, SanadError) else f"{feed}: {type(error).__name__}: {error}"
            failures = self.status[feed].failures + 1
            self.warn(f"error: {problem}")
            line = f"{feed}: failed ({failures} in a row), next try in {self.delay(failures):.0f}s"
            status = FeedStatus(_now(), line, (problem,), failures)
        else:
            for error in report.errors:
                self.warn(f"error: {error}")
            line = poll.line(len(report.errors), time.monotonic() - started)
            status = FeedStatus(_now(), line, tuple(map(str, report.errors)))
        self.status[feed] = status
        self.say(line)
        self.due[feed] = time.monotonic() + self.delay(status.failures)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
